//! The store the demo's owner can connect in one click (Settings → Shops → "Connect a
//! Shopify store"): a Shopify simulator with an installable app, started before the
//! daemon so the daemon's `[connect]` names it. Any `{name}.myshopify.com` works; its
//! consent page answers for it.

use shopmux_contract::adapter::AuthorizationApp;
use shopmux_simulator::ShopifySim;
use shopmux_simulator::shopify::{self, SimApp};

/// The app's client id.
pub const CLIENT_ID: &str = "demo-connect-app";
/// The app's client secret (signs the callback and the store's webhooks).
pub const CLIENT_SECRET: &str = "demo-connect-app-secret";
/// The token the store grants.
pub const ACCESS_TOKEN: &str = "shpat_demo_connected";

/// Starts the connectable store.
pub async fn start_store() -> anyhow::Result<shopify::SimHandle> {
    let config = shopify::SimConfig {
        access_token: ACCESS_TOKEN.into(),
        app: Some(SimApp { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() }),
        ..Default::default()
    };
    Ok(ShopifySim::start(config).await?)
}

/// The daemon's app for the store's platform, pointing at the simulator.
pub fn app(store: &shopify::SimHandle) -> AuthorizationApp {
    AuthorizationApp {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        authorize_base: Some(store.base_url()),
        api_base: Some(store.base_url()),
        ..Default::default()
    }
}
