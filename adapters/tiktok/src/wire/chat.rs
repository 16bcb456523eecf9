//! The customer-service chat (§1.3): list conversations and their messages, send a
//! message, mark a conversation read, start a conversation with a buyer; the request
//! bodies and the reply types (conversations, participants, messages, senders).

use serde::{Deserialize, Serialize};
use shopmux_contract::wire::lenient;

use super::content::{MessageContent, OutboundMessage};
use super::request::{
    HttpMethod, RequestContext, SortOrder, WireRequest, json_request, paged, paging, path_segment,
    push_opt, signed_request,
};
use super::{API_VERSION, WireError};

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
    let mut params = paging(query.page_size, query.page_token.as_deref());
    push_opt(&mut params, "locale", query.locale.as_deref());
    signed_request(
        ctx,
        HttpMethod::Get,
        format!("/customer_service/{API_VERSION}/conversations"),
        params,
        Vec::new(),
    )
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
    ctx: &RequestContext<'_>, conversation_id: &str, query: &MessagesQuery,
) -> Result<WireRequest, WireError> {
    let mut params = paging(query.page_size, query.page_token.as_deref());
    push_opt(&mut params, "locale", query.locale.as_deref());
    push_opt(&mut params, "sort_order", query.sort_order.map(SortOrder::as_str));
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
    ctx: &RequestContext<'_>, conversation_id: &str, message: &OutboundMessage,
    sender_role: Option<SenderRole>,
) -> Result<WireRequest, WireError> {
    let body = SendMessageBody {
        kind: message.kind().to_owned(),
        content: message.content_json()?,
        sender_role,
    };
    json_request(
        ctx,
        HttpMethod::Post,
        conversation_path(conversation_id, "/messages")?,
        Vec::new(),
        &body,
    )
}

/// Mark the buyer's messages in a conversation read (§1.3). The body is `{}`.
pub fn read_messages(
    ctx: &RequestContext<'_>, conversation_id: &str,
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
    ctx: &RequestContext<'_>, buyer_user_id: &str,
) -> Result<WireRequest, WireError> {
    let body = CreateConversationBody { buyer_user_id: buyer_user_id.to_owned() };
    json_request(
        ctx,
        HttpMethod::Post,
        format!("/customer_service/{API_VERSION}/conversations"),
        Vec::new(),
        &body,
    )
}

/// Body of "send message".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendMessageBody {
    /// `type`, e.g. `TEXT`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `content`: the message content as a JSON string.
    pub content: String,
    /// `sender_role`; absent means a human agent.
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// `data` of "get conversations".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationsPage {
    /// `conversations`.
    #[serde(default)]
    pub conversations: Vec<Conversation>,
    /// `next_page_token`; empty or absent on the last page.
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
    pub next_page_token: Option<String>,
    /// `unsupported_msg_tips`.
    pub unsupported_msg_tips: Option<String>,
}

paged!(ConversationsPage, MessagesPage);

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

/// `true`, the default of `is_visible` (§1.3, §1.5).
pub(crate) fn yes() -> bool {
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
    pub nickname: Option<String>,
    /// `avatar` (absent in webhooks).
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

#[cfg(test)]
mod tests {
    use super::super::fixtures::ctx;
    use super::super::{
        ACCESS_TOKEN_HEADER, ApiResponse, CODE_INVALID_SIGN, SANDBOX_API_HOST, WireError,
    };
    use super::*;

    #[test]
    fn send_text_request_is_signed_as_documented() {
        let ctx = ctx();
        let request =
            send_message(&ctx, "576460752324045279", &OutboundMessage::Text("hello".into()), None)
                .expect("builds");
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(
            request.path,
            "/customer_service/202309/conversations/576460752324045279/messages"
        );
        assert_eq!(request.body, br#"{"type":"TEXT","content":"{\"content\":\"hello\"}"}"#);
        // Same inputs as the fixed vector in sign.rs, computed with Python's hmac.
        assert_eq!(
            request.query_param("sign"),
            Some("b02e2068aafee787381d10aa8f23b436a121c3e0dcad2763fae9a9e4dfe354a9")
        );
        assert_eq!(request.query_param("timestamp"), Some("1700000000"));
        assert_eq!(request.query_param("access_token"), None);
        assert!(request.headers.contains(&(ACCESS_TOKEN_HEADER.into(), "TTP_token".into())));
        assert_eq!(
            request.url(),
            "https://open-api.tiktokglobalshop.com/customer_service/202309/conversations/\
             576460752324045279/messages?app_key=29a39d&shop_cipher=ROW_abc&timestamp=1700000000\
             &sign=b02e2068aafee787381d10aa8f23b436a121c3e0dcad2763fae9a9e4dfe354a9"
        );
    }

    #[test]
    fn list_requests_skip_empty_params_and_refuse_bad_ids() {
        let ctx = RequestContext { host: SANDBOX_API_HOST, ..ctx() };
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
            assert!(matches!(read_messages(&ctx, bad), Err(WireError::BadPathSegment(_))));
        }
        let read = read_messages(&ctx, "123").expect("builds");
        assert_eq!(read.path, "/customer_service/202309/conversations/123/messages/read");
        assert_eq!(read.body, b"{}");
    }

    #[test]
    fn conversation_list_reply_parses() {
        let body = r#"{"code":0,"message":"Success","request_id":"2024","data":{"conversations":[{"id":"576460752324045279","participant_count":2,"can_send_message":true,"unread_count":1,"create_time":1700000000,"participants":[{"im_user_id":"1","user_id":"7494","role":"BUYER","nickname":"Ann","avatar":"https://a","buyer_platform":"TIKTOK_SHOP"},{"im_user_id":"2","role":"SHOP","nickname":"Shop","avatar":"https://b"}],"latest_message":{"id":7327,"index":"17","type":"ORDER_CARD","content":"{\"order_id\":\"5760\"}","create_time":1700000001,"is_visible":true,"sender":{"im_user_id":"1","role":"BUYER","nickname":"Ann","avatar":"https://a"}}}],"next_page_token":""}}"#;
        let reply: ApiResponse<ConversationsPage> = serde_json::from_str(body).expect("parses");
        assert!(reply.is_success());
        let page = reply.data.expect("data");
        let conversation = &page.conversations[0];
        assert!(conversation.can_send_message);
        assert_eq!(conversation.participants[0].user_id.as_deref(), Some("7494"));
        let latest = conversation.latest_message.as_ref().expect("latest");
        assert_eq!(latest.id, "7327");
        assert_eq!(
            latest.parse_content().expect("decodes"),
            MessageContent::OrderCard { order_id: "5760".into() }
        );
        let error: ApiResponse<ConversationsPage> =
            serde_json::from_str(r#"{"code":106001,"message":"Invalid sign","request_id":"x"}"#)
                .expect("parses");
        assert_eq!(error.code, CODE_INVALID_SIGN);
        assert!(error.data.is_none());
    }
}
