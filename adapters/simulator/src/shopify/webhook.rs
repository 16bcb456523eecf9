//! Shopify webhooks out (§2.1): a topic's JSON payload POSTed to the configured target
//! with the `X-Shopify-*` headers and `X-Shopify-Hmac-Sha256` from [`super::sign`].
//!
//! With [`WebhookFaults::bad_signature`] the HMAC is made with a wrong secret: well-formed,
//! and refused by a correct receiver; [`WebhookFaults::duplicate`] delivers the same bytes
//! and webhook id twice.

use std::sync::atomic::Ordering;

use serde_json::Value;

use super::SimHandle;
use super::sign::{header, webhook_hmac};
use crate::delivery::{Delivery, WebhookFaults};
use crate::{SimError, lock};

/// Where and as which app and shop the simulator delivers webhooks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookTarget {
    /// The subscription's address.
    pub url: String,
    /// The app's client secret, the HMAC key.
    pub client_secret: String,
    /// `X-Shopify-Shop-Domain`, e.g. `sim-store.myshopify.com`.
    pub shop_domain: String,
    /// `X-Shopify-API-Version`, e.g. `2026-01`.
    pub api_version: String,
}

impl SimHandle {
    /// Sets (or, with `None`, removes) where webhooks go.
    pub fn set_webhook_target(&self, target: Option<WebhookTarget>) {
        *lock(&self.shared.webhook) = target;
    }

    /// Sets the delivery knobs (a wrong signature, duplicates).
    pub fn set_webhook_faults(&self, faults: WebhookFaults) {
        self.shared.poster.set_faults(faults);
    }

    /// POSTs `payload` as a `topic` webhook (e.g. `customers/update`). The delivery's `id`
    /// is the `X-Shopify-Webhook-Id`, its `subject_id` the payload's `id` when it has one.
    pub async fn push_webhook(&self, topic: &str, payload: &Value) -> Result<Delivery, SimError> {
        let target = lock(&self.shared.webhook).clone().ok_or(SimError::NoWebhookUrl)?;
        let body = serde_json::to_vec(payload)?;
        let n = self.shared.deliveries.fetch_add(1, Ordering::Relaxed) + 1;
        // Shopify's ids are UUIDs; these are UUID-shaped and count up.
        let webhook_id = format!("00000000-0000-4000-8000-{n:012}");
        let secret = self.shared.poster.signing_secret(&target.client_secret);
        let headers = [
            (header::HMAC, webhook_hmac(&secret, &body)),
            (header::TOPIC, topic.to_owned()),
            (header::SHOP_DOMAIN, target.shop_domain.clone()),
            (header::API_VERSION, target.api_version.clone()),
            (header::WEBHOOK_ID, webhook_id.clone()),
            (header::EVENT_ID, format!("sim-event-{n}")),
            (header::TRIGGERED_AT, chrono::Utc::now().to_rfc3339()),
        ];
        let statuses = self.shared.poster.post(&target.url, &body, &headers).await?;
        let subject_id = match payload.get("id") {
            Some(Value::String(id)) => id.clone(),
            Some(id @ Value::Number(_)) => id.to_string(),
            _ => webhook_id.clone(),
        };
        Ok(Delivery { id: webhook_id, subject_id, statuses, body })
    }
}
