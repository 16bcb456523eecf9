//! A WebSocket with the API's keep-alive, shared by the agents' live stream and the
//! storefront chat: the server pings every interval and closes a socket whose previous
//! ping went unanswered, and closes every socket with "going away" (1001) when the
//! daemon shuts down; the caller sees only text frames and the end. A frame the peer
//! does not take within one ping interval (a stalled or far too slow client: its
//! connection's buffers are full) ends the socket, so it holds nothing for longer and
//! never holds up anyone else.

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, close_code};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::sync::watch;
use tokio::time::{Interval, interval};

/// What every socket of a daemon shares: the keep-alive interval and the shutdown signal.
#[derive(Clone, Debug)]
pub struct SocketPolicy {
    /// How often the server pings.
    pub ping_every: Duration,
    /// Turns true when the daemon shuts down.
    pub closing: watch::Receiver<bool>,
}

impl SocketPolicy {
    /// A policy whose shutdown signal is `closing`.
    pub fn new(ping_every: Duration, closing: watch::Receiver<bool>) -> Self {
        Self { ping_every, closing }
    }

    /// A policy for sockets that are never closed by a shutdown (tests).
    pub fn without_shutdown(ping_every: Duration) -> Self {
        Self::new(ping_every, watch::channel(false).1)
    }
}

/// An open socket and its keep-alive.
pub struct Socket {
    tx: SplitSink<WebSocket, WsMessage>,
    rx: SplitStream<WebSocket>,
    ping: Interval,
    awaiting_pong: bool,
    closing: watch::Receiver<bool>,
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
            ping,
            awaiting_pong: false,
            closing: policy.closing.clone(),
            send_within: policy.ping_every,
        }
    }

    /// Sends a text frame; false when the peer is gone or did not take it within one
    /// ping interval.
    pub async fn send(&mut self, text: String) -> bool {
        let sent =
            tokio::time::timeout(self.send_within, self.tx.send(WsMessage::Text(text.into())));
        matches!(sent.await, Ok(Ok(())))
    }

    /// Tells the peer the server is going away (close code 1001).
    async fn going_away(&mut self) {
        let frame =
            CloseFrame { code: close_code::AWAY, reason: "the server is shutting down".into() };
        let _ = self.tx.send(WsMessage::Close(Some(frame))).await;
        let _ = self.tx.close().await;
    }

    /// The peer's next text frame, keeping the socket alive meanwhile; none once the peer
    /// closed, failed or missed a pong, or the daemon shuts down. Cancel-safe between
    /// frames, so it can race other sources in `select!`.
    pub async fn next_text(&mut self) -> Option<String> {
        loop {
            if *self.closing.borrow() {
                self.going_away().await;
                return None;
            }
            tokio::select! {
                // A dropped sender (no shutdown wired) disables this branch.
                Ok(()) = self.closing.changed() => {}
                incoming = self.rx.next() => match incoming {
                    Some(Ok(WsMessage::Text(text))) => return Some(text.to_string()),
                    Some(Ok(WsMessage::Pong(_))) => self.awaiting_pong = false,
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return None,
                    Some(Ok(_)) => {}
                },
                _ = self.ping.tick() => {
                    if self.awaiting_pong {
                        return None;
                    }
                    if self.tx.send(WsMessage::Ping(Vec::new().into())).await.is_err() {
                        return None;
                    }
                    self.awaiting_pong = true;
                }
            }
        }
    }

    /// Closes the socket with a code and a reason (the peer may be gone already).
    pub async fn close(mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame { code, reason: reason.into() };
        let _ = self.tx.send(WsMessage::Close(Some(frame))).await;
        let _ = self.tx.close().await;
    }
}
