//! TikTok Shop as a shopmux [`Adapter`]: webhooks verified and normalized (NEW_MESSAGE
//! from buyers becomes an inbound message), replies sent through the Partner API's
//! customer-service `send message`, with TikTok's failures classified for the outbox, and
//! the agents' workbench look-ups (TT-WB-1): the buyer's orders in this shop, one order,
//! and the shop's products.
//!
//! Credentials of a shop connection: `app_key`, `app_secret`, `access_token`,
//! `shop_cipher`, and for token refresh `refresh_token` with, optionally,
//! `access_token_expires_at` (Unix seconds, as TikTok's token reply gives it) and
//! `auth_base` (TikTok's auth host by default). The API base defaults to TikTok's
//! production host. On every call (sends, polls, look-ups, read marks) an access token
//! due to expire within five minutes is refreshed first, and one the platform reports
//! expired is refreshed and the call tried once more; renewed tokens are kept in the
//! host's key-value state (`tokens:{shop}`, tied to the configured token, so new
//! credentials from the operator win) and go back to the host in a send's receipt.
//!
//! Sends: text, emoji and automatic replies go as `TEXT`, product and order cards as
//! their card types. An image is fetched from its URL through the host, uploaded with
//! "Upload Buyer Messages Image" (multipart, its body outside the signature) and sent as
//! `IMAGE` with the URL and size TikTok returns. A video is refused permanently: TikTok's
//! `VIDEO` message takes a `vid` from TikTok's own storage and the customer-service API
//! has no video upload.
//!
//! Orders carry the buyer's `user_id`, chats the `im_user_id`; the two are linked only by
//! a conversation's participants. The adapter finds the link in the shop's conversations
//! and keeps it in the host's key-value state (`buyer:{shop}:{im_user_id}` and
//! `order-buyer:{shop}:{user_id}`), so it looks once per buyer.
//!
//! The modules, by concern: `api` (one signed call, its failures, paging), `tokens`
//! (the freshest tokens, refresh), `inbound` (webhooks, and TikTok's content as the
//! contract's), `poll`, `send` (replies, image upload, read marks), `lookups` (buyers and
//! orders, TT-WB-1) and `products` (the product search, TT-WB-1).

mod api;
mod connect;
mod inbound;
mod lookups;
mod poll;
mod products;
mod send;
mod tokens;

pub use crate::wire::AUTH_HOST;
pub use inbound::WEBHOOK_TOLERANCE_SECS;

use shopmux_contract::adapter::{
    Adapter, AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, BuyerProfile, Capabilities, Capability, Host,
    InboundEvent, OrderInfo, OutboundMessage, Platform, PollPage, ProductPage, ProductQuery,
    SendReceipt, ShopConnection, WebhookRequest,
};
use shopmux_contract::rules::RuleSet;

/// The TikTok Shop adapter.
#[derive(Clone, Copy, Debug, Default)]
pub struct TikTok;

impl Adapter for TikTok {
    fn platform(&self) -> &Platform {
        &crate::PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        use Capability::*;
        Capabilities::of(&[
            Webhooks,
            Sends,
            Polls,
            MarksRead,
            OrderLookUp,
            BuyerLookUp,
            ProductSearch,
            Authorizes,
            SubscribesWebhooks,
        ])
    }

    fn authorization_url(
        &self, app: &AuthorizationApp, request: &AuthorizationRequest,
    ) -> Result<String, AdapterError> {
        connect::authorization_url(app, request)
    }

    fn verify_callback(
        &self, _app: &AuthorizationApp, query: &[(String, String)], _now_unix_ms: i64,
    ) -> Result<AuthorizationCallback, AdapterError> {
        AuthorizationCallback::unsigned(query)
    }

    fn exchange_code(
        &self, host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
    ) -> Result<AuthorizationGrant, AdapterError> {
        connect::exchange_code(host, app, callback)
    }

    fn authorized_shops(
        &self, host: &dyn Host, app: &AuthorizationApp, grant: &AuthorizationGrant,
    ) -> Result<Vec<AuthorizedShop>, AdapterError> {
        connect::authorized_shops(host, app, grant)
    }

    fn subscribe_webhooks(
        &self, host: &dyn Host, shop: &ShopConnection, address: &str,
    ) -> Result<(), AdapterError> {
        self.subscribe(host, shop, address)
    }

    fn rule_set(&self) -> RuleSet {
        crate::rule_set()
    }

    fn parse_webhook(
        &self, shop: &ShopConnection, request: &WebhookRequest, now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        inbound::parse_webhook(shop, request, now_unix_ms)
    }

    fn send(
        &self, host: &dyn Host, shop: &ShopConnection, message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        self.send_message(host, shop, message)
    }

    fn mark_read(
        &self, host: &dyn Host, shop: &ShopConnection, platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        self.read_conversation(host, &mut self.current(host, shop)?, platform_conversation_id)
    }

    fn fetch_order(
        &self, host: &dyn Host, shop: &ShopConnection, order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        self.order(host, &mut self.current(host, shop)?, order_external_id)
    }

    fn fetch_buyer(
        &self, host: &dyn Host, shop: &ShopConnection, buyer_external_id: &str,
    ) -> Result<BuyerProfile, AdapterError> {
        self.buyer_profile(host, &mut self.current(host, shop)?, buyer_external_id)
    }

    fn search_products(
        &self, host: &dyn Host, shop: &ShopConnection, query: &ProductQuery,
    ) -> Result<ProductPage, AdapterError> {
        self.products(host, &mut self.current(host, shop)?, query)
    }

    fn poll(
        &self, host: &dyn Host, shop: &ShopConnection, cursor: Option<&str>,
    ) -> Result<PollPage, AdapterError> {
        self.poll_since(host, &mut self.current(host, shop)?, cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adapter_declares_what_it_implements() {
        let declared = TikTok.capabilities();
        assert!(declared.webhooks && declared.sends && declared.polls && declared.marks_read);
        assert!(declared.order_look_up && declared.buyer_look_up && declared.product_search);
        assert!(!declared.storefront_chat && !declared.vets_outbound && !declared.order_cards);
        assert!(!declared.signed_inbound);
        assert!(declared.authorizes && declared.subscribes_webhooks);
        assert_eq!(TikTok.platform(), "tiktok");
        assert_eq!(TikTok.rule_set().platform, *TikTok.platform());
    }
}
