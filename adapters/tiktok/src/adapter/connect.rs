//! Connecting a seller's shops (capability `authorizes`): the app's service's
//! authorization page (the app's `service_id` setting), a callback TikTok does not sign
//! (its `code` and `state` are read; the host checks the state), the code exchanged on
//! the auth host, and every shop Get Authorized Shops lists, each connected with the
//! app's key and secret, the seller's tokens and the shop's `shop_cipher`. The app's
//! `authorize_base` replaces the page's host, its `api_base` the API and auth hosts (one
//! simulator in tests). Webhook subscription: `PUT /event/202309/webhooks` per event type.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use shopmux_contract::adapter::{
    AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, Host, ShopConnection,
};

use super::TikTok;
use super::api::{CALL_TIMEOUT_MS, failure};
use crate::wire::{
    self, API_HOST, AUTH_HOST, AUTHORIZE_HOST, ApiResponse, AppCredentials, AuthorizedShopsData,
    RequestContext, ShopSession, TokenGetData,
};

/// The event types shopmux subscribes a connected shop to (§1.5).
pub const SUBSCRIBED_EVENTS: [&str; 4] = [
    "NEW_MESSAGE",
    "NEW_CONVERSATION",
    "SELLER_DEAUTHORIZATION",
    "UPCOMING_AUTHORIZATION_EXPIRATION",
];

fn app_credentials(app: &AuthorizationApp) -> AppCredentials {
    AppCredentials { app_key: app.client_id.clone(), app_secret: app.client_secret.clone() }
}

/// The app's service's authorization page.
pub(super) fn authorization_url(
    app: &AuthorizationApp, request: &AuthorizationRequest,
) -> Result<String, AdapterError> {
    let service_id = app.settings.get("service_id").filter(|s| !s.is_empty()).ok_or_else(|| {
        AdapterError::permanent("not_configured", "the app's `service_id` setting is missing")
    })?;
    let base = app.authorize_base.as_deref().unwrap_or(AUTHORIZE_HOST);
    Ok(wire::authorize_url(base, service_id, &request.state))
}

/// Exchanges the code on the auth host.
pub(super) fn exchange_code(
    host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
) -> Result<AuthorizationGrant, AdapterError> {
    let base = app.api_base.as_deref().unwrap_or(AUTH_HOST);
    let request = wire::get_access_token(base, &app_credentials(app), &callback.code);
    let response = host.http(request.into_http(CALL_TIMEOUT_MS))?;
    let parsed: Option<ApiResponse<TokenGetData>> = serde_json::from_slice(&response.body).ok();
    let t = match parsed {
        Some(ApiResponse { code: 0, data: Some(t), .. }) if response.status == 200 => t,
        Some(r) if response.status < 500 => {
            return Err(AdapterError::permanent(
                "code_refused",
                format!("TikTok refused the code: {} ({})", r.message, r.code),
            ));
        }
        _ => return Err(failure(response.status, 0, "the code exchange failed", None)),
    };
    let credentials: BTreeMap<String, String> = [
        ("app_key", app.client_id.clone()),
        ("app_secret", app.client_secret.clone()),
        ("access_token", t.access_token),
        ("access_token_expires_at", t.access_token_expire_in.to_string()),
        ("refresh_token", t.refresh_token),
        ("refresh_token_expires_at", t.refresh_token_expire_in.to_string()),
        ("auth_base", base.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Ok(AuthorizationGrant { credentials, shop_hint: Some(t.open_id) })
}

/// Every shop the seller authorized, from Get Authorized Shops.
pub(super) fn authorized_shops(
    host: &dyn Host, app: &AuthorizationApp, grant: &AuthorizationGrant,
) -> Result<Vec<AuthorizedShop>, AdapterError> {
    let token = grant.credentials.get("access_token").cloned().unwrap_or_default();
    let credentials = app_credentials(app);
    let session = ShopSession { access_token: token, shop_cipher: String::new() };
    let now = Utc.timestamp_millis_opt(host.now_unix_ms()).single().unwrap_or_else(Utc::now);
    let api_host = app.api_base.as_deref().unwrap_or(API_HOST);
    let ctx = RequestContext { host: api_host, credentials: &credentials, shop: &session, now };
    let response = host.http(wire::get_authorized_shops(&ctx).into_http(CALL_TIMEOUT_MS))?;
    let parsed: Option<ApiResponse<AuthorizedShopsData>> =
        serde_json::from_slice(&response.body).ok();
    let data = match parsed {
        Some(ApiResponse { code: 0, data: Some(data), .. }) if response.status == 200 => data,
        Some(r) => return Err(failure(response.status, r.code, &r.message, None)),
        None => return Err(failure(response.status, 0, "no TikTok reply", None)),
    };
    Ok(data
        .shops
        .into_iter()
        .map(|shop| {
            let mut credentials = grant.credentials.clone();
            credentials.insert("shop_cipher".into(), shop.cipher);
            AuthorizedShop {
                external_id: shop.id,
                region: shop.region,
                name: shop.name,
                api_base: app.api_base.clone(),
                credentials,
            }
        })
        .collect())
}

impl TikTok {
    /// Subscribes the shop's [`SUBSCRIBED_EVENTS`] to `address`.
    pub(super) fn subscribe(
        &self, host: &dyn Host, shop: &ShopConnection, address: &str,
    ) -> Result<(), AdapterError> {
        let mut shop = self.current(host, shop)?;
        for event in SUBSCRIBED_EVENTS {
            let _: serde_json::Value =
                self.call(host, &mut shop, |ctx| wire::update_webhook(ctx, address, event))?;
        }
        Ok(())
    }
}
