//! A WebSocket with the API's keep-alive, shared by the agents' live stream and the
//! storefront chat: the server pings every interval and closes a socket whose previous
//! ping went unanswered, and closes every socket when the daemon shuts down — with
//! "service restart" (1012: reconnect, to another daemon behind the balancer) when a
//! SIGTERM stops it, "going away" (1001) on Ctrl-C; the caller sees only text frames
//! and the end. The daemon's [`Phase`] is also what `/readyz` reads. A frame the peer
//! does not take within one ping interval (a stalled or far too slow client: its
//! connection's buffers are full) ends the socket, so it holds nothing for longer and
//! never holds up anyone else.
//!
//! Text frames are written whole ([`super::ws_upgrade::text_frame`], encoded once
//! however many sockets they go to) through the socket's [`Wire`], several in one
//! vectored write, with no write buffer per socket. tungstenite reads the peer's frames
//! and writes the control frames (pings, the close) through the same wire, so the two
//! never interleave; the live streams' hub writes there too.

use super::wire::Wire;
use super::ws_upgrade::{Connection, text_frame};
use axum::body::Bytes;
use axum::extract::ws::close_code;
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Instant, Interval, interval_at};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Where the daemon is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Serving, ready.
    Serving,
    /// Shutting down but still serving: `/readyz` answers 503 so load balancers take
    /// the daemon out before it stops accepting (`server.shutdown_delay_secs`).
    Draining,
    /// Stopping: every socket is closed with this farewell.
    Closing(Farewell),
}

/// How sockets are told the daemon stops.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Farewell {
    /// 1001 "going away" (Ctrl-C).
    GoingAway,
    /// 1012 "service restart": reconnect (SIGTERM: a rolling restart or a move).
    Restart,
}

impl Farewell {
    /// The close code and reason of this farewell.
    fn code_and_reason(self) -> (u16, &'static str) {
        match self {
            Farewell::GoingAway => (close_code::AWAY, "the server is shutting down"),
            Farewell::Restart => (close_code::RESTART, "the server is restarting; reconnect"),
        }
    }
}

/// What every socket of a daemon shares: the keep-alive interval and the daemon's phase.
#[derive(Clone, Debug)]
pub struct SocketPolicy {
    /// How often the server pings.
    pub ping_every: Duration,
    /// The daemon's phase: sockets close when it turns to [`Phase::Closing`].
    pub phase: watch::Receiver<Phase>,
}

impl SocketPolicy {
    /// A policy following the daemon's `phase`.
    pub fn new(ping_every: Duration, phase: watch::Receiver<Phase>) -> Self {
        Self { ping_every, phase }
    }

    /// A policy for sockets that are never closed by a shutdown (tests).
    pub fn without_shutdown(ping_every: Duration) -> Self {
        Self::new(ping_every, watch::channel(Phase::Serving).1)
    }

    /// Whether the daemon is serving and not shutting down (`/readyz`).
    pub fn serving(&self) -> bool {
        *self.phase.borrow() == Phase::Serving
    }
}

/// An open socket and its keep-alive.
pub struct Socket {
    ws: Connection,
    wire: Arc<Wire>,
    keep_alive: KeepAlive,
    phase: watch::Receiver<Phase>,
    send_within: Duration,
}

impl Socket {
    /// Takes over an upgraded socket; the first ping goes out one interval from now.
    pub fn new(ws: Connection, policy: &SocketPolicy) -> Self {
        let ping = interval_at(Instant::now() + policy.ping_every, policy.ping_every);
        let (phase, send_within) = (policy.phase.clone(), policy.ping_every);
        let wire = ws.get_ref().0.clone();
        Self { ws, wire, keep_alive: KeepAlive { ping, awaiting_pong: false }, phase, send_within }
    }

    /// Sends a text frame; false when the peer is gone or did not take it within one
    /// ping interval.
    pub async fn send(&mut self, text: String) -> bool {
        self.send_all(vec![text_frame(text)]).await
    }

    /// Sends whole frames ([`text_frame`]) behind what waits on the wire, in as few
    /// writes as the connection takes; false as [`Socket::send`], the time limit
    /// counting for them all.
    pub async fn send_all(&mut self, frames: Vec<Bytes>) -> bool {
        self.wire.queue(frames);
        self.flush().await
    }

    /// Opens the wire to the hub's writes with `first` ahead of what it queued meanwhile,
    /// and writes them; false as [`Socket::send`].
    pub async fn open_with(&mut self, first: Vec<Bytes>) -> bool {
        self.wire.open_with(first);
        self.flush().await
    }

    /// Writes what waits on the wire; false as [`Socket::send`].
    pub async fn flush(&mut self) -> bool {
        matches!(tokio::time::timeout(self.send_within, self.wire.flush()).await, Ok(Ok(())))
    }

    /// The peer's next text frame, keeping the socket alive meanwhile; none once the peer
    /// closed, failed or missed a pong, or the daemon shuts down. Cancel-safe between
    /// frames, so it can race other sources in `select!`.
    pub async fn next_text(&mut self) -> Option<String> {
        loop {
            let phase = *self.phase.borrow_and_update();
            if let Phase::Closing(farewell) = phase {
                self.farewell(farewell).await;
                return None;
            }
            tokio::select! {
                // A dropped sender (no shutdown wired) disables this branch.
                Ok(()) = self.phase.changed() => {}
                incoming = self.keep_alive.incoming(&mut self.ws) => return incoming,
            }
        }
    }

    /// As [`Socket::next_text`], but blind to the daemon's phase: for a caller told of the
    /// shutdown otherwise (the live streams, by their hub: one watcher for every stream
    /// instead of one each, polled at every frame).
    pub async fn incoming(&mut self) -> Option<String> {
        self.keep_alive.incoming(&mut self.ws).await
    }

    /// Closes the socket with a code and a reason (the peer may be gone already).
    /// The close goes behind what waits on the wire, under the send time limit: a peer
    /// that takes nothing does not keep the socket open.
    pub async fn close(&mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame { code: CloseCode::from(code), reason: reason.into() };
        let _ = tokio::time::timeout(self.send_within, self.ws.close(Some(frame))).await;
    }

    /// Tells the peer the server stops (1001 or 1012).
    pub async fn farewell(&mut self, farewell: Farewell) {
        let (code, reason) = farewell.code_and_reason();
        self.close(code, reason).await;
    }
}

impl Drop for Socket {
    /// Closes the connection at once, whoever else holds the wire (the hub, a moment).
    fn drop(&mut self) {
        self.wire.close();
    }
}

/// The server's pings, and whether the last one is still unanswered.
struct KeepAlive {
    ping: Interval,
    awaiting_pong: bool,
}

impl KeepAlive {
    /// The peer's next text frame, pinging meanwhile; none once the peer closed, failed
    /// or missed a pong.
    async fn incoming(&mut self, ws: &mut Connection) -> Option<String> {
        loop {
            tokio::select! {
                incoming = ws.next() => match incoming {
                    Some(Ok(Message::Text(text))) => return Some(text.to_string()),
                    Some(Ok(Message::Pong(_))) => self.awaiting_pong = false,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                    Some(Ok(_)) => {}
                },
                _ = self.ping.tick() => {
                    if self.awaiting_pong || ws.send(Message::Ping(Bytes::new())).await.is_err() {
                        return None;
                    }
                    self.awaiting_pong = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::wire::WireIo;
    use tokio_tungstenite::WebSocketStream;
    use tokio_tungstenite::tungstenite::protocol::Role;

    #[tokio::test]
    async fn a_close_to_a_peer_that_takes_nothing_ends_within_the_send_time_limit() {
        // The peer keeps its end open and never reads.
        let (ours, _theirs) = tokio::io::duplex(64);
        let wire = Wire::opened();
        wire.attach(ours);
        let ws = WebSocketStream::from_raw_socket(WireIo(wire), Role::Server, None).await;
        // A socket's own I/O time limit (no time rule): real time, kept short.
        let limit = Duration::from_millis(300);
        let mut socket = Socket::new(ws, &SocketPolicy::without_shutdown(limit));
        assert!(!socket.send("x".repeat(4096)).await, "not taken within the limit");
        let closing = tokio::time::timeout(10 * limit, socket.close(1000, "bye"));
        assert!(closing.await.is_ok(), "the close gave up within the send time limit");
    }
}
