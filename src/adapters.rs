//! The built-in adapters, listed once: the `api` channel (any system feeds a shop
//! through the signed inbound endpoint), TikTok Shop (webhooks and polling in, replies
//! out, workbench look-ups), Douyin (verified order pushes, order and product look-ups;
//! Feige chat has no open API), AliExpress (its message centre polled and answered; IM
//! has no open API) and Shopify (Admin API checks, cart/customer/order webhooks; chats
//! go through the storefront chat). Each declares what it can do; the daemon serves
//! them, and plugins, alike.

use crate::host::DaemonHost;
use shopmux_contract::adapter::Adapter;
use shopmux_core::registry::{Isolation, Registry};
use std::sync::Arc;

/// The built-in adapters.
pub fn builtin_adapters() -> Vec<Arc<dyn Adapter>> {
    vec![
        Arc::new(shopmux_adapter_api::ApiChannel),
        Arc::new(shopmux_adapter_aliexpress::AliExpress),
        Arc::new(shopmux_adapter_douyin::adapter::Douyin),
        Arc::new(shopmux_adapter_shopify::adapter::Shopify),
        Arc::new(shopmux_adapter_tiktok::adapter::TikTok),
    ]
}

/// A registry of the built-in adapters (in process) and `plugins` (isolated), each lent
/// `host` scoped to its platform; an adapter of a platform already registered is logged
/// and left out.
pub fn registry_of(plugins: Vec<Arc<dyn Adapter>>, host: &DaemonHost) -> Registry {
    let mut registry = Registry::default();
    let builtins = builtin_adapters().into_iter().map(|a| (a, Isolation::InProcess));
    for (adapter, isolation) in
        builtins.chain(plugins.into_iter().map(|a| (a, Isolation::Isolated)))
    {
        let platform = adapter.platform().clone();
        let host = Arc::new(host.for_platform(platform.as_str()));
        if let Err(error) = registry.register_as(adapter, host, isolation) {
            tracing::error!(message = "Adapter not registered.", %platform, %error);
        }
    }
    registry
}
