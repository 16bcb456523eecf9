//! AliExpress as a shopmux [`Adapter`], over the message-centre (站内信/订单留言) APIs of
//! the IOP gateway: buyer messages are polled (AliExpress documents no message push),
//! replies go out with `addmsg`, relations are marked read with `updatemsgread`, and
//! orders are looked up with `aliexpress.solution.order.info.get` / `.order.get`.
//!
//! **What this does not reach**: AliExpress's buyer chat (IM, 买家会话) has no open API,
//! and the seller FAQ says message-centre messages are not synchronized into IM (seed
//! 000). So this adapter sees what the open platform offers — the message centre — not
//! the IM chat window of the seller's back office (see the crate's README).
//!
//! Credentials of a shop connection: `app_key`, `app_secret`, `access_token` (sent as
//! `session`), and for renewal `refresh_token` with, optionally,
//! `access_token_expires_at` (Unix seconds). `seller_login_id` is the `seller_id` of
//! `addmsg` (the shop's external id when absent). The API base (`api_base`) replaces
//! `https://api-sg.aliexpress.com` (the simulator's address in tests).
//!
//! Tokens: one due to expire within five minutes is renewed before a call, and one the
//! gateway refuses (`IllegalAccessToken`) is renewed and the call tried once more. The
//! new tokens go back to the host in a send's receipt, and are kept in the adapter's
//! key-value state (`tokens/{shop}`) so polls and look-ups use them too.
//!
//! By area: `content` (content in and out, and the content rules AE-COUPON-1 and
//! AE-AUTO-4), `session` (one call's signed requests), `tokens` (renewal and the kept
//! tokens), `errors` (failures classified), `poll`, `send`, `orders`.

mod connect;
mod content;
mod errors;
mod orders;
mod poll;
mod send;
mod session;
mod tokens;

use shopmux_contract::Platform;
use shopmux_contract::adapter::{
    Adapter, AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, BuyerProfile, Capabilities, Capability, EventBuyer, Host,
    InboundEvent, MessageContent, OrderInfo, OutboundMessage, OutboundRefusal, PollPage,
    SendReceipt, ShopConnection, WebhookRequest,
};
use shopmux_contract::rules::RuleSet;

use crate::wire::{self, ActionReply, method};
use session::Session;

/// The AliExpress adapter.
#[derive(Clone, Copy, Debug, Default)]
pub struct AliExpress;

/// A buyer as shopmux knows them: their login id (what `addmsg` and the order APIs take)
/// and their name.
fn buyer(external_id: String, nickname: Option<String>) -> EventBuyer {
    EventBuyer { external_id, nickname, ..EventBuyer::default() }
}

impl Adapter for AliExpress {
    fn platform(&self) -> &Platform {
        &crate::PLATFORM
    }

    /// Polled in (no message push), sent with `addmsg`, marked read, vetted (AE-COUPON-1,
    /// AE-AUTO-4), orders and buyers looked up.
    fn capabilities(&self) -> Capabilities {
        use Capability::*;
        Capabilities::of(&[
            Sends,
            Polls,
            MarksRead,
            VetsOutbound,
            OrderLookUp,
            BuyerLookUp,
            Authorizes,
        ])
    }

    fn authorization_url(
        &self, app: &AuthorizationApp, request: &AuthorizationRequest,
    ) -> Result<String, AdapterError> {
        Ok(connect::authorization_url(app, request))
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
        &self, _host: &dyn Host, app: &AuthorizationApp, grant: &AuthorizationGrant,
    ) -> Result<Vec<AuthorizedShop>, AdapterError> {
        connect::authorized_shops(app, grant)
    }

    fn rule_set(&self) -> RuleSet {
        crate::rule_set()
    }

    /// AliExpress documents no message push for sellers (§3.3), so there is no webhook
    /// to verify: every delivery is refused.
    fn parse_webhook(
        &self, _shop: &ShopConnection, _request: &WebhookRequest, _now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        Err(AdapterError::permanent(
            "unsupported",
            "AliExpress documents no message push; its messages are polled",
        ))
    }

    fn send(
        &self, host: &dyn Host, shop: &ShopConnection, message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        send::send(host, shop, message)
    }

    fn vet_outbound(
        &self, _host: &dyn Host, _shop: &ShopConnection, content: &MessageContent, rules: &RuleSet,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        Ok(content::refusal(content, rules))
    }

    fn mark_read(
        &self, host: &dyn Host, shop: &ShopConnection, platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        let mut session = Session::open(host, shop)?;
        let _: ActionReply = session
            .call(method::UPDATE_READ, |ctx| wire::mark_read(ctx, platform_conversation_id))?;
        Ok(())
    }

    fn fetch_order(
        &self, host: &dyn Host, shop: &ShopConnection, order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        orders::fetch_order(&mut Session::open(host, shop)?, order_external_id)
    }

    fn fetch_buyer(
        &self, host: &dyn Host, shop: &ShopConnection, buyer_external_id: &str,
    ) -> Result<BuyerProfile, AdapterError> {
        orders::fetch_buyer(&mut Session::open(host, shop)?, buyer_external_id)
    }

    fn poll(
        &self, host: &dyn Host, shop: &ShopConnection, cursor: Option<&str>,
    ) -> Result<PollPage, AdapterError> {
        poll::poll(host, shop, cursor)
    }
}
