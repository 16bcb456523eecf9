//! The digest primitives, the canonical form the platforms' signatures share, and the IOP
//! signature AliExpress and Lazada share, for
//! the simulator's own signing modules (`tiktok::sign`, `douyin::sign`, `aliexpress::sign`,
//! `lazada::sign`, `shopify::sign`).
//!
//! The simulator checks and produces every signature with its own code, written from the
//! platforms' documents, and never calls an adapter's signing function: a simulator that
//! borrowed the adapter's code would accept whatever the adapter got wrong. Only the
//! primitives come from crates (HMAC-SHA256 from `hmac` + `sha2`, MD5 from `md-5`).

use hmac::{Hmac, Mac};
use md5::Digest as _;
use sha2::Sha256;

/// HMAC-SHA256 of `message` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC takes a key of any length (a long one is hashed first), so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// MD5 of `message`, as 32 lowercase hex digits.
pub(crate) fn md5_lower_hex(message: &[u8]) -> String {
    hex::encode(md5::Md5::digest(message).as_slice())
}

/// Two hex digests are the same digest (hex digits of either case).
pub(crate) fn same_hex(expected: &str, received: &str) -> bool {
    expected.eq_ignore_ascii_case(received)
}

/// `key1 value1 key2 value2 …` with no separators, keys in byte order, for every pair
/// whose key is not in `skipped` — the canonical parameter string of TikTok's request
/// signature (§1.2 steps 1–2) and of the IOP gateway's (§3.2 steps 1–2). Repeated keys
/// keep the order they came in; an empty value contributes its key alone.
pub(crate) fn sorted_key_values<'a, I>(pairs: I, skipped: &[&str]) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut kept: Vec<(&str, &str)> =
        pairs.into_iter().filter(|(key, _)| !skipped.contains(key)).collect();
    // `str` ordering is the order of the UTF-8 bytes, the documents' "ASCII order".
    kept.sort_by_key(|&(key, _)| key);
    let mut out = String::new();
    for (key, value) in kept {
        out.push_str(key);
        out.push_str(value);
    }
    out
}

/// The IOP gateway's request signature (§3.2), AliExpress's and Lazada's alike: the
/// string to sign is `prefix` (the API path of a path-named API, else nothing) followed by
/// [`sorted_key_values`] of every parameter but `sign`; the signature is its HMAC-SHA256
/// under the app secret, UPPERCASE hex. Sources: the IOP "Signature algorithm" pages
/// (AliExpress articleId 120692, Lazada open.alitrip.com articleId 108068); the IOP Python
/// SDK's `sign()` (`iop/base.py`).
pub(crate) fn iop_string_to_sign<'a, I>(prefix: &str, params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    format!("{prefix}{}", sorted_key_values(params, &["sign"]))
}

/// HMAC-SHA256 of [`iop_string_to_sign`] under `app_secret`, UPPERCASE hex.
pub(crate) fn iop_sign<'a, I>(app_secret: &str, prefix: &str, params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let text = iop_string_to_sign(prefix, params);
    hex::encode_upper(hmac_sha256(app_secret.as_bytes(), text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_rfc_4231_test_case_2() {
        // RFC 4231 ("Identifiers and Test Vectors for HMAC-SHA-224, -256, -384, -512"),
        // section 4.3, Test Case 2: key "Jefe", data "what do ya want for nothing?".
        let digest = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(digest),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn md5_rfc_1321_test_suite() {
        // RFC 1321 ("The MD5 Message-Digest Algorithm"), appendix A.5, test suite.
        assert_eq!(md5_lower_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_lower_hex(b"message digest"), "f96b697d7cb7938d525a2f31aaf161d0");
    }

    /// The parameters of the IOP "Signature algorithm" pages' example.
    const SIGNATURE_PAGE_PAIRS: [(&str, &str); 4] =
        [("foo", "1"), ("bar", "2"), ("foo_bar", "3"), ("foobar", "4")];

    #[test]
    fn sorted_key_values_is_the_documented_concatenation() {
        // Lazada / AliExpress "Signature algorithm" steps 1–2 (open.alitrip.com doc 108068;
        // AliExpress doc 120692): foo=1, bar=2, foo_bar=3, foobar=4 → "bar2foo1foo_bar3foobar4".
        assert_eq!(sorted_key_values(SIGNATURE_PAGE_PAIRS, &[]), "bar2foo1foo_bar3foobar4");
        // Byte order: upper case sorts before lower case, and skipped keys are left out.
        let pairs = [("b", "1"), ("B", "2"), ("sign", "x"), ("a", "")];
        assert_eq!(sorted_key_values(pairs, &["sign"]), "B2ab1");
    }

    // The IOP "HTTP request sample" (Lazada: open.alitrip.com articleId 108069; AliExpress's
    // copy, articleId 120693, prints a garbled string to sign for the same digest): GetOrder
    // `/order/get`, app_key 123456, access_token test, timestamp 1517820392000, sign_method
    // sha256, order_id 1234, App Secret "helloworld"; the page prints the string to sign
    // (step 4) and the signature (step 5).
    const IOP_DOC_PARAMS: [(&str, &str); 5] = [
        ("app_key", "123456"),
        ("access_token", "test"),
        ("timestamp", "1517820392000"),
        ("sign_method", "sha256"),
        ("order_id", "1234"),
    ];
    const IOP_DOC_SIGN: &str = "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A";

    #[test]
    fn iop_http_request_sample() {
        assert_eq!(
            iop_string_to_sign("/order/get", IOP_DOC_PARAMS),
            "/order/getaccess_tokentestapp_key123456order_id1234sign_methodsha256timestamp1517820392000"
        );
        assert_eq!(iop_sign("helloworld", "/order/get", IOP_DOC_PARAMS), IOP_DOC_SIGN);
        // A `sign` already among the parameters takes no part.
        let mut with_sign = IOP_DOC_PARAMS.to_vec();
        with_sign.push(("sign", IOP_DOC_SIGN));
        assert_eq!(iop_sign("helloworld", "/order/get", with_sign), IOP_DOC_SIGN);
    }

    #[test]
    fn iop_signature_algorithm_page_example_string() {
        // "Signature algorithm" step 3: the API name "/test/api" in front (the page prints
        // no digest).
        assert_eq!(
            iop_string_to_sign("/test/api", SIGNATURE_PAGE_PAIRS),
            "/test/apibar2foo1foo_bar3foobar4"
        );
    }

    #[test]
    fn iop_one_byte_changes_fail() {
        let (params, sign) = (IOP_DOC_PARAMS, IOP_DOC_SIGN);
        let mut changed = params;
        changed[4] = ("order_id", "1235");
        assert_ne!(iop_sign("helloworld", "/order/get", changed), sign);
        assert_ne!(iop_sign("helloworld", "/order/gex", params), sign);
        assert_ne!(iop_sign("helloworle", "/order/get", params), sign);
        // Without the path (a business API) the same parameters sign differently.
        assert_ne!(iop_sign("helloworld", "", params), sign);
    }

    #[test]
    fn hex_digests_compare_without_case() {
        assert!(same_hex("abcdef01", "ABCDEF01"));
        assert!(!same_hex("abcdef01", "abcdef02"));
    }
}
