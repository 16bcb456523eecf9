//! A WebSocket connection's writing side, shared by the socket's task and the live
//! streams' hub: every byte for the peer — the hub's frames, the task's own, the
//! control frames tungstenite writes (pings, pongs, the close) — joins one queue, in
//! order, and leaves it from the front under one lock, so frames never interleave.
//!
//! The hub writes its frames itself while the queue is empty: a non-blocking attempt
//! that, when the peer keeps up, puts them on the connection without waking the
//! socket's task (with 10,000 streams, that task's wake-up, its queue and its time limit
//! were a fifth of the daemon's work per frame). What the connection does not take waits
//! in the queue, and the task is woken to write it as the connection takes it (under
//! the socket's time limit: a stalled peer ends the socket). The hub never waits.
//!
//! A stream's wire is made before its connection exists (its subscription is taken
//! before the upgrade is answered), and the hub only queues to it until the socket's
//! task opens it, after its first frames (the events a reconnecting client missed):
//! nothing the hub sends overtakes them.

use axum::body::Bytes;
use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// A connection a wire can carry.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// The most queued pieces handed to one vectored write.
const SLICES: usize = 64;

/// A connection's writing side (see the module comment).
#[derive(Default)]
pub struct Wire {
    state: Mutex<State>,
    /// Bytes wait for the socket's task.
    waiting: Notify,
}

#[derive(Default)]
struct State {
    /// The connection; none before it is attached and once it is closed or failed.
    io: Option<Box<dyn Io>>,
    /// What waits to be written, in order: whole frames, the first perhaps a frame's
    /// rest.
    queue: VecDeque<Bytes>,
    /// Whether writes may start at once (the socket's task opened the wire).
    open: bool,
    /// A write failed or the wire was closed: nothing more is written.
    ended: bool,
}

/// What [`Wire::offer`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Offered {
    /// Written or queued (or dropped, on a wire that ended).
    Taken,
    /// No room for them all: nothing queued.
    Full,
}

impl Wire {
    /// A wire that queues until its socket's task opens it ([`Wire::open_with`]).
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// A wire open from the start: a socket nothing else writes to before its task.
    pub fn opened() -> Arc<Self> {
        let wire = Self::new();
        wire.lock().open = true;
        wire
    }

    /// A wire already open, on `io`.
    #[cfg(test)]
    fn open_on(io: impl Io + 'static) -> Arc<Self> {
        let wire = Self::opened();
        wire.attach(io);
        wire
    }

    /// Gives the wire its connection.
    pub fn attach(&self, io: impl Io + 'static) {
        let mut state = self.lock();
        if !state.ended {
            state.io = Some(Box::new(io));
        }
    }

    /// The hub's side: queues `frames` if the queue keeps at most `room` pieces with
    /// them, and writes at once what the connection takes when nothing waited before
    /// them; the socket's task is woken for what is left. Never waits.
    pub fn offer(&self, frames: Vec<Bytes>, room: usize) -> Offered {
        let mut state = self.lock();
        if state.ended {
            return Offered::Taken;
        }
        if state.queue.len() + frames.len() > room {
            return Offered::Full;
        }
        let was_empty = state.queue.is_empty();
        state.queue.extend(frames);
        if was_empty && state.open {
            // Nobody waits to write (the queue was empty): a write-readiness waker set
            // here replaces none that matters, and the task is woken below for the rest.
            let mut cx = Context::from_waker(Waker::noop());
            if let Poll::Ready(Err(_)) = state.write_out(&mut cx) {
                state.end();
            }
        }
        let left = !state.queue.is_empty() || state.ended;
        drop(state);
        if left {
            self.waiting.notify_one();
        }
        Offered::Taken
    }

    /// Queues `frames` behind what waits (the socket's own frames: no room limit).
    pub fn queue(&self, frames: Vec<Bytes>) {
        let mut state = self.lock();
        if !state.ended {
            state.queue.extend(frames);
        }
    }

    /// Puts `first` before everything queued and opens the wire: writes start at once
    /// from now on.
    pub fn open_with(&self, first: Vec<Bytes>) {
        let mut state = self.lock();
        for frame in first.into_iter().rev() {
            state.queue.push_front(frame);
        }
        state.open = true;
    }

    /// Resolves when bytes wait for the socket's task (or the wire ended). Cancel-safe.
    pub async fn wanted(&self) {
        self.waiting.notified().await;
    }

    /// Writes everything queued; an error once the connection failed or is closed.
    pub async fn flush(&self) -> io::Result<()> {
        std::future::poll_fn(|cx| self.poll_flush(cx)).await
    }

    /// Writes what is queued as the connection takes it; ready once nothing waits.
    fn poll_flush(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut state = self.lock();
        let polled = state.write_out(cx);
        if let Poll::Ready(Err(_)) = polled {
            state.end();
        }
        polled
    }

    /// Drops the connection (closing it) and anything queued: the socket ended.
    pub fn close(&self) {
        self.lock().end();
    }

    /// What waits, in order (tests).
    #[cfg(test)]
    pub fn queued(&self) -> Vec<Bytes> {
        self.lock().queue.iter().cloned().collect()
    }

    /// Takes what waits off the wire, as writing it out would (tests).
    #[cfg(test)]
    pub fn take_queued(&self) -> Vec<Bytes> {
        self.lock().queue.drain(..).collect()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl State {
    /// Writes from the front of the queue until it is empty or the connection takes no
    /// more (pending).
    fn write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(io) = self.io.as_mut() else {
            // Ended, or not attached yet: the socket's task starts only once it is.
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        };
        while !self.queue.is_empty() {
            let slices: Vec<IoSlice<'_>> =
                self.queue.iter().take(SLICES).map(|piece| IoSlice::new(piece)).collect();
            let written = match Pin::new(&mut *io).poll_write_vectored(cx, &slices) {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => n,
                other => return other.map(|r| r.map(|_| ())),
            };
            drop(slices);
            consume(&mut self.queue, written);
        }
        Poll::Ready(Ok(()))
    }

    fn end(&mut self) {
        self.ended = true;
        self.io = None;
        self.queue.clear();
    }
}

/// Drops `written` bytes from the front of `queue`.
fn consume(queue: &mut VecDeque<Bytes>, mut written: usize) {
    while written > 0 {
        let Some(front) = queue.front_mut() else { return };
        if written >= front.len() {
            written -= front.len();
            queue.pop_front();
        } else {
            *front = front.slice(written..);
            written = 0;
        }
    }
}

/// The wire as tungstenite's connection: it reads the peer's frames from the connection
/// and writes its control frames into the wire's queue (accepted at once, in order
/// behind what waits; flushing writes them out).
pub struct WireIo(pub Arc<Wire>);

impl AsyncRead for WireIo {
    fn poll_read(
        self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut state = self.0.lock();
        match state.io.as_mut() {
            Some(io) => Pin::new(&mut **io).poll_read(cx, buf),
            // Closed: the end of the stream.
            None => Poll::Ready(Ok(())),
        }
    }
}

impl AsyncWrite for WireIo {
    fn poll_write(
        self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut state = self.0.lock();
        if state.ended {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        state.queue.push_back(Bytes::copy_from_slice(buf));
        if let Poll::Ready(Err(e)) = state.write_out(cx) {
            state.end();
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.0.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.0.poll_flush(cx)?.is_pending() {
            return Poll::Pending;
        }
        let mut state = self.0.lock();
        match state.io.as_mut() {
            Some(io) => Pin::new(&mut **io).poll_shutdown(cx),
            None => Poll::Ready(Ok(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::ws_upgrade::text_frame;
    use tokio::io::AsyncReadExt;

    /// What the peer (`theirs`) reads once everything on `wire` is written and the
    /// wire closed.
    async fn written_out(wire: &Wire, mut theirs: tokio::io::DuplexStream) -> Vec<u8> {
        let reader = tokio::spawn(async move {
            let mut got = Vec::new();
            theirs.read_to_end(&mut got).await.unwrap();
            got
        });
        wire.flush().await.unwrap();
        wire.close();
        reader.await.unwrap()
    }

    #[tokio::test]
    async fn frames_cut_by_short_writes_go_out_whole_and_in_order() {
        // A pipe that takes 7 bytes at a time: every frame is cut somewhere.
        let (ours, theirs) = tokio::io::duplex(7);
        let wire = Wire::open_on(ours);
        let frames: Vec<Bytes> =
            (0..40).map(|n| text_frame(format!("frame {n} {}", "x".repeat(n * 5)))).collect();
        let expected: Vec<u8> = frames.iter().flat_map(|f| f.to_vec()).collect();
        wire.queue(frames);
        assert_eq!(written_out(&wire, theirs).await, expected);
    }

    #[tokio::test]
    async fn the_hub_writes_what_the_connection_takes_and_the_rest_waits_in_order() {
        let (ours, theirs) = tokio::io::duplex(8);
        let wire = Wire::open_on(ours);
        assert_eq!(wire.offer(vec![Bytes::from_static(b"abcd")], 16), Offered::Taken);
        assert!(wire.lock().queue.is_empty(), "written at once, no task involved");
        wire.offer(vec![Bytes::from_static(b"efghij")], 16);
        assert_eq!(wire.lock().queue.len(), 1, "the pipe took 4 of 6 bytes");
        wire.offer(vec![Bytes::from_static(b"kl")], 16);
        assert_eq!(
            wire.offer(vec![Bytes::from_static(b"m"), Bytes::from_static(b"n")], 2),
            Offered::Full,
            "two waiting already: no room for two more"
        );
        // The task, woken, writes the rest as the peer reads.
        tokio::time::timeout(std::time::Duration::from_secs(5), wire.wanted()).await.unwrap();
        assert_eq!(written_out(&wire, theirs).await, b"abcdefghijkl");
    }

    #[tokio::test]
    async fn nothing_is_written_before_the_wire_opens_and_its_first_frames_go_first() {
        let (ours, theirs) = tokio::io::duplex(64);
        let wire = Wire::new();
        wire.offer(vec![Bytes::from_static(b"live ")], 16);
        wire.attach(ours);
        wire.offer(vec![Bytes::from_static(b"more")], 16);
        assert_eq!(wire.lock().queue.len(), 2, "queued until opened");
        wire.open_with(vec![Bytes::from_static(b"missed ")]);
        assert_eq!(written_out(&wire, theirs).await, b"missed live more");
    }

    #[tokio::test]
    async fn control_frames_written_through_the_wire_keep_their_place_behind_frames() {
        let (ours, theirs) = tokio::io::duplex(4);
        let wire = Wire::open_on(ours);
        wire.offer(vec![Bytes::from_static(b"frame-one")], 16);
        let mut io = WireIo(wire.clone());
        tokio::io::AsyncWriteExt::write_all(&mut io, b"[ping]").await.unwrap();
        assert_eq!(written_out(&wire, theirs).await, b"frame-one[ping]");
    }

    #[tokio::test]
    async fn a_closed_wire_takes_nothing_more_and_reports_the_end() {
        let (ours, _theirs) = tokio::io::duplex(64);
        let wire = Wire::open_on(ours);
        wire.close();
        assert_eq!(wire.offer(vec![Bytes::from_static(b"x")], 16), Offered::Taken);
        assert!(wire.lock().queue.is_empty());
        assert!(wire.flush().await.is_err());
    }
}
