//! The host side of the adapter contract: what the daemon lends an adapter for a call —
//! HTTP through one shared reqwest client (rustls), the injected clock, the log, and the
//! adapter's key-value state in the database (scoped to its platform).
//! Adapter calls are blocking and run on the blocking pool, where `Handle::block_on`
//! drives the async client.

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
    /// The platform whose state `kv_*` reach (empty: the unscoped host, which has none).
    platform: String,
}

impl std::fmt::Debug for DaemonHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DaemonHost").finish_non_exhaustive()
    }
}

impl DaemonHost {
    /// A host on the current runtime.
    pub fn new(clock: Arc<dyn Clock>, store: Store) -> Self {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("shopmux/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            client,
            runtime: tokio::runtime::Handle::current(),
            clock,
            store,
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
/// the whole body (a transient `transport` failure when the body breaks off).
async fn read_response(response: reqwest::Response) -> Result<HttpResponse, AdapterError> {
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let body = response
        .bytes()
        .await
        .map_err(|e| AdapterError::transient("transport", e.without_url().to_string()))?
        .to_vec();
    Ok(HttpResponse { status, headers, body })
}

impl Host for DaemonHost {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, AdapterError> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| AdapterError::permanent("bad_request", "not an HTTP method"))?;
        let mut builder = self
            .client
            .request(method, &request.url)
            .timeout(request.timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis))
            .body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        self.runtime.block_on(async {
            let response = builder.send().await.map_err(|e| {
                let code = if e.is_timeout() { "timeout" } else { "transport" };
                AdapterError::transient(code, e.without_url().to_string())
            })?;
            read_response(response).await
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
