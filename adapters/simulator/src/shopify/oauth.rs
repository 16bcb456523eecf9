//! Shopify's app installation, simulated (shopify.dev "Implement authorization code grant
//! manually"): the store's consent page `GET /admin/oauth/authorize` (a plain form naming
//! the app and its scopes), the owner's consent `GET /admin/oauth/consent` redirecting to
//! the app's `redirect_uri` with `code`, `host`, `shop`, `state`, `timestamp` and the
//! `hmac` from the simulator's own [`super::sign::oauth_hmac`], and the token endpoint
//! `POST /admin/oauth/access_token` (JSON `{client_id, client_secret, code}` → `{access_token,
//! scope}`; a code works once).

use super::Shared;
use crate::consent::{escape, percent};
use crate::lock;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// The app installed through the simulated consent page.
#[derive(Clone, Debug, Default)]
pub struct SimApp {
    /// Its client id.
    pub client_id: String,
    /// Its client secret (signs the redirect, checked at the token endpoint).
    pub client_secret: String,
}

/// What the consent page and the consent carry.
#[derive(Debug, Deserialize)]
pub(super) struct AuthorizeQuery {
    client_id: String,
    #[serde(default)]
    scope: String,
    redirect_uri: String,
    state: String,
    #[serde(default)]
    shop: String,
}

fn refusal(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

/// The consent page.
pub(super) async fn authorize(
    State(sim): State<Arc<Shared>>, Query(q): Query<AuthorizeQuery>,
) -> Response {
    if sim.config.app.as_ref().is_none_or(|app| app.client_id != q.client_id) {
        return refusal(StatusCode::BAD_REQUEST, "unknown client_id");
    }
    let hidden = [
        ("client_id", &q.client_id),
        ("scope", &q.scope),
        ("redirect_uri", &q.redirect_uri),
        ("state", &q.state),
        ("shop", &q.shop),
    ]
    .iter()
    .map(|(k, v)| format!(r#"<input type="hidden" name="{k}" value="{}">"#, escape(v)))
    .collect::<String>();
    Html(format!(
        r#"<!doctype html><title>Install app</title><h1>Install this app on {shop}?</h1>
<p>It asks for: {scope}</p><form method="get" action="/admin/oauth/consent">{hidden}
<button id="install" type="submit">Install app</button></form>"#,
        shop = escape(&q.shop),
        scope = escape(&q.scope),
    ))
    .into_response()
}

/// The owner's consent: back to the app with a fresh, signed code.
pub(super) async fn consent(
    State(sim): State<Arc<Shared>>, Query(q): Query<AuthorizeQuery>,
) -> Response {
    let Some(app) = sim.config.app.clone().filter(|app| app.client_id == q.client_id) else {
        return refusal(StatusCode::BAD_REQUEST, "unknown client_id");
    };
    let n = sim.codes_issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
    let code = format!("{n:08x}c0de{:08x}", rand::random::<u32>());
    lock(&sim.codes).insert(code.clone(), q.shop.clone());
    let host = base64::engine::general_purpose::STANDARD
        .encode(format!("admin.shopify.com/store/{}", q.shop.trim_end_matches(".myshopify.com")));
    let location = redirect(&app, &q, &code, &host, sim.now().timestamp());
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// The redirect URL Shopify builds: the parameters and their `hmac`.
fn redirect(app: &SimApp, q: &AuthorizeQuery, code: &str, host: &str, timestamp: i64) -> String {
    let mut params: Vec<(String, String)> = [
        ("code", code.to_owned()),
        ("host", host.to_owned()),
        ("shop", q.shop.clone()),
        ("state", q.state.clone()),
        ("timestamp", timestamp.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let hmac = super::sign::oauth_hmac(&app.client_secret, &params);
    params.push(("hmac".into(), hmac));
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={}", percent(v))).collect();
    let glue = if q.redirect_uri.contains('?') { '&' } else { '?' };
    format!("{}{glue}{}", q.redirect_uri, query.join("&"))
}

/// The token request.
#[derive(Debug, Deserialize)]
pub(super) struct TokenRequest {
    client_id: String,
    client_secret: String,
    code: String,
}

/// The token endpoint.
pub(super) async fn access_token(State(sim): State<Arc<Shared>>, body: String) -> Response {
    let Ok(request) = serde_json::from_str::<TokenRequest>(&body) else {
        return refusal(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let app_ok = sim.config.app.as_ref().is_some_and(|app| {
        app.client_id == request.client_id && app.client_secret == request.client_secret
    });
    if !app_ok {
        return refusal(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    // A code works once.
    if lock(&sim.codes).remove(&request.code).is_none() {
        return refusal(StatusCode::BAD_REQUEST, "invalid_grant");
    }
    sim.tokens_issued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    axum::Json(json!({
        "access_token": sim.config.access_token,
        "scope": "read_customers,read_orders,read_discounts,read_products",
    }))
    .into_response()
}
