//! Liveness and readiness: `/healthz` answers while the process runs; `/readyz` only
//! when the database answers, every migration is applied, and the daemon is not
//! shutting down (it answers 503 from the moment a SIGTERM arrives, so load balancers
//! take the daemon out before it stops accepting).

use super::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Serialize;
use utoipa::ToSchema;

/// A health answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `ok`, `unavailable`, or `draining` (shutting down).
    pub status: &'static str,
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", security(()), tag = "operations",
    responses((status = 200, body = Health)))]
pub async fn healthz() -> Json<Health> {
    Json(Health { status: "ok" })
}

/// The database is reachable and migrated, and the daemon is not shutting down.
#[utoipa::path(get, path = "/readyz", security(()), tag = "operations",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn readyz(State(app): State<AppState>) -> (StatusCode, Json<Health>) {
    if !app.sockets.serving() {
        return (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "draining" }));
    }
    match app.inbox.ready().await {
        Ok(true) => (StatusCode::OK, Json(Health { status: "ok" })),
        _ => (StatusCode::SERVICE_UNAVAILABLE, Json(Health { status: "unavailable" })),
    }
}
