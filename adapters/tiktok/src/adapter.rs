//! TikTok Shop as a shopmux [`Adapter`]: webhooks verified and normalized (NEW_MESSAGE
//! from buyers becomes an inbound message), replies sent through the Partner API's
//! customer-service `send message`, with TikTok's failures classified for the outbox, and
//! the agents' workbench look-ups (TT-WB-1): the buyer's orders in this shop, one order,
//! and the shop's products.
//!
//! Credentials of a shop connection: `app_key`, `app_secret`, `access_token`,
//! `shop_cipher`, and for token refresh `refresh_token` with, optionally,
//! `access_token_expires_at` (Unix seconds, as TikTok's token reply gives it) and
//! `auth_base` (TikTok's auth host by default). The API base defaults to TikTok's
//! production host. On every call (sends, polls, look-ups, read marks) an access token
//! due to expire within five minutes is refreshed first, and one the platform reports
//! expired is refreshed and the call tried once more; renewed tokens are kept in the
//! host's key-value state (`tokens:{shop}`, tied to the configured token, so new
//! credentials from the operator win) and go back to the host in a send's receipt.
//!
//! Sends: text and emoji go as `TEXT`, cards as their card types. An image is fetched
//! from its URL through the host, uploaded with "Upload Buyer Messages Image" (multipart,
//! its body outside the signature) and sent as `IMAGE` with the URL and size TikTok
//! returns. A video is refused permanently: TikTok's `VIDEO` message takes a `vid` from
//! TikTok's own storage and the customer-service API has no video upload.
//!
//! Orders carry the buyer's `user_id`, chats the `im_user_id`; the two are linked only by
//! a conversation's participants. The adapter finds the link in the shop's conversations
//! and keeps it in the host's key-value state (`buyer:{shop}:{im_user_id}` and
//! `order-buyer:{shop}:{user_id}`), so it looks once per buyer.

use crate::sign::{SignatureError, verify_webhook};
use crate::wire::{
    self, API_HOST, ApiResponse, AppCredentials, ConversationsPage, ConversationsQuery,
    IMAGE_UPLOAD_MAX_BYTES, MessageContent, MessagesPage, MessagesQuery, OrderDetails,
    OrderSearchQuery, OrdersPage, PRODUCT_PAGE_URL, PRODUCT_STATUS_ACTIVATE, ProductSearchQuery,
    ProductSummary, ProductsPage, RequestContext, Role, SendMessageData, SenderRole, ShopSession,
    SortOrder, UploadedImage, WebhookEnvelope, WebhookEvent,
};
use chrono::{TimeZone, Utc};
use serde_json::json;
use shopmux_contract::adapter::{
    Adapter, AdapterError, BuyerProfile, EventBuyer, Host, HttpRequest, InboundEvent, OrderInfo,
    OutboundMessage, PollPage, ProductInfo, ProductPage, ProductQuery, SendReceipt, ShopConnection,
    WebhookRequest,
};
use shopmux_contract::rules::RuleSet;
use shopmux_contract::wire::percent_encode as encode;

/// TikTok's error code for an invalid signature (platform-apis.md §1.1).
const INVALID_SIGN: i64 = 106001;

/// TikTok's auth host, where tokens are refreshed (§1.1).
pub const AUTH_HOST: &str = "https://auth.tiktok-shops.com";

/// A first poll looks back this far (TT-WIN-1: an unreplied chat times out after 7 days).
const FIRST_POLL_LOOKBACK_SECS: i64 = 7 * 24 * 3600;

/// Each poll re-reads this much before its cursor, so a message stamped a little late
/// is not missed (re-reading is harmless: messages are deduplicated).
const POLL_OVERLAP_SECS: i64 = 120;

/// At most this many pages of conversations, and of messages per conversation, per poll.
const POLL_MAX_PAGES: usize = 10;

/// Refresh an access token this close to its expiry.
const REFRESH_AHEAD_SECS: i64 = 300;

/// The credentials a token refresh renews.
const TOKEN_FIELDS: [&str; 4] = [
    "access_token",
    "access_token_expires_at",
    "refresh_token",
    "refresh_token_expires_at",
];

/// Where [`TikTok::current`] remembers the configured access token, which the renewed
/// tokens it kept descend from (never sent anywhere).
const CONFIGURED_TOKEN: &str = "configured_access_token";

/// Where the renewed tokens of a shop are kept in the host's state.
fn tokens_key(shop: &ShopConnection) -> String {
    format!("tokens:{}", shop.external_id)
}

/// A buyer's orders: this many, newest first, in one call (TT-WB-1).
const BUYER_ORDERS_PAGE: u32 = 20;

/// A product page asks for this many when the query gives no size.
const DEFAULT_PRODUCT_PAGE: u32 = 20;

/// A title search reads at most this many pages of 100 products per call (Search
/// Products has no title filter, so titles are matched here).
const PRODUCT_SCAN_PAGES: usize = 5;

/// The token refresh reply's `data` (§1.1).
#[derive(serde::Deserialize)]
struct TokenData {
    access_token: String,
    #[serde(default)]
    access_token_expire_in: i64,
    refresh_token: String,
    #[serde(default)]
    refresh_token_expire_in: i64,
}

/// The TikTok Shop adapter.
#[derive(Clone, Copy, Debug, Default)]
pub struct TikTok;

fn credentials(shop: &ShopConnection) -> Result<(AppCredentials, ShopSession), AdapterError> {
    Ok((
        AppCredentials {
            app_key: shop.credential("app_key")?.to_owned(),
            app_secret: shop.credential("app_secret")?.to_owned(),
        },
        ShopSession {
            access_token: shop.credential("access_token")?.to_owned(),
            shop_cipher: shop.credential("shop_cipher")?.to_owned(),
        },
    ))
}

/// The core's content JSON for a buyer's TikTok message; `None` for what is not a
/// buyer message worth storing.
fn inbound_content(content: &MessageContent) -> Option<serde_json::Value> {
    Some(match content {
        MessageContent::Text { content } => json!({"type": "text", "text": content}),
        MessageContent::Image { url, .. } => json!({"type": "image", "url": url}),
        MessageContent::Video(v) => {
            json!({"type": "video", "url": v.get("url").and_then(|u| u.as_str()).unwrap_or_default()})
        }
        MessageContent::ProductCard { product_id }
        | MessageContent::BuyerEnterFromProduct { product_id } => {
            json!({"type": "product_card", "product_id": product_id, "title": product_id})
        }
        MessageContent::OrderCard { order_id }
        | MessageContent::BuyerEnterFromOrder { order_id }
        | MessageContent::LogisticsCard { order_id, .. }
        | MessageContent::ReturnRefundCard { order_id, .. } => {
            json!({"type": "order_card", "order_id": order_id})
        }
        MessageContent::CouponCard { coupon_id } => {
            json!({"type": "coupon_card", "code": coupon_id})
        }
        MessageContent::Emoticons(v) => json!({"type": "emoji", "code": v.to_string()}),
        MessageContent::Notice { content, .. } => json!({"type": "system_notice", "text": content}),
        MessageContent::Unknown { .. } => return None,
    })
}

/// TikTok's message for the core's content JSON (TT-MSG-1 has already refused kinds
/// TikTok does not take).
fn outbound(content: &serde_json::Value) -> Result<wire::OutboundMessage, AdapterError> {
    let kind = content
        .get("type")
        .and_then(|t| t.as_str())
        .unwrap_or_default();
    let field = |name: &str| {
        content
            .get(name)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        "text" => Ok(wire::OutboundMessage::Text(field("text"))),
        "emoji" => Ok(wire::OutboundMessage::Text(field("code"))),
        "auto_reply" => Ok(wire::OutboundMessage::Text(field("text"))),
        "product_card" => Ok(wire::OutboundMessage::ProductCard {
            product_id: field("product_id"),
        }),
        "order_card" => Ok(wire::OutboundMessage::OrderCard {
            order_id: field("order_id"),
        }),
        "video" => Err(AdapterError::permanent(
            "unsupported_content",
            "TikTok's VIDEO message takes a `vid` from TikTok's own video storage, and its \
             customer-service API has no video upload (only images/upload): send the video's \
             link as text",
        )),
        other => Err(AdapterError::permanent(
            "unsupported_content",
            format!("TikTok's customer-service API has no message type for `{other}`"),
        )),
    }
}

/// Whether every word of `text` occurs in `title`, ignoring case.
fn title_matches(title: &str, text: &str) -> bool {
    let title = title.to_lowercase();
    text.split_whitespace()
        .all(|word| title.contains(&word.to_lowercase()))
}

/// The workbench's view of a TikTok product.
fn product_info(product: &ProductSummary) -> ProductInfo {
    let price = product
        .skus
        .iter()
        .filter_map(|sku| sku.price.as_ref())
        .find_map(|price| {
            let amount = price
                .sale_price
                .as_deref()
                .or(price.tax_exclusive_price.as_deref())
                .filter(|amount| !amount.is_empty())?;
            Some(match price.currency.as_deref() {
                Some(currency) if !currency.is_empty() => format!("{amount} {currency}"),
                _ => amount.to_owned(),
            })
        });
    let quantities: Vec<i64> = product
        .skus
        .iter()
        .flat_map(|sku| &sku.inventory)
        .filter_map(|inventory| inventory.quantity)
        .collect();
    ProductInfo {
        external_id: product.id.clone(),
        title: product.title.clone(),
        price,
        url: Some(format!("{PRODUCT_PAGE_URL}{}", product.id)),
        image_url: None,
        active: product.status.as_deref() == Some(PRODUCT_STATUS_ACTIVATE),
        stock: (!quantities.is_empty()).then(|| quantities.iter().sum()),
    }
}

/// An order as the contract carries it, its buyer named by `buyer`.
fn order_info(order: &wire::Order, buyer: EventBuyer) -> OrderInfo {
    OrderInfo {
        external_id: order.id.clone(),
        buyer,
        created_at_ms: order.create_time.map(|s| s * 1000),
        status: order.status.clone(),
        // Neither order call says whether a return or refund is under way.
        reverse_in_progress: None,
        name: None,
        total: order.payment.as_ref().and_then(|payment| {
            let amount = payment.total_amount.as_deref().filter(|a| !a.is_empty())?;
            Some(match payment.currency.as_deref() {
                Some(currency) if !currency.is_empty() => format!("{amount} {currency}"),
                _ => amount.to_owned(),
            })
        }),
    }
}

/// A product cursor: the TikTok page token to read, and how many products of that page
/// were already returned (`{skip}:{token}`).
fn parse_product_cursor(cursor: Option<&str>) -> Result<(Option<String>, usize), AdapterError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok((None, 0));
    };
    let bad = || AdapterError::permanent("bad_cursor", "not a cursor this adapter returned");
    let (skip, token) = cursor.split_once(':').ok_or_else(bad)?;
    let skip = skip.parse::<usize>().map_err(|_| bad())?;
    Ok(((!token.is_empty()).then(|| token.to_owned()), skip))
}

fn product_cursor(token: Option<&str>, skip: usize) -> String {
    format!("{skip}:{}", token.unwrap_or_default())
}

/// A buyer's two TikTok ids and nickname, as a conversation's participant names them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct BuyerIds {
    im_user_id: String,
    user_id: String,
    #[serde(default)]
    nickname: Option<String>,
}

/// Which of a buyer's ids is known.
#[derive(Clone, Copy, Debug)]
enum Lookup<'a> {
    /// The chat's `im_user_id` (the inbox's buyer id).
    ImUserId(&'a str),
    /// The orders' `user_id`.
    UserId(&'a str),
}

fn im_key(shop: &ShopConnection, im_user_id: &str) -> String {
    format!("buyer:{}:{im_user_id}", shop.external_id)
}

fn user_key(shop: &ShopConnection, user_id: &str) -> String {
    format!("order-buyer:{}:{user_id}", shop.external_id)
}

/// A value of the host's state, a failure to read it being a miss (the state is a cache
/// here).
fn cached(host: &dyn Host, key: &str) -> Option<BuyerIds> {
    match host.kv_get(key) {
        Ok(value) => value.and_then(|v| serde_json::from_str(&v).ok()),
        Err(e) => {
            host.log(&format!("TikTok: buyer id cache unreadable: {e}"));
            None
        }
    }
}

fn remember(host: &dyn Host, shop: &ShopConnection, ids: &BuyerIds) {
    let Ok(value) = serde_json::to_string(ids) else {
        return;
    };
    for key in [im_key(shop, &ids.im_user_id), user_key(shop, &ids.user_id)] {
        if let Err(e) = host.kv_put(&key, &value) {
            host.log(&format!("TikTok: buyer id cache not written: {e}"));
        }
    }
}

/// Classifies a TikTok reply that is not a success.
fn failure(status: u16, code: i64, message: &str, retry_after: Option<&str>) -> AdapterError {
    let retry_after_ms = retry_after
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(|s| s * 1000);
    let mut e = if status == 429 {
        AdapterError::transient("rate_limited", message.to_owned())
    } else if status >= 500 || status == 408 {
        AdapterError::transient(format!("http_{status}"), message.to_owned())
    } else if code == INVALID_SIGN {
        AdapterError::permanent("invalid_sign", message.to_owned())
    } else if status == 401 {
        AdapterError::permanent("token_expired", message.to_owned())
    } else {
        AdapterError::permanent(format!("tiktok_{code}"), message.to_owned())
    };
    e.retry_after_ms = retry_after_ms;
    e
}

impl Adapter for TikTok {
    fn platform(&self) -> &str {
        crate::PLATFORM
    }

    fn rule_set(&self) -> RuleSet {
        crate::rule_set()
    }

    fn parse_webhook(
        &self,
        shop: &ShopConnection,
        request: &WebhookRequest,
        _now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        verify_webhook(
            shop.credential("app_key")?,
            shop.credential("app_secret")?,
            &request.body,
            request.header("authorization"),
        )
        .map_err(|e: SignatureError| AdapterError::permanent("bad_signature", e.to_string()))?;
        let envelope = WebhookEnvelope::parse(&request.body)
            .map_err(|e| AdapterError::permanent("malformed", e.to_string()))?;
        if envelope.shop_id != shop.external_id {
            return Err(AdapterError::permanent(
                "wrong_shop",
                "the notification is for another shop",
            ));
        }
        let event = envelope
            .event()
            .map_err(|e| AdapterError::permanent("malformed", e.to_string()))?;
        let WebhookEvent::NewMessage(m) = event else {
            return Ok(vec![InboundEvent::Ignored {
                reason: format!("event type {}", envelope.kind),
            }]);
        };
        if m.sender.role != Role::Buyer || !m.is_visible {
            return Ok(vec![InboundEvent::Ignored {
                reason: "not a visible buyer message".into(),
            }]);
        }
        let content = m.parse_content().ok().as_ref().and_then(inbound_content);
        let Some(content) = content else {
            return Ok(vec![InboundEvent::Ignored {
                reason: format!("message type {}", m.kind),
            }]);
        };
        let buyer = m.sender.im_user_id.clone().unwrap_or_default();
        Ok(vec![InboundEvent::Message {
            buyer: EventBuyer {
                external_id: buyer,
                nickname: m.sender.nickname.clone(),
                email: None,
            },
            platform_message_id: m.message_id.clone(),
            platform_conversation_id: Some(m.conversation_id.clone()),
            content,
            sent_at_ms: Utc
                .timestamp_opt(m.create_time, 0)
                .single()
                .map(|t| t.timestamp_millis()),
        }])
    }

    fn send(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        // The tokens in use after the send go back to the host when they differ from the
        // configured ones.
        let kept = &mut self.current(host, shop)?;
        let mut receipt = self.send_once(host, kept, message)?;
        let renewed: std::collections::BTreeMap<String, String> = TOKEN_FIELDS
            .iter()
            .filter_map(|k| {
                let now = kept.credentials.get(*k)?;
                (shop.credentials.get(*k) != Some(now)).then(|| ((*k).to_owned(), now.clone()))
            })
            .collect();
        if !renewed.is_empty() {
            receipt.refreshed_credentials = Some(renewed);
        }
        Ok(receipt)
    }

    fn mark_read(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        let shop = &mut self.current(host, shop)?;
        let _: serde_json::Value = self.call(host, shop, |ctx| {
            wire::read_messages(ctx, platform_conversation_id)
        })?;
        Ok(())
    }

    fn fetch_order(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        let shop = &mut self.current(host, shop)?;
        let details: OrderDetails = self.call(host, shop, |ctx| {
            wire::get_order_detail(ctx, &[order_external_id])
        })?;
        let order = details
            .orders
            .iter()
            .find(|order| order.id == order_external_id)
            .ok_or_else(|| {
                AdapterError::permanent(
                    "order_not_found",
                    format!("TikTok knows no order {order_external_id} in this shop"),
                )
            })?;
        let user_id = order
            .user_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| AdapterError::permanent("malformed", "the order names no buyer"))?;
        // The inbox knows buyers by their chat id; an order's `user_id` maps to it
        // through a conversation. A buyer who never chatted keeps the order's id.
        let buyer = match self.buyer_ids(host, shop, Lookup::UserId(&user_id))? {
            Some(ids) => EventBuyer {
                external_id: ids.im_user_id,
                nickname: ids.nickname,
                email: None,
            },
            None => EventBuyer {
                external_id: user_id,
                nickname: None,
                email: None,
            },
        };
        Ok(order_info(order, buyer))
    }

    fn fetch_buyer(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        buyer_external_id: &str,
    ) -> Result<BuyerProfile, AdapterError> {
        let shop = &mut self.current(host, shop)?;
        // rule: TT-WB-1 — beside a conversation, the buyer's order history in this shop:
        // Get Order List filtered by the buyer's `user_id` (orders do not know the chat's
        // `im_user_id`, so it is mapped through the shop's conversations first).
        let ids = self
            .buyer_ids(host, shop, Lookup::ImUserId(buyer_external_id))?
            .ok_or_else(|| {
                AdapterError::permanent(
                    "unknown_buyer",
                    format!(
                        "no conversation of this shop has buyer {buyer_external_id}, so \
                         TikTok's user id for their orders is unknown"
                    ),
                )
            })?;
        let page: OrdersPage = self.call(host, shop, |ctx| {
            wire::search_orders(
                ctx,
                &OrderSearchQuery {
                    page_size: BUYER_ORDERS_PAGE,
                    sort_field: Some("create_time".into()),
                    sort_order: Some(SortOrder::Desc),
                    buyer_user_id: Some(ids.user_id.clone()),
                    ..OrderSearchQuery::default()
                },
            )
        })?;
        let buyer = EventBuyer {
            external_id: buyer_external_id.to_owned(),
            nickname: ids.nickname.clone(),
            email: None,
        };
        let mut orders: Vec<OrderInfo> = page
            .orders
            .iter()
            .filter(|order| {
                order
                    .user_id
                    .as_deref()
                    .is_none_or(|user| user == ids.user_id)
            })
            .map(|order| order_info(order, buyer.clone()))
            .collect();
        orders.sort_by_key(|order| std::cmp::Reverse(order.created_at_ms));
        Ok(BuyerProfile {
            external_id: buyer_external_id.to_owned(),
            nickname: ids.nickname,
            // TikTok's `buyer_email` is an anonymized relay it asks sellers not to write to.
            email: None,
            orders_count: page.total_count.and_then(|count| u64::try_from(count).ok()),
            orders,
            ..BuyerProfile::default()
        })
    }

    fn search_products(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        query: &ProductQuery,
    ) -> Result<ProductPage, AdapterError> {
        let shop = &mut self.current(host, shop)?;
        let want = match query.page_size {
            0 => DEFAULT_PRODUCT_PAGE,
            n => n.min(100),
        } as usize;
        let text = query
            .text
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty());
        // rule: TT-WB-1 — the shop's active products: Search Products with status ACTIVATE
        // when only products on sale are asked for.
        let status = query
            .active_only
            .then(|| PRODUCT_STATUS_ACTIVATE.to_owned());
        // Titles are matched here (the API has no title filter): read full pages then.
        let per_page = if text.is_some() { 100 } else { want as u32 };
        let (mut token, mut skip) = parse_product_cursor(query.cursor.as_deref())?;
        let mut products = Vec::new();
        for _ in 0..PRODUCT_SCAN_PAGES {
            let page: ProductsPage = self.call(host, shop, |ctx| {
                wire::search_products(
                    ctx,
                    &ProductSearchQuery {
                        page_size: per_page,
                        page_token: token.clone(),
                        status: status.clone(),
                    },
                )
            })?;
            for (index, product) in page.products.iter().enumerate().skip(skip) {
                let wanted = (!query.active_only
                    || product.status.as_deref() == Some(PRODUCT_STATUS_ACTIVATE))
                    && text.is_none_or(|text| title_matches(&product.title, text));
                if !wanted {
                    continue;
                }
                if products.len() == want {
                    return Ok(ProductPage {
                        products,
                        next_cursor: Some(product_cursor(token.as_deref(), index)),
                    });
                }
                products.push(product_info(product));
            }
            skip = 0;
            match page.next_page_token.filter(|t| !t.is_empty()) {
                None => {
                    return Ok(ProductPage {
                        products,
                        next_cursor: None,
                    });
                }
                Some(next) => token = Some(next),
            }
            if products.len() == want {
                break;
            }
        }
        Ok(ProductPage {
            products,
            next_cursor: Some(product_cursor(token.as_deref(), 0)),
        })
    }

    fn polls(&self) -> bool {
        true
    }

    fn poll(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        cursor: Option<&str>,
    ) -> Result<PollPage, AdapterError> {
        let shop = &mut self.current(host, shop)?;
        let now_secs = host.now_unix_ms() / 1000;
        let since = cursor
            .and_then(|c| c.parse::<i64>().ok())
            .map_or(now_secs - FIRST_POLL_LOOKBACK_SECS, |c| {
                c - POLL_OVERLAP_SECS
            });
        let mut newest = cursor.and_then(|c| c.parse::<i64>().ok()).unwrap_or(since);
        let mut events = Vec::new();
        let mut page_token: Option<String> = None;
        'conversations: for _ in 0..POLL_MAX_PAGES {
            let page: ConversationsPage = self.call(host, shop, |ctx| {
                Ok(wire::get_conversations(
                    ctx,
                    &ConversationsQuery {
                        page_size: 20,
                        page_token: page_token.clone(),
                        locale: None,
                    },
                ))
            })?;
            for conversation in &page.conversations {
                let latest = conversation
                    .latest_message
                    .as_ref()
                    .map_or(conversation.create_time, |m| m.create_time);
                if latest < since {
                    // Conversations come most recently active first.
                    break 'conversations;
                }
                newest = newest.max(latest);
                events.extend(self.messages_since(host, shop, &conversation.id, since)?);
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => page_token = Some(t),
                None => break,
            }
        }
        events.reverse();
        Ok(PollPage {
            events,
            cursor: Some(newest.to_string()),
        })
    }
}

impl TikTok {
    /// The shop with its freshest tokens, for the calls of one adapter method: those kept
    /// in the host's state (`tokens:{shop}`) when they descend from the configured access
    /// token (remembered under [`CONFIGURED_TOKEN`]), renewed first when they expire
    /// within five minutes.
    fn current(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
    ) -> Result<ShopConnection, AdapterError> {
        let mut shop = shop.clone();
        let configured = shop.credential("access_token")?.to_owned();
        shop.credentials
            .insert(CONFIGURED_TOKEN.into(), configured.clone());
        if let Some(kept) = host.kv_get(&tokens_key(&shop))? {
            match serde_json::from_str::<std::collections::BTreeMap<String, String>>(&kept) {
                Ok(kept) if kept.get("base_access_token") == Some(&configured) => {
                    shop.credentials.extend(
                        kept.into_iter()
                            .filter(|(k, _)| TOKEN_FIELDS.contains(&k.as_str())),
                    );
                }
                Ok(_) => {}
                Err(e) => host.log(&format!("TikTok: the kept tokens are unreadable ({e})")),
            }
        }
        let now_secs = host.now_unix_ms() / 1000;
        let due = shop
            .credentials
            .get("access_token_expires_at")
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|at| at - now_secs <= REFRESH_AHEAD_SECS);
        if due && shop.credentials.contains_key("refresh_token") {
            self.renew(host, &mut shop)?;
        }
        Ok(shop)
    }

    /// Refreshes the tokens and keeps them in the host's state for every later call.
    fn renew(&self, host: &dyn Host, shop: &mut ShopConnection) -> Result<(), AdapterError> {
        let new = self.refresh(host, shop)?;
        shop.credentials.extend(new.clone());
        let mut kept = new;
        kept.insert(
            "base_access_token".into(),
            shop.credential(CONFIGURED_TOKEN)?.to_owned(),
        );
        host.kv_put(
            &tokens_key(shop),
            &serde_json::to_string(&kept).unwrap_or_default(),
        )
    }

    /// A signed call of the shop's API (a shop from [`TikTok::current`]), its `data`
    /// decoded. When TikTok says the token expired, it is renewed — in `shop` too, for
    /// the method's next calls — and the call tried once more.
    fn call<T: serde::de::DeserializeOwned>(
        &self,
        host: &dyn Host,
        shop: &mut ShopConnection,
        build: impl Fn(&RequestContext<'_>) -> Result<wire::WireRequest, wire::WireError>,
    ) -> Result<T, AdapterError> {
        match self.call_once(host, shop, &build) {
            Err(e)
                if e.code == "token_expired" && shop.credentials.contains_key("refresh_token") =>
            {
                self.renew(host, shop)?;
                self.call_once(host, shop, &build)
            }
            other => other,
        }
    }

    /// One signed call with the tokens as they are.
    fn call_once<T: serde::de::DeserializeOwned>(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        build: &impl Fn(&RequestContext<'_>) -> Result<wire::WireRequest, wire::WireError>,
    ) -> Result<T, AdapterError> {
        let (app, session) = credentials(shop)?;
        let now = Utc
            .timestamp_millis_opt(host.now_unix_ms())
            .single()
            .unwrap_or_else(Utc::now);
        let ctx = RequestContext {
            host: shop.api_base.as_deref().unwrap_or(API_HOST),
            credentials: &app,
            shop: &session,
            now,
        };
        let request =
            build(&ctx).map_err(|e| AdapterError::permanent("bad_request", e.to_string()))?;
        let response = host.http(HttpRequest {
            method: request.method.as_str().to_owned(),
            url: request.url(),
            headers: request.headers.clone(),
            body: request.body.clone(),
            timeout_ms: Some(10_000),
        })?;
        let parsed: Option<ApiResponse<T>> = serde_json::from_slice(&response.body).ok();
        match parsed {
            Some(ApiResponse {
                code: 0,
                data: Some(data),
                ..
            }) if response.status == 200 => Ok(data),
            Some(r) => Err(failure(
                response.status,
                r.code,
                &r.message,
                response.header("retry-after"),
            )),
            None => Err(failure(
                response.status,
                0,
                &format!("HTTP {} without a TikTok reply", response.status),
                response.header("retry-after"),
            )),
        }
    }

    /// A buyer's ids, from the host's state or else from the shop's conversations
    /// (remembered once found); `None` when no conversation names the buyer.
    fn buyer_ids(
        &self,
        host: &dyn Host,
        shop: &mut ShopConnection,
        lookup: Lookup<'_>,
    ) -> Result<Option<BuyerIds>, AdapterError> {
        let key = match lookup {
            Lookup::ImUserId(id) => im_key(shop, id),
            Lookup::UserId(id) => user_key(shop, id),
        };
        if let Some(ids) = cached(host, &key) {
            return Ok(Some(ids));
        }
        let mut page_token: Option<String> = None;
        for _ in 0..POLL_MAX_PAGES {
            let page: ConversationsPage = self.call(host, shop, |ctx| {
                Ok(wire::get_conversations(
                    ctx,
                    &ConversationsQuery {
                        page_size: 20,
                        page_token: page_token.clone(),
                        locale: None,
                    },
                ))
            })?;
            for participant in page
                .conversations
                .iter()
                .flat_map(|conversation| &conversation.participants)
                .filter(|participant| participant.role == Role::Buyer)
            {
                let (Some(im_user_id), Some(user_id)) =
                    (&participant.im_user_id, &participant.user_id)
                else {
                    continue;
                };
                let hit = match lookup {
                    Lookup::ImUserId(id) => im_user_id == id,
                    Lookup::UserId(id) => user_id == id,
                };
                if hit {
                    let ids = BuyerIds {
                        im_user_id: im_user_id.clone(),
                        user_id: user_id.clone(),
                        nickname: Some(participant.nickname.clone()).filter(|n| !n.is_empty()),
                    };
                    remember(host, shop, &ids);
                    return Ok(Some(ids));
                }
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(t) => page_token = Some(t),
                None => break,
            }
        }
        Ok(None)
    }

    /// The bytes of an image to upload, fetched through the host.
    fn fetch_image(&self, host: &dyn Host, url: &str) -> Result<Vec<u8>, AdapterError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(AdapterError::permanent(
                "bad_media_url",
                "the image's URL is not an http(s) URL",
            ));
        }
        let response = host
            .http(HttpRequest {
                method: "GET".into(),
                url: url.to_owned(),
                headers: vec![],
                body: vec![],
                timeout_ms: Some(10_000),
            })
            .map_err(|e| AdapterError {
                code: format!("media_{}", e.code),
                message: format!("the image could not be fetched: {}", e.message),
                ..e
            })?;
        if !(200..300).contains(&response.status) {
            let mut e = AdapterError::from_status(
                &response,
                format!("the image could not be fetched: HTTP {}", response.status),
            );
            e.code = format!("media_{}", e.code);
            return Err(e);
        }
        if response.body.len() > IMAGE_UPLOAD_MAX_BYTES {
            return Err(AdapterError::permanent(
                "media_too_large",
                format!(
                    "the image has {} bytes; TikTok takes at most {IMAGE_UPLOAD_MAX_BYTES}",
                    response.body.len()
                ),
            ));
        }
        if wire::ImageFormat::sniff(&response.body).is_none() {
            return Err(AdapterError::permanent(
                "unsupported_media_type",
                "the image is not a jpg, gif, webp or png, the formats TikTok takes",
            ));
        }
        Ok(response.body)
    }

    /// The IMAGE message for an image at `url`: fetched, uploaded, and named by the URL
    /// and size TikTok returns.
    fn upload(
        &self,
        host: &dyn Host,
        shop: &mut ShopConnection,
        url: &str,
    ) -> Result<wire::OutboundMessage, AdapterError> {
        let bytes = self.fetch_image(host, url)?;
        let uploaded: UploadedImage =
            self.call(host, shop, |ctx| wire::upload_image(ctx, &bytes))?;
        match (uploaded.width, uploaded.height) {
            (Some(width), Some(height)) if !uploaded.url.is_empty() => {
                Ok(wire::OutboundMessage::Image {
                    url: uploaded.url,
                    width,
                    height,
                })
            }
            _ => Err(AdapterError::transient(
                "malformed",
                "TikTok's image upload reply lacks the url or size",
            )),
        }
    }

    /// The buyer messages of a conversation at or after `since`, newest first.
    fn messages_since(
        &self,
        host: &dyn Host,
        shop: &mut ShopConnection,
        conversation: &str,
        since: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        let mut out = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..POLL_MAX_PAGES {
            let page: MessagesPage = self.call(host, shop, |ctx| {
                wire::get_messages(
                    ctx,
                    conversation,
                    &MessagesQuery {
                        page_size: 50,
                        page_token: page_token.clone(),
                        locale: None,
                        sort_order: Some(SortOrder::Desc),
                        sort_field: None,
                    },
                )
            })?;
            for m in &page.messages {
                if m.create_time < since {
                    return Ok(out);
                }
                if m.sender.role != Role::Buyer || !m.is_visible {
                    continue;
                }
                let Some(content) = m.parse_content().ok().as_ref().and_then(inbound_content)
                else {
                    continue;
                };
                out.push(InboundEvent::Message {
                    buyer: EventBuyer {
                        external_id: m.sender.im_user_id.clone().unwrap_or_default(),
                        nickname: m.sender.nickname.clone(),
                        email: None,
                    },
                    platform_message_id: m.id.clone(),
                    platform_conversation_id: Some(conversation.to_owned()),
                    content,
                    sent_at_ms: Some(m.create_time * 1000),
                });
            }
            match page.next_page_token.clone().filter(|t| !t.is_empty()) {
                Some(t) => page_token = Some(t),
                None => break,
            }
        }
        Ok(out)
    }

    /// Renews the shop's tokens (`GET /api/v2/token/refresh`); returns the new ones.
    fn refresh(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
    ) -> Result<std::collections::BTreeMap<String, String>, AdapterError> {
        let base = shop
            .credentials
            .get("auth_base")
            .map(String::as_str)
            .unwrap_or(AUTH_HOST);
        let url = format!(
            "{}/api/v2/token/refresh?app_key={}&app_secret={}&refresh_token={}&grant_type=refresh_token",
            base.trim_end_matches('/'),
            encode(shop.credential("app_key")?),
            encode(shop.credential("app_secret")?),
            encode(shop.credential("refresh_token")?),
        );
        let response = host.http(HttpRequest {
            method: "GET".into(),
            url,
            headers: vec![],
            body: vec![],
            timeout_ms: Some(10_000),
        })?;
        let parsed: Option<ApiResponse<TokenData>> = serde_json::from_slice(&response.body).ok();
        match parsed {
            Some(ApiResponse {
                code: 0,
                data: Some(t),
                ..
            }) if response.status == 200 => {
                host.log("TikTok access token refreshed.");
                Ok([
                    ("access_token", t.access_token),
                    (
                        "access_token_expires_at",
                        t.access_token_expire_in.to_string(),
                    ),
                    ("refresh_token", t.refresh_token),
                    (
                        "refresh_token_expires_at",
                        t.refresh_token_expire_in.to_string(),
                    ),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect())
            }
            Some(r) if response.status < 500 && response.status != 429 => {
                Err(AdapterError::permanent(
                    "token_expired",
                    format!("token refresh refused: {} ({})", r.message, r.code),
                ))
            }
            _ => Err(AdapterError::from_status(
                &response,
                format!("token refresh failed with HTTP {}", response.status),
            )),
        }
    }

    fn send_once(
        &self,
        host: &dyn Host,
        shop: &mut ShopConnection,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        // A shop without credentials says so before anything else.
        credentials(shop)?;
        let conversation = message.platform_conversation_id.as_deref().ok_or_else(|| {
            AdapterError::permanent(
                "no_conversation",
                "TikTok's conversation with this buyer is not known yet",
            )
        })?;
        let outgoing = match message.content.get("type").and_then(|t| t.as_str()) {
            Some("image") => {
                let url = message
                    .content
                    .get("url")
                    .and_then(|u| u.as_str())
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| {
                        AdapterError::permanent("bad_content", "an image message needs a `url`")
                    })?;
                self.upload(host, shop, url)?
            }
            _ => outbound(&message.content)?,
        };
        let sent: SendMessageData = self.call(host, shop, |ctx| {
            wire::send_message(
                ctx,
                conversation,
                &outgoing,
                Some(SenderRole::CustomerService),
            )
        })?;
        Ok(SendReceipt::sent(sent.message_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::webhook_signature;

    fn shop() -> ShopConnection {
        ShopConnection {
            external_id: "7494".into(),
            credentials: [
                ("app_key", "key1"),
                ("app_secret", "secret1"),
                ("access_token", "tok"),
                ("shop_cipher", "ciph"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            ..Default::default()
        }
    }

    fn delivery(body: &str, signature: Option<String>) -> WebhookRequest {
        WebhookRequest {
            headers: signature
                .map(|s| vec![("authorization".to_owned(), s)])
                .unwrap_or_default(),
            body: body.as_bytes().to_vec(),
        }
    }

    const NEW_MESSAGE: &str = r#"{"type":14,"tts_notification_id":"n1","shop_id":"7494","timestamp":1700000000,
        "data":{"message_id":"m-1","conversation_id":"c-9","type":"TEXT","content":"{\"content\":\"Hola\"}",
        "create_time":1700000000,"is_visible":true,"sender":{"im_user_id":"buyer-7","role":"BUYER"}}}"#;

    #[test]
    fn a_signed_buyer_message_becomes_an_inbound_message() {
        let sig = webhook_signature("key1", "secret1", NEW_MESSAGE.as_bytes());
        let events = TikTok
            .parse_webhook(&shop(), &delivery(NEW_MESSAGE, Some(sig)), 0)
            .unwrap();
        let InboundEvent::Message {
            buyer,
            platform_message_id,
            platform_conversation_id,
            content,
            ..
        } = &events[0]
        else {
            panic!("{events:?}")
        };
        assert_eq!(buyer.external_id, "buyer-7");
        assert_eq!(platform_message_id, "m-1");
        assert_eq!(platform_conversation_id.as_deref(), Some("c-9"));
        assert_eq!(content, &json!({"type": "text", "text": "Hola"}));
    }

    #[test]
    fn bad_or_missing_signatures_and_other_shops_are_refused() {
        let sig = webhook_signature("key1", "secret1", NEW_MESSAGE.as_bytes());
        let tampered = NEW_MESSAGE.replace("Hola", "Hol4");
        for (body, sig) in [
            (NEW_MESSAGE.to_owned(), None),
            (tampered, Some(sig.clone())),
        ] {
            let e = TikTok
                .parse_webhook(&shop(), &delivery(&body, sig), 0)
                .unwrap_err();
            assert_eq!(e.code, "bad_signature");
        }
        let other = ShopConnection {
            external_id: "1111".into(),
            ..shop()
        };
        let e = TikTok
            .parse_webhook(&other, &delivery(NEW_MESSAGE, Some(sig)), 0)
            .unwrap_err();
        assert_eq!(e.code, "wrong_shop");
    }

    #[test]
    fn failures_are_classified_for_retries() {
        assert!(failure(503, 0, "x", None).retryable);
        let e = failure(429, 0, "x", Some("3"));
        assert_eq!((e.retryable, e.retry_after_ms), (true, Some(3000)));
        assert_eq!(failure(200, INVALID_SIGN, "x", None).code, "invalid_sign");
        assert!(!failure(400, 36009004, "x", None).retryable);
    }
}
