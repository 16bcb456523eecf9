//! What the webhook worker needs from the daemon: an HTTP POST under the outbound
//! policy (the core knows no HTTP), and a mail to the owner when an endpoint is paused.

use std::time::Duration;

/// One signed POST.
#[derive(Clone, Debug)]
pub struct WebhookRequest {
    /// The endpoint's URL.
    pub url: String,
    /// The headers (content type, signature, event, delivery, idempotency).
    pub headers: Vec<(String, String)>,
    /// The body, exactly as signed.
    pub body: String,
    /// The attempt's time limit.
    pub timeout: Duration,
}

/// What came back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebhookAnswer {
    /// The HTTP status, if an answer came.
    pub status: Option<u16>,
    /// The answer's `Retry-After`, in milliseconds.
    pub retry_after_ms: Option<u64>,
    /// What went wrong without an answer (a timeout, a refused address, …).
    pub error: Option<String>,
}

impl WebhookAnswer {
    /// Whether it delivers: a 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// The error shown for a failed attempt.
    pub fn shown_error(&self) -> Option<String> {
        match (self.ok(), self.status, &self.error) {
            (true, _, _) => None,
            (false, _, Some(e)) => Some(e.clone()),
            (false, Some(s), None) => Some(format!("HTTP {s}")),
            (false, None, None) => Some("no answer".into()),
        }
    }
}

/// Sends webhook requests and owner mail for the worker.
#[async_trait::async_trait]
pub trait WebhookTransport: Send + Sync {
    /// POSTs one request (bounded by its timeout; answers read up to the outbound cap).
    async fn post(&self, request: WebhookRequest) -> WebhookAnswer;

    /// Mails `to`; `Err` when mail is not configured or failed.
    async fn mail(&self, to: &str, subject: &str, body: &str) -> Result<(), String>;
}
