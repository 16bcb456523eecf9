//! Douyin shop as a shopmux [`Adapter`], built on what the 抖店 open platform offers.
//!
//! **Feige (飞鸽) buyer chat has no open API** (platform-apis.md §4.4; see README.md):
//! messages can neither be read nor sent by an app. What the platform does offer, and
//! this adapter uses, is the message push for orders and after-sales, verified with
//! `event-sign`, and `order.orderDetail` to learn each order's buyer. Orders keep the
//! buyer's context current in the inbox, which is what Douyin's initiation window
//! (DY-WIN-2: an order in the last 30 days) counts from. Replies to Douyin buyers are
//! refused at delivery with that reason, visibly, instead of vanishing.
//!
//! Credentials of a shop connection: `app_key`, `app_secret`, `access_token`. The API
//! base defaults to the production gateway.

use crate::sign::{SignMethod, verify_push};
use crate::wire::{
    self, ApiResponse, AppCredentials, GATEWAY_HOST, PUSH_ACK_BODY, PushMessage, RequestContext,
    push_tag,
};
use chrono::{TimeZone, Utc};
use serde_json::Value;
use shopmux_contract::adapter::{
    Adapter, AdapterError, EventBuyer, Host, HttpRequest, InboundEvent, OrderInfo, OutboundMessage,
    SendReceipt, ShopConnection, WebhookAnswer, WebhookRequest,
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

impl Adapter for Douyin {
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
                events.push(InboundEvent::Ignored {
                    reason: format!("push tag {}", m.tag),
                });
                continue;
            }
            let data = m
                .data_json()
                .map_err(|e| AdapterError::permanent("malformed", e.to_string()))?;
            if let Some(shop_id) = data.get("shop_id").and_then(text)
                && shop_id != shop.external_id
            {
                return Err(AdapterError::permanent(
                    "wrong_shop",
                    "the push is for another shop",
                ));
            }
            match data.get("p_id").and_then(text) {
                Some(order) => events.push(InboundEvent::OrderChanged {
                    order_external_id: order,
                    buyer: None,
                    reverse_in_progress: reverse_after(&m.tag),
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
        &self,
        _host: &dyn Host,
        _shop: &ShopConnection,
        _message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        Err(AdapterError::permanent(
            "no_im_api",
            "Douyin's open platform has no API for Feige chats: answer this buyer in Feige",
        ))
    }

    fn fetch_order(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        let app = AppCredentials {
            app_key: shop.credential("app_key")?.to_owned(),
            app_secret: shop.credential("app_secret")?.to_owned(),
        };
        let token = shop.credential("access_token")?;
        let now = Utc
            .timestamp_millis_opt(host.now_unix_ms())
            .single()
            .unwrap_or_else(Utc::now);
        let ctx = RequestContext {
            host: shop.api_base.as_deref().unwrap_or(GATEWAY_HOST),
            credentials: &app,
            access_token: Some(token),
            sign_method: SignMethod::HmacSha256,
            now,
        };
        let request = wire::order_detail(&ctx, order_external_id)
            .map_err(|e| AdapterError::permanent("bad_request", e.to_string()))?;
        let response = host.http(HttpRequest {
            method: request.method.as_str().to_owned(),
            url: request.url(),
            headers: request.headers.clone(),
            body: request.body.clone(),
            timeout_ms: Some(10_000),
        })?;
        if response.status >= 500 || response.status == 429 {
            return Err(AdapterError::from_status(
                &response,
                format!("order look-up failed with HTTP {}", response.status),
            ));
        }
        let reply: ApiResponse<Value> = serde_json::from_slice(&response.body)
            .map_err(|e| AdapterError::transient("malformed", e.to_string()))?;
        if !reply.is_success() {
            let code = reply.code.or(reply.err_no).unwrap_or_default();
            let message = reply
                .sub_msg
                .or(reply.msg)
                .or(reply.message)
                .unwrap_or_default();
            // 20000 and 60000: the platform's own trouble and rate limit.
            return Err(if code == 20000 || code == 60000 {
                AdapterError::transient(format!("douyin_{code}"), message)
            } else {
                AdapterError::permanent(format!("douyin_{code}"), message)
            });
        }
        let detail = reply
            .data
            .as_ref()
            .and_then(|d| d.get("shop_order_detail"))
            .ok_or_else(|| AdapterError::permanent("malformed", "no shop_order_detail"))?;
        let buyer = detail
            .get("doudian_open_id")
            .and_then(text)
            .ok_or_else(|| AdapterError::permanent("malformed", "the order names no buyer"))?;
        Ok(OrderInfo {
            external_id: order_external_id.to_owned(),
            buyer: EventBuyer {
                external_id: buyer,
                nickname: None,
            },
            created_at_ms: detail
                .get("create_time")
                .and_then(Value::as_i64)
                .map(|s| s * 1000),
            status: detail
                .get("order_status_desc")
                .and_then(text)
                .or_else(|| detail.get("order_status").and_then(text)),
            reverse_in_progress: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::push_sign;

    fn shop() -> ShopConnection {
        ShopConnection {
            external_id: "4463798".into(),
            credentials: [
                ("app_key", "k1"),
                ("app_secret", "s1"),
                ("access_token", "t"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
            ..Default::default()
        }
    }

    fn push(body: &str, sign: Option<String>) -> WebhookRequest {
        let mut headers = vec![("app-id".to_owned(), "k1".to_owned())];
        if let Some(s) = sign {
            headers.push(("event-sign".to_owned(), s));
        }
        WebhookRequest {
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    const TRADE: &str = r#"[{"tag":"100","msg_id":"7001","data":"{\"p_id\":4987001,\"shop_id\":4463798,\"order_status\":1,\"create_time\":1700000000}"}]"#;

    #[test]
    fn a_signed_order_push_names_the_order() {
        let sign = push_sign("k1", "s1", TRADE.as_bytes());
        let events = Douyin
            .parse_webhook(&shop(), &push(TRADE, Some(sign)), 0)
            .unwrap();
        assert_eq!(
            events,
            vec![InboundEvent::OrderChanged {
                order_external_id: "4987001".into(),
                buyer: None,
                reverse_in_progress: None,
            }]
        );
    }

    #[test]
    fn unsigned_tampered_and_foreign_pushes_are_refused() {
        let sign = push_sign("k1", "s1", TRADE.as_bytes());
        let e = Douyin
            .parse_webhook(&shop(), &push(TRADE, None), 0)
            .unwrap_err();
        assert_eq!(e.code, "bad_signature");
        let tampered = TRADE.replace("4987001", "4987002");
        let e = Douyin
            .parse_webhook(&shop(), &push(&tampered, Some(sign.clone())), 0)
            .unwrap_err();
        assert_eq!(e.code, "bad_signature");
        let other = ShopConnection {
            external_id: "1".into(),
            ..shop()
        };
        let e = Douyin
            .parse_webhook(&other, &push(TRADE, Some(sign)), 0)
            .unwrap_err();
        assert_eq!(e.code, "wrong_shop");
    }

    #[test]
    fn replies_are_refused_with_the_reason() {
        struct NoHost;
        impl Host for NoHost {
            fn http(
                &self,
                _: HttpRequest,
            ) -> Result<shopmux_contract::adapter::HttpResponse, AdapterError> {
                unreachable!("no I/O is needed to refuse")
            }
            fn now_unix_ms(&self) -> i64 {
                0
            }
            fn log(&self, _: &str) {}
            fn kv_get(&self, _: &str) -> Result<Option<String>, AdapterError> {
                Ok(None)
            }
            fn kv_put(&self, _: &str, _: &str) -> Result<(), AdapterError> {
                Ok(())
            }
        }
        let message = OutboundMessage {
            idempotency_key: "m".into(),
            buyer_external_id: "b".into(),
            buyer_email: None,
            platform_conversation_id: None,
            content: serde_json::json!({"type": "text", "text": "hi"}),
        };
        let e = Douyin.send(&NoHost, &shop(), &message).unwrap_err();
        assert_eq!((e.code.as_str(), e.retryable), ("no_im_api", false));
    }
}
