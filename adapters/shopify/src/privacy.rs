//! The app's lifecycle and privacy webhooks as inbox events (shopify.dev "Privacy law
//! compliance" and "Webhook topics"): `app/uninstalled` → the authorization is revoked;
//! the mandatory `customers/data_request` (export), `customers/redact` (erase a
//! customer) and `shop/redact` (erase the shop's customers, sent 48 hours after an
//! uninstall) → a privacy request naming the customer in every form the inbox knows:
//! `customer:{id}` and `email:{address}` (a guest order's buyer).
//!
//! Payloads: `{"shop_id", "shop_domain", "customer": {"id", "email", "phone"},
//! "orders_requested" | "orders_to_redact": [ids], "data_request": {"id"}}`.

use crate::events::{buyer_id, text};
use crate::wire::topic;
use serde_json::Value;
use shopmux_contract::adapter::{
    AdapterError, AuthorizationChange, InboundEvent, PrivacyKind, PrivacyRequest,
};

/// The events of a verified `app/uninstalled` or privacy webhook.
pub fn events_of(topic_name: &str, body: &[u8]) -> Result<Vec<InboundEvent>, AdapterError> {
    let payload: Value = serde_json::from_slice(body)
        .map_err(|e| AdapterError::permanent("malformed", format!("not JSON: {e}")))?;
    if !payload.is_object() {
        return Err(AdapterError::permanent("malformed", "not a JSON object"));
    }
    if topic_name == topic::APP_UNINSTALLED {
        return Ok(vec![InboundEvent::AuthorizationChanged {
            change: AuthorizationChange::Revoked,
            detail: Some("the app was uninstalled from the store".into()),
            expires_at_ms: None,
        }]);
    }
    let kind = match topic_name {
        topic::CUSTOMERS_DATA_REQUEST => PrivacyKind::Export,
        topic::CUSTOMERS_REDACT => PrivacyKind::RedactBuyers,
        _ => PrivacyKind::RedactShop,
    };
    let orders_key =
        if kind == PrivacyKind::Export { "orders_requested" } else { "orders_to_redact" };
    Ok(vec![InboundEvent::PrivacyRequest {
        request: PrivacyRequest {
            kind,
            request_id: payload.get("data_request").and_then(|r| text(r, "id")),
            buyer_external_ids: buyers(&payload, kind)?,
            order_external_ids: ids(payload.get(orders_key)),
        },
    }])
}

/// Every form the request's customer takes as a buyer: by id, and by email.
fn buyers(payload: &Value, kind: PrivacyKind) -> Result<Vec<String>, AdapterError> {
    if kind == PrivacyKind::RedactShop {
        return Ok(vec![]);
    }
    let customer = payload
        .get("customer")
        .filter(|c| c.is_object())
        .ok_or_else(|| AdapterError::permanent("malformed", "no `customer`"))?;
    let id = text(customer, "id");
    let email = text(customer, "email");
    let found: Vec<String> = [buyer_id(None, id.as_deref()), buyer_id(email.as_deref(), None)]
        .into_iter()
        .flatten()
        .collect();
    if found.is_empty() {
        return Err(AdapterError::permanent("malformed", "the customer has no id or email"));
    }
    Ok(found)
}

fn ids(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|v| match v {
                    Value::Number(n) => Some(n.to_string()),
                    Value::String(s) => Some(s.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(topic_name: &str, body: &str) -> InboundEvent {
        events_of(topic_name, body.as_bytes()).unwrap().pop().unwrap()
    }

    #[test]
    fn privacy_topics_name_the_customer_in_every_form() {
        let body = r#"{"shop_id":954889,"shop_domain":"linen-and-co.myshopify.com","orders_requested":[299938,280263],"customer":{"id":191167,"email":"John@Example.com","phone":"555-625-1199"},"data_request":{"id":9999}}"#;
        let InboundEvent::PrivacyRequest { request } = one(topic::CUSTOMERS_DATA_REQUEST, body)
        else {
            panic!("not a privacy request")
        };
        assert_eq!(request.kind, PrivacyKind::Export);
        assert_eq!(request.request_id.as_deref(), Some("9999"));
        assert_eq!(request.buyer_external_ids, ["customer:191167", "email:john@example.com"]);
        assert_eq!(request.order_external_ids, ["299938", "280263"]);
        let redact = r#"{"shop_id":1,"shop_domain":"x.myshopify.com","customer":{"id":5},"orders_to_redact":[7]}"#;
        let InboundEvent::PrivacyRequest { request } = one(topic::CUSTOMERS_REDACT, redact) else {
            panic!("not a privacy request")
        };
        assert_eq!(
            (request.kind, request.buyer_external_ids, request.order_external_ids),
            (PrivacyKind::RedactBuyers, vec!["customer:5".to_owned()], vec!["7".to_owned()])
        );
        let shop = one(topic::SHOP_REDACT, r#"{"shop_id":1,"shop_domain":"x.myshopify.com"}"#);
        assert!(
            matches!(shop, InboundEvent::PrivacyRequest { request } if request.kind == PrivacyKind::RedactShop && request.buyer_external_ids.is_empty())
        );
        let no_customer = events_of(topic::CUSTOMERS_REDACT, br#"{"shop_id":1}"#).unwrap_err();
        assert_eq!(no_customer.code, "malformed");
    }

    #[test]
    fn app_uninstalled_revokes() {
        let event = one(topic::APP_UNINSTALLED, r#"{"id":1,"domain":"x.myshopify.com"}"#);
        assert!(matches!(
            event,
            InboundEvent::AuthorizationChanged { change: AuthorizationChange::Revoked, .. }
        ));
    }
}
