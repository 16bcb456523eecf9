//! Presence: the caller's own status, accept-assignment switch and maximum
//! (`/api/v1/me/presence`; only the agent itself changes its maximum, DY-CAP-1), and
//! the main account's team view with every account's presence and load.

use super::doc::{BadRequest, Forbidden, Unauthorized, Unprocessable};
use super::error::JsonResult;
use super::extract::{ApiJson, Auth};
use shopmux_core::services::presence::{Presence, PresenceUpdate};

/// The caller's presence and load.
#[utoipa::path(get, path = "/api/v1/me/presence", tag = "agents",
    responses((status = 200, body = Presence), Unauthorized))]
pub async fn get_presence(auth: Auth) -> JsonResult<Presence> {
    Ok(ApiJson(auth.inbox().presence(&auth.viewer).await?))
}

/// Change the caller's own status (`online`, `busy`, `offline`), accept-assignment
/// switch or maximum of simultaneous buyers (1..50). Raising capacity or coming online
/// assigns queued conversations at once.
#[utoipa::path(put, path = "/api/v1/me/presence", tag = "agents", request_body = PresenceUpdate,
    responses((status = 200, body = Presence), BadRequest, Unauthorized, Unprocessable))]
pub async fn set_presence(
    auth: Auth, ApiJson(update): ApiJson<PresenceUpdate>,
) -> JsonResult<Presence> {
    Ok(ApiJson(auth.inbox().set_presence(&auth.viewer, update).await?))
}

/// Every account of the seller with its presence and load (main account only).
#[utoipa::path(get, path = "/api/v1/team/presence", tag = "agents",
    responses((status = 200, body = Vec<Presence>), Unauthorized, Forbidden))]
pub async fn team(auth: Auth) -> JsonResult<Vec<Presence>> {
    Ok(ApiJson(auth.inbox().team_presence(&auth.viewer).await?))
}
