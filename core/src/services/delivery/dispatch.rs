//! The outbox worker task: keeps up to [`DeliveryLimits::total`] deliveries in flight,
//! at most [`DeliveryLimits::per_platform`] to one platform, claiming a row only when it
//! has a free slot for that row's platform (a claimed row is sent at once, so its lease
//! is never spent waiting). A platform that hangs fills its own slots; the others go on.
//!
//! [`DeliveryLimits::total`]: crate::inbox::DeliveryLimits
//! [`DeliveryLimits::per_platform`]: crate::inbox::DeliveryLimits

use crate::domain::model::Platform;
use crate::inbox::Inbox;
use crate::services::slots::KeyedTasks;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::watch;

/// How often the worker looks for due deliveries without being woken.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// How long a stopping worker lets deliveries in flight record their outcome; those
/// still running after it are dropped, and their rows are retried once their lease
/// runs out.
const STOP_GRACE: Duration = Duration::from_secs(1);

/// Claims and starts deliveries while there are free slots and rows due for them.
async fn fill(in_flight: &mut KeyedTasks<Platform>, inbox: &Arc<Inbox>) {
    let limits = inbox.delivery;
    while in_flight.len() < limits.total {
        let busy = in_flight.busy(limits.per_platform);
        let claimed = match inbox.claim_delivery(&busy).await {
            Ok(Some(claimed)) => claimed,
            Ok(None) => break,
            Err(error) => {
                tracing::warn!(message = "Outbox claim failed.", %error);
                break;
            }
        };
        let platform = claimed.platform.clone();
        let inbox = inbox.clone();
        in_flight.spawn(platform, async move {
            let attempt = AssertUnwindSafe(inbox.perform_delivery(claimed));
            match attempt.catch_unwind().await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => {
                    tracing::warn!(message = "Delivery could not be recorded.", %error);
                }
                Err(_) => tracing::error!(message = "A delivery panicked."),
            }
        });
    }
}

/// The outbox worker task: starts deliveries whenever woken, when one ends, and every
/// [`IDLE_POLL`].
pub(crate) async fn run_loop(inbox: Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let Some(wake) = inbox.upgrade().map(|i| i.outbox_wake.clone()) else {
        return;
    };
    let mut in_flight = KeyedTasks::default();
    loop {
        in_flight.reap();
        let Some(strong) = inbox.upgrade() else { break };
        fill(&mut in_flight, &strong).await;
        drop(strong);
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = in_flight.next_finished() => {}
            _ = shutdown.changed() => break,
        }
    }
    in_flight.drain(STOP_GRACE).await;
}
