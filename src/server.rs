//! Wiring: open the store, start the inbox engine, serve the API until a shutdown
//! signal, then let the engine finish what it accepted.

use crate::api::{self, AppState};
use crate::config::Config;
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
    let options = InboxOptions {
        max_ingest_batch: config.ingest.max_batch,
        registry: registry(plugins, &host, &storefront),
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
    /// Serves until `shutdown` resolves, then closes the open sockets, gives requests in
    /// flight at most [`SHUTDOWN_GRACE`] to finish, and drains the engine (what it
    /// accepted is written).
    pub async fn serve(
        self, shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (closing_tx, closing) = tokio::sync::watch::channel(false);
        let router = api::router(
            AppState {
                inbox: self.inbox.clone(),
                sockets: api::socket::SocketPolicy::new(self.ping_every, closing.clone()),
                metrics: Arc::new(api::metrics::Metrics::with_token(
                    self.access.metrics_token.as_ref().map(|t| t.0.clone()),
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
        let signalled = async move {
            shutdown.await;
            let _ = closing_tx.send(true);
        };
        let server = axum::serve(self.listener, service).with_graceful_shutdown(signalled);
        tokio::select! {
            served = server.into_future() => served?,
            () = grace_over(closing) => {
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

/// Resolves [`SHUTDOWN_GRACE`] after `closing` turned true.
async fn grace_over(mut closing: tokio::sync::watch::Receiver<bool>) {
    if closing.wait_for(|closing| *closing).await.is_err() {
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
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!(message = "Shutdown signal received.");
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
