//! The TikTok simulator's routes, handlers and reply envelope (§1.1, §1.3, §1.4).
//!
//! Paging: `page_size` is required (1–100, the simulator's bound); `page_token` is the
//! `next_page_token` of the previous page (an offset), and the last page has
//! `next_page_token: ""`. Conversations list most recently active first; messages list
//! newest first unless `sort_order=ASC`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::auth::{Caller, Scope};
use super::state::{NewMessage, StoredConversation, StoredMessage};
use super::{Buyer, SentMessage, Shared, codes};
use crate::server::{Common, Received, Simulated, accepted_if};
use crate::{MAX_PAGE_SIZE, lock};

const CONVERSATIONS: &str = "/customer_service/202309/conversations";
const MESSAGES: &str = "/customer_service/202309/conversations/{conversation_id}/messages";
const READ: &str = "/customer_service/202309/conversations/{conversation_id}/messages/read";
const SHOPS: &str = "/authorization/202309/shops";
const TOKEN_REFRESH: &str = "/api/v2/token/refresh";
const IMAGE_UPLOAD: &str = "/customer_service/202309/images/upload";
const ORDER_SEARCH: &str = "/order/202309/orders/search";
const ORDER_DETAIL: &str = "/order/202309/orders";
const PRODUCT_SEARCH: &str = "/product/202309/products/search";

/// Most characters a TEXT message may carry (§1.4).
const TEXT_MAX_CHARS: usize = 2000;

/// A refused call: HTTP status, TikTok `code`, `message`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    code: i64,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: i64, message: impl Into<String>) -> ApiError {
        ApiError { status, code, message: message.into() }
    }

    pub(crate) fn bad_request(code: i64, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn unauthorized(code: i64, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// A business refusal: HTTP 200 with a non-zero code.
    pub(crate) fn business(code: i64, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::OK, code, message)
    }
}

impl Shared {
    /// The §1.1 envelope of a result.
    pub(crate) fn answer(&self, result: Result<Value, ApiError>) -> Response {
        match result {
            Ok(data) => envelope(&self.common, StatusCode::OK, codes::SUCCESS, "Success", data),
            Err(error) => {
                tracing::debug!(
                    message = "Refused.",
                    code = error.code,
                    reason = %error.message
                );
                envelope(&self.common, error.status, error.code, &error.message, Value::Null)
            }
        }
    }
}

fn envelope(
    common: &Common, status: StatusCode, code: i64, message: &str, data: Value,
) -> Response {
    let body = json!({
        "code": code,
        "message": message,
        "request_id": common.request_id(),
        "data": data,
    });
    (status, axum::Json(body)).into_response()
}

impl Simulated for Shared {
    fn routes() -> Router<Arc<Shared>> {
        Router::new()
            .route(CONVERSATIONS, get(list_conversations).post(create_conversation))
            .route(MESSAGES, get(list_messages).post(send_message))
            .route(READ, post(mark_read))
            .route(SHOPS, get(authorized_shops))
            .route(TOKEN_REFRESH, get(refresh_token))
            .route("/api/v2/token/get", get(super::connect::token_get))
            .route("/open/authorize", get(super::connect::authorize))
            .route("/open/authorize/consent", get(super::connect::consent))
            .route("/event/202309/webhooks", axum::routing::put(super::connect::subscribe))
            .route(IMAGE_UPLOAD, post(super::media::upload_image))
            .route(ORDER_SEARCH, post(super::catalog::search_orders))
            .route(ORDER_DETAIL, get(super::catalog::order_detail))
            .route(PRODUCT_SEARCH, post(super::catalog::search_products))
            .fallback(invalid_path)
            .method_not_allowed_fallback(invalid_path)
    }

    fn common(&self) -> &Common {
        &self.common
    }

    fn server_error_reply(&self, status: StatusCode) -> Response {
        envelope(
            &self.common,
            status,
            codes::INTERNAL_ERROR,
            "Internal error. Please try again.",
            Value::Null,
        )
    }

    fn rate_limited_reply(&self, retry_after_secs: u32) -> Response {
        let mut response = envelope(
            &self.common,
            StatusCode::TOO_MANY_REQUESTS,
            codes::RATE_LIMITED,
            "Too many requests. Please retry later.",
            Value::Null,
        );
        response.headers_mut().insert("retry-after", HeaderValue::from(retry_after_secs));
        response
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

async fn invalid_path(State(sim): State<Arc<Shared>>) -> Response {
    let error = ApiError::new(StatusCode::NOT_FOUND, codes::INVALID_PATH, "Invalid path.");
    sim.answer(Err(error))
}

async fn refresh_token(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    sim.answer(sim.refresh(&received))
}

async fn authorized_shops(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, Scope::Seller).map(|caller| {
        let shops: Vec<Value> = sim
            .seller(&caller.open_id)
            .map(|seller| {
                seller
                    .shops
                    .iter()
                    .map(|shop| {
                        json!({
                            "id": shop.id,
                            "name": shop.name,
                            "region": shop.region,
                            "seller_type": "LOCAL",
                            "cipher": shop.cipher,
                            "code": shop.code,
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        json!({ "shops": shops })
    });
    sim.answer(result)
}

async fn list_conversations(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, Scope::Shop).and_then(|caller| {
        let paging = Paging::of(&received)?;
        let state = lock(&sim.state);
        let all = state.chats.conversations(&caller.shop_id);
        let (shop_name, shop_im) = state.chats.shop_identity(&caller.shop_id).unwrap_or_default();
        let (page, next_page_token) =
            paging.page(&all, |conversation| conversation_view(conversation, shop_name, shop_im));
        Ok(json!({
            "conversations": page,
            "next_page_token": next_page_token,
        }))
    });
    sim.answer(result)
}

async fn list_messages(
    State(sim): State<Arc<Shared>>, Path(conversation_id): Path<String>, received: Received,
) -> Response {
    let result = sim.verify(&received, Scope::Shop).and_then(|caller| {
        let paging = Paging::of(&received)?;
        let sort_order = SortOrder::of(&received)?;
        let state = lock(&sim.state);
        let conversation = find(&state.chats, &caller, &conversation_id)?;
        let mut messages: Vec<&StoredMessage> = conversation.messages.iter().collect();
        sort_order.arrange(&mut messages);
        let (page, next_page_token) = paging.page(&messages, |message| message_view(message));
        Ok(json!({
            "messages": page,
            "next_page_token": next_page_token,
            "unsupported_msg_tips": "This message type is not supported.",
        }))
    });
    sim.answer(result)
}

/// Body of send message (§1.3).
#[derive(Debug, Deserialize)]
struct SendBody {
    #[serde(rename = "type")]
    kind: String,
    content: String,
    #[serde(default)]
    sender_role: Option<String>,
}

async fn send_message(
    State(sim): State<Arc<Shared>>, Path(conversation_id): Path<String>, received: Received,
) -> Response {
    let result = sim
        .verify(&received, Scope::Shop)
        .and_then(|caller| sim.store_send(&caller, &conversation_id, &received));
    accepted_if(result.is_ok(), sim.answer(result))
}

impl Shared {
    fn store_send(
        &self, caller: &Caller, conversation_id: &str, received: &Received,
    ) -> Result<Value, ApiError> {
        let body: SendBody = serde_json::from_slice(&received.body).map_err(|_| {
            ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Invalid parameter. The body must be {\"type\", \"content\"} with `content` a JSON string.",
            )
        })?;
        validate_outbound(&body)
            .map_err(|reason| ApiError::business(codes::INVALID_MESSAGE, reason))?;
        if body.kind == "IMAGE" {
            let url = serde_json::from_str::<Value>(&body.content)
                .ok()
                .and_then(|content| content.get("url")?.as_str().map(str::to_owned))
                .unwrap_or_default();
            if !self.uploaded_here(&caller.shop_id, &url) {
                return Err(ApiError::business(
                    codes::INVALID_MESSAGE,
                    "An IMAGE url must be one returned by Upload Buyer Messages Image.",
                ));
            }
        }
        let now = self.common.now();
        let mut state = lock(&self.state);
        let conversation = find(&state.chats, caller, conversation_id)?;
        if !conversation.can_send_message {
            return Err(ApiError::business(
                codes::CANNOT_SEND_MESSAGE,
                "The shop cannot send messages in this conversation.",
            ));
        }
        let role = body.sender_role.as_deref().unwrap_or("CUSTOMER_SERVICE");
        let stored = state
            .chats
            .add_message(
                &caller.shop_id,
                conversation_id,
                NewMessage {
                    kind: &body.kind,
                    content: &body.content,
                    sender_role: role,
                    from_buyer: false,
                },
                now,
            )
            .map_err(|error| {
                ApiError::business(codes::CONVERSATION_NOT_FOUND, error.to_string())
            })?;
        state.chats.record_send(SentMessage {
            shop_id: caller.shop_id.clone(),
            conversation_id: conversation_id.to_owned(),
            message_id: stored.id.clone(),
            kind: body.kind,
            content: body.content,
            sender_role: body.sender_role,
            accepted_at: now,
        });
        Ok(json!({ "message_id": stored.id }))
    }
}

async fn mark_read(
    State(sim): State<Arc<Shared>>, Path(conversation_id): Path<String>, received: Received,
) -> Response {
    let result = sim.verify(&received, Scope::Shop).and_then(|caller| {
        let mut state = lock(&sim.state);
        if state.chats.mark_read(&caller.shop_id, &conversation_id) {
            Ok(json!({}))
        } else {
            Err(not_found(&conversation_id))
        }
    });
    sim.answer(result)
}

/// Body of create conversation (§1.3).
#[derive(Debug, Deserialize)]
struct CreateBody {
    buyer_user_id: String,
}

async fn create_conversation(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, Scope::Shop).and_then(|caller| {
        let body: CreateBody = serde_json::from_slice(&received.body)
            .ok()
            .filter(|body: &CreateBody| !body.buyer_user_id.is_empty())
            .ok_or_else(|| {
                ApiError::bad_request(
                    codes::INVALID_PARAMETER,
                    "Invalid parameter. The body must be {\"buyer_user_id\"}.",
                )
            })?;
        let now = sim.common.now();
        let id = lock(&sim.state)
            .chats
            .open_conversation(&caller.shop_id, &Buyer::new(&body.buyer_user_id), None, now)
            .map_err(|error| {
                ApiError::business(codes::CONVERSATION_NOT_FOUND, error.to_string())
            })?;
        Ok(json!({ "conversation_id": id }))
    });
    sim.answer(result)
}

// ---------------------------------------------------------------------------------------------
// Helpers and wire views
// ---------------------------------------------------------------------------------------------

fn find<'a>(
    chats: &'a super::state::ChatStore, caller: &Caller, conversation_id: &str,
) -> Result<&'a StoredConversation, ApiError> {
    chats.conversation(&caller.shop_id, conversation_id).ok_or_else(|| not_found(conversation_id))
}

fn not_found(conversation_id: &str) -> ApiError {
    ApiError::business(
        codes::CONVERSATION_NOT_FOUND,
        format!("Conversation {conversation_id} does not exist in this shop."),
    )
}

/// A list call's page: `page_size` (required) and the offset in `page_token`.
pub(crate) struct Paging {
    size: usize,
    offset: usize,
}

impl Paging {
    /// The page a list call asks for.
    pub(crate) fn of(received: &Received) -> Result<Paging, ApiError> {
        let size = received
            .param("page_size")
            .and_then(|size| size.parse::<usize>().ok())
            .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
            .ok_or_else(|| {
                ApiError::bad_request(
                    codes::INVALID_PARAMETER,
                    "Invalid parameter. `page_size` is required, from 1 to 100.",
                )
            })?;
        let offset = match received.param("page_token") {
            None | Some("") => 0,
            Some(token) => token.parse::<usize>().map_err(|_| {
                ApiError::bad_request(
                    codes::INVALID_PARAMETER,
                    "Invalid parameter. Unknown `page_token`.",
                )
            })?,
        };
        Ok(Paging { size, offset })
    }

    /// This page of `items`, each through `view`, and the `next_page_token` (`""` on the
    /// last page).
    pub(crate) fn page<T, V>(&self, items: &[T], view: impl Fn(&T) -> V) -> (Vec<V>, String) {
        let page = items.iter().skip(self.offset).take(self.size).map(view);
        let end = self.offset + self.size;
        let next = if end < items.len() { end.to_string() } else { String::new() };
        (page.collect(), next)
    }
}

/// A list call's `sort_order`.
#[derive(Debug, Clone, Copy)]
pub(crate) enum SortOrder {
    /// `ASC`: oldest first.
    Ascending,
    /// `DESC`, the default: newest first.
    Descending,
}

impl SortOrder {
    /// The order a list call asks for.
    pub(crate) fn of(received: &Received) -> Result<SortOrder, ApiError> {
        match received.param("sort_order") {
            None | Some("DESC") => Ok(SortOrder::Descending),
            Some("ASC") => Ok(SortOrder::Ascending),
            Some(_) => Err(ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Invalid parameter. `sort_order` must be ASC or DESC.",
            )),
        }
    }

    /// Puts `items`, oldest first, in this order.
    pub(crate) fn arrange<T>(self, items: &mut [T]) {
        if let SortOrder::Descending = self {
            items.reverse();
        }
    }
}

/// Checks a send body against §1.4: a sendable type, content of that type's shape, TEXT at
/// most 2000 characters, a known `sender_role`.
fn validate_outbound(body: &SendBody) -> Result<(), String> {
    let required: &[&str] = match body.kind.as_str() {
        "TEXT" => &["content"],
        "IMAGE" => &["url", "width", "height"],
        "VIDEO" => &["vid"],
        "PRODUCT_CARD" => &["product_id"],
        "ORDER_CARD" | "LOGISTICS_CARD" => &["order_id"],
        "RETURN_REFUND_CARD" => &["order_id", "sku_id"],
        "COUPON_CARD" => &["coupon_id"],
        other => return Err(format!("Message type {other} cannot be sent.")),
    };
    let content: serde_json::Map<String, Value> = serde_json::from_str(&body.content)
        .map_err(|_| "`content` must be a JSON object in a string.".to_owned())?;
    for key in required {
        if content.get(*key).is_none_or(Value::is_null) {
            return Err(format!("`content` of {} needs `{key}`.", body.kind));
        }
    }
    if body.kind == "TEXT" {
        let text = content.get("content").and_then(Value::as_str).unwrap_or_default();
        let chars = text.chars().count();
        if chars == 0 || chars > TEXT_MAX_CHARS {
            return Err(format!(
                "TEXT must have 1 to {TEXT_MAX_CHARS} characters; it has {chars}."
            ));
        }
    }
    match body.sender_role.as_deref() {
        None | Some("CUSTOMER_SERVICE" | "SYSTEM" | "ROBOT") => Ok(()),
        Some(other) => Err(format!("Unknown sender_role {other}.")),
    }
}

/// A conversation on the wire (§1.3).
#[derive(Serialize)]
struct ConversationView<'a> {
    id: &'a str,
    participant_count: u32,
    can_send_message: bool,
    unread_count: u32,
    create_time: i64,
    participants: [ParticipantView<'a>; 2],
    #[serde(skip_serializing_if = "Option::is_none")]
    latest_message: Option<MessageView<'a>>,
}

#[derive(Serialize)]
struct ParticipantView<'a> {
    im_user_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    role: &'a str,
    nickname: &'a str,
    avatar: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    buyer_platform: Option<&'a str>,
}

/// A message on the wire (§1.3).
#[derive(Serialize)]
struct MessageView<'a> {
    id: &'a str,
    index: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    content: &'a str,
    create_time: i64,
    is_visible: bool,
    sender: SenderView<'a>,
}

#[derive(Serialize)]
struct SenderView<'a> {
    im_user_id: &'a str,
    role: &'a str,
    nickname: &'a str,
    avatar: &'a str,
}

fn conversation_view<'a>(
    conversation: &'a StoredConversation, shop_name: &'a str, shop_im: &'a str,
) -> ConversationView<'a> {
    ConversationView {
        id: &conversation.id,
        participant_count: 2,
        can_send_message: conversation.can_send_message,
        unread_count: conversation.unread_count,
        create_time: conversation.create_time,
        participants: [
            ParticipantView {
                im_user_id: &conversation.buyer.im_user_id,
                user_id: Some(&conversation.buyer.user_id),
                role: "BUYER",
                nickname: &conversation.buyer.nickname,
                avatar: "",
                buyer_platform: Some("TIKTOK_SHOP"),
            },
            ParticipantView {
                im_user_id: shop_im,
                user_id: None,
                role: "SHOP",
                nickname: shop_name,
                avatar: "",
                buyer_platform: None,
            },
        ],
        latest_message: conversation.messages.last().map(message_view),
    }
}

fn message_view(message: &StoredMessage) -> MessageView<'_> {
    MessageView {
        id: &message.id,
        index: &message.index,
        kind: &message.kind,
        content: &message.content,
        create_time: message.create_time,
        is_visible: true,
        sender: SenderView {
            im_user_id: &message.sender_im_user_id,
            role: &message.sender_role,
            nickname: &message.sender_nickname,
            avatar: "",
        },
    }
}
