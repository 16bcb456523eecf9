//! The client that makes the deliveries of [`crate::delivery`]: one simulator's HTTP client,
//! target URL and knobs, signing with a wrong secret, duplicating and reordering as the
//! [`WebhookFaults`] ask.

use std::sync::Mutex;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::delivery::{BatchOrder, Delivery, WebhookFaults};
use crate::{SimError, lock};

/// A notification ready to deliver.
pub(crate) struct Prepared {
    /// Becomes [`Delivery::id`].
    pub(crate) id: String,
    /// Becomes [`Delivery::subject_id`].
    pub(crate) subject_id: String,
    /// The exact body bytes.
    pub(crate) body: Vec<u8>,
}

/// The delivery of a batch of one.
pub(crate) fn only(mut deliveries: Vec<Delivery>) -> Result<Delivery, SimError> {
    deliveries.pop().ok_or_else(|| SimError::Delivery("nothing was delivered".to_owned()))
}

/// The HTTP client, target URL and knobs of one simulator's deliveries. (`pub` in this
/// private module, for the same reason as [`crate::server::Simulated`].)
pub struct Poster {
    client: reqwest::Client,
    url: Mutex<Option<String>>,
    knobs: Mutex<(WebhookFaults, StdRng)>,
}

impl Poster {
    pub(crate) fn new(url: Option<String>, timeout: Duration) -> Result<Poster, SimError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            .build()
            .map_err(|error| SimError::Client(error.to_string()))?;
        Ok(Poster {
            client,
            url: Mutex::new(url),
            knobs: Mutex::new((WebhookFaults::default(), StdRng::seed_from_u64(0))),
        })
    }

    pub(crate) fn set_url(&self, url: Option<String>) {
        *lock(&self.url) = url;
    }

    /// The target URL, or [`SimError::NoWebhookUrl`].
    pub(crate) fn url(&self) -> Result<String, SimError> {
        lock(&self.url).clone().ok_or(SimError::NoWebhookUrl)
    }

    pub(crate) fn set_faults(&self, faults: WebhookFaults) {
        *lock(&self.knobs) = (faults, StdRng::seed_from_u64(faults.seed));
    }

    pub(crate) fn faults(&self) -> WebhookFaults {
        lock(&self.knobs).0
    }

    /// The secret to sign with: `secret`, or a wrong one when the knobs ask for a bad
    /// signature (well-formed, and refused by a correct receiver).
    pub(crate) fn signing_secret(&self, secret: &str) -> String {
        if self.faults().bad_signature { format!("{secret}-wrong") } else { secret.to_owned() }
    }

    /// Delivers each notification with its own POST, in the order the knobs ask for, with
    /// the headers `sign(secret, body)` gives (the secret as [`Poster::signing_secret`]
    /// bends it). Returns the deliveries in delivery order.
    pub(crate) async fn deliver_each<F>(
        &self, url: &str, batch: Vec<Prepared>, secret: &str, sign: F,
    ) -> Result<Vec<Delivery>, SimError>
    where
        F: Fn(&str, &[u8]) -> Vec<(&'static str, String)>,
    {
        let secret = self.signing_secret(secret);
        let mut deliveries = Vec::with_capacity(batch.len());
        for prepared in self.order(batch) {
            let headers = sign(&secret, &prepared.body);
            let statuses = self.post(url, &prepared.body, &headers).await?;
            deliveries.push(Delivery {
                id: prepared.id,
                subject_id: prepared.subject_id,
                statuses,
                body: prepared.body,
            });
        }
        Ok(deliveries)
    }

    /// Delivers one notification, as [`Poster::deliver_each`] does.
    pub(crate) async fn deliver_one<F>(
        &self, url: &str, prepared: Prepared, secret: &str, sign: F,
    ) -> Result<Delivery, SimError>
    where
        F: Fn(&str, &[u8]) -> Vec<(&'static str, String)>,
    {
        only(self.deliver_each(url, vec![prepared], secret, sign).await?)
    }

    /// `items` in the delivery order the knobs ask for.
    pub(crate) fn order<T>(&self, mut items: Vec<T>) -> Vec<T> {
        let mut knobs = lock(&self.knobs);
        match knobs.0.order {
            BatchOrder::AsCreated => {}
            BatchOrder::Reversed => items.reverse(),
            BatchOrder::Shuffled => items.shuffle(&mut knobs.1),
        }
        items
    }

    /// POSTs `body` with `headers`, twice when the knobs ask for duplicates; returns each
    /// answer's status.
    pub(crate) async fn post(
        &self, url: &str, body: &[u8], headers: &[(&str, String)],
    ) -> Result<Vec<u16>, SimError> {
        let attempts = if self.faults().duplicate { 2 } else { 1 };
        let mut statuses = Vec::with_capacity(attempts);
        for _ in 0..attempts {
            let mut request = self
                .client
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_vec());
            for (name, value) in headers {
                request = request.header(*name, value.as_str());
            }
            let response =
                request.send().await.map_err(|error| SimError::Delivery(error.to_string()))?;
            let status = response.status().as_u16();
            tracing::debug!(message = "Delivered.", url, status);
            statuses.push(status);
        }
        Ok(statuses)
    }
}
