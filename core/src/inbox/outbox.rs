//! The outbox worker: delivers accepted replies to their platform. A reply is written
//! to the `outbox` table in the transaction that stores it; this worker claims due rows
//! with a lease (so a crash mid-delivery means a later retry, never a loss), hands each
//! to its platform's channel, and records the result on the message.
//!
//! The built-in `api` channel has no remote end: its replies are recorded as delivered.
//! Marketplace channels, retries with backoff and manual re-sends come with the adapters.

use crate::clock::{Clock, to_millis};
use crate::error::CoreResult;
use crate::events::{EventBus, InboxEvent};
use crate::ids::*;
use crate::model::{DeliveryStatus, Platform};
use crate::store::{Backend, MESSAGE_COLUMNS, Store, message_from_row};
use sqlx::Row;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How long a claimed delivery is reserved before another attempt may take it.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// How often the worker looks for due deliveries without being woken.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Most deliveries claimed at once.
const CLAIM_BATCH: i64 = 32;

pub(crate) async fn run_worker(
    store: Store,
    clock: Arc<dyn Clock>,
    events: EventBus,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        if let Err(error) = deliver_due(&store, clock.as_ref(), &events).await {
            tracing::warn!(message = "Outbox pass failed.", %error);
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// One pass: claims due deliveries and performs them. Returns how many were handled.
pub(crate) async fn deliver_due(
    store: &Store,
    clock: &dyn Clock,
    events: &EventBus,
) -> CoreResult<usize> {
    let now = clock.now();
    let claimed: Vec<(OutboxId, MessageId, String)> = {
        let mut w = store.begin_write().await?;
        let lock = if store.backend() == Backend::Postgres {
            " FOR UPDATE OF o SKIP LOCKED"
        } else {
            ""
        };
        let rows = store.query(
            &format!(
                "SELECT o.id, o.message_id, s.platform FROM outbox o JOIN shops s ON s.id = o.shop_id \
                 WHERE o.status = 'pending' AND o.next_attempt_at <= $1 ORDER BY o.next_attempt_at LIMIT $2{lock}"
            ),
            vec![to_millis(now).into(), CLAIM_BATCH.into()],
        )
        .fetch_all(&mut *w.tx)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: OutboxId = crate::store::id_col(row, "id")?;
            store.query(
                "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1, updated_at = $2 WHERE id = $3",
                vec![to_millis(now + LEASE).into(), to_millis(now).into(), id.to_string().into()],
            )
            .execute(&mut *w.tx)
            .await?;
            let platform: String = row.try_get("platform")?;
            claimed.push((id, crate::store::id_col(row, "message_id")?, platform));
        }
        w.commit().await?;
        claimed
    };
    for (outbox_id, message_id, platform) in &claimed {
        // Only the api channel exists so far; it has no remote end to call.
        let result: Result<(), String> = if platform == Platform::API {
            Ok(())
        } else {
            Err(format!("no channel for platform `{platform}` is loaded"))
        };
        let (status, error) = match result {
            Ok(()) => (DeliveryStatus::Delivered, None),
            Err(e) => (DeliveryStatus::Failed, Some(e)),
        };
        let mut w = store.begin_write().await?;
        store
            .query(
                "UPDATE outbox SET status = $1, last_error = $2, updated_at = $3 WHERE id = $4",
                vec![
                    status.as_str().into(),
                    error.clone().into(),
                    to_millis(clock.now()).into(),
                    outbox_id.to_string().into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        store
            .query(
                "UPDATE messages SET delivery_status = $1, delivery_error = $2 WHERE id = $3",
                vec![
                    status.as_str().into(),
                    error.into(),
                    message_id.to_string().into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        let row = store
            .query(
                &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"),
                vec![message_id.to_string().into()],
            )
            .fetch_one(&mut *w.tx)
            .await?;
        w.commit().await?;
        events.publish(InboxEvent::MessageUpdated {
            message: message_from_row(&row)?,
        });
    }
    Ok(claimed.len())
}
