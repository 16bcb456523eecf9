//! Service-level targets as a figure: per shop and agent, the first replies that missed
//! the shop's "first reply within N minutes" over a period, out of the targets that fell
//! due in it. The target itself is a shop setting (`settings.service_level`).

use super::doc::{BadRequest, NotFound, Unauthorized, Unprocessable};
use super::error::JsonResult;
use super::extract::{ApiJson, ApiQuery, Auth};
use shopmux_core::services::service_levels::{ServiceLevelQuery, ServiceLevelReport};

/// Breach counts of the shops' first-reply targets over a period (default: the last 7
/// days; at most 92), per shop and agent, with the numerator (missed) and denominator
/// (due). A target counts in the period it fell due in; one still ahead counts nowhere.
/// A sub-account gets its own line only.
#[utoipa::path(get, path = "/api/v1/service-levels", tag = "conversations",
    params(ServiceLevelQuery),
    responses((status = 200, body = ServiceLevelReport), BadRequest, Unauthorized, NotFound,
        Unprocessable))]
pub async fn report(
    auth: Auth, ApiQuery(q): ApiQuery<ServiceLevelQuery>,
) -> JsonResult<ServiceLevelReport> {
    Ok(ApiJson(auth.inbox().service_levels(&auth.viewer, &q).await?))
}
