//! Wire helpers every adapter needs, written once: RFC 3986 percent-encoding of query
//! strings and form bodies, lenient serde readers for the ids and numbers that
//! marketplaces send sometimes as JSON numbers, sometimes as strings, the app's
//! credentials, a signed request as an adapter's wire layer builds it, and money as text.

use crate::adapter::{HttpRequest, ShopConnection};
use crate::error::AdapterError;
use std::fmt::{self, Write as _};

/// Appends `input` percent-encoded, keeping only RFC 3986 unreserved characters.
pub fn percent_encode_into(out: &mut String, input: &str) {
    for byte in input.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

/// `input` percent-encoded (see [`percent_encode_into`]).
pub fn percent_encode(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    percent_encode_into(&mut out, input);
    out
}

/// `key=value&…`, both sides percent-encoded, in the given order (a query string without
/// `?`, or an `application/x-www-form-urlencoded` body).
pub fn query_string(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (idx, (key, value)) in pairs.iter().enumerate() {
        if idx > 0 {
            out.push('&');
        }
        percent_encode_into(&mut out, key);
        out.push('=');
        percent_encode_into(&mut out, value);
    }
    out
}

/// What every webhook verification checks before any digest: the signature header,
/// trimmed (`missing` when it is absent or blank), over a body that is not empty
/// (`empty_body`: nothing signed to trust).
pub fn signature_header<'a, E>(
    header: Option<&'a str>, raw_body: &[u8], missing: E, empty_body: E,
) -> Result<&'a str, E> {
    let header = header.map(str::trim).filter(|value| !value.is_empty()).ok_or(missing)?;
    if raw_body.is_empty() {
        return Err(empty_body);
    }
    Ok(header)
}

/// The value of the first pair named `key` (a query or form parameter).
pub fn find_param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
}

/// Money as `"12.50 GBP"`, or the bare amount when the currency is absent or empty.
pub fn money(amount: &str, currency: Option<&str>) -> String {
    match currency {
        Some(currency) if !currency.is_empty() => format!("{amount} {currency}"),
        _ => amount.to_owned(),
    }
}

/// An app's key and secret on a marketplace's open platform (the shop connection's
/// `app_key` and `app_secret` credentials). `Debug` hides the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct AppCredentials {
    /// `app_key`.
    pub app_key: String,
    /// `app_secret`, the signing key.
    pub app_secret: String,
}

impl AppCredentials {
    /// The credentials `app_key` and `app_secret` of a shop connection, or a permanent
    /// error naming the missing one.
    pub fn from_shop(shop: &ShopConnection) -> Result<Self, AdapterError> {
        Ok(Self {
            app_key: shop.credential("app_key")?.to_owned(),
            app_secret: shop.credential("app_secret")?.to_owned(),
        })
    }
}

impl fmt::Debug for AppCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppCredentials")
            .field("app_key", &self.app_key)
            .field("app_secret", &"<redacted>")
            .finish()
    }
}

/// The HTTP method of a [`WireRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
}

impl HttpMethod {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
        }
    }
}

/// A fully described, signed HTTP request, ready for any HTTP client: what an adapter's
/// sans-IO wire layer builds and its adapter hands the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    /// HTTP method.
    pub method: HttpMethod,
    /// Scheme and host.
    pub host: String,
    /// Path, starting with `/`.
    pub path: String,
    /// Decoded query parameters in the order they should be sent, any signature included.
    pub query: Vec<(String, String)>,
    /// Headers to send (names lowercase).
    pub headers: Vec<(String, String)>,
    /// Body bytes, exactly as signed; empty for none.
    pub body: Vec<u8>,
}

impl WireRequest {
    /// The query string, percent-encoded (RFC 3986 unreserved characters kept), without `?`.
    pub fn query_string(&self) -> String {
        query_string(&self.query)
    }

    /// Host, path and query string joined into one URL (no `?` when there is no query).
    pub fn url(&self) -> String {
        let query = self.query_string();
        if query.is_empty() {
            format!("{}{}", self.host, self.path)
        } else {
            format!("{}{}?{}", self.host, self.path, query)
        }
    }

    /// The value of the query parameter `key`, if present.
    pub fn query_param(&self, key: &str) -> Option<&str> {
        find_param(&self.query, key)
    }

    /// The host's request for this one, given up after `timeout_ms`.
    pub fn into_http(self, timeout_ms: u64) -> HttpRequest {
        HttpRequest {
            method: self.method.as_str().to_owned(),
            url: self.url(),
            headers: self.headers,
            body: self.body,
            timeout_ms: Some(timeout_ms),
        }
    }
}

/// Serde readers (`#[serde(deserialize_with = "…")]`) for fields a platform sends as a
/// string or a number. Numbers read from strings are trimmed; an empty string is none.
pub mod lenient {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer};
    use std::str::FromStr;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StrOrNum {
        Str(String),
        Num(serde_json::Number),
    }

    impl StrOrNum {
        fn into_string(self) -> String {
            match self {
                StrOrNum::Str(text) => text,
                StrOrNum::Num(number) => number.to_string(),
            }
        }
    }

    fn parsed<T: FromStr, E: serde::de::Error>(value: StrOrNum) -> Result<Option<T>, E>
    where
        T::Err: std::fmt::Display,
    {
        let text = value.into_string();
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        text.parse().map(Some).map_err(E::custom)
    }

    /// A string or a number, as text.
    pub fn string<'de, D: Deserializer<'de>>(de: D) -> Result<String, D::Error> {
        Ok(StrOrNum::deserialize(de)?.into_string())
    }

    /// An optional string or number, as text.
    pub fn opt_string<'de, D: Deserializer<'de>>(de: D) -> Result<Option<String>, D::Error> {
        Ok(Option::<StrOrNum>::deserialize(de)?.map(StrOrNum::into_string))
    }

    /// A list of strings or numbers, as texts.
    pub fn strings<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
        Ok(Vec::<StrOrNum>::deserialize(de)?.into_iter().map(StrOrNum::into_string).collect())
    }

    /// An integer, as a number or a string.
    pub fn i64<'de, D: Deserializer<'de>>(de: D) -> Result<i64, D::Error> {
        parsed(StrOrNum::deserialize(de)?)?.ok_or_else(|| D::Error::custom("expected an integer"))
    }

    /// An optional integer, as a number or a string.
    pub fn opt_i64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<i64>, D::Error> {
        Option::<StrOrNum>::deserialize(de)?.map_or(Ok(None), parsed)
    }

    /// An optional `u32`, as a number or a string.
    pub fn opt_u32<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u32>, D::Error> {
        Option::<StrOrNum>::deserialize(de)?.map_or(Ok(None), parsed)
    }

    /// An optional `u64`, as a number or a string.
    pub fn opt_u64<'de, D: Deserializer<'de>>(de: D) -> Result<Option<u64>, D::Error> {
        Option::<StrOrNum>::deserialize(de)?.map_or(Ok(None), parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn only_unreserved_characters_stay_as_they_are() {
        assert_eq!(percent_encode("a-Z_0.~ é/&="), "a-Z_0.~%20%C3%A9%2F%26%3D");
        let pairs = [("k y".to_owned(), "v&w".to_owned()), ("b".into(), String::new())];
        assert_eq!(query_string(&pairs), "k%20y=v%26w&b=");
    }

    #[test]
    fn requests_join_their_url_and_hide_the_app_secret() {
        let mut request = WireRequest {
            method: HttpMethod::Post,
            host: "https://api.example".into(),
            path: "/a/b".into(),
            query: vec![("k y".into(), "v&w".into())],
            headers: vec![],
            body: b"{}".to_vec(),
        };
        assert_eq!(request.url(), "https://api.example/a/b?k%20y=v%26w");
        assert_eq!(request.query_param("k y"), Some("v&w"));
        request.query.clear();
        let http = request.into_http(5);
        assert_eq!(
            (http.method.as_str(), http.url.as_str(), http.timeout_ms),
            ("POST", "https://api.example/a/b", Some(5))
        );
        let shop =
            ShopConnection::with_credentials("s", &[("app_key", "k"), ("app_secret", "s3cr3t")]);
        let app = AppCredentials::from_shop(&shop).unwrap();
        assert!(!format!("{app:?}").contains("s3cr3t"));
        assert_eq!(
            (money("1.50", Some("EUR")), money("2", Some(""))),
            ("1.50 EUR".into(), "2".into())
        );
    }

    #[test]
    fn numbers_and_strings_read_the_same() {
        #[derive(Deserialize)]
        struct Fields {
            #[serde(deserialize_with = "lenient::string")]
            id: String,
            #[serde(default, deserialize_with = "lenient::opt_i64")]
            at: Option<i64>,
            #[serde(default, deserialize_with = "lenient::opt_u32")]
            width: Option<u32>,
            #[serde(default, deserialize_with = "lenient::strings")]
            ids: Vec<String>,
        }
        let a: Fields =
            serde_json::from_str(r#"{"id": 7, "at": " 12 ", "width": 640, "ids": [1, "2"]}"#)
                .unwrap();
        assert_eq!(
            (a.id.as_str(), a.at, a.width, a.ids),
            ("7", Some(12), Some(640), vec!["1".to_owned(), "2".to_owned()])
        );
        let b: Fields = serde_json::from_str(r#"{"id": "x", "at": "", "width": null}"#).unwrap();
        assert_eq!((b.at, b.width), (None, None));
        assert!(serde_json::from_str::<Fields>(r#"{"id": "x", "at": "soon"}"#).is_err());
        assert!(serde_json::from_str::<Fields>(r#"{"id": "x", "width": -1}"#).is_err());
        assert!(serde_json::from_str::<Fields>(r#"{"id": "x", "at": 1.5}"#).is_err());
    }
}
