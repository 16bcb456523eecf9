//! The daemon's metrics: one `prometheus-client` registry holding every `shopmux_*`
//! metric, fed three ways — the engine's observations through the core's
//! [`shopmux_core::telemetry::Telemetry`] hooks (ingest, deliveries, adapter calls),
//! the HTTP layer's own counts (webhook deliveries, open sockets), and gauges read from
//! the engine when `/metrics` is scraped ([`shopmux_core::Inbox::operations_gauges`]).
//! Recording is an atomic add or one histogram observation per request; labels are
//! bounded (a platform label is a loaded platform or `unknown`, never a path segment
//! as typed).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use shopmux_contract::Platform;
use shopmux_core::services::operations::OperationsGauges;
use shopmux_core::telemetry::{DeliveryResult, IngestTally, Telemetry};
use std::collections::BTreeSet;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The `platform` label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PlatformLabel {
    /// A loaded platform's id, or `unknown`.
    pub platform: String,
}

/// `platform` and `result`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabels {
    /// A loaded platform's id, or `unknown`.
    pub platform: String,
    /// What became of it.
    pub result: String,
}

/// `platform` and `reason`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    /// A loaded platform's id, or `unknown`.
    pub platform: String,
    /// Why it was refused.
    pub reason: String,
}

/// `platform`, `call` and `reason`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    /// The adapter's platform.
    pub platform: String,
    /// The adapter call (`send`, `poll`, `parse_webhook`, …).
    pub call: String,
    /// Why it failed.
    pub reason: String,
}

/// `state` of a pool connection.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// `idle` or `in_use`.
    pub state: String,
}

/// `version` of the build.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct VersionLabel {
    /// The daemon's version.
    pub version: String,
}

/// The sockets whose number is a gauge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    /// An agent's live stream (`/api/v1/stream`).
    Stream,
    /// A storefront customer's chat socket.
    Storefront,
}

/// Seconds buckets of the ingest acknowledgement (1 ms to 10 s).
const ACK_BUCKETS: [f64; 13] =
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Seconds buckets of one send to a platform (its limit is 20 s).
const SEND_BUCKETS: [f64; 11] = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0];
/// Seconds buckets of a reply's way from acceptance to delivered (retries take minutes).
const DELIVERY_BUCKETS: [f64; 14] =
    [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0];

fn ack_histogram() -> Histogram {
    Histogram::new(ACK_BUCKETS)
}

fn send_histogram() -> Histogram {
    Histogram::new(SEND_BUCKETS)
}

fn delivery_histogram() -> Histogram {
    Histogram::new(DELIVERY_BUCKETS)
}

/// Why a signed delivery is refused (`shopmux_webhooks_refused_total{reason}`).
pub const WEBHOOK_REFUSALS: [&str; 3] = ["bad_signature", "malformed", "unavailable"];

type Histograms = Family<PlatformLabel, Histogram, fn() -> Histogram>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// A loaded platform's series of the per-request path, resolved once at start: recording
/// touches no family map and allocates nothing.
#[derive(Clone, Debug)]
struct PlatformSeries {
    ack: Histogram,
    stored: Counter,
    duplicate: Counter,
    refused: Counter,
    ingest_failures: Counter,
    webhook_accepted: Counter,
}

/// Every metric of the daemon.
pub struct DaemonMetrics {
    registry: Registry,
    /// The platforms that are labels as they are (the loaded ones).
    platforms: BTreeSet<String>,
    /// Their per-request series, resolved (filled once the families exist).
    series: std::collections::HashMap<String, PlatformSeries>,
    webhooks_accepted: Family<PlatformLabel, Counter>,
    webhooks_refused: Family<ReasonLabels, Counter>,
    ingest_messages: Family<ResultLabels, Counter>,
    ingest_failures: Family<PlatformLabel, Counter>,
    ingest_ack: Histograms,
    deliveries: Family<ResultLabels, Counter>,
    delivery_latency: Histograms,
    delivery_send: Histograms,
    adapter_failures: Family<CallLabels, Counter>,
    open_streams: Gauge,
    open_storefront_sockets: Gauge,
    draining: Gauge,
    outbox_pending: Family<PlatformLabel, Gauge>,
    outbox_oldest_age: Family<PlatformLabel, FloatGauge>,
    queued: Family<PlatformLabel, Gauge>,
    ingest_queue: Gauge,
    ingest_queue_capacity: Gauge,
    webhook_deliveries_pending: Gauge,
    db_connections: Family<StateLabel, Gauge>,
    db_max_connections: Gauge,
    /// One scrape at a time sets the scrape-time gauges and encodes.
    scrape: Mutex<()>,
}

impl std::fmt::Debug for DaemonMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonMetrics").field("platforms", &self.platforms).finish_non_exhaustive()
    }
}

impl Default for DaemonMetrics {
    fn default() -> Self {
        Self::new(std::iter::empty::<&str>())
    }
}

impl DaemonMetrics {
    /// Every metric registered, at zero; `platforms` are the loaded platforms (any other
    /// platform is labelled `unknown`).
    pub fn new<P: AsRef<str>>(platforms: impl IntoIterator<Item = P>) -> Self {
        let mut registry = Registry::default();
        let m = Self {
            registry: Registry::default(),
            platforms: platforms.into_iter().map(|p| p.as_ref().to_owned()).collect(),
            series: Default::default(),
            webhooks_accepted: Family::default(),
            webhooks_refused: Family::default(),
            ingest_messages: Family::default(),
            ingest_failures: Family::default(),
            ingest_ack: Family::new_with_constructor(ack_histogram),
            deliveries: Family::default(),
            delivery_latency: Family::new_with_constructor(delivery_histogram),
            delivery_send: Family::new_with_constructor(send_histogram),
            adapter_failures: Family::default(),
            open_streams: Gauge::default(),
            open_storefront_sockets: Gauge::default(),
            draining: Gauge::default(),
            outbox_pending: Family::default(),
            outbox_oldest_age: Family::default(),
            queued: Family::default(),
            ingest_queue: Gauge::default(),
            ingest_queue_capacity: Gauge::default(),
            webhook_deliveries_pending: Gauge::default(),
            db_connections: Family::default(),
            db_max_connections: Gauge::default(),
            scrape: Mutex::new(()),
        };
        m.register_ingest(&mut registry);
        m.register_delivery(&mut registry);
        m.register_operations(&mut registry);
        m.zero_series();
        let series = m.platforms.iter().map(|p| (p.clone(), m.resolve(p))).collect();
        Self { registry, series, ..m }
    }

    /// The build, webhook and ingest metrics.
    fn register_ingest(&self, registry: &mut Registry) {
        let build = Family::<VersionLabel, Gauge>::default();
        build.get_or_create(&VersionLabel { version: env!("CARGO_PKG_VERSION").into() }).set(1);
        registry.register("shopmux_build_info", "The daemon's version (always 1)", build);
        registry.register(
            "shopmux_webhooks_accepted",
            "Signed deliveries to the webhook and signed inbound routes accepted, by platform",
            self.webhooks_accepted.clone(),
        );
        registry.register(
            "shopmux_webhooks_refused",
            "Signed deliveries refused, by platform and reason: bad_signature (also an \
             unknown or unconnected shop), malformed, unavailable (an adapter failure or \
             unreadable credentials: the platform retries)",
            self.webhooks_refused.clone(),
        );
        registry.register(
            "shopmux_ingest_messages",
            "Inbound messages by platform and result: stored, duplicate (stored before), refused",
            self.ingest_messages.clone(),
        );
        registry.register(
            "shopmux_ingest_failures",
            "Calls of the one way in that failed (database, writer, look-up): the platform redelivers",
            self.ingest_failures.clone(),
        );
        registry.register_with_unit(
            "shopmux_ingest_ack",
            "From handing a delivery's events to the inbox until they are committed: what a \
             webhook or a poll waits for its acknowledgement",
            Unit::Seconds,
            self.ingest_ack.clone(),
        );
    }

    /// The reply delivery and adapter call metrics.
    fn register_delivery(&self, registry: &mut Registry) {
        registry.register(
            "shopmux_deliveries",
            "Reply delivery attempts by platform and result: delivered, retrying (a transient \
             failure), failed (given up)",
            self.deliveries.clone(),
        );
        registry.register_with_unit(
            "shopmux_delivery_latency",
            "From a reply's acceptance until it was delivered or given up",
            Unit::Seconds,
            self.delivery_latency.clone(),
        );
        registry.register_with_unit(
            "shopmux_delivery_send",
            "One delivery attempt's call to the platform",
            Unit::Seconds,
            self.delivery_send.clone(),
        );
        registry.register(
            "shopmux_adapter_call_failures",
            "Failed adapter and plugin calls by platform, call and reason (timeout, \
             adapter_panic, plugin_*, no_adapter; transient or permanent for the platform's \
             own errors)",
            self.adapter_failures.clone(),
        );
    }

    /// The gauges an operator watches: sockets, draining, queues, the pool.
    fn register_operations(&self, registry: &mut Registry) {
        registry.register(
            "shopmux_open_streams",
            "Agents' live streams open",
            self.open_streams.clone(),
        );
        registry.register(
            "shopmux_open_storefront_sockets",
            "Storefront customers' chat sockets open",
            self.open_storefront_sockets.clone(),
        );
        registry.register(
            "shopmux_draining",
            "1 once a SIGTERM began the shutdown (/readyz answers 503), else 0",
            self.draining.clone(),
        );
        registry.register(
            "shopmux_outbox_pending",
            "Replies waiting for delivery (due, backing off or being sent), per platform",
            self.outbox_pending.clone(),
        );
        registry.register_with_unit(
            "shopmux_outbox_oldest_age",
            "Age of the oldest reply waiting for delivery, per platform (0 when none waits)",
            Unit::Seconds,
            self.outbox_oldest_age.clone(),
        );
        registry.register(
            "shopmux_queued_conversations",
            "Conversations waiting unassigned in the shops' queues, per platform",
            self.queued.clone(),
        );
        registry.register(
            "shopmux_ingest_queue_length",
            "Inbound messages accepted and waiting for this daemon's ingest writer",
            self.ingest_queue.clone(),
        );
        registry.register(
            "shopmux_ingest_queue_capacity",
            "The ingest queue's capacity: senders wait when it is full",
            self.ingest_queue_capacity.clone(),
        );
        registry.register(
            "shopmux_webhook_deliveries_pending",
            "Outbound webhook deliveries to the sellers' endpoints waiting to be sent",
            self.webhook_deliveries_pending.clone(),
        );
        registry.register(
            "shopmux_db_connections",
            "This daemon's database pool connections by state (idle, in_use)",
            self.db_connections.clone(),
        );
        registry.register(
            "shopmux_db_max_connections",
            "The pool's limit (database.max_connections)",
            self.db_max_connections.clone(),
        );
    }

    /// A platform's per-request series, taken from the families (shared with them).
    fn resolve(&self, platform: &str) -> PlatformSeries {
        let result = |family: &Family<ResultLabels, Counter>, result: &str| {
            let labels = ResultLabels { platform: platform.to_owned(), result: result.into() };
            family.get_or_create_owned(&labels)
        };
        let label = PlatformLabel { platform: platform.to_owned() };
        PlatformSeries {
            ack: self.ingest_ack.get_or_create_owned(&label),
            stored: result(&self.ingest_messages, "stored"),
            duplicate: result(&self.ingest_messages, "duplicate"),
            refused: result(&self.ingest_messages, "refused"),
            ingest_failures: self.ingest_failures.get_or_create_owned(&label),
            webhook_accepted: self.webhooks_accepted.get_or_create_owned(&label),
        }
    }

    /// Every loaded platform's main series, at zero: a dashboard's `rate()` finds them
    /// before the first event.
    fn zero_series(&self) {
        let results = |family: &Family<ResultLabels, Counter>, platform: &str, results: &[&str]| {
            for result in results {
                let labels =
                    ResultLabels { platform: platform.to_owned(), result: (*result).into() };
                drop(family.get_or_create(&labels));
            }
        };
        for platform in &self.platforms {
            for reason in WEBHOOK_REFUSALS {
                let labels = ReasonLabels { platform: platform.clone(), reason: reason.into() };
                drop(self.webhooks_refused.get_or_create(&labels));
            }
            results(&self.ingest_messages, platform, &["stored", "duplicate", "refused"]);
            results(&self.deliveries, platform, &["delivered", "retrying", "failed"]);
            let label = PlatformLabel { platform: platform.clone() };
            drop(self.ingest_failures.get_or_create(&label));
            drop(self.ingest_ack.get_or_create(&label));
            drop(self.delivery_latency.get_or_create(&label));
            drop(self.delivery_send.get_or_create(&label));
        }
    }

    /// A platform as a label: itself when it is loaded, else `unknown` (a path segment
    /// a prober typed must not make a series).
    pub fn platform_label(&self, platform: &str) -> String {
        if self.platforms.contains(platform) { platform.to_owned() } else { "unknown".to_owned() }
    }

    /// Counts a delivery to the webhook or signed inbound route: `accepted`, or refused
    /// for one of [`WEBHOOK_REFUSALS`].
    pub fn webhook(&self, platform: &str, result: &str) {
        if result != "accepted" {
            let labels =
                ReasonLabels { platform: self.platform_label(platform), reason: result.into() };
            self.webhooks_refused.get_or_create(&labels).inc();
        } else if let Some(series) = self.series.get(platform) {
            series.webhook_accepted.inc();
        } else {
            let label = PlatformLabel { platform: self.platform_label(platform) };
            self.webhooks_accepted.get_or_create(&label).inc();
        }
    }

    /// Counts a socket open until the guard is dropped.
    pub fn socket_opened(self: &Arc<Self>, kind: SocketKind) -> OpenSocket {
        self.socket_gauge(kind).inc();
        OpenSocket { metrics: self.clone(), kind }
    }

    fn socket_gauge(&self, kind: SocketKind) -> &Gauge {
        match kind {
            SocketKind::Stream => &self.open_streams,
            SocketKind::Storefront => &self.open_storefront_sockets,
        }
    }

    /// Marks the daemon draining (a SIGTERM began its shutdown).
    pub fn set_draining(&self) {
        self.draining.set(1);
    }

    /// The exposition in the OpenMetrics text format, with the scrape-time gauges set
    /// from `gauges`.
    pub fn render(&self, gauges: &OperationsGauges) -> String {
        let _one = self.scrape.lock().unwrap_or_else(|e| e.into_inner());
        self.set_gauges(gauges);
        let mut out = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(message = "Metrics not encoded.", %error);
        }
        out
    }

    fn set_gauges(&self, g: &OperationsGauges) {
        // Every loaded platform has a value (0 when nothing waits), so a drained outbox
        // reads 0 rather than vanishing.
        self.outbox_pending.clear();
        self.outbox_oldest_age.clear();
        self.queued.clear();
        for platform in &self.platforms {
            let label = PlatformLabel { platform: platform.clone() };
            self.outbox_pending.get_or_create(&label).set(0);
            self.outbox_oldest_age.get_or_create(&label).set(0.0);
            self.queued.get_or_create(&label).set(0);
        }
        for depth in &g.outbox {
            let label = PlatformLabel { platform: depth.platform.to_string() };
            self.outbox_pending.get_or_create(&label).set(depth.pending);
            let age = depth
                .oldest
                .map_or(0.0, |oldest| (g.now - oldest).num_milliseconds().max(0) as f64 / 1000.0);
            self.outbox_oldest_age.get_or_create(&label).set(age);
        }
        for (platform, n) in &g.queued {
            self.queued.get_or_create(&PlatformLabel { platform: platform.to_string() }).set(*n);
        }
        self.ingest_queue.set(g.ingest_queue as i64);
        self.ingest_queue_capacity.set(g.ingest_queue_capacity as i64);
        self.webhook_deliveries_pending.set(g.webhook_deliveries_pending);
        let in_use = g.pool.open.saturating_sub(g.pool.idle);
        self.db_connections
            .get_or_create(&StateLabel { state: "idle".into() })
            .set(g.pool.idle.into());
        self.db_connections
            .get_or_create(&StateLabel { state: "in_use".into() })
            .set(in_use.into());
        self.db_max_connections.set(g.pool.max.into());
    }
}

/// A socket counted open; dropping it counts it closed.
#[derive(Debug)]
pub struct OpenSocket {
    metrics: Arc<DaemonMetrics>,
    kind: SocketKind,
}

impl Drop for OpenSocket {
    fn drop(&mut self) {
        self.metrics.socket_gauge(self.kind).dec();
    }
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

impl Telemetry for DaemonMetrics {
    fn ingest_applied(&self, platform: &Platform, tally: Option<IngestTally>, waited: Duration) {
        if let Some(series) = self.series.get(platform.as_str()) {
            series.ack.observe(seconds(waited));
            match tally {
                None => {
                    series.ingest_failures.inc();
                }
                Some(tally) => {
                    series.stored.inc_by(tally.stored as u64);
                    series.duplicate.inc_by(tally.duplicates as u64);
                    series.refused.inc_by(tally.refused as u64);
                }
            }
            return;
        }
        let platform = self.platform_label(platform.as_str());
        let label = PlatformLabel { platform: platform.clone() };
        self.ingest_ack.get_or_create(&label).observe(seconds(waited));
        let Some(tally) = tally else {
            self.ingest_failures.get_or_create(&label).inc();
            return;
        };
        for (result, n) in
            [("stored", tally.stored), ("duplicate", tally.duplicates), ("refused", tally.refused)]
        {
            if n > 0 {
                let labels = ResultLabels { platform: platform.clone(), result: result.into() };
                self.ingest_messages.get_or_create(&labels).inc_by(n as u64);
            }
        }
    }

    fn delivery_attempted(
        &self, platform: &Platform, result: DeliveryResult, sending: Duration,
        queued_for: Option<Duration>,
    ) {
        let platform = self.platform_label(platform.as_str());
        let label = PlatformLabel { platform: platform.clone() };
        self.delivery_send.get_or_create(&label).observe(seconds(sending));
        if let Some(queued_for) = queued_for {
            self.delivery_latency.get_or_create(&label).observe(seconds(queued_for));
        }
        let labels = ResultLabels { platform, result: result.as_str().into() };
        self.deliveries.get_or_create(&labels).inc();
    }

    fn adapter_call_failed(&self, platform: &Platform, call: &'static str, reason: &str) {
        let labels = CallLabels {
            platform: self.platform_label(platform.as_str()),
            call: call.into(),
            reason: reason.into(),
        };
        self.adapter_failures.get_or_create(&labels).inc();
    }
}
