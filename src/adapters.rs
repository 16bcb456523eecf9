//! The built-in adapters, listed once: the `api` channel (any system feeds a shop
//! through the signed inbound endpoint), TikTok Shop (webhooks and polling in, replies
//! out, workbench look-ups), Douyin (verified order pushes, order and product look-ups;
//! Feige chat has no open API), AliExpress (its message centre polled and answered; IM
//! has no open API) and Shopify (Admin API checks, cart/customer/order webhooks; chats
//! go through the storefront chat). Each declares what it can do; the daemon serves
//! them, and plugins, alike.

use shopmux_contract::adapter::Adapter;
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
