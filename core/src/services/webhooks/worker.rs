//! The webhook worker: claims due deliveries one at a time (each under a lease of its
//! own), signs and POSTs them through the daemon's transport with a time limit, and
//! records the verdict (`webhook_retry`) under the lease token: delivered, retried
//! later, failed, or — after a whole window of failures — the endpoint paused and its
//! owner told (live stream, and mail when configured). Up to
//! `webhooks.concurrency` attempts run at once, at most [`PER_ENDPOINT`] to one
//! endpoint, so an endpoint that hangs never holds the others back. Every
//! [`REFRESH_EVERY`] it re-reads the subscriptions, every [`PRUNE_EVERY`] it forgets
//! old successes.

use super::transport::{WebhookAnswer, WebhookRequest};
use crate::domain::ids::WebhookEndpointId;
use crate::domain::webhook_retry::{Attempted, Verdict, decide};
use crate::domain::webhook_signing::*;
use crate::domain::webhooks::WebhookDeliveryStatus;
use crate::error::CoreResult;
use crate::events::OwnerEvent;
use crate::inbox::Inbox;
use crate::services::slots::KeyedTasks;
use crate::storage::webhook_queue::{self, ClaimedHook, Outcome};
use crate::storage::webhooks;
use crate::storage::write::Db;
use futures_util::FutureExt;
use rand::Rng;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Most attempts in flight to one endpoint.
pub const PER_ENDPOINT: usize = 4;
/// What a lease holds beyond one attempt's limit (to record the outcome).
pub const LEASE_MARGIN: Duration = Duration::from_secs(5);
/// How often the subscriptions are re-read.
pub const REFRESH_EVERY: Duration = Duration::from_secs(5);
/// How often old successes (and rows of deleted endpoints) are forgotten.
pub const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// How long delivered rows are kept in the history.
pub const KEEP_DELIVERED_DAYS: i64 = 7;
const IDLE_POLL: Duration = Duration::from_millis(500);
const STOP_GRACE: Duration = Duration::from_secs(1);

/// The headers of one attempt, signed at `timestamp` (unix seconds).
pub fn signed_headers(c: &ClaimedHook, secret: &str, timestamp: i64) -> Vec<(String, String)> {
    vec![
        ("Content-Type".into(), "application/json".into()),
        (SIGNATURE_HEADER.into(), signature_header(secret, timestamp, c.payload.as_bytes())),
        (EVENT_HEADER.into(), c.event.clone()),
        (DELIVERY_HEADER.into(), c.id.to_string()),
        (IDEMPOTENCY_HEADER.into(), c.id.to_string()),
        ("Shopmux-Attempt".into(), c.attempts.to_string()),
    ]
}

impl Inbox {
    fn webhook_lease(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.webhooks.settings.timeout + LEASE_MARGIN)
            .unwrap_or(chrono::Duration::MAX)
    }

    /// Claims one due delivery, skipping the endpoints in `busy`.
    pub async fn claim_webhook(
        &self, busy: &[WebhookEndpointId],
    ) -> CoreResult<Option<ClaimedHook>> {
        let mut w = self.store.begin_write().await?;
        let claimed =
            webhook_queue::claim_one(&mut w, self.clock.now(), self.webhook_lease(), busy).await?;
        w.commit().await?;
        Ok(claimed)
    }

    /// Sends a claimed delivery and records the verdict.
    pub async fn perform_webhook(&self, c: ClaimedHook) -> CoreResult<()> {
        let answer = self.send_webhook(&c).await;
        self.complete_webhook(&c, &answer).await
    }

    async fn send_webhook(&self, c: &ClaimedHook) -> WebhookAnswer {
        let failed = |e: String| WebhookAnswer { error: Some(e), ..Default::default() };
        let Some(transport) = self.webhooks.transport.clone() else {
            return failed("no_transport: this daemon cannot send webhooks".into());
        };
        let secret = match &c.secret {
            Ok(s) => s,
            Err(e) => return failed(e.clone()),
        };
        let timeout = self.webhooks.settings.timeout;
        let request = WebhookRequest {
            url: c.url.clone(),
            headers: signed_headers(c, secret, self.clock.now().timestamp()),
            body: c.payload.clone(),
            timeout,
        };
        match tokio::time::timeout(timeout + Duration::from_millis(500), transport.post(request))
            .await
        {
            Ok(answer) => answer,
            Err(_) => failed(format!("timeout: no answer within {} ms", timeout.as_millis())),
        }
    }

    /// Records an attempt's answer under the claim's lease; a late answer (the lease
    /// was taken over) changes nothing.
    pub async fn complete_webhook(
        &self, c: &ClaimedHook, answer: &WebhookAnswer,
    ) -> CoreResult<()> {
        let now = self.clock.now();
        let attempted = Attempted {
            ok: answer.ok(),
            attempts: c.attempts,
            started_at: c.started_at,
            retry_since: c.retry_since,
            failing_since: c.failing_since,
            retry_after_ms: answer.retry_after_ms,
        };
        let verdict = decide(&self.webhooks.settings, &attempted, now, rand::rng().random::<f64>());
        let (status, next) = match verdict {
            Verdict::Delivered => (WebhookDeliveryStatus::Delivered, now),
            Verdict::Retry(at) => (WebhookDeliveryStatus::Pending, at),
            Verdict::Failed => (WebhookDeliveryStatus::Failed, now),
            Verdict::Pause => (WebhookDeliveryStatus::Pending, now),
        };
        let outcome = Outcome {
            status,
            next_attempt_at: next,
            status_code: answer.status,
            error: answer.shown_error(),
        };
        let mut w = self.store.begin_write().await?;
        if !webhook_queue::record(&mut w, c, &outcome, now).await? {
            tracing::info!(message = "Late webhook outcome ignored.", delivery = %c.id);
            return Ok(());
        }
        let mut paused = false;
        if verdict == Verdict::Delivered {
            webhooks::record_success(&mut w, c.endpoint_id, now).await?;
        } else {
            webhooks::record_failure(&mut w, c.endpoint_id, c.started_at, now).await?;
            if verdict == Verdict::Pause {
                paused = webhooks::pause(&mut w, c.endpoint_id, "failing", now).await?;
            }
        }
        let endpoint = if paused {
            webhooks::get(Db::Tx(&mut w), c.seller_id, c.endpoint_id).await?
        } else {
            None
        };
        w.commit().await?;
        // The conversation's next event may be due now.
        self.webhooks.wake.notify_one();
        if let Some(endpoint) = endpoint {
            tracing::warn!(message = "Webhook endpoint paused: it failed for the whole window.", endpoint = %c.endpoint_id);
            self.tell_owner_paused(c, endpoint).await;
        }
        Ok(())
    }

    async fn tell_owner_paused(
        &self, c: &ClaimedHook, endpoint: crate::domain::webhooks::WebhookEndpoint,
    ) {
        let mail = endpoint.notify_email.clone().zip(self.webhooks.transport.clone());
        self.events.tell_owner(
            c.seller_id,
            OwnerEvent::WebhookEndpointPaused { endpoint: endpoint.clone() },
        );
        if let Some((to, transport)) = mail {
            let subject = "shopmux: a webhook endpoint was paused";
            let body = format!(
                "The webhook endpoint {} failed every delivery since {} and was paused.\n\
                 New events are kept; resume it in the inbox's settings to send them in order.\n\
                 Failed attempts in a row: {}\n",
                endpoint.url,
                endpoint.failing_since.map(|t| t.to_rfc3339()).unwrap_or_default(),
                endpoint.consecutive_failures,
            );
            if let Err(error) = transport.mail(&to, subject, &body).await {
                tracing::warn!(message = "Could not mail the paused endpoint's owner.", %error);
            }
        }
    }

    /// Delivers every due webhook now, in waves, until nothing more is due; returns how
    /// many attempts were made (the worker does this by itself; tests call it).
    pub async fn deliver_webhooks_now(&self) -> CoreResult<usize> {
        let mut attempted = 0;
        loop {
            let mut wave = Vec::new();
            while wave.len() < self.webhooks.settings.concurrency.max(1) {
                let Some(c) = self.claim_webhook(&[]).await? else { break };
                wave.push(c);
            }
            if wave.is_empty() {
                return Ok(attempted);
            }
            attempted += wave.len();
            let done =
                futures_util::future::join_all(wave.into_iter().map(|c| self.perform_webhook(c)))
                    .await;
            done.into_iter().collect::<CoreResult<Vec<_>>>()?;
        }
    }

    /// Forgets successes older than a week and rows of deleted endpoints.
    async fn prune_webhooks(&self) -> CoreResult<()> {
        let before = self.clock.now() - chrono::Duration::days(KEEP_DELIVERED_DAYS);
        let mut w = self.store.begin_write().await?;
        webhook_queue::prune(&mut w, before).await?;
        w.commit().await
    }
}

/// Claims and starts deliveries while there are free slots and deliveries due.
async fn fill(in_flight: &mut KeyedTasks<WebhookEndpointId>, inbox: &Arc<Inbox>) {
    while in_flight.len() < inbox.webhooks.settings.concurrency.max(1) {
        let busy = in_flight.busy(PER_ENDPOINT);
        let claimed = match inbox.claim_webhook(&busy).await {
            Ok(Some(c)) => c,
            Ok(None) => break,
            Err(error) => {
                tracing::warn!(message = "Webhook claim failed.", %error);
                break;
            }
        };
        let inbox = inbox.clone();
        in_flight.spawn(claimed.endpoint_id, async move {
            match AssertUnwindSafe(inbox.perform_webhook(claimed)).catch_unwind().await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::warn!(message = "Webhook outcome not recorded.", %error),
                Err(_) => tracing::error!(message = "A webhook delivery panicked."),
            }
        });
    }
}

/// The webhook worker task.
pub(crate) async fn run_loop(inbox: Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let Some(wake) = inbox.upgrade().map(|i| i.webhooks.wake.clone()) else { return };
    let mut in_flight = KeyedTasks::default();
    let mut refreshed = Instant::now();
    let mut pruned: Option<Instant> = None;
    loop {
        in_flight.reap();
        let Some(strong) = inbox.upgrade() else { break };
        if refreshed.elapsed() >= REFRESH_EVERY {
            refreshed = Instant::now();
            if let Err(error) = strong.store.reload_webhook_subs().await {
                tracing::warn!(message = "Webhook subscriptions not re-read.", %error);
            }
        }
        if pruned.is_none_or(|at| at.elapsed() >= PRUNE_EVERY) {
            pruned = Some(Instant::now());
            if let Err(error) = strong.prune_webhooks().await {
                tracing::warn!(message = "Old webhook deliveries not pruned.", %error);
            }
        }
        fill(&mut in_flight, &strong).await;
        drop(strong);
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = in_flight.next_finished() => {}
            _ = shutdown.changed() => break,
        }
    }
    in_flight.drain(STOP_GRACE).await;
}
