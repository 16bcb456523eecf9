//! A Lazada seller authorizing the app, simulated (the IOP authorization-code flow): the
//! authorization page `GET /oauth/authorize?response_type=code&client_id=…&redirect_uri=…&state=…`
//! (a consent form for the simulated seller) and the consent `GET /oauth/authorize/consent`,
//! which redirects to `redirect_uri` with a fresh `code` (good once at
//! `/auth/token/create`) and the `state`. Lazada signs no redirect.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use super::Shared;
use crate::consent::refused;
use crate::lock;
use crate::server::Received;

/// The authorization page.
pub(super) async fn page(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let fields = ["client_id", "redirect_uri", "state"].map(|k| received.present(k));
    let [Some(client_id), Some(redirect_uri), Some(state)] = fields else {
        return refused("client_id, redirect_uri and state are required");
    };
    if client_id != sim.common.app_key {
        return refused("unknown client_id");
    }
    let seller = sim.seller_id.clone();
    crate::consent::consent_page(
        &crate::consent::ENGLISH,
        &seller,
        "/oauth/authorize/consent",
        &[("redirect_uri", redirect_uri), ("state", state)],
    )
}

/// The consent: back to the app with a fresh code.
pub(super) async fn consent(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let (Some(redirect), Some(state)) =
        (received.present("redirect_uri"), received.present("state"))
    else {
        return refused("redirect_uri and state are required");
    };
    let code = {
        let mut guard = lock(&sim.state);
        let code = format!("0_lazada_sim_code_{}_{}", guard.codes.len() + 1, rand::random::<u32>());
        guard.codes.push(code.clone());
        code
    };
    crate::consent::back_to_app(redirect, &code, state)
}
