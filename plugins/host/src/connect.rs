//! The authorization methods across the boundary (`authorization_url`,
//! `verify_callback`, `exchange_code`, `authorized_shops`, `subscribe_webhooks`): their
//! JSON inputs, and each call made only when the manifest lists the method (else the
//! contract's default: `unsupported`).

use crate::callbacks::NoHost;
use crate::plugin::Plugin;
use serde::Serialize;
use shopmux_contract::adapter::{
    AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, Host, ShopConnection,
};
use shopmux_plugin_abi::method;

#[derive(Serialize)]
struct UrlIn<'a> {
    app: &'a AuthorizationApp,
    request: &'a AuthorizationRequest,
}

#[derive(Serialize)]
struct CallbackIn<'a> {
    app: &'a AuthorizationApp,
    query: &'a [(String, String)],
    now_unix_ms: i64,
}

#[derive(Serialize)]
struct ExchangeIn<'a> {
    app: &'a AuthorizationApp,
    callback: &'a AuthorizationCallback,
}

#[derive(Serialize)]
struct ShopsIn<'a> {
    app: &'a AuthorizationApp,
    grant: &'a AuthorizationGrant,
}

#[derive(Serialize)]
struct SubscribeIn<'a> {
    shop: &'a ShopConnection,
    address: &'a str,
}

impl Plugin {
    fn not_listed<T>(&self, what: &str) -> Result<T, AdapterError> {
        Err(AdapterError::unsupported(&self.info().platform, what))
    }

    pub(crate) fn plugin_authorization_url(
        &self, app: &AuthorizationApp, request: &AuthorizationRequest,
    ) -> Result<String, AdapterError> {
        let host = NoHost { now_unix_ms: None };
        self.listed(&host, method::AUTHORIZATION_URL, &UrlIn { app, request })
            .unwrap_or_else(|| self.not_listed("authorization page"))
    }

    pub(crate) fn plugin_verify_callback(
        &self, app: &AuthorizationApp, query: &[(String, String)], now_unix_ms: i64,
    ) -> Result<AuthorizationCallback, AdapterError> {
        let host = NoHost { now_unix_ms: Some(now_unix_ms) };
        let input = CallbackIn { app, query, now_unix_ms };
        self.listed(&host, method::VERIFY_CALLBACK, &input)
            .unwrap_or_else(|| self.not_listed("authorization callback"))
    }

    pub(crate) fn plugin_exchange_code(
        &self, host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
    ) -> Result<AuthorizationGrant, AdapterError> {
        self.listed(host, method::EXCHANGE_CODE, &ExchangeIn { app, callback })
            .unwrap_or_else(|| self.not_listed("code exchange"))
    }

    pub(crate) fn plugin_authorized_shops(
        &self, host: &dyn Host, app: &AuthorizationApp, grant: &AuthorizationGrant,
    ) -> Result<Vec<AuthorizedShop>, AdapterError> {
        self.listed(host, method::AUTHORIZED_SHOPS, &ShopsIn { app, grant })
            .unwrap_or_else(|| self.not_listed("authorized shops"))
    }

    pub(crate) fn plugin_subscribe_webhooks(
        &self, host: &dyn Host, shop: &ShopConnection, address: &str,
    ) -> Result<(), AdapterError> {
        let done: Option<Result<(), AdapterError>> =
            self.listed(host, method::SUBSCRIBE_WEBHOOKS, &SubscribeIn { shop, address });
        done.unwrap_or_else(|| self.not_listed("webhook subscription"))
    }
}
