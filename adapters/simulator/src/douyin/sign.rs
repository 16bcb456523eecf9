//! Douyin shop (抖店) signatures, the simulator's own implementation (platform-apis.md §4.2,
//! §4.3), written from the open platform's documents — not the adapter's code, so an
//! adapter signing bug fails a test.
//!
//! - Request `sign`: `app_secret + "app_key" + app_key + "method" + method + "param_json" +
//!   param_json + "timestamp" + timestamp + "v" + "2" + app_secret` (the five public
//!   parameters in name order, each as name + value, wrapped in the secret), then
//!   lowercase hex of either HMAC-SHA256 keyed by `app_secret` (`sign_method=hmac-sha256`)
//!   or MD5 (`sign_method=md5`, and the default when `sign_method` is absent).
//!   `param_json` is the exact body received; the simulator signs those bytes as they are.
//! - Push `event-sign` header: lowercase hex MD5 of `app_key + raw body + app_secret`
//!   (op.jinritemai.com/docs/guide-docs/153/99, as the SKIT SDK cites it).

use crate::signing::{hmac_sha256, md5_lower_hex};

/// `v`, the protocol version every call carries and signs (§4.1).
pub const API_VERSION: &str = "2";
/// Push header carrying the app key (§4.3).
pub const PUSH_APP_ID_HEADER: &str = "app-id";
/// Push header carrying the push signature (§4.3).
pub const PUSH_SIGN_HEADER: &str = "event-sign";

/// How a request is signed (`sign_method`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignMethod {
    /// `md5` — also what an absent `sign_method` means.
    Md5,
    /// `hmac-sha256`, the recommended one.
    HmacSha256,
}

impl SignMethod {
    /// The method a `sign_method` query value names: absent or `md5` is MD5,
    /// `hmac-sha256` is HMAC-SHA256, anything else is not a method.
    pub fn from_param(value: Option<&str>) -> Option<SignMethod> {
        match value {
            None | Some("md5") => Some(SignMethod::Md5),
            Some("hmac-sha256") => Some(SignMethod::HmacSha256),
            Some(_) => None,
        }
    }
}

/// The string a request's `sign` is computed over (§4.2), secret on both ends.
pub fn request_string_to_sign(
    app_key: &str, app_secret: &str, method: &str, param_json: &str, timestamp: &str,
) -> String {
    let public = [
        ("app_key", app_key),
        ("method", method),
        ("param_json", param_json),
        ("timestamp", timestamp),
        ("v", API_VERSION),
    ];
    let mut text = String::from(app_secret);
    for (name, value) in public {
        text.push_str(name);
        text.push_str(value);
    }
    text.push_str(app_secret);
    text
}

/// The `sign` query parameter of a request (§4.2), lowercase hex.
pub fn request_sign(
    app_key: &str, app_secret: &str, method: &str, param_json: &str, timestamp: &str,
    sign_method: SignMethod,
) -> String {
    let text = request_string_to_sign(app_key, app_secret, method, param_json, timestamp);
    match sign_method {
        SignMethod::Md5 => md5_lower_hex(text.as_bytes()),
        SignMethod::HmacSha256 => hex::encode(hmac_sha256(app_secret.as_bytes(), text.as_bytes())),
    }
}

/// The `event-sign` header of a push (§4.3): lowercase hex MD5 of
/// `app_key + raw_body + app_secret`.
pub fn push_sign(app_key: &str, app_secret: &str, raw_body: &[u8]) -> String {
    let message = [app_key.as_bytes(), raw_body, app_secret.as_bytes()].concat();
    md5_lower_hex(&message)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Douyin publishes the algorithm but no digest for it: the sign doc ("签名算法", with
    // its Java/Go/PHP sample code) and the "API调用指南" public-parameter table
    // (op.jinritemai.com; stored copy of the guide: u216155.qingcloud.website/ProductDetail/7036311.html)
    // show placeholder credentials only. The expected values below were computed by hand
    // from that algorithm with a second, independent method, Python 3's `hmac`/`hashlib`:
    //
    //   s = "s3cr3t" + "app_key" + "7000000000000000001" + "method" + "order.batchEncrypt"
    //       + "param_json" + PARAM_JSON + "timestamp" + "1700000000" + "v" + "2" + "s3cr3t"
    //   hmac.new(b"s3cr3t", s.encode(), hashlib.sha256).hexdigest()  → 836bc762…
    //   hashlib.md5(s.encode()).hexdigest()                          → 70357af9…
    //
    // PARAM_JSON is the doc sample's own business parameters (`order.batchEncrypt` with
    // `plain_text` "&<>='/ô汉😀", "附加符号、中日韩、Emoji都不转义"), keys sorted, compact,
    // unescaped UTF-8 — the form the official Go SDK sends.

    const APP_KEY: &str = "7000000000000000001";
    const SECRET: &str = "s3cr3t";
    const PARAM_JSON: &str = r#"{"batch_encrypt_list":[{"auth_id":"12345","is_support_index":false,"plain_text":"&<>='/ô汉😀","sensitive_type":2}]}"#;

    #[test]
    fn request_vectors_for_both_methods() {
        let sign = |method| {
            request_sign(APP_KEY, SECRET, "order.batchEncrypt", PARAM_JSON, "1700000000", method)
        };
        assert_eq!(
            sign(SignMethod::HmacSha256),
            "836bc7628c361f6c42d96659d5bf803311e2ac8b9c0d5eed9db49e98009afe30"
        );
        assert_eq!(sign(SignMethod::Md5), "70357af9a91826dd28cfb2d86a56ea25");
    }

    #[test]
    fn request_vector_with_a_datetime_timestamp() {
        // Same method (Python `hashlib.md5`), a `token.create` for a self-use app with the
        // doc's `yyyy-MM-dd HH:mm:ss` timestamp form:
        //   "s3cr3tapp_key7000000000000000001methodtoken.createparam_json{\"grant_type\":
        //    \"authorization_self\",\"shop_id\":\"123456\"}timestamp2023-11-15 06:13:20v2s3cr3t"
        let param_json = r#"{"grant_type":"authorization_self","shop_id":"123456"}"#;
        let text = request_string_to_sign(
            APP_KEY,
            SECRET,
            "token.create",
            param_json,
            "2023-11-15 06:13:20",
        );
        assert_eq!(
            text,
            "s3cr3tapp_key7000000000000000001methodtoken.createparam_json{\"grant_type\":\"authorization_self\",\"shop_id\":\"123456\"}timestamp2023-11-15 06:13:20v2s3cr3t"
        );
        assert_eq!(
            request_sign(
                APP_KEY,
                SECRET,
                "token.create",
                param_json,
                "2023-11-15 06:13:20",
                SignMethod::Md5
            ),
            "7b525102ab0a451f2581d9d758c83dba"
        );
    }

    #[test]
    fn request_one_byte_changes_fail() {
        let good = request_sign(
            APP_KEY,
            SECRET,
            "order.batchEncrypt",
            PARAM_JSON,
            "1700000000",
            SignMethod::HmacSha256,
        );
        let changed_json = PARAM_JSON.replace("12345", "12346");
        let changes = [
            (APP_KEY, SECRET, "order.batchEncrypt", changed_json.as_str(), "1700000000"),
            (APP_KEY, SECRET, "order.batchEncrypu", PARAM_JSON, "1700000000"),
            (APP_KEY, SECRET, "order.batchEncrypt", PARAM_JSON, "1700000001"),
            ("7000000000000000002", SECRET, "order.batchEncrypt", PARAM_JSON, "1700000000"),
            (APP_KEY, "s3cr3u", "order.batchEncrypt", PARAM_JSON, "1700000000"),
        ];
        for (key, secret, method, json, timestamp) in changes {
            let sign = request_sign(key, secret, method, json, timestamp, SignMethod::HmacSha256);
            assert_ne!(sign, good, "{key} {secret} {method} {json} {timestamp}");
        }
    }

    #[test]
    fn sign_method_parameter() {
        assert_eq!(SignMethod::from_param(None), Some(SignMethod::Md5));
        assert_eq!(SignMethod::from_param(Some("md5")), Some(SignMethod::Md5));
        assert_eq!(SignMethod::from_param(Some("hmac-sha256")), Some(SignMethod::HmacSha256));
        assert_eq!(SignMethod::from_param(Some("sha256")), None);
    }

    // Push vector: no published digest either; computed with Python 3 as
    //   hashlib.md5(("7000000000000000001" + PUSH_BODY + "s3cr3t").encode()).hexdigest()
    // over a tag-100 push body in the §4.3 shape.
    const PUSH_BODY: &[u8] = br#"[{"tag":"100","msg_id":"7300000000000000001","data":"{\"p_id\":4781320682406083640,\"shop_id\":1234567}"}]"#;

    #[test]
    fn push_vector() {
        assert_eq!(push_sign(APP_KEY, SECRET, PUSH_BODY), "a9275efc729743f1e2f19a664def1306");
    }

    #[test]
    fn push_one_byte_changes_fail() {
        let good = push_sign(APP_KEY, SECRET, PUSH_BODY);
        let mut body = PUSH_BODY.to_vec();
        body[9] ^= 0x01;
        assert_ne!(push_sign(APP_KEY, SECRET, &body), good);
        assert_ne!(push_sign("7000000000000000002", SECRET, PUSH_BODY), good);
        assert_ne!(push_sign(APP_KEY, "s3cr3u", PUSH_BODY), good);
    }
}
