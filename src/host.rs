//! The host side of the adapter contract: what the daemon lends an adapter for a call —
//! HTTP through one shared reqwest client (rustls) under the outbound policy
//! (`outbound.rs`: https only, global addresses only after DNS, redirects re-checked,
//! answers capped while they stream), the injected clock, the log, and the adapter's
//! key-value state in the database (scoped to its platform, sealed at rest).
//! Adapter calls are blocking and run on the blocking pool, where `Handle::block_on`
//! drives the async client.

use crate::outbound::OutboundPolicy;
use shopmux_contract::adapter::{AdapterError, Host, HttpRequest, HttpResponse};
use shopmux_core::Clock;
use shopmux_core::Store;
use shopmux_core::storage::adapter_state::AdapterState;
use std::sync::Arc;
use std::time::Duration;

/// The default timeout of an adapter's HTTP request.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// The daemon's [`Host`].
#[derive(Clone)]
pub struct DaemonHost {
    client: reqwest::Client,
    runtime: tokio::runtime::Handle,
    clock: Arc<dyn Clock>,
    store: Store,
    policy: OutboundPolicy,
    /// The platform whose state `kv_*` reach (empty: the unscoped host, which has none).
    platform: String,
}

impl std::fmt::Debug for DaemonHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonHost").finish_non_exhaustive()
    }
}

impl DaemonHost {
    /// A host on the current runtime, its requests under `policy`.
    pub fn new(clock: Arc<dyn Clock>, store: Store, policy: OutboundPolicy) -> Self {
        Self {
            client: crate::outbound::client(policy),
            runtime: tokio::runtime::Handle::current(),
            clock,
            store,
            policy,
            platform: String::new(),
        }
    }

    /// The same host, with `kv_*` reaching `platform`'s state.
    pub fn for_platform(&self, platform: &str) -> Self {
        Self { platform: platform.to_owned(), ..self.clone() }
    }

    fn state(&self) -> Result<AdapterState, AdapterError> {
        if self.platform.is_empty() {
            return Err(AdapterError::permanent("no_state", "this call has no adapter state"));
        }
        Ok(AdapterState::new(self.store.clone(), self.platform.clone()))
    }
}

fn state_error(e: shopmux_core::CoreError) -> AdapterError {
    match e {
        shopmux_core::CoreError::Invalid { .. } => {
            AdapterError::permanent("bad_state", e.to_string())
        }
        other => AdapterError::transient("state_unavailable", other.to_string()),
    }
}

/// An answer as the adapter sees it: its status, the headers whose values are text, and
/// the body, read up to `max` bytes (a transient `transport` failure when the body breaks
/// off, a permanent `response_too_large` past `max`).
async fn read_response(
    response: reqwest::Response, max: usize,
) -> Result<HttpResponse, AdapterError> {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = crate::outbound::read_capped(response, max).await?;
    Ok(HttpResponse { status, headers, body })
}

impl Host for DaemonHost {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, AdapterError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| AdapterError::permanent("bad_request", "not an HTTP method"))?;
        let url = reqwest::Url::parse(&request.url)
            .map_err(|_| AdapterError::permanent("bad_request", "not a URL"))?;
        crate::outbound::check_url(&self.policy, &url).map_err(|r| r.to_adapter_error())?;
        let mut builder = self
            .client
            .request(method, url)
            .timeout(request.timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis))
            .body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let max = self.policy.max_response_bytes;
        self.runtime.block_on(async {
            let response = builder.send().await.map_err(crate::outbound::send_error)?;
            read_response(response, max).await
        })
    }

    fn now_unix_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    fn log(&self, message: &str) {
        tracing::info!(target: "shopmux::adapter", platform = %self.platform, message);
    }

    fn kv_get(&self, key: &str) -> Result<Option<String>, AdapterError> {
        let state = self.state()?;
        self.runtime.block_on(state.get(key)).map_err(state_error)
    }

    fn kv_put(&self, key: &str, value: &str) -> Result<(), AdapterError> {
        let state = self.state()?;
        let now = self.now_unix_ms();
        self.runtime.block_on(state.put(key, value, now)).map_err(state_error)
    }
}
