//! shopmux's own `api` channel, as an adapter like the marketplaces': any system feeds a
//! shop's inbox with buyer messages signed with the shop's ingest secret
//! ([`sign`]), in the body format of [`wire::InboundMessage`]; replies have no remote end
//! and are recorded as delivered. Its rules allow everything.

pub mod sign;
pub mod wire;

use shopmux_contract::adapter::{
    Adapter, AdapterError, Capabilities, Capability, INGEST_SECRET, InboundEvent, OutboundMessage,
    SendReceipt, ShopConnection, WebhookRequest,
};
use shopmux_contract::{Platform, RuleSet};

/// The channel's platform id.
pub static PLATFORM: Platform = Platform::from_static("api");

/// The `api` channel.
#[derive(Clone, Copy, Debug, Default)]
pub struct ApiChannel;

impl Adapter for ApiChannel {
    fn platform(&self) -> &Platform {
        &PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        use Capability::*;
        Capabilities::of(&[SignedInbound, Sends, RecordsReplies])
    }

    fn rule_set(&self) -> RuleSet {
        RuleSet::permissive(PLATFORM.clone())
    }

    /// Verifies `X-Shopmux-Signature` with the shop's ingest secret, then reads the body:
    /// one buyer message. Errors: `bad_signature`, `malformed_json` (not JSON) and
    /// `invalid_body` (JSON of the wrong shape), all permanent.
    fn parse_webhook(
        &self, shop: &ShopConnection, request: &WebhookRequest, _now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        let secret = shop.credential(INGEST_SECRET)?;
        let signed = request.header(sign::SIGNATURE_HEADER).unwrap_or("");
        if !sign::verify(secret, &request.body, signed) {
            return Err(AdapterError::permanent(
                "bad_signature",
                "missing or wrong X-Shopmux-Signature (sha256=<hex HMAC-SHA256 of the raw body with the shop's ingest secret>)",
            ));
        }
        let message: wire::InboundMessage = serde_json::from_slice(&request.body).map_err(|e| {
            let code = if e.is_syntax() || e.is_eof() { "malformed_json" } else { "invalid_body" };
            AdapterError::permanent(code, e.to_string())
        })?;
        Ok(vec![message.into_event()])
    }

    /// Nothing to call: the reply is recorded as delivered, with no platform id.
    fn send(
        &self, _host: &dyn shopmux_contract::adapter::Host, _shop: &ShopConnection,
        _message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        Ok(SendReceipt::recorded())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_contract::NoHost;
    use shopmux_contract::adapter::BuyerMessage;

    fn shop(secret: &str) -> ShopConnection {
        ShopConnection::with_credentials("", &[(INGEST_SECRET, secret)])
    }

    fn signed(secret: &str, body: &str) -> WebhookRequest {
        WebhookRequest {
            headers: vec![(sign::SIGNATURE_HEADER.to_owned(), sign::sign(secret, body.as_bytes()))],
            body: body.as_bytes().to_vec(),
        }
    }

    const BODY: &str = r#"{"buyer": {"external_id": "b-1", "nickname": "Ana", "language": "es"},
        "platform_message_id": "m-1", "content": {"type": "text", "text": "hola"},
        "sent_at": "2026-11-20T10:00:00Z", "order": {"external_id": "o-9", "status": "shipped"},
        "entry_point": "order_page"}"#;

    #[test]
    fn a_signed_body_becomes_one_message_event() {
        let events = ApiChannel.parse_webhook(&shop("s3cret"), &signed("s3cret", BODY), 0).unwrap();
        let [
            InboundEvent::Message(BuyerMessage {
                buyer,
                platform_message_id,
                sent_at_ms,
                order,
                entry_point,
                ..
            }),
        ] = events.as_slice()
        else {
            panic!("one message: {events:?}");
        };
        assert_eq!((buyer.external_id.as_str(), buyer.language.as_deref()), ("b-1", Some("es")));
        assert_eq!(platform_message_id, "m-1");
        assert_eq!(*sent_at_ms, Some(1_795_168_800_000));
        assert_eq!(order.as_ref().map(|o| o.external_id.as_str()), Some("o-9"));
        assert_eq!(*entry_point, Some(shopmux_contract::adapter::EntryPoint::OrderPage));
    }

    #[test]
    fn wrong_signatures_and_bodies_are_refused_with_their_codes() {
        let code = |shop_secret: &str, request: WebhookRequest| {
            ApiChannel.parse_webhook(&shop(shop_secret), &request, 0).unwrap_err().code
        };
        assert_eq!(code("other", signed("s3cret", BODY)), "bad_signature");
        assert_eq!(code("s3cret", signed("s3cret", "{not json")), "malformed_json");
        assert_eq!(
            code("s3cret", signed("s3cret", r#"{"buyer": {"external_id": "b"}}"#)),
            "invalid_body"
        );
        let unknown_field = BODY.replacen("\"buyer\"", "\"shopper\": 1, \"buyer\"", 1);
        assert_eq!(code("s3cret", signed("s3cret", &unknown_field)), "invalid_body");
    }

    #[test]
    fn replies_are_recorded_without_a_platform_id() {
        let receipt = ApiChannel
            .send(
                &NoHost,
                &shop("s"),
                &OutboundMessage {
                    idempotency_key: "k".into(),
                    buyer_external_id: "b".into(),
                    buyer_email: None,
                    platform_conversation_id: None,
                    content: shopmux_contract::MessageContent::Text { text: "hi".into() },
                },
            )
            .unwrap();
        assert_eq!(receipt.platform_message_id, None);
    }
}
