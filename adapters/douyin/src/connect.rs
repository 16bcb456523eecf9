//! Connecting a Douyin shop to a tool app (capability `authorizes`; §4.2): the service
//! market's authorization page `https://fuwu.jinritemai.com/authorize?service_id=…&state=…`
//! (the app's `service_id` setting), a callback Douyin does not sign (`code` and `state`
//! are read; the host checks the state), and `token.create` with
//! `grant_type=authorization_code`, whose data names the token's shop (`shop_id`,
//! `shop_name`). The shop's connection keeps the app's key and secret and the token pair.
//! Douyin has no subscription API: the message push URL is set in the app's console.

use std::collections::BTreeMap;

use serde::Deserialize;
use shopmux_contract::adapter::{
    AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, Host, ShopConnection,
};
use shopmux_contract::wire::query_string;

use crate::adapter::Douyin;
use crate::wire::{self, AUTHORIZE_URL};

/// The token's shop, as `token.create` names it.
#[derive(Deserialize)]
struct CreatedToken {
    access_token: String,
    #[serde(default)]
    expires_in: i64,
    #[serde(default)]
    refresh_token: String,
    #[serde(default, deserialize_with = "shopmux_contract::wire::lenient::string")]
    shop_id: String,
    #[serde(default)]
    shop_name: String,
}

/// The authorization page of the app's service.
pub fn authorization_url(
    app: &AuthorizationApp, request: &AuthorizationRequest,
) -> Result<String, AdapterError> {
    let service_id = app.settings.get("service_id").filter(|s| !s.is_empty()).ok_or_else(|| {
        AdapterError::permanent("not_configured", "the app's `service_id` setting is missing")
    })?;
    let base = match &app.authorize_base {
        Some(base) => format!("{}/authorize", base.trim_end_matches('/')),
        None => AUTHORIZE_URL.to_owned(),
    };
    let pairs = [("service_id", service_id.as_str()), ("state", request.state.as_str())]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
    Ok(format!("{base}?{}", query_string(&pairs)))
}

/// The app as a connection without a shop (for the token call).
fn app_connection(app: &AuthorizationApp) -> ShopConnection {
    ShopConnection {
        api_base: app.api_base.clone(),
        ..ShopConnection::with_credentials(
            "",
            &[("app_key", app.client_id.as_str()), ("app_secret", app.client_secret.as_str())],
        )
    }
}

impl Douyin {
    /// `token.create` with the code; the grant names the token's shop.
    pub(crate) fn create_token(
        &self, host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
    ) -> Result<AuthorizationGrant, AdapterError> {
        let code = callback.code.clone();
        let created: CreatedToken = self.call_with(host, &app_connection(app), None, &|ctx| {
            wire::token_create_with_code(ctx, &code)
        })?;
        let expires_at = host.now_unix_ms() / 1000 + created.expires_in;
        let credentials: BTreeMap<String, String> = [
            ("app_key", app.client_id.clone()),
            ("app_secret", app.client_secret.clone()),
            ("access_token", created.access_token),
            ("access_token_expires_at", expires_at.to_string()),
            ("refresh_token", created.refresh_token),
            ("shop_name", created.shop_name),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        Ok(AuthorizationGrant { credentials, shop_hint: Some(created.shop_id) })
    }
}

/// The one shop the token is for.
pub fn authorized_shops(
    app: &AuthorizationApp, grant: &AuthorizationGrant,
) -> Result<Vec<AuthorizedShop>, AdapterError> {
    let shop_id = grant
        .shop_hint
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| AdapterError::permanent("no_shops", "token.create named no shop"))?;
    let mut credentials = grant.credentials.clone();
    let name = credentials.remove("shop_name").unwrap_or_default();
    Ok(vec![AuthorizedShop {
        external_id: shop_id,
        region: "CN".into(),
        name,
        api_base: app.api_base.clone(),
        credentials,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_needs_the_service_and_the_callback_its_code_and_state() {
        let mut app = AuthorizationApp::default();
        let request = AuthorizationRequest { state: "s.t".into(), ..Default::default() };
        assert_eq!(authorization_url(&app, &request).unwrap_err().code, "not_configured");
        app.settings.insert("service_id".into(), "42".into());
        assert_eq!(
            authorization_url(&app, &request).unwrap(),
            "https://fuwu.jinritemai.com/authorize?service_id=42&state=s.t"
        );
        let query = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
        };
        let ok = AuthorizationCallback::unsigned(&query(&[("code", "c"), ("state", "s")])).unwrap();
        assert_eq!((ok.code.as_str(), ok.state.as_str()), ("c", "s"));
        assert!(AuthorizationCallback::unsigned(&query(&[("state", "s")])).is_err());
        let grant = AuthorizationGrant {
            credentials: [("shop_name".to_owned(), "店".to_owned())].into(),
            shop_hint: Some("12345".into()),
        };
        let shops = authorized_shops(&app, &grant).unwrap();
        assert_eq!((shops[0].external_id.as_str(), shops[0].name.as_str()), ("12345", "店"));
        assert!(!shops[0].credentials.contains_key("shop_name"));
    }
}
