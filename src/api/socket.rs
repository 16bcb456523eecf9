//! A WebSocket with the API's keep-alive, shared by the agents' live stream and the
//! storefront chat: the server pings every interval and closes a socket whose previous
//! ping went unanswered; the caller sees only text frames and the end.

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use std::time::Duration;
use tokio::time::{Interval, interval};

/// An open socket and its keep-alive.
pub struct Socket {
    tx: SplitSink<WebSocket, WsMessage>,
    rx: SplitStream<WebSocket>,
    ping: Interval,
    awaiting_pong: bool,
}

impl Socket {
    /// Takes over an upgraded socket; the first ping goes out one interval from now.
    pub async fn new(socket: WebSocket, ping_every: Duration) -> Self {
        let (tx, rx) = socket.split();
        let mut ping = interval(ping_every);
        ping.tick().await;
        Self { tx, rx, ping, awaiting_pong: false }
    }

    /// Sends a text frame; false when the peer is gone.
    pub async fn send(&mut self, text: String) -> bool {
        self.tx.send(WsMessage::Text(text.into())).await.is_ok()
    }

    /// The peer's next text frame, keeping the socket alive meanwhile; none once the peer
    /// closed, failed or missed a pong. Cancel-safe between frames, so it can race other
    /// sources in `select!`.
    pub async fn next_text(&mut self) -> Option<String> {
        loop {
            tokio::select! {
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
