//! Connecting a seller (capability `authorizes`): the authorization page
//! `https://api-sg.aliexpress.com/oauth/authorize?response_type=code&force_auth=true&redirect_uri=…&client_id=…&state=…`
//! (AliExpress's open-platform authorization flow; not in platform-apis.md, which lists
//! only the token APIs), a callback AliExpress does not sign (`code` and `state` are read;
//! the host checks the state), and `/auth/token/create` with the code (signed like every
//! system API, §3.2), whose reply names the seller (`user_nick`, else `account`, else
//! `seller_id`): the one shop the grant covers. AliExpress has no push to subscribe.

use shopmux_contract::adapter::{
    AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, Host, ShopConnection,
};
use shopmux_contract::wire::query_string;

use super::session::Session;
use super::tokens::renewed_credentials;
use crate::wire::{self, WireError};

/// The authorization page's host.
pub const AUTHORIZE_HOST: &str = "https://api-sg.aliexpress.com";

/// The authorization page.
pub(super) fn authorization_url(app: &AuthorizationApp, request: &AuthorizationRequest) -> String {
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

/// `/auth/token/create` with the code.
pub(super) fn exchange_code(
    host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
) -> Result<AuthorizationGrant, AdapterError> {
    let credentials =
        [("app_key", app.client_id.as_str()), ("app_secret", app.client_secret.as_str())];
    let shop = ShopConnection {
        api_base: app.api_base.clone(),
        ..ShopConnection::with_credentials("", &credentials)
    };
    let session = Session { host, shop, renewed: None };
    let response = session.exchange(false, |ctx| wire::token_create(ctx, &callback.code))?;
    let reply = wire::parse_token_reply(&response.body).map_err(|e| match e {
        WireError::Gateway(error) => AdapterError::permanent(
            "code_refused",
            format!("AliExpress refused the code: {error:?}"),
        ),
        other => AdapterError::transient("malformed", other.to_string()),
    })?;
    let seller = [&reply.user_nick, &reply.account, &reply.seller_id]
        .into_iter()
        .find_map(|v| v.clone().filter(|v| !v.is_empty()));
    let mut granted = renewed_credentials(reply, host.now_unix_ms() / 1000)?;
    granted.insert("app_key".into(), app.client_id.clone());
    granted.insert("app_secret".into(), app.client_secret.clone());
    Ok(AuthorizationGrant { credentials: granted, shop_hint: seller })
}

/// The seller the token is for.
pub(super) fn authorized_shops(
    app: &AuthorizationApp, grant: &AuthorizationGrant,
) -> Result<Vec<AuthorizedShop>, AdapterError> {
    let seller = grant
        .shop_hint
        .clone()
        .ok_or_else(|| AdapterError::permanent("no_shops", "the token names no seller"))?;
    Ok(vec![AuthorizedShop {
        external_id: seller.clone(),
        region: String::new(),
        name: seller,
        api_base: app.api_base.clone(),
        credentials: grant.credentials.clone(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_carries_the_app_and_the_state_and_the_callback_its_code() {
        let app = AuthorizationApp { client_id: "5000".into(), ..Default::default() };
        let request = AuthorizationRequest {
            redirect_uri: "https://inbox.example/connect/aliexpress/callback".into(),
            state: "s.t".into(),
            shop_hint: None,
        };
        assert_eq!(
            authorization_url(&app, &request),
            "https://api-sg.aliexpress.com/oauth/authorize?response_type=code&force_auth=true\
             &redirect_uri=https%3A%2F%2Finbox.example%2Fconnect%2Faliexpress%2Fcallback\
             &client_id=5000&state=s.t"
        );
        let query: Vec<(String, String)> =
            [("code", "3_x"), ("state", "s.t")].map(|(k, v)| (k.to_owned(), v.to_owned())).into();
        assert_eq!(AuthorizationCallback::unsigned(&query).unwrap().code, "3_x");
        assert_eq!(AuthorizationCallback::unsigned(&query[1..]).unwrap_err().code, "bad_request");
        let grant = AuthorizationGrant { credentials: Default::default(), shop_hint: None };
        assert_eq!(authorized_shops(&app, &grant).unwrap_err().code, "no_shops");
    }
}
