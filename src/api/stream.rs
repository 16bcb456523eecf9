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
//! with code 4401. The accounts bus is in-process; as a backstop for changes made by
//! another daemon on the same database, a stream also re-checks every
//! [`RECHECK_EVERY`]. Agents send nothing on the stream: a message over
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
use super::extract::{ApiQuery, ApiWebSocket, Auth};
use super::socket::Socket;
use axum::extract::ws::WebSocket;
use axum::response::Response;
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::services::live::replay::Replay;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// The largest message (and frame) an agent may send on the stream, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 4096;

/// The close code of a stream whose credential no longer holds.
pub const CLOSE_ACCESS_REVOKED: u16 = 4401;

/// An owner event with its seller.
type OwnerNotice = (shopmux_core::domain::ids::SellerId, shopmux_core::events::OwnerEvent);

/// The frame telling a client to reload through the API.
const RESYNC: &str = r#"{"type":"resync"}"#;

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
    auth: Auth, ApiQuery(query): ApiQuery<StreamQuery>, ApiWebSocket(ws): ApiWebSocket,
) -> Response {
    // Subscribed before the upgrade is answered (and before a replay is read): an event
    // published once the client holds its open stream is never missed.
    let buses = Buses {
        events: auth.app.inbox.events().subscribe(),
        accounts: auth.app.inbox.events().subscribe_accounts(),
        owners: auth.app.inbox.events().subscribe_owners(),
        cursor: auth.app.inbox.live_cursor(),
        resume_from: query.cursor,
    };
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| pump(socket, auth, buses))
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

/// The buses a stream forwards from.
struct Buses {
    events: tokio::sync::broadcast::Receiver<shopmux_core::events::InboxEvent>,
    accounts: tokio::sync::broadcast::Receiver<shopmux_core::domain::ids::SellerId>,
    owners: tokio::sync::broadcast::Receiver<OwnerNotice>,
    /// This daemon's position in the live-event log (none: one daemon).
    cursor: Option<tokio::sync::watch::Receiver<i64>>,
    /// Where the client resumes from.
    resume_from: Option<i64>,
}

async fn pump(socket: WebSocket, auth: Auth, buses: Buses) {
    let app = auth.app.clone();
    let agent = auth.viewer.agent.clone();
    let Buses { events, accounts, owners, cursor, resume_from } = buses;
    let session = match app.inbox.open_session(&agent).await {
        Ok(session) => session,
        Err(error) => {
            tracing::warn!(message = "Could not record a stream session.", %error);
            return;
        }
    };
    let socket = Socket::new(socket, &app.sockets).await;
    let _open = app.metrics.all.socket_opened(crate::telemetry::SocketKind::Stream);
    let viewer = auth.viewer.clone();
    let mut forwarder = Forwarder {
        socket,
        events,
        accounts,
        owners,
        viewer,
        auth,
        refreshed_at: None,
        cursor,
        sent_cursor: None,
    };
    if forwarder.resume(resume_from).await {
        forwarder.run().await;
    }
    if let Err(error) = app.inbox.close_session(&agent, &session).await {
        tracing::warn!(message = "Could not drop a stream session.", %error);
    }
}

/// How often a stream re-checks its credential whatever the accounts bus says (changes
/// made by another daemon sharing the database reach it this late at most).
pub const RECHECK_EVERY: Duration = Duration::from_secs(15);

/// How often, at most, a stream tells its client its position in the live-event log.
pub const CURSOR_EVERY: Duration = Duration::from_secs(1);

/// How often, at most, a stream re-reads its viewer's shops on an unknown shop's event.
const REFRESH_AT_MOST_EVERY: Duration = Duration::from_secs(5);

/// What a stream does next.
enum Next {
    /// Send this frame.
    Send(String),
    /// Nothing to send.
    Skip,
    /// End the stream.
    End,
    /// Close the stream: access is gone.
    Revoked,
}

struct Forwarder {
    socket: Socket,
    events: tokio::sync::broadcast::Receiver<shopmux_core::events::InboxEvent>,
    accounts: tokio::sync::broadcast::Receiver<shopmux_core::domain::ids::SellerId>,
    owners: tokio::sync::broadcast::Receiver<OwnerNotice>,
    viewer: Viewer,
    auth: Auth,
    refreshed_at: Option<std::time::Instant>,
    cursor: Option<tokio::sync::watch::Receiver<i64>>,
    sent_cursor: Option<i64>,
}

impl Forwarder {
    /// Sends what a reconnecting client missed since `from` (or `resync`), then the
    /// cursor; false when the socket closed.
    async fn resume(&mut self, from: Option<i64>) -> bool {
        if let Some(from) = from {
            let inbox = self.auth.app.inbox.clone();
            let frames = match inbox.live_replay(&self.viewer, from).await {
                Ok(Replay::Events { events, owner }) => events
                    .iter()
                    .map(|e| serde_json::to_string(e).unwrap_or_default())
                    .chain(owner.iter().map(|e| serde_json::to_string(e).unwrap_or_default()))
                    .collect(),
                Ok(Replay::Reload) | Err(_) => vec![RESYNC.to_owned()],
            };
            for frame in frames {
                if !self.socket.send(frame).await {
                    return false;
                }
            }
        }
        matches!(self.send_cursor().await, Next::Skip)
    }

    /// Sends the cursor when it moved, after the events published before it moved:
    /// `Skip` when done, else what ends the stream.
    async fn send_cursor(&mut self) -> Next {
        let Some(now) = self.cursor.as_ref().map(|c| *c.borrow()) else { return Next::Skip };
        if self.sent_cursor == Some(now) {
            return Next::Skip;
        }
        // The log's records up to `now` were handed to the bus before it moved: forward
        // what is waiting first, so the cursor never runs ahead of what was sent.
        while let Some(event) = self.waiting() {
            match self.on_event(event).await {
                Next::Send(frame) => {
                    if !self.socket.send(frame).await {
                        return Next::End;
                    }
                }
                Next::Skip => {}
                end => return end,
            }
        }
        self.sent_cursor = Some(now);
        match self.socket.send(format!(r#"{{"type":"cursor","cursor":{now}}}"#)).await {
            true => Next::Skip,
            false => Next::End,
        }
    }

    /// An event already waiting on the bus, if any.
    fn waiting(&mut self) -> Option<Result<shopmux_core::events::InboxEvent, RecvError>> {
        use tokio::sync::broadcast::error::TryRecvError;
        match self.events.try_recv() {
            Ok(e) => Some(Ok(e)),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
            Err(TryRecvError::Closed) => Some(Err(RecvError::Closed)),
        }
    }

    async fn run(mut self) {
        let mut recheck = tokio::time::interval(RECHECK_EVERY);
        recheck.tick().await;
        let mut cursor_tick = tokio::time::interval(CURSOR_EVERY);
        loop {
            let next = tokio::select! {
                _ = recheck.tick() => self.recheck().await.unwrap_or(Next::Skip),
                _ = cursor_tick.tick(), if self.cursor.is_some() => self.send_cursor().await,
                event = self.events.recv() => self.on_event(event).await,
                changed = self.accounts.recv() => self.on_accounts(changed).await,
                notice = self.owners.recv() => self.on_owner(notice),
                // Agents send nothing on the stream; any text is ignored.
                incoming = self.socket.next_text() => match incoming {
                    Some(_) => Next::Skip,
                    None => Next::End,
                },
            };
            match next {
                Next::Send(frame) => {
                    if !self.socket.send(frame).await {
                        return;
                    }
                }
                Next::Skip => {}
                Next::Revoked => {
                    self.socket.close(CLOSE_ACCESS_REVOKED, "access revoked").await;
                    return;
                }
                Next::End => return,
            }
        }
    }

    async fn on_event(
        &mut self, event: Result<shopmux_core::events::InboxEvent, RecvError>,
    ) -> Next {
        let e = match event {
            Ok(e) => e,
            Err(RecvError::Lagged(_)) => return Next::Send(RESYNC.to_owned()),
            Err(RecvError::Closed) => return Next::End,
        };
        if !self.viewer.can_see(e.shop_id()) {
            // A shop created or granted since the stream opened?
            let due = self.refreshed_at.is_none_or(|at| at.elapsed() >= REFRESH_AT_MOST_EVERY);
            if !due {
                return Next::Skip;
            }
            self.refreshed_at = Some(std::time::Instant::now());
            if let Some(next) = self.recheck().await {
                return next;
            }
            if !self.viewer.can_see(e.shop_id()) {
                return Next::Skip;
            }
        }
        Next::Send(serde_json::to_string(&e).unwrap_or_default())
    }

    /// An owner event (a paused webhook endpoint): sent to the seller's main account only.
    fn on_owner(&self, notice: Result<OwnerNotice, RecvError>) -> Next {
        match notice {
            Ok((seller, event))
                if seller == self.viewer.agent.seller_id && self.viewer.is_owner() =>
            {
                Next::Send(serde_json::to_string(&event).unwrap_or_default())
            }
            Err(RecvError::Closed) => Next::End,
            _ => Next::Skip,
        }
    }

    /// An accounts change: ours (or one we may have missed) re-reads the viewer.
    async fn on_accounts(
        &mut self, changed: Result<shopmux_core::domain::ids::SellerId, RecvError>,
    ) -> Next {
        match changed {
            Ok(seller) if seller != self.viewer.agent.seller_id => Next::Skip,
            Err(RecvError::Closed) => Next::End,
            _ => self.recheck().await.unwrap_or(Next::Skip),
        }
    }

    /// Reads the viewer again through the credential: `Revoked` when it no longer
    /// holds, a resync when the account lost shops, none when nothing was lost.
    async fn recheck(&mut self) -> Option<Next> {
        let fresh = match self.auth.recheck().await {
            Ok(Some(fresh)) => fresh,
            Ok(None) => return Some(Next::Revoked),
            Err(_) => return Some(Next::End),
        };
        let lost = !self.viewer.visible_shops.is_subset(&fresh.visible_shops)
            || !self.viewer.chat_shops.is_subset(&fresh.chat_shops);
        self.viewer = fresh;
        lost.then(|| Next::Send(RESYNC.to_owned()))
    }
}
