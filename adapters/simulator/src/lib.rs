//! Local stand-ins for the marketplaces' open APIs, for tests and demos.
//!
//! Each simulator is a real HTTP server on `127.0.0.1:0` that speaks the platform's wire
//! protocol as `shared/specs/platform-apis.md` describes it:
//!
//! - [`TikTokSim`] — the TikTok Shop Partner API customer-service endpoints (§1.3), Get
//!   Authorized Shops, and the auth host's token refresh. Every request's `sign` (§1.2),
//!   `timestamp`, `app_key`, access token and `shop_cipher` are checked; NEW_MESSAGE and
//!   NEW_CONVERSATION webhooks (§1.5) are signed and POSTed to a configured URL.
//! - [`DouyinSim`] — the Douyin shop (抖店) open platform gateway (§4.1–4.2): the request
//!   envelope and its `sign` are checked, `token.create`, `token.refresh` and
//!   `order.orderDetail` are served, and message pushes (§4.3) are signed with `event-sign`
//!   and POSTed to a configured URL. **Douyin has no buyer-chat (Feige / 飞鸽) API** (§4.4), so
//!   this simulator has no conversations or messages: only what the platform really offers.
//! - [`AliExpressSim`] — the IOP gateway (§3): the message centre, order look-ups and token
//!   refresh, every call's IOP `sign` checked.
//! - [`LazadaSim`] — Lazada's IM API and token refresh on the IOP gateway, every call's
//!   `sign` checked, and IM pushes signed in `Authorization`.
//! - [`ShopifySim`] — the Admin GraphQL look-ups shopmux makes, and webhooks signed in
//!   `X-Shopify-Hmac-Sha256` (§2.1).
//!
//! **The signatures are the simulator's own.** Every signature a simulator checks or
//! produces is computed by this crate's code (`signing` for the shared primitives, and each
//! platform's `sign` module: [`tiktok::sign`], [`douyin::sign`], [`aliexpress::sign`],
//! [`lazada::sign`], [`shopify::sign`]), written from the platforms' documents and official
//! SDKs and tested on fixed vectors whose sources are cited beside them — never by calling
//! an adapter's signing function. A simulator that borrowed the adapter's code would accept
//! whatever the adapter got wrong; with an implementation of its own, a signing bug in an
//! adapter makes the simulator refuse the request (or the adapter refuse the webhook) and a
//! test fail. The adapters are only dev-dependencies, for the integration tests that drive
//! them against the simulators. Wire facts (header names, method names, push tags) are
//! stated here too.
//!
//! The simulators but Shopify's read time from an injected [`Clock`] (a [`ManualClock`] in
//! tests), and take runtime [`Faults`] (server errors, rate limits, held or dropped
//! requests, and "accepted but the answer was lost") drawn from a seeded RNG, so a test
//! replays the same faults for the same seed and request sequence. Outgoing deliveries take
//! [`WebhookFaults`] (bad signature, duplicate, batch out of order).

pub mod aliexpress;
pub mod clock;
mod consent;
pub mod delivery;
pub mod douyin;
pub mod faults;
pub mod handle;
pub mod host;
mod iop;
pub mod lazada;
mod per_shop;
mod poster;
mod server;
pub mod shopify;
mod signing;
pub mod tiktok;
mod tokens;

/// A runtime to serve simulators from while blocking code (an adapter under test, whose
/// calls are synchronous) calls them from the test's thread.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a one-worker runtime")
}

pub use aliexpress::AliExpressSim;
pub use clock::{Clock, ManualClock, system_clock};
pub use delivery::{BatchOrder, Delivery, WebhookFaults};
pub use douyin::DouyinSim;
pub use faults::{AfterHold, FaultKind, Faults, RequestRecord};
pub use host::BlockingHost;
pub use lazada::LazadaSim;
pub use shopify::ShopifySim;
pub use tiktok::TikTokSim;

use std::collections::HashSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// Why a simulator could not start or a handle call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// The listening socket could not be opened.
    #[error("cannot bind 127.0.0.1:0: {0}")]
    Bind(#[source] std::io::Error),
    /// The outgoing HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// A simulator config is inconsistent (duplicate shop ids, ciphers, ...).
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// A [`Faults`] value is out of range.
    #[error("invalid faults: {0}")]
    InvalidFaults(String),
    /// A push was asked for but no receiver URL is configured.
    #[error("no webhook URL is configured")]
    NoWebhookUrl,
    /// No shop with this id is configured.
    #[error("unknown shop `{0}`")]
    UnknownShop(String),
    /// No conversation with this id exists in the shop.
    #[error("unknown conversation `{0}`")]
    UnknownConversation(String),
    /// No order with this id exists in the shop.
    #[error("unknown order `{0}`")]
    UnknownOrder(String),
    /// A delivery could not reach the receiver (connection refused, timeout, ...).
    #[error("webhook delivery failed: {0}")]
    Delivery(String),
    /// A payload could not be serialized.
    #[error("cannot serialize: {0}")]
    Json(#[from] serde_json::Error),
}

/// Most items one page of a TikTok, AliExpress or Lazada list call may ask for (the
/// simulators' bound; the platforms' own were not all found).
pub(crate) const MAX_PAGE_SIZE: usize = 100;

/// Locks a mutex, ignoring poisoning: simulator state stays usable after a panicking test
/// thread.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An id as JSON: a number when it is all digits and fits `u64` (platforms send numeric
/// ids as numbers), otherwise a string.
pub(crate) fn id_value(id: &str) -> serde_json::Value {
    match id.parse::<u64>() {
        Ok(number) if !id.starts_with('0') || id == "0" => serde_json::Value::from(number),
        _ => serde_json::Value::from(id),
    }
}

/// Refuses a config in which two of `values` (the `what`s: shop ids, tokens, ...) are the
/// same.
pub(crate) fn check_unique<'a>(
    what: &str, values: impl IntoIterator<Item = &'a str>,
) -> Result<(), SimError> {
    let mut seen = HashSet::new();
    for value in values {
        if !seen.insert(value) {
            return Err(SimError::InvalidConfig(format!("duplicate {what} `{value}`")));
        }
    }
    Ok(())
}
