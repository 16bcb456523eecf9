//! Test helpers: a fixture on a manual clock, an HTTP client, sending a built request, fault
//! and webhook knobs, and a webhook receiver.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use shopmux_contract::adapter::WebhookRequest;
use shopmux_simulator::{
    AfterHold, BatchOrder, Clock, FaultKind, Faults, ManualClock, RequestRecord, SimError,
    WebhookFaults,
};

/// The clocks of the tests start here (2023-11-14 22:13:20 UTC).
pub const T0: i64 = 1_700_000_000;

/// `T0` as a time.
pub fn t0() -> DateTime<Utc> {
    Utc.timestamp_opt(T0, 0).single().expect("valid time")
}

/// A gateway simulator's `SimConfig`: they all name the app and the clock alike.
pub trait GatewayConfig {
    /// The default config, on `clock`.
    fn on(clock: Clock) -> Self;
    /// `(app_key, app_secret)`.
    fn app(&self) -> (String, String);
}

/// The app credentials an adapter's request builders sign with.
pub trait Credentials {
    fn new(app_key: String, app_secret: String) -> Self;
}

/// A request an adapter's builders made: method, URL, headers, body, and its query.
pub trait Request {
    fn method(&self) -> &str;
    fn url(&self) -> String;
    fn headers(&self) -> &[(String, String)];
    fn body(&self) -> &[u8];
    fn query_mut(&mut self) -> &mut Vec<(String, String)>;
}

/// The same implementation for each simulator's (or adapter's) type of the same shape.
macro_rules! for_each {
    (GatewayConfig for $($config:ty),*) => {$(
        impl GatewayConfig for $config {
            fn on(clock: Clock) -> Self {
                Self { clock, ..Self::default() }
            }
            fn app(&self) -> (String, String) {
                (self.app_key.clone(), self.app_secret.clone())
            }
        }
    )*};
    (Credentials for $($credentials:ty),*) => {$(
        impl Credentials for $credentials {
            fn new(app_key: String, app_secret: String) -> Self {
                Self { app_key, app_secret }
            }
        }
    )*};
    (Request for $($request:ty),*) => {$(
        impl Request for $request {
            fn method(&self) -> &str {
                self.method.as_str()
            }
            fn url(&self) -> String {
                <$request>::url(self)
            }
            fn headers(&self) -> &[(String, String)] {
                &self.headers
            }
            fn body(&self) -> &[u8] {
                &self.body
            }
            fn query_mut(&mut self) -> &mut Vec<(String, String)> {
                &mut self.query
            }
        }
    )*};
}

for_each!(GatewayConfig for shopmux_simulator::tiktok::SimConfig, shopmux_simulator::douyin::SimConfig, shopmux_simulator::lazada::SimConfig);
// Both adapters use the contract's app credentials and wire request.
for_each!(Credentials for shopmux_adapter_tiktok::wire::AppCredentials);
for_each!(Request for shopmux_adapter_tiktok::wire::WireRequest);

/// A simulator started with its default config on a [`ManualClock`] at [`t0`], and the
/// credentials of its app.
pub struct Fixture<S, A> {
    pub sim: S,
    pub clock: ManualClock,
    pub credentials: A,
}

impl<S, A: Credentials> Fixture<S, A> {
    /// Starts a simulator with `start` (`TikTokSim::start`, ...).
    pub async fn start<C, F>(start: impl FnOnce(C) -> F) -> Fixture<S, A>
    where
        C: GatewayConfig,
        F: Future<Output = Result<S, SimError>>,
    {
        let clock = ManualClock::new(t0());
        let config = C::on(clock.clock());
        let (app_key, app_secret) = config.app();
        let sim = start(config).await.expect("starts");
        let credentials = A::new(app_key, app_secret);
        Fixture { sim, clock, credentials }
    }
}

/// Sets every `key` of the request's query to `value`.
pub fn set_param(request: &mut impl Request, key: &str, value: &str) {
    for (name, current) in request.query_mut() {
        if name == key {
            *current = value.to_owned();
        }
    }
}

/// Sends a built request with a fresh client; it must be answered.
pub async fn go(request: &impl Request) -> Reply {
    go_with(&client(), request).await.expect("answered")
}

/// Sends a built request with `client`.
pub async fn go_with(
    client: &reqwest::Client, request: &impl Request,
) -> Result<Reply, reqwest::Error> {
    let url = request.url();
    send(client, request.method(), &url, request.headers(), request.body()).await
}

/// Server errors (answered `server_error_status`) and rate limits, each with probability
/// `p`, drawn from `seed`.
pub fn some_errors(seed: u64, p: f64, server_error_status: u16) -> Faults {
    Faults { seed, server_error: p, server_error_status, rate_limit: p, ..Faults::default() }
}

/// The fault of each logged request.
pub fn faults_of(log: &[RequestRecord]) -> Vec<Option<FaultKind>> {
    log.iter().map(|record| record.fault).collect()
}

/// The replies to `n` requests `request` builds, sent one after the other.
pub async fn replies<R: Request>(n: usize, request: impl Fn() -> R) -> Vec<Reply> {
    let mut replies = Vec::with_capacity(n);
    for _ in 0..n {
        replies.push(go(&request()).await);
    }
    replies
}

/// Faults where `kind` is certain.
pub fn certain(kind: FaultKind) -> Faults {
    let mut faults = Faults::default();
    *match kind {
        FaultKind::ServerError => &mut faults.server_error,
        FaultKind::Timeout => &mut faults.timeout,
        FaultKind::RateLimited => &mut faults.rate_limit,
        FaultKind::AcceptedThenServerError => &mut faults.accepted_then_server_error,
        FaultKind::AcceptedThenTimeout => &mut faults.accepted_then_timeout,
    } = 1.0;
    faults
}

/// Faults where every request is held `hold_ms`, then answered or dropped.
pub fn held(hold_ms: u64, after_hold: AfterHold) -> Faults {
    Faults { hold: Duration::from_millis(hold_ms), after_hold, ..certain(FaultKind::Timeout) }
}

/// Webhook knobs that sign with a wrong secret.
pub fn bad_signature() -> WebhookFaults {
    WebhookFaults { bad_signature: true, ..WebhookFaults::default() }
}

/// Webhook knobs that deliver everything twice.
pub fn duplicated() -> WebhookFaults {
    WebhookFaults { duplicate: true, ..WebhookFaults::default() }
}

/// Webhook knobs that deliver a batch in `order`.
pub fn in_order(order: BatchOrder) -> WebhookFaults {
    WebhookFaults { order, ..WebhookFaults::default() }
}

/// A delivery the receiver got, as an adapter's `parse_webhook` takes it.
pub fn webhook_request(headers: &HeaderMap, body: &[u8]) -> WebhookRequest {
    let text = |value: &axum::http::HeaderValue| value.to_str().unwrap_or("").to_owned();
    WebhookRequest {
        headers: headers
            .iter()
            .map(|(name, value)| (name.as_str().to_owned(), text(value)))
            .collect(),
        body: body.to_vec(),
    }
}

/// A client that never goes through a proxy.
pub fn client() -> reqwest::Client {
    client_with_timeout(Duration::from_secs(10))
}

/// A client with a total request timeout.
pub fn client_with_timeout(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(timeout).build().expect("client builds")
}

/// An answer: status, headers, JSON body.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub json: Value,
}

impl Reply {
    /// The envelope `code`.
    pub fn code(&self) -> i64 {
        self.json["code"].as_i64().expect("numeric code")
    }

    /// HTTP status and envelope `code`.
    pub fn status_code(&self) -> (u16, i64) {
        (self.status, self.code())
    }

    /// The envelope `sub_code` (Douyin).
    pub fn sub_code(&self) -> &str {
        self.json["sub_code"].as_str().unwrap_or_default()
    }
}

/// Sends one request exactly as built.
pub async fn send(
    client: &reqwest::Client, method: &str, url: &str, headers: &[(String, String)], body: &[u8],
) -> Result<Reply, reqwest::Error> {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = client.request(method, url).body(body.to_vec());
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Ok(Reply { status, headers, json })
}

/// One delivery the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    pub body: Vec<u8>,
    pub verified: bool,
}

/// Checks a delivery's headers and body.
pub type Verifier = dyn Fn(&HeaderMap, &[u8]) -> bool + Send + Sync;

struct ReceiverState {
    verify: Box<Verifier>,
    ack: &'static str,
    hits: Mutex<Vec<Hit>>,
}

/// A webhook receiver on `127.0.0.1:0`: answers 200 with `ack` when `verify` passes, else
/// 401, and keeps every delivery.
pub struct Receiver {
    pub url: String,
    state: Arc<ReceiverState>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start(verify: Box<Verifier>, ack: &'static str) -> Receiver {
        let state = Arc::new(ReceiverState { verify, ack, hits: Mutex::new(Vec::new()) });
        let app = Router::new().route("/hook", post(hook)).with_state(state.clone());
        let listener =
            tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.expect("binds");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serves");
        });
        Receiver { url: format!("http://{addr}/hook"), state, task }
    }

    /// Deliveries so far, in arrival order.
    pub fn hits(&self) -> Vec<Hit> {
        self.state.hits.lock().expect("lock").clone()
    }

    /// Forgets the deliveries so far.
    pub fn clear(&self) {
        self.state.hits.lock().expect("lock").clear();
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn hook(
    State(state): State<Arc<ReceiverState>>, headers: HeaderMap, body: Bytes,
) -> (StatusCode, &'static str) {
    let verified = (state.verify)(&headers, &body);
    state.hits.lock().expect("lock").push(Hit { body: body.to_vec(), verified });
    if verified { (StatusCode::OK, state.ack) } else { (StatusCode::UNAUTHORIZED, "bad signature") }
}
