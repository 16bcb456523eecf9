//! The adapter registry: the one place that calls adapters. Every loaded adapter —
//! built in or a plugin — is registered under its [`Platform`] with the [`Host`] it
//! borrows for I/O, its declared [`Capabilities`] and its rule set. Calls block, so
//! each runs on the blocking pool with a time limit — except the pure webhook parse of
//! an adapter compiled into the daemon ([`Isolation::InProcess`]), which runs in place
//! (a thread hop per delivery would cost more than the parse); a call an adapter did not declare,
//! a platform not loaded, a panicking adapter and a timeout all come back in the one
//! error vocabulary of [`AdapterError`] (`unsupported`, `no_adapter`, `adapter_panic`,
//! `timeout`). Replies of platforms whose chat is the host's storefront widget go to the
//! [`StorefrontChat`] the daemon registers.
//!
//! Every call that can do I/O (send, poll, look-ups, checks, read marks) has the time
//! limit, for built-in adapters and plugins alike. The one call without it is the
//! in-place webhook parse of a built-in adapter: `parse_webhook` is given no [`Host`],
//! so it cannot reach the network or the database, and its input is bounded by the
//! server's body limit — it is pure CPU over a bounded body, like the JSON parsing of
//! any request. A plugin's parse runs on the pool with the limit (its code is not ours).

use crate::domain::ids::ShopId;
use crate::telemetry::{CALL_FAILURES, NoTelemetry, Telemetry, failure_reason};
use async_trait::async_trait;
use shopmux_contract::adapter::{
    Adapter, AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationRequest,
    AuthorizedShop, BuyerProfile, Capabilities, Host, InboundEvent, MessageContent, OrderInfo,
    OutboundMessage, OutboundRefusal, PollPage, ProductPage, ProductQuery, SendReceipt,
    ShopConnection, StorefrontVisitor, WebhookAnswer, WebhookRequest,
};
use shopmux_contract::{Platform, RuleSet};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// How long one adapter call may take unless the registry is told otherwise.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// One delivery to a platform's buyer.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The shop's connection (API base and credentials; empty when none is configured).
    pub connection: ShopConnection,
    /// What to send.
    pub message: OutboundMessage,
    /// The shop in shopmux (the storefront chat finds its customers by it).
    pub shop_id: ShopId,
}

/// The host's own chat channel for platforms whose adapters declare
/// [`Capabilities::storefront_chat`]: the daemon's storefront widget (over the chat while
/// the customer is in the store, by email after).
#[async_trait]
pub trait StorefrontChat: Send + Sync {
    /// Delivers one reply.
    async fn deliver(&self, delivery: &Delivery) -> Result<SendReceipt, AdapterError>;
}

/// Where an adapter's calls run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// Compiled into the daemon: its pure calls (webhook parsing: bytes in, events out)
    /// run in place, its panics caught; the rest on the blocking pool.
    InProcess,
    /// Loaded code (plugins): every call on the blocking pool within the time limit, so
    /// one that hangs cannot hold the runtime.
    Isolated,
}

struct Entry {
    adapter: Arc<dyn Adapter>,
    isolation: Isolation,
    host: Arc<dyn Host>,
    capabilities: Capabilities,
    rules: Arc<RuleSet>,
}

/// The loaded adapters by platform.
pub struct Registry {
    entries: BTreeMap<Platform, Entry>,
    call_timeout: Duration,
    storefront: Option<Arc<dyn StorefrontChat>>,
    telemetry: Arc<dyn Telemetry>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new(DEFAULT_CALL_TIMEOUT)
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("platforms", &self.entries.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn no_adapter(platform: &Platform) -> AdapterError {
    AdapterError::permanent("no_adapter", format!("no adapter for platform `{platform}` is loaded"))
}

/// A pure call run here, its panic caught as on the blocking pool.
fn in_place<T>(
    platform: &Platform, call: impl FnOnce() -> Result<T, AdapterError>,
) -> Result<T, AdapterError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).unwrap_or_else(|_| {
        Err(AdapterError::transient("adapter_panic", format!("the {platform} adapter panicked")))
    })
}

fn unsupported(platform: &Platform, what: &str) -> AdapterError {
    AdapterError::permanent("unsupported", format!("{platform} offers no {what} here"))
}

impl Registry {
    /// An empty registry whose calls may each take `call_timeout`.
    pub fn new(call_timeout: Duration) -> Self {
        Self {
            entries: BTreeMap::new(),
            call_timeout,
            storefront: None,
            telemetry: Arc::new(NoTelemetry),
        }
    }

    /// Registers an isolated adapter with the host it borrows; a platform registered
    /// twice is refused with a message naming it.
    pub fn register(
        &mut self, adapter: Arc<dyn Adapter>, host: Arc<dyn Host>,
    ) -> Result<(), String> {
        self.register_as(adapter, host, Isolation::Isolated)
    }

    /// Registers an adapter whose calls run as `isolation` says.
    pub fn register_as(
        &mut self, adapter: Arc<dyn Adapter>, host: Arc<dyn Host>, isolation: Isolation,
    ) -> Result<(), String> {
        let platform = adapter.platform().clone();
        if self.entries.contains_key(&platform) {
            return Err(format!("platform `{platform}` is already served by another adapter"));
        }
        let entry = Entry {
            capabilities: adapter.capabilities(),
            rules: Arc::new(adapter.rule_set()),
            adapter,
            isolation,
            host,
        };
        self.entries.insert(platform, entry);
        Ok(())
    }

    /// Sets the storefront chat that answers the buyers of storefront-chat platforms.
    pub fn set_storefront(&mut self, chat: Arc<dyn StorefrontChat>) {
        self.storefront = Some(chat);
    }

    /// Where failed calls are counted (the daemon's metrics).
    pub fn set_telemetry(&mut self, telemetry: Arc<dyn Telemetry>) {
        self.telemetry = telemetry;
    }

    /// Counts a failed call: every failure of a call that reaches the platform, and
    /// only failures of the call itself (a timeout, a panic, a plugin's) for the pure
    /// ones (a refused webhook is the webhook metrics' business). A call the adapter
    /// does not declare (`unsupported`) is an answer services expect (the workbench asks
    /// and falls back), not a failure.
    fn counted<T>(
        &self, platform: &Platform, call: &'static str, reaches_platform: bool,
        result: Result<T, AdapterError>,
    ) -> Result<T, AdapterError> {
        if let Err(e) = &result
            && e.code != "unsupported"
        {
            let reason = failure_reason(e);
            if reaches_platform || CALL_FAILURES.contains(&reason) {
                self.telemetry.adapter_call_failed(platform, call, reason);
            }
        }
        result
    }

    /// The loaded platforms, in order.
    pub fn platforms(&self) -> impl Iterator<Item = &Platform> {
        self.entries.keys()
    }

    /// Whether a platform is loaded.
    pub fn contains(&self, platform: &str) -> bool {
        self.entries.contains_key(platform)
    }

    /// What a loaded platform's adapter declared (nothing for an unknown one).
    pub fn capabilities(&self, platform: &str) -> Capabilities {
        self.entries.get(platform).map(|e| e.capabilities).unwrap_or_default()
    }

    /// A loaded platform's rules.
    pub fn rule_set(&self, platform: &str) -> Option<Arc<RuleSet>> {
        self.entries.get(platform).map(|e| e.rules.clone())
    }

    /// Every loaded platform's rules.
    pub fn rule_sets(&self) -> impl Iterator<Item = &Arc<RuleSet>> {
        self.entries.values().map(|e| &e.rules)
    }

    /// The body a platform expects in answer to an accepted webhook.
    pub fn webhook_answer(&self, platform: &str) -> Option<WebhookAnswer> {
        self.entries.get(platform)?.adapter.webhook_answer()
    }

    fn entry(&self, platform: &Platform) -> Result<&Entry, AdapterError> {
        self.entries.get(platform).ok_or_else(|| no_adapter(platform))
    }

    /// Runs one adapter call on the blocking pool within the time limit.
    async fn call<T, F>(
        &self, name: &'static str, platform: &Platform, declared: bool, what: &str, call: F,
    ) -> Result<T, AdapterError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Adapter, &dyn Host) -> Result<T, AdapterError> + Send + 'static,
    {
        // Verifying what a platform signed: a refusal is an answer, not a failure.
        let pure = matches!(
            name,
            "parse_webhook" | "verify_storefront_request" | "verify_callback" | "authorization_url"
        );
        let result = self.call_uncounted(platform, declared, what, call).await;
        self.counted(platform, name, !pure, result)
    }

    async fn call_uncounted<T, F>(
        &self, platform: &Platform, declared: bool, what: &str, call: F,
    ) -> Result<T, AdapterError>
    where
        T: Send + 'static,
        F: FnOnce(&dyn Adapter, &dyn Host) -> Result<T, AdapterError> + Send + 'static,
    {
        let entry = self.entry(platform)?;
        if !declared {
            return Err(unsupported(platform, what));
        }
        let (adapter, host) = (entry.adapter.clone(), entry.host.clone());
        let task = tokio::task::spawn_blocking(move || call(adapter.as_ref(), host.as_ref()));
        match tokio::time::timeout(self.call_timeout, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(AdapterError::transient(
                "adapter_panic",
                format!("the {platform} adapter stopped: {join}"),
            )),
            Err(_) => Err(AdapterError::transient(
                "timeout",
                format!("no answer within {}s", self.call_timeout.as_secs()),
            )),
        }
    }

    /// Verifies and parses a webhook (or a signed inbound body) for a shop.
    pub async fn parse_webhook(
        &self, platform: &Platform, shop: ShopConnection, request: WebhookRequest, now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        let caps = self.capabilities(platform.as_str());
        let declared = caps.webhooks || caps.signed_inbound;
        let entry = self.entry(platform)?;
        if declared && entry.isolation == Isolation::InProcess {
            let parsed =
                in_place(platform, || entry.adapter.parse_webhook(&shop, &request, now_unix_ms));
            return self.counted(platform, "parse_webhook", false, parsed);
        }
        self.call("parse_webhook", platform, declared, "webhooks", move |a, _| {
            a.parse_webhook(&shop, &request, now_unix_ms)
        })
        .await
    }

    /// Verifies a storefront request the platform forwarded (an app proxy): who the
    /// visitor is. Pure, like a webhook parse: run in place for built-in adapters.
    pub async fn verify_storefront_request(
        &self, platform: &Platform, shop: ShopConnection, query: Vec<(String, String)>,
        now_unix_ms: i64,
    ) -> Result<StorefrontVisitor, AdapterError> {
        let declared = self.capabilities(platform.as_str()).storefront_proxy;
        let entry = self.entry(platform)?;
        if declared && entry.isolation == Isolation::InProcess {
            let visitor = in_place(platform, || {
                entry.adapter.verify_storefront_request(&shop, &query, now_unix_ms)
            });
            return self.counted(platform, "verify_storefront_request", false, visitor);
        }
        self.call(
            "verify_storefront_request",
            platform,
            declared,
            "storefront proxy",
            move |a, _| a.verify_storefront_request(&shop, &query, now_unix_ms),
        )
        .await
    }

    /// Delivers a reply: through the adapter, or the storefront chat for platforms whose
    /// chat it is.
    pub async fn send(
        &self, platform: &Platform, delivery: Delivery,
    ) -> Result<SendReceipt, AdapterError> {
        let caps = self.capabilities(platform.as_str());
        if caps.storefront_chat {
            let chat =
                self.storefront.clone().ok_or_else(|| unsupported(platform, "storefront chat"))?;
            return self.counted(platform, "send", true, chat.deliver(&delivery).await);
        }
        self.call("send", platform, caps.sends, "way to send replies", move |a, h| {
            a.send(h, &delivery.connection, &delivery.message)
        })
        .await
    }

    /// What arrived since `cursor`.
    pub async fn poll(
        &self, platform: &Platform, shop: ShopConnection, cursor: Option<String>,
    ) -> Result<PollPage, AdapterError> {
        let declared = self.capabilities(platform.as_str()).polls;
        self.call("poll", platform, declared, "way to list messages", move |a, h| {
            a.poll(h, &shop, cursor.as_deref())
        })
        .await
    }

    /// Tells the platform an agent read the buyer (a no-op where not declared).
    pub async fn mark_read(
        &self, platform: &Platform, shop: ShopConnection, platform_conversation_id: String,
    ) -> Result<(), AdapterError> {
        if !self.capabilities(platform.as_str()).marks_read {
            return Ok(());
        }
        self.call("mark_read", platform, true, "read marks", move |a, h| {
            a.mark_read(h, &shop, &platform_conversation_id)
        })
        .await
    }

    /// Asks the platform about an agent's message before it is accepted (none: nothing
    /// to check where not declared).
    pub async fn vet_outbound(
        &self, platform: &Platform, shop: ShopConnection, content: MessageContent,
        rules: Arc<RuleSet>,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        if !self.capabilities(platform.as_str()).vets_outbound {
            return Ok(None);
        }
        self.call("vet_outbound", platform, true, "message checks", move |a, h| {
            a.vet_outbound(h, &shop, &content, &rules)
        })
        .await
    }

    /// One order with its buyer.
    pub async fn fetch_order(
        &self, platform: &Platform, shop: ShopConnection, order: String,
    ) -> Result<OrderInfo, AdapterError> {
        let declared = self.capabilities(platform.as_str()).order_look_up;
        self.call("fetch_order", platform, declared, "order look-up", move |a, h| {
            a.fetch_order(h, &shop, &order)
        })
        .await
    }

    /// What the platform knows about a buyer, with their orders.
    pub async fn fetch_buyer(
        &self, platform: &Platform, shop: ShopConnection, buyer: String,
    ) -> Result<BuyerProfile, AdapterError> {
        let declared = self.capabilities(platform.as_str()).buyer_look_up;
        self.call("fetch_buyer", platform, declared, "buyer look-up", move |a, h| {
            a.fetch_buyer(h, &shop, &buyer)
        })
        .await
    }

    /// The platform's authorization page for a seller (capability `authorizes`).
    pub async fn authorization_url(
        &self, platform: &Platform, app: AuthorizationApp, request: AuthorizationRequest,
    ) -> Result<String, AdapterError> {
        let declared = self.capabilities(platform.as_str()).authorizes;
        self.call("authorization_url", platform, declared, "authorization page", move |a, _| {
            a.authorization_url(&app, &request)
        })
        .await
    }

    /// Verifies an authorization callback's query (the platform's own signature).
    pub async fn verify_callback(
        &self, platform: &Platform, app: AuthorizationApp, query: Vec<(String, String)>,
        now_unix_ms: i64,
    ) -> Result<AuthorizationCallback, AdapterError> {
        let declared = self.capabilities(platform.as_str()).authorizes;
        self.call("verify_callback", platform, declared, "authorization page", move |a, _| {
            a.verify_callback(&app, &query, now_unix_ms)
        })
        .await
    }

    /// Exchanges a verified callback's code and lists the shops the grant covers.
    pub async fn authorized_shops(
        &self, platform: &Platform, app: AuthorizationApp, callback: AuthorizationCallback,
    ) -> Result<Vec<AuthorizedShop>, AdapterError> {
        let declared = self.capabilities(platform.as_str()).authorizes;
        self.call("authorized_shops", platform, declared, "authorization page", move |a, h| {
            let grant = a.exchange_code(h, &app, &callback)?;
            a.authorized_shops(h, &app, &grant)
        })
        .await
    }

    /// Subscribes a connected shop's webhooks to `address` (capability
    /// `subscribes_webhooks`).
    pub async fn subscribe_webhooks(
        &self, platform: &Platform, shop: ShopConnection, address: String,
    ) -> Result<(), AdapterError> {
        let declared = self.capabilities(platform.as_str()).subscribes_webhooks;
        self.call("subscribe_webhooks", platform, declared, "webhook subscription", move |a, h| {
            a.subscribe_webhooks(h, &shop, &address)
        })
        .await
    }

    /// The shop a delivery to the platform's app-wide webhook address names (pure).
    pub fn webhook_shop(&self, platform: &Platform, request: &WebhookRequest) -> Option<String> {
        let entry = self.entries.get(platform)?;
        if !entry.capabilities.webhooks {
            return None;
        }
        in_place(platform, || Ok(entry.adapter.webhook_shop(request))).ok().flatten()
    }

    /// The shop's products matching a query.
    pub async fn search_products(
        &self, platform: &Platform, shop: ShopConnection, query: ProductQuery,
    ) -> Result<ProductPage, AdapterError> {
        let declared = self.capabilities(platform.as_str()).product_search;
        self.call("search_products", platform, declared, "product look-up", move |a, h| {
            a.search_products(h, &shop, &query)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_contract::adapter::{Capability, NoHost};

    static SLOW: Platform = Platform::from_static("slow_market");

    /// An adapter whose order look-up never answers in time.
    struct Hanging;

    impl Adapter for Hanging {
        fn platform(&self) -> &Platform {
            &SLOW
        }
        fn capabilities(&self) -> Capabilities {
            Capabilities::of(&[Capability::OrderLookUp])
        }
        fn rule_set(&self) -> RuleSet {
            RuleSet::permissive(SLOW.clone())
        }
        fn parse_webhook(
            &self, _: &ShopConnection, _: &WebhookRequest, _: i64,
        ) -> Result<Vec<InboundEvent>, AdapterError> {
            Ok(Vec::new())
        }
        fn send(
            &self, _: &dyn Host, _: &ShopConnection, _: &OutboundMessage,
        ) -> Result<SendReceipt, AdapterError> {
            Err(AdapterError::permanent("unsupported", "no"))
        }
        fn fetch_order(
            &self, _: &dyn Host, _: &ShopConnection, _: &str,
        ) -> Result<OrderInfo, AdapterError> {
            std::thread::sleep(Duration::from_secs(1));
            Ok(OrderInfo::default())
        }
    }

    #[tokio::test]
    async fn an_order_look_up_that_hangs_times_out() {
        let mut registry = Registry::new(Duration::from_millis(100));
        registry.register(Arc::new(Hanging), Arc::new(NoHost)).unwrap();
        let started = std::time::Instant::now();
        let e =
            registry.fetch_order(&SLOW, ShopConnection::default(), "o-1".into()).await.unwrap_err();
        assert_eq!(e.code, "timeout", "{e}");
        assert!(e.retryable);
        assert!(started.elapsed() < Duration::from_millis(900));
    }
}
