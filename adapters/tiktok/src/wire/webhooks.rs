//! Webhooks (§1.5): the delivery envelope (its `type` codes: [`event_type`]), the chat events
//! (NEW_CONVERSATION, NEW_MESSAGE) decoded from `data`, and the call that subscribes a
//! shop's address to an event type. The signature is checked in [`crate::sign`].

use serde::{Deserialize, Serialize};
use shopmux_contract::wire::lenient;

use super::chat::{Sender, yes};
use super::content::MessageContent;
use super::request::{HttpMethod, RequestContext, WireRequest, json_request};
use super::{API_VERSION, WireError, event_type};

/// Header that carries a webhook delivery's signature (§1.5).
pub const WEBHOOK_SIGNATURE_HEADER: &str = "Authorization";

/// The envelope of every webhook delivery (§1.5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEnvelope {
    /// `type`: see [`event_type`].
    #[serde(rename = "type", deserialize_with = "lenient::i64")]
    pub kind: i64,
    /// `tts_notification_id`: use it to drop redeliveries.
    #[serde(default, deserialize_with = "lenient::string")]
    pub tts_notification_id: String,
    /// `shop_id`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub shop_id: String,
    /// `timestamp`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::i64")]
    pub timestamp: i64,
    /// `data`, shaped by `type`.
    #[serde(default)]
    pub data: serde_json::Value,
}

/// `data` of NEW_CONVERSATION (13).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewConversationEvent {
    /// `conversation_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub conversation_id: String,
    /// `create_time`, Unix seconds.
    #[serde(default)]
    pub create_time: i64,
}

/// `data` of NEW_MESSAGE (14).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewMessageEvent {
    /// `message_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub message_id: String,
    /// `index`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub index: Option<String>,
    /// `conversation_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub conversation_id: String,
    /// `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `content`, a JSON string (§1.4).
    #[serde(default)]
    pub content: String,
    /// `create_time`, Unix seconds.
    #[serde(default)]
    pub create_time: i64,
    /// `is_visible`.
    #[serde(default = "yes")]
    pub is_visible: bool,
    /// `sender` (`im_user_id`, `role`).
    pub sender: Sender,
}

impl NewMessageEvent {
    /// Decodes `content` according to `type`.
    pub fn parse_content(&self) -> Result<MessageContent, WireError> {
        MessageContent::parse(&self.kind, &self.content)
    }
}

/// A webhook's `data`, decoded for the types a chat adapter handles.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookEvent {
    /// NEW_CONVERSATION.
    NewConversation(NewConversationEvent),
    /// NEW_MESSAGE.
    NewMessage(NewMessageEvent),
    /// Any other type, `data` untouched.
    Other {
        /// The `type` code.
        kind: i64,
        /// The `data` object.
        data: serde_json::Value,
    },
}

impl WebhookEnvelope {
    /// Parses a delivery's raw body. Verify the signature first
    /// ([`crate::sign::verify_webhook`]).
    pub fn parse(raw_body: &[u8]) -> Result<WebhookEnvelope, WireError> {
        Ok(serde_json::from_slice(raw_body)?)
    }

    /// Decodes `data` by `type`.
    pub fn event(&self) -> Result<WebhookEvent, WireError> {
        let event = match self.kind {
            event_type::NEW_CONVERSATION => {
                WebhookEvent::NewConversation(serde_json::from_value(self.data.clone())?)
            }
            event_type::NEW_MESSAGE => {
                WebhookEvent::NewMessage(serde_json::from_value(self.data.clone())?)
            }
            kind => WebhookEvent::Other { kind, data: self.data.clone() },
        };
        Ok(event)
    }
}

/// Subscribe the shop's webhook `address` to one event type, e.g. `NEW_MESSAGE` (§1.5).
pub fn update_webhook(
    ctx: &RequestContext<'_>, address: &str, event_type: &str,
) -> Result<WireRequest, WireError> {
    let body = UpdateWebhookBody { address: address.to_owned(), event_type: event_type.to_owned() };
    json_request(ctx, HttpMethod::Put, format!("/event/{API_VERSION}/webhooks"), Vec::new(), &body)
}

/// Body of `PUT /event/202309/webhooks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateWebhookBody {
    /// The HTTPS address TikTok posts to.
    pub address: String,
    /// Event type name, e.g. `NEW_MESSAGE`.
    pub event_type: String,
}

#[cfg(test)]
mod tests {
    use super::super::chat::Role;
    use super::*;
    use crate::sign::verify_webhook;

    const WEBHOOK_BODY: &[u8] = br#"{"type":14,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1700000100,"data":{"message_id":"7327112393057372000","index":"1700000100123456","conversation_id":"576460752324045279","type":"TEXT","content":"{\"content\":\"Is this in stock?\"}","create_time":1700000100,"is_visible":true,"sender":{"im_user_id":"7494560109732415000","role":"BUYER"}}}"#;

    #[test]
    fn new_message_webhook_parses_after_verification() {
        verify_webhook(
            "29a39d",
            "e59af819cc",
            WEBHOOK_BODY,
            Some("7fe9440c239086442b7020abf4a63ab4bbb3a8a4b234a2a61bf04afbc5e73324"),
        )
        .expect("signature verifies");
        let envelope = WebhookEnvelope::parse(WEBHOOK_BODY).expect("parses");
        assert_eq!(envelope.kind, event_type::NEW_MESSAGE);
        assert_eq!(envelope.shop_id, "7494049642642441621");
        assert_eq!(envelope.tts_notification_id, "7327112393057371910");
        let WebhookEvent::NewMessage(event) = envelope.event().expect("decodes") else {
            panic!("expected NEW_MESSAGE");
        };
        assert_eq!(event.conversation_id, "576460752324045279");
        assert_eq!(event.sender.role, Role::Buyer);
        assert_eq!(event.index.as_deref(), Some("1700000100123456"));
        assert_eq!(
            event.parse_content().expect("content decodes"),
            MessageContent::Text { content: "Is this in stock?".into() }
        );
    }

    #[test]
    fn webhook_envelope_accepts_numeric_ids_and_other_types() {
        let body = br#"{"type":"13","tts_notification_id":1,"shop_id":7494049642642441621,"timestamp":1700000000,"data":{"conversation_id":576460752324045279,"create_time":1700000000}}"#;
        let envelope = WebhookEnvelope::parse(body).expect("parses");
        assert_eq!(envelope.shop_id, "7494049642642441621");
        assert_eq!(
            envelope.event().expect("decodes"),
            WebhookEvent::NewConversation(NewConversationEvent {
                conversation_id: "576460752324045279".into(),
                create_time: 1_700_000_000,
            })
        );
        let order = br#"{"type":1,"shop_id":"1","timestamp":1,"data":{"order_id":"9"}}"#;
        let envelope = WebhookEnvelope::parse(order).expect("parses");
        assert!(matches!(envelope.event().expect("decodes"), WebhookEvent::Other { kind: 1, .. }));
    }
}
