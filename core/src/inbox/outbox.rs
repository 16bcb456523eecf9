//! The outbox worker: delivers accepted replies to their platform. A reply is written
//! to the `outbox` table in the transaction that stores it; this worker claims due rows
//! with a lease (so a crash mid-delivery means a later retry, never a loss), hands each
//! to its platform's [`OutboundChannel`], and records the result on the message.
//!
//! Transient failures (timeouts, 5xx, 429) are retried with exponential backoff and
//! jitter, never before the platform's `retry-after`, up to [`MAX_ATTEMPTS`]; the
//! message shows the last error meanwhile. Permanent failures, and transient ones past
//! the budget, mark the message `failed` with the platform's error; an agent may retry
//! it, which really sends it again. Each change of delivery state goes out on the
//! stream. The idempotency key handed to the channel is the message id, the same on
//! every attempt.
//!
//! The built-in `api` channel has no remote end: its replies are recorded as delivered.

use super::Inbox;
use super::accounts::Viewer;
use crate::channel::{Delivery, OutboundChannel, backoff};
use crate::clock::{Clock, to_millis};
use crate::error::{CoreError, CoreResult};
use crate::events::{EventBus, InboxEvent};
use crate::ids::*;
use crate::model::{DeliveryStatus, Direction, Message, Platform};
use crate::store::{Backend, MESSAGE_COLUMNS, Store, message_from_row};
use rand::Rng;
use shopmux_contract::adapter::{AdapterError, OutboundMessage, SendReceipt, ShopConnection};
use sqlx::Row;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How long a claimed delivery is reserved before another attempt may take it.
const LEASE: chrono::Duration = chrono::Duration::seconds(60);
/// How long one send may take before it counts as a (retryable) timeout.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// How often the worker looks for due deliveries without being woken.
const IDLE_POLL: Duration = Duration::from_millis(500);
/// Most deliveries claimed at once.
const CLAIM_BATCH: i64 = 32;
/// Attempts before a transient failure is given up as `failed`.
pub const MAX_ATTEMPTS: i64 = 8;
/// The first retry's delay; each later one doubles.
const BACKOFF_BASE: Duration = Duration::from_secs(2);
/// The longest delay between attempts.
const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// The loaded channels by platform.
pub(crate) type Channels = Arc<HashMap<String, Arc<dyn OutboundChannel>>>;

pub(crate) async fn run_worker(
    enabled: bool,
    store: Store,
    clock: Arc<dyn Clock>,
    events: EventBus,
    channels: Channels,
    wake: Arc<Notify>,
    mut shutdown: watch::Receiver<bool>,
) {
    if !enabled {
        return;
    }
    loop {
        if let Err(error) = deliver_due(&store, clock.as_ref(), &events, &channels).await {
            tracing::warn!(message = "Outbox pass failed.", %error);
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// A claimed delivery.
struct Claimed {
    outbox_id: OutboxId,
    message_id: MessageId,
    attempts: i64,
    platform: String,
    delivery: Delivery,
}

/// One pass: claims due deliveries and performs them. Returns how many were handled.
pub(crate) async fn deliver_due(
    store: &Store,
    clock: &dyn Clock,
    events: &EventBus,
    channels: &Channels,
) -> CoreResult<usize> {
    let claimed = claim(store, clock).await?;
    let n = claimed.len();
    for c in claimed {
        // Ok(None): delivered with no platform behind it (the api channel).
        let result = if c.platform == Platform::API {
            Ok(None)
        } else if let Some(channel) = channels.get(&c.platform) {
            let span = tracing::info_span!("delivery", outbox_id = %c.outbox_id, platform = %c.platform, attempt = c.attempts);
            let send = tracing::Instrument::instrument(channel.send(&c.delivery), span);
            let result = match tokio::time::timeout(SEND_TIMEOUT, send).await {
                Ok(result) => result,
                Err(_) => Err(AdapterError::transient(
                    "timeout",
                    format!("no answer within {}s", SEND_TIMEOUT.as_secs()),
                )),
            };
            result.map(Some)
        } else {
            Err(AdapterError::permanent(
                "no_channel",
                format!("no channel for platform `{}` is loaded", c.platform),
            ))
        };
        let message = record(store, clock, &c, result).await?;
        events.publish(InboxEvent::MessageUpdated { message });
    }
    Ok(n)
}

async fn claim(store: &Store, clock: &dyn Clock) -> CoreResult<Vec<Claimed>> {
    let now = clock.now();
    let mut w = store.begin_write().await?;
    let lock = if store.backend() == Backend::Postgres {
        " FOR UPDATE OF o SKIP LOCKED"
    } else {
        ""
    };
    let rows = store
        .query(
            &format!(
                "SELECT o.id, o.message_id, o.attempts, s.platform, s.id AS shop_id, s.external_id AS shop_external_id, \
                 s.region, b.external_id AS buyer_external_id, b.email AS buyer_email, b.platform_conversation_id, m.content, \
                 k.api_base, k.credentials \
                 FROM outbox o JOIN shops s ON s.id = o.shop_id JOIN messages m ON m.id = o.message_id \
                 JOIN conversations c ON c.id = o.conversation_id JOIN buyers b ON b.id = c.buyer_id \
                 LEFT JOIN shop_connections k ON k.shop_id = o.shop_id \
                 WHERE o.status = 'pending' AND o.next_attempt_at <= $1 ORDER BY o.next_attempt_at LIMIT $2{lock}"
            ),
            vec![to_millis(now).into(), CLAIM_BATCH.into()],
        )
        .fetch_all(&mut *w.tx)
        .await?;
    let mut claimed = Vec::with_capacity(rows.len());
    for row in &rows {
        let outbox_id: OutboxId = crate::store::id_col(row, "id")?;
        store
            .query(
                "UPDATE outbox SET next_attempt_at = $1, attempts = attempts + 1, updated_at = $2 WHERE id = $3",
                vec![
                    to_millis(now + LEASE).into(),
                    to_millis(now).into(),
                    outbox_id.to_string().into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        let message_id: MessageId = crate::store::id_col(row, "message_id")?;
        let content: String = row.try_get("content")?;
        let shop_external_id: String = row.try_get("shop_external_id")?;
        let region: String = row.try_get("region")?;
        let credentials: Option<String> = row.try_get("credentials")?;
        // Stored sealed (bound to the shop); a row that cannot be opened sends without
        // credentials, so the attempt fails visibly instead of stalling the batch.
        let shop_id: ShopId = crate::store::id_col(row, "shop_id")?;
        let credentials = credentials.and_then(|c| {
            store
                .unseal(&shop_id.to_string(), &c)
                .inspect_err(|e| {
                    tracing::warn!(message = "Shop credentials cannot be unsealed.", %shop_id, error = %e);
                })
                .ok()
        });
        let connection = ShopConnection {
            external_id: shop_external_id.clone(),
            region: region.clone(),
            api_base: row.try_get("api_base")?,
            credentials: credentials
                .and_then(|c| serde_json::from_str(&c).ok())
                .unwrap_or_default(),
        };
        claimed.push(Claimed {
            outbox_id,
            message_id,
            attempts: row.try_get::<i64, _>("attempts")? + 1,
            platform: row.try_get("platform")?,
            delivery: Delivery {
                shop_id,
                shop_external_id,
                region,
                connection,
                message: OutboundMessage {
                    idempotency_key: message_id.to_string(),
                    buyer_external_id: row.try_get("buyer_external_id")?,
                    buyer_email: row.try_get("buyer_email")?,
                    platform_conversation_id: row.try_get("platform_conversation_id")?,
                    content: serde_json::from_str(&content).unwrap_or_default(),
                },
            },
        });
    }
    w.commit().await?;
    Ok(claimed)
}

/// Records an attempt's outcome on the outbox row and the message; returns the message.
async fn record(
    store: &Store,
    clock: &dyn Clock,
    c: &Claimed,
    result: Result<Option<SendReceipt>, AdapterError>,
) -> CoreResult<Message> {
    let now = clock.now();
    // What the attempt showed about the shop's connection (a platform was called).
    let connection = match &result {
        Ok(None) => None,
        Ok(Some(receipt)) => Some((Ok(()), receipt.refreshed_credentials.clone())),
        Err(e) if e.code == "no_channel" => None,
        Err(e) => Some((Err(e.clone()), None)),
    };
    let result = result.map(|r| r.map(|r| r.platform_message_id));
    let (outbox_status, status, error, next_at, platform_id) = match result {
        Ok(platform_id) => (
            "delivered",
            DeliveryStatus::Delivered,
            None,
            now,
            platform_id,
        ),
        Err(e) if e.retryable && c.attempts < MAX_ATTEMPTS => {
            let delay = backoff(
                c.attempts as u32,
                BACKOFF_BASE,
                BACKOFF_CAP,
                e.retry_after_ms,
                rand::rng().random::<f64>(),
            );
            let next = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            tracing::info!(message = "Delivery will be retried.", outbox_id = %c.outbox_id, error = %e, attempt = c.attempts, retry_in_ms = delay.as_millis() as u64);
            let shown = format!("{e} (attempt {} of {MAX_ATTEMPTS}; retrying)", c.attempts);
            ("pending", DeliveryStatus::Pending, Some(shown), next, None)
        }
        Err(e) => {
            tracing::warn!(message = "Delivery failed.", outbox_id = %c.outbox_id, error = %e, attempt = c.attempts);
            (
                "failed",
                DeliveryStatus::Failed,
                Some(e.to_string()),
                now,
                None,
            )
        }
    };
    let mut w = store.begin_write().await?;
    let claimed_still = store
        .query(
            "UPDATE outbox SET status = $1, last_error = $2, next_attempt_at = $3, updated_at = $4 \
             WHERE id = $5 AND attempts = $6",
            vec![
                outbox_status.into(),
                error.clone().into(),
                to_millis(next_at).into(),
                to_millis(now).into(),
                c.outbox_id.to_string().into(),
                c.attempts.into(),
            ],
        )
        .execute(&mut *w.tx)
        .await?
        .rows_affected();
    if claimed_still == 0 {
        // Another worker took the delivery over after the lease ran out; its attempt
        // is the one recorded.
        drop(w);
        let row = store
            .query(
                &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"),
                vec![c.message_id.to_string().into()],
            )
            .fetch_one(store.pool())
            .await?;
        return message_from_row(&row);
    }
    if let Some((seen, refreshed)) = &connection {
        super::connections::apply_outcome(
            store,
            &mut w.tx,
            c.delivery.shop_id,
            now,
            seen,
            refreshed.as_ref(),
        )
        .await?;
    }
    store
        .query(
            "UPDATE messages SET delivery_status = $1, delivery_error = $2, \
             platform_message_id = COALESCE($3, platform_message_id) WHERE id = $4",
            vec![
                status.as_str().into(),
                error.into(),
                platform_id.into(),
                c.message_id.to_string().into(),
            ],
        )
        .execute(&mut *w.tx)
        .await?;
    let row = store
        .query(
            &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1"),
            vec![c.message_id.to_string().into()],
        )
        .fetch_one(&mut *w.tx)
        .await?;
    w.commit().await?;
    message_from_row(&row)
}

impl Inbox {
    /// Sends a failed message again (the agent's "retry"): its delivery starts over
    /// with a fresh attempt budget. Only failed outbound messages can be retried, and
    /// only while the platform's rules still allow a reply.
    pub async fn retry_delivery(
        &self,
        viewer: &Viewer,
        conversation_id: ConversationId,
        message_id: MessageId,
    ) -> CoreResult<Message> {
        let conversation = self.conversation(viewer, conversation_id).await?;
        if !viewer.can_chat(conversation.shop_id) {
            // rule: DY-PERM-1
            return Err(CoreError::Forbidden(
                "no chat permission in this shop".into(),
            ));
        }
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let row = self
            .store
            .query(
                &format!(
                    "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1 AND conversation_id = $2{}",
                    self.store.for_update()
                ),
                vec![
                    message_id.to_string().into(),
                    conversation_id.to_string().into(),
                ],
            )
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or(CoreError::NotFound("message"))?;
        let message = message_from_row(&row)?;
        if message.direction != Direction::Out
            || message.delivery_status != Some(DeliveryStatus::Failed)
        {
            return Err(CoreError::Conflict(
                "only a failed outbound message can be retried".into(),
            ));
        }
        self.check_buyer_access(&mut w.tx, viewer, conversation.buyer_id)
            .await?;
        let orders =
            super::actions::buyer_orders(&self.store, &mut *w.tx, conversation.buyer_id).await?;
        let rules = self.shop_rules(conversation.shop_id).await?;
        crate::rules::check_reply(&rules, &conversation, &orders, &message.content, now)
            .map_err(CoreError::RuleViolation)?;
        self.store
            .query(
                "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, last_error = NULL, \
                 updated_at = $1 WHERE message_id = $2",
                vec![to_millis(now).into(), message_id.to_string().into()],
            )
            .execute(&mut *w.tx)
            .await?;
        self.store
            .query(
                "UPDATE messages SET delivery_status = 'pending', delivery_error = NULL WHERE id = $1",
                vec![message_id.to_string().into()],
            )
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        self.outbox_wake.notify_one();
        let message = Message {
            delivery_status: Some(DeliveryStatus::Pending),
            delivery_error: None,
            ..message
        };
        self.events.publish(InboxEvent::MessageUpdated {
            message: message.clone(),
        });
        Ok(message)
    }

    /// Runs one outbox pass now (tests and tools; the worker does this by itself).
    pub async fn deliver_now(&self) -> CoreResult<usize> {
        deliver_due(
            &self.store,
            self.clock.as_ref(),
            &self.events,
            &self.channels,
        )
        .await
    }
}
