//! The outbox worker: delivers accepted replies to their platform. A reply is written
//! to the `outbox` table in the transaction that stores it; this worker claims due rows
//! with a lease (so a crash mid-delivery means a later retry, never a loss), hands each
//! to the registry (its platform's adapter, or the storefront chat), and records the
//! result on the message.
//!
//! Transient failures (timeouts, 5xx, 429) are retried with exponential backoff and
//! jitter, never before the platform's `retry-after`, up to [`MAX_ATTEMPTS`]; the
//! message shows the last error meanwhile. Permanent failures, and transient ones past
//! the budget, mark the message `failed` with the platform's error; an agent may retry
//! it, which really sends it again. Each change of delivery state goes out on the
//! stream. The idempotency key handed to the adapter is the message id, the same on
//! every attempt.

use super::connections::record_in;
use crate::domain::backoff::backoff;
use crate::domain::ids::*;
use crate::domain::model::{DeliveryStatus, Direction, Message};
use crate::domain::rules;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::registry::Delivery;
use crate::storage::outbox::{self, Claimed};
use crate::storage::write::{Db, WriteTx};
use crate::storage::{buyers, messages};
use chrono::{DateTime, Utc};
use rand::Rng;
use shopmux_contract::adapter::{AdapterError, SendReceipt};
use std::time::Duration;
use tokio::sync::watch;

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

/// The outbox worker task: a pass whenever woken, and every [`IDLE_POLL`].
pub(crate) async fn run_loop(inbox: std::sync::Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let Some(wake) = inbox.upgrade().map(|i| i.outbox_wake.clone()) else {
        return;
    };
    loop {
        let Some(inbox) = inbox.upgrade() else { break };
        if let Err(error) = inbox.deliver_now().await {
            tracing::warn!(message = "Outbox pass failed.", %error);
        }
        drop(inbox);
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = shutdown.changed() => break,
        }
    }
}

/// What an attempt leads to: the entry's status, the message's, the error shown, when
/// the next attempt may start, and the platform's id of the sent message.
type Verdict = (&'static str, DeliveryStatus, Option<String>, DateTime<Utc>, Option<String>);

fn verdict(c: &Claimed, result: Result<SendReceipt, AdapterError>, now: DateTime<Utc>) -> Verdict {
    match result {
        Ok(receipt) => {
            ("delivered", DeliveryStatus::Delivered, None, now, receipt.platform_message_id)
        }
        Err(e) if e.retryable && c.attempts < MAX_ATTEMPTS => {
            let jitter = rand::rng().random::<f64>();
            let delay =
                backoff(c.attempts as u32, BACKOFF_BASE, BACKOFF_CAP, e.retry_after_ms, jitter);
            let next = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
            tracing::info!(message = "Delivery will be retried.", outbox_id = %c.outbox_id, error = %e, attempt = c.attempts, retry_in_ms = delay.as_millis() as u64);
            let shown = format!("{e} (attempt {} of {MAX_ATTEMPTS}; retrying)", c.attempts);
            ("pending", DeliveryStatus::Pending, Some(shown), next, None)
        }
        Err(e) => {
            tracing::warn!(message = "Delivery failed.", outbox_id = %c.outbox_id, error = %e, attempt = c.attempts);
            ("failed", DeliveryStatus::Failed, Some(e.to_string()), now, None)
        }
    }
}

impl Inbox {
    /// Runs one outbox pass now: claims due deliveries and performs them; returns how
    /// many were handled (the worker does this by itself; tests and tools call it).
    pub async fn deliver_now(&self) -> CoreResult<usize> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let claimed = outbox::claim(&mut w, now, now + LEASE, CLAIM_BATCH).await?;
        w.commit().await?;
        let n = claimed.len();
        for c in claimed {
            let result = self.send_one(&c).await;
            let message = self.record_attempt(&c, result).await?;
            self.events.publish(InboxEvent::MessageUpdated { message });
        }
        Ok(n)
    }

    async fn send_one(&self, c: &Claimed) -> Result<SendReceipt, AdapterError> {
        if let Some(e) = &c.credentials_error {
            // Never call a platform with empty credentials: fail visibly instead.
            return Err(e.clone());
        }
        let delivery = Delivery {
            connection: c.connection.clone(),
            message: c.message.clone(),
            shop_id: c.shop_id,
        };
        let span = tracing::info_span!("delivery", outbox_id = %c.outbox_id, platform = %c.platform, attempt = c.attempts);
        let send = tracing::Instrument::instrument(self.registry.send(&c.platform, delivery), span);
        match tokio::time::timeout(SEND_TIMEOUT, send).await {
            Ok(result) => result,
            Err(_) => Err(AdapterError::transient(
                "timeout",
                format!("no answer within {}s", SEND_TIMEOUT.as_secs()),
            )),
        }
    }

    /// Records an attempt's outcome on the outbox entry and the message; returns the
    /// message as it is now.
    async fn record_attempt(
        &self, c: &Claimed, result: Result<SendReceipt, AdapterError>,
    ) -> CoreResult<Message> {
        let now = self.clock.now();
        // What the attempt showed about the shop's connection (a platform was called).
        let seen = match &result {
            Ok(receipt) => Some((Ok(()), receipt.refreshed_credentials.clone())),
            Err(e) if e.code == "no_adapter" || e.code == "unsupported" => None,
            Err(e) => Some((Err(e.clone()), None)),
        };
        let (status, delivery, error, next_at, platform_id) = verdict(c, result, now);
        let mut w = self.store.begin_write().await?;
        if !outbox::record(&mut w, c, status, error.clone(), next_at, now).await? {
            // Another worker took the delivery over after the lease ran out; its attempt
            // is the one recorded.
            drop(w);
            return self.stored_message(Db::Pool(&self.store), c.message_id).await;
        }
        if let Some((outcome, refreshed)) = &seen {
            record_in(&mut w, c.shop_id, now, outcome, refreshed.as_ref()).await?;
        }
        messages::set_delivery(&mut w, c.message_id, delivery, error, platform_id).await?;
        let message = self.stored_message(Db::Tx(&mut w), c.message_id).await?;
        w.commit().await?;
        Ok(message)
    }

    async fn stored_message(&self, db: Db<'_, '_>, id: MessageId) -> CoreResult<Message> {
        messages::get(db, id).await?.ok_or(CoreError::NotFound("message"))
    }

    /// Sends a failed message again (the agent's "retry"): its delivery starts over
    /// with a fresh attempt budget. Only failed outbound messages can be retried, and
    /// only while the platform's rules still allow a reply.
    pub async fn retry_delivery(
        &self, viewer: &Viewer, conversation_id: ConversationId, message_id: MessageId,
    ) -> CoreResult<Message> {
        let conversation = self.conversation(viewer, conversation_id).await?;
        viewer.require_chat(conversation.shop_id)?;
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let message = messages::get_in(Db::Tx(&mut w), message_id, conversation_id)
            .await?
            .ok_or(CoreError::NotFound("message"))?;
        if message.direction != Direction::Out
            || message.delivery_status != Some(DeliveryStatus::Failed)
        {
            return Err(CoreError::Conflict(
                "only a failed outbound message can be retried".into(),
            ));
        }
        self.check_reply_allowed(&mut w, viewer, &conversation, &message).await?;
        outbox::requeue(&mut w, message_id, now).await?;
        w.commit().await?;
        self.outbox_wake.notify_one();
        let message = Message {
            delivery_status: Some(DeliveryStatus::Pending),
            delivery_error: None,
            ..message
        };
        self.events.publish(InboxEvent::MessageUpdated { message: message.clone() });
        Ok(message)
    }

    /// Fails unless the viewer may still send this message in the conversation: the
    /// buyer was not transferred away (AE-XFER-2) and the platform's rules allow it.
    async fn check_reply_allowed(
        &self, w: &mut WriteTx<'_>, viewer: &Viewer,
        conversation: &crate::domain::model::Conversation, message: &Message,
    ) -> CoreResult<()> {
        self.check_buyer_access(w, viewer, conversation.buyer_id).await?;
        let orders = buyers::orders_of(Db::Tx(w), conversation.buyer_id).await?;
        let rule_set = self.shop_rules(conversation.shop_id).await?;
        rules::check_reply(&rule_set, conversation, &orders, &message.content, self.clock.now())
            .map(|_| ())
            .map_err(CoreError::RuleViolation)
    }
}
