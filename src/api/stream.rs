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

use super::doc::{Forbidden, Unauthorized};
use super::extract::{ApiWebSocket, Auth};
use super::socket::Socket;
use axum::extract::ws::WebSocket;
use axum::response::Response;
use shopmux_core::domain::viewer::Viewer;
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
    params(("access_token" = Option<String>, Query, description = "The token, for clients that cannot set headers")),
    responses((status = 101, description = "Switching to the WebSocket protocol; frames are `InboxEvent` JSON (the main account also gets `OwnerEvent`: `webhook_endpoint_paused`)", body = shopmux_core::events::InboxEvent),
        Unauthorized, Forbidden))]
pub async fn stream(auth: Auth, ApiWebSocket(ws): ApiWebSocket) -> Response {
    // Subscribed before the upgrade is answered: an event published once the client
    // holds its open stream is never missed.
    let buses = Buses {
        events: auth.app.inbox.events().subscribe(),
        accounts: auth.app.inbox.events().subscribe_accounts(),
        owners: auth.app.inbox.events().subscribe_owners(),
    };
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| pump(socket, auth, buses))
}

/// The buses a stream forwards from.
struct Buses {
    events: tokio::sync::broadcast::Receiver<shopmux_core::events::InboxEvent>,
    accounts: tokio::sync::broadcast::Receiver<shopmux_core::domain::ids::SellerId>,
    owners: tokio::sync::broadcast::Receiver<OwnerNotice>,
}

async fn pump(socket: WebSocket, auth: Auth, buses: Buses) {
    let app = auth.app.clone();
    let agent = auth.viewer.agent.clone();
    let Buses { events, accounts, owners } = buses;
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
    Forwarder { socket, events, accounts, owners, viewer, auth, refreshed_at: None }.run().await;
    if let Err(error) = app.inbox.close_session(&agent, &session).await {
        tracing::warn!(message = "Could not drop a stream session.", %error);
    }
}

/// How often a stream re-checks its credential whatever the accounts bus says (changes
/// made by another daemon sharing the database reach it this late at most).
pub const RECHECK_EVERY: Duration = Duration::from_secs(15);

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
}

impl Forwarder {
    async fn run(mut self) {
        let mut recheck = tokio::time::interval(RECHECK_EVERY);
        recheck.tick().await;
        loop {
            let next = tokio::select! {
                _ = recheck.tick() => self.recheck().await.unwrap_or(Next::Skip),
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
