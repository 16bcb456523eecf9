//! The stream bench's lean reader for its silent streams (all but one stream per shop):
//! a WebSocket client that opens the connection by hand and walks the frames' headers,
//! answering pings, counting text frames, without decoding or copying a frame. With
//! 10,000 streams on the daemon's two cores, tungstenite's work per frame in the client
//! (its checks, a buffer per message) took CPU that the daemon's figures then paid for.
//! Every byte is still read, so a slow reader holds the daemon up as a real one would.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The text of a `resync` frame.
const RESYNC: &[u8] = br#"{"type":"resync"}"#;

/// Opens `path` (with its query) on `addr` (`host:port`) as a WebSocket: the connection
/// and the bytes read past the answer's head, or none when the daemon did not switch.
pub async fn open(addr: &str, path: &str) -> Option<(TcpStream, Vec<u8>)> {
    let mut socket = TcpStream::connect(addr).await.ok()?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: c2hvcG11eC1iZW5jaC1rZXk=\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.ok()?;
    let mut head = Vec::with_capacity(1024);
    loop {
        if socket.read_buf(&mut head).await.ok()? == 0 {
            return None;
        }
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            let rest = head.split_off(end + 4);
            return head.starts_with(b"HTTP/1.1 101").then_some((socket, rest));
        }
    }
}

/// Reads frames until the connection ends, answering pings; `on_text(is_resync)` for
/// each text frame.
pub async fn read(mut socket: TcpStream, mut buf: Vec<u8>, mut on_text: impl FnMut(bool)) {
    loop {
        let mut at = 0;
        while let Some((opcode, start, end)) = frame_at(&buf[at..]) {
            let payload = &buf[at + start..at + end];
            match opcode {
                0x1 => on_text(payload == RESYNC),
                0x8 => return,
                0x9 if socket.write_all(&pong(payload)).await.is_err() => return,
                _ => {}
            }
            at += end;
        }
        buf.drain(..at);
        buf.reserve(8192);
        if !matches!(socket.read_buf(&mut buf).await, Ok(n) if n > 0) {
            return;
        }
    }
}

/// The opcode, and the payload's start and end, of the frame at the front of `bytes`
/// when it is all there (the server's frames are not masked).
fn frame_at(bytes: &[u8]) -> Option<(u8, usize, usize)> {
    let (first, second) = (*bytes.first()?, *bytes.get(1)?);
    let (len, start) = match second & 0x7f {
        126 => (u16::from_be_bytes(bytes.get(2..4)?.try_into().ok()?) as usize, 4),
        127 => (u64::from_be_bytes(bytes.get(2..10)?.try_into().ok()?) as usize, 10),
        n => (n as usize, 2),
    };
    (bytes.len() >= start + len).then_some((first & 0x0f, start, start + len))
}

/// A pong carrying a ping's payload (a client's frames are masked; this mask is zero).
fn pong(payload: &[u8]) -> Vec<u8> {
    let mut frame = vec![0x8a, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}
