//! Lazada Open Platform signatures, the simulator's own implementation, written from
//! Lazada's documents (facts and sources: `plugins/lazada/README.md`; platform-apis.md §3.2)
//! — not the plugin's code, so a plugin signing bug fails a test.
//!
//! - Request `sign` (doc "Signature algorithm", open.alitrip.com articleId 108068): every
//!   parameter but `sign`, keys in ASCII order, each as `key + value`; the API path
//!   (`/im/message/send`, without the gateway's `/rest`) in front; HMAC-SHA256 keyed by the
//!   app secret; UPPERCASE hex — the IOP signature AliExpress's gateway uses too
//!   (`crate::signing::iop_sign`, tested there on this same doc's "HTTP request sample").
//! - Push `Authorization` header (doc "Lazada Push Mechanism", articleId 120168): hex
//!   HMAC-SHA256 keyed by the app secret of `app_key + raw body` (the doc's sample is
//!   lowercase; the simulator sends lowercase).

use crate::signing::{self, hmac_sha256};

/// Header carrying a push's signature.
pub const PUSH_SIGNATURE_HEADER: &str = "Authorization";

/// The string a call's `sign` is computed over: the API path, then the sorted parameters.
pub fn api_string_to_sign<'a, I>(api_path: &str, params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    signing::iop_string_to_sign(api_path, params)
}

/// The `sign` parameter of a call to `api_path`, UPPERCASE hex.
pub fn api_sign<'a, I>(app_secret: &str, api_path: &str, params: I) -> String
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    signing::iop_sign(app_secret, api_path, params)
}

/// The `Authorization` header of a push: lowercase hex HMAC-SHA256, keyed by `app_secret`,
/// of `app_key + raw_body`.
pub fn push_signature(app_key: &str, app_secret: &str, raw_body: &[u8]) -> String {
    let message = [app_key.as_bytes(), raw_body].concat();
    hex::encode(hmac_sha256(app_secret.as_bytes(), &message))
}

#[cfg(test)]
mod tests {
    use super::*;

    // No published vector for an IM call; computed by hand with Python 3:
    //   s = "/im/message/send" + "".join(k + v for k, v in sorted(params.items()))
    //   hmac.new(b"helloworld", s.encode(), hashlib.sha256).hexdigest().upper()
    // params: the IOP doc sample's common ones plus session_id 100001_2_200002_1_103,
    // template_id 1, txt "Hello 你好" (a non-ASCII value, signed as UTF-8).
    const IM_SEND: [(&str, &str); 7] = [
        ("app_key", "123456"),
        ("access_token", "test"),
        ("sign_method", "sha256"),
        ("timestamp", "1517820392000"),
        ("session_id", "100001_2_200002_1_103"),
        ("template_id", "1"),
        ("txt", "Hello 你好"),
    ];
    const IM_SEND_SIGN: &str = "8CEB36748BE92869551A447E3BEFA574BAFB538CCA6376BD5868EBC0AF084CF3";

    #[test]
    fn im_send_vector() {
        assert_eq!(api_sign("helloworld", "/im/message/send", IM_SEND), IM_SEND_SIGN);
        assert!(api_string_to_sign("/im/message/send", IM_SEND).starts_with("/im/message/send"));
    }

    #[test]
    fn api_one_byte_changes_fail() {
        let mut txt = IM_SEND;
        txt[6] = ("txt", "Hello 你妤");
        let changes = [
            ("helloworld", "/im/message/send", txt),
            ("helloworld", "/im/message/senc", IM_SEND),
            ("helloworle", "/im/message/send", IM_SEND),
        ];
        for (secret, path, params) in changes {
            assert_ne!(api_sign(secret, path, params), IM_SEND_SIGN, "{path}");
        }
    }

    // Push vector: the push doc's sample header cannot be reproduced (its app key and secret
    // are not given), so this one was computed by hand with Python 3:
    //   hmac.new(b"helloworld", ("123456" + PUSH_BODY).encode(), hashlib.sha256).hexdigest()
    const PUSH_BODY: &[u8] = br#"{"seller_id":"1234567","message_type":2,"data":{"session_id":"100001_2_200002_1_103","message_id":"m1","content":"{\"txt\":\"hi\"}"},"timestamp":1603766859530,"site":"lazada_sg"}"#;
    const PUSH_SIGN: &str = "0236db4bc450b059cabe935eaade86d15f88acfbbcd26e59e49a57fd1ef034bf";

    #[test]
    fn push_vector() {
        assert_eq!(push_signature("123456", "helloworld", PUSH_BODY), PUSH_SIGN);
    }

    #[test]
    fn push_one_byte_changes_fail() {
        let mut body = PUSH_BODY.to_vec();
        body[1] ^= 0x01;
        assert_ne!(push_signature("123456", "helloworld", &body), PUSH_SIGN);
        assert_ne!(push_signature("123457", "helloworld", PUSH_BODY), PUSH_SIGN);
        assert_ne!(push_signature("123456", "helloworle", PUSH_BODY), PUSH_SIGN);
    }
}
