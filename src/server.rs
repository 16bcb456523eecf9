//! Wiring: open the store, start the inbox engine, serve the API until a shutdown
//! signal, then let the engine finish what it accepted.
//!
//! Stopping, in order: on SIGTERM `/readyz` answers 503 at once (the daemon is
//! draining; everything else is still served) for `server.shutdown_delay_secs`, so a
//! load balancer takes it out of rotation; then it stops accepting connections, closes
//! every WebSocket — "service restart" (1012) after a SIGTERM, telling clients to
//! reconnect (to another daemon), "going away" (1001) on Ctrl-C, which skips the
//! delay — gives requests in flight [`SHUTDOWN_GRACE`], writes every inbound message
//! it accepted, and exits.

use crate::api::socket::{Farewell, Phase};
use crate::api::{self, AppState};
use crate::config::Config;
use crate::telemetry::DaemonMetrics;
use shopmux_core::{Clock, Inbox, InboxOptions, Registry, Store, StoreOptions, SystemClock};
use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// A started daemon: its engine and where it listens.
pub struct Daemon {
    /// The inbox engine.
    pub inbox: Arc<Inbox>,
    /// The bound address (useful when the config asked for port 0).
    pub addr: SocketAddr,
    listener: TcpListener,
    max_body_bytes: usize,
    ping_every: std::time::Duration,
    storefront: Arc<crate::storefront::Storefront>,
    secure_cookies: crate::config::SecureCookies,
    plugins: Arc<Vec<crate::plugins::PluginStatus>>,
    access: crate::config::AccessConfig,
    connect: Arc<crate::config::ConnectConfig>,
    metrics: Arc<DaemonMetrics>,
    shutdown_delay: std::time::Duration,
}

/// How a daemon is asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C (SIGINT): stop now; sockets are told "going away" (1001).
    Interrupt,
    /// SIGTERM (a service manager, a rolling restart): `/readyz` answers 503 for
    /// `server.shutdown_delay_secs` first, then the daemon stops; sockets are told
    /// "service restart" (1012).
    Terminate,
}

/// Every adapter — built in, then the loaded plugins — registered with the host it
/// borrows for I/O, and the storefront chat for the platforms whose chat it is.
fn registry(
    plugins: Vec<Arc<dyn shopmux_contract::adapter::Adapter>>, host: &crate::host::DaemonHost,
    storefront: &Arc<crate::storefront::Storefront>,
) -> Registry {
    let mut registry = crate::adapters::registry_of(plugins, host);
    registry.set_storefront(Arc::new(crate::storefront::StorefrontChannel(storefront.clone())));
    registry
}

/// Opens the database (applying migrations) and binds the listener.
pub async fn start(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Daemon> {
    let store = Store::open(&StoreOptions {
        url: config.database.url.as_str().to_owned(),
        max_connections: config.database.max_connections,
    })
    .await
    .map_err(|e| anyhow::anyhow!("database.url: cannot open {}: {e}", config.database.url))?;
    let key = crate::secrets::sealing_key_for(&config.secrets, &store, clock.now()).await?;
    let store = store.with_sealing_key(&key);
    let sealed = shopmux_core::storage::adapter_state::seal_plain(&store).await?;
    if sealed > 0 {
        tracing::info!(message = "Sealed adapter state stored in plain text.", values = sealed);
    }
    let host = crate::host::DaemonHost::new(clock.clone(), store.clone(), config.outbound);
    let mailer = crate::mailer::Mailer::from_config(config.smtp.as_ref())?;
    let webhooks = shopmux_core::services::webhooks::WebhookOptions {
        settings: config.webhooks,
        transport: Some(Arc::new(crate::webhook_transport::DaemonWebhooks::new(
            config.outbound,
            mailer.clone(),
            clock.clone(),
        ))),
        allow_http: config.outbound.allow_private_networks,
    };
    let storefront = Arc::new(crate::storefront::Storefront::new(
        mailer,
        config.storefront.clone(),
        clock.clone(),
    ));
    let (plugins, plugin_statuses) = crate::plugins::adapters(config);
    let registry = registry(plugins, &host, &storefront);
    let metrics = Arc::new(DaemonMetrics::new(registry.platforms().map(|p| p.as_str())));
    let options = InboxOptions {
        max_ingest_batch: config.ingest.max_batch,
        ingest_writers: config.ingest.writers,
        registry,
        telemetry: metrics.clone(),
        poll_every: config.ingest.poll_every,
        delivery: config.outbox,
        webhooks,
        analysis: analysis_options(config),
        translation: shopmux_core::services::translation::TranslationOptions {
            settings: config.translation.settings.clone(),
            provider: crate::translation::provider(&config.translation, config.outbound),
        },
        liveness: config.server.stream_ping,
        ..Default::default()
    };
    let inbox = Inbox::start(store, clock, options);
    storefront.attach(&inbox);
    let listener = TcpListener::bind(config.server.bind).await.map_err(|e| {
        anyhow::anyhow!("server.bind: cannot listen on {}: {e}", config.server.bind)
    })?;
    let addr = listener.local_addr()?;
    Ok(Daemon {
        inbox,
        addr,
        listener,
        max_body_bytes: config.server.max_body_bytes,
        ping_every: config.server.stream_ping,
        storefront,
        secure_cookies: config.server.secure_cookies,
        plugins: Arc::new(plugin_statuses),
        access: config.access.clone(),
        connect: Arc::new(connect_config(&config.connect, addr)),
        metrics,
        shutdown_delay: config.server.shutdown_delay,
    })
}

/// `[connect]` with its public address defaulting to the daemon's own (on loopback when
/// it listens on every address): enough for a local install and the demo; a daemon
/// that platforms reach through a proxy sets `connect.public_url`.
fn connect_config(
    config: &crate::config::ConnectConfig, addr: SocketAddr,
) -> crate::config::ConnectConfig {
    let mut connect = config.clone();
    if connect.public_url.is_none() {
        let ip = if addr.ip().is_unspecified() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            addr.ip()
        };
        connect.public_url = Some(format!("http://{}", SocketAddr::new(ip, addr.port())));
    }
    connect
}

impl Daemon {
    /// Serves until `shutdown` resolves, then stops as on Ctrl-C ([`Stop::Interrupt`]).
    pub async fn serve(
        self, shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (tx, stops) = tokio::sync::mpsc::channel(1);
        tokio::spawn(async move {
            shutdown.await;
            let _ = tx.send(Stop::Interrupt).await;
        });
        self.serve_until(stops).await
    }

    /// Serves until the first of `stops` arrives, then stops as it says (see the module
    /// comment): draining first after a [`Stop::Terminate`] — cut short by the next
    /// stop, so a second signal hurries it — then the sockets closed, requests in flight
    /// given at most [`SHUTDOWN_GRACE`], and the engine drained (what it accepted is
    /// written). A closed channel stops it as [`Stop::Interrupt`].
    pub async fn serve_until(
        self, mut stops: tokio::sync::mpsc::Receiver<Stop>,
    ) -> anyhow::Result<()> {
        let (phase_tx, phase) = tokio::sync::watch::channel(Phase::Serving);
        let sockets = api::socket::SocketPolicy::new(self.ping_every, phase.clone());
        let router = api::router(
            AppState {
                inbox: self.inbox.clone(),
                hub: api::stream_hub::StreamHub::start(&self.inbox, &sockets),
                sockets,
                metrics: Arc::new(api::metrics::Metrics::new(
                    self.access.metrics_token.as_ref().map(|t| t.0.clone()),
                    self.metrics.clone(),
                )),
                storefront: self.storefront.clone(),
                secure_cookies: self.secure_cookies,
                sign_in_limits: Arc::new(crate::sign_in_limits::SignInLimits::new(
                    self.access.sign_in,
                    self.inbox.clock().clone(),
                )),
                api_limits: Arc::new(crate::rate_limit::ApiLimits::new(
                    self.access.api_requests_per_minute,
                    std::time::Duration::from_secs(60),
                    self.inbox.clock().clone(),
                )),
                plugins: self.plugins.clone(),
                connect: self.connect.clone(),
            },
            self.max_body_bytes,
        )
        .merge(crate::web::router());
        tracing::info!(message = "Listening.", addr = %self.addr);
        // The peer's address reaches handlers as `ConnectInfo` (the sign-in limits).
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let (metrics, delay) = (self.metrics.clone(), self.shutdown_delay);
        let signalled = async move {
            let stop = stops.recv().await.unwrap_or(Stop::Interrupt);
            let farewell = match stop {
                Stop::Interrupt => Farewell::GoingAway,
                Stop::Terminate => {
                    let _ = phase_tx.send(Phase::Draining);
                    metrics.set_draining();
                    tracing::info!(
                        message = "Draining: /readyz answers 503 until the daemon stops accepting.",
                        delay_secs = delay.as_secs()
                    );
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        Some(_) = stops.recv() => {
                            tracing::info!(message = "Another stop signal: draining cut short.");
                        }
                    }
                    Farewell::Restart
                }
            };
            tracing::info!(message = "Stopping: no new connections; closing sockets.");
            let _ = phase_tx.send(Phase::Closing(farewell));
        };
        let server = axum::serve(self.listener, service).with_graceful_shutdown(signalled);
        tokio::select! {
            served = server.into_future() => served?,
            () = grace_over(phase) => {
                tracing::warn!(message = "Requests still open after the shutdown grace; dropping them.");
            }
        }
        self.inbox.shutdown().await;
        self.inbox.store().close().await;
        tracing::info!(message = "Stopped.");
        Ok(())
    }
}

/// How long requests in flight may take to finish once shutdown began.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Resolves [`SHUTDOWN_GRACE`] after the phase turned to closing.
async fn grace_over(mut phase: tokio::sync::watch::Receiver<Phase>) {
    if phase.wait_for(|p| matches!(p, Phase::Closing(_))).await.is_err() {
        return std::future::pending().await;
    }
    tokio::time::sleep(SHUTDOWN_GRACE).await;
}

/// Starts with the wall clock.
pub async fn start_default(config: &Config) -> anyhow::Result<Daemon> {
    start(config, Arc::new(SystemClock)).await
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    stop_signal().await;
}

/// Every SIGINT ([`Stop::Interrupt`]) and SIGTERM ([`Stop::Terminate`]) the process
/// gets, in order (for [`Daemon::serve_until`]).
pub fn stop_signals() -> tokio::sync::mpsc::Receiver<Stop> {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    #[cfg(unix)]
    tokio::spawn(async move {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) =
            (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
        else {
            // No signal handling: stop on the first Ctrl-C tokio can see.
            let stop = stop_signal().await;
            let _ = tx.send(stop).await;
            return;
        };
        loop {
            let stop = tokio::select! {
                Some(()) = int.recv() => Stop::Interrupt,
                Some(()) = term.recv() => Stop::Terminate,
                else => return,
            };
            let signal = if stop == Stop::Interrupt { "SIGINT" } else { "SIGTERM" };
            tracing::info!(message = "Shutdown signal received.", signal);
            if tx.send(stop).await.is_err() {
                return;
            }
        }
    });
    #[cfg(not(unix))]
    tokio::spawn(async move {
        let stop = stop_signal().await;
        let _ = tx.send(stop).await;
    });
    rx
}

/// Resolves on SIGINT ([`Stop::Interrupt`]) or SIGTERM ([`Stop::Terminate`]).
pub async fn stop_signal() -> Stop {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    let stop = tokio::select! {
        _ = ctrl_c => Stop::Interrupt,
        _ = term => Stop::Terminate,
    };
    let signal = if stop == Stop::Interrupt { "SIGINT" } else { "SIGTERM" };
    tracing::info!(message = "Shutdown signal received.", signal);
    stop
}

/// How buyer messages are read (`[languages]`): detection, and the topic classifier.
fn analysis_options(config: &Config) -> shopmux_core::services::analysis_options::AnalysisOptions {
    use crate::config::TopicClassifierConfig;
    use shopmux_core::domain::topics::TopicClassifier;
    let topics: Option<Arc<dyn TopicClassifier>> = match &config.languages.topics {
        TopicClassifierConfig::BuiltIn => {
            Some(Arc::new(shopmux_core::domain::topic_model::BuiltInTopics))
        }
        TopicClassifierConfig::Http { url, timeout } => Some(Arc::new(
            crate::topic_endpoint::HttpTopics::new(url.clone(), *timeout, config.outbound),
        )),
        TopicClassifierConfig::Off => None,
    };
    shopmux_core::services::analysis_options::AnalysisOptions {
        detect_languages: config.languages.detect,
        topics,
    }
}
