//! `GET /metrics`: counters in the Prometheus text format — webhook deliveries accepted,
//! refused for a bad signature, and malformed.

use super::AppState;
use axum::extract::State;
use std::sync::atomic::{AtomicU64, Ordering};

/// The daemon's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Webhook deliveries accepted.
    pub webhooks_accepted: AtomicU64,
    /// Webhook deliveries refused for a bad or missing signature.
    pub webhooks_bad_signature: AtomicU64,
    /// Webhook deliveries that were signed but could not be read.
    pub webhooks_malformed: AtomicU64,
}

/// The counters, Prometheus text format.
#[utoipa::path(get, path = "/metrics", security(()), tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String)))]
pub async fn metrics(State(app): State<AppState>) -> String {
    let m = &app.metrics;
    let line = |name: &str, help: &str, label: &str, v: &AtomicU64| {
        format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name}{{result=\"{label}\"}} {}\n",
            v.load(Ordering::Relaxed)
        )
    };
    [
        line(
            "shopmux_webhooks_total",
            "Webhook deliveries by result.",
            "accepted",
            &m.webhooks_accepted,
        ),
        line(
            "shopmux_webhooks_total",
            "Webhook deliveries by result.",
            "bad_signature",
            &m.webhooks_bad_signature,
        ),
        line(
            "shopmux_webhooks_total",
            "Webhook deliveries by result.",
            "malformed",
            &m.webhooks_malformed,
        ),
    ]
    .concat()
}
