//! The live stream: a WebSocket at `/api/v1/stream` pushing every inbox event of the
//! shops the caller may see, as JSON text frames, after the change is committed. A
//! client that falls behind gets `{"type":"resync"}` and should reload through the API.
//! The server pings every `server.stream_ping_secs` and drops a client that misses a
//! pong. While an agent has a stream open it counts as connected (TT-AGENT-3): its
//! session is recorded when the stream opens and dropped when it ends.

use super::AppState;
use super::doc::{Forbidden, Unauthorized};
use super::extract::{ApiWebSocket, Auth};
use super::socket::Socket;
use axum::extract::ws::WebSocket;
use axum::response::Response;
use shopmux_core::domain::viewer::Viewer;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Open the live stream (WebSocket). Authenticate with the `Authorization` header,
/// `?access_token=`, or the session cookie (then only with an `Origin` matching the
/// `Host`: 403 `csrf_failed` otherwise).
#[utoipa::path(get, path = "/api/v1/stream", tag = "stream",
    params(("access_token" = Option<String>, Query, description = "The token, for clients that cannot set headers")),
    responses((status = 101, description = "Switching to the WebSocket protocol; frames are `InboxEvent` JSON", body = shopmux_core::events::InboxEvent),
        Unauthorized, Forbidden))]
pub async fn stream(auth: Auth, ApiWebSocket(ws): ApiWebSocket) -> Response {
    ws.on_upgrade(move |socket| pump(socket, auth.app, auth.viewer))
}

async fn pump(socket: WebSocket, app: AppState, viewer: Viewer) {
    let events = app.inbox.events().subscribe();
    let session = match app.inbox.open_session(&viewer.agent).await {
        Ok(session) => session,
        Err(error) => {
            tracing::warn!(message = "Could not record a stream session.", %error);
            return;
        }
    };
    forward(socket, events, viewer.clone(), &app).await;
    if let Err(error) = app.inbox.close_session(&viewer.agent, &session).await {
        tracing::warn!(message = "Could not drop a stream session.", %error);
    }
}

/// How often, at most, a stream re-reads its viewer's shops on an unknown shop's event.
const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(5);

async fn forward(
    socket: WebSocket,
    mut events: tokio::sync::broadcast::Receiver<shopmux_core::events::InboxEvent>,
    mut viewer: Viewer, app: &AppState,
) {
    let mut refreshed_at: Option<std::time::Instant> = None;
    let mut socket = Socket::new(socket, &app.sockets).await;
    loop {
        tokio::select! {
            event = events.recv() => {
                let frame = match event {
                    Ok(e) if viewer.can_see(e.shop_id()) => serde_json::to_string(&e).unwrap_or_default(),
                    Ok(e) => {
                        // A shop created or granted since the stream opened?
                        let due = refreshed_at.is_none_or(|at| at.elapsed() >= REFRESH_AT_MOST_EVERY);
                        if !due {
                            continue;
                        }
                        refreshed_at = Some(std::time::Instant::now());
                        match app.inbox.refresh_viewer(&viewer).await {
                            Ok(fresh) => viewer = fresh,
                            Err(_) => break,
                        }
                        if !viewer.can_see(e.shop_id()) {
                            continue;
                        }
                        serde_json::to_string(&e).unwrap_or_default()
                    }
                    Err(RecvError::Lagged(_)) => r#"{"type":"resync"}"#.to_owned(),
                    Err(RecvError::Closed) => break,
                };
                if !socket.send(frame).await {
                    break;
                }
            }
            // Agents send nothing on the stream; any text is ignored.
            incoming = socket.next_text() => if incoming.is_none() {
                break;
            },
        }
    }
}
