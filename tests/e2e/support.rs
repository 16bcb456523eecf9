//! A daemon per test, in-process on 127.0.0.1:0 with its own SQLite file (or a
//! PostgreSQL schema), driven over real HTTP and WebSocket connections.

use reqwest::{Client, Method, Response};
use serde_json::{Value, json};
use shopmux::config::{Config, RawConfig};
use shopmux_core::domain::inbound::IngestOutcome;
use shopmux_core::domain::shop_settings::IngestShop;
use shopmux_core::{Inbox, ManualClock, SystemClock};
use std::fmt::Display;
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub struct TestDaemon {
    pub base: String,
    pub inbox: Arc<Inbox>,
    pub db_url: String,
    pub dir: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
    _tmp: Option<tempfile::TempDir>,
}

pub fn client() -> Client {
    Client::builder().build().expect("client")
}

pub async fn start() -> TestDaemon {
    let tmp = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let dir = tmp.path().to_path_buf();
    let mut d = start_at(&url, dir).await;
    d._tmp = Some(tmp);
    d
}

pub async fn start_at(db_url: &str, dir: PathBuf) -> TestDaemon {
    start_with(db_url, dir, Arc::new(SystemClock)).await
}

/// A daemon on a fresh SQLite file whose clock the test moves.
pub async fn start_with_clock(clock: Arc<dyn shopmux_core::Clock>) -> TestDaemon {
    let tmp = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let dir = tmp.path().to_path_buf();
    let mut d = start_with(&url, dir, clock).await;
    d._tmp = Some(tmp);
    d
}

pub async fn start_with(
    db_url: &str, dir: PathBuf, clock: Arc<dyn shopmux_core::Clock>,
) -> TestDaemon {
    start_configured(db_url, dir, clock, |_| {}).await
}

/// A daemon on a fresh SQLite file whose clock, set at the 2026 epoch, the test moves.
pub async fn start_at_epoch() -> (Arc<ManualClock>, TestDaemon) {
    let clock = Arc::new(ManualClock::at_epoch_2026());
    (clock.clone(), start_with_clock(clock).await)
}

/// A daemon on a fresh SQLite file with the test's changes to the configuration.
pub async fn start_tuned(tune: impl FnOnce(&mut Config)) -> TestDaemon {
    let tmp = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let dir = tmp.path().to_path_buf();
    let mut d = start_configured(&url, dir, Arc::new(SystemClock), tune).await;
    d._tmp = Some(tmp);
    d
}

pub async fn start_configured(
    db_url: &str, dir: PathBuf, clock: Arc<dyn shopmux_core::Clock>, tune: impl FnOnce(&mut Config),
) -> TestDaemon {
    // Through the raw form, so what is not set resolves as the daemon's would (the
    // plugin folder beside the test's SQLite file).
    let mut raw = RawConfig::default();
    raw.server.bind = "127.0.0.1:0".into();
    raw.server.max_body_bytes = 64 * 1024;
    raw.database.url = db_url.into();
    raw.secrets.key_file = dir.join("secret.key").display().to_string();
    // Tests drive thousands of requests with one token; the limit has its own tests.
    raw.access.api_requests_per_minute = 100_000;
    // The simulators listen on loopback over plain http.
    raw.outbound.allow_private_networks = true;
    let mut config = raw.validate().expect("the test configuration is valid");
    tune(&mut config);
    let daemon = shopmux::server::start(&config, clock).await.expect("daemon starts");
    let base = format!("http://{}", daemon.addr);
    let inbox = daemon.inbox.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        daemon
            .serve(async move {
                let _ = stopped.await;
            })
            .await
            .expect("serve");
    });
    TestDaemon {
        base,
        inbox,
        db_url: db_url.into(),
        dir,
        stop: Some(stop),
        task: Some(task),
        _tmp: None,
    }
}

impl TestDaemon {
    /// Stops gracefully and waits until the engine drained; keeps the files.
    pub async fn stop(mut self) -> Option<tempfile::TempDir> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.await.expect("serve task");
        }
        self._tmp.take()
    }

    /// Keeps `tmp` (the daemon's files) as long as the daemon.
    pub fn keep(&mut self, tmp: tempfile::TempDir) {
        self._tmp = Some(tmp);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn owner(&self, name: &str) -> String {
        self.inbox.create_owner(name).await.expect("owner").token
    }

    pub async fn call(
        &self, method: Method, path: &str, token: Option<&str>, body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = client().request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        decode(req.send().await.expect("request")).await
    }

    /// GET `path` as the holder of `token`.
    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    /// POST `path`, with no body, as the holder of `token`.
    pub async fn post(&self, path: &str, token: &str) -> (u16, Value) {
        self.call(Method::POST, path, Some(token), None).await
    }

    /// POST `path` with a JSON body as the holder of `token`.
    pub async fn post_json(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// PUT `path` with a JSON body as the holder of `token`.
    pub async fn put_json(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    /// A conversation's detail.
    pub async fn conversation(&self, token: &str, conversation: impl Display) -> (u16, Value) {
        self.get(&format!("/api/v1/conversations/{conversation}"), token).await
    }

    /// The first page of a conversation's messages.
    pub async fn messages(&self, token: &str, conversation: impl Display) -> Value {
        let path = format!("/api/v1/conversations/{conversation}/messages");
        self.get(&path, token).await.1
    }

    /// How many messages the first page of a conversation's messages holds.
    pub async fn n_messages(&self, token: &str, conversation: impl Display) -> Option<usize> {
        n_items(&self.messages(token, conversation).await)
    }

    /// An action without a body on a conversation (`read`, `end`, `close`, ...).
    pub async fn act(&self, token: &str, conversation: impl Display, action: &str) -> (u16, Value) {
        self.post(&format!("/api/v1/conversations/{conversation}/{action}"), token).await
    }

    /// Sends `content` as a reply in a conversation.
    pub async fn send(
        &self, token: &str, conversation: impl Display, content: Value,
    ) -> (u16, Value) {
        let path = format!("/api/v1/conversations/{conversation}/messages");
        self.post_json(&path, token, json!({"content": content})).await
    }

    /// Sends a text reply in a conversation.
    pub async fn reply(&self, token: &str, conversation: impl Display, text: &str) -> (u16, Value) {
        self.send(token, conversation, json!({"type": "text", "text": text})).await
    }

    /// Sets a shop's connection (API base, credentials).
    pub async fn connect(&self, token: &str, shop: &str, connection: Value) -> (u16, Value) {
        self.put_json(&format!("/api/v1/shops/{shop}/connection"), token, connection).await
    }

    /// Asks to connect a shop of `platform` (named after its external id).
    pub async fn create_shop(
        &self, token: &str, platform: &str, external_id: &str,
    ) -> (u16, Value) {
        let shop = json!({"platform": platform, "external_id": external_id, "name": external_id});
        self.post_json("/api/v1/shops", token, shop).await
    }

    /// Creates an `api` shop; returns (shop id, ingest secret).
    pub async fn shop(&self, token: &str, external_id: &str) -> (String, String) {
        let (status, body) = self.create_shop(token, "api", external_id).await;
        assert_eq!(status, 201, "{body}");
        (string(&body["shop"]["id"]), string(&body["ingest_secret"]))
    }

    /// Posts a signed inbound message.
    pub async fn inbound(&self, shop: &str, secret: &str, body: &Value) -> (u16, Value) {
        signed_inbound(self.url(&inbound_path(shop)), secret, body).await
    }

    /// A sub-account of the owner with chat permission in `shop`; returns (id, token).
    pub async fn sub_account(&self, owner: &str, nickname: &str, shop: &str) -> (String, String) {
        let agent = json!({"nickname": nickname, "shops": [{"shop_id": shop, "can_chat": true}]});
        let (status, body) = self.post_json("/api/v1/agents", owner, agent).await;
        assert_eq!(status, 201, "{body}");
        (string(&body["agent"]["id"]), string(&body["token"]))
    }

    /// A shop's connection as stored (credentials unsealed).
    pub async fn stored_connection(&self, shop: &str) -> shopmux_contract::adapter::ShopConnection {
        self.inbox.shop_connection(shop.parse().unwrap()).await.unwrap().unwrap()
    }
}

/// The path of an `api` shop's inbound endpoint.
pub fn inbound_path(shop: &str) -> String {
    format!("/api/v1/shops/{shop}/inbound")
}

/// Posts `body` to `url`, signed with an `api` shop's ingest secret.
pub async fn signed_inbound(url: String, secret: &str, body: &Value) -> (u16, Value) {
    let raw = serde_json::to_vec(body).unwrap();
    let sig = shopmux_adapter_api::sign::sign(secret, &raw);
    let resp = client()
        .post(url)
        .header("x-shopmux-signature", sig)
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .expect("request");
    decode(resp).await
}

pub async fn decode(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

pub fn message(buyer: &str, id: &str, text: &str) -> Value {
    json!({
        "buyer": {"external_id": buyer, "nickname": buyer, "language": "en"},
        "platform_message_id": id,
        "content": {"type": "text", "text": text},
    })
}

/// A live stream connection.
pub type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl TestDaemon {
    /// Connects a shop of a marketplace platform through the API; returns its id and the
    /// engine's ingest handle. (Marketplace webhooks arrive with the adapters; the
    /// engine's ingest is the path they will take.)
    pub async fn marketplace_shop(
        &self, token: &str, platform: &str, external_id: &str,
    ) -> (String, IngestShop) {
        let (status, body) = self.create_shop(token, platform, external_id).await;
        assert_eq!(status, 201, "{body}");
        let id = string(&body["shop"]["id"]);
        let ingest = self.inbox.ingest_shop(id.parse().unwrap()).await.unwrap().unwrap();
        (id, ingest)
    }

    /// A new owner `name` with one shop of a marketplace `platform`; returns the owner's
    /// token, the shop's id and the engine's ingest handle.
    pub async fn seller(
        &self, name: &str, platform: &str, external_id: &str,
    ) -> (String, String, IngestShop) {
        let token = self.owner(name).await;
        let (shop_id, shop) = self.marketplace_shop(&token, platform, external_id).await;
        (token, shop_id, shop)
    }

    /// A new owner with an AliExpress shop of the simulator's first seller, connected to
    /// `sim`; returns the owner's token, the shop's ingest handle and the seller's login
    /// id.
    pub async fn aliexpress_seller(
        &self, sim: &shopmux_simulator::aliexpress::SimHandle,
    ) -> (String, IngestShop, String) {
        let seller =
            shopmux_simulator::aliexpress::SimConfig::default().sellers[0].login_id.clone();
        let (owner, shop_id, shop) = self.seller("AliExpress Seller", "aliexpress", &seller).await;
        let (app_key, app_secret) = sim.app();
        let credentials = json!({
            "app_key": app_key, "app_secret": app_secret,
            "access_token": sim.access_token(&seller).unwrap(),
            "refresh_token": sim.refresh_token(&seller).unwrap(),
        });
        let body = json!({"api_base": sim.base_url(), "credentials": credentials});
        let (status, view) = self.connect(&owner, &shop_id, body).await;
        assert_eq!(status, 200, "{view}");
        (owner, shop, seller)
    }

    /// A new owner `name` with one `api` shop; returns the owner's token, the shop's id
    /// and its ingest secret.
    pub async fn api_seller(&self, name: &str, external_id: &str) -> (String, String, String) {
        let token = self.owner(name).await;
        let (shop_id, secret) = self.shop(&token, external_id).await;
        (token, shop_id, secret)
    }

    /// Feeds a buyer message (JSON as `message` builds it), which must be accepted.
    pub async fn ingest(&self, shop: &IngestShop, body: Value) -> IngestOutcome {
        self.feed(shop, body).await.expect("the message is accepted")
    }

    /// Feeds a buyer message (JSON as `message` builds it) through the engine.
    pub async fn feed(
        &self, shop: &IngestShop, body: Value,
    ) -> Result<IngestOutcome, shopmux_core::CoreError> {
        self.inbox
            .ingest(shop.clone(), serde_json::from_value(body).expect("a valid inbound message"))
            .await
    }

    /// Opens the live stream as the holder of `token`.
    pub async fn stream(&self, token: &str) -> Stream {
        let url =
            format!("{}/api/v1/stream?access_token={token}", self.base.replace("http://", "ws://"));
        tokio_tungstenite::connect_async(url).await.expect("stream connects").0
    }
}

/// The next stream event `wanted` accepts, within 10 s.
pub async fn next_event(ws: &mut Stream, wanted: impl Fn(&Value) -> bool) -> Value {
    use futures_util::StreamExt;
    tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            let frame = ws.next().await.expect("stream open").expect("frame");
            let Ok(text) = frame.into_text() else {
                continue;
            };
            let event: Value = serde_json::from_str(&text).unwrap_or_default();
            if wanted(&event) {
                return event;
            }
        }
    })
    .await
    .expect("the event reaches the stream in time")
}

/// The next `message_created` event on the stream.
pub async fn next_created(ws: &mut Stream) -> Value {
    next_event(ws, |e| e["type"] == "message_created").await
}

/// The next `message_updated` event of message `id`.
pub async fn next_update(ws: &mut Stream, id: &str) -> Value {
    next_event(ws, |e| e["type"] == "message_updated" && e["message"]["id"] == id).await
}

/// The conversation a message event belongs to.
pub fn conversation_of(event: &Value) -> String {
    string(&event["message"]["conversation_id"])
}

/// A JSON string, owned (panics on anything else).
pub fn string(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

/// The number of items a page holds (`None` when it has none).
pub fn n_items(page: &Value) -> Option<usize> {
    page["items"].as_array().map(Vec::len)
}

/// Tries `done` up to `tries` times, 20 ms apart; whether it held.
pub async fn poll<F: Future<Output = bool>>(tries: usize, mut done: impl FnMut() -> F) -> bool {
    for _ in 0..tries {
        if done().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    false
}

/// Polls `done` every 100 ms until it holds (true) or `within` passes (false).
pub async fn wait_until<F: Future<Output = bool>>(
    within: std::time::Duration, mut done: impl FnMut() -> F,
) -> bool {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        if done().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// Asserts an error answer: its status, and `key` of its `error` object.
pub fn assert_error(answer: &(u16, Value), status: u16, key: &str, value: &str) {
    let (got, body) = answer;
    assert_eq!((*got, body["error"][key].as_str()), (status, Some(value)), "{body}");
}

/// A port free on 127.0.0.1 a moment ago, for a daemon process to bind.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Asserts that a run of the binary succeeded, showing its stderr if not.
pub fn assert_success(out: &std::process::Output) {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}
