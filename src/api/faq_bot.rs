//! The FAQ bot and the greeting of a shop (DY-GREET-1, DY-BOT-1..4): its switch,
//! greeting and FAQ list, its questions, and their counts and resolution rates — read by
//! everyone who sees the shop, written by the main account only (403). The buyer's side
//! (the greeting when the chat opens, solved/unsolved marks, asking for a human) is the
//! storefront chat's (`storefront.rs`, `storefront_chat.rs`).

use super::doc::{BadRequest, Forbidden, NotFound, ShopPath, Unauthorized, Unprocessable};
use super::error::{ApiResult, JsonResult, Ok as OkBody};
use super::extract::{ApiJson, ApiPath, Auth};
use axum::http::StatusCode;
use shopmux_core::domain::faq_bot::{BotSettings, FaqQuestion, FaqQuestionInput, ShopBotView};
use shopmux_core::domain::ids::{FaqQuestionId, ShopId};

/// A shop's bot switch, greeting, FAQ list and totals: hits, answers, solved and
/// unsolved marks, the resolution rate (solved / answers) and the feedback resolution
/// rate (solved / (solved + unsolved)), hand-offs (DY-BOT-2).
#[utoipa::path(get, path = "/api/v1/shops/{shop_id}/bot", tag = "shops", params(ShopPath),
    responses((status = 200, body = ShopBotView), BadRequest, Unauthorized, NotFound))]
pub async fn get_bot(auth: Auth, ApiPath(shop_id): ApiPath<ShopId>) -> JsonResult<ShopBotView> {
    Ok(ApiJson(auth.inbox().shop_bot(&auth.viewer, shop_id).await?))
}

/// Set a shop's bot switch, greeting and FAQ list (main account only). The FAQ list
/// names questions of the shop; the greeting is shown when a buyer opens the storefront
/// chat and sent as a new conversation's first message where the platform allows an
/// automatic message (DY-GREET-1).
#[utoipa::path(put, path = "/api/v1/shops/{shop_id}/bot", tag = "shops", params(ShopPath),
    request_body = BotSettings,
    responses((status = 200, body = ShopBotView), BadRequest, Unauthorized, Forbidden, NotFound,
        Unprocessable))]
pub async fn set_bot(
    auth: Auth, ApiPath(shop_id): ApiPath<ShopId>, ApiJson(settings): ApiJson<BotSettings>,
) -> JsonResult<ShopBotView> {
    Ok(ApiJson(auth.inbox().set_shop_bot(&auth.viewer, shop_id, settings).await?))
}

/// A shop's FAQ questions with their counts and rates, oldest first (DY-BOT-1, DY-BOT-2).
#[utoipa::path(get, path = "/api/v1/shops/{shop_id}/bot/questions", tag = "shops",
    params(ShopPath),
    responses((status = 200, body = Vec<FaqQuestion>), BadRequest, Unauthorized, NotFound))]
pub async fn list_questions(
    auth: Auth, ApiPath(shop_id): ApiPath<ShopId>,
) -> JsonResult<Vec<FaqQuestion>> {
    Ok(ApiJson(auth.inbox().faq_questions(&auth.viewer, shop_id).await?))
}

/// Add a question to a shop's FAQ (main account only): its category, phrasings in any
/// languages, the answer (and versions per language) and related questions of the shop.
#[utoipa::path(post, path = "/api/v1/shops/{shop_id}/bot/questions", tag = "shops",
    params(ShopPath), request_body = FaqQuestionInput,
    responses((status = 201, body = FaqQuestion), BadRequest, Unauthorized, Forbidden, NotFound,
        Unprocessable))]
pub async fn create_question(
    auth: Auth, ApiPath(shop_id): ApiPath<ShopId>, ApiJson(input): ApiJson<FaqQuestionInput>,
) -> ApiResult<(StatusCode, ApiJson<FaqQuestion>)> {
    let question = auth.inbox().create_faq_question(&auth.viewer, shop_id, input).await?;
    Ok((StatusCode::CREATED, ApiJson(question)))
}

/// Replace a question (main account only); its counts stay.
#[utoipa::path(put, path = "/api/v1/shops/{shop_id}/bot/questions/{question_id}",
    tag = "shops", request_body = FaqQuestionInput,
    params(ShopPath, ("question_id" = FaqQuestionId, Path, description = "The question")),
    responses((status = 200, body = FaqQuestion), BadRequest, Unauthorized, Forbidden, NotFound,
        Unprocessable))]
pub async fn update_question(
    auth: Auth, ApiPath((shop_id, id)): ApiPath<(ShopId, FaqQuestionId)>,
    ApiJson(input): ApiJson<FaqQuestionInput>,
) -> JsonResult<FaqQuestion> {
    Ok(ApiJson(auth.inbox().update_faq_question(&auth.viewer, shop_id, id, input).await?))
}

/// Delete a question (main account only).
#[utoipa::path(delete, path = "/api/v1/shops/{shop_id}/bot/questions/{question_id}",
    tag = "shops",
    params(ShopPath, ("question_id" = FaqQuestionId, Path, description = "The question")),
    responses((status = 200, body = OkBody), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn delete_question(
    auth: Auth, ApiPath((shop_id, id)): ApiPath<(ShopId, FaqQuestionId)>,
) -> JsonResult<OkBody> {
    auth.inbox().delete_faq_question(&auth.viewer, shop_id, id).await?;
    Ok(ApiJson(OkBody { ok: true }))
}
