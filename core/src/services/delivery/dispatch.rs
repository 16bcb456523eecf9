//! The outbox worker task: keeps up to [`DeliveryLimits::total`] deliveries in flight,
//! at most [`DeliveryLimits::per_platform`] to one platform, claiming rows only for free
//! slots (a claimed row is sent at once, so its lease is never spent waiting), in
//! batches: one transaction claims what the free slots allow, and the outcomes of the
//! deliveries that ended meanwhile are recorded together in one transaction. A platform
//! that hangs fills its own slots; the others go on.
//!
//! [`DeliveryLimits::total`]: crate::inbox::DeliveryLimits
//! [`DeliveryLimits::per_platform`]: crate::inbox::DeliveryLimits

use super::attempt::Attempt;
use crate::domain::model::Platform;
use crate::inbox::Inbox;
use crate::services::slots::KeyedTasks;
use crate::storage::outbox::Room;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// How often the worker looks for due deliveries without being woken.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How long a stopping worker lets deliveries in flight end; those still running after
/// it are dropped, and their rows are retried once their lease runs out.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// The worker's deliveries in flight and the outcomes they hand back.
struct Worker {
    in_flight: KeyedTasks<Platform>,
    done_tx: mpsc::UnboundedSender<Attempt>,
    done_rx: mpsc::UnboundedReceiver<Attempt>,
}

impl Worker {
    /// Claims and starts deliveries while there are free slots and rows due for them.
    async fn fill(&mut self, inbox: &Arc<Inbox>) {
        let limits = inbox.delivery;
        loop {
            let total = limits.total.saturating_sub(self.in_flight.len());
            let in_flight = self.in_flight.counts();
            let room = Room { total, per_platform: limits.per_platform, in_flight };
            let claimed = match inbox.claim_deliveries(room).await {
                Ok(claimed) if !claimed.is_empty() => claimed,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(message = "Outbox claim failed.", %error);
                    break;
                }
            };
            for c in claimed {
                self.start(inbox, c);
            }
        }
    }

    /// Sends one claimed delivery in a task of its own; its outcome comes back on the
    /// channel (none when its lease was lost, or it panicked: the row is retried).
    fn start(&mut self, inbox: &Arc<Inbox>, claimed: crate::storage::outbox::Claimed) {
        let (inbox, done) = (inbox.clone(), self.done_tx.clone());
        self.in_flight.spawn(claimed.platform.clone(), async move {
            let attempt = AssertUnwindSafe(inbox.attempt_delivery(claimed));
            match attempt.catch_unwind().await {
                Ok(Ok(Some(attempt))) => {
                    let _ = done.send(attempt);
                }
                Ok(Ok(None)) => {}
                Ok(Err(error)) => tracing::warn!(message = "Delivery lease check failed.", %error),
                Err(_) => tracing::error!(message = "A delivery panicked."),
            }
        });
    }

    /// Records every outcome handed back so far, in one transaction.
    async fn record_ended(&mut self, inbox: &Inbox) {
        let mut batch = Vec::new();
        while let Ok(attempt) = self.done_rx.try_recv() {
            batch.push(attempt);
        }
        record(inbox, batch).await;
    }
}

/// Records outcomes in one transaction; if that fails, each on its own, so one outcome
/// the store refuses does not cost the others theirs (and send them twice).
async fn record(inbox: &Inbox, batch: Vec<Attempt>) {
    if batch.len() > 1 {
        match inbox.complete_deliveries(batch.clone()).await {
            Ok(_) => return,
            Err(error) => tracing::warn!(message = "Deliveries recorded one by one.", %error),
        }
    }
    for attempt in batch {
        if let Err(error) = inbox.complete_deliveries(vec![attempt]).await {
            tracing::warn!(message = "A delivery could not be recorded.", %error);
        }
    }
}

/// The outbox worker task: records ended deliveries and starts new ones whenever woken,
/// when one ends, and every [`IDLE_POLL`].
pub(crate) async fn run_loop(inbox: Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let Some(wake) = inbox.upgrade().map(|i| i.outbox_wake.clone()) else {
        return;
    };
    let (done_tx, done_rx) = mpsc::unbounded_channel();
    let mut worker = Worker { in_flight: KeyedTasks::default(), done_tx, done_rx };
    loop {
        worker.in_flight.reap();
        let Some(strong) = inbox.upgrade() else { break };
        worker.record_ended(&strong).await;
        worker.fill(&strong).await;
        drop(strong);
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = worker.in_flight.next_finished() => {}
            _ = shutdown.changed() => break,
        }
    }
    let Worker { in_flight, done_tx, mut done_rx } = worker;
    in_flight.drain(STOP_GRACE).await;
    drop(done_tx);
    if let Some(strong) = inbox.upgrade() {
        let mut batch = Vec::new();
        while let Ok(attempt) = done_rx.try_recv() {
            batch.push(attempt);
        }
        record(&strong, batch).await;
    }
}
