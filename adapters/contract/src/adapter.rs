//! The adapter contract: what every marketplace connection — built in or a plugin —
//! implements, and the wire-level values that cross it. Parsing and signing are pure
//! (bytes and `now` in, events or requests out); everything that needs I/O goes through
//! the [`Host`] the daemon hands in (HTTP through its client, the injected clock, logs,
//! key-value state), so a plugin can do the same across the C ABI later.
//!
//! Calls are blocking: the daemon runs them off its async runtime. Values are plain
//! serde data that evolves additively (new fields optional, no `deny_unknown_fields`).
//! Message content crosses as the core's content JSON (`{"type": "text", "text": …}`),
//! which the core validates on arrival.

use crate::rules::RuleSet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// An HTTP request an adapter asks the host to perform.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The full URL, query included.
    pub url: String,
    /// Headers, in order.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The exact body bytes (signatures cover them).
    #[serde(default)]
    pub body: Vec<u8>,
    /// Give up after this long; the host's default when absent.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// The platform's answer.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Headers, lowercase names.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    #[serde(default)]
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The first header of that (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A failure of an adapter call. `retryable` tells the outbox whether to back off and
/// try again (timeouts, 5xx, 429) or mark the delivery failed for good.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdapterError {
    /// A short machine code: `timeout`, `http_503`, `rate_limited`, `bad_signature`,
    /// `token_expired`, the platform's own error code, ...
    pub code: String,
    /// What happened, for the agent and the logs (never a secret).
    pub message: String,
    /// Whether trying again later may succeed.
    pub retryable: bool,
    /// Not before this many milliseconds (a platform's `retry-after`).
    #[serde(default)]
    pub retry_after_ms: Option<u64>,
}

impl AdapterError {
    /// A failure that will not go away by retrying.
    pub fn permanent(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            retryable: false,
            retry_after_ms: None,
        }
    }

    /// A failure worth retrying later.
    pub fn transient(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
            retryable: true,
            retry_after_ms: None,
        }
    }

    /// The usual reading of an HTTP failure: 408, 429 and 5xx are transient (429 and 503
    /// honour `retry-after` in seconds), the rest permanent.
    pub fn from_status(response: &HttpResponse, message: impl Into<String>) -> Self {
        let status = response.status;
        let retryable = status == 408 || status == 429 || status >= 500;
        let retry_after_ms = response
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(|s| s * 1000);
        Self {
            code: if status == 429 {
                "rate_limited".into()
            } else {
                format!("http_{status}")
            },
            message: message.into(),
            retryable,
            retry_after_ms,
        }
    }
}

impl std::fmt::Display for AdapterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for AdapterError {}

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
    #[serde(default)]
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
    /// A credential, or a permanent error naming the missing one.
    pub fn credential(&self, name: &str) -> Result<&str, AdapterError> {
        self.credentials
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
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
    #[serde(default)]
    pub buyer_email: Option<String>,
    /// The platform's conversation id with this buyer, when known.
    #[serde(default)]
    pub platform_conversation_id: Option<String>,
    /// The content, as the core's content JSON.
    pub content: serde_json::Value,
}

/// A delivered message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendReceipt {
    /// The platform's id of the sent message.
    pub platform_message_id: String,
    /// Credentials the adapter renewed on the way (a refreshed access token): the host
    /// stores them for the next calls.
    #[serde(default)]
    pub refreshed_credentials: Option<BTreeMap<String, String>>,
}

impl SendReceipt {
    /// A receipt with no renewed credentials.
    pub fn sent(platform_message_id: impl Into<String>) -> Self {
        Self {
            platform_message_id: platform_message_id.into(),
            refreshed_credentials: None,
        }
    }
}

/// A buyer as a platform event names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBuyer {
    /// The buyer's id on the platform.
    pub external_id: String,
    /// Display name, when sent.
    #[serde(default)]
    pub nickname: Option<String>,
    /// Email, when the platform shares it.
    #[serde(default)]
    pub email: Option<String>,
}

/// Something a platform told us, normalized.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum InboundEvent {
    /// A buyer message.
    Message {
        /// The buyer.
        buyer: EventBuyer,
        /// The platform's message id (the deduplication key).
        platform_message_id: String,
        /// The platform's conversation id.
        #[serde(default)]
        platform_conversation_id: Option<String>,
        /// The content, as the core's content JSON.
        content: serde_json::Value,
        /// When the platform says it was sent, Unix milliseconds.
        #[serde(default)]
        sent_at_ms: Option<i64>,
    },
    /// An order of the shop was created or changed. Platforms whose notices do not name
    /// the buyer leave `buyer` empty; the host then asks [`Adapter::fetch_order`].
    OrderChanged {
        /// The platform's order id.
        order_external_id: String,
        /// The buyer, when the notice names them.
        #[serde(default)]
        buyer: Option<EventBuyer>,
        /// Whether a return or refund is now under way, when the notice says.
        #[serde(default)]
        reverse_in_progress: Option<bool>,
    },
    /// An order with its details, as the platform's notice carries them (recorded as
    /// is, no look-up).
    OrderUpdated {
        /// The order.
        order: OrderInfo,
    },
    /// A shopping cart changed (Shopify's cart webhooks; SH-CART-1). The host matches the
    /// cart to the customer's chat by its token and adds a cart event to the conversation
    /// with what was added or removed since the cart's last state.
    CartChanged {
        /// The cart's token (what the storefront's `/cart.js` reports).
        cart_token: String,
        /// Every line of the cart now.
        lines: Vec<CartLineInfo>,
        /// The subtotal now, a decimal string with currency (`"59.80 USD"`).
        #[serde(default)]
        subtotal: Option<String>,
        /// When the cart changed, Unix milliseconds (orders redeliveries).
        #[serde(default)]
        updated_at_ms: Option<i64>,
    },
    /// What the platform knows about a buyer changed (Shopify's customer webhooks,
    /// SH-PROFILE-1).
    BuyerProfileChanged {
        /// The buyer's profile now.
        profile: BuyerProfile,
    },
    /// An event shopmux does not act on (kept for logs).
    Ignored {
        /// Why.
        reason: String,
    },
    /// An event of a newer contract than this daemon knows (a plugin built later): not
    /// acted on. Keeps the event list additive across versions.
    #[serde(other)]
    Unknown,
}

/// One line of a cart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLineInfo {
    /// The line's identity across updates (the variant id, else the product id).
    pub key: String,
    /// The product's name.
    #[serde(default)]
    pub title: Option<String>,
    /// How many are in the cart.
    pub quantity: u32,
}

/// A webhook delivery as received: the raw body (signatures cover the exact bytes) and
/// its headers.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookRequest {
    /// Headers, lowercase names.
    pub headers: Vec<(String, String)>,
    /// The raw body.
    pub body: Vec<u8>,
}

impl WebhookRequest {
    /// The first header of that (lowercase) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An order as the platform reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// The platform's order id.
    pub external_id: String,
    /// Who bought.
    pub buyer: EventBuyer,
    /// When it was placed, Unix milliseconds.
    #[serde(default)]
    pub created_at_ms: Option<i64>,
    /// The platform's status, as text.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether a return or refund is in progress.
    #[serde(default)]
    pub reverse_in_progress: Option<bool>,
    /// The number buyers and agents see (`#1001`), when it differs from the id.
    #[serde(default)]
    pub name: Option<String>,
    /// The order's total, a decimal string with currency.
    #[serde(default)]
    pub total: Option<String>,
}

/// A product of the shop, as the platform's catalogue reports it (the agents' workbench,
/// TT-WB-1; product search, DY-PROD-1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductInfo {
    /// The platform's product id.
    pub external_id: String,
    /// Its title.
    pub title: String,
    /// Price as a decimal string with currency (`"19.90 USD"`), when known.
    #[serde(default)]
    pub price: Option<String>,
    /// The buyer-facing page of the product.
    #[serde(default)]
    pub url: Option<String>,
    /// The main image.
    #[serde(default)]
    pub image_url: Option<String>,
    /// Whether it is on sale now (listed, published, not deleted).
    #[serde(default)]
    pub active: bool,
    /// Units in stock, when the platform says.
    #[serde(default)]
    pub stock: Option<i64>,
}

/// A product search: free text (none: all), and a page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductQuery {
    /// Words of the title (none: every product).
    #[serde(default)]
    pub text: Option<String>,
    /// Only products on sale now.
    #[serde(default)]
    pub active_only: bool,
    /// At most this many (the adapter may return fewer).
    #[serde(default)]
    pub page_size: u32,
    /// Where to continue, from a previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// One page of products.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductPage {
    /// The products.
    pub products: Vec<ProductInfo>,
    /// The next page, when there is one.
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// What the platform knows about a buyer (the workbench's buyer panel).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerProfile {
    /// The buyer's id on the platform.
    pub external_id: String,
    /// Display name.
    #[serde(default)]
    pub nickname: Option<String>,
    /// Email, when the platform shares it.
    #[serde(default)]
    pub email: Option<String>,
    /// The buyer's orders in this shop, newest first (as many as the platform returns
    /// in one call).
    #[serde(default)]
    pub orders: Vec<OrderInfo>,
    /// Phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// Where they are (city, country), as the platform writes it.
    #[serde(default)]
    pub location: Option<String>,
    /// Their IANA time zone, for their local time.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// A customer of the shop since, Unix milliseconds.
    #[serde(default)]
    pub customer_since_ms: Option<i64>,
    /// Total spent in the shop, a decimal string with currency.
    #[serde(default)]
    pub total_spent: Option<String>,
    /// How many orders they placed in the shop in all.
    #[serde(default)]
    pub orders_count: Option<u64>,
}

/// The body a platform expects in answer to its webhook, when it expects one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAnswer {
    /// The content type.
    pub content_type: String,
    /// The body.
    pub body: Vec<u8>,
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

/// What one poll found: the events since the cursor, and the cursor to pass next time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollPage {
    /// The events, oldest first (redeliveries are harmless: messages are deduplicated).
    pub events: Vec<InboundEvent>,
    /// Where the next poll starts; keep the old one when absent.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A marketplace connection. Built-in adapters and plugins implement the same trait.
pub trait Adapter: Send + Sync {
    /// The platform id (`tiktok`).
    fn platform(&self) -> &str;

    /// The platform's rules.
    fn rule_set(&self) -> RuleSet;

    /// Verifies a webhook's signature on the raw body, then parses it (pure: no I/O).
    /// A bad or missing signature is an error with code `bad_signature`.
    fn parse_webhook(
        &self,
        shop: &ShopConnection,
        request: &WebhookRequest,
        now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError>;

    /// Whether [`Adapter::send`] delivers replies (false: the host answers this
    /// platform's buyers another way, as its storefront chat does for Shopify).
    fn sends(&self) -> bool {
        true
    }

    /// Whether an order notice also shows in the buyer's conversation, as an order card
    /// (opening one when there is none). For platforms whose buyer chat has no open API,
    /// like Douyin's Feige, the order is the buyer activity shopmux can see.
    fn order_notices_in_conversation(&self) -> bool {
        false
    }

    /// Whether [`Adapter::poll`] can list messages (the host then polls this platform).
    fn polls(&self) -> bool {
        false
    }

    /// Sends one message to the buyer.
    fn send(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError>;

    /// Checks an agent's message against what only the platform knows, before it is
    /// accepted (the rules of `rules.limits` that say "checked with the platform").
    /// The default checks nothing.
    fn vet_outbound(
        &self,
        _host: &dyn Host,
        _shop: &ShopConnection,
        _content: &serde_json::Value,
        _rules: &RuleSet,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        Ok(None)
    }

    /// Tells the platform the buyer's messages in a conversation were read by an agent
    /// (platforms without such a call keep the default, which does nothing).
    fn mark_read(
        &self,
        _host: &dyn Host,
        _shop: &ShopConnection,
        _platform_conversation_id: &str,
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
        &self,
        _host: &dyn Host,
        _shop: &ShopConnection,
        _order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        Err(AdapterError::permanent(
            "unsupported",
            format!("{} offers no order look-up here", self.platform()),
        ))
    }

    /// The shop's products matching a query (the workbench's active products, TT-WB-1;
    /// an agent's product search, DY-PROD-1).
    fn search_products(
        &self,
        _host: &dyn Host,
        _shop: &ShopConnection,
        _query: &ProductQuery,
    ) -> Result<ProductPage, AdapterError> {
        Err(AdapterError::permanent(
            "unsupported",
            format!("{} offers no product look-up here", self.platform()),
        ))
    }

    /// What the platform knows about a buyer, with their orders in this shop (TT-WB-1).
    fn fetch_buyer(
        &self,
        _host: &dyn Host,
        _shop: &ShopConnection,
        _buyer_external_id: &str,
    ) -> Result<BuyerProfile, AdapterError> {
        Err(AdapterError::permanent(
            "unsupported",
            format!("{} offers no buyer look-up here", self.platform()),
        ))
    }

    /// Looks for buyer messages since `cursor` (none: the first poll), for what webhooks
    /// missed while the daemon was down. Adapters of platforms without a way to list
    /// messages keep the default, which says so.
    fn poll(
        &self,
        _host: &dyn Host,
        _shop: &ShopConnection,
        _cursor: Option<&str>,
    ) -> Result<PollPage, AdapterError> {
        Err(AdapterError::permanent(
            "unsupported",
            format!("{} offers no way to list messages", self.platform()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_failures_are_classified_for_the_outbox() {
        let resp = |status, retry_after: Option<&str>| HttpResponse {
            status,
            headers: retry_after
                .map(|v| vec![("retry-after".to_owned(), v.to_owned())])
                .unwrap_or_default(),
            body: vec![],
        };
        let e = AdapterError::from_status(&resp(503, None), "down");
        assert!(e.retryable);
        assert_eq!(e.code, "http_503");
        let e = AdapterError::from_status(&resp(429, Some("7")), "slow down");
        assert_eq!((e.retryable, e.retry_after_ms), (true, Some(7000)));
        assert_eq!(e.code, "rate_limited");
        let e = AdapterError::from_status(&resp(400, None), "bad request");
        assert!(!e.retryable);
    }

    #[test]
    fn events_of_a_newer_contract_read_as_unknown() {
        let newer: Vec<InboundEvent> = serde_json::from_str(
            r#"[{"event": "buyer_typing", "since_ms": 1}, {"event": "ignored", "reason": "x"}]"#,
        )
        .unwrap();
        assert_eq!(
            newer,
            [
                InboundEvent::Unknown,
                InboundEvent::Ignored { reason: "x".into() }
            ]
        );
    }

    #[test]
    fn credentials_never_appear_in_debug_output() {
        let shop = ShopConnection {
            external_id: "7000".into(),
            credentials: [("app_secret".to_owned(), "s3cr3t".to_owned())].into(),
            ..Default::default()
        };
        let shown = format!("{shop:?}");
        assert!(
            shown.contains("app_secret") && !shown.contains("s3cr3t"),
            "{shown}"
        );
        assert!(shop.credential("access_token").is_err());
        assert_eq!(shop.credential("app_secret").unwrap(), "s3cr3t");
    }
}
