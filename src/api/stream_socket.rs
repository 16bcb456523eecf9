//! The agents' live stream's WebSocket. Its frames are encoded once for every stream they
//! go to — WebSocket header and JSON, by the hub ([`text_frame`]) — and written straight
//! to the upgraded connection, several in one vectored write, with no write buffer per
//! stream: with 10,000 open streams, tungstenite's own write buffer (kept at its largest
//! size by each connection) weighed ~80 MB, and copying every frame into it was work
//! done once per stream instead of once. tungstenite still reads the client's frames
//! (pongs, a close) and writes the control frames (pings, the close); what it holds is
//! flushed before frames are written, so the two never interleave.
//!
//! The keep-alive, the send time limit and the farewells are those of the other sockets
//! ([`super::socket`]).

use super::error::ApiError;
use super::socket::{Farewell, SocketPolicy};
use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;
use std::io::IoSlice;
use std::time::Duration;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::time::{Instant, Interval, interval_at};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{CloseCode, Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::frame::{CloseFrame, Frame};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// A whole WebSocket text frame, header included, as the server sends it (unmasked).
pub fn text_frame(text: impl Into<Bytes>) -> Bytes {
    let frame = Frame::message(text.into(), OpCode::Data(Data::Text), true);
    let mut out = Vec::with_capacity(frame.len());
    // Writing to a `Vec` cannot fail.
    let _ = frame.format(&mut out);
    out.into()
}

/// A request to open the stream: checked as axum checks a WebSocket upgrade, answered
/// by [`StreamUpgrade::on_upgrade`].
pub struct StreamUpgrade {
    on_upgrade: OnUpgrade,
    accept: String,
}

impl<S: Send + Sync> FromRequestParts<S> for StreamUpgrade {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        // Taken before axum's check, which takes its own: that one is dropped unanswered.
        let on_upgrade = parts.extensions.get::<OnUpgrade>().cloned();
        drop(axum::extract::ws::WebSocketUpgrade::from_request_parts(parts, state).await?);
        let key = parts.headers.get(header::SEC_WEBSOCKET_KEY);
        match (on_upgrade, key) {
            (Some(on_upgrade), Some(key)) => {
                Ok(Self { on_upgrade, accept: derive_accept_key(key.as_bytes()) })
            }
            _ => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "not_websocket",
                "this endpoint is a WebSocket: the request cannot be upgraded",
            )),
        }
    }
}

impl StreamUpgrade {
    /// Answers 101 and runs `serve` on the socket once the connection is upgraded.
    pub fn on_upgrade<F, Fut>(self, config: WebSocketConfig, serve: F) -> Response
    where
        F: FnOnce(WebSocketStream<TokioIo<Upgraded>>) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(async move {
            let Ok(upgraded) = self.on_upgrade.await else { return };
            let io = TokioIo::new(upgraded);
            serve(WebSocketStream::from_raw_socket(io, Role::Server, Some(config)).await).await;
        });
        let accept = HeaderValue::from_str(&self.accept).expect("base64 is a header value");
        let mut response = Response::new(Body::empty());
        *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
        let headers = response.headers_mut();
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::SEC_WEBSOCKET_ACCEPT, accept);
        response
    }
}

/// An open stream and its keep-alive.
pub struct StreamSocket {
    ws: WebSocketStream<TokioIo<Upgraded>>,
    ping: Interval,
    awaiting_pong: bool,
    send_within: Duration,
}

/// The most frames handed to one vectored write.
const SLICES: usize = 64;

impl StreamSocket {
    /// Takes over an upgraded socket; the first ping goes out one interval from now.
    pub fn new(ws: WebSocketStream<TokioIo<Upgraded>>, policy: &SocketPolicy) -> Self {
        let ping = interval_at(Instant::now() + policy.ping_every, policy.ping_every);
        Self { ws, ping, awaiting_pong: false, send_within: policy.ping_every }
    }

    /// Sends whole frames ([`text_frame`]) in as few writes as the connection takes;
    /// false when the peer is gone or did not take them within one ping interval.
    pub async fn send_all(&mut self, mut frames: Vec<Bytes>) -> bool {
        let ws = &mut self.ws;
        let batch = async move {
            // What tungstenite holds (a pong, a ping) goes first, whole.
            ws.flush().await.map_err(std::io::Error::other)?;
            write_frames(ws.get_mut(), &mut frames).await
        };
        matches!(tokio::time::timeout(self.send_within, batch).await, Ok(Ok(())))
    }

    /// Waits for the peer's next text frame, pinging meanwhile; none once the peer
    /// closed, failed or missed a pong. Cancel-safe between frames, so it can race other
    /// sources in `select!`.
    pub async fn incoming(&mut self) -> Option<()> {
        loop {
            tokio::select! {
                incoming = self.ws.next() => match incoming {
                    Some(Ok(Message::Text(_))) => return Some(()),
                    Some(Ok(Message::Pong(_))) => self.awaiting_pong = false,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
                    Some(Ok(_)) => {}
                },
                _ = self.ping.tick() => {
                    if self.awaiting_pong || self.ws.send(Message::Ping(Bytes::new())).await.is_err() {
                        return None;
                    }
                    self.awaiting_pong = true;
                }
            }
        }
    }

    /// Closes the socket with a code and a reason (the peer may be gone already).
    pub async fn close(&mut self, code: u16, reason: &'static str) {
        let frame = CloseFrame { code: CloseCode::from(code), reason: reason.into() };
        let _ = self.ws.close(Some(frame)).await;
    }

    /// Tells the peer the server stops (1001 or 1012).
    pub async fn farewell(&mut self, farewell: Farewell) {
        let (code, reason) = farewell.code_and_reason();
        self.close(code, reason).await;
    }
}

/// Writes `frames` whole, in vectored writes of up to [`SLICES`] frames; what a write
/// takes is dropped from the front.
async fn write_frames<W: AsyncWrite + Unpin>(
    io: &mut W, frames: &mut [Bytes],
) -> std::io::Result<()> {
    let mut first = 0;
    while first < frames.len() {
        let slices: Vec<IoSlice<'_>> =
            frames[first..].iter().take(SLICES).map(|f| IoSlice::new(f)).collect();
        let mut written = io.write_vectored(&slices).await?;
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        while written > 0 {
            let len = frames[first].len();
            if written >= len {
                written -= len;
                first += 1;
            } else {
                frames[first] = frames[first].slice(written..);
                written = 0;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_headed_with_its_length_in_the_form_its_size_needs() {
        let short = text_frame("hi");
        assert_eq!(&short[..], b"\x81\x02hi");
        let medium = text_frame("x".repeat(300));
        assert_eq!(&medium[..4], [0x81, 126, 1, 44], "300 in two bytes");
        assert_eq!(medium.len(), 304);
        let long = text_frame("x".repeat(70_000));
        assert_eq!(&long[..2], [0x81, 127]);
        assert_eq!(u64::from_be_bytes(long[2..10].try_into().unwrap()), 70_000);
    }

    #[tokio::test]
    async fn frames_cut_by_short_writes_go_out_whole_and_in_order() {
        // A pipe that takes 7 bytes at a time: every frame is cut somewhere.
        let (mut ours, mut theirs) = tokio::io::duplex(7);
        let mut frames: Vec<Bytes> =
            (0..40).map(|n| text_frame(format!("frame {n} {}", "x".repeat(n * 5)))).collect();
        let expected: Vec<u8> = frames.iter().flat_map(|f| f.to_vec()).collect();
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            tokio::io::AsyncReadExt::read_to_end(&mut theirs, &mut got).await.unwrap();
            got
        });
        write_frames(&mut ours, &mut frames).await.unwrap();
        drop(ours);
        assert_eq!(reader.await.unwrap(), expected);
    }
}
