//! A seller authorizing the app, simulated (§1.1, §1.5): the authorization page
//! `GET /open/authorize?service_id=…&state=…` (a consent form for the first seller), the
//! consent `GET /open/authorize/consent` redirecting to the app's registered redirect URL
//! ([`SimHandle::set_redirect_url`]) with `code` and `state` (TikTok signs no redirect),
//! the auth host's `GET /api/v2/token/get` (app key and secret, `auth_code`,
//! `grant_type=authorized_code`; a code works once; it issues the seller a new token
//! pair), and the shop's webhook subscription `PUT /event/202309/webhooks` (checked like
//! every shop call; recorded).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::api::ApiError;
use super::auth::Scope;
use super::{Shared, SimHandle, codes};

use crate::lock;
use crate::server::Received;

/// Seller authorizations in progress and the subscriptions made.
#[derive(Debug, Default)]
pub(crate) struct Authorizations {
    /// Codes not yet exchanged → their seller's `open_id`.
    codes: HashMap<String, String>,
    /// Codes issued so far.
    issued: u64,
    /// Where the consent sends the seller.
    redirect_url: Option<String>,
    /// (shop id, event type, address).
    subscriptions: Vec<(String, String, String)>,
}

fn refused(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"code": codes::INVALID_PARAMETER, "message": message})),
    )
        .into_response()
}

/// The authorization page.
pub(super) async fn authorize(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let (Some(service_id), Some(state)) =
        (received.present("service_id"), received.present("state"))
    else {
        return refused("`service_id` and `state` are required");
    };
    let seller = sim.sellers.first().map(|s| s.seller_name.clone()).unwrap_or_default();
    crate::consent::consent_page(
        &crate::consent::ENGLISH,
        &seller,
        "/open/authorize/consent",
        &[("service_id", service_id), ("state", state)],
    )
}

/// The seller's consent: back to the app with a fresh code.
pub(super) async fn consent(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let Some(state) = received.present("state") else {
        return refused("`state` is required");
    };
    let Some(open_id) = sim.sellers.first().map(|s| s.open_id.clone()) else {
        return refused("no seller");
    };
    let mut guard = lock(&sim.state);
    let Some(redirect) = guard.connect.redirect_url.clone() else {
        return refused("the app has no redirect URL");
    };
    guard.connect.issued += 1;
    let code = format!("TTP_sim_code_{:08}", guard.connect.issued);
    guard.connect.codes.insert(code.clone(), open_id);
    crate::consent::back_to_app(&redirect, &code, state)
}

impl Shared {
    /// `GET /api/v2/token/get`.
    fn token_get(&self, received: &Received) -> Result<Value, ApiError> {
        let app_ok = received.param("app_key") == Some(self.common.app_key.as_str())
            && received.param("app_secret") == Some(self.common.app_secret.as_str());
        if !app_ok || received.param("grant_type") != Some("authorized_code") {
            return Err(ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Invalid credentials or `grant_type`.",
            ));
        }
        let code = received.param("auth_code").unwrap_or_default();
        let now = self.common.now();
        let mut state = lock(&self.state);
        let open_id = state.connect.codes.remove(code).ok_or_else(|| {
            ApiError::bad_request(codes::INVALID_PARAMETER, "Invalid `auth_code`.")
        })?;
        let pair = state.tokens.issue(&open_id, now, self.common.ttl);
        let seller = self.seller(&open_id);
        Ok(json!({
            "access_token": pair.access_token,
            "access_token_expire_in": pair.access_expires_at.timestamp(),
            "refresh_token": pair.refresh_token,
            "refresh_token_expire_in": pair.refresh_expires_at.timestamp(),
            "open_id": open_id,
            "seller_name": seller.map(|s| s.seller_name.as_str()).unwrap_or_default(),
            "seller_base_region": seller.map(|s| s.region.as_str()).unwrap_or_default(),
            "user_type": 0,
        }))
    }

    /// `PUT /event/202309/webhooks`.
    fn subscribe(&self, received: &Received) -> Result<Value, ApiError> {
        let caller = self.verify(received, Scope::Shop)?;
        let body: Value = serde_json::from_slice(&received.body).unwrap_or(Value::Null);
        let field = |key: &str| body.get(key).and_then(Value::as_str).map(str::to_owned);
        let (Some(address), Some(event_type)) = (field("address"), field("event_type")) else {
            return Err(ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "`address` and `event_type` are required.",
            ));
        };
        let mut state = lock(&self.state);
        let subscriptions = &mut state.connect.subscriptions;
        subscriptions.retain(|(shop, kind, _)| !(*shop == caller.shop_id && *kind == event_type));
        subscriptions.push((caller.shop_id, event_type, address));
        Ok(json!({}))
    }
}

/// The token exchange.
pub(super) async fn token_get(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    sim.answer(sim.token_get(&received))
}

/// The webhook subscription.
pub(super) async fn subscribe(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    sim.answer(sim.subscribe(&received))
}

impl SimHandle {
    /// Where the consent page sends the seller (the app's registered redirect URL).
    pub fn set_redirect_url(&self, url: Option<String>) {
        lock(&self.shared.state).connect.redirect_url = url;
    }

    /// The webhook subscriptions made: (shop id, event type, address).
    pub fn subscriptions(&self) -> Vec<(String, String, String)> {
        lock(&self.shared.state).connect.subscriptions.clone()
    }
}
