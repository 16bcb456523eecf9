//! Conversations: the inbox list with counts, per-shop counts, one conversation with
//! its buyer, its messages, replies, and the state actions (read, flag, end, close,
//! reopen, assign, unassign, transfer).

use super::AppState;
use super::error::{ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shopmux_contract::content::MessageContent;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::{AgentId, ConversationId, MessageId};
use shopmux_core::domain::listing::{ConversationQuery, MessageQuery};
use shopmux_core::domain::model::{Buyer, Conversation, FlagColour, Message, Order};
use shopmux_core::services::actions::Allowed;
use shopmux_core::services::reading::{ConversationPage, MessagePage, ShopCounts};
use utoipa::ToSchema;

/// A conversation with its buyer and the buyer's orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConversationDetail {
    /// The conversation.
    pub conversation: Conversation,
    /// The buyer.
    pub buyer: Buyer,
    /// The buyer's orders in this shop, newest first.
    pub orders: Vec<Order>,
    /// What the platform's rules allow now (a reply box can be greyed out from it).
    pub allowed: Allowed,
    /// For a storefront chat (Shopify): how a reply would reach the customer now — over
    /// the chat while they are in the store, else by email (SH-ONLINE-1: the agent is
    /// told before sending).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_route: Option<crate::storefront::ReplyRoute>,
}

/// A reply an agent sends.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    /// The content.
    pub content: MessageContent,
}

/// A flag colour to set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagBody {
    /// The colour.
    pub colour: FlagColour,
}

/// The agent to assign or transfer to, by id or by nickname (TT-XFER-1: agents pick a
/// colleague by nickname); exactly one of the two.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentBody {
    /// The agent's id.
    #[serde(default)]
    pub agent_id: Option<AgentId>,
    /// The agent's nickname.
    #[serde(default)]
    pub nickname: Option<String>,
}

impl AgentBody {
    async fn resolve(&self, app: &AppState, auth: &Auth) -> ApiResult<AgentId> {
        match (&self.agent_id, &self.nickname) {
            (Some(id), None) => Ok(*id),
            (None, Some(nickname)) => Ok(app.inbox.agent_by_nickname(&auth.0, nickname).await?),
            _ => Err(shopmux_core::CoreError::invalid(
                "agent_id",
                "give exactly one of agent_id and nickname",
            )
            .into()),
        }
    }
}

/// The inbox list with the count of every filter.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ConversationQuery), security(("bearer" = [])),
    responses((status = 200, body = ConversationPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list(
    State(app): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ConversationQuery>,
) -> ApiResult<ApiJson<ConversationPage>> {
    Ok(ApiJson(app.inbox.list_conversations(&auth.0, &q).await?))
}

/// The filter counts per shop and in total: unread buyers and unread messages apart.
#[utoipa::path(get, path = "/api/v1/counts", tag = "conversations", security(("bearer" = [])),
    responses((status = 200, body = ShopCounts), (status = 401, body = ErrorBody)))]
pub async fn counts(State(app): State<AppState>, auth: Auth) -> ApiResult<ApiJson<ShopCounts>> {
    Ok(ApiJson(app.inbox.shop_counts(&auth.0).await?))
}

/// One conversation with its buyer and orders.
#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = ConversationDetail), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<ConversationDetail>> {
    let conversation = app.inbox.conversation(&auth.0, id).await?;
    let buyer = app.inbox.buyer(&auth.0, conversation.buyer_id).await?;
    let orders = app
        .inbox
        .buyer_orders(&auth.0, conversation.buyer_id)
        .await?;
    let allowed = app.inbox.allowed(&conversation).await?;
    let storefront_chat = app
        .inbox
        .registry()
        .capabilities(conversation.platform.as_str())
        .storefront_chat;
    let reply_route = storefront_chat.then(|| {
        app.storefront.route(
            conversation.shop_id,
            &buyer.external_id,
            buyer.email.as_deref(),
        )
    });
    Ok(ApiJson(ConversationDetail {
        reply_route,
        conversation,
        buyer,
        orders,
        allowed,
    }))
}

/// A page of messages, oldest first; `before`/`after` cursors page back and catch up.
#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}/messages", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation"), MessageQuery),
    responses((status = 200, body = MessagePage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn messages(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> ApiResult<ApiJson<MessagePage>> {
    Ok(ApiJson(app.inbox.messages(&auth.0, id, &q).await?))
}

/// Send a failed message again: its delivery starts over with a fresh attempt budget
/// (only a `failed` outbound message, and only while the platform still allows a reply).
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/messages/{message_id}/retry", tag = "conversations",
    security(("bearer" = [])), params(("conversation_id" = ConversationId, Path, description = "The conversation"),
        ("message_id" = MessageId, Path, description = "The failed message")),
    responses((status = 202, body = Message), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn retry(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath((conversation_id, message_id)): ApiPath<(ConversationId, MessageId)>,
) -> ApiResult<(StatusCode, ApiJson<Message>)> {
    let message = app
        .inbox
        .retry_delivery(&auth.0, conversation_id, message_id)
        .await?;
    Ok((StatusCode::ACCEPTED, ApiJson(message)))
}

/// Send a reply. It is stored with `delivery_status: pending` and its outbox entry in
/// one transaction, then delivered; the stream reports the delivery.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/messages", tag = "conversations", request_body = NewReply,
    security(("bearer" = [])), params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 202, body = Message), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<NewReply>,
) -> ApiResult<(StatusCode, ApiJson<Message>)> {
    Ok((
        StatusCode::ACCEPTED,
        ApiJson(app.inbox.reply(&auth.0, id, body.content).await?),
    ))
}

async fn act(
    app: AppState,
    auth: Auth,
    id: ConversationId,
    change: Change,
) -> ApiResult<ApiJson<Conversation>> {
    Ok(ApiJson(app.inbox.change(&auth.0, id, change).await?))
}

/// Mark every buyer message read.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/read", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn read(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<Conversation>> {
    act(app, auth, id, Change::MarkRead).await
}

/// Mark unread again.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/unread", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unread(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<Conversation>> {
    act(app, auth, id, Change::MarkUnread).await
}

/// Flag with a colour.
#[utoipa::path(put, path = "/api/v1/conversations/{conversation_id}/flag", tag = "conversations", request_body = FlagBody,
    security(("bearer" = [])), params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn flag(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<FlagBody>,
) -> ApiResult<ApiJson<Conversation>> {
    act(app, auth, id, Change::Flag(body.colour)).await
}

/// Remove the flag.
#[utoipa::path(delete, path = "/api/v1/conversations/{conversation_id}/flag", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unflag(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<Conversation>> {
    act(app, auth, id, Change::Unflag).await
}

/// End the conversation: it moves to history and frees the agent.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/end", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn end(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<Conversation>> {
    act(app, auth, id, Change::End).await
}

/// Close the conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/close", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<Conversation>> {
    act(app, auth, id, Change::Close).await
}

/// Reopen an ended or closed conversation.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/reopen", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reopen(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<Conversation>> {
    act(app, auth, id, Change::Reopen).await
}

/// Assign to an agent with chat permission in the shop.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/assign", tag = "conversations", request_body = AgentBody,
    security(("bearer" = [])), params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn assign(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<AgentBody>,
) -> ApiResult<ApiJson<Conversation>> {
    let agent = body.resolve(&app, &auth).await?;
    act(app, auth, id, Change::Assign(agent)).await
}

/// Hand an assigned conversation to another agent.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/transfer", tag = "conversations", request_body = AgentBody,
    security(("bearer" = [])), params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn transfer(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
    ApiJson(body): ApiJson<AgentBody>,
) -> ApiResult<ApiJson<Conversation>> {
    let agent = body.resolve(&app, &auth).await?;
    act(app, auth, id, Change::Transfer(agent)).await
}

/// Back to the unassigned list.
#[utoipa::path(post, path = "/api/v1/conversations/{conversation_id}/unassign", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Conversation), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn unassign(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<Conversation>> {
    act(app, auth, id, Change::Unassign).await
}
