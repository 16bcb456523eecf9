//! The ingest writers' queues ([`IngestLanes`]): one writer on SQLite, whose writes
//! take turns anyway; several on PostgreSQL, each writing its groups while the others
//! write theirs. A message goes to its buyer's lane ([`write_locks::buyer_key`]), so
//! that the groups in flight never share a buyer and a buyer's messages are written in
//! the order they came. Groups of one seller in different lanes share the seller's lock
//! and hold their buyers' ([`write_locks`]).

use super::queue::{IngestJob, Job, spawn_writer};
use crate::clock::Clock;
use crate::domain::ids::ShopId;
use crate::events::EventBus;
use crate::storage::store::{Backend, Store};
use crate::storage::write_locks;
use crate::wake::RouterSignal;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// The writers' queues, one per lane.
pub struct IngestLanes {
    lanes: Vec<mpsc::Sender<IngestJob>>,
}

impl IngestLanes {
    /// Queues a message in its buyer's lane; gives it back when the writers have
    /// stopped.
    pub async fn send(&self, job: Job) -> Result<(), Job> {
        let lane = lane_of(job.0.shop_id, &job.1.buyer.external_id, self.lanes.len());
        match self.lanes[lane].send(IngestJob::Message(Box::new(job))).await {
            Ok(()) => Ok(()),
            Err(mpsc::error::SendError(IngestJob::Message(job))) => Err(*job),
            Err(mpsc::error::SendError(IngestJob::Stop)) => unreachable!("a message was sent"),
        }
    }

    /// Asks every writer to stop after what is queued.
    pub async fn stop(&self) {
        for lane in &self.lanes {
            let _ = lane.send(IngestJob::Stop).await;
        }
    }

    /// Messages queued in all lanes.
    pub fn queued(&self) -> usize {
        self.lanes.iter().map(|l| l.max_capacity() - l.capacity()).sum()
    }

    /// How many messages the lanes hold in all before senders wait.
    pub fn capacity(&self) -> usize {
        self.lanes.iter().map(|l| l.max_capacity()).sum()
    }
}

/// How the writers are set up.
pub struct WriterOptions {
    /// Most messages a group holds.
    pub max_batch: usize,
    /// Messages queued in all before senders wait.
    pub queue: usize,
    /// Writers on PostgreSQL (one on SQLite, whose writes take turns anyway).
    pub lanes: usize,
}

/// Starts the writers ([`spawn_writer`], one per lane); returns their queues.
pub fn spawn_writers(
    store: &Store, clock: &Arc<dyn Clock>, events: &EventBus, router: &Arc<RouterSignal>,
    options: WriterOptions,
) -> (IngestLanes, Vec<JoinHandle<()>>) {
    let n = match store.backend() {
        Backend::Sqlite => 1,
        Backend::Postgres => options.lanes.max(1),
    };
    let (lanes, writers) = (0..n)
        .map(|_| {
            let (tx, rx) = mpsc::channel((options.queue / n).max(1));
            let (clock, events, router) = (clock.clone(), events.clone(), router.clone());
            (tx, spawn_writer(store.clone(), clock, events, router, rx, options.max_batch))
        })
        .unzip();
    (IngestLanes { lanes }, writers)
}

/// The lane of a buyer's messages among `n`: by the buyer's lock number.
fn lane_of(shop: ShopId, buyer: &str, n: usize) -> usize {
    write_locks::buyer_key(shop, buyer) as u32 as usize % n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_buyer_keeps_one_lane_and_buyers_spread_over_all() {
        let shop = ShopId::new();
        let lanes: Vec<usize> = (0..400).map(|i| lane_of(shop, &format!("b{i}"), 4)).collect();
        for lane in 0..4 {
            let n = lanes.iter().filter(|&&l| l == lane).count();
            assert!((60..=140).contains(&n), "lane {lane} has {n} of 400 buyers");
        }
        assert!((0..400).all(|i| lane_of(shop, &format!("b{i}"), 4) == lanes[i]));
        assert_eq!(lane_of(shop, "b1", 1), 0);
    }
}
