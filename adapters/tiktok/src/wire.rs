//! TikTok Shop wire types: customer-service requests and replies, message contents, webhooks.
//!
//! Everything here is sans-IO. The request builders return a
//! [`WireRequest`](crate::wire::WireRequest) (method, host, path, query, headers, body) already
//! signed with [`crate::sign::request_sign`]; an HTTP client elsewhere sends it. Field names
//! follow platform-apis.md §1 exactly; where the platform sends a number as a string or the
//! other way round (ids, image sizes), the types accept both.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::wire::lenient;

use crate::sign::request_sign;

/// Production API host (§1.1).
pub const API_HOST: &str = "https://open-api.tiktokglobalshop.com";
/// Sandbox API host (§1.1).
pub const SANDBOX_API_HOST: &str = "https://open-api-sandbox.tiktokglobalshop.com";
/// Version segment of the Customer Service and Event paths used here (§1.3, §1.5).
pub const API_VERSION: &str = "202309";
/// Header that carries the seller's access token on 202309+ APIs (§1.1); never signed.
pub const ACCESS_TOKEN_HEADER: &str = "x-tts-access-token";
/// Header that carries a webhook delivery's signature (§1.5).
pub const WEBHOOK_SIGNATURE_HEADER: &str = "Authorization";
/// Most characters a TEXT message may carry when sent (§1.4).
pub const TEXT_MAX_CHARS: usize = 2000;
/// `code` of a successful reply (§1.1).
pub const CODE_SUCCESS: i64 = 0;
/// `code` for an invalid `sign` (§1.1).
pub const CODE_INVALID_SIGN: i64 = 106001;
/// `code` for a `timestamp` outside the allowed window (§1.1).
pub const CODE_INVALID_TIMESTAMP: i64 = 36009004;

/// Why a request could not be built or a payload could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload is not the JSON shape expected.
    #[error("unexpected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An id meant for a URL path segment is empty or holds characters that would change
    /// the path.
    #[error("`{0}` cannot be used as a path segment")]
    BadPathSegment(String),
    /// The bytes to upload are not a jpg, gif, webp or png image (or are empty).
    #[error("not a jpg, gif, webp or png image")]
    UnsupportedImage,
    /// The image to upload is larger than the platform accepts.
    #[error("the image has {bytes} bytes; the limit is {max}")]
    ImageTooLarge {
        /// Bytes in the image.
        bytes: usize,
        /// The limit, [`IMAGE_UPLOAD_MAX_BYTES`].
        max: usize,
    },
    /// An order look-up names no order, more than [`ORDER_DETAIL_MAX_IDS`], or an id that
    /// is not letters and digits.
    #[error("order ids must be 1 to {ORDER_DETAIL_MAX_IDS} ids of letters and digits")]
    BadOrderIds,
    /// A TEXT message is longer than the platform accepts.
    #[error("text has {chars} characters; the limit is {max}")]
    TextTooLong {
        /// Characters in the text.
        chars: usize,
        /// The limit, [`TEXT_MAX_CHARS`].
        max: usize,
    },
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// HTTP method of a [`WireRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
}

impl HttpMethod {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }
}

/// A fully described, signed HTTP request, ready for any HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    /// HTTP method.
    pub method: HttpMethod,
    /// Scheme and host, e.g. [`API_HOST`].
    pub host: String,
    /// Path, starting with `/`.
    pub path: String,
    /// Decoded query parameters in the order they should be sent, `sign` included.
    pub query: Vec<(String, String)>,
    /// Headers to send (names lowercase).
    pub headers: Vec<(String, String)>,
    /// Body bytes, exactly as signed; empty for none.
    pub body: Vec<u8>,
}

impl WireRequest {
    /// The query string, percent-encoded (RFC 3986 unreserved characters kept), without `?`.
    pub fn query_string(&self) -> String {
        shopmux_contract::wire::query_string(&self.query)
    }

    /// Host, path and query string joined into one URL.
    pub fn url(&self) -> String {
        let query = self.query_string();
        if query.is_empty() {
            format!("{}{}", self.host, self.path)
        } else {
            format!("{}{}?{}", self.host, self.path, query)
        }
    }

    /// The value of the query parameter `key`, if present.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

/// Refuses ids that would change the request path (empty, or anything outside ASCII
/// letters, digits and `-._~`). TikTok's conversation ids are digit strings.
fn path_segment(id: &str) -> Result<&str, WireError> {
    let ok = !id.is_empty()
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'));
    if ok {
        Ok(id)
    } else {
        Err(WireError::BadPathSegment(id.to_owned()))
    }
}

/// The app's key and secret from Partner Center. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredentials {
    /// `app_key`.
    pub app_key: String,
    /// `app_secret`, the signing key.
    pub app_secret: String,
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_key", &self.app_key)
            .field("app_secret", &"<redacted>")
            .finish()
    }
}

/// One authorized shop: its access token and `shop_cipher`. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct ShopSession {
    /// Access token, sent in [`ACCESS_TOKEN_HEADER`].
    pub access_token: String,
    /// `shop_cipher` from Get Authorized Shops (`cipher`), required by shop-scoped calls.
    pub shop_cipher: String,
}

impl fmt::Debug for ShopSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopSession")
            .field("access_token", &"<redacted>")
            .field("shop_cipher", &self.shop_cipher)
            .finish()
    }
}

/// What every shop-scoped request needs: where, who, and the current time.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// [`API_HOST`] or [`SANDBOX_API_HOST`].
    pub host: &'a str,
    /// The app.
    pub credentials: &'a AppCredentials,
    /// The shop.
    pub shop: &'a ShopSession,
    /// Now; becomes `timestamp` (Unix seconds, must be within 5 minutes of TikTok's clock).
    pub now: DateTime<Utc>,
}

/// Builds and signs a shop-scoped request (§1.1, §1.2).
///
/// Adds `app_key`, `shop_cipher`, `timestamp` and `sign` to `params`, drops parameters with
/// an empty value (§1.2 "do not send empty query params"), and sets the access-token header
/// and, when `body` is not empty, `content-type: application/json`.
pub fn signed_request(
    ctx: &RequestContext<'_>,
    method: HttpMethod,
    path: String,
    params: Vec<(String, String)>,
    body: Vec<u8>,
) -> WireRequest {
    let content_type = (!body.is_empty()).then(|| "application/json".to_owned());
    build_signed(ctx, method, path, params, body, content_type, true)
}

/// Builds and signs a request; `sign_body` is false for `multipart/form-data` bodies,
/// which take no part in the signature (§1.2 step 4).
fn build_signed(
    ctx: &RequestContext<'_>,
    method: HttpMethod,
    path: String,
    params: Vec<(String, String)>,
    body: Vec<u8>,
    content_type: Option<String>,
    sign_body: bool,
) -> WireRequest {
    let mut query: Vec<(String, String)> = vec![
        ("app_key".into(), ctx.credentials.app_key.clone()),
        ("shop_cipher".into(), ctx.shop.shop_cipher.clone()),
        ("timestamp".into(), ctx.now.timestamp().to_string()),
    ];
    query.extend(params);
    query.retain(|(_, value)| !value.is_empty());
    query.sort_by(|a, b| a.0.cmp(&b.0));
    let signed_body: &[u8] = if sign_body { &body } else { &[] };
    let sign = request_sign(
        &ctx.credentials.app_secret,
        &path,
        query.iter().map(|(key, value)| (key, value)),
        signed_body,
    );
    query.push(("sign".into(), sign));

    let mut headers = vec![(ACCESS_TOKEN_HEADER.into(), ctx.shop.access_token.clone())];
    if let Some(content_type) = content_type {
        headers.push(("content-type".into(), content_type));
    }
    WireRequest {
        method,
        host: ctx.host.to_owned(),
        path,
        query,
        headers,
        body,
    }
}

fn conversation_path(conversation_id: &str, tail: &str) -> Result<String, WireError> {
    Ok(format!(
        "/customer_service/{API_VERSION}/conversations/{}{tail}",
        path_segment(conversation_id)?
    ))
}

/// Paging for `GET /customer_service/202309/conversations` (§1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConversationsQuery {
    /// `page_size` (required by the platform).
    pub page_size: u32,
    /// `page_token` from the previous page's `next_page_token`.
    pub page_token: Option<String>,
    /// `locale`, e.g. `en-US`.
    pub locale: Option<String>,
}

/// List the shop's conversations (§1.3).
pub fn get_conversations(ctx: &RequestContext<'_>, query: &ConversationsQuery) -> WireRequest {
    let mut params = vec![("page_size".to_owned(), query.page_size.to_string())];
    push_opt(&mut params, "page_token", query.page_token.as_deref());
    push_opt(&mut params, "locale", query.locale.as_deref());
    signed_request(
        ctx,
        HttpMethod::Get,
        format!("/customer_service/{API_VERSION}/conversations"),
        params,
        Vec::new(),
    )
}

/// Sort order of a message list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortOrder {
    /// Oldest first.
    #[serde(rename = "ASC")]
    Asc,
    /// Newest first.
    #[serde(rename = "DESC")]
    Desc,
}

impl SortOrder {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

/// Paging for `GET …/conversations/{conversation_id}/messages` (§1.3).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessagesQuery {
    /// `page_size` (required by the platform).
    pub page_size: u32,
    /// `page_token` from the previous page's `next_page_token`.
    pub page_token: Option<String>,
    /// `locale`.
    pub locale: Option<String>,
    /// `sort_order`.
    pub sort_order: Option<SortOrder>,
    /// `sort_field`.
    pub sort_field: Option<String>,
}

/// List one conversation's messages (§1.3).
pub fn get_messages(
    ctx: &RequestContext<'_>,
    conversation_id: &str,
    query: &MessagesQuery,
) -> Result<WireRequest, WireError> {
    let mut params = vec![("page_size".to_owned(), query.page_size.to_string())];
    push_opt(&mut params, "page_token", query.page_token.as_deref());
    push_opt(&mut params, "locale", query.locale.as_deref());
    push_opt(
        &mut params,
        "sort_order",
        query.sort_order.map(SortOrder::as_str),
    );
    push_opt(&mut params, "sort_field", query.sort_field.as_deref());
    Ok(signed_request(
        ctx,
        HttpMethod::Get,
        conversation_path(conversation_id, "/messages")?,
        params,
        Vec::new(),
    ))
}

/// Send a message into a conversation (§1.3, §1.4): body `{type, content[, sender_role]}`
/// with `content` a JSON **string**.
pub fn send_message(
    ctx: &RequestContext<'_>,
    conversation_id: &str,
    message: &OutboundMessage,
    sender_role: Option<SenderRole>,
) -> Result<WireRequest, WireError> {
    let body = SendMessageBody {
        kind: message.kind().to_owned(),
        content: message.content_json()?,
        sender_role,
    };
    Ok(signed_request(
        ctx,
        HttpMethod::Post,
        conversation_path(conversation_id, "/messages")?,
        Vec::new(),
        serde_json::to_vec(&body)?,
    ))
}

/// Mark the buyer's messages in a conversation read (§1.3). The body is `{}`.
pub fn read_messages(
    ctx: &RequestContext<'_>,
    conversation_id: &str,
) -> Result<WireRequest, WireError> {
    Ok(signed_request(
        ctx,
        HttpMethod::Post,
        conversation_path(conversation_id, "/messages/read")?,
        Vec::new(),
        b"{}".to_vec(),
    ))
}

/// Start (or reopen) a conversation with a buyer (§1.3). `buyer_user_id` is the order's
/// `user_id`, not an `im_user_id`.
pub fn create_conversation(
    ctx: &RequestContext<'_>,
    buyer_user_id: &str,
) -> Result<WireRequest, WireError> {
    let body = CreateConversationBody {
        buyer_user_id: buyer_user_id.to_owned(),
    };
    Ok(signed_request(
        ctx,
        HttpMethod::Post,
        format!("/customer_service/{API_VERSION}/conversations"),
        Vec::new(),
        serde_json::to_vec(&body)?,
    ))
}

/// Subscribe the shop's webhook `address` to one event type, e.g. `NEW_MESSAGE` (§1.5).
pub fn update_webhook(
    ctx: &RequestContext<'_>,
    address: &str,
    event_type: &str,
) -> Result<WireRequest, WireError> {
    let body = UpdateWebhookBody {
        address: address.to_owned(),
        event_type: event_type.to_owned(),
    };
    Ok(signed_request(
        ctx,
        HttpMethod::Put,
        format!("/event/{API_VERSION}/webhooks"),
        Vec::new(),
        serde_json::to_vec(&body)?,
    ))
}

fn push_opt(params: &mut Vec<(String, String)>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        params.push((key.to_owned(), value.to_owned()));
    }
}

// ---------------------------------------------------------------------------------------------
// Request and reply bodies
// ---------------------------------------------------------------------------------------------

/// Body of "send message".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessageBody {
    /// `type`, e.g. `TEXT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `content`: the message content as a JSON string.
    pub content: String,
    /// `sender_role`; absent means a human agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_role: Option<SenderRole>,
}

/// Who a sent message claims to come from (§1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SenderRole {
    /// A human agent.
    CustomerService,
    /// An automatic message (welcome, timeout notice).
    System,
    /// A bot.
    Robot,
}

/// Body of "create conversation".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateConversationBody {
    /// The buyer's `user_id` from an order.
    pub buyer_user_id: String,
}

/// Body of `PUT /event/202309/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateWebhookBody {
    /// The HTTPS address TikTok posts to.
    pub address: String,
    /// Event type name, e.g. `NEW_MESSAGE`.
    pub event_type: String,
}

/// The reply envelope of every Partner API call (§1.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse<T> {
    /// 0 on success.
    pub code: i64,
    /// Human-readable status.
    #[serde(default)]
    pub message: String,
    /// Request id, for support tickets.
    #[serde(default)]
    pub request_id: String,
    /// The payload, absent on most errors.
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> ApiResponse<T> {
    /// Whether `code` is [`CODE_SUCCESS`].
    pub fn is_success(&self) -> bool {
        self.code == CODE_SUCCESS
    }
}

/// `data` of "get conversations".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationsPage {
    /// `conversations`.
    #[serde(default)]
    pub conversations: Vec<Conversation>,
    /// `next_page_token`; empty or absent on the last page.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// One conversation (§1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// `id`.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// `participant_count`: 2 = shop and buyer, 3 = with an agent.
    #[serde(default)]
    pub participant_count: u32,
    /// `can_send_message`: buyer chatted in the last 30 days, ordered within 60 days, or
    /// has a return/refund history with the shop.
    #[serde(default)]
    pub can_send_message: bool,
    /// `unread_count`.
    #[serde(default)]
    pub unread_count: u32,
    /// `create_time`, Unix seconds.
    #[serde(default)]
    pub create_time: i64,
    /// `participants`.
    #[serde(default)]
    pub participants: Vec<Participant>,
    /// `latest_message`.
    #[serde(default)]
    pub latest_message: Option<Message>,
}

/// A conversation participant (§1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// `im_user_id`; cannot be used to look up orders.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub im_user_id: Option<String>,
    /// `user_id`; the id orders carry.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_id: Option<String>,
    /// `role`.
    pub role: Role,
    /// `nickname`.
    #[serde(default)]
    pub nickname: String,
    /// `avatar` URL.
    #[serde(default)]
    pub avatar: String,
    /// `buyer_platform`: `TIKTOK_SHOP` or `TOKOPEDIA` (Indonesia only).
    #[serde(default)]
    pub buyer_platform: Option<String>,
}

/// A participant's or sender's role (§1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// The buyer.
    Buyer,
    /// The shop account.
    Shop,
    /// A human agent.
    CustomerService,
    /// The platform (senders only).
    System,
    /// A bot (senders only).
    Robot,
    /// A role this version does not know.
    #[serde(other)]
    Other,
}

/// `data` of "get messages".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesPage {
    /// `messages`.
    #[serde(default)]
    pub messages: Vec<Message>,
    /// `next_page_token`.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// `unsupported_msg_tips`.
    #[serde(default)]
    pub unsupported_msg_tips: Option<String>,
}

/// One message as listed (§1.3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `id`.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// `index`: larger is newer, not strictly increasing.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub index: Option<String>,
    /// `type`, e.g. `TEXT`; see [`Message::parse_content`].
    #[serde(rename = "type")]
    pub kind: String,
    /// `content`: a JSON string whose shape depends on `type` (§1.4).
    #[serde(default)]
    pub content: String,
    /// `create_time`, Unix seconds.
    #[serde(default)]
    pub create_time: i64,
    /// `is_visible`; false means hide from agents (e.g. rating prompts). Absent reads as true.
    #[serde(default = "yes")]
    pub is_visible: bool,
    /// `sender`.
    pub sender: Sender,
}

fn yes() -> bool {
    true
}

impl Message {
    /// Decodes `content` according to `type`.
    pub fn parse_content(&self) -> Result<MessageContent, WireError> {
        MessageContent::parse(&self.kind, &self.content)
    }
}

/// A message's sender (§1.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sender {
    /// `im_user_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub im_user_id: Option<String>,
    /// `role`.
    pub role: Role,
    /// `nickname` (absent in webhooks).
    #[serde(default)]
    pub nickname: Option<String>,
    /// `avatar` (absent in webhooks).
    #[serde(default)]
    pub avatar: Option<String>,
}

/// `data` of "send message".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessageData {
    /// `message_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub message_id: String,
}

/// `data` of "create conversation".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateConversationData {
    /// `conversation_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub conversation_id: String,
}

// ---------------------------------------------------------------------------------------------
// Message contents (§1.4)
// ---------------------------------------------------------------------------------------------

/// A message TikTok lets an agent send, with its `content` shape (§1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundMessage {
    /// `TEXT` `{"content"}`, at most [`TEXT_MAX_CHARS`] characters.
    Text(String),
    /// `IMAGE` `{"url","width","height"}`; `url` comes from the chat image upload.
    Image {
        /// Uploaded image URL.
        url: String,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// `VIDEO` `{"vid"}`.
    Video {
        /// Video id.
        vid: String,
    },
    /// `PRODUCT_CARD` `{"product_id"}`.
    ProductCard {
        /// Product id.
        product_id: String,
    },
    /// `ORDER_CARD` `{"order_id"}`.
    OrderCard {
        /// Order id.
        order_id: String,
    },
    /// `LOGISTICS_CARD` `{"order_id"[,"package_id"]}`.
    LogisticsCard {
        /// Order id.
        order_id: String,
        /// Package id, optional.
        package_id: Option<String>,
    },
    /// `RETURN_REFUND_CARD` `{"order_id","sku_id"}` (order must be after-sale eligible).
    ReturnRefundCard {
        /// Order id.
        order_id: String,
        /// SKU id.
        sku_id: String,
    },
    /// `COUPON_CARD` `{"coupon_id"}`.
    CouponCard {
        /// Coupon id.
        coupon_id: String,
    },
}

#[derive(Serialize)]
struct TextBody<'a> {
    content: &'a str,
}

#[derive(Serialize)]
struct ImageBody<'a> {
    url: &'a str,
    width: u32,
    height: u32,
}

#[derive(Serialize)]
struct VideoBody<'a> {
    vid: &'a str,
}

#[derive(Serialize)]
struct ProductBody<'a> {
    product_id: &'a str,
}

#[derive(Serialize)]
struct OrderBody<'a> {
    order_id: &'a str,
}

#[derive(Serialize)]
struct LogisticsBody<'a> {
    order_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    package_id: Option<&'a str>,
}

#[derive(Serialize)]
struct ReturnRefundBody<'a> {
    order_id: &'a str,
    sku_id: &'a str,
}

#[derive(Serialize)]
struct CouponBody<'a> {
    coupon_id: &'a str,
}

impl OutboundMessage {
    /// The `type` value.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboundMessage::Text(_) => "TEXT",
            OutboundMessage::Image { .. } => "IMAGE",
            OutboundMessage::Video { .. } => "VIDEO",
            OutboundMessage::ProductCard { .. } => "PRODUCT_CARD",
            OutboundMessage::OrderCard { .. } => "ORDER_CARD",
            OutboundMessage::LogisticsCard { .. } => "LOGISTICS_CARD",
            OutboundMessage::ReturnRefundCard { .. } => "RETURN_REFUND_CARD",
            OutboundMessage::CouponCard { .. } => "COUPON_CARD",
        }
    }

    /// The `content` value: the content object serialized to a JSON string.
    pub fn content_json(&self) -> Result<String, WireError> {
        let json = match self {
            OutboundMessage::Text(text) => {
                let chars = text.chars().count();
                if chars > TEXT_MAX_CHARS {
                    return Err(WireError::TextTooLong {
                        chars,
                        max: TEXT_MAX_CHARS,
                    });
                }
                serde_json::to_string(&TextBody { content: text })?
            }
            OutboundMessage::Image { url, width, height } => serde_json::to_string(&ImageBody {
                url,
                width: *width,
                height: *height,
            })?,
            OutboundMessage::Video { vid } => serde_json::to_string(&VideoBody { vid })?,
            OutboundMessage::ProductCard { product_id } => {
                serde_json::to_string(&ProductBody { product_id })?
            }
            OutboundMessage::OrderCard { order_id } => {
                serde_json::to_string(&OrderBody { order_id })?
            }
            OutboundMessage::LogisticsCard {
                order_id,
                package_id,
            } => serde_json::to_string(&LogisticsBody {
                order_id,
                package_id: package_id.as_deref(),
            })?,
            OutboundMessage::ReturnRefundCard { order_id, sku_id } => {
                serde_json::to_string(&ReturnRefundBody { order_id, sku_id })?
            }
            OutboundMessage::CouponCard { coupon_id } => {
                serde_json::to_string(&CouponBody { coupon_id })?
            }
        };
        Ok(json)
    }
}

/// A received message's `content`, decoded by `type` (§1.4).
#[derive(Debug, Clone, PartialEq)]
pub enum MessageContent {
    /// `TEXT`.
    Text {
        /// The text.
        content: String,
    },
    /// `IMAGE`; received sizes may arrive as strings.
    Image {
        /// Image URL.
        url: String,
        /// Width in pixels, if given.
        width: Option<u32>,
        /// Height in pixels, if given.
        height: Option<u32>,
    },
    /// `VIDEO`; the whole received object (vid, url, cover, sizes, duration, …).
    Video(serde_json::Value),
    /// `PRODUCT_CARD`.
    ProductCard {
        /// Product id.
        product_id: String,
    },
    /// `ORDER_CARD`.
    OrderCard {
        /// Order id.
        order_id: String,
    },
    /// `LOGISTICS_CARD`.
    LogisticsCard {
        /// Order id.
        order_id: String,
        /// Package id, if given.
        package_id: Option<String>,
    },
    /// `RETURN_REFUND_CARD`.
    ReturnRefundCard {
        /// Order id.
        order_id: String,
        /// SKU id.
        sku_id: Option<String>,
    },
    /// `COUPON_CARD`.
    CouponCard {
        /// Coupon id.
        coupon_id: String,
    },
    /// `EMOTICONS`; the received object as is (its shape is not documented).
    Emoticons(serde_json::Value),
    /// `BUYER_ENTER_FROM_PRODUCT`: the buyer opened the chat from a product page.
    BuyerEnterFromProduct {
        /// Product id.
        product_id: String,
    },
    /// `BUYER_ENTER_FROM_ORDER`: the buyer opened the chat from an order page.
    BuyerEnterFromOrder {
        /// Order id.
        order_id: String,
    },
    /// `ALLOCATED_SERVICE`, `NOTIFICATION`, `BUYER_ENTER_FROM_TRANSFER` or `OTHER`:
    /// a system line `{"content"}`.
    Notice {
        /// The `type` value.
        kind: String,
        /// The text.
        content: String,
    },
    /// A `type` this version does not know, with its content as JSON.
    Unknown {
        /// The `type` value.
        kind: String,
        /// The decoded content (a JSON string value when it was not JSON).
        content: serde_json::Value,
    },
}

#[derive(Deserialize)]
struct TextIn {
    #[serde(default)]
    content: String,
}

#[derive(Deserialize)]
struct ImageIn {
    url: String,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    width: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    height: Option<u32>,
}

#[derive(Deserialize)]
struct ProductIn {
    #[serde(deserialize_with = "lenient::string")]
    product_id: String,
}

#[derive(Deserialize)]
struct OrderIn {
    #[serde(deserialize_with = "lenient::string")]
    order_id: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    package_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    sku_id: Option<String>,
}

#[derive(Deserialize)]
struct CouponIn {
    #[serde(deserialize_with = "lenient::string")]
    coupon_id: String,
}

impl MessageContent {
    /// Decodes a `content` JSON string according to its message `type`.
    pub fn parse(kind: &str, content: &str) -> Result<MessageContent, WireError> {
        let parsed = match kind {
            "TEXT" => MessageContent::Text {
                content: serde_json::from_str::<TextIn>(content)?.content,
            },
            "IMAGE" => {
                let image: ImageIn = serde_json::from_str(content)?;
                MessageContent::Image {
                    url: image.url,
                    width: image.width,
                    height: image.height,
                }
            }
            "VIDEO" => MessageContent::Video(serde_json::from_str(content)?),
            "PRODUCT_CARD" => MessageContent::ProductCard {
                product_id: serde_json::from_str::<ProductIn>(content)?.product_id,
            },
            "ORDER_CARD" => MessageContent::OrderCard {
                order_id: serde_json::from_str::<OrderIn>(content)?.order_id,
            },
            "LOGISTICS_CARD" => {
                let order: OrderIn = serde_json::from_str(content)?;
                MessageContent::LogisticsCard {
                    order_id: order.order_id,
                    package_id: order.package_id,
                }
            }
            "RETURN_REFUND_CARD" => {
                let order: OrderIn = serde_json::from_str(content)?;
                MessageContent::ReturnRefundCard {
                    order_id: order.order_id,
                    sku_id: order.sku_id,
                }
            }
            "COUPON_CARD" => MessageContent::CouponCard {
                coupon_id: serde_json::from_str::<CouponIn>(content)?.coupon_id,
            },
            "EMOTICONS" => MessageContent::Emoticons(
                serde_json::from_str(content)
                    .unwrap_or_else(|_| serde_json::Value::String(content.to_owned())),
            ),
            "BUYER_ENTER_FROM_PRODUCT" => MessageContent::BuyerEnterFromProduct {
                product_id: serde_json::from_str::<ProductIn>(content)?.product_id,
            },
            "BUYER_ENTER_FROM_ORDER" => MessageContent::BuyerEnterFromOrder {
                order_id: serde_json::from_str::<OrderIn>(content)?.order_id,
            },
            "ALLOCATED_SERVICE" | "NOTIFICATION" | "BUYER_ENTER_FROM_TRANSFER" | "OTHER" => {
                MessageContent::Notice {
                    kind: kind.to_owned(),
                    content: serde_json::from_str::<TextIn>(content)?.content,
                }
            }
            other => MessageContent::Unknown {
                kind: other.to_owned(),
                content: serde_json::from_str(content)
                    .unwrap_or_else(|_| serde_json::Value::String(content.to_owned())),
            },
        };
        Ok(parsed)
    }
}

// ---------------------------------------------------------------------------------------------
// Chat image upload (§1.3 "upload image for chat")
// ---------------------------------------------------------------------------------------------

/// Largest image "Upload Buyer Messages Image" accepts: 10 MB.
pub const IMAGE_UPLOAD_MAX_BYTES: usize = 10 * 1024 * 1024;

/// An image format "Upload Buyer Messages Image" accepts (jpg, gif, webp, png).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageFormat {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// GIF.
    Gif,
    /// WebP.
    Webp,
}

impl ImageFormat {
    /// The format of `bytes` by their magic number; `None` for anything else.
    pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageFormat::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageFormat::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(ImageFormat::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageFormat::Webp)
        } else {
            None
        }
    }

    /// The media type.
    pub fn mime(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::Gif => "image/gif",
            ImageFormat::Webp => "image/webp",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Png => "png",
            ImageFormat::Gif => "gif",
            ImageFormat::Webp => "webp",
        }
    }
}

/// The multipart boundary for a body carrying `content`: derived from the content's
/// SHA-256, so the same image always gives the same request, and the boundary cannot
/// occur in it by accident.
fn multipart_boundary(content: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(content);
    format!("shopmux-{}", hex::encode(&digest[..16]))
}

/// Upload an image for a chat message (`POST /customer_service/202309/images/upload`,
/// §1.3): a `multipart/form-data` body with the image as the file field `data`. The body
/// is **not** part of the signature (§1.2 step 4). The reply is [`UploadedImage`], whose
/// `url`, `width` and `height` go into an IMAGE message.
pub fn upload_image(ctx: &RequestContext<'_>, image: &[u8]) -> Result<WireRequest, WireError> {
    let format = ImageFormat::sniff(image).ok_or(WireError::UnsupportedImage)?;
    if image.len() > IMAGE_UPLOAD_MAX_BYTES {
        return Err(WireError::ImageTooLarge {
            bytes: image.len(),
            max: IMAGE_UPLOAD_MAX_BYTES,
        });
    }
    let boundary = multipart_boundary(image);
    let mut body = Vec::with_capacity(image.len() + 256);
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!(
            "Content-Disposition: form-data; name=\"data\"; filename=\"image.{}\"\r\n",
            format.extension()
        )
        .as_bytes(),
    );
    body.extend_from_slice(format!("Content-Type: {}\r\n\r\n", format.mime()).as_bytes());
    body.extend_from_slice(image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    Ok(build_signed(
        ctx,
        HttpMethod::Post,
        format!("/customer_service/{API_VERSION}/images/upload"),
        Vec::new(),
        body,
        Some(format!("multipart/form-data; boundary={boundary}")),
        false,
    ))
}

/// `data` of "Upload Buyer Messages Image" (sizes may arrive as strings).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedImage {
    /// `url`, for the IMAGE message.
    pub url: String,
    /// `width` in pixels.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub width: Option<u32>,
    /// `height` in pixels.
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    pub height: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// Orders (Order API 202309)
// ---------------------------------------------------------------------------------------------

/// Most ids one "Get Order Detail" call takes.
pub const ORDER_DETAIL_MAX_IDS: usize = 50;

/// A "Get Order List" search (`POST /order/202309/orders/search`): paging and sort in the
/// query, filters in the JSON body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderSearchQuery {
    /// `page_size`, 1–100 (required by the platform).
    pub page_size: u32,
    /// `page_token` from the previous page's `next_page_token`.
    pub page_token: Option<String>,
    /// `sort_field`: `create_time` or `update_time`.
    pub sort_field: Option<String>,
    /// `sort_order`.
    pub sort_order: Option<SortOrder>,
    /// Body `buyer_user_id`: the buyer's `user_id` (not the `im_user_id`).
    pub buyer_user_id: Option<String>,
    /// Body `order_status`, e.g. `AWAITING_SHIPMENT`.
    pub order_status: Option<String>,
}

#[derive(Serialize)]
struct OrderSearchBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    buyer_user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_status: Option<&'a str>,
}

/// Search the shop's orders ("Get Order List").
pub fn search_orders(
    ctx: &RequestContext<'_>,
    query: &OrderSearchQuery,
) -> Result<WireRequest, WireError> {
    let mut params = vec![("page_size".to_owned(), query.page_size.to_string())];
    push_opt(&mut params, "page_token", query.page_token.as_deref());
    push_opt(&mut params, "sort_field", query.sort_field.as_deref());
    push_opt(
        &mut params,
        "sort_order",
        query.sort_order.map(SortOrder::as_str),
    );
    let body = OrderSearchBody {
        buyer_user_id: query.buyer_user_id.as_deref(),
        order_status: query.order_status.as_deref(),
    };
    Ok(signed_request(
        ctx,
        HttpMethod::Post,
        "/order/202309/orders/search".to_owned(),
        params,
        serde_json::to_vec(&body)?,
    ))
}

/// Fetch orders by id ("Get Order Detail", `GET /order/202309/orders?ids=a,b`): at most
/// [`ORDER_DETAIL_MAX_IDS`], joined by commas.
pub fn get_order_detail(ctx: &RequestContext<'_>, ids: &[&str]) -> Result<WireRequest, WireError> {
    if ids.is_empty()
        || ids.len() > ORDER_DETAIL_MAX_IDS
        || ids
            .iter()
            .any(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(WireError::BadOrderIds);
    }
    Ok(signed_request(
        ctx,
        HttpMethod::Get,
        "/order/202309/orders".to_owned(),
        vec![("ids".to_owned(), ids.join(","))],
        Vec::new(),
    ))
}

/// `data` of "Get Order List".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersPage {
    /// `orders`.
    #[serde(default)]
    pub orders: Vec<Order>,
    /// `next_page_token`; empty or absent on the last page.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// `total_count`.
    #[serde(default)]
    pub total_count: Option<i64>,
}

/// `data` of "Get Order Detail".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderDetails {
    /// `orders`, those of the ids that exist.
    #[serde(default)]
    pub orders: Vec<Order>,
}

/// An order, with the fields shopmux reads (both order calls return this shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// `id`.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// `user_id`: the buyer's id orders carry (not the chat `im_user_id`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_id: Option<String>,
    /// `status`: `UNPAID`, `ON_HOLD`, `AWAITING_SHIPMENT`, …, `COMPLETED`, `CANCELLED`.
    #[serde(default)]
    pub status: Option<String>,
    /// `create_time`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    /// `update_time`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub update_time: Option<i64>,
    /// `payment` (`currency`, `total_amount`, …).
    #[serde(default)]
    pub payment: Option<OrderPayment>,
    /// `line_items`.
    #[serde(default)]
    pub line_items: Vec<OrderLineItem>,
}

/// An order's `payment`, the fields read here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPayment {
    /// `currency`.
    #[serde(default)]
    pub currency: Option<String>,
    /// `total_amount`, a decimal string.
    #[serde(default)]
    pub total_amount: Option<String>,
}

/// One `line_items[]` entry, the fields read here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineItem {
    /// `id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// `product_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub product_id: Option<String>,
    /// `product_name`.
    #[serde(default)]
    pub product_name: Option<String>,
    /// `sku_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sku_id: Option<String>,
    /// `sale_price`, a decimal string.
    #[serde(default)]
    pub sale_price: Option<String>,
    /// `currency`.
    #[serde(default)]
    pub currency: Option<String>,
    /// `display_status`.
    #[serde(default)]
    pub display_status: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Products (Product API 202309)
// ---------------------------------------------------------------------------------------------

/// The buyer-facing page of a product: this prefix and the product id. [check]: seen in
/// third-party catalogue tools, not in Partner Center docs.
pub const PRODUCT_PAGE_URL: &str = "https://shop.tiktok.com/view/product/";

/// Product `status` of a product on sale.
pub const PRODUCT_STATUS_ACTIVATE: &str = "ACTIVATE";

/// A "Search Products" call (`POST /product/202309/products/search`): paging in the
/// query, filters in the JSON body. The API has no title filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductSearchQuery {
    /// `page_size`, 1–100 (required by the platform).
    pub page_size: u32,
    /// `page_token` from the previous page's `next_page_token`.
    pub page_token: Option<String>,
    /// Body `status`: `ALL`, `DRAFT`, `PENDING`, `FAILED`, `ACTIVATE`,
    /// `SELLER_DEACTIVATED`, `PLATFORM_DEACTIVATED`, `FREEZE`, `DELETED`.
    pub status: Option<String>,
}

#[derive(Serialize)]
struct ProductSearchBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
}

/// Search the shop's products.
pub fn search_products(
    ctx: &RequestContext<'_>,
    query: &ProductSearchQuery,
) -> Result<WireRequest, WireError> {
    let mut params = vec![("page_size".to_owned(), query.page_size.to_string())];
    push_opt(&mut params, "page_token", query.page_token.as_deref());
    let body = ProductSearchBody {
        status: query.status.as_deref(),
    };
    Ok(signed_request(
        ctx,
        HttpMethod::Post,
        "/product/202309/products/search".to_owned(),
        params,
        serde_json::to_vec(&body)?,
    ))
}

/// `data` of "Search Products".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductsPage {
    /// `products`.
    #[serde(default)]
    pub products: Vec<ProductSummary>,
    /// `next_page_token`; empty or absent on the last page.
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// `total_count`.
    #[serde(default)]
    pub total_count: Option<i64>,
}

/// A product as "Search Products" lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductSummary {
    /// `id`.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// `title`.
    #[serde(default)]
    pub title: String,
    /// `status`, e.g. [`PRODUCT_STATUS_ACTIVATE`].
    #[serde(default)]
    pub status: Option<String>,
    /// `skus`.
    #[serde(default)]
    pub skus: Vec<ProductSku>,
    /// `create_time`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    /// `update_time`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub update_time: Option<i64>,
}

/// One of a product's `skus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSku {
    /// `id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// `seller_sku`.
    #[serde(default)]
    pub seller_sku: Option<String>,
    /// `price`.
    #[serde(default)]
    pub price: Option<SkuPrice>,
    /// `inventory`, per warehouse.
    #[serde(default)]
    pub inventory: Vec<SkuInventory>,
}

/// A SKU's `price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuPrice {
    /// `currency`.
    #[serde(default)]
    pub currency: Option<String>,
    /// `sale_price`, a decimal string: what the buyer pays.
    #[serde(default)]
    pub sale_price: Option<String>,
    /// `tax_exclusive_price`, a decimal string.
    #[serde(default)]
    pub tax_exclusive_price: Option<String>,
}

/// A SKU's stock in one warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuInventory {
    /// `warehouse_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub warehouse_id: Option<String>,
    /// `quantity`.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub quantity: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Webhooks (§1.5)
// ---------------------------------------------------------------------------------------------

/// Webhook `type` codes (§1.5).
pub mod event_type {
    /// ORDER_STATUS_CHANGE.
    pub const ORDER_STATUS_CHANGE: i64 = 1;
    /// SELLER_DEAUTHORIZATION.
    pub const SELLER_DEAUTHORIZATION: i64 = 6;
    /// UPCOMING_AUTHORIZATION_EXPIRATION.
    pub const UPCOMING_AUTHORIZATION_EXPIRATION: i64 = 7;
    /// CANCELLATION_STATUS_CHANGE.
    pub const CANCELLATION_STATUS_CHANGE: i64 = 11;
    /// RETURN_STATUS_CHANGE.
    pub const RETURN_STATUS_CHANGE: i64 = 12;
    /// NEW_CONVERSATION: a buyer–shop conversation was created.
    pub const NEW_CONVERSATION: i64 = 13;
    /// NEW_MESSAGE: a customer-service message was sent in a conversation.
    pub const NEW_MESSAGE: i64 = 14;
    /// NEW_MESSAGE_LISTENER: the creator/affiliate IM, not buyer chat.
    pub const NEW_MESSAGE_LISTENER: i64 = 33;
}

/// The envelope of every webhook delivery (§1.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEnvelope {
    /// `type`: see [`event_type`].
    #[serde(rename = "type", deserialize_with = "lenient::i64")]
    pub kind: i64,
    /// `tts_notification_id`: use it to drop redeliveries.
    #[serde(default, deserialize_with = "lenient::string")]
    pub tts_notification_id: String,
    /// `shop_id`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub shop_id: String,
    /// `timestamp`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::i64")]
    pub timestamp: i64,
    /// `data`, shaped by `type`.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// `data` of NEW_CONVERSATION (13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewConversationEvent {
    /// `conversation_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub conversation_id: String,
    /// `create_time`, Unix seconds.
    #[serde(default)]
    pub create_time: i64,
}

/// `data` of NEW_MESSAGE (14).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMessageEvent {
    /// `message_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub message_id: String,
    /// `index`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub index: Option<String>,
    /// `conversation_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub conversation_id: String,
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `content`, a JSON string (§1.4).
    #[serde(default)]
    pub content: String,
    /// `create_time`, Unix seconds.
    #[serde(default)]
    pub create_time: i64,
    /// `is_visible`.
    #[serde(default = "yes")]
    pub is_visible: bool,
    /// `sender` (`im_user_id`, `role`).
    pub sender: Sender,
}

impl NewMessageEvent {
    /// Decodes `content` according to `type`.
    pub fn parse_content(&self) -> Result<MessageContent, WireError> {
        MessageContent::parse(&self.kind, &self.content)
    }
}

/// A webhook's `data`, decoded for the types a chat adapter handles.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookEvent {
    /// NEW_CONVERSATION.
    NewConversation(NewConversationEvent),
    /// NEW_MESSAGE.
    NewMessage(NewMessageEvent),
    /// Any other type, `data` untouched.
    Other {
        /// The `type` code.
        kind: i64,
        /// The `data` object.
        data: serde_json::Value,
    },
}

impl WebhookEnvelope {
    /// Parses a delivery's raw body. Verify the signature first
    /// ([`crate::sign::verify_webhook`]).
    pub fn parse(raw_body: &[u8]) -> Result<WebhookEnvelope, WireError> {
        Ok(serde_json::from_slice(raw_body)?)
    }

    /// Decodes `data` by `type`.
    pub fn event(&self) -> Result<WebhookEvent, WireError> {
        let event = match self.kind {
            event_type::NEW_CONVERSATION => {
                WebhookEvent::NewConversation(serde_json::from_value(self.data.clone())?)
            }
            event_type::NEW_MESSAGE => {
                WebhookEvent::NewMessage(serde_json::from_value(self.data.clone())?)
            }
            kind => WebhookEvent::Other {
                kind,
                data: self.data.clone(),
            },
        };
        Ok(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::verify_webhook;
    use chrono::TimeZone;

    fn credentials() -> AppCredentials {
        AppCredentials {
            app_key: "29a39d".into(),
            app_secret: "e59af819cc".into(),
        }
    }

    fn shop() -> ShopSession {
        ShopSession {
            access_token: "TTP_token".into(),
            shop_cipher: "ROW_abc".into(),
        }
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).single().expect("valid time")
    }

    #[test]
    fn send_text_request_is_signed_as_documented() {
        let credentials = credentials();
        let shop = shop();
        let ctx = RequestContext {
            host: API_HOST,
            credentials: &credentials,
            shop: &shop,
            now: at(1_700_000_000),
        };
        let request = send_message(
            &ctx,
            "576460752324045279",
            &OutboundMessage::Text("hello".into()),
            None,
        )
        .expect("builds");
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(
            request.path,
            "/customer_service/202309/conversations/576460752324045279/messages"
        );
        assert_eq!(
            request.body,
            br#"{"type":"TEXT","content":"{\"content\":\"hello\"}"}"#
        );
        // Same inputs as the fixed vector in sign.rs, computed with Python's hmac.
        assert_eq!(
            request.query_param("sign"),
            Some("b02e2068aafee787381d10aa8f23b436a121c3e0dcad2763fae9a9e4dfe354a9")
        );
        assert_eq!(request.query_param("timestamp"), Some("1700000000"));
        assert_eq!(request.query_param("access_token"), None);
        assert!(
            request
                .headers
                .contains(&(ACCESS_TOKEN_HEADER.into(), "TTP_token".into()))
        );
        assert_eq!(
            request.url(),
            "https://open-api.tiktokglobalshop.com/customer_service/202309/conversations/\
             576460752324045279/messages?app_key=29a39d&shop_cipher=ROW_abc&timestamp=1700000000\
             &sign=b02e2068aafee787381d10aa8f23b436a121c3e0dcad2763fae9a9e4dfe354a9"
        );
    }

    #[test]
    fn list_requests_skip_empty_params_and_refuse_bad_ids() {
        let credentials = credentials();
        let shop = shop();
        let ctx = RequestContext {
            host: SANDBOX_API_HOST,
            credentials: &credentials,
            shop: &shop,
            now: at(1_700_000_000),
        };
        let request = get_conversations(
            &ctx,
            &ConversationsQuery {
                page_size: 20,
                page_token: Some(String::new()),
                locale: Some("en-US".into()),
            },
        );
        assert_eq!(request.query_param("page_token"), None);
        assert_eq!(request.query_param("locale"), Some("en-US"));
        assert!(request.body.is_empty());
        assert!(request.query_string().contains("locale=en-US"));

        let messages = get_messages(
            &ctx,
            "123",
            &MessagesQuery {
                page_size: 10,
                sort_order: Some(SortOrder::Desc),
                ..MessagesQuery::default()
            },
        )
        .expect("builds");
        assert_eq!(messages.query_param("sort_order"), Some("DESC"));

        for bad in ["", "1/../2", "1?x=2", "a b"] {
            assert!(matches!(
                read_messages(&ctx, bad),
                Err(WireError::BadPathSegment(_))
            ));
        }
        let read = read_messages(&ctx, "123").expect("builds");
        assert_eq!(
            read.path,
            "/customer_service/202309/conversations/123/messages/read"
        );
        assert_eq!(read.body, b"{}");
    }

    #[test]
    fn outbound_content_shapes() {
        let cases = [
            (
                OutboundMessage::Text("hi".into()),
                "TEXT",
                r#"{"content":"hi"}"#,
            ),
            (
                OutboundMessage::Image {
                    url: "https://p16.example/img.jpg".into(),
                    width: 1280,
                    height: 720,
                },
                "IMAGE",
                r#"{"url":"https://p16.example/img.jpg","width":1280,"height":720}"#,
            ),
            (
                OutboundMessage::ProductCard {
                    product_id: "1729".into(),
                },
                "PRODUCT_CARD",
                r#"{"product_id":"1729"}"#,
            ),
            (
                OutboundMessage::OrderCard {
                    order_id: "5760".into(),
                },
                "ORDER_CARD",
                r#"{"order_id":"5760"}"#,
            ),
            (
                OutboundMessage::LogisticsCard {
                    order_id: "5760".into(),
                    package_id: None,
                },
                "LOGISTICS_CARD",
                r#"{"order_id":"5760"}"#,
            ),
        ];
        for (message, kind, content) in cases {
            assert_eq!(message.kind(), kind);
            assert_eq!(message.content_json().expect("serializes"), content);
        }
        let long = OutboundMessage::Text("é".repeat(TEXT_MAX_CHARS + 1));
        assert!(matches!(
            long.content_json(),
            Err(WireError::TextTooLong { chars: 2001, .. })
        ));
        assert!(
            OutboundMessage::Text("é".repeat(TEXT_MAX_CHARS))
                .content_json()
                .is_ok()
        );
    }

    #[test]
    fn received_content_accepts_string_sizes() {
        let image = MessageContent::parse(
            "IMAGE",
            r#"{"url":"https://p16.example/a.jpg","width":"640","height":480}"#,
        )
        .expect("parses");
        assert_eq!(
            image,
            MessageContent::Image {
                url: "https://p16.example/a.jpg".into(),
                width: Some(640),
                height: Some(480),
            }
        );
        let notice =
            MessageContent::parse("NOTIFICATION", r#"{"content":"Agent joined"}"#).expect("parses");
        assert!(matches!(notice, MessageContent::Notice { .. }));
        let unknown = MessageContent::parse("SOMETHING_NEW", "not json").expect("parses");
        assert!(matches!(unknown, MessageContent::Unknown { .. }));
    }

    const WEBHOOK_BODY: &[u8] = br#"{"type":14,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1700000100,"data":{"message_id":"7327112393057372000","index":"1700000100123456","conversation_id":"576460752324045279","type":"TEXT","content":"{\"content\":\"Is this in stock?\"}","create_time":1700000100,"is_visible":true,"sender":{"im_user_id":"7494560109732415000","role":"BUYER"}}}"#;

    #[test]
    fn new_message_webhook_parses_after_verification() {
        verify_webhook(
            "29a39d",
            "e59af819cc",
            WEBHOOK_BODY,
            Some("7fe9440c239086442b7020abf4a63ab4bbb3a8a4b234a2a61bf04afbc5e73324"),
        )
        .expect("signature verifies");
        let envelope = WebhookEnvelope::parse(WEBHOOK_BODY).expect("parses");
        assert_eq!(envelope.kind, event_type::NEW_MESSAGE);
        assert_eq!(envelope.shop_id, "7494049642642441621");
        assert_eq!(envelope.tts_notification_id, "7327112393057371910");
        let WebhookEvent::NewMessage(event) = envelope.event().expect("decodes") else {
            panic!("expected NEW_MESSAGE");
        };
        assert_eq!(event.conversation_id, "576460752324045279");
        assert_eq!(event.sender.role, Role::Buyer);
        assert_eq!(event.index.as_deref(), Some("1700000100123456"));
        assert_eq!(
            event.parse_content().expect("content decodes"),
            MessageContent::Text {
                content: "Is this in stock?".into()
            }
        );
    }

    #[test]
    fn webhook_envelope_accepts_numeric_ids_and_other_types() {
        let body = br#"{"type":"13","tts_notification_id":1,"shop_id":7494049642642441621,"timestamp":1700000000,"data":{"conversation_id":576460752324045279,"create_time":1700000000}}"#;
        let envelope = WebhookEnvelope::parse(body).expect("parses");
        assert_eq!(envelope.shop_id, "7494049642642441621");
        assert_eq!(
            envelope.event().expect("decodes"),
            WebhookEvent::NewConversation(NewConversationEvent {
                conversation_id: "576460752324045279".into(),
                create_time: 1_700_000_000,
            })
        );
        let order = br#"{"type":1,"shop_id":"1","timestamp":1,"data":{"order_id":"9"}}"#;
        let envelope = WebhookEnvelope::parse(order).expect("parses");
        assert!(matches!(
            envelope.event().expect("decodes"),
            WebhookEvent::Other { kind: 1, .. }
        ));
    }

    #[test]
    fn conversation_list_reply_parses() {
        let body = r#"{"code":0,"message":"Success","request_id":"2024","data":{"conversations":[{"id":"576460752324045279","participant_count":2,"can_send_message":true,"unread_count":1,"create_time":1700000000,"participants":[{"im_user_id":"1","user_id":"7494","role":"BUYER","nickname":"Ann","avatar":"https://a","buyer_platform":"TIKTOK_SHOP"},{"im_user_id":"2","role":"SHOP","nickname":"Shop","avatar":"https://b"}],"latest_message":{"id":7327,"index":"17","type":"ORDER_CARD","content":"{\"order_id\":\"5760\"}","create_time":1700000001,"is_visible":true,"sender":{"im_user_id":"1","role":"BUYER","nickname":"Ann","avatar":"https://a"}}}],"next_page_token":""}}"#;
        let reply: ApiResponse<ConversationsPage> = serde_json::from_str(body).expect("parses");
        assert!(reply.is_success());
        let page = reply.data.expect("data");
        let conversation = &page.conversations[0];
        assert!(conversation.can_send_message);
        assert_eq!(
            conversation.participants[0].user_id.as_deref(),
            Some("7494")
        );
        let latest = conversation.latest_message.as_ref().expect("latest");
        assert_eq!(latest.id, "7327");
        assert_eq!(
            latest.parse_content().expect("decodes"),
            MessageContent::OrderCard {
                order_id: "5760".into()
            }
        );
        let error: ApiResponse<ConversationsPage> =
            serde_json::from_str(r#"{"code":106001,"message":"Invalid sign","request_id":"x"}"#)
                .expect("parses");
        assert_eq!(error.code, CODE_INVALID_SIGN);
        assert!(error.data.is_none());
    }

    fn ctx_at<'a>(credentials: &'a AppCredentials, shop: &'a ShopSession) -> RequestContext<'a> {
        RequestContext {
            host: API_HOST,
            credentials,
            shop,
            now: at(1_700_000_000),
        }
    }

    /// A PNG signature and IHDR chunk (640 × 480); enough for the format sniffing.
    fn png() -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        bytes.extend_from_slice(&640u32.to_be_bytes());
        bytes.extend_from_slice(&480u32.to_be_bytes());
        bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn image_upload_is_multipart_and_its_body_is_not_signed() {
        let credentials = credentials();
        let shop = shop();
        let image = png();
        let request = upload_image(&ctx_at(&credentials, &shop), &image).expect("builds");
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(request.path, "/customer_service/202309/images/upload");
        // Computed with Python's hmac over an empty body (§1.2 step 4).
        assert_eq!(
            request.query_param("sign"),
            Some("c00eaa47409df2c55afc6ec7f773adf8d1ba76c407dbd34e1314de940be4981d")
        );
        let content_type = request
            .headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .map(|(_, value)| value.clone())
            .expect("content type");
        let boundary = content_type
            .strip_prefix("multipart/form-data; boundary=")
            .expect("multipart");
        let head = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"data\"; filename=\"image.png\"\r\nContent-Type: image/png\r\n\r\n"
        );
        assert!(request.body.starts_with(head.as_bytes()));
        assert!(
            request
                .body
                .ends_with(format!("\r\n--{boundary}--\r\n").as_bytes())
        );
        assert_eq!(
            &request.body[head.len()..head.len() + image.len()],
            image.as_slice()
        );
        // The same image gives the same request.
        assert_eq!(
            upload_image(&ctx_at(&credentials, &shop), &image).expect("builds"),
            request
        );
    }

    #[test]
    fn image_upload_refuses_what_tiktok_does_not_take() {
        let credentials = credentials();
        let shop = shop();
        let ctx = ctx_at(&credentials, &shop);
        assert!(matches!(
            upload_image(&ctx, b"%PDF-1.7"),
            Err(WireError::UnsupportedImage)
        ));
        assert!(matches!(
            upload_image(&ctx, b""),
            Err(WireError::UnsupportedImage)
        ));
        let mut huge = png();
        huge.resize(IMAGE_UPLOAD_MAX_BYTES + 1, 0);
        assert!(matches!(
            upload_image(&ctx, &huge),
            Err(WireError::ImageTooLarge { .. })
        ));
        assert_eq!(ImageFormat::sniff(b"GIF89a...."), Some(ImageFormat::Gif));
        assert_eq!(
            ImageFormat::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageFormat::Webp)
        );
        assert_eq!(
            ImageFormat::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageFormat::Jpeg)
        );
        let uploaded: ApiResponse<UploadedImage> = serde_json::from_str(
            r#"{"code":0,"message":"Success","data":{"url":"https://p16/a","width":"640","height":480}}"#,
        )
        .expect("parses");
        let uploaded = uploaded.data.expect("data");
        assert_eq!((uploaded.width, uploaded.height), (Some(640), Some(480)));
    }

    #[test]
    fn order_requests_are_signed_with_their_body_and_ids() {
        let credentials = credentials();
        let shop = shop();
        let ctx = ctx_at(&credentials, &shop);
        let search = search_orders(
            &ctx,
            &OrderSearchQuery {
                page_size: 20,
                sort_field: Some("create_time".into()),
                sort_order: Some(SortOrder::Desc),
                buyer_user_id: Some("7494".into()),
                ..OrderSearchQuery::default()
            },
        )
        .expect("builds");
        assert_eq!(search.path, "/order/202309/orders/search");
        assert_eq!(search.body, br#"{"buyer_user_id":"7494"}"#);
        assert_eq!(
            search.query_param("sign"),
            Some("f41229c4f289fcbad31520ea02ffcb7fe9bf88fc6413dd3554e06edb8fd06be1")
        );
        let detail = get_order_detail(&ctx, &["576", "577"]).expect("builds");
        assert_eq!(detail.method, HttpMethod::Get);
        assert_eq!(detail.query_param("ids"), Some("576,577"));
        assert!(detail.url().contains("ids=576%2C577"));
        assert_eq!(
            detail.query_param("sign"),
            Some("6f2dcd52ff5be1973ffe83eae608b3690485cbe69a8d2a5a9a92a0298cf09ddc")
        );
        for bad in [
            vec![],
            vec!["1,2"],
            vec![""],
            vec!["1"; ORDER_DETAIL_MAX_IDS + 1],
        ] {
            assert!(matches!(
                get_order_detail(&ctx, &bad),
                Err(WireError::BadOrderIds)
            ));
        }
        let products = search_products(
            &ctx,
            &ProductSearchQuery {
                page_size: 50,
                status: Some(PRODUCT_STATUS_ACTIVATE.into()),
                ..ProductSearchQuery::default()
            },
        )
        .expect("builds");
        assert_eq!(products.path, "/product/202309/products/search");
        assert_eq!(products.body, br#"{"status":"ACTIVATE"}"#);
        assert_eq!(products.query_param("page_size"), Some("50"));
    }

    #[test]
    fn order_and_product_replies_parse_with_numbers_or_strings() {
        let orders: ApiResponse<OrdersPage> = serde_json::from_str(
            r#"{"code":0,"message":"Success","data":{"orders":[{"id":576,"user_id":"7494","status":"AWAITING_SHIPMENT","create_time":"1700000000","payment":{"currency":"GBP","total_amount":"12.50"},"line_items":[{"id":"1","product_id":1729,"product_name":"Mug","sale_price":"12.50"}]}],"next_page_token":"","total_count":1}}"#,
        )
        .expect("parses");
        let order = &orders.data.expect("data").orders[0];
        assert_eq!(order.id, "576");
        assert_eq!(order.create_time, Some(1_700_000_000));
        assert_eq!(order.line_items[0].product_id.as_deref(), Some("1729"));
        let products: ApiResponse<ProductsPage> = serde_json::from_str(
            r#"{"code":0,"data":{"products":[{"id":"1729","title":"Mug","status":"ACTIVATE","skus":[{"id":"9","price":{"currency":"GBP","sale_price":"12.50"},"inventory":[{"warehouse_id":"w","quantity":"3"}]}]}],"next_page_token":"abc"}}"#,
        )
        .expect("parses");
        let product = &products.data.expect("data").products[0];
        assert_eq!(product.skus[0].inventory[0].quantity, Some(3));
    }

    #[test]
    fn credentials_debug_hides_secrets() {
        let text = format!("{:?} {:?}", credentials(), shop());
        assert!(!text.contains("e59af819cc"));
        assert!(!text.contains("TTP_token"));
    }
}
