//! The adapter contract: what every marketplace connection — built in or a plugin —
//! implements ([`Adapter`], with its declared [`Capabilities`], listed in one line with
//! [`Capabilities::of`]), what the daemon lends it ([`Host`]; [`NoHost`] lends nothing,
//! for pure calls and tests), and the values of a delivery. Parsing and signing are pure (bytes and
//! `now` in, events or requests out); everything that needs I/O goes through the
//! [`Host`] (HTTP through the daemon's client, the injected clock, logs, key-value
//! state), so a plugin can do the same across the C ABI.
//!
//! Calls are blocking: the daemon runs them off its async runtime. Values are plain
//! serde data that evolves additively (new fields optional — an `Option`, which serde reads
//! as none when absent, or `#[serde(default)]` —, no `deny_unknown_fields`); message
//! content crosses typed ([`MessageContent`]).

pub use crate::content::MessageContent;
pub use crate::error::{AUTHORIZATION_EXPIRED, AdapterError};
pub use crate::events::{
    AuthorizationChange, BuyerMessage, BuyerProfile, CartLineInfo, EntryPoint, EventBuyer,
    InboundEvent, MessageOrder, OrderInfo, PollPage, PrivacyKind, PrivacyRequest,
};
pub use crate::http::{HttpRequest, HttpResponse, WebhookAnswer, WebhookRequest};
pub use crate::platform::Platform;
pub use crate::products::{ProductInfo, ProductPage, ProductQuery};

pub use crate::authorize::{
    AuthorizationApp, AuthorizationCallback, AuthorizationGrant, AuthorizationRequest,
    AuthorizedShop,
};
use crate::rules::RuleSet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What the daemon lends an adapter for one call.
pub trait Host: Send + Sync {
    /// Performs an HTTP request (transport failures come back as a retryable error).
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, AdapterError>;
    /// Now, from the daemon's injected clock, in Unix milliseconds.
    fn now_unix_ms(&self) -> i64;
    /// Writes a log line through the daemon's logger.
    fn log(&self, message: &str);
    /// Reads a value of this adapter's key-value state (cursors, renewed tokens), kept
    /// by the host in its database, scoped to the adapter's platform. `None`: never set.
    fn kv_get(&self, key: &str) -> Result<Option<String>, AdapterError>;
    /// Writes (replaces) a value of this adapter's key-value state.
    fn kv_put(&self, key: &str, value: &str) -> Result<(), AdapterError>;
}

/// A connected shop as its adapter sees it: the platform's ids and the credentials the
/// operator configured (app key and secret, tokens, shop cipher, ...). Credentials are
/// secrets: adapters never log or return them.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopConnection {
    /// The platform's id of the shop.
    pub external_id: String,
    /// Region or country code.
    #[serde(default)]
    pub region: String,
    /// The platform's API base URL (the simulator's in tests).
    pub api_base: Option<String>,
    /// Named credentials.
    #[serde(default)]
    pub credentials: BTreeMap<String, String>,
}

impl std::fmt::Debug for ShopConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopConnection")
            .field("external_id", &self.external_id)
            .field("region", &self.region)
            .field("api_base", &self.api_base)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ShopConnection {
    /// The connection of shop `external_id` with these named credentials, and no region
    /// or API base (set those with struct update syntax).
    pub fn with_credentials(external_id: impl Into<String>, credentials: &[(&str, &str)]) -> Self {
        Self {
            external_id: external_id.into(),
            credentials: credentials
                .iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
                .collect(),
            ..Self::default()
        }
    }

    /// A credential, or a permanent error naming the missing one.
    pub fn credential(&self, name: &str) -> Result<&str, AdapterError> {
        self.credentials.get(name).map(String::as_str).filter(|v| !v.is_empty()).ok_or_else(|| {
            AdapterError::permanent(
                "missing_credential",
                format!("the shop connection has no `{name}`"),
            )
        })
    }
}

/// A reply (or seller-initiated message) to deliver.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// Stable across retries of this message: platforms that deduplicate on a client
    /// key get it, so a retried send is not posted twice.
    pub idempotency_key: String,
    /// The buyer's id on the platform.
    pub buyer_external_id: String,
    /// The buyer's email, when they gave one (channels that fall back to email).
    pub buyer_email: Option<String>,
    /// The platform's conversation id with this buyer, when known.
    pub platform_conversation_id: Option<String>,
    /// The content.
    pub content: MessageContent,
}

/// A delivered message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReceipt {
    /// The platform's id of the sent message; none when the platform gives none (a
    /// channel with no remote end records the reply as delivered).
    pub platform_message_id: Option<String>,
    /// Credentials the adapter renewed on the way (a refreshed access token): the host
    /// stores them for the next calls.
    pub refreshed_credentials: Option<BTreeMap<String, String>>,
}

impl SendReceipt {
    /// A receipt with no renewed credentials.
    pub fn sent(platform_message_id: impl Into<String>) -> Self {
        Self { platform_message_id: Some(platform_message_id.into()), refreshed_credentials: None }
    }

    /// A receipt of a message delivered with no platform id (nothing remote to call).
    pub fn recorded() -> Self {
        Self { platform_message_id: None, refreshed_credentials: None }
    }
}

/// A platform rule that refuses an outbound message, found by asking the platform
/// (an inactive discount code, an unpublished product).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundRefusal {
    /// The rule ID.
    pub rule: String,
    /// Why, for the agent (what to fix).
    pub message: String,
}

/// What an adapter can do, declared once by the adapter. The host routes every call by
/// these (and never by a platform name): it polls only adapters that poll, looks orders
/// up only where the adapter can, and so on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Capabilities {
    /// Platform webhooks are verified and parsed by [`Adapter::parse_webhook`], at
    /// `/webhooks/{platform}/{shop_id}`; the shop needs a connection.
    pub webhooks: bool,
    /// Buyer messages are pushed to shopmux's own signed endpoint
    /// (`POST /api/v1/shops/{shop_id}/inbound`) and verified by
    /// [`Adapter::parse_webhook`] with the shop's ingest secret, handed over as the
    /// credential [`INGEST_SECRET`]. Such shops have no marketplace connection.
    pub signed_inbound: bool,
    /// [`Adapter::send`] delivers replies.
    pub sends: bool,
    /// Replies reach the platform's buyers through the host's storefront chat (over the
    /// chat while the customer is in the store, by email after) rather than
    /// [`Adapter::send`]: the platform offers no chat API, shopmux's widget is the chat.
    pub storefront_chat: bool,
    /// [`Adapter::verify_storefront_request`] checks a storefront request the platform
    /// forwarded on the shop's behalf (an app proxy) and names the signed-in customer.
    pub storefront_proxy: bool,
    /// [`Adapter::poll`] lists what arrived since a cursor (what webhooks missed).
    pub polls: bool,
    /// [`Adapter::mark_read`] tells the platform an agent read the buyer.
    pub marks_read: bool,
    /// [`Adapter::vet_outbound`] checks an agent's message with the platform.
    pub vets_outbound: bool,
    /// [`Adapter::fetch_order`] looks an order up.
    pub order_look_up: bool,
    /// [`Adapter::fetch_buyer`] looks a buyer up with their orders.
    pub buyer_look_up: bool,
    /// [`Adapter::search_products`] searches the shop's catalogue.
    pub product_search: bool,
    /// An order notice also shows in the buyer's conversation as an order card (opening
    /// one when there is none): for platforms whose buyer chat has no open API, like
    /// Douyin's Feige, the order is the buyer activity shopmux can see.
    pub order_cards: bool,
    /// Replies need no call: [`Adapter::send`] would only record them, because the
    /// other side reads them from shopmux itself (its API, its outbound webhooks), as on
    /// shopmux's own `api` channel. A reply is then stored delivered, with no outbox
    /// entry and no send.
    pub records_replies: bool,
    /// A seller connects shops through the platform's authorization page:
    /// [`Adapter::authorization_url`], [`Adapter::verify_callback`],
    /// [`Adapter::exchange_code`] and [`Adapter::authorized_shops`].
    pub authorizes: bool,
    /// [`Adapter::subscribe_webhooks`] subscribes a connected shop's webhooks itself.
    pub subscribes_webhooks: bool,
}

/// One thing an adapter can do: a field of [`Capabilities`], named so that an adapter
/// declares what it does in one line ([`Capabilities::of`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// [`Capabilities::webhooks`].
    Webhooks,
    /// [`Capabilities::signed_inbound`].
    SignedInbound,
    /// [`Capabilities::sends`].
    Sends,
    /// [`Capabilities::storefront_chat`].
    StorefrontChat,
    /// [`Capabilities::storefront_proxy`].
    StorefrontProxy,
    /// [`Capabilities::polls`].
    Polls,
    /// [`Capabilities::marks_read`].
    MarksRead,
    /// [`Capabilities::vets_outbound`].
    VetsOutbound,
    /// [`Capabilities::order_look_up`].
    OrderLookUp,
    /// [`Capabilities::buyer_look_up`].
    BuyerLookUp,
    /// [`Capabilities::product_search`].
    ProductSearch,
    /// [`Capabilities::order_cards`].
    OrderCards,
    /// [`Capabilities::records_replies`].
    RecordsReplies,
    /// [`Capabilities::authorizes`].
    Authorizes,
    /// [`Capabilities::subscribes_webhooks`].
    SubscribesWebhooks,
}

impl Capabilities {
    /// Nothing declared (the same as `Capabilities::default()`, usable in constants).
    pub const NONE: Capabilities = Capabilities {
        webhooks: false,
        signed_inbound: false,
        sends: false,
        storefront_chat: false,
        storefront_proxy: false,
        polls: false,
        marks_read: false,
        vets_outbound: false,
        order_look_up: false,
        buyer_look_up: false,
        product_search: false,
        order_cards: false,
        records_replies: false,
        authorizes: false,
        subscribes_webhooks: false,
    };

    /// Exactly the listed capabilities: `Capabilities::of(&[Webhooks, Sends])`.
    pub const fn of(list: &[Capability]) -> Capabilities {
        let mut capabilities = Capabilities::NONE;
        let mut idx = 0;
        while idx < list.len() {
            *capabilities.flag(list[idx]) = true;
            idx += 1;
        }
        capabilities
    }

    /// Whether `capability` is declared.
    pub const fn has(self, capability: Capability) -> bool {
        let mut copy = self;
        *copy.flag(capability)
    }

    /// The field of `capability`.
    const fn flag(&mut self, capability: Capability) -> &mut bool {
        match capability {
            Capability::Webhooks => &mut self.webhooks,
            Capability::SignedInbound => &mut self.signed_inbound,
            Capability::Sends => &mut self.sends,
            Capability::StorefrontChat => &mut self.storefront_chat,
            Capability::StorefrontProxy => &mut self.storefront_proxy,
            Capability::Polls => &mut self.polls,
            Capability::MarksRead => &mut self.marks_read,
            Capability::VetsOutbound => &mut self.vets_outbound,
            Capability::OrderLookUp => &mut self.order_look_up,
            Capability::BuyerLookUp => &mut self.buyer_look_up,
            Capability::ProductSearch => &mut self.product_search,
            Capability::OrderCards => &mut self.order_cards,
            Capability::RecordsReplies => &mut self.records_replies,
            Capability::Authorizes => &mut self.authorizes,
            Capability::SubscribesWebhooks => &mut self.subscribes_webhooks,
        }
    }
}

/// Who a verified storefront request comes from
/// ([`Adapter::verify_storefront_request`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorefrontVisitor {
    /// The customer signed in at the store, as the shop's buyer id (the id the adapter's
    /// order and customer events give the same customer); none: not signed in.
    pub customer_external_id: Option<String>,
}

/// The credential under which a [`Capabilities::signed_inbound`] adapter finds the
/// shop's ingest secret.
pub const INGEST_SECRET: &str = "ingest_secret";

/// A host that lends nothing: no network (every request fails, permanently, with
/// `no_network`) and no state (reads find nothing, writes are dropped), a clock stopped at
/// the Unix epoch, logs that go nowhere. For calls that need no I/O (refusals, parsing)
/// and for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NoHost;

impl Host for NoHost {
    fn http(&self, _request: HttpRequest) -> Result<HttpResponse, AdapterError> {
        Err(AdapterError::permanent("no_network", "this host lends no network"))
    }
    fn now_unix_ms(&self) -> i64 {
        0
    }
    fn log(&self, _message: &str) {}
    fn kv_get(&self, _key: &str) -> Result<Option<String>, AdapterError> {
        Ok(None)
    }
    fn kv_put(&self, _key: &str, _value: &str) -> Result<(), AdapterError> {
        Ok(())
    }
}

/// A marketplace connection. Built-in adapters and plugins implement the same trait.
pub trait Adapter: Send + Sync {
    /// The platform id (`tiktok`).
    fn platform(&self) -> &Platform;

    /// What this adapter can do; the host calls only what is declared here.
    fn capabilities(&self) -> Capabilities;

    /// The platform's rules.
    fn rule_set(&self) -> RuleSet;

    /// Verifies a webhook's signature on the raw body, then parses it (pure: no I/O).
    /// A bad or missing signature is an error with code `bad_signature`.
    fn parse_webhook(
        &self, shop: &ShopConnection, request: &WebhookRequest, now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError>;

    /// Sends one message to the buyer.
    fn send(
        &self, host: &dyn Host, shop: &ShopConnection, message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError>;

    /// Checks an agent's message against what only the platform knows, before it is
    /// accepted (the rules of `rules.limits` that say "checked with the platform").
    /// The default checks nothing.
    fn vet_outbound(
        &self, _host: &dyn Host, _shop: &ShopConnection, _content: &MessageContent,
        _rules: &RuleSet,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        Ok(None)
    }

    /// Tells the platform the buyer's messages in a conversation were read by an agent
    /// (platforms without such a call keep the default, which does nothing).
    fn mark_read(
        &self, _host: &dyn Host, _shop: &ShopConnection, _platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        Ok(())
    }

    /// The body the platform expects in answer to an accepted webhook (none: any 2xx).
    fn webhook_answer(&self) -> Option<WebhookAnswer> {
        None
    }

    /// One order with its buyer (for order notices that do not name the buyer, and the
    /// agents' workbench).
    fn fetch_order(
        &self, _host: &dyn Host, _shop: &ShopConnection, _order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        Err(AdapterError::unsupported(self.platform(), "order look-up"))
    }

    /// The shop's products matching a query (the workbench's active products, TT-WB-1;
    /// an agent's product search, DY-PROD-1).
    fn search_products(
        &self, _host: &dyn Host, _shop: &ShopConnection, _query: &ProductQuery,
    ) -> Result<ProductPage, AdapterError> {
        Err(AdapterError::unsupported(self.platform(), "product look-up"))
    }

    /// What the platform knows about a buyer, with their orders in this shop (TT-WB-1).
    fn fetch_buyer(
        &self, _host: &dyn Host, _shop: &ShopConnection, _buyer_external_id: &str,
    ) -> Result<BuyerProfile, AdapterError> {
        Err(AdapterError::unsupported(self.platform(), "buyer look-up"))
    }

    /// Verifies a storefront request the platform forwarded to shopmux on the shop's
    /// behalf (an app proxy): its signature over the query parameters (decoded, in the
    /// order received) and its age against `now_unix_ms`; who the visitor is. A forged,
    /// stale or other shop's request is an error (`bad_signature`, `stale`,
    /// `wrong_shop`). Pure: no I/O.
    fn verify_storefront_request(
        &self, _shop: &ShopConnection, _query: &[(String, String)], _now_unix_ms: i64,
    ) -> Result<StorefrontVisitor, AdapterError> {
        Err(AdapterError::unsupported(self.platform(), "storefront proxy"))
    }

    /// Looks for buyer messages since `cursor` (none: the first poll), for what webhooks
    /// missed while the daemon was down. Adapters of platforms without a way to list
    /// messages keep the default, which says so.
    fn poll(
        &self, _host: &dyn Host, _shop: &ShopConnection, _cursor: Option<&str>,
    ) -> Result<PollPage, AdapterError> {
        Err(AdapterError::permanent(
            "unsupported",
            format!("{} offers no way to list messages", self.platform()),
        ))
    }

    /// The platform's authorization page for `request` (pure): where the host sends the
    /// seller. A shop hint the platform cannot use is `invalid_shop`.
    fn authorization_url(
        &self, _app: &AuthorizationApp, _request: &AuthorizationRequest,
    ) -> Result<String, AdapterError> {
        Err(AdapterError::unsupported(self.platform(), "authorization page"))
    }

    /// Verifies the callback's query (decoded, in the order received) where the platform
    /// signs it — its signature (`bad_signature`), its age against `now_unix_ms`
    /// (`stale`), the shop it names (`invalid_shop`) — and reads the code and state.
    /// Pure: no I/O. The host checks the state itself.
    fn verify_callback(
        &self, _app: &AuthorizationApp, _query: &[(String, String)], _now_unix_ms: i64,
    ) -> Result<AuthorizationCallback, AdapterError> {
        Err(AdapterError::unsupported(self.platform(), "authorization callback"))
    }

    /// Exchanges a verified callback's code for tokens at the platform's token endpoint.
    fn exchange_code(
        &self, _host: &dyn Host, _app: &AuthorizationApp, _callback: &AuthorizationCallback,
    ) -> Result<AuthorizationGrant, AdapterError> {
        Err(AdapterError::unsupported(self.platform(), "code exchange"))
    }

    /// The shops a grant covers, each with its connection's credentials.
    fn authorized_shops(
        &self, _host: &dyn Host, _app: &AuthorizationApp, _grant: &AuthorizationGrant,
    ) -> Result<Vec<AuthorizedShop>, AdapterError> {
        Err(AdapterError::unsupported(self.platform(), "authorized shops"))
    }

    /// Subscribes a connected shop's webhooks to `address` (shopmux's webhook URL for
    /// the shop) for the events shopmux consumes; subscribing again is harmless.
    fn subscribe_webhooks(
        &self, _host: &dyn Host, _shop: &ShopConnection, _address: &str,
    ) -> Result<(), AdapterError> {
        Err(AdapterError::unsupported(self.platform(), "webhook subscription"))
    }

    /// The shop a delivery to the platform's app-wide webhook address names (unverified:
    /// the host then verifies it with [`Adapter::parse_webhook`] and each connection of
    /// that shop). None: the delivery names no shop.
    fn webhook_shop(&self, _request: &WebhookRequest) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_appear_in_debug_output() {
        let shop = ShopConnection::with_credentials("7000", &[("app_secret", "s3cr3t")]);
        let shown = format!("{shop:?}");
        assert!(shown.contains("app_secret") && !shown.contains("s3cr3t"), "{shown}");
        assert!(shop.credential("access_token").is_err());
        assert_eq!(shop.credential("app_secret").unwrap(), "s3cr3t");
    }

    #[test]
    fn capabilities_listed_are_the_fields_set() {
        use Capability::*;
        let listed = Capabilities::of(&[Webhooks, Sends, OrderCards]);
        let spelled = Capabilities {
            webhooks: true,
            sends: true,
            order_cards: true,
            ..Capabilities::default()
        };
        assert_eq!(listed, spelled);
        assert!(listed.has(Sends) && !listed.has(Polls));
        assert_eq!(Capabilities::of(&[]), Capabilities::default());
        assert_eq!(serde_json::to_value(listed).unwrap()["order_cards"], serde_json::json!(true));
    }
}
