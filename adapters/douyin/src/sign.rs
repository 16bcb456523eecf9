//! Douyin shop (抖店) request signing and message-push verification, as pure functions.
//!
//! - **Request `sign`** (platform-apis.md §4.2): over `app_secret + "app_key" + app_key +
//!   "method" + method + "param_json" + param_json + "timestamp" + timestamp + "v" + v +
//!   app_secret`, either lowercase hex HMAC-SHA256 keyed by `app_secret`
//!   (`sign_method=hmac-sha256`) or lowercase hex MD5 (`sign_method=md5`, the platform's
//!   default when `sign_method` is omitted).
//! - **`param_json`** is the business parameters as compact JSON with object keys sorted at
//!   every depth; [`canonical_param_json`] builds it, and
//!   the same bytes are signed and sent.
//! - **Message push `event-sign`** (§4.3): lowercase hex MD5 of `app_key + raw_body +
//!   app_secret`; the `app-id` header carries the app key.
//!
//! Nothing here reads a clock, a socket or the environment.

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use serde_json::Value;
use sha2::Sha256;
use shopmux_contract::wire::signature_header;

type HmacSha256 = Hmac<Sha256>;

/// The open API protocol version sent as `v` (§4.1).
pub const API_VERSION: &str = "2";

/// How a request's `sign` is computed (query parameter `sign_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignMethod {
    /// `hmac-sha256`, the recommended method.
    #[default]
    HmacSha256,
    /// `md5`, what the platform assumes when `sign_method` is omitted.
    Md5,
}

impl SignMethod {
    /// The `sign_method` value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            SignMethod::HmacSha256 => "hmac-sha256",
            SignMethod::Md5 => "md5",
        }
    }
}

/// Why a message push was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The `event-sign` header is absent or blank.
    #[error("event-sign header is missing")]
    Missing,
    /// The `event-sign` header is not 32 hex digits.
    #[error("event-sign header is not a hex MD5 digest")]
    Malformed,
    /// The signature does not match the body.
    #[error("event-sign does not match the body")]
    Mismatch,
    /// The body is empty.
    #[error("body is empty")]
    EmptyBody,
    /// The `app-id` header is absent or names another app.
    #[error("app-id header does not name this app")]
    WrongApp,
}

/// The `sign` query parameter of one open API call (§4.2).
///
/// `method` is the dotted API name (`order.orderDetail`), `param_json` the exact body that
/// will be sent (see [`canonical_param_json`]), `timestamp` the exact `timestamp` query
/// value, and the protocol version is [`API_VERSION`].
pub fn request_sign(
    app_key: &str, app_secret: &str, method: &str, param_json: &str, timestamp: &str,
    sign_method: SignMethod,
) -> String {
    let parts: [&str; 12] = [
        app_secret,
        "app_key",
        app_key,
        "method",
        method,
        "param_json",
        param_json,
        "timestamp",
        timestamp,
        "v",
        API_VERSION,
        app_secret,
    ];
    match sign_method {
        SignMethod::HmacSha256 => {
            let mut mac = HmacSha256::new_from_slice(app_secret.as_bytes())
                .expect("HMAC accepts keys of any length");
            for part in parts {
                mac.update(part.as_bytes());
            }
            hex::encode(mac.finalize().into_bytes())
        }
        SignMethod::Md5 => {
            let mut hasher = Md5::new();
            for part in parts {
                hasher.update(part.as_bytes());
            }
            hex::encode(hasher.finalize())
        }
    }
}

/// The canonical `param_json` for a set of business parameters (§4.2): compact JSON, object
/// keys sorted (byte order) at every depth including objects inside arrays, strings escaped
/// only where JSON requires it (non-ASCII stays raw UTF-8, `<`, `>` and `&` stay as they are,
/// as the official Go SDK sends them). `null` becomes `{}`.
pub fn canonical_param_json(params: &Value) -> String {
    if params.is_null() {
        return "{}".to_owned();
    }
    let mut out = String::new();
    write_canonical(&mut out, params);
    out
}

fn write_canonical(out: &mut String, value: &Value) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (idx, (key, item)) in entries.into_iter().enumerate() {
                if idx > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                write_canonical(out, item);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (idx, item) in items.iter().enumerate() {
                if idx > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// The expected `event-sign` of a message push (§4.3): lowercase hex MD5 of
/// `app_key + raw_body + app_secret`.
pub fn push_sign(app_key: &str, app_secret: &str, raw_body: &[u8]) -> String {
    hex::encode(push_digest(app_key, app_secret, raw_body))
}

fn push_digest(app_key: &str, app_secret: &str, raw_body: &[u8]) -> Vec<u8> {
    let mut hasher = Md5::new();
    hasher.update(app_key.as_bytes());
    hasher.update(raw_body);
    hasher.update(app_secret.as_bytes());
    hasher.finalize().to_vec()
}

/// Checks a message push: `app-id` must equal `app_key` and `event-sign` must match the raw
/// body. The digest comparison runs in constant time. Header values are trimmed; hex digits
/// of either case are accepted.
pub fn verify_push(
    app_key: &str, app_secret: &str, app_id_header: Option<&str>, event_sign_header: Option<&str>,
    raw_body: &[u8],
) -> Result<(), SignatureError> {
    if app_id_header.map(str::trim) != Some(app_key) {
        return Err(SignatureError::WrongApp);
    }
    let header = signature_header(
        event_sign_header,
        raw_body,
        SignatureError::Missing,
        SignatureError::EmptyBody,
    )?;
    let given = hex::decode(header).map_err(|_| SignatureError::Malformed)?;
    if given.len() != 16 {
        return Err(SignatureError::Malformed);
    }
    let expected = push_digest(app_key, app_secret, raw_body);
    if constant_time_eq(&given, &expected) { Ok(()) } else { Err(SignatureError::Mismatch) }
}

/// Compares two equal-length digests without an early exit.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (left, right)| acc | (left ^ right));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // Expected values were computed independently with Python's `hmac` and `hashlib`.

    const APP_KEY: &str = "7000000000000000001";
    const APP_SECRET: &str = "douyin-secret";

    #[test]
    fn request_sign_fixed_vectors() {
        let param_json = r#"{"shop_order_id":"4781320682406083640"}"#;
        let sign = |method| {
            request_sign(APP_KEY, APP_SECRET, "order.orderDetail", param_json, "1700000000", method)
        };
        assert_eq!(
            sign(SignMethod::HmacSha256),
            "789dee29ce9376c7391f2fe458e396f23639e029fe17463c2e0ee1f8a81cfff3"
        );
        assert_eq!(sign(SignMethod::Md5), "bcfa2b6a637cbc10d96b6548a127e950");
    }

    #[test]
    fn param_json_is_sorted_compact_and_raw_utf8() {
        let params = json!({"b": [{"z": 1, "a": "é<&>"}], "a": {"d": true, "c": null}, "m": 1.5});
        // Python: json.dumps(v, sort_keys=True, separators=(',',':'), ensure_ascii=False)
        assert_eq!(
            canonical_param_json(&params),
            r#"{"a":{"c":null,"d":true},"b":[{"a":"é<&>","z":1}],"m":1.5}"#
        );
        assert_eq!(canonical_param_json(&Value::Null), "{}");
        assert_eq!(canonical_param_json(&json!({})), "{}");
        assert_eq!(
            canonical_param_json(&json!({"q": "line\n\"quoted\""})),
            r#"{"q":"line\n\"quoted\""}"#
        );
    }

    const PUSH_BODY: &[u8] = br#"[{"tag":"100","msg_id":"7300000000000000001","data":"{\"p_id\":4781320682406083640,\"s_ids\":[4781320682406083641],\"shop_id\":12345,\"order_status\":1,\"order_type\":0,\"biz\":2,\"create_time\":1700000000}"}]"#;
    const PUSH_SIGN: &str = "cd17dc13deb617363f8722070daba354";

    #[test]
    fn push_fixed_vector() {
        assert_eq!(push_sign(APP_KEY, APP_SECRET, PUSH_BODY), PUSH_SIGN);
        assert_eq!(
            verify_push(APP_KEY, APP_SECRET, Some(APP_KEY), Some(PUSH_SIGN), PUSH_BODY),
            Ok(())
        );
        let upper = PUSH_SIGN.to_uppercase();
        assert_eq!(
            verify_push(APP_KEY, APP_SECRET, Some(APP_KEY), Some(&upper), PUSH_BODY),
            Ok(())
        );
    }

    #[test]
    fn push_one_byte_change_fails() {
        let mut body = PUSH_BODY.to_vec();
        body[10] ^= 0x01;
        assert_eq!(
            verify_push(APP_KEY, APP_SECRET, Some(APP_KEY), Some(PUSH_SIGN), &body),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn push_refusals() {
        let verify = |app_id, sign| verify_push(APP_KEY, APP_SECRET, app_id, sign, PUSH_BODY);
        assert_eq!(verify(None, Some(PUSH_SIGN)), Err(SignatureError::WrongApp));
        assert_eq!(verify(Some("someone-else"), Some(PUSH_SIGN)), Err(SignatureError::WrongApp));
        assert_eq!(verify(Some(APP_KEY), None), Err(SignatureError::Missing));
        assert_eq!(verify(Some(APP_KEY), Some("xyz")), Err(SignatureError::Malformed));
        assert_eq!(verify(Some(APP_KEY), Some("cd17dc13")), Err(SignatureError::Malformed));
        assert_eq!(
            verify_push(APP_KEY, APP_SECRET, Some(APP_KEY), Some(PUSH_SIGN), b""),
            Err(SignatureError::EmptyBody)
        );
    }
}
