//! Douyin shop (抖店) wire types: the open API request envelope and the message-push envelope.
//!
//! The open platform has **no customer-service / Feige (飞鸽) IM API** (platform-apis.md §4.4):
//! an adapter can read order and after-sale context and receive order/refund pushes, but it
//! cannot read or send buyer chat messages. What is here is exactly that context layer.
//!
//! Requests (§4.1): `POST {gateway}/{method with '.' → '/'}` with query `app_key`, `method`,
//! `access_token` (not for `token.*`), `timestamp`, `v=2`, `sign_method`, `sign`, and
//! `param_json` as the raw JSON body. [`build_request`](crate::wire::build_request) returns a
//! signed [`WireRequest`](crate::wire::WireRequest); an HTTP client elsewhere sends it.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shopmux_contract::wire::lenient;

use crate::sign::{API_VERSION, SignMethod, canonical_param_json, request_sign};

/// Production gateway (§4.1).
pub const GATEWAY_HOST: &str = "https://openapi-fxg.jinritemai.com";
/// Sandbox gateway (§4.1).
pub const SANDBOX_HOST: &str = "https://openapi-sandbox.jinritemai.com";
/// Seller authorization page for tool apps (`?service_id=…&state=…`, §4.2).
pub const AUTHORIZE_URL: &str = "https://fuwu.jinritemai.com/authorize";
/// Header the official SDKs send to get the new error-code scheme (`code`/`msg`, §4.2).
pub const NO_OLD_ERR_CODE_HEADER: &str = "x-open-no-old-err-code";
/// Message-push header carrying the app key (§4.3).
pub const PUSH_APP_ID_HEADER: &str = "app-id";
/// Message-push header carrying the MD5 signature (§4.3).
pub const PUSH_SIGN_HEADER: &str = "event-sign";
/// The reply a push receiver must send back, quickly (§4.3).
pub const PUSH_ACK_BODY: &str = r#"{"code":0,"msg":"success"}"#;
/// `code` of a successful reply in the new error-code scheme (official Java SDK
/// `DoudianOpResponse.isSuccess`: `code == "10000"`).
pub const CODE_SUCCESS: i64 = 10000;

/// Dotted API names used for order context (§4.2, §4.4).
pub mod method {
    /// Create an access token.
    pub const TOKEN_CREATE: &str = "token.create";
    /// Refresh an access token.
    pub const TOKEN_REFRESH: &str = "token.refresh";
    /// Search orders.
    pub const ORDER_SEARCH_LIST: &str = "order.searchList";
    /// One order's detail (`shop_order_id`).
    pub const ORDER_DETAIL: &str = "order.orderDetail";
    /// After-sale list.
    pub const AFTERSALE_LIST: &str = "afterSale.List";
    /// The shop's products, filtered and paged (`page`, `size`, `name`, `status`, …).
    pub const PRODUCT_LIST_V2: &str = "product.listV2";
}

/// A product's buyer-facing detail page on Douyin's mall: this prefix and the product id.
/// Seen in many sellers' tools, not in the open platform's docs.
pub const PRODUCT_DETAIL_URL: &str = "https://haohuo.jinritemai.com/views/product/detail?id=";

/// The buyer-facing page of product `product_id`.
pub fn product_page_url(product_id: &str) -> String {
    format!("{PRODUCT_DETAIL_URL}{product_id}")
}

/// `status` of a product in the shop (`product.listV2`).
pub mod product_status {
    /// 在线: on sale.
    pub const ONLINE: i64 = 0;
    /// 下线: taken off sale.
    pub const OFFLINE: i64 = 1;
    /// 删除: deleted.
    pub const DELETED: i64 = 2;
}

/// Most pages `product.listV2` serves (`page` 1–100), the most products per page (`size`
/// 1–100), and the most rows reachable by paging (`page * size` ≤ 10 000).
pub const PRODUCT_LIST_MAX_PAGE: u32 = 100;
/// See [`PRODUCT_LIST_MAX_PAGE`].
pub const PRODUCT_LIST_MAX_SIZE: u32 = 100;
/// See [`PRODUCT_LIST_MAX_PAGE`].
pub const PRODUCT_LIST_MAX_ROWS: u32 = 10_000;

/// Message-push `tag` values seen in the SDKs (§4.3). No IM / Feige tag exists.
pub mod push_tag {
    /// The test message sent when the push URL is configured.
    pub const TEST: &str = "0";
    /// Trade created.
    pub const TRADE_CREATE: &str = "100";
    /// Trade paid.
    pub const TRADE_PAID: &str = "101";
    /// Seller shipped.
    pub const TRADE_SELLER_SHIP: &str = "102";
    /// Trade succeeded.
    pub const TRADE_SUCCESS: &str = "103";
    /// Logistics changed.
    pub const TRADE_LOGISTICS_CHANGED: &str = "104";
    /// Address changed.
    pub const TRADE_ADDRESS_CHANGED: &str = "105";
    /// Trade canceled.
    pub const TRADE_CANCELED: &str = "106";
    /// Refund created.
    pub const REFUND_CREATED: &str = "200";
    /// Refund agreed.
    pub const REFUND_AGREED: &str = "201";
    /// Return application agreed.
    pub const RETURN_APPLY_AGREED: &str = "202";
    /// Buyer returned the goods.
    pub const BUYER_RETURN_GOODS: &str = "203";
    /// Refund refused.
    pub const REFUND_REFUSED: &str = "204";
    /// Return application refused.
    pub const RETURN_APPLY_REFUSED: &str = "205";
    /// Refund succeeded.
    pub const REFUND_SUCCESS: &str = "207";
    /// Refund closed.
    pub const REFUND_CLOSED: &str = "208";
}

/// Why a request could not be built or a payload could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload is not the JSON shape expected.
    #[error("unexpected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A method name that is not dotted letters and digits.
    #[error("`{0}` is not an open API method name")]
    BadMethod(String),
    /// A product list page outside what `product.listV2` serves.
    #[error("page {page} of size {size} is outside product.listV2's paging")]
    BadPage {
        /// The page asked for.
        page: u32,
        /// The size asked for.
        size: u32,
    },
}

/// HTTP method of a [`WireRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// GET (still accepted by the gateway, deprecated).
    Get,
    /// POST.
    Post,
}

impl HttpMethod {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        }
    }
}

/// A fully described, signed HTTP request, ready for any HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    /// HTTP method.
    pub method: HttpMethod,
    /// Scheme and host, e.g. [`GATEWAY_HOST`].
    pub host: String,
    /// Path, starting with `/`.
    pub path: String,
    /// Decoded query parameters in the order they should be sent.
    pub query: Vec<(String, String)>,
    /// Headers to send (names lowercase).
    pub headers: Vec<(String, String)>,
    /// Body bytes, exactly as signed (the `param_json`).
    pub body: Vec<u8>,
}

impl WireRequest {
    /// The query string, percent-encoded (RFC 3986 unreserved characters kept), without `?`.
    pub fn query_string(&self) -> String {
        shopmux_contract::wire::query_string(&self.query)
    }

    /// Host, path and query string joined into one URL.
    pub fn url(&self) -> String {
        format!("{}{}?{}", self.host, self.path, self.query_string())
    }

    /// The value of the query parameter `key`, if present.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
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

/// What every request needs: where, who, how to sign, and the current time.
#[derive(Clone, Copy)]
pub struct RequestContext<'a> {
    /// [`GATEWAY_HOST`] or [`SANDBOX_HOST`].
    pub host: &'a str,
    /// The app.
    pub credentials: &'a AppCredentials,
    /// The shop's access token; ignored for `token.create` / `token.refresh`.
    pub access_token: Option<&'a str>,
    /// `sign_method`.
    pub sign_method: SignMethod,
    /// Now; becomes `timestamp` as Unix seconds (the official Go SDK's format; the doc's
    /// `yyyy-MM-dd HH:mm:ss` GMT+8 is also accepted, ±10 minutes).
    pub now: DateTime<Utc>,
}

impl fmt::Debug for RequestContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("host", &self.host)
            .field("credentials", self.credentials)
            .field("access_token", &self.access_token.map(|_| "<redacted>"))
            .field("sign_method", &self.sign_method)
            .field("now", &self.now)
            .finish()
    }
}

/// The request envelope (§4.1): the public parameters plus `param_json`.
///
/// On the wire every field but `param_json` is a query parameter and `param_json` is the
/// body. `Debug` hides the access token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEnvelope {
    /// `app_key`.
    pub app_key: String,
    /// `method`, dotted (`order.orderDetail`).
    pub method: String,
    /// `access_token`; absent for `token.create` / `token.refresh`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// `param_json`: canonical JSON of the business parameters.
    pub param_json: String,
    /// `timestamp`, exactly as signed.
    pub timestamp: String,
    /// `v`, always [`API_VERSION`].
    pub v: String,
    /// `sign_method`: `hmac-sha256` or `md5`.
    pub sign_method: String,
    /// `sign`.
    pub sign: String,
}

impl fmt::Debug for RequestEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestEnvelope")
            .field("app_key", &self.app_key)
            .field("method", &self.method)
            .field(
                "access_token",
                &self.access_token.as_ref().map(|_| "<redacted>"),
            )
            .field("param_json", &self.param_json)
            .field("timestamp", &self.timestamp)
            .field("v", &self.v)
            .field("sign_method", &self.sign_method)
            .field("sign", &self.sign)
            .finish()
    }
}

impl RequestEnvelope {
    /// Builds and signs the envelope for `method` with business parameters `params`.
    pub fn signed(
        ctx: &RequestContext<'_>,
        method: &str,
        params: &Value,
    ) -> Result<RequestEnvelope, WireError> {
        method_path(method)?;
        let param_json = canonical_param_json(params);
        let timestamp = ctx.now.timestamp().to_string();
        let sign = request_sign(
            &ctx.credentials.app_key,
            &ctx.credentials.app_secret,
            method,
            &param_json,
            &timestamp,
            ctx.sign_method,
        );
        let is_token_call = method == method::TOKEN_CREATE || method == method::TOKEN_REFRESH;
        Ok(RequestEnvelope {
            app_key: ctx.credentials.app_key.clone(),
            method: method.to_owned(),
            access_token: if is_token_call {
                None
            } else {
                ctx.access_token.map(str::to_owned)
            },
            param_json,
            timestamp,
            v: API_VERSION.to_owned(),
            sign_method: ctx.sign_method.as_str().to_owned(),
            sign,
        })
    }

    /// The POST request carrying this envelope to `host`.
    pub fn into_request(self, host: &str) -> Result<WireRequest, WireError> {
        let path = method_path(&self.method)?;
        let mut query = vec![
            ("app_key".to_owned(), self.app_key),
            ("method".to_owned(), self.method),
        ];
        if let Some(token) = self.access_token {
            query.push(("access_token".to_owned(), token));
        }
        query.extend([
            ("timestamp".to_owned(), self.timestamp),
            ("v".to_owned(), self.v),
            ("sign_method".to_owned(), self.sign_method),
            ("sign".to_owned(), self.sign),
        ]);
        Ok(WireRequest {
            method: HttpMethod::Post,
            host: host.to_owned(),
            path,
            query,
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                (NO_OLD_ERR_CODE_HEADER.to_owned(), "1".to_owned()),
            ],
            body: self.param_json.into_bytes(),
        })
    }
}

/// The URL path of a dotted method name: `order.searchList` → `/order/searchList` (§4.1).
pub fn method_path(method: &str) -> Result<String, WireError> {
    let valid = !method.is_empty()
        && !method.starts_with('.')
        && !method.ends_with('.')
        && !method.contains("..")
        && method
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'_');
    if !valid {
        return Err(WireError::BadMethod(method.to_owned()));
    }
    Ok(format!("/{}", method.replace('.', "/")))
}

/// Builds and signs a call of `method` with business parameters `params` (a JSON object).
pub fn build_request(
    ctx: &RequestContext<'_>,
    method: &str,
    params: &Value,
) -> Result<WireRequest, WireError> {
    RequestEnvelope::signed(ctx, method, params)?.into_request(ctx.host)
}

/// `token.create` for a self-use app and one shop (`grant_type=authorization_self`).
pub fn token_create_for_shop(
    ctx: &RequestContext<'_>,
    shop_id: &str,
) -> Result<WireRequest, WireError> {
    let params = serde_json::json!({
        "code": "",
        "grant_type": "authorization_self",
        "shop_id": shop_id,
    });
    build_request(ctx, method::TOKEN_CREATE, &params)
}

/// `token.create` for a tool app from the authorization `code` (`grant_type=authorization_code`).
pub fn token_create_with_code(
    ctx: &RequestContext<'_>,
    code: &str,
) -> Result<WireRequest, WireError> {
    let params = serde_json::json!({"code": code, "grant_type": "authorization_code"});
    build_request(ctx, method::TOKEN_CREATE, &params)
}

/// `token.refresh` (`grant_type=refresh_token`).
pub fn token_refresh(
    ctx: &RequestContext<'_>,
    refresh_token: &str,
) -> Result<WireRequest, WireError> {
    let params = serde_json::json!({"grant_type": "refresh_token", "refresh_token": refresh_token});
    build_request(ctx, method::TOKEN_REFRESH, &params)
}

/// `order.orderDetail` for one shop order.
pub fn order_detail(
    ctx: &RequestContext<'_>,
    shop_order_id: &str,
) -> Result<WireRequest, WireError> {
    let params = serde_json::json!({"shop_order_id": shop_order_id});
    build_request(ctx, method::ORDER_DETAIL, &params)
}

/// A `product.listV2` query: a page (`page` from 1, `size` 1–100, `page * size` at most
/// 10 000), a fuzzy title match (`name`) and the product's `status` in the shop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductListQuery {
    /// `page`, from 1.
    pub page: u32,
    /// `size`, 1–100.
    pub size: u32,
    /// `name`: words of the title (the platform matches fuzzily).
    pub name: Option<String>,
    /// `status`: see [`product_status`].
    pub status: Option<i64>,
}

/// `product.listV2`: one page of the shop's products.
pub fn product_list_v2(
    ctx: &RequestContext<'_>,
    query: &ProductListQuery,
) -> Result<WireRequest, WireError> {
    let in_range = (1..=PRODUCT_LIST_MAX_PAGE).contains(&query.page)
        && (1..=PRODUCT_LIST_MAX_SIZE).contains(&query.size)
        && query.page * query.size <= PRODUCT_LIST_MAX_ROWS;
    if !in_range {
        return Err(WireError::BadPage {
            page: query.page,
            size: query.size,
        });
    }
    let mut params = serde_json::Map::new();
    params.insert("page".into(), query.page.into());
    params.insert("size".into(), query.size.into());
    if let Some(name) = query.name.as_deref().filter(|name| !name.is_empty()) {
        params.insert("name".into(), name.into());
    }
    if let Some(status) = query.status {
        params.insert("status".into(), status.into());
    }
    build_request(ctx, method::PRODUCT_LIST_V2, &Value::Object(params))
}

/// `data` of `product.listV2`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductListData {
    /// `data`: the products of the page.
    #[serde(default)]
    pub data: Vec<ProductListItem>,
    /// `total`: products matching, over all pages.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub total: Option<i64>,
    /// `page`.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub page: Option<i64>,
    /// `size`.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub size: Option<i64>,
}

/// One product of `product.listV2`, the fields shopmux reads. Prices are in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductListItem {
    /// `product_id` (a number or a string).
    #[serde(deserialize_with = "lenient::string")]
    pub product_id: String,
    /// `name`: the title.
    #[serde(default)]
    pub name: String,
    /// `discount_price`: the selling price, in fen.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub discount_price: Option<i64>,
    /// `market_price`: the struck-through price, in fen.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub market_price: Option<i64>,
    /// `status`: see [`product_status`].
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub status: Option<i64>,
    /// `check_status`: 3 = approved.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub check_status: Option<i64>,
    /// `img`: the main image.
    #[serde(default)]
    pub img: Option<String>,
}

/// The reply envelope. The new scheme (header [`NO_OLD_ERR_CODE_HEADER`]) carries `code`,
/// `msg`, `sub_code`, `sub_msg`; older replies carry `err_no` and `message`. Both carry
/// `log_id` and `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse<T> {
    /// `code` (10000 = success); sent as a number or a string.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub code: Option<i64>,
    /// `msg`.
    #[serde(default)]
    pub msg: Option<String>,
    /// `sub_code`, e.g. `isv.business-failed:…`.
    #[serde(default)]
    pub sub_code: Option<String>,
    /// `sub_msg`.
    #[serde(default)]
    pub sub_msg: Option<String>,
    /// `err_no` (old scheme; 0 = success).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub err_no: Option<i64>,
    /// `message` (old scheme).
    #[serde(default)]
    pub message: Option<String>,
    /// `log_id`, for support tickets.
    #[serde(default)]
    pub log_id: Option<String>,
    /// `data`.
    #[serde(default = "none")]
    pub data: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

impl<T> ApiResponse<T> {
    /// `code == 10000`, or, for an old-scheme reply without `code`, `err_no == 0`.
    pub fn is_success(&self) -> bool {
        match self.code {
            Some(code) => code == CODE_SUCCESS,
            None => self.err_no == Some(0),
        }
    }
}

/// `data` of `token.create` / `token.refresh` (§4.2).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenData {
    /// `access_token`.
    pub access_token: String,
    /// `expires_in`, seconds from now.
    pub expires_in: i64,
    /// `refresh_token`.
    pub refresh_token: String,
}

impl fmt::Debug for TokenData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenData")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &"<redacted>")
            .finish()
    }
}

/// One message of a push (§4.3). A push body is a JSON **array** of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushMessage {
    /// `tag`: the message type, see [`push_tag`]; sent as a string (some SDKs read numbers).
    #[serde(deserialize_with = "lenient::string")]
    pub tag: String,
    /// `msg_id`; use it to drop redeliveries. (SKIT models it as `msgId`; both are read.)
    #[serde(alias = "msgId", deserialize_with = "lenient::string")]
    pub msg_id: String,
    /// `data`: normally a JSON **string** holding the payload; see [`PushMessage::data_json`].
    #[serde(default)]
    pub data: Value,
}

impl PushMessage {
    /// Parses a push body (the JSON array). Verify `event-sign` first
    /// ([`crate::sign::verify_push`]).
    pub fn parse_body(raw_body: &[u8]) -> Result<Vec<PushMessage>, WireError> {
        Ok(serde_json::from_slice(raw_body)?)
    }

    /// `data` decoded: the JSON string's content, or `data` itself when it is already an object.
    pub fn data_json(&self) -> Result<Value, WireError> {
        match &self.data {
            Value::String(text) => Ok(serde_json::from_str(text)?),
            other => Ok(other.clone()),
        }
    }

    /// Whether this is the test message sent when the push URL is configured.
    pub fn is_test(&self) -> bool {
        self.tag == push_tag::TEST
    }
}

/// `data` of tag 100 (trade created), as the SDKs model it. Ids arrive as numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeCreateData {
    /// `p_id`: the shop (parent) order id.
    #[serde(deserialize_with = "lenient::string")]
    pub p_id: String,
    /// `s_ids`: the SKU (child) order ids.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub s_ids: Vec<String>,
    /// `shop_id`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub shop_id: String,
    /// `order_status` (1 for a new order).
    #[serde(default)]
    pub order_status: i64,
    /// `order_type`.
    #[serde(default)]
    pub order_type: i64,
    /// `create_time`, Unix seconds.
    #[serde(default)]
    pub create_time: i64,
}

/// The reply a push receiver sends: `{"code":0,"msg":"success"}` (§4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    /// 0.
    pub code: i64,
    /// `success`.
    pub msg: String,
}

impl Default for PushAck {
    fn default() -> PushAck {
        PushAck {
            code: 0,
            msg: "success".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::verify_push;
    use chrono::TimeZone;

    fn credentials() -> AppCredentials {
        AppCredentials {
            app_key: "7000000000000000001".into(),
            app_secret: "douyin-secret".into(),
        }
    }

    fn ctx(credentials: &AppCredentials) -> RequestContext<'_> {
        RequestContext {
            host: GATEWAY_HOST,
            credentials,
            access_token: Some("tok-abc"),
            sign_method: SignMethod::HmacSha256,
            now: Utc
                .timestamp_opt(1_700_000_000, 0)
                .single()
                .expect("valid time"),
        }
    }

    #[test]
    fn order_detail_request_matches_fixed_vector() {
        let credentials = credentials();
        let request = order_detail(&ctx(&credentials), "4781320682406083640").expect("builds");
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(request.path, "/order/orderDetail");
        assert_eq!(request.body, br#"{"shop_order_id":"4781320682406083640"}"#);
        assert_eq!(request.query_param("method"), Some("order.orderDetail"));
        assert_eq!(request.query_param("access_token"), Some("tok-abc"));
        assert_eq!(request.query_param("timestamp"), Some("1700000000"));
        assert_eq!(request.query_param("v"), Some("2"));
        assert_eq!(request.query_param("sign_method"), Some("hmac-sha256"));
        assert_eq!(request.query_param("param_json"), None);
        // Same inputs as the fixed vector in sign.rs (Python hmac).
        assert_eq!(
            request.query_param("sign"),
            Some("789dee29ce9376c7391f2fe458e396f23639e029fe17463c2e0ee1f8a81cfff3")
        );
        assert!(
            request
                .url()
                .starts_with("https://openapi-fxg.jinritemai.com/order/orderDetail?app_key=")
        );
    }

    #[test]
    fn token_calls_never_carry_the_access_token() {
        let credentials = credentials();
        let request = token_refresh(&ctx(&credentials), "r-1").expect("builds");
        assert_eq!(request.path, "/token/refresh");
        assert_eq!(request.query_param("access_token"), None);
        assert_eq!(
            request.body,
            br#"{"grant_type":"refresh_token","refresh_token":"r-1"}"#
        );
        let create = token_create_for_shop(&ctx(&credentials), "12345").expect("builds");
        assert_eq!(
            create.body,
            br#"{"code":"","grant_type":"authorization_self","shop_id":"12345"}"#
        );
    }

    #[test]
    fn product_list_request_matches_fixed_vector() {
        let credentials = credentials();
        let request = product_list_v2(
            &ctx(&credentials),
            &ProductListQuery {
                page: 1,
                size: 20,
                name: Some("保温杯".into()),
                status: Some(product_status::ONLINE),
            },
        )
        .expect("builds");
        assert_eq!(request.path, "/product/listV2");
        assert_eq!(
            request.body,
            r#"{"name":"保温杯","page":1,"size":20,"status":0}"#.as_bytes()
        );
        assert_eq!(request.query_param("method"), Some("product.listV2"));
        // Computed independently with Python's hmac over the same pre-image (§4.2).
        assert_eq!(
            request.query_param("sign"),
            Some("4f5d6e28861fa27eccf4d3c3a27518c0b28a9cb49369f155d3eadc6c4fa327c9")
        );
        for (page, size) in [(0, 10), (1, 0), (1, 101), (101, 10), (100, 101), (200, 50)] {
            assert!(matches!(
                product_list_v2(
                    &ctx(&credentials),
                    &ProductListQuery {
                        page,
                        size,
                        ..ProductListQuery::default()
                    }
                ),
                Err(WireError::BadPage { .. })
            ));
        }
        let reply: ApiResponse<ProductListData> = serde_json::from_str(
            r#"{"code":10000,"msg":"success","data":{"data":[{"product_id":3600137140018749665,"name":"保温杯","discount_price":5900,"status":0,"check_status":3,"img":"https://p3/a.jpg"}],"total":"1","page":1,"size":20}}"#,
        )
        .expect("parses");
        let data = reply.data.expect("data");
        assert_eq!(data.data[0].product_id, "3600137140018749665");
        assert_eq!(data.total, Some(1));
        assert_eq!(
            product_page_url("3600137140018749665"),
            "https://haohuo.jinritemai.com/views/product/detail?id=3600137140018749665"
        );
    }

    #[test]
    fn method_paths() {
        assert_eq!(
            method_path("order.searchList").expect("valid"),
            "/order/searchList"
        );
        assert_eq!(
            method_path("afterSale.List").expect("valid"),
            "/afterSale/List"
        );
        for bad in ["", ".x", "x.", "a..b", "a/b", "a.b?c"] {
            assert!(matches!(method_path(bad), Err(WireError::BadMethod(_))));
        }
    }

    const PUSH_BODY: &[u8] = br#"[{"tag":"100","msg_id":"7300000000000000001","data":"{\"p_id\":4781320682406083640,\"s_ids\":[4781320682406083641],\"shop_id\":12345,\"order_status\":1,\"order_type\":0,\"biz\":2,\"create_time\":1700000000}"}]"#;

    #[test]
    fn push_body_parses_after_verification() {
        verify_push(
            "7000000000000000001",
            "douyin-secret",
            Some("7000000000000000001"),
            Some("cd17dc13deb617363f8722070daba354"),
            PUSH_BODY,
        )
        .expect("signature verifies");
        let messages = PushMessage::parse_body(PUSH_BODY).expect("parses");
        assert_eq!(messages.len(), 1);
        let message = &messages[0];
        assert_eq!(message.tag, push_tag::TRADE_CREATE);
        assert_eq!(message.msg_id, "7300000000000000001");
        assert!(!message.is_test());
        let data: TradeCreateData =
            serde_json::from_value(message.data_json().expect("data decodes")).expect("typed");
        assert_eq!(data.p_id, "4781320682406083640");
        assert_eq!(data.s_ids, vec!["4781320682406083641".to_owned()]);
        assert_eq!(data.shop_id, "12345");
        assert_eq!(data.order_status, 1);
    }

    #[test]
    fn push_variants_numeric_tag_msg_id_alias_object_data() {
        let body = br#"[{"tag":0,"msgId":"1","data":{"hello":"world"}}]"#;
        let messages = PushMessage::parse_body(body).expect("parses");
        assert!(messages[0].is_test());
        assert_eq!(messages[0].msg_id, "1");
        assert_eq!(
            messages[0].data_json().expect("object"),
            serde_json::json!({"hello": "world"})
        );
        assert_eq!(
            serde_json::to_string(&PushAck::default()).expect("serializes"),
            PUSH_ACK_BODY
        );
    }

    #[test]
    fn reply_envelopes() {
        let new: ApiResponse<TokenData> = serde_json::from_str(
            r#"{"code":10000,"msg":"success","sub_code":"","sub_msg":"","log_id":"2023","data":{"access_token":"a","expires_in":604800,"refresh_token":"r"}}"#,
        )
        .expect("parses");
        assert!(new.is_success());
        assert_eq!(new.data.as_ref().map(|data| data.expires_in), Some(604800));
        let failed: ApiResponse<Value> = serde_json::from_str(
            r#"{"code":"40004","msg":"业务处理失败","sub_code":"isv.business-failed:1","sub_msg":"x","log_id":"1"}"#,
        )
        .expect("parses");
        assert!(!failed.is_success());
        let old: ApiResponse<Value> =
            serde_json::from_str(r#"{"err_no":0,"message":"success","data":{}}"#).expect("parses");
        assert!(old.is_success());
        let text = format!("{:?}", new.data.expect("data"));
        assert!(!text.contains("\"a\"") && !text.contains("refresh_token: \"r\""));
    }
}
