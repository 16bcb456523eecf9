//! Live events across daemons (several daemons on one PostgreSQL database): everything
//! a daemon publishes on its [`EventBus`](crate::events::EventBus) is appended to the
//! database's event log ([`append`]; an ingest group's events inside the group's own
//! transaction), announced with `pg_notify`, and read back by every other daemon
//! ([`listen`]), which reads the rest on demand ([`hydrate`]) and publishes it to its
//! own streams. The log's sequence is the clients' cursor: a stream that reconnects,
//! to any daemon, gets what it missed ([`replay`]). SQLite has one daemon and no log.
//!
//! **Invariant:** a cursor never runs ahead of what was delivered. The listener hands a
//! record to the local bus before it moves the watermark past it, and a sequence number
//! skipped by a transaction still open (a hole) holds the watermark back until it
//! commits or [`listen::HOLE_WAIT`] passes. A replayed event may repeat one the client
//! already had; events carry whole states (a message, a conversation), so a repeat is
//! harmless.

pub mod announce;
pub mod append;
pub mod hydrate;
pub mod listen;
pub mod replay;
pub mod start;

use crate::storage::store::Backend;
use tokio::sync::watch;

/// How long the log keeps a record: a client away longer reloads (`resync`).
pub const RETENTION: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The cross-daemon state of an inbox: the watermark its streams hand out as cursors,
/// and whether its listener has started: it delivers what is appended after its first
/// read of the log, so until then this daemon's streams would miss the others' events.
#[derive(Debug)]
pub struct Live {
    watermark: watch::Sender<i64>,
    listening: watch::Sender<bool>,
}

impl Live {
    fn new() -> Self {
        Self { watermark: watch::channel(0).0, listening: watch::channel(false).0 }
    }

    /// A receiver of the watermark.
    pub fn cursor(&self) -> watch::Receiver<i64> {
        self.watermark.subscribe()
    }

    /// A receiver of whether the listener has started (see [`Live`]).
    pub fn listening(&self) -> watch::Receiver<bool> {
        self.listening.subscribe()
    }
}

/// The state of an inbox on `backend`: the log only exists on PostgreSQL.
pub(crate) fn state_for(backend: Backend) -> Option<Live> {
    (backend == Backend::Postgres).then(Live::new)
}
