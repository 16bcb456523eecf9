//! `GET /metrics`: every `shopmux_*` metric in the OpenMetrics text format (which
//! Prometheus scrapes natively) — the counters and histograms recorded as things happen
//! ([`crate::telemetry`]) and the gauges read from the engine at each scrape. Public
//! unless `access.metrics_token` is set; then only `Authorization: Bearer <that token>`
//! reads them (compared in constant time), anything else gets 401 `unauthorized`.

use super::AppState;
use super::doc::Unauthorized;
use super::error::ApiError;
use crate::telemetry::DaemonMetrics;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// The OpenMetrics text format's content type.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The daemon's metrics and who may read them.
#[derive(Debug, Default)]
pub struct Metrics {
    /// The bearer token `/metrics` requires, if any (`access.metrics_token`).
    pub token: Option<String>,
    /// Every metric.
    pub all: Arc<DaemonMetrics>,
}

impl Metrics {
    /// Metrics at zero (no platform loaded), read with `token` when one is given.
    pub fn with_token(token: Option<String>) -> Self {
        Self { token, ..Default::default() }
    }

    /// The daemon's metrics, read with `token` when one is given.
    pub fn new(token: Option<String>, all: Arc<DaemonMetrics>) -> Self {
        Self { token, all }
    }

    /// Counts a delivery to the webhook or signed inbound route by its result.
    pub fn webhook(&self, platform: &str, result: &str) {
        self.all.webhook(platform, result);
    }

    /// Whether the request may read the metrics.
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

/// Every `shopmux_*` metric, OpenMetrics text format. Public, unless
/// `access.metrics_token` is set: then `Authorization: Bearer <access.metrics_token>`
/// is required (401 otherwise).
#[utoipa::path(get, path = "/metrics", security((), ("metrics" = [])), tag = "operations",
    responses((status = 200, description = "OpenMetrics text format", body = String,
        content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"), Unauthorized))]
pub async fn metrics(
    State(app): State<AppState>, headers: HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    if !app.metrics.allows(&headers) {
        return Err(ApiError::unauthorized());
    }
    let gauges = app.inbox.operations_gauges().await?;
    let body = app.metrics.all.render(&gauges);
    Ok(([(axum::http::header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response())
}
