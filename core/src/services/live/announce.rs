//! The announcer: tells every daemon's listener, with `pg_notify`, that this daemon
//! appended records to the log, after their commits: the appender's batches and the
//! ingest groups' own records ([`EventBus::logged`](crate::events::EventBus::logged)).
//!
//! Not inside the appending transactions: a transaction that notifies takes a lock of
//! the whole database at its commit, so the ingest writers' commits would take turns.
//! And not once per commit: every notification has every listener read the log. The
//! signals that come while it announces, and for [`GAP`] after, make one notification,
//! so a record reaches the other daemons at most [`GAP`] plus a round trip later (the
//! listeners also read the log every second, should a notification be lost).

use crate::storage::live_events;
use crate::storage::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// The least time between two notifications of one daemon (ingest_bench on PostgreSQL,
/// in turn with one notification per commit: ×1.06–×1.18 at 20 ms, no gain at 5 ms).
pub const GAP: Duration = Duration::from_millis(20);

/// The announcing task's state.
pub(crate) struct Announcer {
    pub store: Store,
    /// Signalled after records were appended.
    pub appended: Arc<Notify>,
}

impl Announcer {
    /// Announces until the daemon stops (the appender announces its last batch itself).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = self.appended.notified() => {}
                _ = stop.changed() => return,
            }
            announce(&self.store).await;
            tokio::select! {
                _ = tokio::time::sleep(GAP) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

/// Notifies the listeners once; a failure only delays them (they read every second).
pub(crate) async fn announce(store: &Store) {
    if let Err(error) = live_events::announce(store).await {
        tracing::debug!(message = "Could not announce live events.", %error);
    }
}
