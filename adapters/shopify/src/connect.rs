//! Connecting a store (the adapter's authorization steps): the store's own authorization
//! page, the callback verified with [`crate::oauth`], the code exchanged at
//! `/admin/oauth/access_token`, and the one store the grant covers, whose connection keeps
//! the token and the client secret (webhooks are signed with it). The store's domain is
//! its external id; the app's `api_base` (the simulator's address in tests) replaces
//! `https://{domain}` for the token exchange and the store's calls, its `authorize_base`
//! the page's host. The app's `scopes` setting replaces [`crate::oauth::SCOPES`].

use crate::oauth::{self, CallbackError, SubscribeData, TokenReply};
use crate::wire::validate_shop_domain;
use shopmux_contract::adapter::{
    AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, Host, HttpRequest,
};

fn invalid_shop(shop: &str) -> AdapterError {
    AdapterError::permanent(
        "invalid_shop",
        format!("`{shop}` is not a store's {{name}}.myshopify.com domain"),
    )
}

/// The store's domain, lowercased and checked.
fn store_domain(hint: Option<&str>) -> Result<String, AdapterError> {
    let shop = hint.map(|s| s.trim().to_lowercase()).unwrap_or_default();
    validate_shop_domain(&shop).map_err(|_| invalid_shop(&shop))?;
    Ok(shop)
}

/// The store's authorization page.
pub fn authorization_url(
    app: &AuthorizationApp, request: &AuthorizationRequest,
) -> Result<String, AdapterError> {
    let shop = store_domain(request.shop_hint.as_deref())?;
    let base = app.authorize_base.clone().unwrap_or_else(|| format!("https://{shop}"));
    let scopes = app.settings.get("scopes").map_or(oauth::SCOPES, String::as_str);
    let url =
        oauth::authorize_url(&base, &app.client_id, scopes, &request.redirect_uri, &request.state);
    // The simulator serves every store at one address: it is told which.
    Ok(match &app.authorize_base {
        Some(_) => format!("{url}&shop={shop}"),
        None => url,
    })
}

/// Verifies the callback (hmac, timestamp, store domain).
pub fn verify_callback(
    app: &AuthorizationApp, query: &[(String, String)], now_unix_ms: i64,
) -> Result<AuthorizationCallback, AdapterError> {
    let verified = oauth::verify_callback(&app.client_secret, query, now_unix_ms).map_err(|e| {
        let code = match e {
            CallbackError::Stale => "stale",
            CallbackError::BadShop(_) => "invalid_shop",
            _ => "bad_signature",
        };
        AdapterError::permanent(code, e.to_string())
    })?;
    Ok(AuthorizationCallback {
        code: verified.code,
        state: verified.state,
        shop_hint: Some(verified.shop),
    })
}

/// Exchanges the code at the store's `/admin/oauth/access_token`.
pub fn exchange_code(
    host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
) -> Result<AuthorizationGrant, AdapterError> {
    let shop = store_domain(callback.shop_hint.as_deref())?;
    let base = app.api_base.clone().unwrap_or_else(|| format!("https://{shop}"));
    let response = host.http(HttpRequest {
        method: "POST".into(),
        url: format!("{}/admin/oauth/access_token", base.trim_end_matches('/')),
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("Accept".into(), "application/json".into()),
        ],
        body: oauth::token_body(&app.client_id, &app.client_secret, &callback.code),
        timeout_ms: Some(10_000),
    })?;
    if response.status != 200 {
        let refused = (400..500).contains(&response.status);
        let message = format!("Shopify refused the code (HTTP {})", response.status);
        return Err(if refused {
            AdapterError::permanent("code_refused", message)
        } else {
            AdapterError::from_status(&response, message)
        });
    }
    let reply: TokenReply = serde_json::from_slice(&response.body)
        .map_err(|e| AdapterError::permanent("malformed", e.to_string()))?;
    let credentials = [
        ("access_token", reply.access_token),
        ("scope", reply.scope),
        ("client_secret", app.client_secret.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    Ok(AuthorizationGrant { credentials, shop_hint: Some(shop) })
}

/// The one store a grant covers.
pub fn authorized_shops(
    app: &AuthorizationApp, grant: &AuthorizationGrant,
) -> Result<Vec<AuthorizedShop>, AdapterError> {
    let shop = store_domain(grant.shop_hint.as_deref())?;
    let name = shop.trim_end_matches(".myshopify.com").to_owned();
    Ok(vec![AuthorizedShop {
        external_id: shop,
        region: String::new(),
        name,
        api_base: app.api_base.clone(),
        credentials: grant.credentials.clone(),
    }])
}

/// Whether a topic's subscription exists now: created, or already there.
pub fn subscribed(topic: &str, data: &SubscribeData) -> Result<(), AdapterError> {
    match data.create.user_errors.first() {
        None => Ok(()),
        Some(e) if e.message.contains("already been taken") => Ok(()),
        Some(e) => Err(AdapterError::permanent(
            "subscription_refused",
            format!("Shopify refused the {topic} subscription: {}", e.message),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> AuthorizationApp {
        AuthorizationApp {
            client_id: "cid".into(),
            client_secret: "hush".into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_page_is_the_store_s_own_and_a_bad_store_is_refused() {
        let request = AuthorizationRequest {
            redirect_uri: "https://inbox.example/cb".into(),
            state: "st".into(),
            shop_hint: Some(" Linen-And-Co.myshopify.com ".into()),
        };
        let url = authorization_url(&app(), &request).unwrap();
        assert!(url.starts_with("https://linen-and-co.myshopify.com/admin/oauth/authorize?client_id=cid&scope=read_customers"), "{url}");
        let bad = AuthorizationRequest { shop_hint: Some("evil.example".into()), ..request };
        assert_eq!(authorization_url(&app(), &bad).unwrap_err().code, "invalid_shop");
        let none = AuthorizationRequest { shop_hint: None, ..bad };
        assert_eq!(authorization_url(&app(), &none).unwrap_err().code, "invalid_shop");
    }

    #[test]
    fn callback_refusals_have_their_codes() {
        let query: Vec<(String, String)> =
            [("code", "c"), ("shop", "x.myshopify.com"), ("state", "s"), ("timestamp", "1000")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
        let mut signed = query.clone();
        signed.push(("hmac".into(), oauth::callback_hmac("hush", &query)));
        let ok = verify_callback(&app(), &signed, 1_000_000).unwrap();
        assert_eq!(ok.shop_hint.as_deref(), Some("x.myshopify.com"));
        assert_eq!(verify_callback(&app(), &signed, 2_000_000).unwrap_err().code, "stale");
        signed[0].1 = "d".into();
        assert_eq!(verify_callback(&app(), &signed, 1_000_000).unwrap_err().code, "bad_signature");
    }
}
