//! Connecting a Lazada seller in one click (capability `authorizes`, through the plugin
//! ABI's authorization methods): the authorization page
//! `https://auth.lazada.com/oauth/authorize?response_type=code&force_auth=true&redirect_uri=…&client_id=…&state=…`,
//! a callback Lazada does not sign (`code` and `state` are read; the host checks the
//! state), and `/auth/token/create` with the code (IOP-signed like the token refresh),
//! whose `country_user_info` names the seller and its country: the shop the grant covers.

use crate::adapter::Call;
use crate::wire::{self, int, text};
use serde_json::Value;
use shopmux_contract::adapter::{
    AdapterError as E, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, Host, ShopConnection,
};
use shopmux_contract::wire::query_string;

/// The authorization page's host.
pub const AUTHORIZE_HOST: &str = "https://auth.lazada.com";

/// The authorization page.
pub fn authorization_url(app: &AuthorizationApp, request: &AuthorizationRequest) -> String {
    let base = app.authorize_base.as_deref().unwrap_or(AUTHORIZE_HOST).trim_end_matches('/');
    let pairs = [
        ("response_type", "code"),
        ("force_auth", "true"),
        ("redirect_uri", request.redirect_uri.as_str()),
        ("client_id", app.client_id.as_str()),
        ("state", request.state.as_str()),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    format!("{base}/oauth/authorize?{}", query_string(&pairs))
}

/// `/auth/token/create` with the code, at the app's `api_base` (else the auth host).
pub fn exchange_code(
    host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
) -> Result<AuthorizationGrant, E> {
    let base = app.api_base.clone().unwrap_or_else(|| wire::AUTH_BASE.to_owned());
    let keys = [("app_key", app.client_id.as_str()), ("app_secret", app.client_secret.as_str())];
    let shop = ShopConnection::with_credentials("", &keys);
    let call = Call::new(host, &shop)?;
    let params = [("code", callback.code.clone())];
    let body = call
        .signed((&base, "/auth/token/create", "POST"), &params, false)
        .map_err(|e| if e.retryable { e } else { E::permanent("code_refused", e.message) })?;
    grant(host, app, &base, &body)
}

/// The grant a token reply makes: the tokens with their expiries, the seller and country.
fn grant(
    host: &dyn Host, app: &AuthorizationApp, base: &str, body: &Value,
) -> Result<AuthorizationGrant, E> {
    let now = host.now_unix_ms() / 1000;
    let info = &body["country_user_info"][0];
    let seller = text(&info["seller_id"]);
    if text(&body["access_token"]).is_empty() || seller.is_empty() {
        return Err(E::permanent("malformed", "the token reply names no token or seller"));
    }
    let credentials = [
        ("app_key", app.client_id.clone()),
        ("app_secret", app.client_secret.clone()),
        ("access_token", text(&body["access_token"])),
        ("refresh_token", text(&body["refresh_token"])),
        ("access_token_expires_at", (now + int(&body["expires_in"])).to_string()),
        ("refresh_token_expires_at", (now + int(&body["refresh_expires_in"])).to_string()),
        ("auth_base", base.to_owned()),
        ("country", text(&info["country"]).to_ascii_uppercase()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Ok(AuthorizationGrant { credentials, shop_hint: Some(seller) })
}

/// The seller the token is for, in its country.
pub fn authorized_shops(
    app: &AuthorizationApp, grant: &AuthorizationGrant,
) -> Result<Vec<AuthorizedShop>, E> {
    let seller = grant.shop_hint.clone().ok_or_else(|| E::permanent("no_shops", "no seller"))?;
    let mut credentials = grant.credentials.clone();
    let region = credentials.remove("country").unwrap_or_default();
    Ok(vec![AuthorizedShop {
        external_id: seller.clone(),
        region,
        name: seller,
        api_base: app.api_base.clone(),
        credentials,
    }])
}
