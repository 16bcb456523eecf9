//! Quick replies (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1): the caller's own set and the
//! shops' sets (written by the main account only: 403 for others), searched, reordered,
//! and rendered for a conversation — rendering returns the text for the reply box and
//! sends nothing. A text's `{variable}` must be a known one (422 `unknown_variable`);
//! a reply still holding one is refused when sent (422 `unfilled_variable`).

use super::doc::{BadRequest, ConversationPath, Forbidden, NotFound, Unauthorized, Unprocessable};
use super::error::{ApiResult, JsonResult, Ok as OkBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::http::StatusCode;
use serde::Deserialize;
use shopmux_core::domain::ids::{ConversationId, QuickReplyId, ShopId};
use shopmux_core::domain::quick_replies::{QuickReply, QuickReplyInput, Rendered, Translation};
use shopmux_core::services::quick_replies::Scope;
use utoipa::{IntoParams, ToSchema};

/// The path parameter `quick_reply_id`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct QuickReplyPath {
    /// The quick reply.
    pub quick_reply_id: QuickReplyId,
}

/// Which quick replies to list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QuickReplySearch {
    /// Words of the group, title or texts (case-insensitive, partial; none: all).
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// `all` (the default: the caller's own and the shops'), `own` or `shop`.
    #[param(inline)]
    pub scope: Option<Scope>,
    /// Only this shop's set (beside the caller's own, unless `scope=shop`).
    pub shop_id: Option<ShopId>,
}

/// A new quick reply: the caller's own, or a shop's (`shop_id`, main account only).
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQuickReply {
    /// The shop whose set it joins (absent: the caller's own).
    #[serde(default)]
    pub shop_id: Option<ShopId>,
    /// Its group's name (absent or empty: no group).
    #[schema(max_length = 64)]
    #[serde(default)]
    pub group: Option<String>,
    /// Title, also the shortcut typed after `/`.
    #[schema(min_length = 1, max_length = 64, pattern = r"\S")]
    pub title: String,
    /// The default text; `{variable}`s allowed: `buyer_name`, `order_id`,
    /// `order_status`, `tracking_number`, `product_name`, `shop_name`, `agent_nickname`.
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
    pub text: String,
    /// Versions in other languages, one per language.
    #[schema(max_items = 20)]
    #[serde(default)]
    pub translations: Vec<Translation>,
}

/// A set's new order.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuickReplyOrder {
    /// The shop whose set this is (absent: the caller's own).
    #[serde(default)]
    pub shop_id: Option<ShopId>,
    /// Every reply of the set, once each, in the new order.
    pub ids: Vec<QuickReplyId>,
}

/// The quick replies the caller may use, in order: its own set, then each shop's
/// (groups by their first reply, replies by position).
#[utoipa::path(get, path = "/api/v1/quick_replies", tag = "quick_replies",
    params(QuickReplySearch),
    responses((status = 200, body = Vec<QuickReply>), BadRequest, Unauthorized, NotFound,
        Unprocessable))]
pub async fn list(
    auth: Auth, ApiQuery(q): ApiQuery<QuickReplySearch>,
) -> JsonResult<Vec<QuickReply>> {
    let scope = q.scope.unwrap_or_default();
    let found = auth.inbox().quick_replies(&auth.viewer, scope, q.shop_id, q.q.as_deref()).await?;
    Ok(ApiJson(found))
}

/// Add a quick reply at the end of its set.
#[utoipa::path(post, path = "/api/v1/quick_replies", tag = "quick_replies",
    request_body = NewQuickReply,
    responses((status = 201, body = QuickReply), BadRequest, Unauthorized, Forbidden, NotFound,
        (status = 422, description = "A field's value is not valid (`invalid_field`), or a text names a variable that does not exist (`unknown_variable`)", body = super::error::ErrorBody)))]
pub async fn create(
    auth: Auth, ApiJson(body): ApiJson<NewQuickReply>,
) -> ApiResult<(StatusCode, ApiJson<QuickReply>)> {
    let input = QuickReplyInput {
        group: body.group,
        title: body.title,
        text: body.text,
        translations: body.translations,
    };
    let created = auth.inbox().create_quick_reply(&auth.viewer, body.shop_id, &input).await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// Change a quick reply's group, title and texts.
#[utoipa::path(put, path = "/api/v1/quick_replies/{quick_reply_id}", tag = "quick_replies",
    request_body = QuickReplyInput, params(QuickReplyPath),
    responses((status = 200, body = QuickReply), BadRequest, Unauthorized, Forbidden, NotFound,
        (status = 422, description = "A field's value is not valid (`invalid_field`), or a text names a variable that does not exist (`unknown_variable`)", body = super::error::ErrorBody)))]
pub async fn update(
    auth: Auth, ApiPath(id): ApiPath<QuickReplyId>, ApiJson(body): ApiJson<QuickReplyInput>,
) -> JsonResult<QuickReply> {
    Ok(ApiJson(auth.inbox().update_quick_reply(&auth.viewer, id, &body).await?))
}

/// Delete a quick reply.
#[utoipa::path(delete, path = "/api/v1/quick_replies/{quick_reply_id}", tag = "quick_replies",
    params(QuickReplyPath),
    responses((status = 200, body = OkBody), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn delete(auth: Auth, ApiPath(id): ApiPath<QuickReplyId>) -> JsonResult<OkBody> {
    auth.inbox().delete_quick_reply(&auth.viewer, id).await?;
    Ok(ApiJson(OkBody { ok: true }))
}

/// Put a set in a new order (every reply of the set once); answers the set in order.
#[utoipa::path(put, path = "/api/v1/quick_replies/order", tag = "quick_replies",
    request_body = QuickReplyOrder,
    responses((status = 200, body = Vec<QuickReply>), BadRequest, Unauthorized, Forbidden,
        NotFound, Unprocessable))]
pub async fn reorder(
    auth: Auth, ApiJson(body): ApiJson<QuickReplyOrder>,
) -> JsonResult<Vec<QuickReply>> {
    let set = auth.inbox().reorder_quick_replies(&auth.viewer, body.shop_id, &body.ids).await?;
    Ok(ApiJson(set))
}

/// A quick reply rendered for a conversation: the version in the buyer's language with
/// the variables filled from the conversation; `unfilled` names those it could not fill
/// (they stay as `{name}` and must be replaced before sending). Sends nothing.
#[utoipa::path(get,
    path = "/api/v1/conversations/{conversation_id}/quick_replies/{quick_reply_id}/render",
    tag = "quick_replies", params(ConversationPath, QuickReplyPath),
    responses((status = 200, body = Rendered), BadRequest, Unauthorized, NotFound))]
pub async fn render(
    auth: Auth, ApiPath((conversation, id)): ApiPath<(ConversationId, QuickReplyId)>,
) -> JsonResult<Rendered> {
    Ok(ApiJson(auth.inbox().render_quick_reply(&auth.viewer, conversation, id).await?))
}
