//! AliExpress open platform (IOP gateway) request signing, as pure functions.
//!
//! - **IOP `sign`** (platform-apis.md §3.2): take every parameter except `sign`, sort by key
//!   in byte order, concatenate `key + value`; for a **system** API (path-named, e.g.
//!   `/auth/token/create`) prefix the API path, for a **business** API (method-named, e.g.
//!   `aliexpress.solution.order.get`) prefix nothing; then HMAC-SHA256 keyed by `app_secret`,
//!   **uppercase** hex. The official IOP SDK decides "system" by whether the API name contains
//!   `/`; [`iop_sign`] does the same.
//! - **Legacy TOP `sign`** (§3.2, pre-migration gateway, `sign_method=md5`): uppercase hex
//!   MD5 of `app_secret + sorted(key + value) + app_secret`.
//!
//! AliExpress documents **no message-push signature** for sellers' chat (§3.3): there is no
//! push to verify, so this module has no verifier. Never send empty-valued parameters: the
//! official samples disagree on whether they are signed (§3.2).

use hmac::{Hmac, Mac};
use md5::{Digest, Md5};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The parameter that never takes part in its own signature.
pub const SIGN_PARAM: &str = "sign";

fn sorted_pairs<I, K, V>(params: I) -> Vec<(K, V)>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut pairs: Vec<(K, V)> =
        params.into_iter().filter(|(key, _)| key.as_ref() != SIGN_PARAM).collect();
    pairs.sort_by(|a, b| a.0.as_ref().as_bytes().cmp(b.0.as_ref().as_bytes()));
    pairs
}

/// The IOP `sign` for one call (§3.2).
///
/// `api` is the system API path (`/auth/token/create`, which is prefixed to the signed
/// string) or the business method name (`aliexpress.message.…`, not prefixed; it must then
/// also be present in `params` as `method`). `params` are all parameters that will be sent,
/// in any order; `sign` is skipped.
pub fn iop_sign<I, K, V>(app_secret: &str, api: &str, params: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut mac =
        HmacSha256::new_from_slice(app_secret.as_bytes()).expect("HMAC accepts keys of any length");
    if api.contains('/') {
        mac.update(api.as_bytes());
    }
    for (key, value) in sorted_pairs(params) {
        mac.update(key.as_ref().as_bytes());
        mac.update(value.as_ref().as_bytes());
    }
    hex::encode_upper(mac.finalize().into_bytes())
}

/// The legacy TOP gateway's MD5 `sign` (§3.2): uppercase hex
/// MD5(`app_secret + sorted(key + value) + app_secret`), `sign` skipped.
pub fn top_md5_sign<I, K, V>(app_secret: &str, params: I) -> String
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut hasher = Md5::new();
    hasher.update(app_secret.as_bytes());
    for (key, value) in sorted_pairs(params) {
        hasher.update(key.as_ref().as_bytes());
        hasher.update(value.as_ref().as_bytes());
    }
    hasher.update(app_secret.as_bytes());
    hex::encode_upper(hasher.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values were computed independently with Python's `hmac` and `hashlib`.

    #[test]
    fn documented_example() {
        // AliExpress/Lazada "Signature algorithm" page: /order/get, secret `helloworld`.
        let sign = iop_sign(
            "helloworld",
            "/order/get",
            [
                ("timestamp", "1517820392000"),
                ("sign_method", "sha256"),
                ("order_id", "1234"),
                ("app_key", "123456"),
                ("access_token", "test"),
            ],
        );
        assert_eq!(sign, "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A");
    }

    const BUSINESS_PARAMS: [(&str, &str); 7] = [
        ("app_key", "12345678"),
        ("format", "json"),
        ("method", "aliexpress.message.redefining.versiontwo.querymsgrelationlist"),
        ("query", r#"{"current_page":1,"page_size":20}"#),
        ("session", "tok-123"),
        ("sign_method", "sha256"),
        ("timestamp", "1700000000000"),
    ];

    #[test]
    fn business_api_has_no_path_prefix() {
        let sign = iop_sign(
            "helloworld",
            "aliexpress.message.redefining.versiontwo.querymsgrelationlist",
            BUSINESS_PARAMS,
        );
        assert_eq!(sign, "4B267AA672BC59DB6BC3200BB8B940F6ECFA196592FB4F78F15401EF34F148E4");
        // `sign` itself is skipped, and parameter order does not matter.
        let mut reordered: Vec<(&str, &str)> = BUSINESS_PARAMS.iter().rev().copied().collect();
        reordered.push(("sign", "whatever"));
        assert_eq!(
            iop_sign(
                "helloworld",
                "aliexpress.message.redefining.versiontwo.querymsgrelationlist",
                reordered
            ),
            sign
        );
    }

    #[test]
    fn one_byte_change_in_a_parameter_changes_the_sign() {
        let mut changed = BUSINESS_PARAMS;
        changed[3].1 = r#"{"current_page":1,"page_size":21}"#;
        assert_ne!(
            iop_sign(
                "helloworld",
                "aliexpress.message.redefining.versiontwo.querymsgrelationlist",
                changed
            ),
            "4B267AA672BC59DB6BC3200BB8B940F6ECFA196592FB4F78F15401EF34F148E4"
        );
    }

    #[test]
    fn system_api_is_prefixed_with_its_path() {
        let sign = iop_sign(
            "helloworld",
            "/auth/token/create",
            [
                ("app_key", "12345678"),
                ("code", "3_500_abc"),
                ("sign_method", "sha256"),
                ("timestamp", "1700000000000"),
            ],
        );
        assert_eq!(sign, "414A3443FE2A948B1D9A348BC0CBC56D712575BC7FECBB58C9CDAFEE0835CCDA");
    }

    #[test]
    fn legacy_top_md5() {
        let sign = top_md5_sign(
            "helloworld",
            [
                ("app_key", "12345678"),
                ("format", "json"),
                ("method", "aliexpress.message.redefining.versiontwo.addmsg"),
                ("session", "tok-123"),
                ("sign_method", "md5"),
                ("timestamp", "2023-11-15 06:13:20"),
                ("v", "2.0"),
            ],
        );
        assert_eq!(sign, "280D42DCA13BD2CE6E69EA7D52DDE8E9");
    }
}
