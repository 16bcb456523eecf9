//! A blocking [`Host`] for driving an adapter against a simulator from a test thread.
//!
//! The daemon calls adapters from blocking threads; tests do the same with
//! [`BlockingHost`]: its HTTP goes through reqwest on the simulator's tokio runtime
//! (`Handle::block_on`, so it must not be called from inside that runtime), its "now" is a
//! [`ManualClock`] the test moves, and its key-value state and log lines stay in memory
//! for the test to read. URLs registered with [`BlockingHost::serve`] are answered from
//! memory instead of the network ("the web" where images live, dead links, ...).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use shopmux_contract::adapter::{AdapterError, Host, HttpRequest, HttpResponse};
use tokio::runtime::Handle;

use crate::{ManualClock, SimError, lock};

/// The total timeout of a request that names none (`HttpRequest::timeout_ms`).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// A [`Host`] that blocks on a tokio runtime for HTTP, reads a [`ManualClock`] and keeps
/// its key-value state and log lines in memory.
pub struct BlockingHost {
    runtime: Handle,
    client: reqwest::Client,
    clock: ManualClock,
    kv: Mutex<BTreeMap<String, String>>,
    logs: Mutex<Vec<String>>,
    served: Mutex<BTreeMap<String, (u16, Vec<u8>)>>,
}

impl BlockingHost {
    /// A host whose requests run on `runtime` (never through a proxy, 10 s unless the
    /// request says otherwise) and whose "now" is `clock`, with empty state.
    pub fn new(runtime: Handle, clock: ManualClock) -> Result<BlockingHost, SimError> {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(DEFAULT_TIMEOUT)
            .build()
            .map_err(|error| SimError::Client(error.to_string()))?;
        Ok(BlockingHost {
            runtime,
            client,
            clock,
            kv: Mutex::new(BTreeMap::new()),
            logs: Mutex::new(Vec::new()),
            served: Mutex::new(BTreeMap::new()),
        })
    }

    /// The host's clock (clones share its time: moving it moves the host's "now").
    pub fn clock(&self) -> &ManualClock {
        &self.clock
    }

    /// A value of the key-value state, as the adapter last wrote it.
    pub fn kv(&self, key: &str) -> Option<String> {
        lock(&self.kv).get(key).cloned()
    }

    /// Forgets the whole key-value state.
    pub fn clear_kv(&self) {
        lock(&self.kv).clear();
    }

    /// The log lines written so far, oldest first.
    pub fn logs(&self) -> Vec<String> {
        lock(&self.logs).clone()
    }

    /// Answers every later request to exactly `url` (any method) with `status` and
    /// `body`, without the network; replaces what was served there before.
    pub fn serve(&self, url: &str, status: u16, body: &[u8]) {
        lock(&self.served).insert(url.to_owned(), (status, body.to_vec()));
    }
}

impl std::fmt::Debug for BlockingHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingHost")
            .field("now", &self.clock.now())
            .field("kv_keys", &lock(&self.kv).keys().collect::<Vec<_>>())
            .field("served", &lock(&self.served).keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Host for BlockingHost {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, AdapterError> {
        if let Some((status, body)) = lock(&self.served).get(&request.url).cloned() {
            return Ok(HttpResponse { status, headers: vec![], body });
        }
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|_| {
            AdapterError::permanent(
                "bad_request",
                format!("`{}` is not an HTTP method", request.method),
            )
        })?;
        let mut builder = self.client.request(method, &request.url).body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(ms) = request.timeout_ms {
            builder = builder.timeout(Duration::from_millis(ms));
        }
        let transport = |e: reqwest::Error| AdapterError::transient("transport", e.to_string());
        self.runtime.block_on(async {
            let response = builder.send().await.map_err(transport)?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .map(|(name, value)| {
                    let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
                    (name.as_str().to_owned(), value)
                })
                .collect();
            let body = response.bytes().await.map_err(transport)?.to_vec();
            Ok(HttpResponse { status, headers, body })
        })
    }

    fn now_unix_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    fn log(&self, message: &str) {
        lock(&self.logs).push(message.to_owned());
    }

    fn kv_get(&self, key: &str) -> Result<Option<String>, AdapterError> {
        Ok(self.kv(key))
    }

    fn kv_put(&self, key: &str, value: &str) -> Result<(), AdapterError> {
        lock(&self.kv).insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    fn host() -> (tokio::runtime::Runtime, BlockingHost) {
        let runtime =
            tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let start = Utc.timestamp_opt(1_700_000_000, 0).single().expect("valid");
        let host =
            BlockingHost::new(runtime.handle().clone(), ManualClock::new(start)).expect("host");
        (runtime, host)
    }

    fn get(url: &str) -> HttpRequest {
        HttpRequest { method: "GET".into(), url: url.into(), ..HttpRequest::default() }
    }

    #[test]
    fn state_clock_and_logs_stay_in_memory() {
        let (_runtime, host) = host();
        assert_eq!(host.kv_get("cursor").expect("reads"), None);
        host.kv_put("cursor", "7").expect("writes");
        assert_eq!(host.kv("cursor").as_deref(), Some("7"));
        host.clear_kv();
        assert_eq!(host.kv("cursor"), None);

        assert_eq!(host.now_unix_ms(), 1_700_000_000_000);
        host.clock().advance(TimeDelta::seconds(2));
        assert_eq!(host.now_unix_ms(), 1_700_000_002_000);

        host.log("one");
        host.log("two");
        assert_eq!(host.logs(), ["one", "two"]);
    }

    #[test]
    fn served_urls_answer_from_memory_and_bad_methods_are_refused() {
        let (_runtime, host) = host();
        host.serve("https://cdn.example/a.png", 404, b"gone");
        let answer = host.http(get("https://cdn.example/a.png")).expect("served");
        assert_eq!((answer.status, answer.body.as_slice()), (404, &b"gone"[..]));

        let bad = host
            .http(HttpRequest { method: "NOT A METHOD".into(), ..get("http://127.0.0.1:1/") })
            .expect_err("refused");
        assert_eq!((bad.code.as_str(), bad.retryable), ("bad_request", false));
    }
}
