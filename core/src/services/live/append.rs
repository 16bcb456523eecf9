//! The appender: takes what this daemon publishes (after its commit) from the bus's
//! relay channel and appends it to the log in batches, one transaction per batch; and
//! prunes records older than [`RETENTION`](super::RETENTION) now and then. A batch that
//! fails is retried; the daemon's own streams had the events at once.
//! After each batch it signals the announcer ([`super::announce`]).

use crate::clock::wall_millis;
use crate::events::RelayRecord;
use crate::storage::live_events;
use crate::storage::store::Store;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Notify, mpsc, watch};

/// Most records appended in one transaction.
const BATCH: usize = 1000;

/// Attempts at one batch before it is dropped (the events' changes are stored; other
/// daemons' clients see them on their next reload).
const ATTEMPTS: u32 = 5;

/// How often old records are pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(60);

/// The appending task's state.
pub(crate) struct Appender {
    pub store: Store,
    pub origin: String,
    /// The announcer's signal.
    pub appended: Arc<Notify>,
}

impl Appender {
    /// Appends until the bus is dropped or the daemon stops (what is queued then is
    /// still appended).
    pub async fn run(
        self, mut rx: mpsc::UnboundedReceiver<RelayRecord>, mut stop: watch::Receiver<bool>,
    ) {
        let mut buf = Vec::with_capacity(BATCH);
        let mut pruned_at = Instant::now();
        let mut stopping = false;
        loop {
            let n = tokio::select! {
                n = rx.recv_many(&mut buf, BATCH) => n,
                _ = stop.changed(), if !stopping => {
                    // What is queued is still appended; then `recv_many` answers 0.
                    stopping = true;
                    rx.close();
                    continue;
                }
            };
            if n == 0 {
                break;
            }
            self.append(&buf).await;
            buf.clear();
            self.appended.notify_one();
            if !stopping && pruned_at.elapsed() >= PRUNE_EVERY {
                pruned_at = Instant::now();
                self.prune().await;
            }
        }
        // The announcer stopped with the daemon: the last records' notification.
        super::announce::announce(&self.store).await;
    }

    async fn append(&self, records: &[RelayRecord]) {
        for attempt in 1..=ATTEMPTS {
            match live_events::append(&self.store, &self.origin, records, wall_millis()).await {
                Ok(()) => return,
                Err(error) if attempt == ATTEMPTS => {
                    tracing::warn!(message = "Live events not relayed to the other daemons.", %error, records = records.len());
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100 << attempt)).await,
            }
        }
    }

    async fn prune(&self) {
        let before = wall_millis() - super::RETENTION.as_millis() as i64;
        if let Err(error) = live_events::prune(&self.store, before).await {
            tracing::warn!(message = "Could not prune the live-event log.", %error);
        }
    }
}
