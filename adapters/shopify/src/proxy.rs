//! Shopify App Proxy requests, verified as pure functions.
//!
//! A shop's storefront reaches the app at `https://{shop}/{prefix}/{subpath}/…`; Shopify
//! forwards the request to the app's proxy URL with query parameters added: `shop`
//! (`{name}.myshopify.com`), `logged_in_customer_id` (empty when nobody is signed in),
//! `path_prefix`, `timestamp` (Unix seconds) and `signature`. The signature is the **hex**
//! HMAC-SHA256, keyed by the app's client secret, of every other parameter, decoded,
//! sorted by key and written `key=value` with **no separator** between them; a parameter
//! given several times is one `key=v1,v2` (shopify.dev "Authenticate app proxies",
//! and Shopify's `shopify-api-js` `validateHmac` with `HmacValidationType.Proxy`).
//!
//! Shopify documents no age limit for proxied requests; shopmux refuses a timestamp more
//! than [`MAX_AGE_SECS`] from now (either way), so a request captured from a customer's
//! browser cannot be replayed for long.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use subtle::ConstantTimeEq;

/// How far (seconds) a proxied request's `timestamp` may be from now, either way.
pub const MAX_AGE_SECS: i64 = 300;

/// Why a proxied request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProxyError {
    /// No `signature`, `timestamp` or `shop` parameter.
    #[error("the request carries no signature, timestamp or shop")]
    Missing,
    /// The signature is not hex of a 32-byte digest, or the timestamp not a number.
    #[error("the signature or timestamp does not read")]
    Malformed,
    /// The signature does not match the parameters.
    #[error("the signature does not match the parameters")]
    Mismatch,
    /// The timestamp is too far from now.
    #[error("the request is older (or newer) than {MAX_AGE_SECS} s")]
    Stale,
    /// The signed shop is another shop.
    #[error("the request is for another shop")]
    WrongShop,
}

/// A verified proxied request: who is signed in at the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyVisitor {
    /// Shopify's customer id (`logged_in_customer_id`); none: not signed in.
    pub customer_id: Option<String>,
}

/// The message Shopify signs: the parameters other than `signature`, repeated keys'
/// values joined with `,`, sorted by key, as `key=value` with nothing between.
fn signed_message(query: &[(String, String)]) -> String {
    let mut by_key: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (key, value) in query.iter().filter(|(k, _)| k != "signature") {
        by_key.entry(key).or_default().push(value);
    }
    by_key.iter().map(|(key, values)| format!("{key}={}", values.join(","))).collect()
}

/// The expected `signature` of a query (hex HMAC-SHA256).
pub fn proxy_signature(client_secret: &str, query: &[(String, String)]) -> String {
    hex::encode(digest(client_secret, query))
}

fn digest(client_secret: &str, query: &[(String, String)]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(signed_message(query).as_bytes());
    mac.finalize().into_bytes().into()
}

fn param<'a>(query: &'a [(String, String)], key: &str) -> Option<&'a str> {
    query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// Verifies a proxied request of shop `shop_domain` at `now_unix_ms`: the signature (in
/// constant time), the timestamp's age, the shop; then who is signed in.
pub fn verify_proxy(
    client_secret: &str, query: &[(String, String)], shop_domain: &str, now_unix_ms: i64,
) -> Result<ProxyVisitor, ProxyError> {
    let given = param(query, "signature").ok_or(ProxyError::Missing)?;
    let timestamp = param(query, "timestamp").ok_or(ProxyError::Missing)?;
    let shop = param(query, "shop").ok_or(ProxyError::Missing)?;
    let given = hex::decode(given).map_err(|_| ProxyError::Malformed)?;
    if given.len() != 32 {
        return Err(ProxyError::Malformed);
    }
    let expected = digest(client_secret, query);
    if !bool::from(expected.ct_eq(&given[..])) {
        return Err(ProxyError::Mismatch);
    }
    let timestamp: i64 = timestamp.parse().map_err(|_| ProxyError::Malformed)?;
    if (now_unix_ms.div_euclid(1000) - timestamp).abs() > MAX_AGE_SECS {
        return Err(ProxyError::Stale);
    }
    if !shop.eq_ignore_ascii_case(shop_domain) {
        return Err(ProxyError::WrongShop);
    }
    let customer_id = param(query, "logged_in_customer_id")
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    Ok(ProxyVisitor { customer_id })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    /// The query of Shopify's example ("Authenticate app proxies"): `extra=1&extra=2&
    /// shop=shop-name.myshopify.com&logged_in_customer_id=1&path_prefix=%2Fapps%2F
    /// awesome_reviews&timestamp=1317327555`, with the secret `hush`; the expected digest
    /// was computed apart, with Python's `hmac` over the message asserted below.
    fn documented() -> Vec<(String, String)> {
        pairs(&[
            ("extra", "1"),
            ("extra", "2"),
            ("shop", "shop-name.myshopify.com"),
            ("logged_in_customer_id", "1"),
            ("path_prefix", "/apps/awesome_reviews"),
            ("timestamp", "1317327555"),
        ])
    }

    #[test]
    fn the_signed_message_joins_repeated_keys_and_sorts_without_separators() {
        assert_eq!(
            signed_message(&documented()),
            "extra=1,2logged_in_customer_id=1path_prefix=/apps/awesome_reviews\
             shop=shop-name.myshopify.comtimestamp=1317327555"
        );
        assert_eq!(
            proxy_signature("hush", &documented()),
            "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb"
        );
    }

    #[test]
    fn a_forged_stale_or_other_shops_proxy_request_is_refused() {
        let now = 1_317_327_555_000;
        let mut query = documented();
        query.push(("signature".into(), proxy_signature("hush", &documented())));
        let domain = "shop-name.myshopify.com";
        let visitor = verify_proxy("hush", &query, domain, now).unwrap();
        assert_eq!(visitor.customer_id.as_deref(), Some("1"));
        assert_eq!(verify_proxy("other", &query, domain, now), Err(ProxyError::Mismatch));
        let late = now + (MAX_AGE_SECS + 1) * 1000;
        assert_eq!(verify_proxy("hush", &query, domain, late), Err(ProxyError::Stale));
        assert!(verify_proxy("hush", &query, domain, now + MAX_AGE_SECS * 1000).is_ok());
        assert_eq!(
            verify_proxy("hush", &query, "x.myshopify.com", now),
            Err(ProxyError::WrongShop)
        );
        // A customer id changed after signing breaks the signature.
        let mut forged = query.clone();
        forged[3].1 = "2".into();
        assert_eq!(verify_proxy("hush", &forged, domain, now), Err(ProxyError::Mismatch));
        let unsigned: Vec<_> = query.iter().filter(|(k, _)| k != "signature").cloned().collect();
        assert_eq!(verify_proxy("hush", &unsigned, domain, now), Err(ProxyError::Missing));
        let mut short = query.clone();
        short.last_mut().unwrap().1 = "abcd".into();
        assert_eq!(verify_proxy("hush", &short, domain, now), Err(ProxyError::Malformed));
    }
}
