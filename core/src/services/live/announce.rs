//! The announcer: tells every daemon's listener, with `pg_notify`, that this daemon
//! appended records to the log, after their commits: the appender's batches and the
//! ingest groups' own records ([`EventBus::logged`](crate::events::EventBus::logged)).
//!
//! Not inside the appending transactions: a transaction that notifies takes a lock of
//! the whole database at its commit, so the ingest writers' commits would take turns.
//! And not once per commit under load: every notification has every listener read the
//! log. Notifications are paced by a [`Pacer`]: a few at once after a quiet spell (an
//! event of a quiet daemon reaches the others within a round trip), then one per [`GAP`]
//! (the signals that come meanwhile make one notification). The listeners also read the
//! log every second, should a notification be lost.

use crate::storage::live_events;
use crate::storage::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use tokio::time::Instant;

/// The least time between two notifications of one daemon under load (ingest_bench on
/// PostgreSQL against one notification per commit, in turn: ×1.13–×1.17 at 20 ms; no
/// gain at 5 ms).
pub const GAP: Duration = Duration::from_millis(20);

/// Notifications sent at once after a quiet spell.
const BURST: u32 = 4;

/// A token bucket: [`BURST`] notifications, one more earned per [`GAP`].
#[derive(Debug)]
pub struct Pacer {
    tokens: u32,
    since: Instant,
}

impl Pacer {
    /// A full bucket at `now`.
    pub fn new(now: Instant) -> Self {
        Self { tokens: BURST, since: now }
    }

    /// Takes a notification at `now`: when it may go (`now`, or when the next one is
    /// earned).
    pub fn take(&mut self, now: Instant) -> Instant {
        let waited = now.saturating_duration_since(self.since).as_millis() / GAP.as_millis();
        let earned = waited.min(u128::from(BURST)) as u32;
        if self.tokens + earned >= BURST {
            (self.tokens, self.since) = (BURST, now);
        } else {
            self.tokens += earned;
            self.since += GAP * earned;
        }
        if self.tokens > 0 {
            self.tokens -= 1;
            return now;
        }
        // The next one is earned at `since + GAP`, and spent then.
        self.since += GAP;
        self.since
    }
}

/// The announcing task's state.
pub(crate) struct Announcer {
    pub store: Store,
    /// Signalled after records were appended.
    pub appended: Arc<Notify>,
}

impl Announcer {
    /// Announces until the daemon stops (the appender announces its last batch itself).
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut pacer = Pacer::new(Instant::now());
        loop {
            tokio::select! {
                _ = self.appended.notified() => {}
                _ = stop.changed() => return,
            }
            tokio::select! {
                _ = tokio::time::sleep_until(pacer.take(Instant::now())) => {}
                _ = stop.changed() => return,
            }
            announce(&self.store).await;
        }
    }
}

/// Notifies the listeners once; a failure only delays them (they read every second).
pub(crate) async fn announce(store: &Store) {
    if let Err(error) = live_events::announce(store).await {
        tracing::debug!(message = "Could not announce live events.", %error);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_daemon_announces_at_once_and_a_busy_one_once_per_gap() {
        let start = Instant::now();
        let mut pacer = Pacer::new(start);
        // A burst after a quiet spell goes at once...
        for _ in 0..BURST {
            assert_eq!(pacer.take(start), start);
        }
        // ...then one per gap, each when it is earned.
        assert_eq!(pacer.take(start), start + GAP);
        assert_eq!(pacer.take(start + GAP), start + GAP * 2);
        // Quiet for a while: the bucket fills up again, no more than full.
        let later = start + GAP * 40;
        for _ in 0..BURST {
            assert_eq!(pacer.take(later), later);
        }
        assert_eq!(pacer.take(later), later + GAP);
    }
}
