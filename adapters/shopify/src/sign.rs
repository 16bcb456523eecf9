//! Shopify webhook verification, as pure functions.
//!
//! Admin API calls are not signed: they carry the shop's token in `X-Shopify-Access-Token`
//! (platform-apis.md §2.2). The one signature an adapter checks is the webhook's
//! `X-Shopify-Hmac-Sha256` (§2.1): **base64** (standard alphabet, padded) HMAC-SHA256 of the
//! raw body bytes, keyed by the app's client secret. Shopify's own library refuses an empty
//! body, and so does [`verify_webhook`](crate::sign::verify_webhook).
//!
//! While a client secret is being rotated Shopify may sign with the old one for up to an hour
//! (shopify.dev "Verify webhook deliveries");
//! [`verify_webhook_any`](crate::sign::verify_webhook_any) accepts either.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shopmux_contract::wire::signature_header;

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The header is absent or blank.
    #[error("X-Shopify-Hmac-Sha256 header is missing")]
    Missing,
    /// The header is not base64 of a 32-byte digest.
    #[error("X-Shopify-Hmac-Sha256 header is not a base64 HMAC-SHA256 digest")]
    Malformed,
    /// The signature does not match the body (under any of the secrets given).
    #[error("X-Shopify-Hmac-Sha256 does not match the body")]
    Mismatch,
    /// The body is empty.
    #[error("body is empty")]
    EmptyBody,
}

fn keyed(secret: &str) -> HmacSha256 {
    HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length")
}

/// The expected `X-Shopify-Hmac-Sha256` value for a body: base64 HMAC-SHA256.
pub fn webhook_hmac(client_secret: &str, raw_body: &[u8]) -> String {
    let mut mac = keyed(client_secret);
    mac.update(raw_body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks a webhook delivery's `X-Shopify-Hmac-Sha256` header against its raw body, in
/// constant time. The same check applies to "Events" deliveries (`shopify-hmac-sha256`).
pub fn verify_webhook(
    client_secret: &str, raw_body: &[u8], hmac_header: Option<&str>,
) -> Result<(), SignatureError> {
    verify_webhook_any(&[client_secret], raw_body, hmac_header)
}

/// Like [`verify_webhook`], accepting a signature made with any of `client_secrets` (the
/// current secret and, during a rotation, the previous one).
pub fn verify_webhook_any(
    client_secrets: &[&str], raw_body: &[u8], hmac_header: Option<&str>,
) -> Result<(), SignatureError> {
    let header = signature_header(
        hmac_header,
        raw_body,
        SignatureError::Missing,
        SignatureError::EmptyBody,
    )?;
    let given = STANDARD.decode(header).map_err(|_| SignatureError::Malformed)?;
    if given.len() != 32 {
        return Err(SignatureError::Malformed);
    }
    let mut matched = false;
    for secret in client_secrets {
        let mut mac = keyed(secret);
        mac.update(raw_body);
        // Every secret is tried, so timing does not reveal which one matched.
        matched |= mac.verify_slice(&given).is_ok();
    }
    if matched { Ok(()) } else { Err(SignatureError::Mismatch) }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected value computed independently with Python:
    // base64.b64encode(hmac.new(b"hush", body, hashlib.sha256).digest())
    const CART_BODY: &[u8] = br#"{"id":"c1-7f2a","token":"c1-7f2a","line_items":[{"id":40000000001,"title":"Linen shirt","quantity":1,"product_id":7000000001,"variant_id":40000000001}],"note":null,"updated_at":"2026-01-05T10:00:00-05:00","created_at":"2026-01-05T09:58:00-05:00"}"#;
    const CART_HMAC: &str = "Psgbzyh8ULgTJWkysMxhFVGzYtjr/O6FIphO3pIPY+Q=";

    #[test]
    fn fixed_vector() {
        assert_eq!(webhook_hmac("hush", CART_BODY), CART_HMAC);
        assert_eq!(verify_webhook("hush", CART_BODY, Some(CART_HMAC)), Ok(()));
        assert_eq!(verify_webhook("hush", CART_BODY, Some(&format!(" {CART_HMAC} "))), Ok(()));
    }

    #[test]
    fn one_byte_change_fails() {
        let mut body = CART_BODY.to_vec();
        body[7] ^= 0x01;
        assert_eq!(verify_webhook("hush", &body, Some(CART_HMAC)), Err(SignatureError::Mismatch));
    }

    #[test]
    fn refusals() {
        assert_eq!(verify_webhook("hush", CART_BODY, None), Err(SignatureError::Missing));
        assert_eq!(
            verify_webhook("hush", CART_BODY, Some("not base64!")),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            verify_webhook("hush", CART_BODY, Some("aGVsbG8=")),
            Err(SignatureError::Malformed)
        );
        // The hex form of the digest is not what Shopify sends.
        let hex_form = hex_of(CART_HMAC);
        assert_eq!(
            verify_webhook("hush", CART_BODY, Some(&hex_form)),
            Err(SignatureError::Malformed)
        );
        assert_eq!(verify_webhook("hush", b"", Some(CART_HMAC)), Err(SignatureError::EmptyBody));
        assert_eq!(
            verify_webhook("other", CART_BODY, Some(CART_HMAC)),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn rotation_accepts_the_previous_secret() {
        assert_eq!(verify_webhook_any(&["new-secret", "hush"], CART_BODY, Some(CART_HMAC)), Ok(()));
        assert_eq!(
            verify_webhook_any(&[], CART_BODY, Some(CART_HMAC)),
            Err(SignatureError::Mismatch)
        );
    }

    fn hex_of(b64: &str) -> String {
        STANDARD
            .decode(b64)
            .expect("valid base64")
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}
