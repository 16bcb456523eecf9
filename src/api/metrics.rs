//! `GET /metrics`: counters in the Prometheus text format — webhook deliveries accepted,
//! refused for a bad signature, and malformed. Public unless `access.metrics_token` is
//! set; then only `Authorization: Bearer <that token>` reads them (compared in constant
//! time), anything else gets 401 `unauthorized`.

use super::AppState;
use super::doc::Unauthorized;
use super::error::ApiError;
use axum::extract::State;
use axum::http::HeaderMap;
use std::sync::atomic::{AtomicU64, Ordering};
use subtle::ConstantTimeEq;

/// The daemon's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// The bearer token `/metrics` requires, if any (`access.metrics_token`).
    pub token: Option<String>,
    /// Webhook deliveries accepted.
    pub webhooks_accepted: AtomicU64,
    /// Webhook deliveries refused for a bad or missing signature.
    pub webhooks_bad_signature: AtomicU64,
    /// Webhook deliveries that were signed but could not be read.
    pub webhooks_malformed: AtomicU64,
}

impl Metrics {
    /// Counters at zero, read with `token` when one is given.
    pub fn with_token(token: Option<String>) -> Self {
        Self { token, ..Default::default() }
    }

    /// Whether the request may read the counters.
    fn allows(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map_or("", |(_, t)| t.trim());
        bool::from(given.as_bytes().ct_eq(token.as_bytes()))
    }
}

/// The counters, Prometheus text format. Public, unless `access.metrics_token` is set:
/// then `Authorization: Bearer <access.metrics_token>` is required (401 otherwise).
#[utoipa::path(get, path = "/metrics", security((), ("metrics" = [])), tag = "operations",
    responses((status = 200, description = "Prometheus text format", body = String), Unauthorized))]
pub async fn metrics(State(app): State<AppState>, headers: HeaderMap) -> Result<String, ApiError> {
    if !app.metrics.allows(&headers) {
        return Err(ApiError::unauthorized());
    }
    let m = &app.metrics;
    let line = |name: &str, help: &str, label: &str, v: &AtomicU64| {
        format!(
            "# HELP {name} {help}\n# TYPE {name} counter\n{name}{{result=\"{label}\"}} {}\n",
            v.load(Ordering::Relaxed)
        )
    };
    Ok([
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
    .concat())
}
