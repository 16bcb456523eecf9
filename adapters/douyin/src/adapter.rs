//! Douyin shop as a shopmux [`Adapter`], built on what the 抖店 open platform offers.
//!
//! **Feige (飞鸽) buyer chat has no open API** (platform-apis.md §4.4; see README.md):
//! messages can neither be read nor sent by an app. What the platform does offer, and
//! this adapter uses, is the message push for orders and after-sales, verified with
//! `event-sign`, `order.orderDetail` to learn each order's buyer, and `product.listV2` to
//! search the shop's products (DY-PROD-1: an agent finds a product and shares its page).
//! Orders keep the buyer's context current in the inbox, which is what Douyin's
//! initiation window (DY-WIN-2: an order in the last 30 days) counts from. Replies to
//! Douyin buyers are refused at delivery with that reason, visibly, instead of vanishing.
//!
//! Credentials of a shop connection: `app_key`, `app_secret`, `access_token`, and for
//! token refresh `refresh_token` with, optionally, `access_token_expires_at` (Unix
//! seconds). The API base defaults to the production gateway.
//!
//! Tokens: an access token due to expire within five minutes is renewed with
//! `token.refresh` before the call, and one Douyin reports expired or unknown is renewed
//! and the call tried once more. Douyin revokes the old pair when it issues a new one, so
//! the renewed pair is kept in the host's key-value state (`token:{shop id}`) and read
//! before the credentials on every call. The kept pair remembers the configured access
//! token it descends from: once the operator configures another token, the configured
//! one wins again.

use crate::sign::{SignMethod, verify_push};
use crate::wire::{
    self, ApiResponse, AppCredentials, GATEWAY_HOST, PUSH_ACK_BODY, ProductListData,
    ProductListItem, ProductListQuery, PushMessage, RequestContext, TokenData, WireRequest,
    product_status, push_tag,
};
use chrono::{TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use shopmux_contract::Platform;
use shopmux_contract::adapter::{
    Adapter, AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, Capabilities, Capability, EventBuyer, Host, InboundEvent,
    OrderInfo, OutboundMessage, ProductInfo, ProductPage, ProductQuery, SendReceipt,
    ShopConnection, WebhookAnswer, WebhookRequest,
};
use shopmux_contract::rules::RuleSet;

/// The Douyin shop adapter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Douyin;

/// Order and after-sale tags whose `data` names a shop order (`p_id`).
const ORDER_TAGS: &[&str] = &[
    push_tag::TRADE_CREATE,
    push_tag::TRADE_PAID,
    push_tag::TRADE_SELLER_SHIP,
    push_tag::TRADE_SUCCESS,
    push_tag::TRADE_CANCELED,
    push_tag::REFUND_CREATED,
    push_tag::REFUND_AGREED,
    push_tag::RETURN_APPLY_AGREED,
    push_tag::BUYER_RETURN_GOODS,
    push_tag::REFUND_REFUSED,
    push_tag::RETURN_APPLY_REFUSED,
    push_tag::REFUND_SUCCESS,
    push_tag::REFUND_CLOSED,
];

/// Renew an access token this close to its expiry.
const REFRESH_AHEAD_SECS: i64 = 300;

/// A product page asks for this many when the query gives no size.
const DEFAULT_PRODUCT_PAGE: u32 = 20;

/// When the change a push reports happened, Unix milliseconds: its `update_time`, or
/// `create_time` for a creation (Unix seconds, a number or a numeric string). The host
/// applies an order's notices in this order, so a late push never rolls it back.
fn push_time_ms(data: &Value) -> Option<i64> {
    let seconds = |key: &str| {
        let v = data.get(key)?;
        v.as_i64().or_else(|| v.as_str()?.parse().ok())
    };
    seconds("update_time").or_else(|| seconds("create_time")).map(|s| s * 1000)
}

/// Whether a return or refund is under way after a push of this tag (none for trade
/// tags, which do not say).
fn reverse_after(tag: &str) -> Option<bool> {
    match tag {
        push_tag::REFUND_CREATED
        | push_tag::REFUND_AGREED
        | push_tag::RETURN_APPLY_AGREED
        | push_tag::BUYER_RETURN_GOODS => Some(true),
        push_tag::REFUND_REFUSED
        | push_tag::RETURN_APPLY_REFUSED
        | push_tag::REFUND_SUCCESS
        | push_tag::REFUND_CLOSED => Some(false),
        _ => None,
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The shop's tokens: the configured ones, or a renewed pair kept in the host's state.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Tokens {
    access_token: String,
    refresh_token: Option<String>,
    /// Unix seconds, when known.
    expires_at: Option<i64>,
    /// The configured access token this pair descends from.
    base_access_token: String,
}

fn token_key(shop: &ShopConnection) -> String {
    format!("token:{}", shop.external_id)
}

fn configured_tokens(shop: &ShopConnection) -> Result<Tokens, AdapterError> {
    let access_token = shop.credential("access_token")?.to_owned();
    Ok(Tokens {
        refresh_token: shop.credentials.get("refresh_token").filter(|t| !t.is_empty()).cloned(),
        expires_at: shop
            .credentials
            .get("access_token_expires_at")
            .and_then(|v| v.trim().parse::<i64>().ok()),
        base_access_token: access_token.clone(),
        access_token,
    })
}

/// The freshest tokens: the pair kept in the host's state when it descends from the
/// configured token, else the configured ones.
fn current_tokens(host: &dyn Host, shop: &ShopConnection) -> Result<Tokens, AdapterError> {
    let configured = configured_tokens(shop)?;
    let Some(kept) = host.kv_get(&token_key(shop))? else {
        return Ok(configured);
    };
    match serde_json::from_str::<Tokens>(&kept) {
        Ok(kept) if kept.base_access_token == configured.base_access_token => Ok(kept),
        Ok(_) => Ok(configured),
        Err(e) => {
            host.log(&format!(
                "Douyin: the kept token is unreadable ({e}); using the configured one."
            ));
            Ok(configured)
        }
    }
}

/// The `sub_code`s of a `token.refresh` whose refresh token is expired or invalid (code
/// 50001): the shop must authorize the app again.
const REFRESH_TOKEN_REFUSED: [&str; 2] =
    ["dop.token-generate-failed:token-expired", "dop.token-generate-failed:token-invalid"];

/// Classifies a reply that is not a success (new error-code scheme).
fn failure(reply: &ApiResponse<Value>) -> AdapterError {
    let code = reply.code.or(reply.err_no).unwrap_or_default();
    let sub_code = reply.sub_code.clone().unwrap_or_default();
    let message = reply
        .sub_msg
        .clone()
        .filter(|m| !m.is_empty())
        .or_else(|| reply.msg.clone())
        .or_else(|| reply.message.clone())
        .unwrap_or_default();
    let message = if sub_code.is_empty() {
        format!("{message} ({code})")
    } else {
        format!("{message} ({code} {sub_code})")
    };
    // 20000 and 60000: the platform's own trouble and rate limit.
    if code == 20000 || code == 60000 {
        AdapterError::transient(format!("douyin_{code}"), message)
    } else if REFRESH_TOKEN_REFUSED.contains(&sub_code.as_str()) {
        AdapterError::authorization_expired(format!("Douyin refused the refresh token: {message}"))
    } else if sub_code.contains("access-token-expired")
        || sub_code.contains("access-token-no-existed")
        || sub_code.starts_with("dop.token-generate-failed")
    {
        AdapterError::permanent("token_expired", message)
    } else if sub_code.contains("signature-invalid") {
        AdapterError::permanent("invalid_sign", message)
    } else {
        AdapterError::permanent(format!("douyin_{code}"), message)
    }
}

/// An amount in fen as yuan (`"59.00 CNY"`); none when negative.
fn cny(fen: i64) -> Option<String> {
    (fen >= 0).then(|| format!("{}.{:02} CNY", fen / 100, fen % 100))
}

/// The workbench's view of a Douyin product, its page the product card's link.
fn product_info(product: &ProductListItem) -> ProductInfo {
    ProductInfo {
        external_id: product.product_id.clone(),
        title: product.name.clone(),
        price: product.discount_price.and_then(cny),
        url: Some(wire::product_page_url(&product.product_id)),
        image_url: product.img.clone().filter(|img| !img.is_empty()),
        active: product.status == Some(product_status::ONLINE),
        stock: None,
    }
}

impl Adapter for Douyin {
    fn platform(&self) -> &Platform {
        &crate::PLATFORM
    }

    /// Verified order pushes, order look-ups and product search (DY-PROD-1). Feige chat
    /// has no open API: order and after-sale notices are the buyer activity shopmux sees,
    /// so they show in the buyer's conversation as order cards; `send` is declared so that
    /// a reply reaches it and fails visibly (`no_im_api`) rather than silently.
    fn capabilities(&self) -> Capabilities {
        use Capability::*;
        Capabilities::of(&[Webhooks, Sends, OrderLookUp, ProductSearch, OrderCards, Authorizes])
    }

    fn authorization_url(
        &self, app: &AuthorizationApp, request: &AuthorizationRequest,
    ) -> Result<String, AdapterError> {
        crate::connect::authorization_url(app, request)
    }

    fn verify_callback(
        &self, _app: &AuthorizationApp, query: &[(String, String)], _now_unix_ms: i64,
    ) -> Result<AuthorizationCallback, AdapterError> {
        AuthorizationCallback::unsigned(query)
    }

    fn exchange_code(
        &self, host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
    ) -> Result<AuthorizationGrant, AdapterError> {
        self.create_token(host, app, callback)
    }

    fn authorized_shops(
        &self, _host: &dyn Host, app: &AuthorizationApp, grant: &AuthorizationGrant,
    ) -> Result<Vec<AuthorizedShop>, AdapterError> {
        crate::connect::authorized_shops(app, grant)
    }

    fn rule_set(&self) -> RuleSet {
        crate::rule_set()
    }

    fn parse_webhook(
        &self, shop: &ShopConnection, request: &WebhookRequest, _now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        verify_push(
            shop.credential("app_key")?,
            shop.credential("app_secret")?,
            request.header(wire::PUSH_APP_ID_HEADER),
            request.header(wire::PUSH_SIGN_HEADER),
            &request.body,
        )
        .map_err(|e| AdapterError::permanent("bad_signature", e.to_string()))?;
        let messages = PushMessage::parse_body(&request.body)
            .map_err(|e| AdapterError::permanent("malformed", e.to_string()))?;
        let mut events = Vec::with_capacity(messages.len());
        for m in messages {
            if m.is_test() || !ORDER_TAGS.contains(&m.tag.as_str()) {
                events.push(InboundEvent::Ignored { reason: format!("push tag {}", m.tag) });
                continue;
            }
            let data =
                m.data_json().map_err(|e| AdapterError::permanent("malformed", e.to_string()))?;
            if let Some(shop_id) = data.get("shop_id").and_then(text)
                && shop_id != shop.external_id
            {
                return Err(AdapterError::permanent("wrong_shop", "the push is for another shop"));
            }
            match data.get("p_id").and_then(text) {
                Some(order) => events.push(InboundEvent::OrderChanged {
                    order_external_id: order,
                    buyer: None,
                    reverse_in_progress: reverse_after(&m.tag),
                    updated_at_ms: push_time_ms(&data),
                }),
                None => events.push(InboundEvent::Ignored {
                    reason: format!("push tag {} without an order id", m.tag),
                }),
            }
        }
        Ok(events)
    }

    fn webhook_answer(&self) -> Option<WebhookAnswer> {
        Some(WebhookAnswer {
            content_type: "application/json".into(),
            body: PUSH_ACK_BODY.as_bytes().to_vec(),
        })
    }

    fn send(
        &self, _host: &dyn Host, _shop: &ShopConnection, _message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        Err(AdapterError::permanent(
            "no_im_api",
            "Douyin's open platform has no API for Feige chats: answer this buyer in Feige",
        ))
    }

    fn fetch_order(
        &self, host: &dyn Host, shop: &ShopConnection, order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        let data: Value =
            self.call(host, shop, |ctx| wire::order_detail(ctx, order_external_id))?;
        let detail = data
            .get("shop_order_detail")
            .ok_or_else(|| AdapterError::permanent("malformed", "no shop_order_detail"))?;
        let buyer = detail
            .get("doudian_open_id")
            .and_then(text)
            .ok_or_else(|| AdapterError::permanent("malformed", "the order names no buyer"))?;
        Ok(OrderInfo {
            external_id: order_external_id.to_owned(),
            buyer: EventBuyer { external_id: buyer, ..EventBuyer::default() },
            created_at_ms: detail.get("create_time").and_then(Value::as_i64).map(|s| s * 1000),
            status: detail
                .get("order_status_desc")
                .and_then(text)
                .or_else(|| detail.get("order_status").and_then(text)),
            reverse_in_progress: None,
            name: None,
            // `pay_amount`: what the buyer paid, in fen.
            total: detail.get("pay_amount").and_then(Value::as_i64).and_then(cny),
            updated_at_ms: detail.get("update_time").and_then(Value::as_i64).map(|s| s * 1000),
            // `logistics_info[].tracking_no`: the parcels shipped, the latest last.
            tracking_number: detail
                .get("logistics_info")
                .and_then(Value::as_array)
                .and_then(|parcels| parcels.iter().rev().find_map(|p| p.get("tracking_no")))
                .and_then(text)
                .filter(|t| !t.trim().is_empty()),
        })
    }

    fn search_products(
        &self, host: &dyn Host, shop: &ShopConnection, query: &ProductQuery,
    ) -> Result<ProductPage, AdapterError> {
        // rule: DY-PROD-1 — an agent may search the shop's products and send a product
        // link: `product.listV2` (fuzzy title `name`, `status` 0 = on sale when only
        // products on sale are asked for), each product with its mall page as `url`, which
        // the agent sends as a product card.
        let size = match query.page_size {
            0 => DEFAULT_PRODUCT_PAGE,
            n => n.min(wire::PRODUCT_LIST_MAX_SIZE),
        };
        let page = match query.cursor.as_deref().filter(|c| !c.is_empty()) {
            None => 1,
            Some(cursor) => {
                cursor.parse::<u32>().ok().filter(|page| *page >= 1).ok_or_else(|| {
                    AdapterError::permanent("bad_cursor", "not a cursor this adapter returned")
                })?
            }
        };
        let reachable = |page: u32| {
            page <= wire::PRODUCT_LIST_MAX_PAGE && page * size <= wire::PRODUCT_LIST_MAX_ROWS
        };
        if !reachable(page) {
            // Douyin pages no further than 10 000 products.
            return Ok(ProductPage::default());
        }
        let name =
            query.text.as_deref().map(str::trim).filter(|text| !text.is_empty()).map(str::to_owned);
        let status = query.active_only.then_some(product_status::ONLINE);
        let data: ProductListData = self.call(host, shop, |ctx| {
            wire::product_list_v2(ctx, &ProductListQuery { page, size, name: name.clone(), status })
        })?;
        let products = data
            .data
            .iter()
            .filter(|p| !query.active_only || p.status == Some(product_status::ONLINE))
            .map(product_info)
            .collect();
        let more = match data.total {
            Some(total) => i64::from(page * size) < total,
            None => data.data.len() == size as usize,
        };
        Ok(ProductPage {
            products,
            next_cursor: (more && reachable(page + 1)).then(|| (page + 1).to_string()),
        })
    }
}

impl Douyin {
    /// A signed call of the shop's API with the freshest access token, renewing it
    /// ahead of its expiry, or once when Douyin reports it expired; `data` decoded.
    fn call<T: DeserializeOwned>(
        &self, host: &dyn Host, shop: &ShopConnection,
        build: impl Fn(&RequestContext<'_>) -> Result<WireRequest, wire::WireError>,
    ) -> Result<T, AdapterError> {
        let (tokens, renewed) = self.fresh_tokens(host, shop)?;
        match self.call_with(host, shop, Some(&tokens.access_token), &build) {
            Err(e) if e.code == "token_expired" && !renewed => {
                // Another daemon may have renewed it already (then our pair is spent).
                let kept = current_tokens(host, shop)?;
                let retry = if kept.access_token != tokens.access_token {
                    kept
                } else if tokens.refresh_token.is_some() {
                    self.refresh(host, shop, &tokens)?
                } else {
                    return Err(e);
                };
                self.call_with(host, shop, Some(&retry.access_token), &build)
            }
            other => other,
        }
    }

    /// The tokens to call with, renewed first when they expire within five minutes;
    /// whether they were just renewed.
    fn fresh_tokens(
        &self, host: &dyn Host, shop: &ShopConnection,
    ) -> Result<(Tokens, bool), AdapterError> {
        let tokens = current_tokens(host, shop)?;
        let now = host.now_unix_ms() / 1000;
        let Some(expires_at) = tokens.expires_at else {
            return Ok((tokens, false));
        };
        if expires_at - now > REFRESH_AHEAD_SECS || tokens.refresh_token.is_none() {
            return Ok((tokens, false));
        }
        match self.refresh(host, shop, &tokens) {
            Ok(renewed) => Ok((renewed, true)),
            Err(e) => {
                let kept = current_tokens(host, shop)?;
                if kept.access_token != tokens.access_token {
                    Ok((kept, false))
                } else if expires_at > now {
                    host.log(&format!(
                        "Douyin: token refresh failed ({e}); the current token is still valid."
                    ));
                    Ok((tokens, false))
                } else {
                    Err(e)
                }
            }
        }
    }

    /// Renews the tokens with `token.refresh` and keeps the new pair in the host's state.
    fn refresh(
        &self, host: &dyn Host, shop: &ShopConnection, tokens: &Tokens,
    ) -> Result<Tokens, AdapterError> {
        let refresh_token = tokens.refresh_token.as_deref().ok_or_else(|| {
            AdapterError::permanent("token_expired", "the connection has no refresh_token")
        })?;
        let data: TokenData =
            self.call_with(host, shop, None, &|ctx| wire::token_refresh(ctx, refresh_token))?;
        let renewed = Tokens {
            access_token: data.access_token,
            refresh_token: Some(data.refresh_token),
            expires_at: Some(host.now_unix_ms() / 1000 + data.expires_in),
            base_access_token: tokens.base_access_token.clone(),
        };
        let kept = serde_json::to_string(&renewed)
            .map_err(|e| e.to_string())
            .and_then(|value| host.kv_put(&token_key(shop), &value).map_err(|e| e.to_string()));
        if let Err(e) = kept {
            // The old pair is revoked: without the kept pair the next call fails.
            host.log(&format!("Douyin: the renewed token could not be kept: {e}"));
        }
        host.log("Douyin access token refreshed.");
        Ok(renewed)
    }

    /// One signed call with `access_token` (none for `token.*`); `data` decoded.
    pub(crate) fn call_with<T: DeserializeOwned>(
        &self, host: &dyn Host, shop: &ShopConnection, access_token: Option<&str>,
        build: &dyn Fn(&RequestContext<'_>) -> Result<WireRequest, wire::WireError>,
    ) -> Result<T, AdapterError> {
        let app = AppCredentials::from_shop(shop)?;
        let now = Utc.timestamp_millis_opt(host.now_unix_ms()).single().unwrap_or_else(Utc::now);
        let ctx = RequestContext {
            host: shop.api_base.as_deref().unwrap_or(GATEWAY_HOST),
            credentials: &app,
            access_token,
            sign_method: SignMethod::HmacSha256,
            now,
        };
        let request =
            build(&ctx).map_err(|e| AdapterError::permanent("bad_request", e.to_string()))?;
        let response = host.http(request.into_http(10_000))?;
        if response.status >= 500 || response.status == 429 {
            return Err(AdapterError::from_status(
                &response,
                format!("Douyin answered HTTP {}", response.status),
            ));
        }
        let reply: ApiResponse<Value> = serde_json::from_slice(&response.body).map_err(|e| {
            AdapterError::transient(
                "malformed",
                format!("HTTP {} without a Douyin reply: {e}", response.status),
            )
        })?;
        if !reply.is_success() {
            return Err(failure(&reply));
        }
        let data = reply
            .data
            .ok_or_else(|| AdapterError::permanent("malformed", "a success without data"))?;
        serde_json::from_value(data)
            .map_err(|e| AdapterError::permanent("malformed", format!("unexpected data: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::push_sign;
    use shopmux_contract::NoHost;
    use shopmux_contract::adapter::AUTHORIZATION_EXPIRED;

    fn shop() -> ShopConnection {
        let credentials = [("app_key", "k1"), ("app_secret", "s1"), ("access_token", "t")];
        ShopConnection::with_credentials("4463798", &credentials)
    }

    fn push(body: &str, sign: Option<String>) -> WebhookRequest {
        let mut headers = vec![("app-id".to_owned(), "k1".to_owned())];
        if let Some(s) = sign {
            headers.push(("event-sign".to_owned(), s));
        }
        WebhookRequest { headers, body: body.as_bytes().to_vec() }
    }

    const TRADE: &str = r#"[{"tag":"100","msg_id":"7001","data":"{\"p_id\":4987001,\"shop_id\":4463798,\"order_status\":1,\"create_time\":1700000000}"}]"#;

    #[test]
    fn a_refused_refresh_token_ends_the_authorization_and_other_failures_do_not() {
        let code = |body: &str| failure(&serde_json::from_str(body).unwrap()).code;
        let refused =
            r#"{"code":50001,"msg":"x","sub_code":"dop.token-generate-failed:token-expired"}"#;
        assert_eq!(code(refused), AUTHORIZATION_EXPIRED);
        let unknown =
            r#"{"code":50001,"msg":"x","sub_code":"dop.token-generate-failed:token-invalid"}"#;
        assert_eq!(code(unknown), AUTHORIZATION_EXPIRED);
        let grant =
            r#"{"code":50001,"msg":"x","sub_code":"dop.token-generate-failed:grant-type-invalid"}"#;
        assert_eq!(code(grant), "token_expired");
        assert_eq!(code(r#"{"code":20000,"msg":"busy"}"#), "douyin_20000");
    }

    #[test]
    fn a_push_is_timed_by_its_update_time_else_its_creation() {
        let time = |data: &str| push_time_ms(&serde_json::from_str(data).unwrap());
        assert_eq!(time(r#"{"update_time":1700000100,"create_time":1}"#), Some(1_700_000_100_000));
        assert_eq!(time(r#"{"update_time":"1700000100"}"#), Some(1_700_000_100_000));
        assert_eq!(time(r#"{"create_time":1700000000}"#), Some(1_700_000_000_000));
        assert_eq!(time(r#"{"p_id":1}"#), None);
    }

    #[test]
    fn a_signed_order_push_names_the_order() {
        let sign = push_sign("k1", "s1", TRADE.as_bytes());
        let events = Douyin.parse_webhook(&shop(), &push(TRADE, Some(sign)), 0).unwrap();
        assert_eq!(
            events,
            vec![InboundEvent::OrderChanged {
                order_external_id: "4987001".into(),
                buyer: None,
                reverse_in_progress: None,
                updated_at_ms: Some(1_700_000_000_000),
            }]
        );
    }

    #[test]
    fn unsigned_tampered_and_foreign_pushes_are_refused() {
        let code = |shop: &ShopConnection, request: WebhookRequest| {
            Douyin.parse_webhook(shop, &request, 0).unwrap_err().code
        };
        let sign = push_sign("k1", "s1", TRADE.as_bytes());
        assert_eq!(code(&shop(), push(TRADE, None)), "bad_signature");
        let tampered = TRADE.replace("4987001", "4987002");
        let tampered = push(&tampered, Some(sign.clone()));
        assert_eq!(code(&shop(), tampered), "bad_signature");
        let other = ShopConnection { external_id: "1".into(), ..shop() };
        assert_eq!(code(&other, push(TRADE, Some(sign))), "wrong_shop");
    }

    #[test]
    fn replies_are_refused_with_the_reason() {
        let message = OutboundMessage {
            idempotency_key: "m".into(),
            buyer_external_id: "b".into(),
            buyer_email: None,
            platform_conversation_id: None,
            content: shopmux_contract::MessageContent::Text { text: "hi".into() },
        };
        let e = Douyin.send(&NoHost, &shop(), &message).unwrap_err();
        assert_eq!((e.code.as_str(), e.retryable), ("no_im_api", false));
    }
}
