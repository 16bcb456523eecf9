//! Outbound webhooks for integrations: a seller's endpoints receive signed JSON POSTs
//! for the events they subscribe to. Events are queued in the transaction of the
//! change that raises them (`storage::webhook_queue`, called from the central write
//! points: message inserts and conversation saves), so nothing committed is lost; the
//! worker (`worker.rs`) delivers them in order per conversation and endpoint, retrying
//! with backoff for `webhooks.retry_for_secs` and pausing an endpoint that failed for
//! `webhooks.pause_after_secs`. The owner manages endpoints (`manage.rs`); the daemon
//! supplies the HTTP transport (`transport.rs`).

pub mod manage;
pub mod transport;
pub mod worker;

pub(crate) use worker::run_loop;

use crate::domain::webhook_retry::WebhookSettings;
use std::sync::Arc;
use tokio::sync::Notify;
use transport::WebhookTransport;

/// How the engine delivers webhooks (part of `InboxOptions`).
#[derive(Clone, Default)]
pub struct WebhookOptions {
    /// Backoff, budgets, time limit, concurrency.
    pub settings: WebhookSettings,
    /// How requests and owner mail leave; none: no worker runs (events still queue).
    pub transport: Option<Arc<dyn WebhookTransport>>,
    /// Whether endpoint URLs may be plain `http://` (`outbound.allow_private_networks`).
    pub allow_http: bool,
}

/// The engine's webhook state.
pub(crate) struct Webhooks {
    pub(crate) settings: WebhookSettings,
    pub(crate) transport: Option<Arc<dyn WebhookTransport>>,
    pub(crate) allow_http: bool,
    /// Wakes the worker (a new delivery, a resume, an outcome).
    pub(crate) wake: Arc<Notify>,
}

impl From<WebhookOptions> for Webhooks {
    fn from(o: WebhookOptions) -> Self {
        Self {
            settings: o.settings,
            transport: o.transport,
            allow_http: o.allow_http,
            wake: Arc::default(),
        }
    }
}
