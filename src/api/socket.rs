//! A WebSocket with the API's keep-alive, shared by the agents' live stream and the
//! storefront chat: the server pings every interval and closes a socket whose previous
//! ping went unanswered, and closes every socket when the daemon shuts down — with
//! "service restart" (1012: reconnect, to another daemon behind the balancer) when a
//! SIGTERM stops it, "going away" (1001) on Ctrl-C; the caller sees only text frames
//! and the end. The daemon's [`Phase`] is also what `/readyz` reads. A frame the peer
//! does not take within one ping interval (a stalled or far too slow client: its
//! connection's buffers are full) ends the socket, so it holds nothing for longer and
//! never holds up anyone else.

use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, close_code};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Interval, interval};

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
    pub fn code_and_reason(self) -> (u16, &'static str) {
        match self {
            Farewell::GoingAway => (close_code::AWAY, "the server is shutting down"),
            Farewell::Restart => (close_code::RESTART, "the server is restarting; reconnect"),
        }
    }

    /// The close frame of this farewell.
    fn frame(self) -> CloseFrame {
        let (code, reason) = self.code_and_reason();
        CloseFrame { code, reason: reason.into() }
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
    tx: SplitSink<WebSocket, WsMessage>,
    rx: SplitStream<WebSocket>,
    keep_alive: KeepAlive,
    phase: watch::Receiver<Phase>,
    send_within: Duration,
}

impl Socket {
    /// Takes over an upgraded socket; the first ping goes out one interval from now.
    pub async fn new(socket: WebSocket, policy: &SocketPolicy) -> Self {
        let (tx, rx) = socket.split();
        let mut ping = interval(policy.ping_every);
        ping.tick().await;
        Self {
            tx,
            rx,
            keep_alive: KeepAlive { ping, awaiting_pong: false },
            phase: policy.phase.clone(),
            send_within: policy.ping_every,
        }
    }

    /// Sends a text frame; false when the peer is gone or did not take it within one
    /// ping interval.
    pub async fn send(&mut self, text: String) -> bool {
        self.send_all([text.into()]).await
    }

    /// Sends text frames (shared with other sockets: encoded once), flushed once at the
    /// end: frames that waited together leave in as few writes as the connection's write
    /// buffer allows — one system call, and one packet, for several. As
    /// [`Socket::send`], the time limit counts for the whole batch.
    pub async fn send_all(&mut self, frames: impl IntoIterator<Item = Utf8Bytes>) -> bool {
        let tx = &mut self.tx;
        let batch = async move {
            for frame in frames {
                tx.feed(WsMessage::Text(frame)).await?;
            }
            tx.flush().await
        };
        matches!(tokio::time::timeout(self.send_within, batch).await, Ok(Ok(())))
    }

    /// Tells the peer the server stops (1001 or 1012).
    pub async fn farewell(&mut self, farewell: Farewell) {
        let _ = self.tx.send(WsMessage::Close(Some(farewell.frame()))).await;
        let _ = self.tx.close().await;
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
            let keep_alive = &mut self.keep_alive;
            tokio::select! {
                // A dropped sender (no shutdown wired) disables this branch.
                Ok(()) = self.phase.changed() => {}
                incoming = keep_alive.incoming(&mut self.rx, &mut self.tx) => return incoming,
            }
        }
    }

    /// As [`Socket::next_text`], but blind to the daemon's phase: for a caller told of the
    /// shutdown otherwise (the live streams, by their hub: one watcher for every stream
    /// instead of one each, polled at every frame).
    pub async fn incoming(&mut self) -> Option<String> {
        self.keep_alive.incoming(&mut self.rx, &mut self.tx).await
    }

    /// Closes the socket with a code and a reason (the peer may be gone already).
    pub async fn close(&mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame { code, reason: reason.into() };
        let _ = self.tx.send(WsMessage::Close(Some(frame))).await;
        let _ = self.tx.close().await;
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
    async fn incoming(
        &mut self, rx: &mut SplitStream<WebSocket>, tx: &mut SplitSink<WebSocket, WsMessage>,
    ) -> Option<String> {
        loop {
            tokio::select! {
                incoming = rx.next() => match incoming {
                    Some(Ok(WsMessage::Text(text))) => return Some(text.to_string()),
                    Some(Ok(WsMessage::Pong(_))) => self.awaiting_pong = false,
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return None,
                    Some(Ok(_)) => {}
                },
                _ = self.ping.tick() => {
                    if self.awaiting_pong {
                        return None;
                    }
                    if tx.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                        return None;
                    }
                    self.awaiting_pong = true;
                }
            }
        }
    }
}
