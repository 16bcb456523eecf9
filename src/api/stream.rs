//! The live stream: a WebSocket at `/api/v1/stream` pushing every inbox event of the
//! shops the caller may see, as JSON text frames, after the change is committed. A
//! client that falls behind gets `{"type":"resync"}` and should reload through the API.
//! The server pings every `server.stream_ping_secs` and drops a client that misses a
//! pong. The seller's main account also gets the owner's events (a webhook endpoint
//! paused: `{"type":"webhook_endpoint_paused","endpoint":{…}}`). While an agent has a stream open it counts as connected (TT-AGENT-3): its
//! session is recorded when the stream opens and dropped when it ends.
//!
//! Access bites at once: when its seller's accounts change (grants, chat permission,
//! deactivation, tokens — the inbox's accounts bus), a stream checks its credential
//! again. An account that lost shops gets `{"type":"resync"}` and no more of their
//! events; a revoked token, an ended session or a deactivated account closes the stream
//! with code 4401. The accounts bus reaches every daemon of the database (relayed
//! through the live-event log with several daemons); as a backstop for what no bus
//! tells (a session's end by time, a command run on the database), a stream also
//! re-checks every [`RECHECK_EVERY`]. Agents send nothing on the stream: a message over
//! [`MAX_MESSAGE_BYTES`] closes it.
//!
//! Several daemons on one PostgreSQL database: every daemon's events reach every
//! stream (through the live-event log), and a stream sends `{"type":"cursor","cursor":N}`
//! at most every [`CURSOR_EVERY`] when its position in the log moved. A client that
//! reconnects — to any daemon — with `?cursor=N` first gets the events it missed (a
//! repeat of one it had is possible; events carry whole states), or `resync` when the
//! log no longer covers N. With one daemon (SQLite) a reconnect with a cursor gets
//! `resync`.

use super::doc::{Forbidden, Unauthorized};
use super::extract::{ApiQuery, Auth};
use super::socket::Socket;
use super::stream_hub::{Signal, Subscription, resync_frame};
use super::wire::Wire;
use super::ws_upgrade::{Connection, WsUpgrade, text_frame};
use axum::body::Bytes;
use axum::response::Response;
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::services::live::replay::Replay;
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The largest message (and frame) an agent may send on the stream, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// The close code of a stream whose credential no longer holds.
pub const CLOSE_ACCESS_REVOKED: u16 = 4401;

/// Open the live stream (WebSocket). Authenticate with the `Authorization` header,
/// `?access_token=`, or the session cookie (then only with an `Origin` matching the
/// `Host`: 403 `csrf_failed` otherwise). Messages from the client over 4096 bytes close
/// the stream; losing access closes it with code 4401.
#[utoipa::path(get, path = "/api/v1/stream", tag = "stream",
    params(("access_token" = Option<String>, Query, description = "The token, for clients that cannot set headers"),
        ("cursor" = Option<i64>, Query, description = "The last `cursor` frame's value, when reconnecting: the events missed since come first (or `resync`)")),
    responses((status = 101, description = "Switching to the WebSocket protocol; frames are `InboxEvent` JSON (the main account also gets `OwnerEvent`: `webhook_endpoint_paused`)", body = shopmux_core::events::InboxEvent),
        Unauthorized, Forbidden))]
pub async fn stream(
    auth: Auth, ApiQuery(query): ApiQuery<StreamQuery>, upgrade: WsUpgrade,
) -> Response {
    // Subscribed before the upgrade is answered (and before a replay is read): an event
    // published once the client holds its open stream is never missed.
    let events = auth.app.hub.subscribe(
        auth.viewer.visible_shops.clone(),
        auth.viewer.agent.seller_id,
        auth.viewer.is_owner(),
    );
    let resume_from = query.cursor;
    // Agents send nothing: a small read buffer (one per open stream).
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
        .read_buffer_size(READ_BUFFER);
    let wire = events.wire();
    upgrade.on_upgrade(config, wire, move |socket| pump(socket, auth, events, resume_from))
}

/// The stream's query: the token for clients that cannot set headers, and the cursor to
/// resume from.
#[derive(Debug, Default, serde::Deserialize)]
pub struct StreamQuery {
    /// The token (read by the authentication; listed here so the query parses).
    #[allow(dead_code)]
    access_token: Option<String>,
    /// The last `cursor` frame's value, when reconnecting.
    cursor: Option<i64>,
}

/// A stream's initial read buffer: agents send nothing but pongs (it grows for a larger
/// frame, up to [`MAX_MESSAGE_BYTES`]).
const READ_BUFFER: usize = 256;

/// Runs a stream: its frames from the hub (`events`), after what a reconnecting client
/// missed since `resume_from`.
async fn pump(socket: Connection, auth: Auth, events: Subscription, resume_from: Option<i64>) {
    let app = auth.app.clone();
    let agent = auth.viewer.agent.clone();
    // The steps' futures are boxed: a task keeps room for its largest future at every
    // step, and room for the session's queries and for the values moved into the
    // forwarder was ~3 KB per open stream.
    let session = match Box::pin(app.inbox.open_session(&agent)).await {
        Ok(session) => session,
        Err(error) => {
            tracing::warn!(message = "Could not record a stream session.", %error);
            return;
        }
    };
    let _open = app.metrics.all.socket_opened(crate::telemetry::SocketKind::Stream);
    let socket = Socket::new(socket, &app.sockets);
    let (viewer, wire) = (auth.viewer.clone(), events.wire());
    Box::pin(Forwarder { socket, events, wire, viewer, auth }.serve(resume_from)).await;
    if let Err(error) = Box::pin(app.inbox.close_session(&agent, &session)).await {
        tracing::warn!(message = "Could not drop a stream session.", %error);
    }
}

/// How often a stream re-checks its credential whatever the accounts bus says (what no
/// bus tells reaches it this late at most). Every 15 s, the re-checks of 10,000 open
/// streams (a few queries each) were most of an idle daemon's CPU.
pub const RECHECK_EVERY: Duration = Duration::from_secs(60);

/// What a stream does next.
enum Next {
    /// Send this frame (whole: [`text_frame`]).
    Send(Bytes),
    /// Nothing to send.
    Skip,
    /// End the stream.
    End,
    /// Close the stream: access is gone.
    Revoked,
}

struct Forwarder {
    socket: Socket,
    events: Subscription,
    /// The socket's wire, which the hub writes to: what it could not write waits there.
    wire: Arc<Wire>,
    viewer: Viewer,
    auth: Auth,
}

impl Forwarder {
    /// Sends what a reconnecting client missed since `from` (or `resync`) ahead of the
    /// events queued meanwhile, and opens the wire to the hub's writes; false when the
    /// socket closed.
    async fn open(&mut self, from: Option<i64>) -> bool {
        let Some(from) = from else { return self.socket.open_with(Vec::new()).await };
        let inbox = self.auth.app.inbox.clone();
        let frames: Vec<Bytes> = match inbox.live_replay(&self.viewer, from).await {
            Ok(Replay::Events { events, owner }) => events
                .iter()
                .map(|e| serde_json::to_vec(e).unwrap_or_default())
                .chain(owner.iter().map(|e| serde_json::to_vec(e).unwrap_or_default()))
                .map(text_frame)
                .collect(),
            Ok(Replay::Reload) | Err(_) => vec![resync_frame()],
        };
        self.socket.open_with(frames).await
    }

    /// Sends what a reconnecting client missed since `resume_from`, then writes what
    /// the hub leaves on the wire until the stream ends.
    async fn serve(mut self, resume_from: Option<i64>) {
        // Boxed: a one-off step (see `pump`).
        if Box::pin(self.open(resume_from)).await {
            self.run().await;
        }
    }

    async fn run(&mut self) {
        let mut recheck = tokio::time::interval(RECHECK_EVERY);
        recheck.tick().await;
        loop {
            let next = tokio::select! {
                _ = recheck.tick() => self.recheck().await.unwrap_or(Next::Skip),
                // The hub's frames the connection did not take at once.
                () = self.wire.wanted() => {
                    if self.socket.flush().await { Next::Skip } else { Next::End }
                }
                signal = self.events.signal() => match signal {
                    Some(Signal::Recheck) => self.recheck().await.unwrap_or(Next::Skip),
                    Some(Signal::Close(farewell)) => {
                        self.socket.farewell(farewell).await;
                        Next::End
                    }
                    None => Next::End,
                },
                // Agents send nothing on the stream; any text is ignored.
                incoming = self.socket.incoming() => match incoming {
                    Some(_) => Next::Skip,
                    None => Next::End,
                },
            };
            if !self.act(next).await {
                return;
            }
        }
    }

    /// Does what `next` says; false once the stream ended.
    async fn act(&mut self, next: Next) -> bool {
        match next {
            Next::Send(frame) => self.socket.send_all(vec![frame]).await,
            Next::Skip => true,
            Next::Revoked => {
                self.socket.close(CLOSE_ACCESS_REVOKED, "access revoked").await;
                false
            }
            Next::End => false,
        }
    }

    /// Reads the viewer again through the credential: `Revoked` when it no longer
    /// holds, a resync when the account lost shops, none when nothing was lost.
    async fn recheck(&mut self) -> Option<Next> {
        // Boxed, as the one-off steps (see `pump`): this future is the largest.
        let fresh = match Box::pin(self.auth.recheck()).await {
            Ok(Some(fresh)) => fresh,
            Ok(None) => return Some(Next::Revoked),
            Err(_) => return Some(Next::End),
        };
        let lost = !self.viewer.visible_shops.is_subset(&fresh.visible_shops)
            || !self.viewer.chat_shops.is_subset(&fresh.chat_shops);
        if fresh.visible_shops != self.viewer.visible_shops {
            self.events.follow(fresh.visible_shops.clone());
        }
        self.viewer = fresh;
        lost.then(|| Next::Send(resync_frame()))
    }
}
