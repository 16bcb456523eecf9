//! Shopify webhook payloads (already verified) turned into inbox events, by topic:
//! `carts/create|update` → a cart change (SH-CART-1), `customers/create|update` → the
//! buyer's profile (SH-PROFILE-1), `orders/*` → an order with its number, total and
//! status (the profile's recent orders). Pure: JSON in, events out.
//!
//! A customer is the inbox buyer `customer:{id}` — the id a storefront chat started
//! through the App Proxy by the signed-in customer gets, so notices and chats meet — and,
//! for an order of a guest (no customer id), `email:{address}`. A typed email never
//! names a customer: only the proxy's signed customer id does.
//!
//! Payload fields follow Shopify's REST-style webhook bodies (`line_items`, `total_price`,
//! `default_address`, ...). Fields that changed across API versions are read in both
//! forms (`orders_count` / `number_of_orders`, `total_spent` / `amount_spent`); every
//! field is optional except the ids.

use crate::wire::topic;
use chrono::DateTime;
use serde_json::Value;
use shopmux_contract::adapter::{
    AdapterError, BuyerProfile, CartLineInfo, EventBuyer, InboundEvent, OrderInfo,
};

/// The events of one verified webhook body of `topic`.
pub fn events_of(topic_name: &str, body: &[u8]) -> Result<Vec<InboundEvent>, AdapterError> {
    if topic_name == topic::APP_UNINSTALLED || topic::is_privacy(topic_name) {
        return crate::privacy::events_of(topic_name, body);
    }
    let known = matches!(
        topic_name,
        topic::CARTS_CREATE
            | topic::CARTS_UPDATE
            | topic::CUSTOMERS_CREATE
            | topic::CUSTOMERS_UPDATE
    ) || topic_name.starts_with("orders/");
    if !known {
        return Ok(vec![InboundEvent::Ignored { reason: format!("topic {topic_name}") }]);
    }
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| AdapterError::permanent("malformed", format!("not JSON: {e}")))?;
    if !payload.is_object() {
        return Err(AdapterError::permanent("malformed", "not a JSON object"));
    }
    Ok(vec![match topic_name {
        topic::CARTS_CREATE | topic::CARTS_UPDATE => cart(&payload)?,
        topic::CUSTOMERS_CREATE | topic::CUSTOMERS_UPDATE => {
            InboundEvent::BuyerProfileChanged { profile: customer(&payload)? }
        }
        _ => InboundEvent::OrderUpdated { order: order(&payload)? },
    }])
}

/// A field as text, whether Shopify sent a string or a number.
pub(crate) fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn millis(v: &Value, key: &str) -> Option<i64> {
    v.get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.timestamp_millis())
}

fn required(v: &Value, key: &str) -> Result<String, AdapterError> {
    text(v, key).ok_or_else(|| AdapterError::permanent("malformed", format!("no `{key}`")))
}

/// The buyer Shopify's customer `id` is.
pub fn customer_buyer(id: &str) -> String {
    format!("customer:{id}")
}

/// The buyer a customer object (or a guest order's email) is.
pub(crate) fn buyer_id(email: Option<&str>, customer_id: Option<&str>) -> Option<String> {
    match (customer_id, email) {
        (Some(id), _) => Some(customer_buyer(id)),
        (None, Some(e)) => Some(format!("email:{}", e.trim().to_lowercase())),
        (None, None) => None,
    }
}

fn full_name(v: &Value) -> Option<String> {
    let name = [text(v, "first_name"), text(v, "last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    (!name.is_empty()).then_some(name)
}

/// Money as `"59.80 USD"`, or the bare amount when no currency is given.
fn money(amount: Option<String>, currency: Option<String>) -> Option<String> {
    Some(shopmux_contract::wire::money(&amount?, currency.as_deref()))
}

/// Cents of a decimal string (`"19.90"` → 1990); none when it is not one.
fn cents(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, "0"));
    let frac = format!("{frac:0<2}");
    if frac.len() > 2 || whole.is_empty() {
        return None;
    }
    Some(whole.parse::<i64>().ok()? * 100 + frac.parse::<i64>().ok()?)
}

fn cart(v: &Value) -> Result<InboundEvent, AdapterError> {
    let token = required(v, "token")?;
    let mut total = Some(0i64);
    let mut lines = Vec::new();
    for item in v.get("line_items").and_then(Value::as_array).into_iter().flatten() {
        let Some(key) = text(item, "variant_id")
            .or_else(|| text(item, "product_id"))
            .or_else(|| text(item, "id"))
        else {
            continue;
        };
        let quantity = item.get("quantity").and_then(Value::as_u64).unwrap_or(0);
        let quantity = u32::try_from(quantity).unwrap_or(u32::MAX);
        let line_cents = text(item, "line_price").and_then(|p| cents(&p)).or_else(|| {
            text(item, "price").and_then(|p| cents(&p)).map(|c| c * i64::from(quantity))
        });
        total = total.zip(line_cents).map(|(t, c)| t + c);
        lines.push(CartLineInfo { key, title: text(item, "title"), quantity });
    }
    let subtotal = total.map(|c| format!("{}.{:02}", c / 100, c % 100));
    Ok(InboundEvent::CartChanged {
        cart_token: token,
        lines,
        subtotal: money(subtotal, text(v, "currency")),
        updated_at_ms: millis(v, "updated_at").or_else(|| millis(v, "created_at")),
    })
}

fn customer(v: &Value) -> Result<BuyerProfile, AdapterError> {
    let id = required(v, "id")?;
    let email = text(v, "email").map(|e| e.to_lowercase());
    let address = v.get("default_address").filter(|a| a.is_object());
    let location = address.and_then(|a| {
        let parts: Vec<String> =
            ["city", "province", "country"].iter().filter_map(|k| text(a, k)).collect();
        (!parts.is_empty()).then(|| parts.join(", "))
    });
    let spent = text(v, "total_spent")
        .map(|amount| money(Some(amount), text(v, "currency")))
        .or_else(|| {
            v.get("amount_spent").map(|m| money(text(m, "amount"), text(m, "currency_code")))
        })
        .flatten();
    Ok(BuyerProfile {
        external_id: buyer_id(email.as_deref(), Some(&id)).unwrap_or_default(),
        nickname: full_name(v),
        email,
        orders: Vec::new(),
        phone: text(v, "phone").or_else(|| address.and_then(|a| text(a, "phone"))),
        location,
        time_zone: None,
        customer_since_ms: millis(v, "created_at"),
        total_spent: spent,
        orders_count: v
            .get("orders_count")
            .or_else(|| v.get("number_of_orders"))
            .and_then(|n| n.as_u64().or_else(|| n.as_str()?.parse().ok())),
    })
}

fn order(v: &Value) -> Result<OrderInfo, AdapterError> {
    let id = required(v, "id")?;
    let customer = v.get("customer").filter(|c| c.is_object());
    let email = text(v, "email")
        .or_else(|| customer.and_then(|c| text(c, "email")))
        .map(|e| e.to_lowercase());
    let external_id =
        buyer_id(email.as_deref(), customer.and_then(|c| text(c, "id")).as_deref())
            .ok_or_else(|| AdapterError::permanent("malformed", "the order names no customer"))?;
    let status = if text(v, "cancelled_at").is_some() {
        Some("cancelled".to_owned())
    } else {
        text(v, "fulfillment_status").or_else(|| text(v, "financial_status"))
    };
    let refunded = v.get("refunds").and_then(Value::as_array).is_some_and(|r| !r.is_empty())
        || matches!(
            text(v, "financial_status").as_deref(),
            Some("refunded" | "partially_refunded")
        );
    Ok(OrderInfo {
        external_id: id,
        buyer: EventBuyer {
            external_id,
            nickname: customer.and_then(full_name),
            email,
            // None of the fields read here names the customer's language.
            language: None,
        },
        created_at_ms: millis(v, "created_at"),
        status,
        reverse_in_progress: Some(refunded),
        name: text(v, "name"),
        total: money(text(v, "total_price"), text(v, "currency")),
        // Shopify redelivers and may deliver out of order; `updated_at` orders them.
        updated_at_ms: millis(v, "updated_at"),
        tracking_number: tracking_number(v),
    })
}

/// The latest fulfillment's tracking number (`fulfillments[].tracking_number`, else the
/// first of its `tracking_numbers`), when the order has shipped.
fn tracking_number(v: &Value) -> Option<String> {
    let fulfillments = v.get("fulfillments").and_then(Value::as_array)?;
    fulfillments.iter().rev().find_map(|f| {
        text(f, "tracking_number").filter(|t| !t.trim().is_empty()).or_else(|| {
            let numbers = f.get("tracking_numbers").and_then(Value::as_array)?;
            numbers
                .iter()
                .filter_map(Value::as_str)
                .find(|t| !t.trim().is_empty())
                .map(str::to_owned)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(topic_name: &str, body: Value) -> InboundEvent {
        let mut events = events_of(topic_name, body.to_string().as_bytes()).unwrap();
        assert_eq!(events.len(), 1);
        events.remove(0)
    }

    #[test]
    fn sh_cart_1_a_cart_webhook_becomes_a_cart_change_with_lines_and_subtotal() {
        let event = one(
            "carts/update",
            json!({"id": "eeafa272cebfd4b22385bc4b645e762c", "token": "c1-eeafa272",
            "currency": "USD", "updated_at": "2026-11-20T10:00:00Z",
            "line_items": [
                {"id": 7, "variant_id": 39072856, "product_id": 788032119,
                 "title": "Linen shirt", "quantity": 2, "price": "19.90", "line_price": "39.80"},
                {"id": 8, "product_id": 4, "title": "Socks", "quantity": 1, "price": "5"}
            ]}),
        );
        let InboundEvent::CartChanged { cart_token, lines, subtotal, updated_at_ms } = event else {
            panic!("not a cart change: {event:?}")
        };
        assert_eq!(cart_token, "c1-eeafa272");
        assert_eq!(subtotal.as_deref(), Some("44.80 USD"));
        assert_eq!(updated_at_ms, Some(1_795_168_800_000));
        assert_eq!(lines.len(), 2);
        assert_eq!((lines[0].key.as_str(), lines[0].quantity), ("39072856", 2));
        assert_eq!(lines[1].key, "4");
    }

    #[test]
    fn sh_profile_1_a_customer_webhook_becomes_the_buyer_profile() {
        let event = one(
            "customers/update",
            json!({"id": 706405506930370084u64, "email": "Bob@Example.com", "first_name": "Bob",
                "last_name": "Norman", "created_at": "2025-01-02T03:04:05-05:00",
                "orders_count": 3, "total_spent": "199.65", "currency": "USD", "phone": "+16136120707",
                "default_address": {"city": "Ottawa", "province": "Ontario", "country": "Canada"}}),
        );
        let InboundEvent::BuyerProfileChanged { profile } = event else { panic!("not a profile") };
        // The customer id, never the email: a typed email must not meet this profile.
        assert_eq!(profile.external_id, "customer:706405506930370084");
        assert_eq!(profile.nickname.as_deref(), Some("Bob Norman"));
        assert_eq!(profile.orders_count, Some(3));
        assert_eq!(profile.total_spent.as_deref(), Some("199.65 USD"));
        assert_eq!(profile.location.as_deref(), Some("Ottawa, Ontario, Canada"));
        assert!(profile.customer_since_ms.is_some());
    }

    #[test]
    fn an_order_webhook_carries_number_total_status_and_the_customer() {
        let event = one(
            "orders/create",
            json!({"id": 820982911946154508u64, "name": "#1001", "email": "ana@example.com",
                "created_at": "2026-11-01T12:00:00Z", "updated_at": "2026-11-01T12:05:00Z",
                "total_price": "59.80", "currency": "EUR",
                "financial_status": "paid", "fulfillment_status": null,
                "customer": {"id": 115310627314723954u64, "first_name": "Ana", "last_name": "Lima"}}),
        );
        let InboundEvent::OrderUpdated { order } = event else { panic!("not an order") };
        assert_eq!(order.buyer.external_id, "customer:115310627314723954");
        assert_eq!(order.name.as_deref(), Some("#1001"));
        assert_eq!(order.total.as_deref(), Some("59.80 EUR"));
        assert_eq!(order.status.as_deref(), Some("paid"));
        assert_eq!(order.reverse_in_progress, Some(false));
        // What orders its notices: a late redelivery never rolls the order back.
        assert_eq!(order.updated_at_ms, Some(1_793_534_700_000));
        assert_eq!(order.tracking_number, None, "not shipped yet");
    }

    #[test]
    fn a_fulfilled_order_carries_its_latest_tracking_number() {
        let event = one(
            "orders/updated",
            json!({"id": 820982911946154508u64, "email": "ana@example.com",
                "fulfillment_status": "fulfilled",
                "fulfillments": [{"id": 1, "tracking_number": "1Z001", "tracking_numbers": ["1Z001"]},
                    {"id": 2, "tracking_number": null, "tracking_numbers": ["LX777"]}]}),
        );
        let InboundEvent::OrderUpdated { order } = event else { panic!("not an order") };
        assert_eq!(order.tracking_number.as_deref(), Some("LX777"));
    }

    #[test]
    fn other_topics_are_ignored_and_broken_bodies_refused() {
        assert!(matches!(one("products/update", json!({})), InboundEvent::Ignored { .. }));
        assert_eq!(events_of("carts/update", b"{not json").unwrap_err().code, "malformed");
        assert_eq!(events_of("carts/update", b"{\"id\": 1}").unwrap_err().code, "malformed");
        assert_eq!(events_of("orders/create", b"{\"id\": 1}").unwrap_err().code, "malformed");
    }
}
