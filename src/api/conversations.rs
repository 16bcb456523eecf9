//! Conversations: the inbox list with counts, per-shop counts, one conversation with
//! its buyer, its messages, replies and retries. The state actions are in
//! [`super::actions`].

use super::doc::{
    BadGateway, BadRequest, Conflict, ConversationPath, Forbidden, NotFound, Unauthorized,
    Unavailable, Unprocessable,
};
use super::error::{ApiResult, JsonResult};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shopmux_contract::content::MessageContent;
use shopmux_core::domain::ids::{ConversationId, MessageId};
use shopmux_core::domain::listing::{ConversationQuery, MessageQuery};
use shopmux_core::domain::model::Message;
use shopmux_core::services::reading::{
    ConversationPage, ConversationView, MessagePage, ShopCounts,
};
use shopmux_core::services::translation::outbound::ReplyTranslation;
use utoipa::ToSchema;

/// A conversation with its buyer, the buyer's orders and what the rules allow, and how a
/// reply would travel.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDetail {
    /// The conversation, its buyer, their orders and what is allowed now.
    #[serde(flatten)]
    pub view: ConversationView,
    /// For a storefront chat: how a reply would reach the customer now — over the chat
    /// while they are in the store, else by email (SH-ONLINE-1: the agent is told
    /// before sending).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_route: Option<crate::storefront::ReplyRoute>,
}

/// A reply an agent sends.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    /// The content.
    pub content: MessageContent,
    /// Contact policy IDs of the shop (`OFF-PHONE-1`...) the reply breaks and the agent
    /// sends it anyway with: a reply breaking a policy not listed here is refused with
    /// 422 `policy_warning` and its findings; one sent anyway is recorded (the message
    /// page's `policy_overrides`).
    #[serde(default)]
    #[schema(max_items = 32)]
    pub acknowledged_policies: Vec<String>,
    /// Translate the text before sending (TT-TR-1): what is sent is the translation and
    /// the message keeps the agent's original (`translation.original_text`). Where the
    /// platform translates itself (AE-TR-1) the text leaves as written; a failed
    /// translation leaves it as written with the reason (`translation.error`).
    #[serde(default)]
    pub translate: Option<ReplyTranslation>,
}

/// The inbox list with the count of every filter.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations",
    params(ConversationQuery),
    responses((status = 200, body = ConversationPage), BadRequest, Unauthorized, Unprocessable))]
pub async fn list(
    auth: Auth, ApiQuery(q): ApiQuery<ConversationQuery>,
) -> JsonResult<ConversationPage> {
    Ok(ApiJson(auth.inbox().list_conversations(&auth.viewer, &q).await?))
}

/// The filter counts per shop and in total: unread buyers and unread messages apart.
#[utoipa::path(get, path = "/api/v1/counts", tag = "conversations",
    responses((status = 200, body = ShopCounts), Unauthorized))]
pub async fn counts(auth: Auth) -> JsonResult<ShopCounts> {
    Ok(ApiJson(auth.inbox().shop_counts(&auth.viewer).await?))
}

/// One conversation with its buyer and orders.
#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}", tag = "conversations",
    params(ConversationPath),
    responses((status = 200, body = ConversationDetail), BadRequest, Unauthorized, NotFound))]
pub async fn get(
    auth: Auth, ApiPath(id): ApiPath<ConversationId>,
) -> JsonResult<ConversationDetail> {
    let view = auth.inbox().conversation_view(&auth.viewer, id).await?;
    let platform = view.conversation.platform.as_str();
    let storefront_chat = auth.inbox().registry().capabilities(platform).storefront_chat;
    let (shop, buyer) = (view.conversation.shop_id, &view.buyer);
    let reply_route = match storefront_chat {
        true => {
            Some(auth.app.storefront.route(shop, &buyer.external_id, buyer.email.as_deref()).await)
        }
        false => None,
    };
    Ok(ApiJson(ConversationDetail { view, reply_route }))
}

/// A page of messages, oldest first; `before`/`after` cursors page back and catch up.
#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}/messages",
    tag = "conversations", params(ConversationPath, MessageQuery),
    responses((status = 200, body = MessagePage), BadRequest, Unauthorized, NotFound,
        Unprocessable))]
pub async fn messages(
    auth: Auth, ApiPath(id): ApiPath<ConversationId>, ApiQuery(q): ApiQuery<MessageQuery>,
) -> JsonResult<MessagePage> {
    Ok(ApiJson(auth.inbox().messages(&auth.viewer, id, &q).await?))
}

/// Send a failed message again: its delivery starts over with a fresh attempt budget
/// (only a `failed` outbound message, and only while the platform still allows a reply).
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/messages/{message_id}/retry",
    tag = "conversations",
    params(ConversationPath, ("message_id" = MessageId, Path, description = "The failed message")),
    responses((status = 202, body = Message), BadRequest, Unauthorized, Forbidden, NotFound,
        Conflict, Unprocessable))]
pub async fn retry(
    auth: Auth, ApiPath((conversation_id, message_id)): ApiPath<(ConversationId, MessageId)>,
) -> ApiResult<(StatusCode, ApiJson<Message>)> {
    let inbox = auth.inbox();
    let message = inbox.retry_delivery(&auth.viewer, conversation_id, message_id).await?;
    Ok((StatusCode::ACCEPTED, ApiJson(message)))
}

/// Send a reply. It is stored with `delivery_status: pending` and its outbox entry in
/// one transaction, then delivered; the stream reports the delivery. A reply breaking
/// the shop's contact policies (phone numbers, emails, outside links, messengers,
/// payment outside the platform) is refused with 422 `policy_warning` listing the
/// findings, unless their policy IDs are in `acknowledged_policies`.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/messages",
    tag = "conversations", request_body = NewReply, params(ConversationPath),
    responses((status = 202, body = Message), BadRequest, Unauthorized, Forbidden, NotFound,
        Conflict, Unprocessable, BadGateway, Unavailable))]
pub async fn reply(
    auth: Auth, ApiPath(id): ApiPath<ConversationId>, ApiJson(body): ApiJson<NewReply>,
) -> ApiResult<(StatusCode, ApiJson<Message>)> {
    let inbox = auth.inbox();
    let (content, acknowledged) = (body.content, &body.acknowledged_policies);
    let message = match &body.translate {
        Some(t) => inbox.reply_translated(&auth.viewer, id, content, acknowledged, t).await?,
        None => inbox.reply_acknowledging(&auth.viewer, id, content, acknowledged).await?,
    };
    Ok((StatusCode::ACCEPTED, ApiJson(message)))
}
