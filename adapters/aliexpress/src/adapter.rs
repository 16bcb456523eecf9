//! AliExpress as a shopmux [`Adapter`], over the message-centre (站内信/订单留言) APIs of
//! the IOP gateway: buyer messages are polled (AliExpress documents no message push),
//! replies go out with `addmsg`, relations are marked read with `updatemsgread`, and
//! orders are looked up with `aliexpress.solution.order.info.get` / `.order.get`.
//!
//! **What this does not reach**: AliExpress's buyer chat (IM, 买家会话) has no open API,
//! and the seller FAQ says message-centre messages are not synchronized into IM (seed
//! 000). So this adapter sees what the open platform offers — the message centre — not
//! the IM chat window of the seller's back office (see the crate's README).
//!
//! Credentials of a shop connection: `app_key`, `app_secret`, `access_token` (sent as
//! `session`), and for renewal `refresh_token` with, optionally,
//! `access_token_expires_at` (Unix seconds). `seller_login_id` is the `seller_id` of
//! `addmsg` (the shop's external id when absent). The API base (`api_base`) replaces
//! `https://api-sg.aliexpress.com` (the simulator's address in tests).
//!
//! Tokens: one due to expire within five minutes is renewed before a call, and one the
//! gateway refuses (`IllegalAccessToken`) is renewed and the call tried once more. The
//! new tokens go back to the host in a send's receipt, and are kept in the adapter's
//! key-value state (`tokens/{shop}`) so polls and look-ups use them too.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::adapter::{
    Adapter, AdapterError, BuyerProfile, Capabilities, EntryPoint, EventBuyer, Host, HttpRequest,
    HttpResponse, InboundEvent, OrderInfo, OutboundMessage, OutboundRefusal, PollPage, SendReceipt,
    ShopConnection, WebhookRequest,
};
use shopmux_contract::content::{CouponScope, MessageContent};
use shopmux_contract::rules::RuleSet;
use shopmux_contract::{ContentKind, Platform};

use crate::wire::{
    self, ActionReply, AppCredentials, CreateMessage, DetailListReply, GatewayError, MessageDetail,
    MessageKind, OrderInfoReply, OrderListReply, OrderQuery, Relation, RelationListReply,
    RelationQuery, RequestContext, WireError, WireRequest, method,
};

/// A first poll looks back this far (AE-WIN-2: a buyer's message can be answered for 30
/// days).
const FIRST_POLL_LOOKBACK_MS: i64 = 30 * 24 * 3600 * 1000;

/// Each poll re-reads this much before its cursor, so a message stamped a little before
/// one already seen is not missed; the cursor remembers the ids of this window, so none
/// is emitted twice.
const POLL_OVERLAP_MS: i64 = 2 * 60 * 1000;

/// Rows per relation or message page (the platform's maximum).
const PAGE_SIZE: u32 = wire::MAX_PAGE_SIZE;

/// At most this many pages of relations, and of messages per relation, per poll.
const POLL_MAX_PAGES: u32 = 10;

/// Renew an access token this close to its expiry.
const REFRESH_AHEAD_SECS: i64 = 300;

/// A buyer panel lists the orders of this many days (the order list's default range).
const BUYER_ORDERS_DAYS: i64 = 180;

/// How long one HTTP call may take.
const CALL_TIMEOUT_MS: u64 = 10_000;

/// The AliExpress adapter.
#[derive(Clone, Copy, Debug, Default)]
pub struct AliExpress;

/// What one poll saw, carried to the next: the horizon (Unix ms) before which messages
/// count as seen, and the buyer messages seen at or after `horizon - overlap`.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    /// Format version.
    v: u32,
    /// Newest message time covered, Unix ms.
    t: i64,
    /// `(message id, time)` of the messages in the overlap window.
    seen: Vec<(String, i64)>,
}

impl Cursor {
    fn parse(text: Option<&str>) -> Result<Option<Cursor>, AdapterError> {
        text.map(|text| {
            serde_json::from_str::<Cursor>(text).map_err(|e| {
                AdapterError::permanent(
                    "bad_cursor",
                    format!("the stored AliExpress poll cursor is not readable: {e}"),
                )
            })
        })
        .transpose()
    }
}

/// The content of a buyer's message, with the id of each: its text (or, without text,
/// the order or product it is about), then its images.
fn content_events(message: &MessageDetail) -> Vec<(String, MessageContent)> {
    let mut out = Vec::new();
    let text = message.content.as_deref().unwrap_or_default().trim();
    let extern_id = message
        .extern_id
        .as_deref()
        .filter(|id| !id.is_empty() && *id != "0");
    let summary = message.summary.clone().unwrap_or_default();
    if !text.is_empty() {
        out.push((
            message.id.clone(),
            MessageContent::Text {
                text: text.to_owned(),
            },
        ));
    } else {
        match (message.message_type.as_deref(), extern_id) {
            (Some("order"), Some(order)) => {
                out.push((
                    message.id.clone(),
                    MessageContent::OrderCard {
                        order_id: order.to_owned(),
                        status: None,
                    },
                ));
            }
            (Some("product"), Some(product)) => {
                let card = MessageContent::ProductCard {
                    product_id: product.to_owned(),
                    title: summary
                        .product_name
                        .clone()
                        .unwrap_or_else(|| product.to_owned()),
                    url: summary.product_detail_url.clone(),
                };
                out.push((message.id.clone(), card));
            }
            _ => {}
        }
    }
    // Images are messages of their own (one content each), their ids derived from the
    // platform's so they stay stable across polls.
    let images: Vec<String> = message
        .file_path_list
        .clone()
        .into_vec()
        .iter()
        .filter_map(|path| path.best().map(str::to_owned))
        .collect();
    for (n, url) in images.into_iter().enumerate() {
        let id = if out.is_empty() && n == 0 {
            message.id.clone()
        } else {
            format!("{}:img{n}", message.id)
        };
        out.push((id, MessageContent::Image { url }));
    }
    out
}

/// Whether a message of a relation was sent by its buyer (not the seller or a
/// sub-account): the sender is the relation's other party.
fn from_buyer(message: &MessageDetail, relation: &Relation) -> bool {
    let sender = message
        .sender_ali_id
        .as_deref()
        .or_else(|| message.summary.as_ref()?.sender_ali_id.as_deref());
    if let (Some(sender), Some(buyer)) = (sender, relation.other_ali_id.as_deref()) {
        return sender == buyer;
    }
    let login = message
        .summary
        .as_ref()
        .and_then(|s| s.sender_login_id.as_deref());
    matches!((login, relation.other_login_id.as_deref()), (Some(a), Some(b)) if a == b)
}

/// Where the buyer wrote from (ALL-SRC-1), as the message's attachment says: an order's
/// message board (`order`) or a product's (`product`); a shop message (`member`) does not
/// say.
fn entry_point(message: &MessageDetail) -> Option<EntryPoint> {
    match message.message_type.as_deref() {
        Some("order") => Some(EntryPoint::OrderPage),
        Some("product") => Some(EntryPoint::ProductPage),
        _ => None,
    }
}

/// The buyer's id in shopmux: their login id (what `addmsg` and the order APIs take),
/// else their numeric id.
fn buyer_of(relation: &Relation) -> EventBuyer {
    EventBuyer {
        external_id: relation
            .other_login_id
            .clone()
            .or_else(|| relation.other_ali_id.clone())
            .unwrap_or_default(),
        nickname: relation.other_name.clone(),
        ..EventBuyer::default()
    }
}

/// A numeric id for `extern_id`, or a permanent error naming it.
fn numeric_id(what: &str, id: &str) -> Result<i64, AdapterError> {
    id.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
        AdapterError::permanent(
            "unsupported_content",
            format!("AliExpress takes numeric {what} ids; `{id}` is not one"),
        )
    })
}

/// AE-COUPON-1: a coupon card that does not say it is store-wide (targeted, or no scope).
fn coupon_refusal(content: &MessageContent, rules: &RuleSet) -> Option<OutboundRefusal> {
    let rule = rules.limits.store_wide_coupons_only.as_ref()?;
    let MessageContent::CouponCard { code, scope, .. } = content else {
        return None;
    };
    let scope = match scope {
        Some(CouponScope::Store) => return None,
        Some(CouponScope::Targeted) => "targeted",
        None => "not marked store-wide",
    };
    // rule: AE-COUPON-1 (only store-wide coupons can be sent in chat)
    Some(OutboundRefusal {
        rule: rule.clone(),
        message: format!(
            "only store-wide coupons can be sent in AliExpress chat; `{code}` is {scope}"
        ),
    })
}

/// AE-AUTO-4: an automatic message carries 3 to 9 quick actions when it carries any.
fn auto_reply_refusal(content: &MessageContent, rules: &RuleSet) -> Option<OutboundRefusal> {
    let rule = rules.auto_reply.as_ref()?;
    let MessageContent::AutoReply { actions, .. } = content else {
        return None;
    };
    let n = actions.len() as u32;
    if n == 0 || (rule.min_actions..=rule.max_actions).contains(&n) {
        return None;
    }
    // rule: AE-AUTO-4 (3 to 9 quick actions)
    Some(OutboundRefusal {
        rule: rule.actions_rule.clone(),
        message: format!(
            "{n} quick actions: an automatic message carries {} to {}",
            rule.min_actions, rule.max_actions
        ),
    })
}

/// A text that is there: `None` for an absent or empty one.
fn given(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|text| !text.is_empty())
}

/// The name of a content kind as the contract writes it (`product_list`).
fn kind_name(kind: ContentKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|name| name.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The message-centre message for a content, or a permanent error for what the message
/// centre cannot carry.
fn outbound(
    content: &MessageContent,
) -> Result<(MessageKind, i64, String, Option<String>), AdapterError> {
    Ok(match content {
        MessageContent::Text { text } => (MessageKind::Member, 0, text.clone(), None),
        MessageContent::Emoji { code } => (MessageKind::Member, 0, code.clone(), None),
        // An image travels in `img_path`, with no text.
        MessageContent::Image { url } if url.is_empty() => {
            return Err(AdapterError::permanent(
                "unsupported_content",
                "an image without a URL cannot be sent",
            ));
        }
        MessageContent::Image { url } => (MessageKind::Member, 0, String::new(), Some(url.clone())),
        MessageContent::ProductCard {
            product_id,
            title,
            url,
        } => {
            let title = if title.is_empty() { product_id } else { title };
            let text = match given(url) {
                None => title.clone(),
                Some(url) => format!("{title} {url}"),
            };
            let id = numeric_id("product", product_id)?;
            (MessageKind::Product, id, text, None)
        }
        MessageContent::OrderCard { order_id, status } => {
            let text = match given(status) {
                None => format!("Order {order_id}"),
                Some(status) => format!("Order {order_id}: {status}"),
            };
            let id = numeric_id("order", order_id)?;
            (MessageKind::Order, id, text, None)
        }
        MessageContent::CouponCard { code, title, .. } => {
            let text = match given(title) {
                None => format!("Coupon: {code}"),
                Some(title) => format!("Coupon: {title} ({code})"),
            };
            (MessageKind::Member, 0, text, None)
        }
        MessageContent::AutoReply { text, actions } => {
            let mut text = text.clone();
            for action in actions {
                text.push_str(&format!("\n- {}: {}", action.title, action.content));
            }
            (MessageKind::Member, 0, text, None)
        }
        other => {
            return Err(AdapterError::permanent(
                "unsupported_content",
                format!(
                    "AliExpress's message centre cannot carry `{}` messages",
                    kind_name(other.kind())
                ),
            ));
        }
    })
}

/// Classifies a gateway error (`{type, code, message}`).
fn gateway_failure(error: &GatewayError) -> AdapterError {
    let message = error
        .message
        .clone()
        .or_else(|| error.sub_msg.clone())
        .unwrap_or_else(|| error.code.clone());
    let sub = error.sub_code.as_deref().unwrap_or_default();
    match error.code.as_str() {
        // IOP's invalid-or-expired token; TOP's 27 / invalid-sessionkey.
        "IllegalAccessToken" | "27" => AdapterError::permanent("token_expired", message),
        "IncompleteSignature" | "25" => AdapterError::permanent("invalid_sign", message),
        "ApiCallLimit" | "AppCallLimit" | "7" => AdapterError::transient("rate_limited", message),
        _ if sub.contains("sessionkey") => AdapterError::permanent("token_expired", message),
        _ if matches!(error.kind.as_deref(), Some("ISP" | "SYSTEM")) => {
            AdapterError::transient(format!("aliexpress_{}", error.code), message)
        }
        code => AdapterError::permanent(format!("aliexpress_{code}"), message),
    }
}

/// Classifies what the HTTP layer says before the body is read: 408, 429 and 5xx.
fn http_failure(response: &HttpResponse) -> Option<AdapterError> {
    let status = response.status;
    (status == 408 || status == 429 || status >= 500)
        .then(|| AdapterError::from_status(response, format!("AliExpress answered HTTP {status}")))
}

/// A business refusal inside a successful reply.
fn business_failure(code: Option<&str>, message: Option<&str>) -> AdapterError {
    AdapterError::permanent(
        format!("aliexpress_{}", code.unwrap_or("refused")),
        message.unwrap_or("AliExpress refused the call").to_owned(),
    )
}

fn to_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(Utc::now)
}

impl Adapter for AliExpress {
    fn platform(&self) -> &Platform {
        &crate::PLATFORM
    }

    /// Polled in (no message push), sent with `addmsg`, marked read, vetted (AE-COUPON-1,
    /// AE-AUTO-4), orders and buyers looked up.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            sends: true,
            polls: true,
            marks_read: true,
            vets_outbound: true,
            order_look_up: true,
            buyer_look_up: true,
            ..Capabilities::default()
        }
    }

    fn rule_set(&self) -> RuleSet {
        crate::rule_set()
    }

    /// AliExpress documents no message push for sellers (§3.3), so there is no webhook
    /// to verify: every delivery is refused.
    fn parse_webhook(
        &self,
        _shop: &ShopConnection,
        _request: &WebhookRequest,
        _now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        Err(AdapterError::permanent(
            "unsupported",
            "AliExpress documents no message push; its messages are polled",
        ))
    }

    fn send(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        // The platform's rules on content, checked here too: a message that reached the
        // outbox another way must not go out either.
        let rules = crate::rule_set();
        if let Some(refusal) = coupon_refusal(&message.content, &rules)
            .or_else(|| auto_reply_refusal(&message.content, &rules))
        {
            return Err(AdapterError::permanent(refusal.rule, refusal.message));
        }
        let (message_type, extern_id, content, img_path) = outbound(&message.content)?;
        if content.trim().is_empty() && img_path.is_none() {
            return Err(AdapterError::permanent(
                "unsupported_content",
                "an empty message cannot be sent",
            ));
        }
        if message.buyer_external_id.is_empty() {
            return Err(AdapterError::permanent(
                "no_buyer",
                "the buyer's AliExpress login id is not known",
            ));
        }
        let mut session = Session::open(host, shop)?;
        let create = CreateMessage {
            buyer_id: message.buyer_external_id.clone(),
            content: content.clone(),
            extern_id,
            img_path,
            message_type,
            seller_id: session.seller_login_id(),
        };
        let sent: ActionReply =
            session.call(method::ADD_MESSAGE, |ctx| wire::add_message(ctx, &create))?;
        if !sent.is_success {
            return Err(business_failure(
                sent.sub_error_code.as_deref(),
                sent.error_msg.as_deref(),
            ));
        }
        let channel = sent
            .channel_id
            .clone()
            .or_else(|| message.platform_conversation_id.clone());
        // The reply carries no message id: find the message in the relation; failing
        // that (the send itself succeeded), a stable id of our own.
        let found = channel
            .as_deref()
            .and_then(|channel| session.find_sent(channel, &message.buyer_external_id, &content));
        let id = match (found, &channel) {
            (Some(id), _) => id,
            (None, Some(channel)) => format!("sent:{channel}:{}", message.idempotency_key),
            (None, None) => format!("sent:{}", message.idempotency_key),
        };
        Ok(SendReceipt {
            platform_message_id: Some(id),
            refreshed_credentials: session.renewed,
        })
    }

    fn vet_outbound(
        &self,
        _host: &dyn Host,
        _shop: &ShopConnection,
        content: &MessageContent,
        rules: &RuleSet,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        Ok(coupon_refusal(content, rules).or_else(|| auto_reply_refusal(content, rules)))
    }

    fn mark_read(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        let mut session = Session::open(host, shop)?;
        let reply: ActionReply = session.call(method::UPDATE_READ, |ctx| {
            wire::mark_read(ctx, platform_conversation_id)
        })?;
        if reply.is_success {
            Ok(())
        } else {
            Err(business_failure(
                reply.sub_error_code.as_deref(),
                reply.error_msg.as_deref(),
            ))
        }
    }

    fn fetch_order(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        let mut session = Session::open(host, shop)?;
        let reply: OrderInfoReply = session.call(method::ORDER_INFO_GET, |ctx| {
            wire::order_info(ctx, order_external_id)
        })?;
        let result = reply.result;
        let Some(order) = result.data.filter(|_| result.success != Some(false)) else {
            return Err(business_failure(
                result.error_code.as_deref(),
                result.error_message.as_deref(),
            ));
        };
        Ok(OrderInfo {
            external_id: order
                .id
                .clone()
                .unwrap_or_else(|| order_external_id.to_owned()),
            buyer: EventBuyer {
                external_id: order.buyerloginid.clone().unwrap_or_default(),
                nickname: order.buyer_signer_fullname.clone(),
                ..EventBuyer::default()
            },
            created_at_ms: order
                .gmt_create
                .as_deref()
                .and_then(wire::parse_pacific)
                .map(|at| at.timestamp_millis()),
            status: order.order_status.clone(),
            reverse_in_progress: order.issue_status.as_deref().map(|s| s == "IN_ISSUE"),
            ..OrderInfo::default()
        })
    }

    fn fetch_buyer(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        buyer_external_id: &str,
    ) -> Result<BuyerProfile, AdapterError> {
        let mut session = Session::open(host, shop)?;
        let now = to_time(host.now_unix_ms());
        let query = OrderQuery {
            buyer_login_id: Some(buyer_external_id.to_owned()),
            create_date_start: Some(wire::pacific_datetime(
                now - chrono::TimeDelta::days(BUYER_ORDERS_DAYS),
            )),
            create_date_end: Some(wire::pacific_datetime(now)),
            current_page: Some(1),
            page_size: Some(50),
            order_status: None,
        };
        let reply: OrderListReply =
            session.call(method::ORDER_GET, |ctx| wire::order_list(ctx, &query))?;
        let result = reply.result;
        if result.success == Some(false) {
            return Err(business_failure(
                result.error_code.as_deref(),
                result.error_message.as_deref(),
            ));
        }
        let mut orders: Vec<OrderInfo> = result
            .target_list
            .into_vec()
            .into_iter()
            .filter(|o| {
                o.buyer_login_id
                    .as_deref()
                    .is_none_or(|b| b == buyer_external_id)
            })
            .map(|o| OrderInfo {
                external_id: o.order_id.clone(),
                buyer: EventBuyer {
                    external_id: buyer_external_id.to_owned(),
                    nickname: o.buyer_signer_fullname.clone(),
                    ..EventBuyer::default()
                },
                created_at_ms: o
                    .gmt_create
                    .as_deref()
                    .and_then(wire::parse_pacific)
                    .map(|at| at.timestamp_millis()),
                status: o.order_status.clone(),
                reverse_in_progress: o.issue_status.as_deref().map(|s| s == "IN_ISSUE"),
                ..OrderInfo::default()
            })
            .collect();
        orders.sort_by_key(|o| std::cmp::Reverse(o.created_at_ms));
        Ok(BuyerProfile {
            external_id: buyer_external_id.to_owned(),
            nickname: orders.iter().find_map(|o| o.buyer.nickname.clone()),
            orders,
            ..BuyerProfile::default()
        })
    }

    fn poll(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        cursor: Option<&str>,
    ) -> Result<PollPage, AdapterError> {
        let now_ms = host.now_unix_ms();
        let cursor = Cursor::parse(cursor)?;
        let (horizon, mut seen): (i64, BTreeMap<String, i64>) = match cursor {
            Some(c) => (c.t, c.seen.into_iter().collect()),
            None => (now_ms - FIRST_POLL_LOOKBACK_MS, BTreeMap::new()),
        };
        let lower = horizon - POLL_OVERLAP_MS;
        let mut session = Session::open(host, shop)?;

        let mut found: Vec<(i64, String, InboundEvent)> = Vec::new();
        let mut newest = horizon;
        let mut truncated_at: Option<i64> = None;
        'relations: for page in 1..=POLL_MAX_PAGES {
            let query = RelationQuery {
                current_page: Some(page),
                page_size: Some(PAGE_SIZE),
                start_time: Some(lower.max(0)),
                end_time: Some(now_ms),
                ..RelationQuery::default()
            };
            let reply: RelationListReply = session.call(method::QUERY_RELATION_LIST, |ctx| {
                wire::query_relation_list(ctx, &query)
            })?;
            if !reply.result.is_success {
                return Err(business_failure(
                    reply.result.error_code.as_deref(),
                    reply.result.error_msg.as_deref(),
                ));
            }
            let relations = reply.result.relation_list.into_vec();
            let full = relations.len() >= PAGE_SIZE as usize;
            for relation in &relations {
                if relation.message_time.is_some_and(|t| t < lower) {
                    continue;
                }
                for (at, event) in session.buyer_messages(relation, lower, &seen)? {
                    newest = newest.max(at);
                    found.push((at, event_id(&event), event));
                }
            }
            if !full {
                break 'relations;
            }
            if page == POLL_MAX_PAGES {
                // Relations not read this time are older than those read: keep the
                // horizon before them so the next poll reads them.
                truncated_at = relations.iter().filter_map(|r| r.message_time).min();
            }
        }
        found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        for (at, id, _) in &found {
            seen.insert(id.clone(), *at);
        }
        let t = truncated_at.map_or(newest, |oldest| oldest.min(newest));
        let keep_from = t - POLL_OVERLAP_MS;
        seen.retain(|_, at| *at >= keep_from);
        let next = Cursor {
            v: 1,
            t,
            seen: seen.into_iter().collect(),
        };
        if let Some(tokens) = session.renewed.as_ref() {
            host.log(&format!(
                "AliExpress tokens renewed during a poll ({} values kept).",
                tokens.len()
            ));
        }
        Ok(PollPage {
            events: found.into_iter().map(|(_, _, event)| event).collect(),
            cursor: Some(serde_json::to_string(&next).map_err(|e| {
                AdapterError::permanent("bad_cursor", format!("cannot write the cursor: {e}"))
            })?),
        })
    }
}

fn event_id(event: &InboundEvent) -> String {
    match event {
        InboundEvent::Message {
            platform_message_id,
            ..
        } => platform_message_id.clone(),
        _ => String::new(),
    }
}

/// One adapter call's view of a shop: its credentials (renewed ones included) and the
/// host, with the signed call, its classification and token renewal.
struct Session<'h> {
    host: &'h dyn Host,
    shop: ShopConnection,
    /// Tokens renewed during this call, for the receipt.
    renewed: Option<BTreeMap<String, String>>,
}

/// The key-value key of a shop's renewed tokens.
fn tokens_key(shop: &ShopConnection) -> String {
    format!("tokens/{}", shop.external_id)
}

fn expires_at(credentials: &BTreeMap<String, String>) -> Option<i64> {
    credentials
        .get("access_token_expires_at")
        .and_then(|v| v.parse::<i64>().ok())
}

impl<'h> Session<'h> {
    /// The shop with the newest tokens (configured, or renewed earlier and kept in the
    /// key-value state), renewed first when they are about to expire.
    fn open(host: &'h dyn Host, shop: &ShopConnection) -> Result<Session<'h>, AdapterError> {
        shop.credential("app_key")?;
        shop.credential("app_secret")?;
        shop.credential("access_token")?;
        let mut shop = shop.clone();
        let kept = host
            .kv_get(&tokens_key(&shop))?
            .and_then(|stored| serde_json::from_str::<BTreeMap<String, String>>(&stored).ok());
        if let Some(kept) = kept {
            let newer = match (expires_at(&kept), expires_at(&shop.credentials)) {
                (Some(kept), Some(configured)) => kept > configured,
                (Some(_), None) => true,
                _ => false,
            };
            if newer {
                shop.credentials.extend(kept);
            }
        }
        let mut session = Session {
            host,
            shop,
            renewed: None,
        };
        let now_secs = host.now_unix_ms() / 1000;
        let due = expires_at(&session.shop.credentials)
            .is_some_and(|at| at - now_secs <= REFRESH_AHEAD_SECS);
        if due && session.shop.credentials.contains_key("refresh_token") {
            session.refresh()?;
        }
        Ok(session)
    }

    fn seller_login_id(&self) -> String {
        self.shop
            .credentials
            .get("seller_login_id")
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| self.shop.external_id.clone())
    }

    fn now(&self) -> DateTime<Utc> {
        to_time(self.host.now_unix_ms())
    }

    /// A signed business call, its `<method>_response` decoded; renews the token and
    /// tries once more when the gateway says it is invalid or expired.
    fn call<T: serde::de::DeserializeOwned>(
        &mut self,
        api: &str,
        build: impl Fn(&RequestContext<'_>) -> Result<WireRequest, WireError>,
    ) -> Result<T, AdapterError> {
        match self.call_once(api, &build) {
            Err(e)
                if e.code == "token_expired"
                    && self.renewed.is_none()
                    && self.shop.credentials.contains_key("refresh_token") =>
            {
                self.refresh()?;
                self.call_once(api, &build)
            }
            other => other,
        }
    }

    fn call_once<T: serde::de::DeserializeOwned>(
        &self,
        api: &str,
        build: &impl Fn(&RequestContext<'_>) -> Result<WireRequest, WireError>,
    ) -> Result<T, AdapterError> {
        let credentials = AppCredentials {
            app_key: self.shop.credential("app_key")?.to_owned(),
            app_secret: self.shop.credential("app_secret")?.to_owned(),
        };
        let ctx = RequestContext {
            credentials: &credentials,
            session: Some(self.shop.credential("access_token")?),
            now: self.now(),
        };
        let request =
            build(&ctx).map_err(|e| AdapterError::permanent("bad_request", e.to_string()))?;
        let response = self.send(request)?;
        if let Some(e) = http_failure(&response) {
            return Err(e);
        }
        match wire::parse_reply::<T>(api, &response.body) {
            Ok(body) => Ok(body),
            Err(WireError::Gateway(error)) => Err(gateway_failure(&error)),
            Err(e) if response.status == 200 => Err(AdapterError::transient(
                "malformed",
                format!("AliExpress's answer to {api} is not readable: {e}"),
            )),
            Err(_) => Err(AdapterError::from_status(
                &response,
                format!("AliExpress answered HTTP {}", response.status),
            )),
        }
    }

    fn send(&self, mut request: WireRequest) -> Result<HttpResponse, AdapterError> {
        if let Some(base) = &self.shop.api_base {
            request.host = base.trim_end_matches('/').to_owned();
        }
        self.host.http(HttpRequest {
            method: request.method.as_str().to_owned(),
            url: request.url(),
            headers: request.headers.clone(),
            body: request.body.clone(),
            timeout_ms: Some(CALL_TIMEOUT_MS),
        })
    }

    /// Renews the tokens (`/auth/token/refresh`), keeps them in the key-value state and
    /// for the receipt.
    fn refresh(&mut self) -> Result<(), AdapterError> {
        let credentials = AppCredentials {
            app_key: self.shop.credential("app_key")?.to_owned(),
            app_secret: self.shop.credential("app_secret")?.to_owned(),
        };
        let refresh_token = self.shop.credential("refresh_token")?.to_owned();
        let ctx = RequestContext {
            credentials: &credentials,
            session: None,
            now: self.now(),
        };
        let request = wire::token_refresh(&ctx, &refresh_token)
            .map_err(|e| AdapterError::permanent("bad_request", e.to_string()))?;
        let response = self.send(request)?;
        if let Some(e) = http_failure(&response) {
            return Err(e);
        }
        let reply = match wire::parse_token_reply(&response.body) {
            Ok(reply) => reply,
            Err(WireError::Gateway(error)) => {
                let e = gateway_failure(&error);
                return Err(if e.retryable {
                    e
                } else {
                    AdapterError::permanent(
                        "token_expired",
                        format!("token renewal refused: {}", e.message),
                    )
                });
            }
            Err(e) => {
                return Err(AdapterError::transient(
                    "malformed",
                    format!("AliExpress's token answer is not readable: {e}"),
                ));
            }
        };
        let Some(access_token) = reply.access_token.filter(|t| !t.is_empty()) else {
            return Err(AdapterError::permanent(
                "token_expired",
                "token renewal returned no access token",
            ));
        };
        let now_secs = self.host.now_unix_ms() / 1000;
        let mut new = BTreeMap::new();
        new.insert("access_token".to_owned(), access_token);
        let access_expiry = reply
            .expire_time
            .map(|ms| ms / 1000)
            .or(reply.expires_in.map(|s| now_secs + s));
        if let Some(at) = access_expiry {
            new.insert("access_token_expires_at".to_owned(), at.to_string());
        }
        if let Some(token) = reply.refresh_token.filter(|t| !t.is_empty()) {
            new.insert("refresh_token".to_owned(), token);
        }
        let refresh_expiry = reply
            .refresh_token_valid_time
            .map(|ms| ms / 1000)
            .or(reply.refresh_expires_in.map(|s| now_secs + s));
        if let Some(at) = refresh_expiry {
            new.insert("refresh_token_expires_at".to_owned(), at.to_string());
        }
        self.shop.credentials.extend(new.clone());
        let stored = serde_json::to_string(&new).unwrap_or_default();
        if let Err(e) = self.host.kv_put(&tokens_key(&self.shop), &stored) {
            self.host
                .log(&format!("AliExpress renewed tokens not kept: {e}"));
        }
        self.host.log("AliExpress access token renewed.");
        self.renewed = Some(new);
        Ok(())
    }

    /// One relation's buyer messages at or after `lower` that are not in `seen`, with
    /// their times.
    fn buyer_messages(
        &mut self,
        relation: &Relation,
        lower: i64,
        seen: &BTreeMap<String, i64>,
    ) -> Result<Vec<(i64, InboundEvent)>, AdapterError> {
        let mut out = Vec::new();
        let mut ids = BTreeSet::new();
        for page in 1..=POLL_MAX_PAGES {
            let reply: DetailListReply = self.call(method::QUERY_DETAIL_LIST, |ctx| {
                wire::query_detail_list(ctx, &relation.channel_id, page, PAGE_SIZE, None)
            })?;
            if !reply.result.is_success {
                return Err(business_failure(
                    reply.result.error_code.as_deref(),
                    reply.result.error_msg.as_deref(),
                ));
            }
            let messages = reply.result.message_detail_list.into_vec();
            let full = messages.len() >= PAGE_SIZE as usize;
            let mut any_recent = false;
            for message in &messages {
                let Some(at) = message.sent_at_ms() else {
                    continue;
                };
                if at < lower {
                    continue;
                }
                any_recent = true;
                if !from_buyer(message, relation) {
                    continue;
                }
                for (id, content) in content_events(message) {
                    if seen.contains_key(&id) || !ids.insert(id.clone()) {
                        continue;
                    }
                    out.push((
                        at,
                        InboundEvent::Message {
                            buyer: buyer_of(relation),
                            platform_message_id: id,
                            platform_conversation_id: Some(relation.channel_id.clone()),
                            content,
                            sent_at_ms: Some(at),
                            // An order message names its order (`extern_id`) but not when
                            // it was placed; the order is not recorded from here (it would
                            // be dated now, and AE-WIN-3 counts from the order's date).
                            order: None,
                            entry_point: entry_point(message),
                        },
                    ));
                }
            }
            // Stop at the last page, or at a page with nothing recent (whichever order
            // the platform pages in, a page of old messages ends what is new).
            if !full || !any_recent {
                break;
            }
        }
        Ok(out)
    }

    /// The id of a message just sent to `buyer` with `content`, as the relation lists it
    /// (the newest of the seller's messages with that text), if it can be found.
    fn find_sent(&mut self, channel: &str, buyer: &str, content: &str) -> Option<String> {
        let reply: DetailListReply = self
            .call(method::QUERY_DETAIL_LIST, |ctx| {
                wire::query_detail_list(ctx, channel, 1, 20, None)
            })
            .inspect_err(|e| {
                self.host
                    .log(&format!("AliExpress sent message id not found: {e}"))
            })
            .ok()?;
        let messages = reply.result.message_detail_list.into_vec();
        let mut candidates: Vec<&MessageDetail> = messages
            .iter()
            .filter(|m| m.content.as_deref().map(str::trim) == Some(content.trim()))
            .filter(|m| {
                m.summary
                    .as_ref()
                    .and_then(|s| s.sender_login_id.as_deref())
                    .is_none_or(|sender| sender != buyer)
            })
            .collect();
        candidates.sort_by_key(|m| std::cmp::Reverse(m.sent_at_ms()));
        candidates.first().map(|m| m.id.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_contract::content::{QuickAction, QuickActionKind};

    fn rules() -> RuleSet {
        crate::rule_set()
    }

    fn coupon(code: &str, scope: Option<CouponScope>) -> MessageContent {
        MessageContent::CouponCard {
            code: code.into(),
            title: None,
            scope,
        }
    }

    #[test]
    fn targeted_or_unscoped_coupons_are_refused_naming_the_rule() {
        let targeted = coupon("VIP5", Some(CouponScope::Targeted));
        let refusal = coupon_refusal(&targeted, &rules()).expect("refused");
        assert_eq!(refusal.rule, "AE-COUPON-1");
        assert!(refusal.message.contains("VIP5"), "{}", refusal.message);
        let unscoped = coupon("X", None);
        assert!(coupon_refusal(&unscoped, &rules()).is_some());
        let store = coupon("ALL5", Some(CouponScope::Store));
        assert_eq!(coupon_refusal(&store, &rules()), None);
        // Data-driven: a rule set without the limit lets it through.
        let mut open = rules();
        open.limits.store_wide_coupons_only = None;
        assert_eq!(coupon_refusal(&targeted, &open), None);
    }

    #[test]
    fn automatic_messages_carry_three_to_nine_actions() {
        let with = |n: usize| MessageContent::AutoReply {
            text: "hi".into(),
            actions: (0..n)
                .map(|i| QuickAction {
                    title: format!("t{i}"),
                    kind: QuickActionKind::Text,
                    content: "c".into(),
                })
                .collect(),
        };
        assert_eq!(auto_reply_refusal(&with(0), &rules()), None);
        assert_eq!(auto_reply_refusal(&with(3), &rules()), None);
        assert_eq!(auto_reply_refusal(&with(9), &rules()), None);
        for n in [1, 2, 10] {
            let refusal = auto_reply_refusal(&with(n), &rules()).expect("refused");
            assert_eq!(refusal.rule, "AE-AUTO-4");
        }
    }

    #[test]
    fn content_maps_to_message_centre_messages() {
        let (kind, extern_id, text, img) = outbound(&MessageContent::OrderCard {
            order_id: "8100000000000001".into(),
            status: None,
        })
        .unwrap();
        assert_eq!(
            (kind, extern_id, text.as_str(), img),
            (
                MessageKind::Order,
                8_100_000_000_000_001,
                "Order 8100000000000001",
                None
            )
        );
        let image = |url: &str| MessageContent::Image { url: url.into() };
        let (kind, _, text, img) = outbound(&image("https://ae01.alicdn.com/a.jpg")).unwrap();
        assert_eq!((kind, text.as_str()), (MessageKind::Member, ""));
        assert_eq!(img.as_deref(), Some("https://ae01.alicdn.com/a.jpg"));
        assert!(outbound(&image("")).is_err());
        let e = outbound(&MessageContent::ProductCard {
            product_id: "abc".into(),
            title: "t".into(),
            url: None,
        })
        .unwrap_err();
        assert_eq!(
            (e.code.as_str(), e.retryable),
            ("unsupported_content", false)
        );
        let e = outbound(&MessageContent::Video { url: "u".into() }).unwrap_err();
        assert!(e.message.contains("`video`"), "{}", e.message);
    }

    #[test]
    fn gateway_errors_are_classified() {
        let error = |code: &str, kind: Option<&str>| GatewayError {
            code: code.into(),
            kind: kind.map(str::to_owned),
            message: Some("m".into()),
            sub_code: None,
            sub_msg: None,
            request_id: None,
        };
        let e = gateway_failure(&error("IllegalAccessToken", Some("ISV")));
        assert_eq!((e.code.as_str(), e.retryable), ("token_expired", false));
        assert!(gateway_failure(&error("ApiCallLimit", Some("ISP"))).retryable);
        assert!(gateway_failure(&error("ServiceUnavailable", Some("SYSTEM"))).retryable);
        let e = gateway_failure(&error("InvalidParameter", Some("ISV")));
        assert_eq!(
            (e.code.as_str(), e.retryable),
            ("aliexpress_InvalidParameter", false)
        );
    }

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c = Cursor {
            v: 1,
            t: 5,
            seen: vec![("m1".into(), 5)],
        };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(Cursor::parse(Some(&text)).unwrap(), Some(c));
        assert_eq!(Cursor::parse(None).unwrap(), None);
        let e = Cursor::parse(Some("1700000000")).unwrap_err();
        assert_eq!(e.code, "bad_cursor");
    }

    #[test]
    fn buyer_messages_are_told_from_the_sellers() {
        let relation = Relation {
            channel_id: "1".into(),
            child_id: None,
            child_name: None,
            deal_stat: None,
            last_message_content: None,
            last_message_id: None,
            last_message_is_own: None,
            message_time: None,
            order_id: None,
            other_ali_id: Some("2200000001".into()),
            other_login_id: Some("us1".into()),
            other_name: Some("Ann".into()),
            rank: None,
            read_stat: None,
            unread_count: None,
        };
        let mut message = MessageDetail {
            id: "9".into(),
            sender_ali_id: Some("2200000001".into()),
            ..MessageDetail::default()
        };
        assert!(from_buyer(&message, &relation));
        message.sender_ali_id = Some("1500000000".into());
        assert!(!from_buyer(&message, &relation));
        message.sender_ali_id = None;
        assert!(
            !from_buyer(&message, &relation),
            "unattributable is not ingested"
        );
    }

    #[test]
    fn an_order_or_product_message_says_where_the_buyer_wrote_from() {
        // rule: ALL-SRC-1 (the entry point is recorded when the platform says it)
        let message = |kind: &str| MessageDetail {
            id: "9".into(),
            message_type: Some(kind.into()),
            ..MessageDetail::default()
        };
        assert_eq!(entry_point(&message("order")), Some(EntryPoint::OrderPage));
        assert_eq!(
            entry_point(&message("product")),
            Some(EntryPoint::ProductPage)
        );
        assert_eq!(entry_point(&message("member")), None);
    }
}
