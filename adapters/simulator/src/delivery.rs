//! Outgoing webhook / push deliveries, shared by the simulators.
//!
//! A delivery is one HTTP POST of exact body bytes with the platform's signature headers.
//! [`WebhookFaults`] bend it the ways platforms do: a signature the receiver must refuse, the
//! same notification delivered twice, and a batch delivered in another order than it
//! happened. Deliveries are sequential: each POST waits for the receiver's answer.

use std::sync::Mutex;
use std::time::Duration;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::{SimError, lock};

/// In which order a batch of notifications is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchOrder {
    /// In the order the events happened.
    #[default]
    AsCreated,
    /// Newest first.
    Reversed,
    /// A permutation drawn from [`WebhookFaults::seed`].
    Shuffled,
}

/// Knobs for outgoing deliveries. `WebhookFaults::default()` delivers each notification once,
/// correctly signed, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WebhookFaults {
    /// Seed for [`BatchOrder::Shuffled`]; setting the knobs reseeds.
    pub seed: u64,
    /// Sign with a wrong secret, so a correct receiver refuses the delivery.
    pub bad_signature: bool,
    /// Deliver every notification twice, byte for byte (same notification id).
    pub duplicate: bool,
    /// Order of a batch.
    pub order: BatchOrder,
}

/// The outcome of delivering one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The notification's id: TikTok `tts_notification_id`, Douyin `msg_id` (for a push of
    /// several messages in one body, the first message's).
    pub id: String,
    /// The id of what the notification is about (TikTok: `message_id` or
    /// `conversation_id`; Douyin: the order id when there is one, else the `msg_id`).
    pub subject_id: String,
    /// The receiver's HTTP status for each POST, in order (two when duplicated).
    pub statuses: Vec<u16>,
    /// The exact body bytes delivered.
    pub body: Vec<u8>,
}

impl Delivery {
    /// The status of the first POST.
    pub fn status(&self) -> u16 {
        self.statuses.first().copied().unwrap_or_default()
    }
}

/// The HTTP client, target URL and knobs of one simulator's deliveries.
pub(crate) struct Poster {
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
        &self,
        url: &str,
        body: &[u8],
        headers: &[(&str, String)],
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
            let response = request
                .send()
                .await
                .map_err(|error| SimError::Delivery(error.to_string()))?;
            let status = response.status().as_u16();
            tracing::debug!(message = "Delivered.", url, status);
            statuses.push(status);
        }
        Ok(statuses)
    }
}
