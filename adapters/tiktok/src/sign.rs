//! TikTok Shop request signing and webhook verification, as pure functions.
//!
//! Two secrets-based checks exist on the Partner API (202309+), both keyed by the app secret:
//!
//! - **Request `sign`** (platform-apis.md §1.2): HMAC-SHA256 over
//!   `app_secret + path + sorted(key + value) + body + app_secret`, lowercase hex. The query
//!   parameters `sign` and `access_token` never take part; the body is the exact bytes sent,
//!   and nothing is appended for `multipart/form-data` requests.
//! - **Webhook `Authorization` header** (§1.5): lowercase hex HMAC-SHA256 of
//!   `app_key + raw_body`, no scheme prefix.
//!
//! Nothing here reads a clock, a socket or the environment; the caller passes every input.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use shopmux_contract::wire::signature_header;

type HmacSha256 = Hmac<Sha256>;

/// Query parameters that never take part in the request signature (§1.2 step 1).
pub const UNSIGNED_PARAMS: [&str; 2] = ["sign", "access_token"];

/// Why a webhook signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature header is absent or blank.
    #[error("signature header is missing")]
    Missing,
    /// The signature header is not 64 hex digits.
    #[error("signature header is not a hex HMAC-SHA256 digest")]
    Malformed,
    /// The signature does not match the body.
    #[error("signature does not match the body")]
    Mismatch,
    /// The body is empty, so there is nothing signed to trust.
    #[error("body is empty")]
    EmptyBody,
}

/// A keyed HMAC-SHA256; HMAC accepts keys of any length, so this cannot fail.
fn keyed(secret: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length")
}

/// The `sign` query parameter for one Partner API request (§1.2).
///
/// `query` holds the decoded query parameters as they will be sent (their order does not
/// matter; `sign` and `access_token` are skipped). `body` is the exact request body bytes, or
/// empty for a request without a body **and for `multipart/form-data` requests**, whose body
/// is not signed.
pub fn request_sign<I, K, V>(app_secret: &str, path: &str, query: I, body: &[u8]) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut pairs: Vec<(K, V)> =
        query.into_iter().filter(|(key, _)| !UNSIGNED_PARAMS.contains(&key.as_ref())).collect();
    // Plain byte order of the keys; `str` ordering is byte ordering.
    pairs.sort_by(|a, b| a.0.as_ref().cmp(b.0.as_ref()));

    let mut mac = keyed(app_secret.as_bytes());
    mac.update(app_secret.as_bytes());
    mac.update(path.as_bytes());
    for (key, value) in &pairs {
        mac.update(key.as_ref().as_bytes());
        mac.update(value.as_ref().as_bytes());
    }
    mac.update(body);
    mac.update(app_secret.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The expected `Authorization` header of a webhook delivery (§1.5): lowercase hex
/// HMAC-SHA256 of `app_key + raw_body`, keyed by `app_secret`.
pub fn webhook_signature(app_key: &str, app_secret: &str, raw_body: &[u8]) -> String {
    let mut mac = keyed(app_secret.as_bytes());
    mac.update(app_key.as_bytes());
    mac.update(raw_body);
    hex::encode(mac.finalize().into_bytes())
}

/// Checks a webhook delivery's `Authorization` header against its raw body, in constant time.
///
/// `authorization` is the header value as received (`None` when absent). Surrounding
/// whitespace is ignored; hex digits of either case are accepted.
pub fn verify_webhook(
    app_key: &str, app_secret: &str, raw_body: &[u8], authorization: Option<&str>,
) -> Result<(), SignatureError> {
    let header = signature_header(
        authorization,
        raw_body,
        SignatureError::Missing,
        SignatureError::EmptyBody,
    )?;
    let expected = hex::decode(header).map_err(|_| SignatureError::Malformed)?;
    if expected.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    let mut mac = keyed(app_secret.as_bytes());
    mac.update(app_key.as_bytes());
    mac.update(raw_body);
    mac.verify_slice(&expected).map_err(|_| SignatureError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values were computed independently with Python's `hmac` module.

    #[test]
    fn partner_center_worked_example() {
        // "Sign your API request": GET /authorization/202309/shops, no body.
        let sign = request_sign(
            "e59af819cc",
            "/authorization/202309/shops",
            [("app_key", "29a39d"), ("timestamp", "1623812664")],
            b"",
        );
        assert_eq!(sign, "b596b73e0cc6de07ac26f036364178ab16b0a907af13d43f0a0cd2345f582dc8");
    }

    #[test]
    fn post_signs_body_and_skips_sign_and_access_token() {
        let body = br#"{"type":"TEXT","content":"{\"content\":\"hello\"}"}"#;
        let query = [
            ("timestamp", "1700000000"),
            ("sign", "IGNORED"),
            ("shop_cipher", "ROW_abc"),
            ("access_token", "IGNORED"),
            ("app_key", "29a39d"),
        ];
        let path = "/customer_service/202309/conversations/576460752324045279/messages";
        let sign = request_sign("e59af819cc", path, query, body);
        assert_eq!(sign, "b02e2068aafee787381d10aa8f23b436a121c3e0dcad2763fae9a9e4dfe354a9");
        // The excluded keys really are excluded: dropping them changes nothing.
        let without = request_sign(
            "e59af819cc",
            path,
            [("app_key", "29a39d"), ("shop_cipher", "ROW_abc"), ("timestamp", "1700000000")],
            body,
        );
        assert_eq!(sign, without);
    }

    const WEBHOOK_BODY: &[u8] = br#"{"type":14,"tts_notification_id":"7327112393057371910","shop_id":"7494049642642441621","timestamp":1700000100,"data":{"message_id":"7327112393057372000","index":"1700000100123456","conversation_id":"576460752324045279","type":"TEXT","content":"{\"content\":\"Is this in stock?\"}","create_time":1700000100,"is_visible":true,"sender":{"im_user_id":"7494560109732415000","role":"BUYER"}}}"#;
    const WEBHOOK_SIG: &str = "7fe9440c239086442b7020abf4a63ab4bbb3a8a4b234a2a61bf04afbc5e73324";

    #[test]
    fn webhook_fixed_vector() {
        assert_eq!(webhook_signature("29a39d", "e59af819cc", WEBHOOK_BODY), WEBHOOK_SIG);
        assert_eq!(verify_webhook("29a39d", "e59af819cc", WEBHOOK_BODY, Some(WEBHOOK_SIG)), Ok(()));
        let upper = WEBHOOK_SIG.to_uppercase();
        assert_eq!(verify_webhook("29a39d", "e59af819cc", WEBHOOK_BODY, Some(&upper)), Ok(()));
    }

    #[test]
    fn webhook_one_byte_change_fails() {
        let mut body = WEBHOOK_BODY.to_vec();
        let last = body.len() - 2;
        body[last] ^= 0x01;
        assert_eq!(
            verify_webhook("29a39d", "e59af819cc", &body, Some(WEBHOOK_SIG)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn webhook_refusals() {
        let verify = |header| verify_webhook("29a39d", "e59af819cc", WEBHOOK_BODY, header);
        assert_eq!(verify(None), Err(SignatureError::Missing));
        assert_eq!(verify(Some("  ")), Err(SignatureError::Missing));
        assert_eq!(verify(Some("zz")), Err(SignatureError::Malformed));
        assert_eq!(verify(Some("abcd")), Err(SignatureError::Malformed));
        assert_eq!(
            verify_webhook("29a39d", "e59af819cc", b"", Some(WEBHOOK_SIG)),
            Err(SignatureError::EmptyBody)
        );
        // Another app's key signs differently.
        assert_eq!(
            verify_webhook("other", "e59af819cc", WEBHOOK_BODY, Some(WEBHOOK_SIG)),
            Err(SignatureError::Mismatch)
        );
    }
}
