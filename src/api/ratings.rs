//! Ratings (DY-RATE-1): an agent's rating invitation in a conversation, and the ratings
//! buyers gave, listed with filters. A buyer rates through their chat (the storefront
//! widget's rating card, a platform's report, or a rating card through the `api`
//! channel); there is no agent-side route to rate.

use super::doc::{
    BadGateway, BadRequest, Conflict, ConversationPath, Forbidden, NotFound, Unauthorized,
    Unavailable, Unprocessable,
};
use super::error::{ApiResult, JsonResult};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::http::StatusCode;
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::domain::model::Message;
use shopmux_core::domain::ratings::RatingQuery;
use shopmux_core::services::ratings::RatingPage;

/// Send a rating invitation: a rating card with no preselected score, as the agent's
/// reply (stored `pending`, then delivered like any reply). Where the platform's chat does
/// not carry rating cards, 422 `rule_violation` names the rule (ALL-CARD-1, or the
/// platform's own message-kind rule).
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/rating_invitation",
    tag = "conversations", params(ConversationPath),
    responses((status = 202, body = Message), BadRequest, Unauthorized, Forbidden, NotFound,
        Conflict, Unprocessable, BadGateway, Unavailable))]
pub async fn invite(
    auth: Auth, ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<(StatusCode, ApiJson<Message>)> {
    let message = auth.inbox().request_rating(&auth.viewer, id).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(message)))
}

/// The ratings buyers gave in the shops the caller sees, newest first: every rating is
/// kept, `latest` marks the one that counts for its conversation.
#[utoipa::path(get, path = "/api/v1/ratings", tag = "conversations", params(RatingQuery),
    responses((status = 200, body = RatingPage), BadRequest, Unauthorized, NotFound,
        Unprocessable))]
pub async fn list(auth: Auth, ApiQuery(q): ApiQuery<RatingQuery>) -> JsonResult<RatingPage> {
    Ok(ApiJson(auth.inbox().ratings(&auth.viewer, &q).await?))
}
