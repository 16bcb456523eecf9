//! Starting and stopping the engine: the [`Inbox`] with its background tasks — the
//! ingest writer, the outbox worker, the timer passes, the router, the pollers and the
//! heartbeat — and a shutdown that writes what was accepted before stopping.

use super::ingest::lanes::{WriterOptions, spawn_writers};
use super::{delivery, live, polling, presence, router, timers, translation, webhooks};
use crate::clock::Clock;
use crate::events::EventBus;
use crate::inbox::{DeliveryLimits, Inbox, InboxOptions};
use crate::storage::store::Store;
use crate::wake::RouterSignal;
use rand::SeedableRng;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{Notify, watch};

impl Inbox {
    /// Starts the engine and its background workers.
    pub fn start(store: Store, clock: Arc<dyn Clock>, mut options: InboxOptions) -> Arc<Self> {
        options.registry.set_telemetry(options.telemetry.clone());
        let events = EventBus::new(options.event_capacity);
        let store_backend = store.backend();
        // The dummy hash verified for unknown logins, made now: the first of them takes
        // no longer than the others.
        tokio::task::spawn_blocking(crate::domain::sign_in::prepare_dummy_hash);
        let (shutdown, _) = watch::channel(false);
        let router_signal = Arc::new(RouterSignal::default());
        let routing_rng = match options.routing_seed {
            Some(seed) => rand::rngs::StdRng::seed_from_u64(seed),
            None => rand::rngs::StdRng::from_os_rng(),
        };
        let writer_options = WriterOptions {
            max_batch: options.max_ingest_batch,
            queue: options.ingest_queue,
            lanes: options.ingest_writers,
        };
        let (ingest, writers) =
            spawn_writers(&store, &clock, &events, &router_signal, writer_options);
        let inbox = Arc::new(Self {
            store,
            clock,
            events,
            registry: Arc::new(options.registry),
            ingest_cache: Mutex::new(HashMap::new()),
            service_pushes: Arc::new(Mutex::new(HashMap::new())),
            ingest,
            outbox_wake: Arc::new(Notify::new()),
            delivery: DeliveryLimits {
                per_platform: options.delivery.per_platform.max(1),
                total: options.delivery.total.max(1),
            },
            router: router_signal,
            routing_rng: Mutex::new(routing_rng),
            instance_id: uuid::Uuid::now_v7().to_string(),
            shutdown,
            workers: Mutex::new(writers),
            webhooks: options.webhooks.into(),
            analysis: options.analysis,
            translation: options.translation.into(),
            liveness: options.liveness,
            live: live::state_for(store_backend),
            telemetry: options.telemetry,
        });
        let weak = Arc::downgrade(&inbox);
        let stop = || inbox.shutdown.subscribe();
        let mut tasks = vec![
            tokio::spawn(timers::run_loop(weak.clone(), stop())),
            tokio::spawn(router::run_loop(weak.clone(), stop())),
            tokio::spawn(presence::run_loop(weak.clone(), stop())),
            tokio::spawn(polling::run_loop(weak.clone(), options.poll_every, stop())),
        ];
        if options.background_delivery {
            tasks.push(tokio::spawn(delivery::run_loop(weak.clone(), stop())));
            if inbox.webhooks.transport.is_some() {
                tasks.push(tokio::spawn(webhooks::run_loop(weak.clone(), stop())));
            }
            if inbox.translation.provider.is_some() {
                tasks.push(tokio::spawn(translation::run_loop(weak, stop())));
            }
        }
        tasks.extend(live::start::start(&inbox, stop));
        inbox.keep_workers(tasks);
        inbox
    }

    /// Stops the background workers after the inbound messages already accepted are
    /// written. Later ingests fail with `Unavailable`.
    pub async fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        let workers = self.take_workers();
        // A writer ends when its channel is closed: close them by asking them to stop.
        self.ingest.stop().await;
        for w in workers {
            let _ = w.await;
        }
        if let Err(error) = self.leave().await {
            tracing::warn!(message = "Could not drop this daemon's stream sessions.", %error);
        }
    }
}
