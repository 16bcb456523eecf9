//! The inbox engine: one service owning the store, the clock, the event bus and the
//! ingest writer. Its methods are split by area: accounts, shops, ingest, listing,
//! conversation actions, notes and the outbox.

pub mod accounts;
pub mod actions;
pub mod connections;
pub mod ingest;
pub mod list;
pub mod notes;
pub mod outbox;
pub mod outreach;
pub mod polling;
pub mod presence;
pub mod profiles;
pub mod routing;
pub mod shops;
pub mod storefront;
pub mod timers;

use crate::clock::Clock;
use crate::events::EventBus;
use crate::ids::ShopId;
use crate::store::Store;
use rand::SeedableRng;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

/// Tunables of the inbox engine.
#[derive(Clone)]
pub struct InboxOptions {
    /// Most inbound messages written in one transaction.
    pub max_ingest_batch: usize,
    /// Inbound messages waiting for the writer before senders wait.
    pub ingest_queue: usize,
    /// Undelivered events kept per live stream.
    pub event_capacity: usize,
    /// The rule sets of the platforms whose adapters are loaded (the `api` channel's
    /// permissive set is always there).
    pub rule_sets: Vec<shopmux_contract::RuleSet>,
    /// Seeds the router's random choices (ties, AE-ROUTE-1's random sub-account), so
    /// tests are deterministic; none: seeded from the OS.
    pub routing_seed: Option<u64>,
    /// The outbound channels of the loaded adapters (the `api` channel is built in).
    pub channels: Vec<Arc<dyn crate::channel::OutboundChannel>>,
    /// The pollers of the loaded adapters that can list messages.
    pub pollers: Vec<Arc<dyn crate::channel::InboundPoller>>,
    /// How often connected shops are polled (the first pass, at start, is the catch-up).
    pub poll_every: std::time::Duration,
    /// Run the outbox worker in the background (off only in tests that run the passes
    /// themselves with [`Inbox::deliver_now`]).
    pub background_delivery: bool,
}

impl Default for InboxOptions {
    fn default() -> Self {
        Self {
            max_ingest_batch: 256,
            ingest_queue: 8192,
            event_capacity: 4096,
            rule_sets: Vec::new(),
            routing_seed: None,
            channels: Vec::new(),
            pollers: Vec::new(),
            poll_every: std::time::Duration::from_secs(60),
            background_delivery: true,
        }
    }
}

/// The inbox service. Share it as `Arc<Inbox>`.
pub struct Inbox {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) events: EventBus,
    pub(crate) platforms: BTreeSet<String>,
    pub(crate) rule_sets: HashMap<String, Arc<shopmux_contract::RuleSet>>,
    pub(crate) ingest_cache: Mutex<HashMap<ShopId, (Instant, shops::IngestShop)>>,
    ingest_tx: mpsc::Sender<ingest::IngestJob>,
    pub(crate) outbox_wake: Arc<Notify>,
    pub(crate) channels: outbox::Channels,
    pub(crate) pollers: HashMap<String, Arc<dyn crate::channel::InboundPoller>>,
    pub(crate) router: Arc<routing::RouterSignal>,
    pub(crate) routing_rng: Mutex<rand::rngs::StdRng>,
    /// This daemon's id in `daemon_instances` (its live streams are its sessions).
    pub(crate) instance_id: String,
    shutdown: watch::Sender<bool>,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl std::fmt::Debug for Inbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inbox")
            .field("backend", &self.store.backend())
            .finish_non_exhaustive()
    }
}

impl Inbox {
    /// Starts the engine and its background workers (ingest writer, outbox delivery).
    pub fn start(store: Store, clock: Arc<dyn Clock>, options: InboxOptions) -> Arc<Self> {
        let mut rule_sets: HashMap<String, Arc<shopmux_contract::RuleSet>> = HashMap::new();
        rule_sets.insert(
            crate::model::Platform::API.to_owned(),
            Arc::new(shopmux_contract::RuleSet::permissive(
                crate::model::Platform::API,
            )),
        );
        for set in options.rule_sets {
            rule_sets.insert(set.platform.clone(), Arc::new(set));
        }
        let platforms: BTreeSet<String> = rule_sets.keys().cloned().collect();
        let events = EventBus::new(options.event_capacity);
        let (ingest_tx, ingest_rx) = mpsc::channel(options.ingest_queue);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let outbox_wake = Arc::new(Notify::new());
        let router = Arc::new(routing::RouterSignal::default());
        let poll_every = options.poll_every;
        let routing_rng = match options.routing_seed {
            Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
            None => rand::rngs::StdRng::from_os_rng(),
        };
        let writer = ingest::spawn_writer(
            store.clone(),
            clock.clone(),
            events.clone(),
            router.clone(),
            ingest_rx,
            options.max_ingest_batch,
        );
        let channels: outbox::Channels = Arc::new(
            options
                .channels
                .iter()
                .map(|c| (c.platform().to_owned(), c.clone()))
                .collect(),
        );
        let deliverer = tokio::spawn(outbox::run_worker(
            options.background_delivery,
            store.clone(),
            clock.clone(),
            events.clone(),
            channels.clone(),
            outbox_wake.clone(),
            shutdown_rx,
        ));
        let timers_shutdown = shutdown.subscribe();
        let inbox = Arc::new(Self {
            store,
            clock,
            events,
            platforms,
            rule_sets,
            ingest_cache: Mutex::new(HashMap::new()),
            ingest_tx,
            outbox_wake,
            channels,
            pollers: options
                .pollers
                .iter()
                .map(|p| (p.platform().to_owned(), p.clone()))
                .collect(),
            router,
            routing_rng: Mutex::new(routing_rng),
            instance_id: uuid::Uuid::now_v7().to_string(),
            shutdown,
            workers: Mutex::new(vec![writer, deliverer]),
        });
        let timer_loop = tokio::spawn(timers::run_loop(Arc::downgrade(&inbox), timers_shutdown));
        let router_loop = tokio::spawn(routing::run_loop(
            Arc::downgrade(&inbox),
            inbox.shutdown.subscribe(),
        ));
        let poll_loop = tokio::spawn(polling::run_loop(
            Arc::downgrade(&inbox),
            poll_every,
            inbox.shutdown.subscribe(),
        ));
        let heartbeat_loop = tokio::spawn(presence::run_loop(
            Arc::downgrade(&inbox),
            inbox.shutdown.subscribe(),
        ));
        inbox
            .workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend([timer_loop, router_loop, heartbeat_loop, poll_loop]);
        inbox
    }

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

    /// The rule set of a platform (a permissive one for a platform without rules).
    pub fn rule_set(&self, platform: &str) -> Arc<shopmux_contract::RuleSet> {
        self.rule_sets
            .get(platform)
            .cloned()
            .unwrap_or_else(|| Arc::new(shopmux_contract::RuleSet::permissive(platform)))
    }

    /// Stops the background workers after the inbound messages already accepted are
    /// written. Later ingests fail with `Unavailable`.
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        let workers: Vec<_> =
            std::mem::take(&mut *self.workers.lock().unwrap_or_else(|e| e.into_inner()));
        // The writer ends when its channel is closed: close it by asking it to stop.
        let _ = self.ingest_tx.send(ingest::IngestJob::Stop).await;
        for w in workers {
            let _ = w.await;
        }
        if let Err(error) = self.leave().await {
            tracing::warn!(message = "Could not drop this daemon's stream sessions.", %error);
        }
    }
}
