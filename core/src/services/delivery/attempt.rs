//! Delivery attempts: claim due rows (in a batch, under one lease), re-check (and if
//! needed renew) the lease just before sending, send with a time limit, and record the
//! outcomes under the lease token — several in one transaction — or nothing, when
//! another claim took the row over.

use super::{BACKOFF_BASE, BACKOFF_CAP, LEASE_MARGIN, MAX_ATTEMPTS, SEND_TIMEOUT, lease};
use crate::domain::backoff::backoff;
use crate::domain::ids::{MessageId, ShopId};
use crate::domain::model::{DeliveryStatus, Message, Platform};
use crate::error::CoreResult;
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::registry::Delivery;
use crate::services::connections::record_in;
use crate::storage::connections::Credentials;
use crate::storage::messages;
use crate::storage::outbox::{self, Claimed, Room};
use crate::storage::write::Db;
use chrono::{DateTime, Utc};
use rand::Rng;
use shopmux_contract::adapter::{AdapterError, SendReceipt};
use std::collections::HashMap;

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
    /// Claims one due delivery under a fresh lease of [`super::LEASE`], skipping the
    /// platforms in `busy` (at their concurrency limit); `None` when nothing is due.
    pub async fn claim_delivery(&self, busy: &[Platform]) -> CoreResult<Option<Claimed>> {
        let in_flight: HashMap<Platform, usize> = busy.iter().map(|p| (p.clone(), 1)).collect();
        let room = Room { total: 1, per_platform: 1, in_flight: &in_flight };
        Ok(self.claim_deliveries(room).await?.pop())
    }

    /// Claims as many due deliveries as `room` allows in one transaction, under one
    /// fresh lease of [`super::LEASE`].
    pub async fn claim_deliveries(&self, room: Room<'_>) -> CoreResult<Vec<Claimed>> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let claimed = outbox::claim(&mut w, now, lease(), room).await?;
        w.commit().await?;
        Ok(claimed)
    }

    /// Performs a claimed delivery: re-checks the lease, sends, records the outcome and
    /// publishes the message's new state. `None`: the lease was no longer this claim's,
    /// so nothing was sent and nothing recorded.
    pub async fn perform_delivery(&self, c: Claimed) -> CoreResult<Option<Message>> {
        let Some(attempt) = self.attempt_delivery(c).await? else {
            return Ok(None);
        };
        let mut recorded = self.complete_deliveries(vec![attempt]).await?;
        Ok(recorded.pop().flatten())
    }

    /// Re-checks the lease and sends: the attempt to record, or `None` when the lease was
    /// no longer this claim's (nothing was sent).
    pub(crate) async fn attempt_delivery(&self, mut c: Claimed) -> CoreResult<Option<Attempt>> {
        if !self.hold_lease(&mut c).await? {
            tracing::info!(message = "Delivery skipped: its lease was taken over.", outbox_id = %c.outbox_id);
            return Ok(None);
        }
        let started = std::time::Instant::now();
        let result = self.send_one(&c).await;
        self.observe_delivery(&c, &result, started.elapsed());
        Ok(Some((c, result)))
    }

    /// Tells the telemetry what an attempt gave (as [`verdict`] will record it).
    fn observe_delivery(
        &self, c: &Claimed, result: &Result<SendReceipt, AdapterError>,
        sending: std::time::Duration,
    ) {
        use crate::telemetry::DeliveryResult;
        let outcome = match result {
            Ok(_) => DeliveryResult::Delivered,
            Err(e) if e.retryable && c.attempts < MAX_ATTEMPTS => DeliveryResult::Retrying,
            Err(_) => DeliveryResult::Failed,
        };
        let queued_for = (outcome != DeliveryResult::Retrying)
            .then(|| (self.clock.now() - c.queued_at).to_std().unwrap_or_default());
        self.telemetry.delivery_attempted(&c.platform, outcome, sending, queued_for);
    }

    /// Whether the claim still holds its lease for a whole send: in memory when the
    /// lease outlasts a send started now (with the margin to record it), else renewed in
    /// the database — which fails when the lease ran out and another claim took the row.
    async fn hold_lease(&self, c: &mut Claimed) -> CoreResult<bool> {
        let now = self.clock.now();
        let needed = chrono::Duration::from_std(SEND_TIMEOUT + LEASE_MARGIN / 2)
            .unwrap_or(chrono::Duration::MAX);
        if c.lease.until > now + needed {
            return Ok(true);
        }
        let until = now + lease();
        let mut w = self.store.begin_write().await?;
        let held = outbox::renew(&mut w, c, until, now).await?;
        w.commit().await?;
        if held {
            c.lease.until = until;
        }
        Ok(held)
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

    /// Records an attempt's outcome on the outbox entry and the message, under the
    /// claim's lease token, and publishes it; returns the message as it is now, or `None`
    /// when the entry is no longer this claim's (another claim took it over after the
    /// lease ran out: its attempt is the one recorded, and this late outcome changes
    /// nothing).
    pub async fn complete_delivery(
        &self, c: &Claimed, result: Result<SendReceipt, AdapterError>,
    ) -> CoreResult<Option<Message>> {
        let mut recorded = self.complete_deliveries(vec![(c.clone(), result)]).await?;
        Ok(recorded.pop().flatten())
    }

    /// [`Self::complete_delivery`] for many attempts in one transaction (the worker
    /// records the deliveries that ended together at once): one result per attempt, in
    /// order; each recorded message's new state is published.
    pub async fn complete_deliveries(
        &self, attempts: Vec<Attempt>,
    ) -> CoreResult<Vec<Option<Message>>> {
        if attempts.is_empty() {
            return Ok(Vec::new());
        }
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let mut recorded: Vec<Option<MessageId>> = Vec::with_capacity(attempts.len());
        // What the attempts showed about each shop's connection, the latest last.
        let mut seen: HashMap<ShopId, Seen> = HashMap::new();
        for (c, result) in attempts {
            if let Some(shown) = connection_seen(&result) {
                let entry = seen.entry(c.shop_id).or_insert((Ok(()), None));
                entry.0 = shown.0;
                if let Some(renewed) = shown.1 {
                    entry.1.get_or_insert_with(Credentials::new).extend(renewed);
                }
            }
            let (status, delivery, error, next_at, platform_id) = verdict(&c, result, now);
            if !outbox::record(&mut w, &c, status, error.clone(), next_at, now).await? {
                tracing::info!(message = "Late outcome ignored: the delivery was taken over.", outbox_id = %c.outbox_id);
                recorded.push(None);
                continue;
            }
            messages::set_delivery(&mut w, c.message_id, delivery, error, platform_id).await?;
            recorded.push(Some(c.message_id));
        }
        for (shop, (outcome, refreshed)) in &seen {
            record_in(&mut w, *shop, now, outcome, refreshed.as_ref()).await?;
        }
        let ids: Vec<MessageId> = recorded.iter().flatten().copied().collect();
        let mut stored: HashMap<MessageId, Message> = messages::get_many(Db::Tx(&mut w), &ids)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        w.commit().await?;
        for (shop, (outcome, _)) in &seen {
            self.tell_if_authorization_ended(*shop, outcome).await;
        }
        // The conversations' next replies may be due now.
        self.outbox_wake.notify_one();
        let messages: Vec<Option<Message>> =
            recorded.into_iter().map(|id| id.and_then(|id| stored.remove(&id))).collect();
        for message in messages.iter().flatten() {
            self.events.publish(InboxEvent::MessageUpdated { message: message.clone() });
        }
        Ok(messages)
    }
}

/// A claimed delivery and what sending it gave.
pub(crate) type Attempt = (Claimed, Result<SendReceipt, AdapterError>);

/// What an attempt showed about its shop's connection: the outcome and any renewed
/// credentials; `None` when no platform was called.
type Seen = (Result<(), AdapterError>, Option<Credentials>);

fn connection_seen(result: &Result<SendReceipt, AdapterError>) -> Option<Seen> {
    match result {
        Ok(receipt) => Some((Ok(()), receipt.refreshed_credentials.clone())),
        Err(e) if e.code == "no_adapter" || e.code == "unsupported" => None,
        Err(e) => Some((Err(e.clone()), None)),
    }
}
