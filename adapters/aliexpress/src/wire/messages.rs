//! The message centre (站内信/订单留言, `aliexpress.message.redefining.versiontwo.*`, §3.3):
//! relations (one per buyer) and their messages listed, a message sent (`addmsg`), a
//! relation marked read or processed; the request parameters and the replies.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::pacific::parse_pacific;
use super::reply::{Refusable, Refusal, Reply, TopList, lenient};
use super::request::{RequestContext, WireRequest, business_request, params};
use super::{WireError, method};

/// The `query` parameter of [`method::QUERY_RELATION_LIST`] (TOP `RelationQueryDto`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RelationQuery {
    /// `current_page`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_page: Option<u32>,
    /// `end_time`, epoch ms; absent means now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// `only_un_dealed`: only relations not yet processed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_un_dealed: Option<bool>,
    /// `only_un_readed`: only unread relations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub only_un_readed: Option<bool>,
    /// `page_size`, at most 100; only the first 5000 rows are reachable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// `rank`: colour tag "0"–"5" (white, red, orange, green, blue, purple).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<String>,
    /// `seller_id`: one (sub-)account's relations; absent means the whole shop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    /// `start_time`, epoch ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
}

/// Most rows a relation or detail page may hold.
pub const MAX_PAGE_SIZE: u32 = 100;

/// [`method::QUERY_RELATION_LIST`] on the IOP gateway.
pub fn query_relation_list(
    ctx: &RequestContext<'_>, query: &RelationQuery,
) -> Result<WireRequest, WireError> {
    let mut query = query.clone();
    query.page_size = query.page_size.map(|size| size.min(MAX_PAGE_SIZE));
    let query = serde_json::to_string(&query)?;
    business_request(ctx, method::QUERY_RELATION_LIST, params([("query", query)]))
}

/// [`method::QUERY_DETAIL_LIST`]: one relation's messages. `extern_id` narrows to a product
/// or order id.
pub fn query_detail_list(
    ctx: &RequestContext<'_>, channel_id: &str, current_page: u32, page_size: u32,
    extern_id: Option<&str>,
) -> Result<WireRequest, WireError> {
    let mut params = params([
        ("channel_id", channel_id.to_owned()),
        ("current_page", current_page.to_string()),
        ("page_size", page_size.min(MAX_PAGE_SIZE).to_string()),
    ]);
    params.extend(extern_id.map(|id| ("extern_id".to_owned(), id.to_owned())));
    business_request(ctx, method::QUERY_DETAIL_LIST, params)
}

/// What a message-centre message is attached to (`message_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    /// A product; `extern_id` is the product id.
    Product,
    /// The member (shop) relation; `extern_id` is 0.
    Member,
    /// An order; `extern_id` is the order id.
    Order,
}

/// The `create_param` of [`method::ADD_MESSAGE`] (TOP `CreateDto`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateMessage {
    /// `buyer_id`: the buyer's login id.
    pub buyer_id: String,
    /// `content`.
    pub content: String,
    /// `extern_id`: product id, order id, or 0 for `member`.
    pub extern_id: i64,
    /// `img_path`: an image URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub img_path: Option<String>,
    /// `message_type`.
    pub message_type: MessageKind,
    /// `seller_id`: the seller's login id.
    pub seller_id: String,
}

/// [`method::ADD_MESSAGE`] on the IOP gateway.
pub fn add_message(
    ctx: &RequestContext<'_>, message: &CreateMessage,
) -> Result<WireRequest, WireError> {
    let create_param = serde_json::to_string(message)?;
    business_request(ctx, method::ADD_MESSAGE, params([("create_param", create_param)]))
}

/// [`method::UPDATE_READ`] on the IOP gateway.
pub fn mark_read(ctx: &RequestContext<'_>, channel_id: &str) -> Result<WireRequest, WireError> {
    let params = params([("channel_id", channel_id.to_owned())]);
    business_request(ctx, method::UPDATE_READ, params)
}

/// [`method::UPDATE_PROCESSED`] on the IOP gateway (`deal_stat` 0 = not processed, 1 = processed).
pub fn mark_processed(
    ctx: &RequestContext<'_>, channel_id: &str, processed: bool,
) -> Result<WireRequest, WireError> {
    let params = params([
        ("channel_id", channel_id.to_owned()),
        ("deal_stat", u8::from(processed).to_string()),
    ]);
    business_request(ctx, method::UPDATE_PROCESSED, params)
}

/// Body of the [`method::QUERY_RELATION_LIST`] reply.
pub type RelationListReply = Reply<RelationListResult>;

/// `result` of the relation list (TOP `OpenApiRelationResult`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RelationListResult {
    /// `is_success`.
    pub is_success: bool,
    /// `error_code`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub error_code: Option<String>,
    /// `error_msg`.
    pub error_msg: Option<String>,
    /// `relation_list`.
    pub relation_list: TopList<Relation>,
}

impl Refusable for RelationListResult {
    fn refusal(&self) -> Option<Refusal<'_>> {
        Refusal::unless(self.is_success, &self.error_code, &self.error_msg)
    }
}

/// One buyer relation (conversation) (TOP `RelationResult`, §3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    /// `channel_id`: the relation id.
    #[serde(deserialize_with = "lenient::string")]
    pub channel_id: String,
    /// `child_id`: the sub-account holding it, when not the main account.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub child_id: Option<String>,
    /// `child_name`.
    pub child_name: Option<String>,
    /// `deal_stat`: "0" not processed, "1" processed.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub deal_stat: Option<String>,
    /// `last_message_content`.
    pub last_message_content: Option<String>,
    /// `last_message_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub last_message_id: Option<String>,
    /// `last_message_is_own`: the seller side sent the last message.
    pub last_message_is_own: Option<bool>,
    /// `message_time`, epoch ms.
    pub message_time: Option<i64>,
    /// `order_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub order_id: Option<String>,
    /// `other_ali_id`: the buyer's numeric id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub other_ali_id: Option<String>,
    /// `other_login_id`: the buyer's login id.
    pub other_login_id: Option<String>,
    /// `other_name`: the buyer's name.
    pub other_name: Option<String>,
    /// `rank`: colour tag "0"–"5".
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub rank: Option<String>,
    /// `read_stat`: "0" unread, "1" read.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub read_stat: Option<String>,
    /// `unread_count`.
    pub unread_count: Option<i64>,
}

/// Body of the [`method::QUERY_DETAIL_LIST`] reply (TOP `OpenApiMessageDetailListResult`
/// under `result`).
pub type DetailListReply = Reply<DetailListResult>;

/// `result` of the detail list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DetailListResult {
    /// `is_success`.
    pub is_success: bool,
    /// `error_code`.
    #[serde(deserialize_with = "lenient::opt_string", skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `error_msg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    /// `message_detail_list` (`{"message_detail": [...]}` in TOP JSON).
    #[serde(deserialize_with = "lenient::list")]
    pub message_detail_list: TopList<MessageDetail>,
}

impl Refusable for DetailListResult {
    fn refusal(&self) -> Option<Refusal<'_>> {
        Refusal::unless(self.is_success, &self.error_code, &self.error_msg)
    }
}

/// One message of a relation (TOP `MessageDetail`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageDetail {
    /// `id`: the message id.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// `content`: the text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `extern_id`: the product id (`product`), the order id (`order`), empty (`member`).
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub extern_id: Option<String>,
    /// `file_path_list`: attached images.
    #[serde(default, deserialize_with = "lenient::list")]
    pub file_path_list: TopList<FilePath>,
    /// `gmt_create`: when it was sent. Its format is not in our sources: epoch milliseconds
    /// (as a number or a string) or `yyyy-MM-dd HH:mm:ss` are read, see
    /// [`MessageDetail::sent_at_ms`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_create: Option<Value>,
    /// `message_type`: `product`, `order` or `member`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// `sender_ali_id`: the sender's numeric id.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sender_ali_id: Option<String>,
    /// `sender_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// `summary`: who sent it to whom, and the product or order it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<MessageSummary>,
}

impl MessageDetail {
    /// `gmt_create` as Unix milliseconds: a number or a string of digits is taken as epoch
    /// milliseconds, `yyyy-MM-dd HH:mm:ss` as US Pacific time (the time zone AliExpress's
    /// order APIs document for their dates).
    pub fn sent_at_ms(&self) -> Option<i64> {
        match self.gmt_create.as_ref()? {
            Value::Number(number) => number.as_i64(),
            Value::String(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .or_else(|| parse_pacific(text).map(|at| at.timestamp_millis())),
            _ => None,
        }
    }
}

/// An attached image's sizes (TOP `FilePath`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FilePath {
    /// `l_path`: large.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub l_path: Option<String>,
    /// `m_path`: medium.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub m_path: Option<String>,
    /// `s_path`: small.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s_path: Option<String>,
}

impl FilePath {
    /// The largest size given.
    pub fn best(&self) -> Option<&str> {
        [&self.l_path, &self.m_path, &self.s_path]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .find(|path| !path.is_empty())
    }
}

/// `summary` of a message (TOP `Summary`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageSummary {
    /// `order_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_url: Option<String>,
    /// `product_detail_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_detail_url: Option<String>,
    /// `product_image_url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_image_url: Option<String>,
    /// `product_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// `receiver_ali_id`.
    #[serde(deserialize_with = "lenient::opt_string", skip_serializing_if = "Option::is_none")]
    pub receiver_ali_id: Option<String>,
    /// `receiver_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver_name: Option<String>,
    /// `sender_ali_id`.
    #[serde(deserialize_with = "lenient::opt_string", skip_serializing_if = "Option::is_none")]
    pub sender_ali_id: Option<String>,
    /// `sender_login_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_login_id: Option<String>,
    /// `sender_name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
}

/// Body of the [`method::ADD_MESSAGE`], [`method::UPDATE_READ`] and
/// [`method::UPDATE_PROCESSED`] replies: flat, no `result` (TOP .NET SDK
/// `…AddmsgResponse`, `…UpdatemsgprocessedResponse`). AliExpress's reply to `addmsg` carries
/// no message id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ActionReply {
    /// `is_success`.
    pub is_success: bool,
    /// `channel_id` (`addmsg` only): the relation the message went to.
    #[serde(deserialize_with = "lenient::opt_string", skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<String>,
    /// `error_msg`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    /// `sub_error_code`.
    #[serde(deserialize_with = "lenient::opt_string", skip_serializing_if = "Option::is_none")]
    pub sub_error_code: Option<String>,
}

impl Refusable for ActionReply {
    fn refusal(&self) -> Option<Refusal<'_>> {
        Refusal::unless(self.is_success, &self.sub_error_code, &self.error_msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::ctx;
    use crate::wire::parse_reply;

    #[test]
    fn relation_list_request_matches_fixed_vector() {
        let request = query_relation_list(
            &ctx(),
            &RelationQuery {
                current_page: Some(1),
                page_size: Some(20),
                ..RelationQuery::default()
            },
        )
        .expect("builds");
        assert_eq!(request.url(), "https://api-sg.aliexpress.com/sync");
        assert_eq!(request.param("query"), Some(r#"{"current_page":1,"page_size":20}"#));
        assert_eq!(request.param("timestamp"), Some("1700000000000"));
        // Same inputs as the fixed vector in sign.rs (Python hmac).
        assert_eq!(
            request.param("sign"),
            Some("4B267AA672BC59DB6BC3200BB8B940F6ECFA196592FB4F78F15401EF34F148E4")
        );
        let body = String::from_utf8(request.body.clone()).expect("ascii");
        assert!(body.starts_with("app_key=12345678&format=json&method=aliexpress.message."));
        assert!(body.contains("query=%7B%22current_page%22%3A1%2C%22page_size%22%3A20%7D"));
        assert!(
            body.ends_with(
                "&sign=4B267AA672BC59DB6BC3200BB8B940F6ECFA196592FB4F78F15401EF34F148E4"
            )
        );
    }

    #[test]
    fn add_message_create_param_shape() {
        let request = add_message(
            &ctx(),
            &CreateMessage {
                buyer_id: "us1234567".into(),
                content: "Your parcel left today.".into(),
                extern_id: 8_100_000_000_000_000,
                img_path: None,
                message_type: MessageKind::Order,
                seller_id: "cn1500000000".into(),
            },
        )
        .expect("builds");
        assert_eq!(
            request.param("create_param"),
            Some(
                r#"{"buyer_id":"us1234567","content":"Your parcel left today.","extern_id":8100000000000000,"message_type":"order","seller_id":"cn1500000000"}"#
            )
        );
        let processed = mark_processed(&ctx(), "115792975903", true).expect("builds");
        assert_eq!(processed.param("deal_stat"), Some("1"));
        assert!(matches!(
            business_request(&ctx(), "bad name", Vec::new()),
            Err(WireError::BadApiName(_))
        ));
    }

    #[test]
    fn relation_list_reply_parses_both_list_forms() {
        let wrapped = br#"{"aliexpress_message_redefining_versiontwo_querymsgrelationlist_response":{"result":{"is_success":true,"relation_list":{"relation_result":[{"channel_id":"115792975903","child_id":0,"deal_stat":"0","last_message_content":"Is it waterproof?","last_message_id":9001,"last_message_is_own":false,"message_time":1700000000000,"order_id":0,"other_ali_id":2200000001,"other_login_id":"us1234567","other_name":"Ann","rank":"0","read_stat":"0","unread_count":2}]}}},"request_id":"0ba2887315178178017221014"}"#;
        let reply: RelationListReply =
            parse_reply(method::QUERY_RELATION_LIST, wrapped).expect("parses");
        assert!(reply.result.is_success);
        let relations = reply.result.relation_list.into_vec();
        assert_eq!(relations.len(), 1);
        assert_eq!(relations[0].channel_id, "115792975903");
        assert_eq!(relations[0].last_message_id.as_deref(), Some("9001"));
        assert_eq!(relations[0].read_stat.as_deref(), Some("0"));
        assert_eq!(relations[0].unread_count, Some(2));

        let plain = br#"{"aliexpress_message_redefining_versiontwo_querymsgrelationlist_response":{"result":{"is_success":true,"relation_list":[{"channel_id":1}]}}}"#;
        let reply: RelationListReply =
            parse_reply(method::QUERY_RELATION_LIST, plain).expect("parses");
        assert_eq!(reply.result.relation_list.into_vec()[0].channel_id, "1");
    }

    #[test]
    fn detail_list_reply_parses_messages_and_times() {
        let body = br#"{"aliexpress_message_redefining_versiontwo_querymsgdetaillist_response":{"result":{"is_success":true,"message_detail_list":{"message_detail":[
            {"id":70000000000002,"content":"Where is my parcel?","extern_id":"8100000000000001","message_type":"order","gmt_create":1700000000000,"sender_ali_id":2200000001,"sender_name":"Ann","file_path_list":null,"summary":{"sender_login_id":"us1234567","receiver_ali_id":1500000000}},
            {"id":"70000000000001","content":"","message_type":"member","gmt_create":"2023-11-14 14:13:20","file_path_list":{"file_path":[{"m_path":"https://ae01.alicdn.com/m.jpg","s_path":"https://ae01.alicdn.com/s.jpg"}]}}]}}}}"#;
        let reply: DetailListReply = parse_reply(method::QUERY_DETAIL_LIST, body).expect("parses");
        let messages = reply.result.message_detail_list.into_vec();
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[0].id, "70000000000002");
        assert_eq!(messages[0].sender_ali_id.as_deref(), Some("2200000001"));
        assert_eq!(messages[0].sent_at_ms(), Some(1_700_000_000_000));
        assert_eq!(
            messages[0].summary.as_ref().and_then(|s| s.receiver_ali_id.as_deref()),
            Some("1500000000")
        );
        // A date-time string is US Pacific time (14:13:20 PST = 22:13:20 UTC).
        assert_eq!(messages[1].sent_at_ms(), Some(1_700_000_000_000));
        let paths = messages[1].file_path_list.clone().into_vec();
        assert_eq!(paths[0].best(), Some("https://ae01.alicdn.com/m.jpg"));
    }
}
