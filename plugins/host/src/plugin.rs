//! A loaded plugin as an [`Adapter`]: each method builds this call's context (the
//! daemon's `&dyn Host`, the deadline), crosses the boundary with JSON, and reads the
//! answer (event lists one event at a time: see [`events`](crate::events)). Methods the
//! manifest does not list keep the contract's defaults without crossing. The rule set,
//! webhook answer and capabilities were read at load and are served from memory.
//!
//! The adapter instance sits behind a lock as an `Arc`: calls clone it and run
//! concurrently; after a `PANIC` the instance is tainted, replaced by a fresh one, and
//! destroyed once its last in-flight call returns.

use crate::callbacks::{HOST_TABLE, HostCx, NoHost};
use crate::events;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use shopmux_contract::adapter::{
    Adapter, AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, BuyerProfile, Capabilities, Host, InboundEvent,
    MessageContent, OrderInfo, OutboundMessage, OutboundRefusal, Platform, PollPage, ProductPage,
    ProductQuery, SendReceipt, ShopConnection, WebhookAnswer, WebhookRequest,
};
use shopmux_contract::rules::RuleSet;
use shopmux_plugin_abi::{self as abi, Instance, OwnedBuf, PluginV1, Slice, method};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// How long a call may use host services by default: the outbox's send timeout.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// An ABI version, `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AbiVersion {
    /// The major version.
    pub major: u16,
    /// The minor version.
    pub minor: u16,
}

impl std::fmt::Display for AbiVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What `shopmux plugins list` shows of a loaded plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginInfo {
    /// The plugin's name.
    pub name: String,
    /// The platform id it serves.
    pub platform: Platform,
    /// The plugin's version.
    pub version: String,
    /// The ABI it was built for.
    pub abi: AbiVersion,
    /// The file it was loaded from (canonical).
    pub path: PathBuf,
    /// The SDK version it was built with, when it says.
    pub sdk_version: Option<String>,
    /// The compiler that built it, when it says.
    pub rustc: Option<String>,
    /// The v1 methods it implements.
    pub methods: Vec<String>,
}

/// The plugin's static table, from a library that is never unloaded.
#[derive(Clone, Copy)]
pub(crate) struct Table(pub &'static PluginV1);

// SAFETY: the table is immutable and lives for the process (its library is leaked); its
// functions are required by the ABI to be callable from any thread.
unsafe impl Send for Table {}
// SAFETY: as above.
unsafe impl Sync for Table {}

/// One adapter instance of the plugin, destroyed when the last `Arc` goes.
pub(crate) struct LiveInstance {
    ptr: *mut Instance,
    table: Table,
}

// SAFETY: the ABI requires instances to be usable from any thread and concurrently
// (`Adapter: Send + Sync` on the plugin side).
unsafe impl Send for LiveInstance {}
// SAFETY: as above.
unsafe impl Sync for LiveInstance {}

impl Drop for LiveInstance {
    fn drop(&mut self) {
        // SAFETY: made by this table's `create`; no call is in flight (every call holds an
        // `Arc` of it), and it is destroyed once.
        unsafe { (self.table.0.destroy)(self.ptr) };
    }
}

/// Creates an instance (`create` with the host table and `{}` as configuration).
pub(crate) fn create_instance(table: Table, plugin: &str) -> Result<Arc<LiveInstance>, String> {
    let host = NoHost { now_unix_ms: None };
    let cx = HostCx {
        host: &host,
        deadline: Instant::now() + DEFAULT_CALL_TIMEOUT,
        plugin,
        method: "create",
    };
    let mut instance: *mut Instance = std::ptr::null_mut();
    let mut err = OwnedBuf::EMPTY;
    let config = b"{}";
    // SAFETY: the static host table; `cx` outlives the call; `instance`/`err` are ours.
    let status = unsafe {
        (table.0.create)(
            &HOST_TABLE,
            cx.as_ptr(),
            Slice::from_bytes(config),
            &mut instance,
            &mut err,
        )
    };
    // SAFETY: filled by the plugin following the ABI (or left empty).
    let err = unsafe { err.take() };
    match status {
        abi::OK if !instance.is_null() => Ok(Arc::new(LiveInstance { ptr: instance, table })),
        abi::OK => Err("create answered OK without an instance".into()),
        abi::PANIC => Err(format!("panicked: {}", String::from_utf8_lossy(&err))),
        status => Err(serde_json::from_slice::<AdapterError>(&err)
            .map(|e| e.to_string())
            .unwrap_or_else(|_| format!("status {status}"))),
    }
}

/// A loaded plugin, driven as an [`Adapter`]. Its library is never unloaded.
pub struct Plugin {
    pub(crate) info: PluginInfo,
    pub(crate) table: Table,
    pub(crate) capabilities: Capabilities,
    pub(crate) rule_set: RuleSet,
    pub(crate) webhook_answer: Option<WebhookAnswer>,
    pub(crate) instance: RwLock<Option<Arc<LiveInstance>>>,
    pub(crate) call_timeout: Duration,
    pub(crate) panics: AtomicU64,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin").field("info", &self.info).finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct ParseWebhookIn<'a> {
    shop: &'a ShopConnection,
    request: &'a WebhookRequest,
    now_unix_ms: i64,
}

#[derive(Serialize)]
struct PollIn<'a> {
    shop: &'a ShopConnection,
    cursor: Option<&'a str>,
}

#[derive(Serialize)]
struct SendIn<'a> {
    shop: &'a ShopConnection,
    message: &'a OutboundMessage,
}

#[derive(Serialize)]
struct VetOutboundIn<'a> {
    shop: &'a ShopConnection,
    content: &'a MessageContent,
    rules: &'a RuleSet,
}

#[derive(Serialize)]
struct MarkReadIn<'a> {
    shop: &'a ShopConnection,
    platform_conversation_id: &'a str,
}

#[derive(Serialize)]
struct FetchOrderIn<'a> {
    shop: &'a ShopConnection,
    order_external_id: &'a str,
}

#[derive(Serialize)]
struct SearchProductsIn<'a> {
    shop: &'a ShopConnection,
    query: &'a ProductQuery,
}

#[derive(Serialize)]
struct FetchBuyerIn<'a> {
    shop: &'a ShopConnection,
    buyer_external_id: &'a str,
}

impl Plugin {
    /// What `plugins list` shows.
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }

    /// Whether the plugin implements a v1 method (its manifest lists it).
    pub fn implements(&self, method: &str) -> bool {
        self.info.methods.iter().any(|m| m == method)
    }

    /// This plugin with another per-call deadline: host services (HTTP, key-value)
    /// asked for after it answer `DEADLINE`, and HTTP timeouts are cut to what is left.
    /// The default is [`DEFAULT_CALL_TIMEOUT`].
    pub fn with_call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// How many of its calls panicked since it was loaded.
    pub fn panic_count(&self) -> u64 {
        self.panics.load(Ordering::Relaxed)
    }

    /// Runs the plugin's self-test: what it checked, one line each (empty when it has
    /// none), or its failure.
    pub fn self_test(&self, host: &dyn Host) -> Result<Vec<String>, AdapterError> {
        self.listed(host, method::SELF_TEST, &Empty {}).unwrap_or(Ok(Vec::new()))
    }

    /// The current instance, created if there is none (a re-creation failed earlier).
    fn instance(&self) -> Result<Arc<LiveInstance>, AdapterError> {
        if let Some(live) = &*self.instance.read().unwrap_or_else(PoisonError::into_inner) {
            return Ok(live.clone());
        }
        let mut slot = self.instance.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(live) = &*slot {
            return Ok(live.clone());
        }
        let live = create_instance(self.table, &self.info.name).map_err(|reason| {
            AdapterError::transient(
                "plugin_unavailable",
                format!("plugin {} has no instance: {reason}", self.info.name),
            )
        })?;
        *slot = Some(live.clone());
        Ok(live)
    }

    /// Replaces a tainted instance (if it is still the current one) by a fresh one; the
    /// old one is destroyed when its last in-flight call returns.
    fn replace(&self, tainted: &Arc<LiveInstance>) {
        let mut slot = self.instance.write().unwrap_or_else(PoisonError::into_inner);
        if slot.as_ref().is_some_and(|cur| Arc::ptr_eq(cur, tainted)) {
            *slot = match create_instance(self.table, &self.info.name) {
                Ok(fresh) => Some(fresh),
                Err(reason) => {
                    tracing::error!(plugin = %self.info.name, %reason, "Re-creating a plugin instance failed.");
                    None
                }
            };
        }
    }

    /// [`call`](Self::call) when the manifest lists `method`; `None` (nothing crosses)
    /// when it does not, for the caller to answer the contract's default.
    pub(crate) fn listed<I: Serialize, O: DeserializeOwned>(
        &self, host: &dyn Host, method: &'static str, input: &I,
    ) -> Option<Result<O, AdapterError>> {
        self.implements(method).then(|| self.call(host, method, input))
    }

    /// Calls `method` with the JSON of `input`, lending `host`; decodes the answer.
    fn call<I: Serialize, O: DeserializeOwned>(
        &self, host: &dyn Host, method: &'static str, input: &I,
    ) -> Result<O, AdapterError> {
        let input = serde_json::to_vec(input)
            .map_err(|e| AdapterError::permanent("plugin_bad_input", e.to_string()))?;
        let bytes = self.call_raw(host, method, &input)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            tracing::warn!(plugin = %self.info.name, method, error = %e, "A plugin answered unreadable JSON.");
            AdapterError::permanent(
                "plugin_bad_output",
                format!("plugin {} answered `{method}` with unreadable JSON: {e}", self.info.name),
            )
        })
    }

    /// One crossing: the instance, this call's context, the status read.
    fn call_raw(
        &self, host: &dyn Host, method: &'static str, input: &[u8],
    ) -> Result<Vec<u8>, AdapterError> {
        let instance = self.instance()?;
        let cx = HostCx {
            host,
            deadline: Instant::now() + self.call_timeout,
            plugin: &self.info.name,
            method,
        };
        let mut out = OwnedBuf::EMPTY;
        // SAFETY: a live instance of this table (the `Arc` keeps it); `cx`, the views and
        // `out` outlive the call.
        let status = unsafe {
            (self.table.0.call)(
                instance.ptr,
                cx.as_ptr(),
                Slice::from_bytes(method.as_bytes()),
                Slice::from_bytes(input),
                &mut out,
            )
        };
        // SAFETY: filled by the plugin following the ABI (or left empty).
        let bytes = unsafe { out.take() };
        let name = &self.info.name;
        let error_of = |fallback: AdapterError| {
            serde_json::from_slice::<AdapterError>(&bytes).unwrap_or(fallback)
        };
        match status {
            abi::OK => Ok(bytes),
            abi::ERROR => {
                let error = error_of(AdapterError::permanent(
                    "plugin_bad_output",
                    format!("plugin {name} failed `{method}` without a readable error"),
                ));
                tracing::debug!(plugin = %name, method, %error, "A plugin call failed.");
                Err(error)
            }
            abi::PANIC => {
                let message = String::from_utf8_lossy(&bytes).into_owned();
                self.panics.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    plugin = %name,
                    method,
                    error = %message,
                    "A plugin panicked; its instance is re-created."
                );
                self.replace(&instance);
                Err(AdapterError {
                    code: "plugin_panic".into(),
                    message: format!("plugin {name} panicked in `{method}`: {message}"),
                    retryable: true,
                    retry_after_ms: None,
                })
            }
            other => {
                let error = error_of(AdapterError::permanent(
                    match other {
                        abi::UNSUPPORTED => "unsupported",
                        abi::BAD_INPUT => "plugin_bad_input",
                        _ => "plugin_bad_status",
                    },
                    format!("plugin {name} answered `{method}` with status {other}"),
                ));
                tracing::warn!(plugin = %name, method, status = other, %error, "A plugin refused a call.");
                Err(error)
            }
        }
    }
}

impl Adapter for Plugin {
    fn platform(&self) -> &Platform {
        &self.info.platform
    }

    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }

    fn rule_set(&self) -> RuleSet {
        self.rule_set.clone()
    }

    fn parse_webhook(
        &self, shop: &ShopConnection, request: &WebhookRequest, now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        let host = NoHost { now_unix_ms: Some(now_unix_ms) };
        let input = ParseWebhookIn { shop, request, now_unix_ms };
        let events: Vec<Value> = self
            .listed(&host, method::PARSE_WEBHOOK, &input)
            .unwrap_or_else(|| self.unsupported("webhooks"))?;
        Ok(events::read(&self.info.name, method::PARSE_WEBHOOK, events))
    }

    fn send(
        &self, host: &dyn Host, shop: &ShopConnection, message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        self.listed(host, method::SEND, &SendIn { shop, message })
            .unwrap_or_else(|| self.unsupported("sending"))
    }

    fn vet_outbound(
        &self, host: &dyn Host, shop: &ShopConnection, content: &MessageContent, rules: &RuleSet,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        let input = VetOutboundIn { shop, content, rules };
        self.listed(host, method::VET_OUTBOUND, &input).unwrap_or(Ok(None))
    }

    fn mark_read(
        &self, host: &dyn Host, shop: &ShopConnection, platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        let input = MarkReadIn { shop, platform_conversation_id };
        self.listed(host, method::MARK_READ, &input).unwrap_or(Ok(()))
    }

    fn webhook_answer(&self) -> Option<WebhookAnswer> {
        self.webhook_answer.clone()
    }

    fn fetch_order(
        &self, host: &dyn Host, shop: &ShopConnection, order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        let input = FetchOrderIn { shop, order_external_id };
        self.listed(host, method::FETCH_ORDER, &input)
            .unwrap_or_else(|| self.unsupported("order look-up"))
    }

    fn search_products(
        &self, host: &dyn Host, shop: &ShopConnection, query: &ProductQuery,
    ) -> Result<ProductPage, AdapterError> {
        let input = SearchProductsIn { shop, query };
        self.listed(host, method::SEARCH_PRODUCTS, &input)
            .unwrap_or_else(|| self.unsupported("product look-up"))
    }

    fn fetch_buyer(
        &self, host: &dyn Host, shop: &ShopConnection, buyer_external_id: &str,
    ) -> Result<BuyerProfile, AdapterError> {
        let input = FetchBuyerIn { shop, buyer_external_id };
        self.listed(host, method::FETCH_BUYER, &input)
            .unwrap_or_else(|| self.unsupported("buyer look-up"))
    }

    fn authorization_url(
        &self, app: &AuthorizationApp, request: &AuthorizationRequest,
    ) -> Result<String, AdapterError> {
        self.plugin_authorization_url(app, request)
    }

    fn verify_callback(
        &self, app: &AuthorizationApp, query: &[(String, String)], now_unix_ms: i64,
    ) -> Result<AuthorizationCallback, AdapterError> {
        self.plugin_verify_callback(app, query, now_unix_ms)
    }

    fn exchange_code(
        &self, host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
    ) -> Result<AuthorizationGrant, AdapterError> {
        self.plugin_exchange_code(host, app, callback)
    }

    fn authorized_shops(
        &self, host: &dyn Host, app: &AuthorizationApp, grant: &AuthorizationGrant,
    ) -> Result<Vec<AuthorizedShop>, AdapterError> {
        self.plugin_authorized_shops(host, app, grant)
    }

    fn subscribe_webhooks(
        &self, host: &dyn Host, shop: &ShopConnection, address: &str,
    ) -> Result<(), AdapterError> {
        self.plugin_subscribe_webhooks(host, shop, address)
    }

    fn poll(
        &self, host: &dyn Host, shop: &ShopConnection, cursor: Option<&str>,
    ) -> Result<PollPage, AdapterError> {
        let page: events::RawPollPage =
            self.listed(host, method::POLL, &PollIn { shop, cursor }).unwrap_or_else(|| {
                Err(AdapterError::permanent(
                    "unsupported",
                    format!("{} offers no way to list messages", self.info.platform),
                ))
            })?;
        Ok(PollPage {
            events: events::read(&self.info.name, method::POLL, page.events),
            cursor: page.cursor,
        })
    }
}

impl Plugin {
    /// The contract's default answer for a method the manifest does not list.
    fn unsupported<T>(&self, what: &str) -> Result<T, AdapterError> {
        Err(AdapterError::unsupported(&self.info.platform, what))
    }

    /// Fetches the rule set at load (with no host: it must be pure).
    pub(crate) fn fetch_rule_set(&self) -> Result<RuleSet, AdapterError> {
        self.call(&NoHost { now_unix_ms: None }, method::RULE_SET, &Empty {})
    }

    /// Fetches the webhook answer at load, when the plugin implements it.
    pub(crate) fn fetch_webhook_answer(&self) -> Result<Option<WebhookAnswer>, AdapterError> {
        let host = NoHost { now_unix_ms: None };
        self.listed(&host, method::WEBHOOK_ANSWER, &Empty {}).unwrap_or(Ok(None))
    }
}
