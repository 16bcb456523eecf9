//! The API's WebSocket upgrade, answered by the API itself so that its sockets
//! ([`super::socket`]) can write whole frames ([`text_frame`], encoded once however many
//! sockets they go to) straight to the upgraded connection, through its [`Wire`]. With 10,000 open live
//! streams, tungstenite's own write buffer (kept at its largest size by each connection)
//! weighed ~80 MB, and copying every frame into it was work done once per socket instead
//! of once. axum checks the request, so a refusal keeps its code.

use super::error::ApiError;
use super::wire::{Wire, WireIo};
use axum::body::{Body, Bytes};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::Frame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};

/// A whole WebSocket text frame, header included, as the server sends it (unmasked).
pub fn text_frame(text: impl Into<Bytes>) -> Bytes {
    let frame = Frame::message(text.into(), OpCode::Data(Data::Text), true);
    let mut out = Vec::with_capacity(frame.len());
    // Writing to a `Vec` cannot fail.
    let _ = frame.format(&mut out);
    out.into()
}

/// The upgraded connection a socket runs on: tungstenite over its wire.
pub type Connection = WebSocketStream<WireIo>;

/// Most bytes of control frames tungstenite holds for a peer that has not taken them.
const MAX_WRITE_BUFFER: usize = 64 * 1024;

/// A request to open a WebSocket: checked as axum checks one, answered by
/// [`WsUpgrade::on_upgrade`].
pub struct WsUpgrade {
    on_upgrade: OnUpgrade,
    accept: String,
}

impl<S: Send + Sync> FromRequestParts<S> for WsUpgrade {
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

impl WsUpgrade {
    /// Answers 101 and runs `serve` on the connection once it is upgraded, carried by
    /// `wire` (opened already, or by the socket's task), read with `config`'s limits
    /// (tungstenite writes only control frames, each at once).
    pub fn on_upgrade<F, Fut>(self, config: WebSocketConfig, wire: Arc<Wire>, serve: F) -> Response
    where
        F: FnOnce(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let config = config.write_buffer_size(0).max_write_buffer_size(MAX_WRITE_BUFFER);
        tokio::spawn(async move {
            let Ok(upgraded) = self.on_upgrade.await else { return };
            wire.attach(TokioIo::new(upgraded));
            let io = WireIo(wire);
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
}
