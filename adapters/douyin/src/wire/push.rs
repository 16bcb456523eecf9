//! The message push (§4.3): a JSON array of `{tag, msg_id, data}` (`data` a JSON string),
//! signed with `event-sign` and answered with `{"code":0,"msg":"success"}` (the tags, order
//! and refund events only — there is no IM tag — are in [`push_tag`]), and the
//! trade-created payload.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shopmux_contract::wire::lenient;

use super::{WireError, push_tag};

/// Message-push header carrying the app key (§4.3).
pub const PUSH_APP_ID_HEADER: &str = "app-id";
/// Message-push header carrying the MD5 signature (§4.3).
pub const PUSH_SIGN_HEADER: &str = "event-sign";
/// The reply a push receiver must send back, quickly (§4.3).
pub const PUSH_ACK_BODY: &str = r#"{"code":0,"msg":"success"}"#;

/// One message of a push (§4.3). A push body is a JSON **array** of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushMessage {
    /// `tag`: the message type, see [`push_tag`]; sent as a string (some SDKs read numbers).
    #[serde(deserialize_with = "lenient::string")]
    pub tag: String,
    /// `msg_id`; use it to drop redeliveries. (SKIT models it as `msgId`; both are read.)
    #[serde(alias = "msgId", deserialize_with = "lenient::string")]
    pub msg_id: String,
    /// `data`: normally a JSON **string** holding the payload; see [`PushMessage::data_json`].
    #[serde(default)]
    pub data: Value,
}

impl PushMessage {
    /// Parses a push body (the JSON array). Verify `event-sign` first
    /// ([`crate::sign::verify_push`]).
    pub fn parse_body(raw_body: &[u8]) -> Result<Vec<PushMessage>, WireError> {
        Ok(serde_json::from_slice(raw_body)?)
    }

    /// `data` decoded: the JSON string's content, or `data` itself when it is already an object.
    pub fn data_json(&self) -> Result<Value, WireError> {
        match &self.data {
            Value::String(text) => Ok(serde_json::from_str(text)?),
            other => Ok(other.clone()),
        }
    }

    /// Whether this is the test message sent when the push URL is configured.
    pub fn is_test(&self) -> bool {
        self.tag == push_tag::TEST
    }
}

/// `data` of tag 100 (trade created), as the SDKs model it. Ids arrive as numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TradeCreateData {
    /// `p_id`: the shop (parent) order id.
    #[serde(deserialize_with = "lenient::string")]
    pub p_id: String,
    /// `s_ids`: the SKU (child) order ids.
    #[serde(default, deserialize_with = "lenient::strings")]
    pub s_ids: Vec<String>,
    /// `shop_id`.
    #[serde(default, deserialize_with = "lenient::string")]
    pub shop_id: String,
    /// `order_status` (1 for a new order).
    #[serde(default)]
    pub order_status: i64,
    /// `order_type`.
    #[serde(default)]
    pub order_type: i64,
    /// `create_time`, Unix seconds.
    #[serde(default)]
    pub create_time: i64,
}

/// The reply a push receiver sends: `{"code":0,"msg":"success"}` (§4.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushAck {
    /// 0.
    pub code: i64,
    /// `success`.
    pub msg: String,
}

impl Default for PushAck {
    fn default() -> PushAck {
        PushAck { code: 0, msg: "success".to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::verify_push;

    const PUSH_BODY: &[u8] = br#"[{"tag":"100","msg_id":"7300000000000000001","data":"{\"p_id\":4781320682406083640,\"s_ids\":[4781320682406083641],\"shop_id\":12345,\"order_status\":1,\"order_type\":0,\"biz\":2,\"create_time\":1700000000}"}]"#;

    #[test]
    fn push_body_parses_after_verification() {
        verify_push(
            "7000000000000000001",
            "douyin-secret",
            Some("7000000000000000001"),
            Some("cd17dc13deb617363f8722070daba354"),
            PUSH_BODY,
        )
        .expect("signature verifies");
        let messages = PushMessage::parse_body(PUSH_BODY).expect("parses");
        assert_eq!(messages.len(), 1);
        let message = &messages[0];
        assert_eq!(message.tag, push_tag::TRADE_CREATE);
        assert_eq!(message.msg_id, "7300000000000000001");
        assert!(!message.is_test());
        let data: TradeCreateData =
            serde_json::from_value(message.data_json().expect("data decodes")).expect("typed");
        assert_eq!(data.p_id, "4781320682406083640");
        assert_eq!(data.s_ids, vec!["4781320682406083641".to_owned()]);
        assert_eq!(data.shop_id, "12345");
        assert_eq!(data.order_status, 1);
    }

    #[test]
    fn push_variants_numeric_tag_msg_id_alias_object_data() {
        let body = br#"[{"tag":0,"msgId":"1","data":{"hello":"world"}}]"#;
        let messages = PushMessage::parse_body(body).expect("parses");
        assert!(messages[0].is_test());
        assert_eq!(messages[0].msg_id, "1");
        assert_eq!(messages[0].data_json().expect("object"), serde_json::json!({"hello": "world"}));
        assert_eq!(serde_json::to_string(&PushAck::default()).expect("serializes"), PUSH_ACK_BODY);
    }
}
