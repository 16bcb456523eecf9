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
//!
//! Signatures are computed with the adapters' own functions
//! (`shopmux_adapter_tiktok::sign`, `shopmux_adapter_douyin::sign`), whose fixed vectors
//! come from the platforms' documentation, so a request the simulator accepts is one the
//! platform would accept on the signature.
//!
//! Both simulators read time from an injected [`Clock`] (a [`ManualClock`] in tests), and
//! take runtime [`Faults`] (server errors, rate limits, held or dropped requests, and
//! "accepted but the answer was lost") drawn from a seeded RNG, so a test replays the same
//! faults for the same seed and request sequence. Outgoing deliveries take
//! [`WebhookFaults`] (bad signature, duplicate, batch out of order).

pub mod aliexpress;
pub mod clock;
pub mod delivery;
pub mod douyin;
pub mod faults;
pub mod host;
pub mod lazada;
mod server;
pub mod shopify;
mod signing;
pub mod tiktok;
mod tokens;

pub use aliexpress::AliExpressSim;
pub use clock::{Clock, ManualClock, system_clock};
pub use delivery::{BatchOrder, Delivery, WebhookFaults};
pub use douyin::DouyinSim;
pub use faults::{AfterHold, FaultKind, Faults, RequestRecord};
pub use host::BlockingHost;
pub use lazada::LazadaSim;
pub use shopify::ShopifySim;
pub use tiktok::TikTokSim;

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
