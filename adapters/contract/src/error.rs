//! The one error vocabulary of adapter calls: a machine code, a message for agents and
//! logs, and whether retrying later may succeed (with the platform's `retry-after`).
//! Built-in adapters, plugins and the host's own failures around a call (a timeout, a
//! panicking adapter) all speak it.

use crate::http::HttpResponse;
use serde::{Deserialize, Serialize};

/// The code of a failure saying the platform refused the connection's refresh token for
/// good (its documented invalid or expired refresh-token error; never a network error or
/// a 5xx): the seller's authorization is over. The host marks the connection revoked,
/// its sends fail at once, and the owner reconnects the shop.
pub const AUTHORIZATION_EXPIRED: &str = "authorization_expired";

/// A failure of an adapter call. `retryable` tells the outbox whether to back off and
/// try again (timeouts, 5xx, 429) or mark the delivery failed for good.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterError {
    /// A short machine code: `timeout`, `http_503`, `rate_limited`, `bad_signature`,
    /// `token_expired`, the platform's own error code, ...
    pub code: String,
    /// What happened, for the agent and the logs (never a secret).
    pub message: String,
    /// Whether trying again later may succeed.
    pub retryable: bool,
    /// Not before this many milliseconds (a platform's `retry-after`).
    pub retry_after_ms: Option<u64>,
}

impl AdapterError {
    /// A failure that will not go away by retrying.
    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), retryable: false, retry_after_ms: None }
    }

    /// A failure worth retrying later.
    pub fn transient(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into(), retryable: true, retry_after_ms: None }
    }

    /// The platform refused the refresh token for good ([`AUTHORIZATION_EXPIRED`]).
    pub fn authorization_expired(message: impl Into<String>) -> Self {
        Self::permanent(AUTHORIZATION_EXPIRED, message)
    }

    /// What a platform does not offer: a permanent `unsupported` error saying
    /// "{platform} offers no {what} here".
    pub fn unsupported(platform: &crate::Platform, what: &str) -> Self {
        Self::permanent("unsupported", format!("{platform} offers no {what} here"))
    }

    /// The usual reading of an HTTP failure: 408, 429 and 5xx are transient (429 and 503
    /// honour `retry-after` in seconds), the rest permanent.
    pub fn from_status(response: &HttpResponse, message: impl Into<String>) -> Self {
        let status = response.status;
        let retryable = status == 408 || status == 429 || status >= 500;
        let retry_after_ms = response
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| s * 1000);
        Self {
            code: if status == 429 { "rate_limited".into() } else { format!("http_{status}") },
            message: message.into(),
            retryable,
            retry_after_ms,
        }
    }
}

impl std::fmt::Display for AdapterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AdapterError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_failures_are_classified_for_the_outbox() {
        let resp = |status, retry_after: Option<&str>| HttpResponse {
            status,
            headers: retry_after
                .map(|v| vec![("retry-after".to_owned(), v.to_owned())])
                .unwrap_or_default(),
            body: vec![],
        };
        let e = AdapterError::from_status(&resp(503, None), "down");
        assert!(e.retryable);
        assert_eq!(e.code, "http_503");
        let e = AdapterError::from_status(&resp(429, Some("7")), "slow down");
        assert_eq!((e.retryable, e.retry_after_ms), (true, Some(7000)));
        assert_eq!(e.code, "rate_limited");
        let e = AdapterError::from_status(&resp(400, None), "bad request");
        assert!(!e.retryable);
    }
}
