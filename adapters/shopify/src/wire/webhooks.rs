//! Webhooks (§2.1, §2.2, §2.3): the `X-Shopify-*` header names and the topics an inbox
//! uses, a delivery's headers read from its pairs (also the `shopify-*` names of "Events"
//! deliveries), the `carts/*` payload, and the Messaging API's webhook envelope. The HMAC
//! is checked in [`crate::sign`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shopmux_contract::wire::lenient;

use super::{WireError, header};

/// A webhook delivery's Shopify headers (§2.1). Built from the request's header pairs; both
/// the `X-Shopify-*` names and the `shopify-*` names of "Events" deliveries are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookHeaders {
    /// `X-Shopify-Hmac-Sha256`.
    pub hmac: String,
    /// `X-Shopify-Topic`.
    pub topic: String,
    /// `X-Shopify-Shop-Domain`.
    pub shop_domain: String,
    /// `X-Shopify-API-Version`.
    pub api_version: String,
    /// `X-Shopify-Webhook-Id`.
    pub webhook_id: String,
    /// `X-Shopify-Sub-Topic`.
    pub sub_topic: Option<String>,
    /// `X-Shopify-Name`.
    pub name: Option<String>,
    /// `X-Shopify-Triggered-At`.
    pub triggered_at: Option<String>,
    /// `X-Shopify-Event-Id`.
    pub event_id: Option<String>,
}

impl WebhookHeaders {
    /// Reads the headers from `(name, value)` pairs, names matched case-insensitively.
    pub fn from_pairs<'a, I>(pairs: I) -> Result<WebhookHeaders, WireError>
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        let find = |name: &str| -> Option<String> {
            let bare = &name["X-".len()..];
            pairs
                .iter()
                .find(|(key, value)| {
                    (key.eq_ignore_ascii_case(name) || key.eq_ignore_ascii_case(bare))
                        && !value.trim().is_empty()
                })
                .map(|(_, value)| value.trim().to_owned())
        };
        let required = |name: &'static str| find(name).ok_or(WireError::MissingHeader(name));
        Ok(WebhookHeaders {
            hmac: required(header::HMAC)?,
            topic: required(header::TOPIC)?,
            shop_domain: required(header::SHOP_DOMAIN)?,
            api_version: required(header::API_VERSION)?,
            webhook_id: required(header::WEBHOOK_ID)?,
            sub_topic: find(header::SUB_TOPIC),
            name: find(header::NAME),
            triggered_at: find(header::TRIGGERED_AT),
            event_id: find(header::EVENT_ID),
        })
    }
}

/// A `carts/create` / `carts/update` payload, reduced to what a cart event needs.
///
/// Field names follow the REST-style webhook payloads; the topic's exact field list is not in
/// our sources, so everything but `token` is optional and unknown fields are kept in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartPayload {
    /// `id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// `token`: the cart token.
    #[serde(deserialize_with = "lenient::string")]
    pub token: String,
    /// `line_items`.
    #[serde(default)]
    pub line_items: Vec<CartLineItem>,
    /// `note`.
    pub note: Option<String>,
    /// `created_at`.
    pub created_at: Option<DateTime<Utc>>,
    /// `updated_at`.
    pub updated_at: Option<DateTime<Utc>>,
    /// Every other field, untouched.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Value>,
}

/// One cart line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CartLineItem {
    /// `id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// `title`: the product name (SH-CART-1 names it only under 41 characters).
    pub title: Option<String>,
    /// `quantity`.
    pub quantity: Option<i64>,
    /// `product_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub product_id: Option<String>,
    /// `variant_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub variant_id: Option<String>,
}

/// The Messaging API's webhook (§2.3): `{"event_type":"message_delivery","event_data":
/// {message, conversation}}`, sent when staff reply in Inbox to an app-owned channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagingWebhook {
    /// `event_type`, e.g. [`MessagingWebhook::MESSAGE_DELIVERY`].
    pub event_type: String,
    /// `event_data`, holding `message` and `conversation`.
    #[serde(default)]
    pub event_data: Value,
}

impl MessagingWebhook {
    /// The `event_type` of a staff reply to deliver.
    pub const MESSAGE_DELIVERY: &'static str = "message_delivery";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::verify_webhook;
    use crate::wire::topic;
    use crate::wire::validate_shop_domain;
    use chrono::TimeZone;

    const CART_BODY: &[u8] = br#"{"id":"c1-7f2a","token":"c1-7f2a","line_items":[{"id":40000000001,"title":"Linen shirt","quantity":1,"product_id":7000000001,"variant_id":40000000001}],"note":null,"updated_at":"2026-01-05T10:00:00-05:00","created_at":"2026-01-05T09:58:00-05:00"}"#;

    #[test]
    fn cart_webhook_headers_verify_and_payload_parses() {
        let headers = WebhookHeaders::from_pairs([
            ("x-shopify-hmac-sha256", "Psgbzyh8ULgTJWkysMxhFVGzYtjr/O6FIphO3pIPY+Q="),
            ("X-Shopify-Topic", "carts/update"),
            ("x-shopify-shop-domain", "linen-and-co.myshopify.com"),
            ("X-Shopify-API-Version", "2026-01"),
            ("X-Shopify-Webhook-Id", "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
            ("X-Shopify-Triggered-At", "2026-01-05T15:00:00.000Z"),
            ("content-type", "application/json"),
        ])
        .expect("headers present");
        assert_eq!(headers.topic, topic::CARTS_UPDATE);
        assert_eq!(headers.event_id, None);
        verify_webhook("hush", CART_BODY, Some(&headers.hmac)).expect("signature verifies");
        validate_shop_domain(&headers.shop_domain).expect("a myshopify domain");

        let cart: CartPayload = serde_json::from_slice(CART_BODY).expect("parses");
        assert_eq!(cart.token, "c1-7f2a");
        assert_eq!(cart.line_items[0].title.as_deref(), Some("Linen shirt"));
        assert_eq!(cart.line_items[0].product_id.as_deref(), Some("7000000001"));
        assert_eq!(
            cart.updated_at,
            Some(Utc.with_ymd_and_hms(2026, 1, 5, 15, 0, 0).single().expect("valid"))
        );
    }

    #[test]
    fn events_style_headers_and_missing_ones() {
        let headers = WebhookHeaders::from_pairs([
            ("shopify-hmac-sha256", "x"),
            ("shopify-topic", "orders/create"),
            ("shopify-shop-domain", "a.myshopify.com"),
            ("shopify-api-version", "2026-01"),
            ("shopify-webhook-id", "w"),
            ("shopify-event-id", "e"),
        ])
        .expect("headers present");
        assert_eq!(headers.event_id.as_deref(), Some("e"));
        let missing = WebhookHeaders::from_pairs([("X-Shopify-Topic", "orders/create")]);
        assert!(matches!(missing, Err(WireError::MissingHeader(header::HMAC))));
        assert!(topic::is_privacy("shop/redact"));
        assert!(!topic::is_privacy("carts/update"));
    }

    #[test]
    fn messaging_webhook_envelope() {
        let hook: MessagingWebhook = serde_json::from_str(
            r#"{"event_type":"message_delivery","event_data":{"message":{"id":"m1"},"conversation":{"id":"c1"}}}"#,
        )
        .expect("parses");
        assert_eq!(hook.event_type, MessagingWebhook::MESSAGE_DELIVERY);
        assert_eq!(hook.event_data["conversation"]["id"], "c1");
    }
}
