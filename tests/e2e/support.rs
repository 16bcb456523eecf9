//! A daemon per test, in-process on 127.0.0.1:0 with its own SQLite file (or a
//! PostgreSQL schema), driven over real HTTP and WebSocket connections.

use reqwest::{Client, Method, Response};
use serde_json::{Value, json};
use shopmux::config::{Config, RawConfig};
use shopmux_core::{Inbox, SystemClock};
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
    db_url: &str,
    dir: PathBuf,
    clock: Arc<dyn shopmux_core::Clock>,
) -> TestDaemon {
    start_configured(db_url, dir, clock, |_| {}).await
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
    db_url: &str,
    dir: PathBuf,
    clock: Arc<dyn shopmux_core::Clock>,
    tune: impl FnOnce(&mut Config),
) -> TestDaemon {
    // Through the raw form, so what is not set resolves as the daemon's would (the
    // plugin folder beside the test's SQLite file).
    let mut raw = RawConfig::default();
    raw.server.bind = "127.0.0.1:0".into();
    raw.server.max_body_bytes = 64 * 1024;
    raw.database.url = db_url.into();
    raw.secrets.key_file = dir.join("secret.key").display().to_string();
    let mut config = raw.validate().expect("the test configuration is valid");
    tune(&mut config);
    let daemon = shopmux::server::start(&config, clock)
        .await
        .expect("daemon starts");
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

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn owner(&self, name: &str) -> String {
        self.inbox.create_owner(name).await.expect("owner").token
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
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

    /// Creates an `api` shop; returns (shop id, ingest secret).
    pub async fn shop(&self, token: &str, external_id: &str) -> (String, String) {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/shops",
                Some(token),
                Some(json!({"platform": "api", "external_id": external_id, "name": external_id})),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        (
            body["shop"]["id"].as_str().unwrap().into(),
            body["ingest_secret"].as_str().unwrap().into(),
        )
    }

    /// Posts a signed inbound message.
    pub async fn inbound(&self, shop: &str, secret: &str, body: &Value) -> (u16, Value) {
        let raw = serde_json::to_vec(body).unwrap();
        let sig = shopmux_adapter_api::sign::sign(secret, &raw);
        let resp = client()
            .post(self.url(&format!("/api/v1/shops/{shop}/inbound")))
            .header("x-shopmux-signature", sig)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("request");
        decode(resp).await
    }
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
        &self,
        token: &str,
        platform: &str,
        external_id: &str,
    ) -> (String, shopmux_core::domain::shop_settings::IngestShop) {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/shops",
                Some(token),
                Some(
                    json!({"platform": platform, "external_id": external_id, "name": external_id}),
                ),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let id = body["shop"]["id"].as_str().unwrap().to_owned();
        let ingest = self
            .inbox
            .ingest_shop(id.parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        (id, ingest)
    }

    /// Feeds a buyer message (JSON as `message` builds it) through the engine.
    pub async fn feed(
        &self,
        shop: &shopmux_core::domain::shop_settings::IngestShop,
        body: Value,
    ) -> Result<shopmux_core::domain::inbound::IngestOutcome, shopmux_core::CoreError> {
        self.inbox
            .ingest(
                shop.clone(),
                serde_json::from_value(body).expect("a valid inbound message"),
            )
            .await
    }

    /// Opens the live stream as the holder of `token`.
    pub async fn stream(&self, token: &str) -> Stream {
        let url = format!(
            "{}/api/v1/stream?access_token={token}",
            self.base.replace("http://", "ws://")
        );
        tokio_tungstenite::connect_async(url)
            .await
            .expect("stream connects")
            .0
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
