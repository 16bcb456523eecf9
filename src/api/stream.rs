//! The live stream: a WebSocket at `/api/v1/stream` pushing every inbox event of the
//! shops the caller may see, as JSON text frames, after the change is committed. A
//! client that falls behind gets `{"type":"resync"}` and should reload through the API.
//! The server pings every 30 s and drops a client that stops answering.

use super::AppState;
use super::error::ErrorBody;
use super::extract::Auth;
use axum::extract::State;
use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use shopmux_core::inbox::accounts::Viewer;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

const PING_EVERY: Duration = Duration::from_secs(30);

/// Open the live stream (WebSocket). Authenticate with the `Authorization` header or
/// `?access_token=`.
#[utoipa::path(get, path = "/api/v1/stream", tag = "stream", security(("bearer" = [])),
    params(("access_token" = Option<String>, Query, description = "The token, for clients that cannot set headers")),
    responses((status = 101, description = "Switching to the WebSocket protocol; frames are `InboxEvent` JSON",
        body = shopmux_core::events::InboxEvent), (status = 401, body = ErrorBody)))]
pub async fn stream(State(app): State<AppState>, auth: Auth, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| pump(socket, app, auth.0))
}

async fn pump(socket: WebSocket, app: AppState, viewer: Viewer) {
    let mut events = app.inbox.events().subscribe();
    let (mut tx, mut rx) = socket.split();
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut awaiting_pong = false;
    loop {
        tokio::select! {
            event = events.recv() => {
                let frame = match event {
                    Ok(e) if viewer.can_see(e.shop_id()) => serde_json::to_string(&e).unwrap_or_default(),
                    Ok(_) => continue,
                    Err(RecvError::Lagged(_)) => r#"{"type":"resync"}"#.to_owned(),
                    Err(RecvError::Closed) => break,
                };
                if tx.send(WsMessage::Text(frame.into())).await.is_err() {
                    break;
                }
            }
            incoming = rx.next() => match incoming {
                Some(Ok(WsMessage::Pong(_))) => awaiting_pong = false,
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = ping.tick() => {
                if awaiting_pong || tx.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                    break;
                }
                awaiting_pong = true;
            }
        }
    }
}
