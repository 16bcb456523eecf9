//! Wake-ups of the background tasks: the router's list of sellers whose queues may
//! drain now (a new conversation, freed capacity, an agent coming online), so the router
//! task drains them at once instead of waiting for its sweep.

use crate::domain::ids::SellerId;
use std::collections::HashSet;
use std::sync::Mutex;
use tokio::sync::Notify;

/// Sellers whose queues may drain now, and the router task's wake-up.
#[derive(Debug, Default)]
pub struct RouterSignal {
    dirty: Mutex<HashSet<SellerId>>,
    wake: Notify,
}

impl RouterSignal {
    /// Marks a seller for draining and wakes the router.
    pub fn mark(&self, seller: SellerId) {
        self.dirty.lock().unwrap_or_else(|e| e.into_inner()).insert(seller);
        self.wake.notify_one();
    }

    /// Marks a seller again without waking the router (it retries at the next wake-up
    /// or sweep).
    pub fn keep(&self, seller: SellerId) {
        self.dirty.lock().unwrap_or_else(|e| e.into_inner()).insert(seller);
    }

    /// The marked sellers, unmarking them.
    pub fn take(&self) -> HashSet<SellerId> {
        std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Waits until a seller is marked.
    pub async fn notified(&self) {
        self.wake.notified().await;
    }
}
