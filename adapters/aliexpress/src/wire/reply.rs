//! Reading replies: gateway errors (IOP's top-level `code`, TOP's `error_response`), the
//! `<method>_response` envelope of business replies and its `result`, business refusals
//! inside a successful reply, TOP-style lists, and the lenient field readers.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::WireError;

/// A gateway-level error: IOP's top-level `{code, type, message, request_id}` (code `"0"` is
/// success) or TOP's `{"error_response": {code, msg, sub_code, sub_msg, request_id}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GatewayError {
    /// `code`, e.g. `IncompleteSignature`.
    #[serde(deserialize_with = "lenient::string")]
    pub code: String,
    /// `type` (IOP: `ISV`, `ISP`, `SYSTEM`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `message` (IOP) or `msg` (TOP).
    #[serde(alias = "msg")]
    pub message: Option<String>,
    /// `sub_code` (TOP).
    pub sub_code: Option<String>,
    /// `sub_msg` (TOP).
    pub sub_msg: Option<String>,
    /// `request_id`.
    pub request_id: Option<String>,
}

/// The key of a business reply's body: `aliexpress.x.y` → `aliexpress_x_y_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// The IOP gateway error a reply's top-level `code` announces (anything but `"0"`), if any.
pub(super) fn top_level_error(
    root: &serde_json::Map<String, Value>,
) -> Result<Option<GatewayError>, WireError> {
    let failed = match root.get("code") {
        Some(Value::String(code)) => code != "0",
        Some(Value::Number(code)) => code.as_i64() != Some(0),
        _ => false,
    };
    if !failed {
        return Ok(None);
    }
    Ok(Some(serde_json::from_value(Value::Object(root.clone()))?))
}

/// Reads a business reply: refuses gateway errors, then decodes the `<method>_response` object.
pub fn parse_reply<T: DeserializeOwned>(method: &str, raw_body: &[u8]) -> Result<T, WireError> {
    let mut root: serde_json::Map<String, Value> = serde_json::from_slice(raw_body)?;
    if let Some(error) = root.remove("error_response") {
        return Err(WireError::Gateway(Box::new(serde_json::from_value(error)?)));
    }
    if let Some(error) = top_level_error(&root)? {
        return Err(WireError::Gateway(Box::new(error)));
    }
    let key = response_key(method);
    let body = root.remove(&key).ok_or(WireError::MissingResponse(key))?;
    Ok(serde_json::from_value(body)?)
}

/// The body of a business reply whose answer is under `result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply<T> {
    /// `result`.
    pub result: T,
}

/// A refusal inside a successful reply (`is_success: false`, `success: false`): the
/// platform's code and message, when it gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal<'a> {
    /// `error_code` or `sub_error_code`.
    pub code: Option<&'a str>,
    /// `error_msg` or `error_message`.
    pub message: Option<&'a str>,
}

impl<'a> Refusal<'a> {
    /// The refusal a reply carries unless it says the call succeeded.
    pub fn unless(
        succeeded: bool, code: &'a Option<String>, message: &'a Option<String>,
    ) -> Option<Refusal<'a>> {
        (!succeeded).then_some(Refusal { code: code.as_deref(), message: message.as_deref() })
    }
}

/// A reply that may refuse the call in its body (the gateway having accepted it).
pub trait Refusable {
    /// The refusal, when the platform refused the call.
    fn refusal(&self) -> Option<Refusal<'_>>;
}

impl<T: Refusable> Refusable for Reply<T> {
    fn refusal(&self) -> Option<Refusal<'_>> {
        self.result.refusal()
    }
}

/// A TOP-style list: either a plain array or an object wrapping one array
/// (`{"relation_result": [...]}`), as XML-derived TOP JSON sends them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TopList<T> {
    /// A plain array.
    Plain(Vec<T>),
    /// An object holding the array under one item-name key.
    Wrapped(std::collections::BTreeMap<String, Vec<T>>),
}

impl<T> TopList<T> {
    /// The items, whichever form they came in.
    pub fn into_vec(self) -> Vec<T> {
        match self {
            TopList::Plain(items) => items,
            TopList::Wrapped(map) => map.into_values().flatten().collect(),
        }
    }
}

impl<T> Default for TopList<T> {
    fn default() -> TopList<T> {
        TopList::Plain(Vec::new())
    }
}

pub(super) mod lenient {
    //! Serde readers of AliExpress's own: numbers that may be unreadable (then none), and
    //! TOP lists that may arrive as `null`; the rest are the shared ones.

    use serde::{Deserialize, Deserializer};
    pub(in crate::wire) use shopmux_contract::wire::lenient::{opt_string, string};

    /// An integer as a number or a string; anything unreadable is none.
    pub(in crate::wire) fn opt_i64<'de, D: Deserializer<'de>>(
        de: D,
    ) -> Result<Option<i64>, D::Error> {
        Ok(match Option::<serde_json::Value>::deserialize(de)? {
            Some(serde_json::Value::String(text)) => text.trim().parse().ok(),
            Some(serde_json::Value::Number(number)) => number.as_i64(),
            _ => None,
        })
    }

    /// A TOP list that may also arrive as `null`.
    pub(in crate::wire) fn list<'de, D, T>(de: D) -> Result<super::TopList<T>, D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        Ok(Option::<super::TopList<T>>::deserialize(de)?.unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::method;

    #[test]
    fn gateway_errors_are_refused() {
        let iop = br#"{"type":"ISV","code":"IncompleteSignature","message":"The request signature does not conform to platform standards","request_id":"2101"}"#;
        match parse_reply::<Value>(method::QUERY_RELATION_LIST, iop) {
            Err(WireError::Gateway(error)) => {
                assert_eq!(error.code, "IncompleteSignature");
                assert_eq!(error.kind.as_deref(), Some("ISV"));
            }
            other => panic!("expected a gateway error, got {other:?}"),
        }
        let top = br#"{"error_response":{"code":27,"msg":"Invalid session","sub_code":"invalid-sessionkey","request_id":"x"}}"#;
        match parse_reply::<Value>(method::ADD_MESSAGE, top) {
            Err(WireError::Gateway(error)) => {
                assert_eq!(error.code, "27");
                assert_eq!(error.message.as_deref(), Some("Invalid session"));
            }
            other => panic!("expected a gateway error, got {other:?}"),
        }
        assert!(matches!(
            parse_reply::<Value>(method::ADD_MESSAGE, br#"{"request_id":"x"}"#),
            Err(WireError::MissingResponse(_))
        ));
        let ok = br#"{"code":"0","aliexpress_message_redefining_versiontwo_addmsg_response":{"result":{"is_success":true}}}"#;
        assert!(parse_reply::<Value>(method::ADD_MESSAGE, ok).is_ok());
    }
}
