//! The v1 method set, dispatched by name: JSON input in, the adapter called with ordinary
//! Rust values, JSON output out. Safe code only, so it is tested in-process exactly as
//! the exported `call` runs it.
//!
//! Inputs are JSON objects whose fields are the contract's serde forms (see
//! [`abi::method`](crate::abi::method)); unknown fields are ignored, so the daemon may
//! send more in a later minor version. An empty input reads as `{}`.

use crate::Plugin;
use crate::abi::method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use shopmux_contract::adapter::{
    AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, Capabilities, Host, MessageContent, OutboundMessage, ProductQuery,
    ShopConnection, WebhookRequest,
};
use shopmux_contract::rules::RuleSet;

/// Why a call did not produce a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallFailure {
    /// The adapter failed (status `ERROR`).
    Adapter(AdapterError),
    /// The input was not what the method expects (status `BAD_INPUT`).
    BadInput(String),
    /// No such method, or one this plugin does not implement (status `UNSUPPORTED`).
    Unsupported(String),
}

impl CallFailure {
    /// The ABI status of this failure.
    pub fn status(&self) -> u32 {
        match self {
            Self::Adapter(_) => crate::abi::ERROR,
            Self::BadInput(_) => crate::abi::BAD_INPUT,
            Self::Unsupported(_) => crate::abi::UNSUPPORTED,
        }
    }

    /// The error JSON that goes with the status (`{code, message, retryable, ...}`).
    pub fn to_json(&self) -> Vec<u8> {
        let error = match self {
            Self::Adapter(e) => e.clone(),
            Self::BadInput(m) => AdapterError::permanent("bad_input", m.clone()),
            Self::Unsupported(m) => AdapterError::permanent("unsupported", m.clone()),
        };
        serde_json::to_vec(&error).unwrap_or_default()
    }
}

impl From<AdapterError> for CallFailure {
    fn from(e: AdapterError) -> Self {
        Self::Adapter(e)
    }
}

#[derive(Deserialize)]
struct ParseWebhookInput {
    shop: ShopConnection,
    request: WebhookRequest,
    now_unix_ms: i64,
}

#[derive(Deserialize)]
struct PollInput {
    shop: ShopConnection,
    cursor: Option<String>,
}

#[derive(Deserialize)]
struct SendInput {
    shop: ShopConnection,
    message: OutboundMessage,
}

#[derive(Deserialize)]
struct VetOutboundInput {
    shop: ShopConnection,
    content: MessageContent,
    rules: RuleSet,
}

#[derive(Deserialize)]
struct MarkReadInput {
    shop: ShopConnection,
    platform_conversation_id: String,
}

#[derive(Deserialize)]
struct FetchOrderInput {
    shop: ShopConnection,
    order_external_id: String,
}

#[derive(Deserialize)]
struct SearchProductsInput {
    shop: ShopConnection,
    #[serde(default)]
    query: ProductQuery,
}

#[derive(Deserialize)]
struct FetchBuyerInput {
    shop: ShopConnection,
    buyer_external_id: String,
}

#[derive(Deserialize)]
struct AuthorizationUrlInput {
    app: AuthorizationApp,
    request: AuthorizationRequest,
}

#[derive(Deserialize)]
struct VerifyCallbackInput {
    app: AuthorizationApp,
    query: Vec<(String, String)>,
    now_unix_ms: i64,
}

#[derive(Deserialize)]
struct ExchangeCodeInput {
    app: AuthorizationApp,
    callback: AuthorizationCallback,
}

#[derive(Deserialize)]
struct AuthorizedShopsInput {
    app: AuthorizationApp,
    grant: AuthorizationGrant,
}

#[derive(Deserialize)]
struct SubscribeWebhooksInput {
    shop: ShopConnection,
    address: String,
}

fn input<T: DeserializeOwned>(method: &str, bytes: &[u8]) -> Result<T, CallFailure> {
    let bytes = if bytes.is_empty() { b"{}" } else { bytes };
    serde_json::from_slice(bytes)
        .map_err(|e| CallFailure::BadInput(format!("the input of `{method}`: {e}")))
}

fn output<T: serde::Serialize>(value: &T) -> Result<Vec<u8>, CallFailure> {
    serde_json::to_vec(value).map_err(|e| {
        CallFailure::Adapter(AdapterError::permanent(
            "plugin_bad_output",
            format!("the result could not be written as JSON: {e}"),
        ))
    })
}

/// The v1 methods a plugin with these capabilities implements: the trait's required
/// ones (`rule_set`, `parse_webhook`, `send`), `webhook_answer` and `self_test` always,
/// and each optional one when its capability is declared (`poll` with `polls`,
/// `fetch_order` with `order_look_up`, ...): the default of [`Plugin::methods`].
pub fn methods_for(capabilities: &Capabilities) -> Vec<&'static str> {
    let optional = [
        (method::POLL, capabilities.polls),
        (method::VET_OUTBOUND, capabilities.vets_outbound),
        (method::MARK_READ, capabilities.marks_read),
        (method::FETCH_ORDER, capabilities.order_look_up),
        (method::SEARCH_PRODUCTS, capabilities.product_search),
        (method::FETCH_BUYER, capabilities.buyer_look_up),
        (method::AUTHORIZATION_URL, capabilities.authorizes),
        (method::VERIFY_CALLBACK, capabilities.authorizes),
        (method::EXCHANGE_CODE, capabilities.authorizes),
        (method::AUTHORIZED_SHOPS, capabilities.authorizes),
        (method::SUBSCRIBE_WEBHOOKS, capabilities.subscribes_webhooks),
    ];
    method::ALL
        .iter()
        .copied()
        .filter(|m| optional.iter().all(|(name, declared)| name != m || *declared))
        .collect()
}

/// Calls `method` of `plugin` with the JSON `input`, lending it `host`; returns the
/// result JSON. Methods the plugin's [`Plugin::methods`] does not list are
/// `Unsupported`, like unknown names.
pub fn dispatch<P: Plugin + ?Sized>(
    plugin: &P, host: &dyn Host, method: &str, bytes: &[u8],
) -> Result<Vec<u8>, CallFailure> {
    if !plugin.methods().contains(&method) {
        return Err(CallFailure::Unsupported(format!("the plugin does not implement `{method}`")));
    }
    match method {
        method::RULE_SET => output(&plugin.rule_set()),
        method::PARSE_WEBHOOK => {
            let i: ParseWebhookInput = input(method, bytes)?;
            output(&plugin.parse_webhook(&i.shop, &i.request, i.now_unix_ms)?)
        }
        method::POLL => {
            let i: PollInput = input(method, bytes)?;
            output(&plugin.poll(host, &i.shop, i.cursor.as_deref())?)
        }
        method::SEND => {
            let i: SendInput = input(method, bytes)?;
            output(&plugin.send(host, &i.shop, &i.message)?)
        }
        method::VET_OUTBOUND => {
            let i: VetOutboundInput = input(method, bytes)?;
            output(&plugin.vet_outbound(host, &i.shop, &i.content, &i.rules)?)
        }
        method::MARK_READ => {
            let i: MarkReadInput = input(method, bytes)?;
            plugin.mark_read(host, &i.shop, &i.platform_conversation_id)?;
            output(&())
        }
        method::WEBHOOK_ANSWER => output(&plugin.webhook_answer()),
        method::FETCH_ORDER => {
            let i: FetchOrderInput = input(method, bytes)?;
            output(&plugin.fetch_order(host, &i.shop, &i.order_external_id)?)
        }
        method::SEARCH_PRODUCTS => {
            let i: SearchProductsInput = input(method, bytes)?;
            output(&plugin.search_products(host, &i.shop, &i.query)?)
        }
        method::FETCH_BUYER => {
            let i: FetchBuyerInput = input(method, bytes)?;
            output(&plugin.fetch_buyer(host, &i.shop, &i.buyer_external_id)?)
        }
        method::SELF_TEST => output(&plugin.self_test(host)?),
        other => dispatch_connect(plugin, host, other, bytes),
    }
}

/// The authorization methods (see [`dispatch`]).
fn dispatch_connect<P: Plugin + ?Sized>(
    plugin: &P, host: &dyn Host, method: &str, bytes: &[u8],
) -> Result<Vec<u8>, CallFailure> {
    match method {
        method::AUTHORIZATION_URL => {
            let i: AuthorizationUrlInput = input(method, bytes)?;
            output(&plugin.authorization_url(&i.app, &i.request)?)
        }
        method::VERIFY_CALLBACK => {
            let i: VerifyCallbackInput = input(method, bytes)?;
            output(&plugin.verify_callback(&i.app, &i.query, i.now_unix_ms)?)
        }
        method::EXCHANGE_CODE => {
            let i: ExchangeCodeInput = input(method, bytes)?;
            output(&plugin.exchange_code(host, &i.app, &i.callback)?)
        }
        method::AUTHORIZED_SHOPS => {
            let i: AuthorizedShopsInput = input(method, bytes)?;
            output(&plugin.authorized_shops(host, &i.app, &i.grant)?)
        }
        method::SUBSCRIBE_WEBHOOKS => {
            let i: SubscribeWebhooksInput = input(method, bytes)?;
            plugin.subscribe_webhooks(host, &i.shop, &i.address)?;
            output(&())
        }
        other => {
            Err(CallFailure::Unsupported(format!("`{other}` is not a method of plugin ABI 1")))
        }
    }
}
