//! The pre-send compliance check for live warnings: a draft of a reply checked against
//! the shop's contact policies (its platform's, with the shop's overrides) while the
//! agent types. Sending applies the same check (see the reply's `acknowledged_policies`).

use super::doc::{BadRequest, ConversationPath, NotFound, Unauthorized, Unprocessable};
use super::error::JsonResult;
use super::extract::{ApiJson, ApiPath, Auth};
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::services::compliance::{Draft, DraftCheck};

/// Check a draft reply against the shop's contact policies: each finding names the
/// policy ID, its kind and the characters of the draft that break it (`start`..`end`, in
/// Unicode characters). Nothing is stored.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/compliance",
    tag = "conversations", request_body = Draft, params(ConversationPath),
    responses((status = 200, body = DraftCheck), BadRequest, Unauthorized, NotFound,
        Unprocessable))]
pub async fn check(
    auth: Auth, ApiPath(id): ApiPath<ConversationId>, ApiJson(draft): ApiJson<Draft>,
) -> JsonResult<DraftCheck> {
    Ok(ApiJson(auth.inbox().check_draft(&auth.viewer, id, &draft).await?))
}
