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

pub mod append;
pub mod hydrate;
pub mod listen;
pub mod replay;

use crate::inbox::Inbox;
use crate::storage::store::Backend;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// How long the log keeps a record: a client away longer reloads (`resync`).
pub const RETENTION: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The cross-daemon state of an inbox: the watermark its streams hand out as cursors.
#[derive(Debug)]
pub struct Live {
    watermark: watch::Sender<i64>,
}

impl Live {
    fn new() -> Self {
        Self { watermark: watch::channel(0).0 }
    }
}

impl Inbox {
    /// The cursor a stream hands its client, updated as this daemon reads the log (none
    /// on SQLite: one daemon, no log).
    pub fn live_cursor(&self) -> Option<watch::Receiver<i64>> {
        self.live.as_ref().map(|l| l.watermark.subscribe())
    }
}

/// The state of an inbox on `backend`: the log only exists on PostgreSQL.
pub(crate) fn state_for(backend: Backend) -> Option<Live> {
    (backend == Backend::Postgres).then(Live::new)
}

/// Starts the appender and the listener (PostgreSQL only).
pub(crate) fn start(
    inbox: &Arc<Inbox>, stop: impl Fn() -> watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let Some(live) = &inbox.live else { return Vec::new() };
    let Some(url) = inbox.store.postgres_url().map(str::to_owned) else { return Vec::new() };
    let (tx, rx) = mpsc::unbounded_channel();
    inbox.events.relay_to(inbox.instance_id.clone(), tx);
    let weak = Arc::downgrade(inbox);
    let appender =
        append::Appender { store: inbox.store.clone(), origin: inbox.instance_id.clone() };
    let listener = listen::Listener { inbox: weak, url, watermark: live.watermark.clone() };
    vec![tokio::spawn(appender.run(rx, stop())), tokio::spawn(listener.run(stop()))]
}
