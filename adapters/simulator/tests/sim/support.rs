//! Test helpers: an HTTP client, sending a built request, and a webhook receiver.

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

/// The clocks of the tests start here (2023-11-14 22:13:20 UTC).
pub const T0: i64 = 1_700_000_000;

/// `T0` as a time.
pub fn t0() -> DateTime<Utc> {
    Utc.timestamp_opt(T0, 0).single().expect("valid time")
}

/// A client that never goes through a proxy.
pub fn client() -> reqwest::Client {
    client_with_timeout(Duration::from_secs(10))
}

/// A client with a total request timeout.
pub fn client_with_timeout(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .expect("client builds")
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

    /// The envelope `sub_code` (Douyin).
    pub fn sub_code(&self) -> &str {
        self.json["sub_code"].as_str().unwrap_or_default()
    }
}

/// Sends one request exactly as built.
pub async fn send(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
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
    Ok(Reply {
        status,
        headers,
        json,
    })
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
        let state = Arc::new(ReceiverState {
            verify,
            ack,
            hits: Mutex::new(Vec::new()),
        });
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("binds");
        let addr: SocketAddr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serves");
        });
        Receiver {
            url: format!("http://{addr}/hook"),
            state,
            task,
        }
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
    State(state): State<Arc<ReceiverState>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let verified = (state.verify)(&headers, &body);
    state.hits.lock().expect("lock").push(Hit {
        body: body.to_vec(),
        verified,
    });
    if verified {
        (StatusCode::OK, state.ack)
    } else {
        (StatusCode::UNAUTHORIZED, "bad signature")
    }
}
