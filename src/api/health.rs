//! Liveness and readiness: `/healthz` answers while the process runs; `/readyz` only
//! when the database answers and every migration is applied.

use super::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: &'static str,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", security(()), tag = "operations",
    responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database is reachable and migrated.
#[utoipa::path(get, path = "/readyz", security(()), tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Health>) {
    match app.inbox.ready().await {
        Ok(true) => (StatusCode::OK, Json(Health { status: "ok" })),
        _ => (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable" })),
    }
}
