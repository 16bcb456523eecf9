//! Starting a gateway simulator (TikTok's, Douyin's, AliExpress's or Lazada's) and its
//! handle: `TikTokSim` and its siblings are [`Starter`] for one platform, `tiktok::SimHandle`
//! and its siblings [`SimHandle`], with the platform's own methods beside the ones here.

use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::SimError;
use crate::delivery::WebhookFaults;
use crate::faults::{Faults, RequestRecord};
use crate::server::{Delivers, ServerGuard, Simulated, router, serve};

/// Starts the simulators of one platform (`P` is its shared state).
pub struct Starter<P>(PhantomData<P>);

impl<P: Simulated> Starter<P> {
    /// Binds `127.0.0.1:0` and serves the simulated API until the handle is dropped.
    pub async fn start(config: P::Config) -> Result<SimHandle<P>, SimError> {
        SimHandle::start(P::from_config(config)?).await
    }
}

/// A running simulator of one platform (`P` is its shared state). Dropping it stops the
/// server.
pub struct SimHandle<P> {
    addr: SocketAddr,
    pub(crate) shared: Arc<P>,
    _server: ServerGuard,
}

impl<P: Simulated> SimHandle<P> {
    async fn start(shared: P) -> Result<SimHandle<P>, SimError> {
        let shared = Arc::new(shared);
        let (addr, server) = serve(router(shared.clone())).await?;
        Ok(SimHandle { addr, shared, _server: server })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:{port}` and the platform's base path (Lazada's `/rest`): the API
    /// base and auth base of this simulator.
    pub fn base_url(&self) -> String {
        format!("http://{}{}", self.addr, P::BASE_PATH)
    }

    /// Replaces the fault knobs and reseeds their RNG.
    pub fn set_faults(&self, faults: Faults) -> Result<(), SimError> {
        self.shared.common().set_faults(faults)
    }

    /// Every request received, in order, with the fault applied.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.common().requests()
    }

    /// Makes the simulator hang: from now on every request is held, unanswered and
    /// unprocessed, until [`SimHandle::release`] (then each is processed and answered).
    pub fn hang(&self) {
        self.shared.common().gate.hang();
    }

    /// Ends a [`SimHandle::hang`]: the held requests go on, and new ones are not held.
    pub fn release(&self) {
        self.shared.common().gate.release();
    }

    /// How many requests are held by a [`SimHandle::hang`] right now.
    pub fn held(&self) -> usize {
        self.shared.common().gate.held()
    }

    /// Stops the server now.
    pub fn shutdown(self) {
        drop(self);
    }
}

impl<P: Delivers> SimHandle<P> {
    /// Replaces the webhook (push) knobs and reseeds their RNG.
    pub fn set_webhook_faults(&self, faults: WebhookFaults) {
        self.shared.poster().set_faults(faults);
    }

    /// Sets (or clears) where webhooks (pushes) go.
    pub fn set_webhook_url(&self, url: Option<String>) {
        self.shared.poster().set_url(url);
    }
}
