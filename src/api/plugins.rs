//! The configured adapter plugins as the daemon found them at start — loaded, or refused
//! and why — for the main account's settings (read-only; `shopmux plugins list` prints
//! the same).

use super::doc::{Forbidden, Unauthorized};
use super::error::JsonResult;
use super::extract::{ApiJson, Auth, owner};
use crate::plugins::PluginStatus;

/// The plugin libraries: loaded (name, platform, version, ABI, capabilities) or refused
/// with the reason. Main account only.
#[utoipa::path(get, path = "/api/v1/plugins", tag = "operations",
    responses((status = 200, body = Vec<PluginStatus>), Unauthorized, Forbidden))]
pub async fn list(auth: Auth) -> JsonResult<Vec<PluginStatus>> {
    owner(&auth)?;
    Ok(ApiJson(auth.app.plugins.as_ref().clone()))
}
