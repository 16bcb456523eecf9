//! A Douyin seller authorizing a tool app, simulated (§4.2): the service market's page
//! `GET /authorize?service_id=…&state=…` (a consent form for the first shop), and the
//! consent `GET /authorize/consent` redirecting to the app's redirect URL
//! ([`SimHandle::set_redirect_url`]) with the shop's authorization `code` (its configured
//! `auth_code`, which `token.create` accepts) and the `state`. Douyin signs no redirect.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use super::{Shared, SimHandle};
use crate::consent::refused;
use crate::lock;
use crate::server::Received;

/// The authorization page.
pub(super) async fn page(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let (Some(service_id), Some(state)) =
        (received.present("service_id"), received.present("state"))
    else {
        return refused("service_id and state are required");
    };
    let shop = sim.shops.first().map(|(_, name, _)| name.clone()).unwrap_or_default();
    crate::consent::consent_page(
        &crate::consent::CHINESE,
        &shop,
        "/authorize/consent",
        &[("service_id", service_id), ("state", state)],
    )
}

/// The consent: back to the app with the shop's code.
pub(super) async fn consent(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let Some(state) = received.present("state") else {
        return refused("state is required");
    };
    let Some(code) = sim.shops.iter().find_map(|(_, _, code)| code.clone()) else {
        return refused("no shop can authorize");
    };
    let Some(redirect) = lock(&sim.state).redirect_url.clone() else {
        return refused("the app has no redirect URL");
    };
    crate::consent::back_to_app(&redirect, &code, state)
}

impl SimHandle {
    /// Where the consent sends the seller (the app's registered redirect URL).
    pub fn set_redirect_url(&self, url: Option<String>) {
        lock(&self.shared.state).redirect_url = url;
    }
}
