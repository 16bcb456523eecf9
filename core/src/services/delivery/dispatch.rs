//! The outbox worker task: keeps up to [`DeliveryLimits::total`] deliveries in flight,
//! at most [`DeliveryLimits::per_platform`] to one platform, claiming a row only when it
//! has a free slot for that row's platform (a claimed row is sent at once, so its lease
//! is never spent waiting). A platform that hangs fills its own slots; the others go on.
//!
//! [`DeliveryLimits::total`]: crate::inbox::DeliveryLimits
//! [`DeliveryLimits::per_platform`]: crate::inbox::DeliveryLimits

use crate::domain::model::Platform;
use crate::inbox::Inbox;
use futures_util::FutureExt;
use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How often the worker looks for due deliveries without being woken.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How long a stopping worker lets deliveries in flight record their outcome; those
/// still running after it are dropped, and their rows are retried once their lease
/// runs out.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// Deliveries in flight, by platform.
#[derive(Default)]
struct InFlight {
    tasks: JoinSet<Platform>,
    per_platform: HashMap<Platform, usize>,
}

impl InFlight {
    /// The platforms at their limit.
    fn busy(&self, limit: usize) -> Vec<Platform> {
        self.per_platform.iter().filter(|(_, n)| **n >= limit).map(|(p, _)| p.clone()).collect()
    }

    fn finished(&mut self, platform: Platform) {
        if let Some(n) = self.per_platform.get_mut(&platform) {
            *n = n.saturating_sub(1);
        }
    }

    /// Notes the deliveries that ended, without waiting.
    fn reap(&mut self) {
        while let Some(done) = self.tasks.try_join_next() {
            if let Ok(platform) = done {
                self.finished(platform);
            }
        }
    }

    /// Claims and starts deliveries while there are free slots and rows due for them.
    async fn fill(&mut self, inbox: &Arc<Inbox>) {
        let limits = inbox.delivery;
        while self.tasks.len() < limits.total {
            let busy = self.busy(limits.per_platform);
            let claimed = match inbox.claim_delivery(&busy).await {
                Ok(Some(claimed)) => claimed,
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(message = "Outbox claim failed.", %error);
                    break;
                }
            };
            let platform = claimed.platform.clone();
            *self.per_platform.entry(platform.clone()).or_default() += 1;
            let inbox = inbox.clone();
            self.tasks.spawn(async move {
                let attempt = AssertUnwindSafe(inbox.perform_delivery(claimed));
                match attempt.catch_unwind().await {
                    Ok(Ok(_)) => {}
                    Ok(Err(error)) => {
                        tracing::warn!(message = "Delivery could not be recorded.", %error);
                    }
                    Err(_) => tracing::error!(message = "A delivery panicked."),
                }
                platform
            });
        }
    }
}

/// The outbox worker task: starts deliveries whenever woken, when one ends, and every
/// [`IDLE_POLL`].
pub(crate) async fn run_loop(inbox: Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let Some(wake) = inbox.upgrade().map(|i| i.outbox_wake.clone()) else {
        return;
    };
    let mut in_flight = InFlight::default();
    loop {
        in_flight.reap();
        let Some(strong) = inbox.upgrade() else { break };
        in_flight.fill(&strong).await;
        drop(strong);
        let running = !in_flight.tasks.is_empty();
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            Some(Ok(platform)) = in_flight.tasks.join_next(), if running => {
                in_flight.finished(platform);
            }
            _ = shutdown.changed() => break,
        }
    }
    let drain = async { while in_flight.tasks.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(STOP_GRACE, drain).await;
}
