//! Translation (TT-TR-1, AE-TR-1, AE-TR-2): the agent's interface language (what buyer
//! messages are translated into), a conversation's auto-translation switch with the
//! agent's choice of source and target, the live translation of a draft, the seller's
//! usage this month and its monthly character budget (set by the main account). Replies are translated by `POST …/messages` with
//! `translate`.

use super::doc::{BadRequest, ConversationPath, Forbidden, NotFound, Unauthorized, Unprocessable};
use super::error::JsonResult;
use super::extract::{ApiJson, ApiPath, Auth};
use serde::{Deserialize, Serialize};
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::services::translation::UsageReport;
use shopmux_core::services::translation::budget::{BudgetInput, TranslationBudget};
use shopmux_core::services::translation::outbound::{
    ConversationTranslation, DraftRequest, DraftTranslation, TranslationChoice,
};
use utoipa::ToSchema;

/// An agent's interface language.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LanguageBody {
    /// A language tag (`en`, `zh-CN`); stored as its primary subtag.
    #[schema(max_length = 16, pattern = r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*$")]
    pub language: String,
}

/// Set the caller's interface language: buyer messages are translated into it.
#[utoipa::path(put, path = "/api/v1/me/language", tag = "translation",
    request_body = LanguageBody,
    responses((status = 200, body = LanguageBody), BadRequest, Unauthorized, Unprocessable))]
pub async fn set_language(
    auth: Auth, ApiJson(body): ApiJson<LanguageBody>,
) -> JsonResult<LanguageBody> {
    let language = auth.inbox().set_agent_language(&auth.viewer, &body.language).await?;
    Ok(ApiJson(LanguageBody { language }))
}

/// A conversation's translation: the auto-translation switch, the chosen languages, the
/// agent's and the buyer's, and whether the platform translates replies itself (AE-TR-1).
#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}/translation",
    tag = "translation", params(ConversationPath),
    responses((status = 200, body = ConversationTranslation), BadRequest, Unauthorized, NotFound))]
pub async fn get_translation(
    auth: Auth, ApiPath(id): ApiPath<ConversationId>,
) -> JsonResult<ConversationTranslation> {
    Ok(ApiJson(auth.inbox().conversation_translation(&auth.viewer, id).await?))
}

/// Switch a conversation's auto-translation and choose source and target (TT-TR-1,
/// AE-TR-2). Where the platform translates replies itself, switching it on is refused
/// with 422 `platform_translates` (AE-TR-1).
#[utoipa::path(put, path = "/api/v1/conversations/{conversation_id}/translation",
    tag = "translation", request_body = TranslationChoice, params(ConversationPath),
    responses((status = 200, body = ConversationTranslation), BadRequest, Unauthorized,
        Forbidden, NotFound, Unprocessable))]
pub async fn set_translation(
    auth: Auth, ApiPath(id): ApiPath<ConversationId>, ApiJson(body): ApiJson<TranslationChoice>,
) -> JsonResult<ConversationTranslation> {
    Ok(ApiJson(auth.inbox().set_conversation_translation(&auth.viewer, id, &body).await?))
}

/// Translate a draft (the reply box's live preview): cached, counted and budgeted like
/// every translation; a provider failure answers 200 with `error` and no `text`.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/translate",
    tag = "translation", request_body = DraftRequest, params(ConversationPath),
    responses((status = 200, body = DraftTranslation), BadRequest, Unauthorized, NotFound,
        Unprocessable))]
pub async fn translate_draft(
    auth: Auth, ApiPath(id): ApiPath<ConversationId>, ApiJson(body): ApiJson<DraftRequest>,
) -> JsonResult<DraftTranslation> {
    Ok(ApiJson(auth.inbox().translate_draft(&auth.viewer, id, &body).await?))
}

/// The caller's seller's translation usage this month, per provider, with the budget.
#[utoipa::path(get, path = "/api/v1/translation/usage", tag = "translation",
    responses((status = 200, body = UsageReport), Unauthorized))]
pub async fn usage(auth: Auth) -> JsonResult<UsageReport> {
    Ok(ApiJson(auth.inbox().translation_usage(&auth.viewer).await?))
}

/// The caller's seller's monthly translation budget: its own, else the daemon's default.
#[utoipa::path(get, path = "/api/v1/translation/budget", tag = "translation",
    responses((status = 200, body = TranslationBudget), Unauthorized))]
pub async fn get_budget(auth: Auth) -> JsonResult<TranslationBudget> {
    Ok(ApiJson(auth.inbox().translation_budget(&auth.viewer).await?))
}

/// Set the seller's own monthly translation budget in characters, all providers together
/// (`null`: no limit; main account only). Cached translations do not count; over the
/// budget, messages stay untranslated with `budget_exceeded`.
#[utoipa::path(put, path = "/api/v1/translation/budget", tag = "translation",
    request_body = BudgetInput,
    responses((status = 200, body = TranslationBudget), BadRequest, Unauthorized, Forbidden,
        Unprocessable))]
pub async fn set_budget(
    auth: Auth, ApiJson(body): ApiJson<BudgetInput>,
) -> JsonResult<TranslationBudget> {
    Ok(ApiJson(auth.inbox().set_translation_budget(&auth.viewer, &body).await?))
}

/// Drop the seller's own budget: the daemon's default is in force again (main account
/// only).
#[utoipa::path(delete, path = "/api/v1/translation/budget", tag = "translation",
    responses((status = 200, body = TranslationBudget), Unauthorized, Forbidden))]
pub async fn reset_budget(auth: Auth) -> JsonResult<TranslationBudget> {
    Ok(ApiJson(auth.inbox().reset_translation_budget(&auth.viewer).await?))
}
