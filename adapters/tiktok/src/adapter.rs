//! TikTok Shop as a shopmux [`Adapter`]: webhooks verified and normalized (NEW_MESSAGE
//! from buyers becomes an inbound message), replies sent through the Partner API's
//! customer-service `send message`, with TikTok's failures classified for the outbox.
//!
//! Credentials of a shop connection: `app_key`, `app_secret`, `access_token`,
//! `shop_cipher`, and for token refresh `refresh_token` with, optionally,
//! `access_token_expires_at` (Unix seconds, as TikTok's token reply gives it) and
//! `auth_base` (TikTok's auth host by default). The API base defaults to TikTok's
//! production host. An access token due to expire within five minutes is refreshed
//! before sending, and one the platform reports expired is refreshed and the send tried
//! once more; the new tokens go back to the host in the receipt.
//!
//! Sends: text and emoji go as `TEXT`. Images and videos need TikTok's upload step
//! (`images/upload`, multipart) which this adapter does not do yet; they are refused
//! permanently with that reason rather than sent wrongly.

use crate::sign::{SignatureError, verify_webhook};
use crate::wire::{
    self, API_HOST, ApiResponse, AppCredentials, ConversationsPage, ConversationsQuery,
    MessageContent, MessagesPage, MessagesQuery, RequestContext, Role, SendMessageData, SenderRole,
    ShopSession, SortOrder, WebhookEnvelope, WebhookEvent,
};
use chrono::{TimeZone, Utc};
use serde_json::json;
use shopmux_contract::adapter::{
    Adapter, AdapterError, EventBuyer, Host, HttpRequest, InboundEvent, OutboundMessage, PollPage,
    SendReceipt, ShopConnection, WebhookRequest,
};
use shopmux_contract::rules::RuleSet;

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

/// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
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
        other => Err(AdapterError::permanent(
            "unsupported_content",
            format!(
                "sending `{other}` to TikTok needs its media upload, which is not supported yet"
            ),
        )),
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
        let now_secs = host.now_unix_ms() / 1000;
        let mut shop = shop.clone();
        let mut refreshed = None;
        let expires_at = shop
            .credentials
            .get("access_token_expires_at")
            .and_then(|v| v.parse::<i64>().ok());
        if expires_at.is_some_and(|at| at - now_secs <= REFRESH_AHEAD_SECS) {
            let new = self.refresh(host, &shop)?;
            shop.credentials.extend(new.clone());
            refreshed = Some(new);
        }
        let result = match self.send_once(host, &shop, message) {
            Err(e)
                if e.code == "token_expired"
                    && refreshed.is_none()
                    && shop.credentials.contains_key("refresh_token") =>
            {
                let new = self.refresh(host, &shop)?;
                shop.credentials.extend(new.clone());
                refreshed = Some(new);
                self.send_once(host, &shop, message)
            }
            other => other,
        };
        result.map(|mut receipt| {
            receipt.refreshed_credentials = refreshed;
            receipt
        })
    }

    fn mark_read(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        let _: serde_json::Value = self.call(host, shop, |ctx| {
            wire::read_messages(ctx, platform_conversation_id)
        })?;
        Ok(())
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
    /// A signed call of the shop's API, its `data` decoded.
    fn call<T: serde::de::DeserializeOwned>(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        build: impl FnOnce(&RequestContext<'_>) -> Result<wire::WireRequest, wire::WireError>,
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

    /// The buyer messages of a conversation at or after `since`, newest first.
    fn messages_since(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
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
        shop: &ShopConnection,
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
        let outgoing = outbound(&message.content)?;
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
