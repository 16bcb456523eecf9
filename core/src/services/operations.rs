//! What an operator's metrics read from the engine when they are scraped: the gauges
//! the database answers ([`crate::storage::gauges`]) and the ingest queue's length. The
//! counters and histograms are pushed as things happen ([`crate::telemetry`]).

use crate::domain::model::Platform;
use crate::error::CoreResult;
use crate::inbox::Inbox;
use crate::storage::gauges::{self, OutboxDepth, PoolUsage};
use chrono::{DateTime, Utc};

/// The engine's gauges at one instant.
#[derive(Clone, Debug)]
pub struct OperationsGauges {
    /// When they were read (the engine's clock): ages are measured from it.
    pub now: DateTime<Utc>,
    /// The outbox per platform (platforms with nothing pending are absent).
    pub outbox: Vec<OutboxDepth>,
    /// Conversations queued for an agent per platform.
    pub queued: Vec<(Platform, i64)>,
    /// Outbound webhook deliveries pending.
    pub webhook_deliveries_pending: i64,
    /// Inbound messages accepted and waiting for the ingest writer.
    pub ingest_queue: usize,
    /// The ingest queue's capacity (senders wait when it is full).
    pub ingest_queue_capacity: usize,
    /// The database pool.
    pub pool: PoolUsage,
}

impl Inbox {
    /// Reads the gauges (three short statements).
    pub async fn operations_gauges(&self) -> CoreResult<OperationsGauges> {
        Ok(OperationsGauges {
            now: self.clock.now(),
            outbox: gauges::outbox_depth(&self.store).await?,
            queued: gauges::queued(&self.store).await?,
            webhook_deliveries_pending: gauges::webhook_deliveries_pending(&self.store).await?,
            ingest_queue: self.ingest.queued(),
            ingest_queue_capacity: self.ingest.capacity(),
            pool: gauges::pool_usage(&self.store),
        })
    }
}
