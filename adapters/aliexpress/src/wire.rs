//! AliExpress wire types: IOP common parameters, the message-centre APIs, reply envelopes.
//!
//! **Buyer chat (IM) has no open API** (platform-apis.md §3.3). What exists is the older
//! message-centre / order-message family (站内信/订单留言,
//! `aliexpress.message.redefining.versiontwo.*`), documented in the legacy TOP SDKs; whether
//! the current IOP gateway still serves it is unconfirmed. The builders here target the IOP
//! gateway by default and can target the legacy TOP gateway
//! ([`legacy_top_request`](crate::wire::legacy_top_request)).
//!
//! Requests are `POST` with every parameter (common and business, `sign` last) form-encoded in
//! the body, as the official IOP SDK sends them. The builders return a signed
//! [`WireRequest`](crate::wire::WireRequest); an HTTP client elsewhere sends it.

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sign::{iop_sign, top_md5_sign};

/// The IOP gateway host (§3.1).
pub const IOP_HOST: &str = "https://api-sg.aliexpress.com";
/// Path of business ("sync", method-named) APIs (§3.1).
pub const SYNC_PATH: &str = "/sync";
/// Prefix of system (path-named) APIs: `/rest{path}` (§3.1).
pub const REST_PREFIX: &str = "/rest";
/// The legacy TOP gateway host (§3.2).
pub const LEGACY_TOP_HOST: &str = "https://api.taobao.com";
/// The legacy TOP gateway path (§3.2).
pub const LEGACY_TOP_PATH: &str = "/router/rest";
/// Seller authorization page (`?response_type=code&force_auth=true&redirect_uri=…&client_id=…`),
/// from the AliExpress doc "Authorize your APP".
pub const AUTHORIZE_URL: &str = "https://api-sg.aliexpress.com/oauth/authorize";
/// Content type of every request built here.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=utf-8";

/// API names (§3.3).
pub mod method {
    /// List message relations (conversations); param `query` (JSON).
    pub const QUERY_RELATION_LIST: &str =
        "aliexpress.message.redefining.versiontwo.querymsgrelationlist";
    /// One relation's messages; params `channel_id`, `current_page`, `page_size`, `extern_id`.
    pub const QUERY_DETAIL_LIST: &str =
        "aliexpress.message.redefining.versiontwo.querymsgdetaillist";
    /// A buyer's messages; params `buyer_login_id`, `current_page`, `page_size`, `extern_id`.
    pub const QUERY_DETAIL_LIST_BY_BUYER: &str =
        "aliexpress.message.redefining.versiontwo.querymsgdetaillistbybuyerid";
    /// The relation id for a buyer; param `buyer_id`.
    pub const QUERY_CHANNEL_BY_BUYER: &str =
        "aliexpress.message.redefining.versiontwo.querymsgchannelidbybuyerid";
    /// Send a message; param `create_param` (JSON).
    pub const ADD_MESSAGE: &str = "aliexpress.message.redefining.versiontwo.addmsg";
    /// Mark a relation read; param `channel_id`.
    pub const UPDATE_READ: &str = "aliexpress.message.redefining.versiontwo.updatemsgread";
    /// Mark a relation processed; params `channel_id`, `deal_stat`.
    pub const UPDATE_PROCESSED: &str =
        "aliexpress.message.redefining.versiontwo.updatemsgprocessed";
    /// Tag a relation with a colour; params `channel_id`, `rank`.
    pub const UPDATE_RANK: &str = "aliexpress.message.redefining.versiontwo.updatemsgrank";
    /// Order list for context; param `param0` (JSON).
    pub const ORDER_GET: &str = "aliexpress.solution.order.get";
    /// Order detail for context.
    pub const ORDER_INFO_GET: &str = "aliexpress.solution.order.info.get";
    /// System API: create a token from an authorization `code`.
    pub const TOKEN_CREATE: &str = "/auth/token/create";
    /// System API: refresh a token.
    pub const TOKEN_REFRESH: &str = "/auth/token/refresh";
}

/// Why a request could not be built or a reply could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload is not the JSON shape expected.
    #[error("unexpected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An API name of the wrong kind or with characters outside the allowed set.
    #[error("`{0}` is not a usable API name here")]
    BadApiName(String),
    /// The gateway answered with an error.
    #[error("gateway error {}: {}", .0.code, .0.message.as_deref().unwrap_or(""))]
    Gateway(Box<GatewayError>),
    /// The reply lacks the `<method>_response` object.
    #[error("reply has no `{0}` object")]
    MissingResponse(String),
}

/// HTTP method of a [`WireRequest`]. Everything here is POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// POST.
    Post,
}

impl HttpMethod {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Post => "POST",
        }
    }
}

/// A fully described, signed HTTP request, ready for any HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    /// HTTP method.
    pub method: HttpMethod,
    /// Scheme and host, e.g. [`IOP_HOST`].
    pub host: String,
    /// Path, e.g. [`SYNC_PATH`].
    pub path: String,
    /// Every parameter, decoded, `sign` last; they travel form-encoded in `body`.
    pub params: Vec<(String, String)>,
    /// Headers to send (names lowercase).
    pub headers: Vec<(String, String)>,
    /// `params` form-encoded.
    pub body: Vec<u8>,
}

impl WireRequest {
    /// Host and path joined.
    pub fn url(&self) -> String {
        format!("{}{}", self.host, self.path)
    }

    /// The value of parameter `key`, if present.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

/// The app's key and secret. `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredentials {
    /// `app_key`.
    pub app_key: String,
    /// `app_secret`.
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

/// What every request needs: who, for which seller, and the current time.
#[derive(Clone, Copy)]
pub struct RequestContext<'a> {
    /// The app.
    pub credentials: &'a AppCredentials,
    /// The seller's access token, sent as `session` (what AliExpress's own IOP SDK sends;
    /// the Lazada-derived doc sample names it `access_token`).
    pub session: Option<&'a str>,
    /// Now; becomes `timestamp` (epoch milliseconds on IOP, GMT+8 date-time on legacy TOP).
    pub now: DateTime<Utc>,
}

impl fmt::Debug for RequestContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("credentials", self.credentials)
            .field("session", &self.session.map(|_| "<redacted>"))
            .field("now", &self.now)
            .finish()
    }
}

fn valid_method_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'_')
}

fn valid_system_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.contains("//")
        && !path.contains("..")
        && path[1..]
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'_' | b'-' | b'.'))
}

fn finish(
    host: &str,
    path: String,
    mut params: Vec<(String, String)>,
    sign: impl FnOnce(&[(String, String)]) -> String,
) -> WireRequest {
    let sign = sign(&params);
    params.push(("sign".to_owned(), sign));
    let body = shopmux_contract::wire::query_string(&params).into_bytes();
    WireRequest {
        method: HttpMethod::Post,
        host: host.to_owned(),
        path,
        params,
        headers: vec![("content-type".to_owned(), FORM_CONTENT_TYPE.to_owned())],
        body,
    }
}

/// Merges common and business parameters: drops empty values (§3.2: never send them) and
/// sorts by key so the request is deterministic.
fn merge(
    mut common: Vec<(String, String)>,
    business: Vec<(String, String)>,
) -> Vec<(String, String)> {
    common.extend(business);
    common.retain(|(_, value)| !value.is_empty());
    common.sort_by(|a, b| a.0.cmp(&b.0));
    common
}

/// A business API call on the IOP gateway (§3.1): `POST {IOP_HOST}/sync` with `app_key`,
/// `format=json`, `method`, `session` (when the context has one), `sign_method=sha256`,
/// `timestamp` (ms), the business parameters, and `sign`.
pub fn business_request(
    ctx: &RequestContext<'_>,
    method: &str,
    business: Vec<(String, String)>,
) -> Result<WireRequest, WireError> {
    if !valid_method_name(method) {
        return Err(WireError::BadApiName(method.to_owned()));
    }
    let mut common = vec![
        ("app_key".to_owned(), ctx.credentials.app_key.clone()),
        ("format".to_owned(), "json".to_owned()),
        ("method".to_owned(), method.to_owned()),
        ("sign_method".to_owned(), "sha256".to_owned()),
        (
            "timestamp".to_owned(),
            ctx.now.timestamp_millis().to_string(),
        ),
    ];
    if let Some(session) = ctx.session {
        common.push(("session".to_owned(), session.to_owned()));
    }
    let params = merge(common, business);
    Ok(finish(IOP_HOST, SYNC_PATH.to_owned(), params, |params| {
        iop_sign(
            &ctx.credentials.app_secret,
            method,
            params.iter().map(|(key, value)| (key, value)),
        )
    }))
}

/// A system API call on the IOP gateway (§3.1): `POST {IOP_HOST}/rest{path}` with `app_key`,
/// `sign_method=sha256`, `timestamp` (ms), the parameters, and `sign` (path-prefixed).
pub fn system_request(
    ctx: &RequestContext<'_>,
    path: &str,
    business: Vec<(String, String)>,
) -> Result<WireRequest, WireError> {
    if !valid_system_path(path) {
        return Err(WireError::BadApiName(path.to_owned()));
    }
    let common = vec![
        ("app_key".to_owned(), ctx.credentials.app_key.clone()),
        ("sign_method".to_owned(), "sha256".to_owned()),
        (
            "timestamp".to_owned(),
            ctx.now.timestamp_millis().to_string(),
        ),
    ];
    let params = merge(common, business);
    Ok(finish(
        IOP_HOST,
        format!("{REST_PREFIX}{path}"),
        params,
        |params| {
            iop_sign(
                &ctx.credentials.app_secret,
                path,
                params.iter().map(|(key, value)| (key, value)),
            )
        },
    ))
}

/// The same business call on the legacy TOP gateway (§3.2): `method`, `app_key`, `session`,
/// `timestamp` (`yyyy-MM-dd HH:mm:ss`, GMT+8), `format=json`, `v=2.0`, `sign_method=md5`,
/// MD5 `sign`.
pub fn legacy_top_request(
    ctx: &RequestContext<'_>,
    method: &str,
    business: Vec<(String, String)>,
) -> Result<WireRequest, WireError> {
    if !valid_method_name(method) {
        return Err(WireError::BadApiName(method.to_owned()));
    }
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    let timestamp = ctx
        .now
        .with_timezone(&china)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let mut common = vec![
        ("app_key".to_owned(), ctx.credentials.app_key.clone()),
        ("format".to_owned(), "json".to_owned()),
        ("method".to_owned(), method.to_owned()),
        ("sign_method".to_owned(), "md5".to_owned()),
        ("timestamp".to_owned(), timestamp),
        ("v".to_owned(), "2.0".to_owned()),
    ];
    if let Some(session) = ctx.session {
        common.push(("session".to_owned(), session.to_owned()));
    }
    let params = merge(common, business);
    Ok(finish(
        LEGACY_TOP_HOST,
        LEGACY_TOP_PATH.to_owned(),
        params,
        |params| {
            top_md5_sign(
                &ctx.credentials.app_secret,
                params.iter().map(|(key, value)| (key, value)),
            )
        },
    ))
}

/// `/auth/token/create` from the authorization `code` (§3.1).
pub fn token_create(ctx: &RequestContext<'_>, code: &str) -> Result<WireRequest, WireError> {
    system_request(
        ctx,
        method::TOKEN_CREATE,
        vec![("code".to_owned(), code.to_owned())],
    )
}

/// `/auth/token/refresh` (§3.1).
pub fn token_refresh(
    ctx: &RequestContext<'_>,
    refresh_token: &str,
) -> Result<WireRequest, WireError> {
    system_request(
        ctx,
        method::TOKEN_REFRESH,
        vec![("refresh_token".to_owned(), refresh_token.to_owned())],
    )
}

// ---------------------------------------------------------------------------------------------
// Message-centre APIs (§3.3)
// ---------------------------------------------------------------------------------------------

/// The `query` parameter of [`method::QUERY_RELATION_LIST`] (TOP `RelationQueryDto`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelationQuery {
    /// `current_page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_page: Option<u32>,
    /// `end_time`, epoch ms; absent means now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time: Option<i64>,
    /// `only_un_dealed`: only relations not yet processed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_un_dealed: Option<bool>,
    /// `only_un_readed`: only unread relations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_un_readed: Option<bool>,
    /// `page_size`, at most 100; only the first 5000 rows are reachable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// `rank`: colour tag "0"–"5" (white, red, orange, green, blue, purple).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rank: Option<String>,
    /// `seller_id`: one (sub-)account's relations; absent means the whole shop.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seller_id: Option<String>,
    /// `start_time`, epoch ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<i64>,
}

/// Most rows a relation or detail page may hold.
pub const MAX_PAGE_SIZE: u32 = 100;

/// [`method::QUERY_RELATION_LIST`] on the IOP gateway.
pub fn query_relation_list(
    ctx: &RequestContext<'_>,
    query: &RelationQuery,
) -> Result<WireRequest, WireError> {
    let mut query = query.clone();
    query.page_size = query.page_size.map(|size| size.min(MAX_PAGE_SIZE));
    business_request(
        ctx,
        method::QUERY_RELATION_LIST,
        vec![("query".to_owned(), serde_json::to_string(&query)?)],
    )
}

/// [`method::QUERY_DETAIL_LIST`]: one relation's messages. `extern_id` narrows to a product
/// or order id.
pub fn query_detail_list(
    ctx: &RequestContext<'_>,
    channel_id: &str,
    current_page: u32,
    page_size: u32,
    extern_id: Option<&str>,
) -> Result<WireRequest, WireError> {
    let mut params = vec![
        ("channel_id".to_owned(), channel_id.to_owned()),
        ("current_page".to_owned(), current_page.to_string()),
        (
            "page_size".to_owned(),
            page_size.min(MAX_PAGE_SIZE).to_string(),
        ),
    ];
    if let Some(extern_id) = extern_id {
        params.push(("extern_id".to_owned(), extern_id.to_owned()));
    }
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub img_path: Option<String>,
    /// `message_type`.
    pub message_type: MessageKind,
    /// `seller_id`: the seller's login id.
    pub seller_id: String,
}

/// [`method::ADD_MESSAGE`] on the IOP gateway.
pub fn add_message(
    ctx: &RequestContext<'_>,
    message: &CreateMessage,
) -> Result<WireRequest, WireError> {
    business_request(
        ctx,
        method::ADD_MESSAGE,
        vec![("create_param".to_owned(), serde_json::to_string(message)?)],
    )
}

/// [`method::UPDATE_READ`] on the IOP gateway.
pub fn mark_read(ctx: &RequestContext<'_>, channel_id: &str) -> Result<WireRequest, WireError> {
    business_request(
        ctx,
        method::UPDATE_READ,
        vec![("channel_id".to_owned(), channel_id.to_owned())],
    )
}

/// [`method::UPDATE_PROCESSED`] on the IOP gateway (`deal_stat` 0 = not processed, 1 = processed).
pub fn mark_processed(
    ctx: &RequestContext<'_>,
    channel_id: &str,
    processed: bool,
) -> Result<WireRequest, WireError> {
    business_request(
        ctx,
        method::UPDATE_PROCESSED,
        vec![
            ("channel_id".to_owned(), channel_id.to_owned()),
            ("deal_stat".to_owned(), u8::from(processed).to_string()),
        ],
    )
}

// ---------------------------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------------------------

/// A gateway-level error: IOP's top-level `{code, type, message, request_id}` (code `"0"` is
/// success) or TOP's `{"error_response": {code, msg, sub_code, sub_msg, request_id}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayError {
    /// `code`, e.g. `IncompleteSignature`.
    #[serde(deserialize_with = "lenient::string")]
    pub code: String,
    /// `type` (IOP: `ISV`, `ISP`, `SYSTEM`).
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// `message` (IOP) or `msg` (TOP).
    #[serde(default, alias = "msg")]
    pub message: Option<String>,
    /// `sub_code` (TOP).
    #[serde(default)]
    pub sub_code: Option<String>,
    /// `sub_msg` (TOP).
    #[serde(default)]
    pub sub_msg: Option<String>,
    /// `request_id`.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// The key of a business reply's body: `aliexpress.x.y` → `aliexpress_x_y_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// Reads a business reply: refuses gateway errors, then decodes the `<method>_response` object.
pub fn parse_reply<T: DeserializeOwned>(method: &str, raw_body: &[u8]) -> Result<T, WireError> {
    let mut root: serde_json::Map<String, Value> = serde_json::from_slice(raw_body)?;
    if let Some(error) = root.remove("error_response") {
        return Err(WireError::Gateway(Box::new(serde_json::from_value(error)?)));
    }
    let code_is_error = match root.get("code") {
        Some(Value::String(code)) => code != "0",
        Some(Value::Number(code)) => code.as_i64() != Some(0),
        _ => false,
    };
    if code_is_error {
        let error: GatewayError = serde_json::from_value(Value::Object(root))?;
        return Err(WireError::Gateway(Box::new(error)));
    }
    let key = response_key(method);
    let body = root.remove(&key).ok_or(WireError::MissingResponse(key))?;
    Ok(serde_json::from_value(body)?)
}

/// A TOP-style list: either a plain array or an object wrapping one array
/// (`{"relation_result": [...]}`), as XML-derived TOP JSON sends them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TopList<T> {
    /// A plain array.
    Plain(Vec<T>),
    /// An object holding the array under one item-name key.
    Wrapped(std::collections::BTreeMap<String, Vec<T>>),
}

impl<T> TopList<T> {
    /// The items, whichever form they came in.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            TopList::Plain(items) => items,
            TopList::Wrapped(map) => map.into_values().flatten().collect(),
        }
    }
}

impl<T> Default for TopList<T> {
    fn default() -> TopList<T> {
        TopList::Plain(Vec::new())
    }
}

/// Body of the [`method::QUERY_RELATION_LIST`] reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationListReply {
    /// `result`.
    pub result: RelationListResult,
}

/// `result` of the relation list (TOP `OpenApiRelationResult`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RelationListResult {
    /// `is_success`.
    #[serde(default)]
    pub is_success: bool,
    /// `error_code`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub error_code: Option<String>,
    /// `error_msg`.
    #[serde(default)]
    pub error_msg: Option<String>,
    /// `relation_list`.
    #[serde(default)]
    pub relation_list: TopList<Relation>,
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
    #[serde(default)]
    pub child_name: Option<String>,
    /// `deal_stat`: "0" not processed, "1" processed.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub deal_stat: Option<String>,
    /// `last_message_content`.
    #[serde(default)]
    pub last_message_content: Option<String>,
    /// `last_message_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub last_message_id: Option<String>,
    /// `last_message_is_own`: the seller side sent the last message.
    #[serde(default)]
    pub last_message_is_own: Option<bool>,
    /// `message_time`, epoch ms.
    #[serde(default)]
    pub message_time: Option<i64>,
    /// `order_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub order_id: Option<String>,
    /// `other_ali_id`: the buyer's numeric id.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub other_ali_id: Option<String>,
    /// `other_login_id`: the buyer's login id.
    #[serde(default)]
    pub other_login_id: Option<String>,
    /// `other_name`: the buyer's name.
    #[serde(default)]
    pub other_name: Option<String>,
    /// `rank`: colour tag "0"–"5".
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub rank: Option<String>,
    /// `read_stat`: "0" unread, "1" read.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub read_stat: Option<String>,
    /// `unread_count`.
    #[serde(default)]
    pub unread_count: Option<i64>,
}

/// Body of the [`method::QUERY_DETAIL_LIST`] reply (TOP `OpenApiMessageDetailListResult`
/// under `result`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetailListReply {
    /// `result`.
    pub result: DetailListResult,
}

/// `result` of the detail list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DetailListResult {
    /// `is_success`.
    #[serde(default)]
    pub is_success: bool,
    /// `error_code`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// `error_msg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    /// `message_detail_list` (`{"message_detail": [...]}` in TOP JSON).
    #[serde(default, deserialize_with = "lenient::list")]
    pub message_detail_list: TopList<MessageDetail>,
}

/// One message of a relation (TOP `MessageDetail`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageDetail {
    /// `id`: the message id.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// `content`: the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_create: Option<Value>,
    /// `message_type`: `product`, `order` or `member`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// `sender_ali_id`: the sender's numeric id.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sender_ali_id: Option<String>,
    /// `sender_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
    /// `summary`: who sent it to whom, and the product or order it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
pub struct FilePath {
    /// `l_path`: large.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l_path: Option<String>,
    /// `m_path`: medium.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub m_path: Option<String>,
    /// `s_path`: small.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
pub struct MessageSummary {
    /// `order_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_url: Option<String>,
    /// `product_detail_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_detail_url: Option<String>,
    /// `product_image_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_image_url: Option<String>,
    /// `product_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_name: Option<String>,
    /// `receiver_ali_id`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub receiver_ali_id: Option<String>,
    /// `receiver_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub receiver_name: Option<String>,
    /// `sender_ali_id`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sender_ali_id: Option<String>,
    /// `sender_login_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_login_id: Option<String>,
    /// `sender_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_name: Option<String>,
}

/// Body of the [`method::ADD_MESSAGE`], [`method::UPDATE_READ`] and
/// [`method::UPDATE_PROCESSED`] replies: flat, no `result` (TOP .NET SDK
/// `…AddmsgResponse`, `…UpdatemsgprocessedResponse`). AliExpress's reply to `addmsg` carries
/// no message id.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionReply {
    /// `is_success`.
    #[serde(default)]
    pub is_success: bool,
    /// `channel_id` (`addmsg` only): the relation the message went to.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub channel_id: Option<String>,
    /// `error_msg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_msg: Option<String>,
    /// `sub_error_code`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sub_error_code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Orders (for context: AE-WIN-3, AE-INIT-1, the agents' buyer panel)
// ---------------------------------------------------------------------------------------------

/// An id as JSON: a number when it is all digits and fits `i64`, otherwise a string.
fn id_json(id: &str) -> Value {
    match id.parse::<i64>() {
        Ok(number) if number >= 0 && (!id.starts_with('0') || id == "0") => Value::from(number),
        _ => Value::from(id),
    }
}

/// [`method::ORDER_INFO_GET`]: one order, `param1` = `{"order_id": …}` (TOP
/// `OrderDetailQuery`).
pub fn order_info(ctx: &RequestContext<'_>, order_id: &str) -> Result<WireRequest, WireError> {
    let param1 = serde_json::json!({ "order_id": id_json(order_id) });
    business_request(
        ctx,
        method::ORDER_INFO_GET,
        vec![("param1".to_owned(), param1.to_string())],
    )
}

/// The `param0` of [`method::ORDER_GET`] (TOP `OrderQuery`). Dates are
/// `yyyy-MM-dd HH:mm:ss` in US Pacific time ([`pacific_datetime`]). Without a status the
/// platform leaves out finished orders (`FINISH` must be asked for alone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderQuery {
    /// `buyer_login_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_login_id: Option<String>,
    /// `create_date_start`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date_start: Option<String>,
    /// `create_date_end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_date_end: Option<String>,
    /// `current_page`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_page: Option<u32>,
    /// `page_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// `order_status`: one status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<String>,
}

/// [`method::ORDER_GET`]: the shop's orders matching `query`.
pub fn order_list(ctx: &RequestContext<'_>, query: &OrderQuery) -> Result<WireRequest, WireError> {
    business_request(
        ctx,
        method::ORDER_GET,
        vec![("param0".to_owned(), serde_json::to_string(query)?)],
    )
}

/// Body of the [`method::ORDER_INFO_GET`] reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderInfoReply {
    /// `result`.
    pub result: OrderInfoResult,
}

/// `result` of the order look-up.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderInfoResult {
    /// `success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// `error_code`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// `error_message` (also read as `error_msg`).
    #[serde(default, alias = "error_msg", skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `data`: the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<OrderDetail>,
}

/// An order as the look-up returns it (TOP `TpOpenOrderDetailDTO` as JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDetail {
    /// `id`: the order id.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// `buyerloginid`: the buyer's login id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyerloginid: Option<String>,
    /// `buyer_signer_fullname`: the buyer's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_signer_fullname: Option<String>,
    /// `gmt_create`: `yyyy-MM-dd HH:mm:ss`, US Pacific time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_create: Option<String>,
    /// `order_status`, e.g. `WAIT_SELLER_SEND_GOODS`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<String>,
    /// `issue_status`: `NO_ISSUE`, `IN_ISSUE` (a dispute is open), `END_ISSUE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_status: Option<String>,
}

/// Body of the [`method::ORDER_GET`] reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderListReply {
    /// `result`.
    pub result: OrderListResult,
}

/// `result` of the order list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderListResult {
    /// `success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// `error_code`.
    #[serde(
        default,
        deserialize_with = "lenient::opt_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub error_code: Option<String>,
    /// `error_message`.
    #[serde(default, alias = "error_msg", skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `total_count`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// `target_list` (`{"order_dto": [...]}` in TOP JSON).
    #[serde(default, deserialize_with = "lenient::list")]
    pub target_list: TopList<OrderSummary>,
}

/// One order of the list (TOP `OrderDto`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// `order_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub order_id: String,
    /// `buyer_login_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_login_id: Option<String>,
    /// `buyer_signer_fullname`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buyer_signer_fullname: Option<String>,
    /// `gmt_create`: `yyyy-MM-dd HH:mm:ss`, US Pacific time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gmt_create: Option<String>,
    /// `order_status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<String>,
    /// `issue_status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_status: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Tokens
// ---------------------------------------------------------------------------------------------

/// The `/auth/token/create` and `/auth/token/refresh` reply: flat, `code` `"0"` on success
/// (AliExpress doc "Refresh token /auth/token/refresh", response sample and field table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenReply {
    /// `access_token`.
    #[serde(default)]
    pub access_token: Option<String>,
    /// `refresh_token`.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// `expires_in`: seconds the access token has left.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub expires_in: Option<i64>,
    /// `refresh_expires_in`: seconds the refresh token has left.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub refresh_expires_in: Option<i64>,
    /// `expire_time`: when the access token expires, epoch milliseconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub expire_time: Option<i64>,
    /// `refresh_token_valid_time`: when the refresh token expires, epoch milliseconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub refresh_token_valid_time: Option<i64>,
    /// `seller_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub seller_id: Option<String>,
    /// `user_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_id: Option<String>,
    /// `account`: the seller's account (email).
    #[serde(default)]
    pub account: Option<String>,
    /// `code`: `"0"` on success.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub code: Option<String>,
    /// `request_id`.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Reads a token reply: a non-`"0"` `code` is a [`WireError::Gateway`].
pub fn parse_token_reply(raw_body: &[u8]) -> Result<TokenReply, WireError> {
    let root: Value = serde_json::from_slice(raw_body)?;
    let failed = match root.get("code") {
        Some(Value::String(code)) => code != "0",
        Some(Value::Number(code)) => code.as_i64() != Some(0),
        _ => false,
    };
    if failed {
        return Err(WireError::Gateway(Box::new(serde_json::from_value(root)?)));
    }
    Ok(serde_json::from_value(root)?)
}

// ---------------------------------------------------------------------------------------------
// US Pacific time (the time zone of the order APIs' dates)
// ---------------------------------------------------------------------------------------------

const PST: i32 = -8 * 3600;
const PDT: i32 = -7 * 3600;

/// The `n`-th Sunday of a month.
fn nth_sunday(year: i32, month: u32, n: u32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_weekday_of_month_opt(year, month, chrono::Weekday::Sun, n as u8)
}

/// The US Pacific offset at an instant: daylight time from the second Sunday of March,
/// 02:00 PST (10:00 UTC), to the first Sunday of November, 02:00 PDT (09:00 UTC) — the US
/// rule since 2007.
pub fn pacific_offset(at: DateTime<Utc>) -> FixedOffset {
    use chrono::Datelike;
    let year = at.year();
    let start = nth_sunday(year, 3, 2).and_then(|d| d.and_hms_opt(10, 0, 0));
    let end = nth_sunday(year, 11, 1).and_then(|d| d.and_hms_opt(9, 0, 0));
    let naive = at.naive_utc();
    let daylight = matches!((start, end), (Some(s), Some(e)) if naive >= s && naive < e);
    FixedOffset::east_opt(if daylight { PDT } else { PST }).expect("valid offset")
}

/// An instant as `yyyy-MM-dd HH:mm:ss` US Pacific time.
pub fn pacific_datetime(at: DateTime<Utc>) -> String {
    at.with_timezone(&pacific_offset(at))
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// `yyyy-MM-dd HH:mm:ss` US Pacific time as an instant (a repeated hour in November reads
/// as daylight time).
pub fn parse_pacific(text: &str) -> Option<DateTime<Utc>> {
    let local = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    let as_daylight = (local - chrono::TimeDelta::seconds(i64::from(PDT))).and_utc();
    if pacific_offset(as_daylight).local_minus_utc() == PDT {
        return Some(as_daylight);
    }
    Some((local - chrono::TimeDelta::seconds(i64::from(PST))).and_utc())
}

/// Serde readers of AliExpress's own: numbers that may be unreadable (then none), and TOP
/// lists that may arrive as `null`; the rest are the shared ones.
mod lenient {
    use serde::{Deserialize, Deserializer};
    pub(super) use shopmux_contract::wire::lenient::{opt_string, string};

    /// An integer as a number or a string; anything unreadable is none.
    pub(super) fn opt_i64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
        Ok(match Option::<serde_json::Value>::deserialize(de)? {
            Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
            Some(serde_json::Value::Number(number)) => number.as_i64(),
            _ => None,
        })
    }

    /// A TOP list that may also arrive as `null`.
    pub(super) fn list<'de, D, T>(de: D) -> Result<super::TopList<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(Option::<super::TopList<T>>::deserialize(de)?.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn credentials() -> AppCredentials {
        AppCredentials {
            app_key: "12345678".into(),
            app_secret: "helloworld".into(),
        }
    }

    fn ctx(credentials: &AppCredentials) -> RequestContext<'_> {
        RequestContext {
            credentials,
            session: Some("tok-123"),
            now: Utc
                .timestamp_opt(1_700_000_000, 0)
                .single()
                .expect("valid time"),
        }
    }

    #[test]
    fn relation_list_request_matches_fixed_vector() {
        let credentials = credentials();
        let request = query_relation_list(
            &ctx(&credentials),
            &RelationQuery {
                current_page: Some(1),
                page_size: Some(20),
                ..RelationQuery::default()
            },
        )
        .expect("builds");
        assert_eq!(request.url(), "https://api-sg.aliexpress.com/sync");
        assert_eq!(
            request.param("query"),
            Some(r#"{"current_page":1,"page_size":20}"#)
        );
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
    fn token_create_is_a_path_prefixed_system_call() {
        let credentials = credentials();
        let ctx = RequestContext {
            session: None,
            ..ctx(&credentials)
        };
        let request = token_create(&ctx, "3_500_abc").expect("builds");
        assert_eq!(
            request.url(),
            "https://api-sg.aliexpress.com/rest/auth/token/create"
        );
        assert_eq!(request.param("method"), None);
        assert_eq!(
            request.param("sign"),
            Some("414A3443FE2A948B1D9A348BC0CBC56D712575BC7FECBB58C9CDAFEE0835CCDA")
        );
        assert!(matches!(
            system_request(&ctx, "auth/token/create", Vec::new()),
            Err(WireError::BadApiName(_))
        ));
        assert!(matches!(
            system_request(&ctx, "/auth/../x", Vec::new()),
            Err(WireError::BadApiName(_))
        ));
    }

    #[test]
    fn legacy_top_request_uses_china_time_and_md5() {
        let credentials = credentials();
        let request = legacy_top_request(&ctx(&credentials), method::ADD_MESSAGE, Vec::new())
            .expect("builds");
        assert_eq!(request.url(), "https://api.taobao.com/router/rest");
        assert_eq!(request.param("timestamp"), Some("2023-11-15 06:13:20"));
        assert_eq!(
            request.param("sign"),
            Some("280D42DCA13BD2CE6E69EA7D52DDE8E9")
        );
    }

    #[test]
    fn add_message_create_param_shape() {
        let credentials = credentials();
        let request = add_message(
            &ctx(&credentials),
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
        let processed = mark_processed(&ctx(&credentials), "115792975903", true).expect("builds");
        assert_eq!(processed.param("deal_stat"), Some("1"));
        assert!(matches!(
            business_request(&ctx(&credentials), "bad name", Vec::new()),
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
    fn gateway_errors_are_refused() {
        let iop = br#"{"type":"ISV","code":"IncompleteSignature","message":"The request signature does not conform to platform standards","request_id":"2101"}"#;
        match parse_reply::<Value>(method::QUERY_RELATION_LIST, iop) {
            Err(WireError::Gateway(error)) => {
                assert_eq!(error.code, "IncompleteSignature");
                assert_eq!(error.kind.as_deref(), Some("ISV"));
            }
            other => panic!("expected a gateway error, got {other:?}"),
        }
        let top = br#"{"error_response":{"code":27,"msg":"Invalid session","sub_code":"invalid-sessionkey","request_id":"x"}}"#;
        match parse_reply::<Value>(method::ADD_MESSAGE, top) {
            Err(WireError::Gateway(error)) => {
                assert_eq!(error.code, "27");
                assert_eq!(error.message.as_deref(), Some("Invalid session"));
            }
            other => panic!("expected a gateway error, got {other:?}"),
        }
        assert!(matches!(
            parse_reply::<Value>(method::ADD_MESSAGE, br#"{"request_id":"x"}"#),
            Err(WireError::MissingResponse(_))
        ));
        let ok = br#"{"code":"0","aliexpress_message_redefining_versiontwo_addmsg_response":{"result":{"is_success":true}}}"#;
        assert!(parse_reply::<Value>(method::ADD_MESSAGE, ok).is_ok());
    }

    #[test]
    fn pacific_time_follows_us_daylight_saving() {
        let at = |y, mo, d, h, mi| {
            Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
                .single()
                .expect("valid time")
        };
        // Summer: UTC-7; winter: UTC-8.
        assert_eq!(
            pacific_datetime(at(2023, 7, 1, 18, 30)),
            "2023-07-01 11:30:00"
        );
        assert_eq!(
            pacific_datetime(at(2023, 1, 15, 8, 0)),
            "2023-01-15 00:00:00"
        );
        // 2024-03-10 02:00 PST is when clocks go forward (10:00 UTC).
        assert_eq!(
            pacific_datetime(at(2024, 3, 10, 9, 59)),
            "2024-03-10 01:59:00"
        );
        assert_eq!(
            pacific_datetime(at(2024, 3, 10, 10, 0)),
            "2024-03-10 03:00:00"
        );
        // 2024-11-03 02:00 PDT is when they go back (09:00 UTC).
        assert_eq!(
            pacific_datetime(at(2024, 11, 3, 8, 59)),
            "2024-11-03 01:59:00"
        );
        assert_eq!(
            pacific_datetime(at(2024, 11, 3, 9, 0)),
            "2024-11-03 01:00:00"
        );
        for utc in [
            at(2023, 7, 1, 18, 30),
            at(2023, 1, 15, 8, 0),
            at(2024, 3, 10, 10, 0),
        ] {
            assert_eq!(parse_pacific(&pacific_datetime(utc)), Some(utc));
        }
        // The repeated hour reads as daylight time.
        assert_eq!(
            parse_pacific("2024-11-03 01:30:00"),
            Some(at(2024, 11, 3, 8, 30))
        );
        assert_eq!(parse_pacific("2024-11-03"), None);
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
            messages[0]
                .summary
                .as_ref()
                .and_then(|s| s.receiver_ali_id.as_deref()),
            Some("1500000000")
        );
        // A date-time string is US Pacific time (14:13:20 PST = 22:13:20 UTC).
        assert_eq!(messages[1].sent_at_ms(), Some(1_700_000_000_000));
        let paths = messages[1].file_path_list.clone().into_vec();
        assert_eq!(paths[0].best(), Some("https://ae01.alicdn.com/m.jpg"));
    }

    #[test]
    fn token_reply_matches_the_documented_sample() {
        // The field set and types of the doc's `/auth/token/refresh` sample.
        let body = br#"{"refresh_token_valid_time":1716784148000,"havana_id":"3000020000814","expire_time":1714192160000,"locale":"zh_CN","user_nick":"kr1000005815atrae","access_token":"a1","refresh_token":"r1","user_id":"2637908814","account_platform":"buyerApp","refresh_expires_in":5183988,"expires_in":2592000,"sp":"ae","seller_id":"2637908814","account":"x@example.com","code":"0","request_id":"212a69f317116001605067741"}"#;
        let reply = parse_token_reply(body).expect("parses");
        assert_eq!(reply.access_token.as_deref(), Some("a1"));
        assert_eq!(reply.expire_time, Some(1_714_192_160_000));
        assert_eq!(reply.refresh_token_valid_time, Some(1_716_784_148_000));
        assert_eq!(reply.expires_in, Some(2_592_000));
        assert_eq!(reply.seller_id.as_deref(), Some("2637908814"));
        let refused =
            br#"{"type":"ISV","code":"IllegalRefreshToken","message":"invalid","request_id":"1"}"#;
        match parse_token_reply(refused) {
            Err(WireError::Gateway(error)) => assert_eq!(error.code, "IllegalRefreshToken"),
            other => panic!("expected a gateway error, got {other:?}"),
        }
    }

    #[test]
    fn order_look_ups_carry_their_json_parameter() {
        let credentials = credentials();
        let request = order_info(&ctx(&credentials), "8100000000000001").expect("builds");
        assert_eq!(request.param("method"), Some(method::ORDER_INFO_GET));
        assert_eq!(
            request.param("param1"),
            Some(r#"{"order_id":8100000000000001}"#)
        );
        let request = order_list(
            &ctx(&credentials),
            &OrderQuery {
                buyer_login_id: Some("us1234567".into()),
                page_size: Some(20),
                ..OrderQuery::default()
            },
        )
        .expect("builds");
        assert_eq!(
            request.param("param0"),
            Some(r#"{"buyer_login_id":"us1234567","page_size":20}"#)
        );
        let reply = br#"{"aliexpress_solution_order_info_get_response":{"result":{"success":true,"data":{"id":8100000000000001,"buyerloginid":"us1234567","buyer_signer_fullname":"Ann","gmt_create":"2023-07-01 11:30:00","order_status":"FINISH","issue_status":"END_ISSUE"}}}}"#;
        let parsed: OrderInfoReply = parse_reply(method::ORDER_INFO_GET, reply).expect("parses");
        let order = parsed.result.data.expect("an order");
        assert_eq!(order.id.as_deref(), Some("8100000000000001"));
        assert_eq!(order.buyerloginid.as_deref(), Some("us1234567"));
    }
}
