//! Presence: the caller's own status, accept-assignment switch and maximum
//! (`/api/v1/me/presence`; only the agent itself changes its maximum, DY-CAP-1), and
//! the main account's team view with every account's presence and load.

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, Auth};
use axum::extract::State;
use shopmux_core::services::presence::{Presence, PresenceUpdate};

/// The caller's presence and load.
#[utoipa::path(get, path = "/api/v1/me/presence", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Presence), (status = 401, body = ErrorBody)))]
pub async fn get_presence(State(app): State<AppState>, auth: Auth) -> ApiResult<ApiJson<Presence>> {
    Ok(ApiJson(app.inbox.presence(&auth.0).await?))
}

/// Change the caller's own status (`online`, `busy`, `offline`), accept-assignment
/// switch or maximum of simultaneous buyers (1..50). Raising capacity or coming online
/// assigns queued conversations at once.
#[utoipa::path(put, path = "/api/v1/me/presence", tag = "agents", request_body = PresenceUpdate, security(("bearer" = [])),
    responses((status = 200, body = Presence), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_presence(
    State(app): State<AppState>,
    auth: Auth,
    ApiJson(update): ApiJson<PresenceUpdate>,
) -> ApiResult<ApiJson<Presence>> {
    Ok(ApiJson(app.inbox.set_presence(&auth.0, update).await?))
}

/// Every account of the seller with its presence and load (main account only).
#[utoipa::path(get, path = "/api/v1/team/presence", tag = "agents", security(("bearer" = [])),
    responses((status = 200, body = Vec<Presence>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn team(State(app): State<AppState>, auth: Auth) -> ApiResult<ApiJson<Vec<Presence>>> {
    Ok(ApiJson(app.inbox.team_presence(&auth.0).await?))
}
