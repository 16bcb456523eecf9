//! The operator's gauges read from the database when the metrics are scraped: the
//! outbox's depth and its oldest pending entry per platform (from the index of pending
//! entries by shop, migration 0034), the conversations queued for an agent per platform
//! (from the kept counters, never by scanning conversations), the outbound webhook
//! deliveries pending, and the pool's connections. Each is one statement whose cost
//! grows with what is waiting, not with what was ever stored.

use super::rows::Columns;
use super::store::Store;
use crate::domain::counters::NO_ASSIGNEE;
use crate::domain::model::Platform;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

/// The outbox of one platform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutboxDepth {
    /// The platform.
    pub platform: Platform,
    /// Replies waiting to be delivered (due, backing off, or being sent).
    pub pending: i64,
    /// When the oldest of them was accepted.
    pub oldest: Option<DateTime<Utc>>,
}

/// Pending outbox entries per platform, with the oldest one's acceptance.
pub async fn outbox_depth(store: &Store) -> CoreResult<Vec<OutboxDepth>> {
    let rows = store
        .rows(
            "SELECT s.platform, CAST(SUM(o.n) AS BIGINT) AS pending, MIN(o.oldest) AS oldest \
             FROM (SELECT shop_id, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox \
                   WHERE status = 'pending' GROUP BY shop_id) o \
             JOIN shops s ON s.id = o.shop_id GROUP BY s.platform",
            vec![],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok(OutboxDepth {
                platform: row.col("platform")?,
                pending: row.int_col("pending")?,
                oldest: row.col("oldest")?,
            })
        })
        .collect()
}

/// Conversations waiting unassigned for an agent (the shops' queues), per platform.
pub async fn queued(store: &Store) -> CoreResult<Vec<(Platform, i64)>> {
    let rows = store
        .rows(
            "SELECT s.platform, CAST(SUM(c.n) AS BIGINT) AS n FROM conversation_counters c \
             JOIN shops s ON s.id = c.shop_id WHERE c.assignee = $1 AND c.bucket = 'unassigned' \
             GROUP BY s.platform",
            vec![NO_ASSIGNEE.into()],
        )
        .await?;
    rows.iter().map(|row| Ok((row.col("platform")?, row.int_col("n")?))).collect()
}

/// Outbound webhook deliveries waiting to be sent (or retried).
pub async fn webhook_deliveries_pending(store: &Store) -> CoreResult<i64> {
    let row = store
        .row(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM webhook_deliveries WHERE status = 'pending'",
            vec![],
        )
        .await?;
    match row {
        Some(row) => row.int_col("n"),
        None => Ok(0),
    }
}

/// The read pool's connections: open, idle, and the most it may open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolUsage {
    /// Connections open.
    pub open: u32,
    /// Of those, idle.
    pub idle: u32,
    /// The pool's limit (`database.max_connections`).
    pub max: u32,
}

/// How the pool is used now (no statement).
pub fn pool_usage(store: &Store) -> PoolUsage {
    let pool = store.pool();
    let idle = u32::try_from(pool.num_idle()).unwrap_or(u32::MAX);
    PoolUsage { open: pool.size(), idle, max: pool.options().get_max_connections() }
}
