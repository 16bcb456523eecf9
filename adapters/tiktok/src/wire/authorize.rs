//! Connecting a seller (§1.1): the seller authorization page
//! (`https://services.tiktokshop.com/open/authorize?service_id=…&state=…`), the code
//! exchanged on the auth host (`GET /api/v2/token/get` with the app's key and secret, the
//! `auth_code` and `grant_type=authorized_code` in the query, not signed), and Get
//! Authorized Shops (`GET /authorization/202309/shops`, signed, no `shop_cipher`) naming
//! each shop's `cipher` and region.

use serde::{Deserialize, Serialize};
use shopmux_contract::wire::query_string;

use super::request::{AppCredentials, HttpMethod, RequestContext, WireRequest, signed_request};

/// The seller authorization page's host (§1.1; the US has `services.us.tiktokshop.com`).
pub const AUTHORIZE_HOST: &str = "https://services.tiktokshop.com";

/// The authorization page for the app's service.
pub fn authorize_url(base: &str, service_id: &str, state: &str) -> String {
    let pairs =
        [("service_id", service_id), ("state", state)].map(|(k, v)| (k.to_owned(), v.to_owned()));
    format!("{}/open/authorize?{}", base.trim_end_matches('/'), query_string(&pairs))
}

/// Exchange an authorization code at `auth_base`.
pub fn get_access_token(auth_base: &str, app: &AppCredentials, auth_code: &str) -> WireRequest {
    let grant = [("auth_code", auth_code), ("grant_type", "authorized_code")];
    super::auth::token_request(auth_base, app, "/api/v2/token/get", grant)
}

/// `data` of the code exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenGetData {
    /// `access_token`.
    pub access_token: String,
    /// When it expires, Unix seconds.
    #[serde(default)]
    pub access_token_expire_in: i64,
    /// `refresh_token`.
    pub refresh_token: String,
    /// When it expires, Unix seconds.
    #[serde(default)]
    pub refresh_token_expire_in: i64,
    /// The seller's id.
    #[serde(default)]
    pub open_id: String,
    /// The seller's name.
    #[serde(default)]
    pub seller_name: String,
}

/// Get Authorized Shops, signed with the seller's new token (no shop cipher).
pub fn get_authorized_shops(ctx: &RequestContext<'_>) -> WireRequest {
    signed_request(ctx, HttpMethod::Get, "/authorization/202309/shops".to_owned(), vec![], vec![])
}

/// `data` of Get Authorized Shops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizedShopsData {
    /// The shops.
    #[serde(default)]
    pub shops: Vec<AuthorizedShopData>,
}

/// One authorized shop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizedShopData {
    /// The shop id (the webhooks' `shop_id`).
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its region (`GB`, `US`, ...).
    #[serde(default)]
    pub region: String,
    /// The `shop_cipher` of its calls.
    pub cipher: String,
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::credentials;
    use super::*;

    #[test]
    fn the_page_and_the_exchange_carry_what_tiktok_documents() {
        assert_eq!(
            authorize_url("https://services.tiktokshop.com/", "7123", "a.b"),
            "https://services.tiktokshop.com/open/authorize?service_id=7123&state=a.b"
        );
        let request = get_access_token("https://auth.example", &credentials(), "c/1");
        assert_eq!(
            request.url(),
            "https://auth.example/api/v2/token/get?app_key=29a39d&app_secret=e59af819cc\
             &auth_code=c%2F1&grant_type=authorized_code"
        );
    }
}
