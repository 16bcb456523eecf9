//! Wiring: open the store, start the inbox engine, serve the API until a shutdown
//! signal, then let the engine finish what it accepted.

use crate::api::{self, AppState};
use crate::config::Config;
use shopmux_core::{Clock, Inbox, InboxOptions, Store, StoreOptions, SystemClock};
use std::future::Future;
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
    adapters: Arc<std::collections::HashMap<String, Arc<dyn shopmux_contract::adapter::Adapter>>>,
    host: Arc<crate::host::DaemonHost>,
    storefront: Arc<crate::storefront::Storefront>,
}

/// Opens the database (applying migrations) and binds the listener.
pub async fn start(config: &Config, clock: Arc<dyn Clock>) -> anyhow::Result<Daemon> {
    let store = Store::open(&StoreOptions {
        url: config.database.url.as_str().to_owned(),
        max_connections: config.database.max_connections,
    })
    .await
    .map_err(|e| anyhow::anyhow!("database.url: cannot open {}: {e}", config.database.url))?;
    let store = store.with_sealing_key(&crate::secrets::sealing_key(&config.secrets)?);
    let host = Arc::new(crate::host::DaemonHost::new(clock.clone(), store.clone()));
    let mailer = crate::mailer::Mailer::from_config(config.smtp.as_ref())?;
    let storefront = Arc::new(crate::storefront::Storefront::new(mailer));
    let plugins = crate::plugins::adapters(config);
    let mut rule_sets = crate::adapters::builtin_rule_sets();
    rule_sets.extend(plugins.iter().map(|p| p.rule_set()));
    let mut adapters = crate::adapters::builtin_adapters();
    adapters.extend(plugins);
    let adapter_channels: Vec<Arc<dyn shopmux_core::channel::OutboundChannel>> = adapters
        .iter()
        .filter(|a| a.sends())
        .map(|a| {
            Arc::new(crate::channels::AdapterChannel::new(
                a.clone(),
                Arc::new(host.for_platform(a.platform())),
            )) as Arc<dyn shopmux_core::channel::OutboundChannel>
        })
        .collect();
    let options = InboxOptions {
        max_ingest_batch: config.ingest.max_batch,
        rule_sets,
        channels: {
            let mut channels = adapter_channels;
            channels.push(Arc::new(crate::storefront::StorefrontChannel(
                storefront.clone(),
            )));
            channels
        },
        pollers: adapters
            .iter()
            .filter(|a| a.polls())
            .map(|a| {
                Arc::new(crate::channels::AdapterChannel::new(
                    a.clone(),
                    Arc::new(host.for_platform(a.platform())),
                )) as Arc<dyn shopmux_core::channel::InboundPoller>
            })
            .collect(),
        poll_every: config.ingest.poll_every,
        ..Default::default()
    };
    let inbox = Inbox::start(store, clock, options);
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
        adapters: Arc::new(
            adapters
                .into_iter()
                .map(|a| (a.platform().to_owned(), a))
                .collect(),
        ),
        host,
        storefront,
    })
}

impl Daemon {
    /// Serves until `shutdown` resolves, then drains the engine.
    pub async fn serve(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = api::router(
            AppState {
                inbox: self.inbox.clone(),
                ping_every: self.ping_every,
                adapters: self.adapters.clone(),
                metrics: Arc::new(api::metrics::Metrics::default()),
                host: self.host.clone(),
                storefront: self.storefront.clone(),
            },
            self.max_body_bytes,
        );
        tracing::info!(message = "Listening.", addr = %self.addr);
        axum::serve(self.listener, router)
            .with_graceful_shutdown(shutdown)
            .await?;
        self.inbox.shutdown().await;
        self.inbox.store().close().await;
        tracing::info!(message = "Stopped.");
        Ok(())
    }
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
