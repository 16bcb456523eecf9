//! What TikTok tells the inbox: NEW_MESSAGE webhooks verified (`Authorization` over the
//! raw body) and normalized, and TikTok's message contents as the contract's
//! [`MessageContent`]. Only visible messages from buyers become inbound messages, from a
//! webhook or a poll alike; the chat-entry cards also say where the buyer started the
//! chat (ALL-SRC-1).

use chrono::{TimeZone, Utc};
use shopmux_contract::adapter::{
    AdapterError, AuthorizationChange, BuyerMessage, EntryPoint, EventBuyer, InboundEvent,
    MessageContent, ShopConnection, WebhookRequest,
};

use crate::sign::verify_webhook;
use crate::wire::{self, Role, Sender, WebhookEnvelope, WebhookEvent, event_type};

/// A chat message as TikTok reports it, from a webhook or a message list.
pub(super) struct ChatMessage<'a> {
    /// The message id.
    pub id: &'a str,
    /// Its conversation.
    pub conversation_id: &'a str,
    /// TikTok's `type`.
    pub kind: &'a str,
    /// TikTok's `content` JSON string.
    pub content: &'a str,
    /// `create_time`, Unix seconds.
    pub create_time: i64,
    /// `is_visible`.
    pub is_visible: bool,
    /// Who wrote it.
    pub sender: &'a Sender,
}

impl<'a> ChatMessage<'a> {
    /// A listed message of `conversation_id`.
    pub(super) fn listed(message: &'a wire::Message, conversation_id: &'a str) -> Self {
        Self {
            id: &message.id,
            conversation_id,
            kind: &message.kind,
            content: &message.content,
            create_time: message.create_time,
            is_visible: message.is_visible,
            sender: &message.sender,
        }
    }

    /// A NEW_MESSAGE webhook's message.
    fn pushed(event: &'a wire::NewMessageEvent) -> Self {
        Self {
            id: &event.message_id,
            conversation_id: &event.conversation_id,
            kind: &event.kind,
            content: &event.content,
            create_time: event.create_time,
            is_visible: event.is_visible,
            sender: &event.sender,
        }
    }

    /// The inbox's message for a visible buyer message; otherwise why it is not one.
    pub(super) fn to_event(&self) -> Result<InboundEvent, String> {
        if self.sender.role != Role::Buyer || !self.is_visible {
            return Err("not a visible buyer message".into());
        }
        let parsed = wire::MessageContent::parse(self.kind, self.content).ok();
        let Some((content, entry_point)) = parsed.and_then(inbound_content) else {
            return Err(format!("message type {}", self.kind));
        };
        Ok(InboundEvent::Message(BuyerMessage {
            buyer: EventBuyer {
                external_id: self.sender.im_user_id.clone().unwrap_or_default(),
                nickname: self.sender.nickname.clone(),
                ..EventBuyer::default()
            },
            platform_message_id: self.id.to_owned(),
            platform_conversation_id: Some(self.conversation_id.to_owned()),
            content,
            sent_at_ms: Utc
                .timestamp_opt(self.create_time, 0)
                .single()
                .map(|t| t.timestamp_millis()),
            // TikTok's cards name an order but not when it was placed.
            order: None,
            entry_point,
        }))
    }
}

/// The contract's content for a buyer's TikTok message, with where the buyer started the
/// chat when the message says (the chat-entry cards); `None` for what is not a buyer
/// message worth storing.
fn inbound_content(content: wire::MessageContent) -> Option<(MessageContent, Option<EntryPoint>)> {
    use wire::MessageContent as TikTokContent;
    let product_card = |product_id: String| MessageContent::ProductCard {
        title: product_id.clone(),
        product_id,
        url: None,
        image_url: None,
        price: None,
    };
    let order_card = |order_id: String| MessageContent::OrderCard { order_id, status: None };
    Some(match content {
        TikTokContent::Text { content } => (MessageContent::Text { text: content }, None),
        TikTokContent::Image { url, .. } => (MessageContent::Image { url }, None),
        TikTokContent::Video(video) => {
            let url = video.get("url").and_then(|u| u.as_str()).unwrap_or_default();
            (MessageContent::Video { url: url.into() }, None)
        }
        TikTokContent::ProductCard { product_id } => (product_card(product_id), None),
        TikTokContent::BuyerEnterFromProduct { product_id } => {
            (product_card(product_id), Some(EntryPoint::ProductPage))
        }
        TikTokContent::OrderCard { order_id }
        | TikTokContent::LogisticsCard { order_id, .. }
        | TikTokContent::ReturnRefundCard { order_id, .. } => (order_card(order_id), None),
        TikTokContent::BuyerEnterFromOrder { order_id } => {
            (order_card(order_id), Some(EntryPoint::OrderPage))
        }
        TikTokContent::CouponCard { coupon_id } => {
            (MessageContent::CouponCard { code: coupon_id, title: None, scope: None }, None)
        }
        TikTokContent::Emoticons(emoticon) => {
            (MessageContent::Emoji { code: emoticon.to_string() }, None)
        }
        TikTokContent::Notice { content, .. } => {
            (MessageContent::SystemNotice { text: content }, None)
        }
        TikTokContent::Unknown { .. } => return None,
    })
}

/// Verifies a delivery and turns it into the inbox's events (pure).
/// How far a webhook's signed `timestamp` may be from now, in seconds: TikTok documents
/// no separate tolerance for webhooks, so the one it applies to request timestamps
/// (±5 minutes, §1.1). An older delivery is refused (`stale_webhook`): a replay of a
/// captured body, or a retry after a long outage, whose messages the poll catches up.
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;

/// SELLER_DEAUTHORIZATION (6) and UPCOMING_AUTHORIZATION_EXPIRATION (7) as the
/// seller's authorization changing (§1.5 names the types; their `data` fields are not
/// documented there, so only an optional `message` and an expiry in Unix seconds —
/// `expire_time`, `expires_at` or `access_token_expire_in` — are read).
fn authorization_event(kind: i64, data: &serde_json::Value) -> Option<InboundEvent> {
    let change = match kind {
        event_type::SELLER_DEAUTHORIZATION => AuthorizationChange::Revoked,
        event_type::UPCOMING_AUTHORIZATION_EXPIRATION => AuthorizationChange::Expiring,
        _ => return None,
    };
    let detail = data.get("message").and_then(serde_json::Value::as_str).map(str::to_owned);
    let expires_at_ms = ["expire_time", "expires_at", "access_token_expire_in"]
        .iter()
        .find_map(|key| data.get(*key).and_then(serde_json::Value::as_i64))
        .map(|secs| secs * 1000);
    Some(InboundEvent::AuthorizationChanged { change, detail, expires_at_ms })
}

pub(super) fn parse_webhook(
    shop: &ShopConnection, request: &WebhookRequest, now_unix_ms: i64,
) -> Result<Vec<InboundEvent>, AdapterError> {
    verify_webhook(
        shop.credential("app_key")?,
        shop.credential("app_secret")?,
        &request.body,
        request.header("authorization"),
    )
    .map_err(|e| AdapterError::permanent("bad_signature", e.to_string()))?;
    let malformed = |e: wire::WireError| AdapterError::permanent("malformed", e.to_string());
    let envelope = WebhookEnvelope::parse(&request.body).map_err(malformed)?;
    if envelope.shop_id != shop.external_id {
        return Err(AdapterError::permanent("wrong_shop", "the notification is for another shop"));
    }
    let age = now_unix_ms / 1000 - envelope.timestamp;
    if age.abs() > WEBHOOK_TOLERANCE_SECS {
        return Err(AdapterError::permanent(
            "stale_webhook",
            format!(
                "the notification's timestamp is {age} s from now; at most \
                 {WEBHOOK_TOLERANCE_SECS} s are accepted"
            ),
        ));
    }
    let event = match envelope.event().map_err(malformed)? {
        WebhookEvent::NewMessage(pushed) => ChatMessage::pushed(&pushed)
            .to_event()
            .unwrap_or_else(|reason| InboundEvent::Ignored { reason }),
        WebhookEvent::Other { kind, data } => authorization_event(kind, &data)
            .unwrap_or_else(|| InboundEvent::Ignored { reason: format!("event type {kind}") }),
        _ => InboundEvent::Ignored { reason: format!("event type {}", envelope.kind) },
    };
    Ok(vec![event])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapter::TikTok;
    use crate::sign::webhook_signature;
    use shopmux_contract::adapter::Adapter;

    fn shop() -> ShopConnection {
        let credentials = [
            ("app_key", "key1"),
            ("app_secret", "secret1"),
            ("access_token", "tok"),
            ("shop_cipher", "ciph"),
        ];
        ShopConnection::with_credentials("7494", &credentials)
    }

    fn delivery(body: &str, signature: Option<String>) -> WebhookRequest {
        WebhookRequest {
            headers: signature.map(|s| vec![("authorization".to_owned(), s)]).unwrap_or_default(),
            body: body.as_bytes().to_vec(),
        }
    }

    /// The deliveries' `timestamp`, as now.
    const NOW: i64 = 1_700_000_000_000;

    const NEW_MESSAGE: &str = r#"{"type":14,"tts_notification_id":"n1","shop_id":"7494","timestamp":1700000000,
        "data":{"message_id":"m-1","conversation_id":"c-9","type":"TEXT","content":"{\"content\":\"Hola\"}",
        "create_time":1700000000,"is_visible":true,"sender":{"im_user_id":"buyer-7","role":"BUYER"}}}"#;

    #[test]
    fn a_signed_buyer_message_becomes_an_inbound_message() {
        let sig = webhook_signature("key1", "secret1", NEW_MESSAGE.as_bytes());
        let events = TikTok.parse_webhook(&shop(), &delivery(NEW_MESSAGE, Some(sig)), NOW).unwrap();
        let message = events[0].as_message().expect("a message");
        assert_eq!(message.buyer.external_id, "buyer-7");
        assert_eq!(message.platform_message_id, "m-1");
        assert_eq!(message.platform_conversation_id.as_deref(), Some("c-9"));
        assert_eq!(message.content, MessageContent::Text { text: "Hola".into() });
    }

    #[test]
    fn bad_or_missing_signatures_and_other_shops_are_refused() {
        let sig = webhook_signature("key1", "secret1", NEW_MESSAGE.as_bytes());
        let tampered = NEW_MESSAGE.replace("Hola", "Hol4");
        for (body, sig) in [(NEW_MESSAGE.to_owned(), None), (tampered, Some(sig.clone()))] {
            let e = TikTok.parse_webhook(&shop(), &delivery(&body, sig), NOW).unwrap_err();
            assert_eq!(e.code, "bad_signature");
        }
        let other = ShopConnection { external_id: "1111".into(), ..shop() };
        let e = TikTok.parse_webhook(&other, &delivery(NEW_MESSAGE, Some(sig)), NOW).unwrap_err();
        assert_eq!(e.code, "wrong_shop");
    }

    #[test]
    fn stale_webhook_refused_past_tiktoks_five_minutes() {
        let sig = webhook_signature("key1", "secret1", NEW_MESSAGE.as_bytes());
        let at = |now_ms: i64| {
            TikTok.parse_webhook(&shop(), &delivery(NEW_MESSAGE, Some(sig.clone())), now_ms)
        };
        let limit = WEBHOOK_TOLERANCE_SECS * 1000;
        assert!(at(NOW + limit).is_ok(), "five minutes late is still fresh");
        assert!(at(NOW - limit).is_ok(), "a clock five minutes behind is tolerated");
        for now in [NOW + limit + 1000, NOW + 86_400_000, NOW - limit - 1000] {
            let e = at(now).unwrap_err();
            assert_eq!(e.code, "stale_webhook", "{e}");
            assert!(!e.retryable);
        }
    }

    /// The events of a correctly signed delivery.
    fn parsed(body: &str) -> Vec<InboundEvent> {
        let sig = webhook_signature("key1", "secret1", body.as_bytes());
        TikTok.parse_webhook(&shop(), &delivery(body, Some(sig)), NOW).unwrap()
    }

    #[test]
    fn a_message_carries_its_time_and_no_order_or_entry_point_of_its_own() {
        let InboundEvent::Message(BuyerMessage { sent_at_ms, order, entry_point, .. }) =
            parsed(NEW_MESSAGE).remove(0)
        else {
            panic!("a message")
        };
        assert_eq!((sent_at_ms, order, entry_point), (Some(1_700_000_000_000), None, None));
    }

    #[test]
    fn all_src_1_a_chat_entry_card_says_where_the_buyer_started() {
        // rule: ALL-SRC-1 (the entry point is recorded when the platform says it)
        let entered = |kind: &str, content: &str| {
            let body = NEW_MESSAGE
                .replace(r#""type":"TEXT""#, &format!(r#""type":"{kind}""#))
                .replace(r#"{\"content\":\"Hola\"}"#, content);
            match parsed(&body).remove(0) {
                InboundEvent::Message(BuyerMessage { content, entry_point, .. }) => {
                    (content, entry_point)
                }
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(
            entered("BUYER_ENTER_FROM_PRODUCT", r#"{\"product_id\":\"1729\"}"#),
            (
                MessageContent::ProductCard {
                    product_id: "1729".into(),
                    title: "1729".into(),
                    url: None,
                    image_url: None,
                    price: None,
                },
                Some(EntryPoint::ProductPage)
            )
        );
        assert_eq!(
            entered("BUYER_ENTER_FROM_ORDER", r#"{\"order_id\":\"5760\"}"#),
            (
                MessageContent::OrderCard { order_id: "5760".into(), status: None },
                Some(EntryPoint::OrderPage)
            )
        );
        assert_eq!(
            entered("ORDER_CARD", r#"{\"order_id\":\"5760\"}"#).1,
            None,
            "a card sent later in the chat is not where it started"
        );
    }

    #[test]
    fn deauthorization_and_upcoming_expiry_change_the_authorization() {
        let revoked = authorization_event(6, &serde_json::json!({"message": "seller left"}));
        assert_eq!(
            revoked,
            Some(InboundEvent::AuthorizationChanged {
                change: AuthorizationChange::Revoked,
                detail: Some("seller left".into()),
                expires_at_ms: None,
            })
        );
        let expiring = authorization_event(7, &serde_json::json!({"expire_time": 1_800_000_000}));
        assert!(matches!(
            expiring,
            Some(InboundEvent::AuthorizationChanged {
                change: AuthorizationChange::Expiring,
                expires_at_ms: Some(1_800_000_000_000),
                ..
            })
        ));
        assert_eq!(authorization_event(1, &serde_json::json!({})), None);
    }

    #[test]
    fn hidden_messages_others_messages_and_unknown_types_are_ignored() {
        for body in [
            NEW_MESSAGE.replace(r#""is_visible":true"#, r#""is_visible":false"#),
            NEW_MESSAGE.replace(r#""role":"BUYER""#, r#""role":"SHOP""#),
            NEW_MESSAGE.replace(r#""type":"TEXT""#, r#""type":"SOMETHING_NEW""#),
            NEW_MESSAGE.replace(r#""type":14"#, r#""type":13"#),
        ] {
            assert!(matches!(parsed(&body)[..], [InboundEvent::Ignored { .. }]), "{body}");
        }
    }
}
