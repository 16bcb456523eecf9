//! Shopify's authorization-code grant, as pure functions (platform-apis.md §2.1; shopify.dev
//! "Implement authorization code grant manually"; Shopify/shopify-api-js
//! `lib/auth/oauth/oauth.ts` and `lib/utils/hmac-validator.ts`):
//!
//! - the seller is sent to `https://{shop}.myshopify.com/admin/oauth/authorize` with
//!   `client_id`, `scope`, `redirect_uri` and `state`;
//! - Shopify sends them back with `code`, `hmac`, `host`, `shop`, `state`, `timestamp`;
//!   `hmac` is the hex HMAC-SHA256 (client secret) of the other parameters (`signature`
//!   left out too) sorted by key, each `key=value` form-URL-encoded (as `URLSearchParams`
//!   does), joined by `&`; the `timestamp` must be within [`MAX_AGE_SECS`] of now, the
//!   shop a valid `{name}.myshopify.com` domain;
//! - the code is exchanged at `POST https://{shop}/admin/oauth/access_token` with JSON
//!   `{client_id, client_secret, code}` for `{access_token, scope}`.

use crate::wire::validate_shop_domain;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use shopmux_contract::wire::find_param;
use std::fmt::Write as _;

/// How far from now a callback's `timestamp` may be, either way (shopify-api-js).
pub const MAX_AGE_SECS: i64 = 90;

/// The Admin API access scopes shopmux asks for: customers and orders for the customer
/// panel, discounts and products for SH-DISC-1 and SH-PROD-1, carts' webhooks need
/// `read_orders` too.
pub const SCOPES: &str = "read_customers,read_orders,read_discounts,read_products";

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// `hmac`, `code`, `shop`, `state` or `timestamp` is missing.
    #[error("the callback has no `{0}`")]
    Missing(&'static str),
    /// The `hmac` does not match.
    #[error("the callback's hmac does not match")]
    BadHmac,
    /// The `timestamp` is too old or in the future.
    #[error("the callback's timestamp is more than {MAX_AGE_SECS} s from now")]
    Stale,
    /// The `shop` is not a `{name}.myshopify.com` domain.
    #[error("`{0}` is not a myshopify.com shop domain")]
    BadShop(String),
}

/// A verified callback's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Callback {
    /// The authorization code.
    pub code: String,
    /// `{name}.myshopify.com`.
    pub shop: String,
    /// The state handed back.
    pub state: String,
}

/// Appends `input` as `application/x-www-form-urlencoded` writes it (`URLSearchParams`):
/// `*-._` and alphanumerics kept, space as `+`, every other byte `%XX`.
fn form_encode_into(out: &mut String, input: &str) {
    for byte in input.bytes() {
        match byte {
            b'*' | b'-' | b'.' | b'_' => out.push(char::from(byte)),
            b' ' => out.push('+'),
            _ if byte.is_ascii_alphanumeric() => out.push(char::from(byte)),
            _ => {
                let _ = write!(out, "%{byte:02X}");
            }
        }
    }
}

/// The message the callback's `hmac` covers: every parameter but `hmac` and `signature`,
/// sorted by key, `key=value` form-encoded, joined by `&`.
pub fn callback_message(query: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> =
        query.iter().filter(|(k, _)| k != "hmac" && k != "signature").collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (idx, (key, value)) in pairs.into_iter().enumerate() {
        if idx > 0 {
            out.push('&');
        }
        form_encode_into(&mut out, key);
        out.push('=');
        form_encode_into(&mut out, value);
    }
    out
}

fn keyed(secret: &str) -> Hmac<Sha256> {
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC accepts keys of any length")
}

/// The hex `hmac` of a callback's query.
pub fn callback_hmac(client_secret: &str, query: &[(String, String)]) -> String {
    let mut mac = keyed(client_secret);
    mac.update(callback_message(query).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn required<'a>(
    query: &'a [(String, String)], key: &'static str,
) -> Result<&'a str, CallbackError> {
    find_param(query, key).filter(|v| !v.is_empty()).ok_or(CallbackError::Missing(key))
}

/// Verifies a callback: its `hmac` (constant time), its `timestamp` against
/// `now_unix_ms`, its shop domain; returns code, shop and state.
pub fn verify_callback(
    client_secret: &str, query: &[(String, String)], now_unix_ms: i64,
) -> Result<Callback, CallbackError> {
    let given = required(query, "hmac")?;
    let given = hex::decode(given).map_err(|_| CallbackError::BadHmac)?;
    let mut mac = keyed(client_secret);
    mac.update(callback_message(query).as_bytes());
    mac.verify_slice(&given).map_err(|_| CallbackError::BadHmac)?;
    let timestamp: i64 = required(query, "timestamp")?.parse().map_err(|_| CallbackError::Stale)?;
    if (now_unix_ms.div_euclid(1000) - timestamp).abs() > MAX_AGE_SECS {
        return Err(CallbackError::Stale);
    }
    let shop = required(query, "shop")?;
    validate_shop_domain(shop).map_err(|_| CallbackError::BadShop(shop.to_owned()))?;
    Ok(Callback {
        code: required(query, "code")?.to_owned(),
        shop: shop.to_owned(),
        state: required(query, "state")?.to_owned(),
    })
}

/// The authorization page's URL: `{base}/admin/oauth/authorize?client_id&scope&redirect_uri&state`,
/// `base` being `https://{shop}` (or the simulator's address).
pub fn authorize_url(
    base: &str, client_id: &str, scopes: &str, redirect_uri: &str, state: &str,
) -> String {
    let pairs = [
        ("client_id", client_id),
        ("scope", scopes),
        ("redirect_uri", redirect_uri),
        ("state", state),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    format!(
        "{}/admin/oauth/authorize?{}",
        base.trim_end_matches('/'),
        shopmux_contract::wire::query_string(&pairs)
    )
}

/// The token exchange's JSON body.
pub fn token_body(client_id: &str, client_secret: &str, code: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "client_id": client_id, "client_secret": client_secret, "code": code,
    }))
    .unwrap_or_default()
}

/// The token exchange's answer.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TokenReply {
    /// The offline Admin API token.
    pub access_token: String,
    /// The scopes granted, comma-separated.
    #[serde(default)]
    pub scope: String,
}

/// The topics shopmux subscribes a connected shop to, as the GraphQL enum names them
/// (`carts/create` is `CARTS_CREATE`).
pub const SUBSCRIBED_TOPICS: &[&str] = &[
    "CARTS_CREATE",
    "CARTS_UPDATE",
    "CUSTOMERS_CREATE",
    "CUSTOMERS_UPDATE",
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "APP_UNINSTALLED",
];

/// The mutation subscribing one topic: variables `topic` and `callbackUrl`.
pub const SUBSCRIBE_MUTATION: &str = "mutation SubscribeWebhook($topic: WebhookSubscriptionTopic!, $callbackUrl: URL!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: { callbackUrl: $callbackUrl, format: JSON }) { webhookSubscription { id } userErrors { field message } } }";

/// What `webhookSubscriptionCreate` answers.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SubscribeData {
    /// The mutation's payload.
    #[serde(rename = "webhookSubscriptionCreate")]
    pub create: SubscribePayload,
}

/// The mutation's payload: the subscription or what was wrong.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct SubscribePayload {
    /// Problems with the input; "already taken" means the subscription exists.
    #[serde(default, rename = "userErrors")]
    pub user_errors: Vec<crate::wire::GraphqlError>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    // Shopify's documented example (secret "hush"): the message
    // `code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&timestamp=1337178173`
    // has the hex digest 4712bf92…4d20 (shopify.dev OAuth "Verification"; reproduced by the
    // exshopify library's docs, hexdocs.pm/exshopify/Shopify.HMAC.html).
    const DOC_HMAC: &str = "4712bf92ffc2917d15a2f5a273e39f0116667419aa4b6ac0b3baaf26fa3c4d20";

    fn doc_query() -> Vec<(String, String)> {
        pairs(&[
            ("shop", "some-shop.myshopify.com"),
            ("code", "0907a61c0c8d55e99db179b68161bc00"),
            ("hmac", DOC_HMAC),
            ("timestamp", "1337178173"),
        ])
    }

    #[test]
    fn documented_vector() {
        assert_eq!(
            callback_message(&doc_query()),
            "code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&timestamp=1337178173"
        );
        assert_eq!(callback_hmac("hush", &doc_query()), DOC_HMAC);
    }

    fn signed(list: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut query = pairs(list);
        let hmac = callback_hmac("hush", &query);
        query.push(("hmac".into(), hmac));
        query
    }

    const NOW_MS: i64 = 1_337_178_173_000;

    #[test]
    fn a_signed_fresh_callback_verifies_and_every_tamper_fails() {
        let good = [
            ("code", "c0de"),
            ("shop", "linen-and-co.myshopify.com"),
            ("state", "st.ate"),
            ("timestamp", "1337178173"),
            ("host", "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvbGluZW4="),
        ];
        let ok = verify_callback("hush", &signed(&good), NOW_MS + 89_000).unwrap();
        assert_eq!((ok.code.as_str(), ok.state.as_str()), ("c0de", "st.ate"));
        assert_eq!(ok.shop, "linen-and-co.myshopify.com");
        assert_eq!(
            verify_callback("hush", &signed(&good), NOW_MS + 91_000),
            Err(CallbackError::Stale)
        );
        assert_eq!(
            verify_callback("hush", &signed(&good), NOW_MS - 91_000),
            Err(CallbackError::Stale)
        );
        let mut tampered = signed(&good);
        tampered[2].1 = "other".into();
        assert_eq!(verify_callback("hush", &tampered, NOW_MS), Err(CallbackError::BadHmac));
        assert_eq!(verify_callback("other", &signed(&good), NOW_MS), Err(CallbackError::BadHmac));
        let mut bad_shop = good;
        bad_shop[1].1 = "evil.example.com";
        assert_eq!(
            verify_callback("hush", &signed(&bad_shop), NOW_MS),
            Err(CallbackError::BadShop("evil.example.com".into()))
        );
        assert_eq!(
            verify_callback("hush", &pairs(&good), NOW_MS),
            Err(CallbackError::Missing("hmac"))
        );
    }

    #[test]
    fn form_encoding_is_url_search_params() {
        let query = pairs(&[("b", "a b*c/d"), ("a", "é")]);
        assert_eq!(callback_message(&query), "a=%C3%A9&b=a+b*c%2Fd");
    }

    #[test]
    fn the_authorization_url_carries_every_parameter_encoded() {
        let url = authorize_url(
            "https://linen-and-co.myshopify.com/",
            "cid",
            "read_orders,read_customers",
            "https://inbox.example/connect/shopify/callback",
            "s.t",
        );
        assert_eq!(
            url,
            "https://linen-and-co.myshopify.com/admin/oauth/authorize?client_id=cid&scope=read_orders%2Cread_customers&redirect_uri=https%3A%2F%2Finbox.example%2Fconnect%2Fshopify%2Fcallback&state=s.t"
        );
    }
}
