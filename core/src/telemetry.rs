//! What the engine tells an operator's metrics, without knowing the exporter: the
//! daemon implements [`Telemetry`] and hands it to `InboxOptions`; the engine
//! calls it at a few points — once per `Inbox::apply` call (the ingest
//! acknowledgement), once per delivery attempt, and on adapter calls that fail — and
//! never per message inside the ingest writer. Every method has a default that does
//! nothing ([`NoTelemetry`], the engine's default), so tools and tests pass nothing.
//!
//! What the engine knows only by asking the database (outbox depth and age, queued
//! conversations, the pool) is read when the metrics are read:
//! `Inbox::operations_gauges`.

use shopmux_contract::Platform;
use std::time::Duration;

/// What became of one delivery attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeliveryResult {
    /// The platform took the reply.
    Delivered,
    /// A transient failure: it will be tried again.
    Retrying,
    /// Given up: the message is `failed`.
    Failed,
}

impl DeliveryResult {
    /// Its name as a metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryResult::Delivered => "delivered",
            DeliveryResult::Retrying => "retrying",
            DeliveryResult::Failed => "failed",
        }
    }
}

/// What one `Inbox::apply` call did, for the ingest metrics.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IngestTally {
    /// Messages stored now.
    pub stored: usize,
    /// Messages an earlier delivery stored.
    pub duplicates: usize,
    /// Events refused (invalid, or against the platform's rules).
    pub refused: usize,
}

/// The engine's observations, for the daemon's metrics. Implementations must be cheap:
/// these are called on the request's task (an atomic add or a histogram observation).
pub trait Telemetry: Send + Sync {
    /// A call of `Inbox::apply` for a shop of `platform` finished after
    /// `waited` (its messages committed, when it succeeded): what a platform or a
    /// poller waits for its acknowledgement. `tally` is `None` when the call failed.
    fn ingest_applied(&self, platform: &Platform, tally: Option<IngestTally>, waited: Duration) {
        let _ = (platform, tally, waited);
    }

    /// A delivery attempt to `platform` ended: the send took `sending`; `queued_for` is
    /// how long the reply waited from its acceptance until it was delivered or given up
    /// (`None` while it is retried).
    fn delivery_attempted(
        &self, platform: &Platform, result: DeliveryResult, sending: Duration,
        queued_for: Option<Duration>,
    ) {
        let _ = (platform, result, sending, queued_for);
    }

    /// An adapter call (`call`: `send`, `poll`, `parse_webhook`, …) of `platform` failed
    /// for `reason`: a failure of the call itself (`timeout`, `adapter_panic`,
    /// `plugin_*`, `no_adapter`) or, for calls that reach the platform, `transient` or
    /// `permanent` (the platform's own code is not a label: it is unbounded). A call
    /// the adapter does not declare is not a failure.
    fn adapter_call_failed(&self, platform: &Platform, call: &'static str, reason: &str) {
        let _ = (platform, call, reason);
    }
}

/// Telemetry that records nothing (the engine's default).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoTelemetry;

impl Telemetry for NoTelemetry {}

/// The codes of [`shopmux_contract::AdapterError`] that say the call itself failed (not
/// the platform): they are labels as they are; every other code is `transient` or
/// `permanent`.
pub const CALL_FAILURES: &[&str] = &[
    "timeout",
    "adapter_panic",
    "no_adapter",
    "plugin_unavailable",
    "plugin_bad_input",
    "plugin_bad_output",
    "plugin_panic",
    "plugin_bad_status",
];

/// The label of an adapter error's reason: its code when it is one of
/// [`CALL_FAILURES`], else `transient` or `permanent`.
pub fn failure_reason(error: &shopmux_contract::AdapterError) -> &str {
    match CALL_FAILURES.iter().find(|c| **c == error.code) {
        Some(code) => code,
        None if error.retryable => "transient",
        None => "permanent",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_contract::AdapterError;

    #[test]
    fn a_platform_code_is_no_label_but_a_call_failure_is() {
        assert_eq!(failure_reason(&AdapterError::transient("timeout", "late")), "timeout");
        assert_eq!(failure_reason(&AdapterError::transient("plugin_panic", "x")), "plugin_panic");
        assert_eq!(failure_reason(&AdapterError::transient("rate_limited_42", "x")), "transient");
        assert_eq!(failure_reason(&AdapterError::permanent("36009004", "x")), "permanent");
    }
}
