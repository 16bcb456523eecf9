//! The inbox engine's handle: one [`Inbox`] owning the store, the clock, the event bus,
//! the adapter registry and the background workers' channels. Its services are written
//! in `services/`, one file per area, as `impl Inbox` blocks; `services::start` starts it.

use crate::clock::Clock;
use crate::domain::ids::{AgentId, ShopId};
use crate::domain::shop_settings::IngestShop;
use crate::events::EventBus;
use crate::registry::Registry;
use crate::services::ingest::lanes::IngestLanes;
use crate::storage::store::Store;
use crate::wake::RouterSignal;
use chrono::{DateTime, Utc};
use shopmux_contract::RuleSet;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

/// Tunables of the inbox engine.
pub struct InboxOptions {
    /// Most inbound messages written in one transaction.
    pub max_ingest_batch: usize,
    /// Inbound messages waiting for the writers before senders wait.
    pub ingest_queue: usize,
    /// Ingest writers on PostgreSQL, writing groups at once (one on SQLite).
    pub ingest_writers: usize,
    /// Undelivered events kept per live stream.
    pub event_capacity: usize,
    /// The loaded adapters (and the storefront chat).
    pub registry: Registry,
    /// Seeds the router's random choices (ties, AE-ROUTE-1's random sub-account), so
    /// tests are deterministic; none: seeded from the OS.
    pub routing_seed: Option<u64>,
    /// How often connected shops are polled (the first pass, at start, is the catch-up).
    pub poll_every: Duration,
    /// Run the outbox worker in the background (off only in tests that run the passes
    /// themselves with [`Inbox::deliver_now`]).
    pub background_delivery: bool,
    /// How many deliveries run at once.
    pub delivery: DeliveryLimits,
    /// Outbound webhooks: settings and the daemon's transport.
    pub webhooks: crate::services::webhooks::WebhookOptions,
    /// Language detection and topic classification of buyer messages (issue 18).
    pub analysis: crate::services::analysis_options::AnalysisOptions,
    /// Translation: settings and the provider.
    pub translation: crate::services::translation::TranslationOptions,
    /// How soon a daemon that stopped beating no longer counts: its agents' streams and
    /// storefront customers' sockets are dropped (the daemon's stream ping interval).
    pub liveness: Duration,
    /// Where the engine's observations go (the daemon's metrics); none by default.
    pub telemetry: Arc<dyn crate::telemetry::Telemetry>,
}

/// How many deliveries run at once: in all, and to one platform (so a platform that
/// hangs holds at most `per_platform` of the outbox's slots and never delays the others).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliveryLimits {
    /// Most deliveries in flight to one platform (at least 1).
    pub per_platform: usize,
    /// Most deliveries in flight in all (at least 1).
    pub total: usize,
}

impl Default for DeliveryLimits {
    /// 4 per platform, 32 in all.
    fn default() -> Self {
        Self { per_platform: 4, total: 32 }
    }
}

impl Default for InboxOptions {
    fn default() -> Self {
        Self {
            max_ingest_batch: 256,
            ingest_writers: 2,
            ingest_queue: 8192,
            event_capacity: 4096,
            registry: Registry::default(),
            routing_seed: None,
            poll_every: Duration::from_secs(60),
            background_delivery: true,
            delivery: DeliveryLimits::default(),
            webhooks: Default::default(),
            analysis: Default::default(),
            translation: Default::default(),
            liveness: Duration::from_secs(30),
            telemetry: Arc::new(crate::telemetry::NoTelemetry),
        }
    }
}

/// When service figures were last pushed, per shop and agent.
/// (when last pushed, whether a trailing push is pending).
pub(crate) type ServicePushes = HashMap<(ShopId, Option<AgentId>), (DateTime<Utc>, bool)>;

/// The inbox service. Share it as `Arc<Inbox>`.
pub struct Inbox {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) events: EventBus,
    pub(crate) registry: Arc<Registry>,
    pub(crate) ingest_cache: Mutex<HashMap<ShopId, (Instant, IngestShop)>>,
    /// When service figures were last pushed per shop and agent (at most once a second).
    pub(crate) service_pushes: Arc<Mutex<ServicePushes>>,
    pub(crate) ingest: IngestLanes,
    pub(crate) outbox_wake: Arc<Notify>,
    pub(crate) delivery: DeliveryLimits,
    pub(crate) router: Arc<RouterSignal>,
    pub(crate) routing_rng: Mutex<rand::rngs::StdRng>,
    /// This daemon's id in `daemon_instances` (its live streams are its sessions).
    pub(crate) instance_id: String,
    pub(crate) shutdown: watch::Sender<bool>,
    pub(crate) workers: Mutex<Vec<JoinHandle<()>>>,
    /// Outbound webhooks.
    pub(crate) webhooks: crate::services::webhooks::Webhooks,
    pub(crate) analysis: crate::services::analysis_options::AnalysisOptions,
    /// Translation.
    pub(crate) translation: crate::services::translation::Translation,
    /// How soon a silent daemon no longer counts.
    pub(crate) liveness: Duration,
    /// Live events across daemons (PostgreSQL only).
    pub(crate) live: Option<crate::services::live::Live>,
    /// Where the engine's observations go (the daemon's metrics).
    pub(crate) telemetry: Arc<dyn crate::telemetry::Telemetry>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox").field("backend", &self.store.backend()).finish_non_exhaustive()
    }
}

impl Inbox {
    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The event bus.
    pub fn events(&self) -> &EventBus {
        &self.events
    }

    /// Whether the database answers, every embedded migration is applied and, on
    /// PostgreSQL, the live-event listener has started (see [`Inbox::live_listening`]).
    pub async fn ready(&self) -> crate::error::CoreResult<bool> {
        let listening = self.live_listening().is_none_or(|l| *l.borrow());
        Ok(listening && self.store.ready().await?)
    }

    /// The adapter registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The rule set of a platform (a permissive one for a platform without an adapter).
    pub fn rule_set(&self, platform: &shopmux_contract::Platform) -> Arc<RuleSet> {
        self.registry
            .rule_set(platform.as_str())
            .unwrap_or_else(|| Arc::new(RuleSet::permissive(platform.clone())))
    }

    /// Marks a seller's queues for draining by the router task.
    pub(crate) fn route_soon(&self, seller: crate::domain::ids::SellerId) {
        self.router.mark(seller);
    }

    /// Keeps handles of background tasks to wait for at shutdown.
    pub(crate) fn keep_workers(&self, handles: impl IntoIterator<Item = JoinHandle<()>>) {
        self.workers.lock().unwrap_or_else(|e| e.into_inner()).extend(handles);
    }

    /// Takes the background tasks' handles (at shutdown).
    pub(crate) fn take_workers(&self) -> Vec<JoinHandle<()>> {
        std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
