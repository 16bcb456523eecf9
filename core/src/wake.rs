//! Wake-ups of the background tasks: the router's list of sellers and shops whose queues
//! may drain now (a new conversation in a shop; freed capacity or an agent coming online
//! for a seller's shops), so the router task drains them at once instead of waiting for
//! its sweep.

use crate::domain::ids::{SellerId, ShopId};
use std::collections::HashSet;
use std::sync::Mutex;
use tokio::sync::Notify;

/// Sellers and shops whose queues may drain now, and the router task's wake-up.
#[derive(Debug, Default)]
pub struct RouterSignal {
    dirty: Mutex<Marked>,
    wake: Notify,
}

/// What is marked for draining.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Marked {
    /// Every shop of these sellers.
    pub sellers: HashSet<SellerId>,
    /// These shops alone.
    pub shops: HashSet<ShopId>,
}

impl RouterSignal {
    /// Marks a seller's shops for draining and wakes the router.
    pub fn mark(&self, seller: SellerId) {
        self.keep(seller);
        self.wake.notify_one();
    }

    /// Marks one shop for draining (a conversation joined its queue) and wakes the
    /// router: a seller with many shops has only this one looked at.
    pub fn mark_shop(&self, shop: ShopId) {
        self.lock().shops.insert(shop);
        self.wake.notify_one();
    }

    /// Marks a seller again without waking the router (it retries at the next wake-up
    /// or sweep).
    pub fn keep(&self, seller: SellerId) {
        self.lock().sellers.insert(seller);
    }

    /// Marks a shop again without waking the router.
    pub fn keep_shop(&self, shop: ShopId) {
        self.lock().shops.insert(shop);
    }

    /// What is marked, unmarking it.
    pub fn take(&self) -> Marked {
        std::mem::take(&mut *self.lock())
    }

    /// Waits until something is marked.
    pub async fn notified(&self) {
        self.wake.notified().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Marked> {
        self.dirty.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_gather_until_taken_and_a_mark_wakes_the_router() {
        let signal = RouterSignal::default();
        let (seller, shop) = (SellerId::new(), ShopId::new());
        signal.mark_shop(shop);
        signal.keep(seller);
        signal.mark_shop(shop);
        let woken = signal.notified();
        // A mark made before the wait is kept for it (a stored permit).
        let now = futures_poll(woken);
        assert!(now, "woken by the marks");
        let marked = signal.take();
        assert_eq!(marked.shops, HashSet::from([shop]));
        assert_eq!(marked.sellers, HashSet::from([seller]));
        assert_eq!(signal.take(), Marked::default(), "taken once");
    }

    /// Whether `future` is ready at its first poll.
    fn futures_poll(future: impl Future<Output = ()>) -> bool {
        let mut future = std::pin::pin!(future);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        future.as_mut().poll(&mut cx).is_ready()
    }
}
