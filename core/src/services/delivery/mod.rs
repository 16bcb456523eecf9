//! The outbox worker: delivers accepted replies to their platform. A reply is written
//! to the `outbox` table in the transaction that stores it; the worker claims due rows
//! one at a time, each under a lease of its own ([`LEASE`]: one send's time limit plus a
//! margin) and a random lease token, re-checks the lease just before sending, hands the
//! row to the registry (its platform's adapter, or the storefront chat), and records
//! the result on the message — only while it still holds the lease, so a crash
//! mid-delivery means a later retry, never a loss, and a slow daemon's late answer never
//! overwrites the attempt of the daemon that took the row over.
//!
//! Deliveries run in parallel (`dispatch.rs`), at most [`DeliveryLimits::per_platform`]
//! to one platform and [`DeliveryLimits::total`] in all: a platform that hangs holds its
//! own slots only. A conversation's replies leave in their order: a reply is claimed
//! only when no earlier reply of its conversation is still pending.
//!
//! Transient failures (timeouts, 5xx, 429) are retried with exponential backoff and
//! jitter, never before the platform's `retry-after`, up to [`MAX_ATTEMPTS`]; the
//! message shows the last error meanwhile. Permanent failures, and transient ones past
//! the budget, mark the message `failed` with the platform's error; an agent may retry
//! it, which really sends it again. Each change of delivery state goes out on the
//! stream. The idempotency key handed to the adapter is the message id, the same on
//! every attempt (adapters send it where their platform takes one).
//!
//! [`DeliveryLimits::per_platform`]: crate::inbox::DeliveryLimits
//! [`DeliveryLimits::total`]: crate::inbox::DeliveryLimits

mod attempt;
mod dispatch;

pub(crate) use dispatch::run_loop;

use crate::domain::conversation::recorded;
use crate::domain::ids::*;
use crate::domain::model::{DeliveryStatus, Direction, Message, Platform};
use crate::domain::rules;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::storage::outbox;
use crate::storage::write::{Db, WriteTx};
use crate::storage::{buyers, messages};
use std::collections::HashMap;
use std::time::Duration;

/// How long one send may take before it counts as a (retryable) timeout.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// What a lease holds beyond one send's limit: time to re-check the lease before the
/// send and to record its outcome after it.
pub const LEASE_MARGIN: Duration = Duration::from_secs(10);
/// How long a claimed delivery is reserved before another claim may take it: one
/// send's limit plus the margin.
pub const LEASE: Duration = Duration::from_secs(SEND_TIMEOUT.as_secs() + LEASE_MARGIN.as_secs());
/// Attempts before a transient failure is given up as `failed`.
pub const MAX_ATTEMPTS: i64 = 8;
/// The first retry's delay; each later one doubles.
const BACKOFF_BASE: Duration = Duration::from_secs(2);
/// The longest delay between attempts.
const BACKOFF_CAP: Duration = Duration::from_secs(300);

/// [`LEASE`] as a span of the injected clock.
fn lease() -> chrono::Duration {
    chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::MAX)
}

impl Inbox {
    /// Stores replies of a platform whose adapter records them (declares
    /// `records_replies`: the other side reads them from shopmux) as delivered: they get
    /// no outbox entry and are never sent. Others stay pending for the worker.
    pub(crate) fn deliver_if_recorded(&self, platform: &Platform, messages: &mut [Message]) {
        if self.registry.capabilities(platform.as_str()).records_replies {
            messages.iter_mut().for_each(recorded);
        }
    }

    /// Delivers everything due now and waits for it: waves of claims (as many as the
    /// limits allow), run in parallel, until nothing more is due — a conversation's
    /// next reply becomes due when the one before it is delivered or failed. Returns how
    /// many deliveries were attempted (the worker does this by itself; tests and tools
    /// call it).
    pub async fn deliver_now(&self) -> CoreResult<usize> {
        let mut attempted = 0;
        loop {
            let none = HashMap::new();
            let room = outbox::Room {
                total: self.delivery.total,
                per_platform: self.delivery.per_platform,
                in_flight: &none,
            };
            let wave = self.claim_deliveries(room).await?;
            if wave.is_empty() {
                return Ok(attempted);
            }
            attempted += wave.len();
            let sent =
                futures_util::future::join_all(wave.into_iter().map(|c| self.attempt_delivery(c)))
                    .await;
            let sent = sent.into_iter().collect::<CoreResult<Vec<_>>>()?;
            self.complete_deliveries(sent.into_iter().flatten().collect()).await?;
        }
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
            analysis: Default::default(),
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
