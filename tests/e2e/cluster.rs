//! Several daemons on one PostgreSQL database, as separate processes of the real binary
//! (issue 19; skipped without `SHOPMUX_TEST_POSTGRES_URL`):
//!
//! - an agent streaming from daemon A sees a message ingested by daemon B and an
//!   assignment made by daemon C; a storefront customer connected to A gets a reply
//!   sent through B, and is "in the store" for C;
//! - daemon B is SIGKILLed under inbound load: every acknowledged message is stored
//!   once; the stream that was on B resumes on A with its cursor and gets every
//!   acknowledged message it had not seen; an agent streaming only from B stops counting
//!   as connected within the ping interval; the timer passes and the pollers B led are
//!   taken over by a survivor.

use crate::support::{
    assert_success, free_port, inbound_path, message, signed_inbound, string, wait_until,
};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// The daemons' stream ping interval (and so their liveness), in seconds.
const PING_SECS: &str = "2";

/// The sealing key every daemon of the database shares.
const KEY: &str = "5f4dcc3b5aa765d61d8327deb882cf99b1e0d4c0a8d2b3f4e5f60718293a4b5c";

/// Daemons of one fresh schema, killed when dropped.
struct Cluster {
    url: String,
    schema: String,
    dir: tempfile::TempDir,
    daemons: Vec<Option<(Child, u16)>>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for (child, _) in self.daemons.iter_mut().flatten() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Cluster {
    /// A fresh schema on the test PostgreSQL (none without one).
    async fn new() -> Option<Self> {
        use sqlx::Connection;
        let Some(base) = std::env::var("SHOPMUX_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())
        else {
            eprintln!("notice: SHOPMUX_TEST_POSTGRES_URL is not set; PostgreSQL case skipped");
            return None;
        };
        let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
        let mut conn = sqlx::PgConnection::connect(&base).await.expect("PostgreSQL is reachable");
        let create = sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"));
        sqlx::Executor::execute(&mut conn, create).await.expect("create schema");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let dir = tempfile::tempdir().unwrap();
        Some(Self { url, schema, dir, daemons: Vec::new() })
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_shopmux"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("SHOPMUX_DATABASE__URL", &self.url)
            .env("SHOPMUX_SECRETS__KEY", KEY)
            .env("SHOPMUX_SERVER__STREAM_PING_SECS", PING_SECS)
            .env("SHOPMUX_OUTBOUND__ALLOW_PRIVATE_NETWORKS", "true")
            .env("SHOPMUX_STOREFRONT__DIRECT_SESSIONS", "true")
            // The test calls far more often than a person; the limit has its own tests.
            .env("SHOPMUX_ACCESS__API_REQUESTS_PER_MINUTE", "100000")
            .env("RUST_LOG", "warn");
        cmd
    }

    /// Starts one more daemon and waits until it is ready; returns its index.
    async fn start(&mut self) -> usize {
        let port = free_port();
        let child = self
            .command(&["serve"])
            .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the daemon starts");
        self.daemons.push(Some((child, port)));
        let ready = format!("http://127.0.0.1:{port}/readyz");
        let up = wait_until(Duration::from_secs(30), || async {
            reqwest::get(&ready).await.is_ok_and(|r| r.status() == 200)
        })
        .await;
        assert!(up, "daemon {} is ready", self.daemons.len() - 1);
        self.daemons.len() - 1
    }

    fn base(&self, i: usize) -> String {
        let (_, port) = self.daemons[i].as_ref().expect("a running daemon");
        format!("http://127.0.0.1:{port}")
    }

    fn ws(&self, i: usize) -> String {
        self.base(i).replace("http://", "ws://")
    }

    /// SIGKILL.
    fn kill(&mut self, i: usize) {
        let (mut child, _) = self.daemons[i].take().expect("a running daemon");
        child.kill().unwrap();
        child.wait().unwrap();
    }

    /// A new owner, created with the binary; its token.
    fn owner(&self, name: &str) -> String {
        let out = self.command(&["owner", "create", name]).output().unwrap();
        assert_success(&out);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    async fn call(
        &self, i: usize, method: &str, path: &str, token: &str, body: Option<Value>,
    ) -> (u16, Value) {
        let client = reqwest::Client::new();
        let url = format!("{}{path}", self.base(i));
        let mut req = client.request(method.parse().unwrap(), url).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// How many connections hold the lead of daemon-wide `task` (0 or 1).
    async fn leaders(&self, task: &str) -> i64 {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1 \
             AND ((CAST(classid AS BIGINT) << 32) | CAST(objid AS BIGINT)) \
                 = CAST(hashtext($1 || ':shopmux-' || $2) AS BIGINT)",
        )
        .bind(&self.schema)
        .bind(task)
        .fetch_one(&mut conn)
        .await
        .unwrap()
    }

    /// How many times each platform message id of `shop` is stored.
    async fn stored(&self, shop: &str) -> std::collections::HashMap<String, i64> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url).await.unwrap();
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT platform_message_id, COUNT(*) FROM messages \
             WHERE shop_id = $1 AND platform_message_id IS NOT NULL GROUP BY platform_message_id",
        )
        .bind(shop)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        rows.into_iter().collect()
    }
}

/// A live stream client that keeps the last cursor, as the web inbox does.
struct StreamClient {
    ws: crate::support::Stream,
    cursor: Option<i64>,
    /// Ids of the messages created it has seen.
    created: HashSet<String>,
    /// Whether the daemon asked for a reload.
    resynced: bool,
}

impl StreamClient {
    async fn open(base_ws: &str, token: &str, cursor: Option<i64>) -> Self {
        let resume = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let url = format!("{base_ws}/api/v1/stream?access_token={token}{resume}");
        let ws = tokio_tungstenite::connect_async(url).await.expect("stream connects").0;
        Self { ws, cursor, created: HashSet::new(), resynced: false }
    }

    /// Reads frames until `done` holds for an event (true), the stream ends (false), or
    /// `within` passes (false).
    async fn until(&mut self, within: Duration, done: impl Fn(&Value) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let frame = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(frame))) => frame,
                _ => return false,
            };
            let Ok(text) = frame.into_text() else { continue };
            let event: Value = serde_json::from_str(&text).unwrap_or_default();
            match event["type"].as_str() {
                Some("cursor") => self.cursor = event["cursor"].as_i64(),
                Some("resync") => self.resynced = true,
                Some("message_created") => {
                    self.created.insert(string(&event["message"]["platform_message_id"]));
                }
                _ => {}
            }
            if done(&event) {
                return true;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_daemons_share_messages_assignments_and_storefront_replies() {
    let Some(mut c) = Cluster::new().await else { return };
    let (a, b, cc) = (c.start().await, c.start().await, c.start().await);
    let owner = c.owner("Cluster Seller");
    let (status, shop) = c
        .call(
            a,
            "POST",
            "/api/v1/shops",
            &owner,
            Some(json!({"platform": "api", "external_id": "cl", "name": "cl"})),
        )
        .await;
    assert_eq!(status, 201, "{shop}");
    let (shop_id, secret) = (string(&shop["shop"]["id"]), string(&shop["ingest_secret"]));
    let agent = json!({"nickname": "Ola", "shops": [{"shop_id": shop_id, "can_chat": true}]});
    let (status, ola) = c.call(cc, "POST", "/api/v1/agents", &owner, Some(agent)).await;
    assert_eq!(status, 201, "{ola}");
    let ola_id = string(&ola["agent"]["id"]);

    // The owner streams from A; a buyer's message arrives through B.
    let mut on_a = StreamClient::open(&c.ws(a), &owner, None).await;
    let (status, _) = signed_inbound(
        format!("{}{}", c.base(b), inbound_path(&shop_id)),
        &secret,
        &message("b1", "via-b", "hello B"),
    )
    .await;
    assert!((200..300).contains(&status), "{status}");
    assert!(
        on_a.until(Duration::from_secs(10), |e| e["message"]["platform_message_id"] == "via-b")
            .await
    );
    let conversation = {
        let (_, list) = c.call(a, "GET", "/api/v1/conversations", &owner, None).await;
        string(&list["items"][0]["id"])
    };
    // C assigns it to Ola: A's stream shows the assignment.
    let assign = json!({"agent_id": ola_id});
    let path = format!("/api/v1/conversations/{conversation}/assign");
    let (status, body) = c.call(cc, "POST", &path, &owner, Some(assign)).await;
    assert_eq!(status, 200, "{body}");
    let assigned = on_a
        .until(Duration::from_secs(10), |e| {
            e["type"] == "conversation_updated"
                && e["conversation"]["assignee_id"] == ola_id.as_str()
        })
        .await;
    assert!(assigned, "the assignment made on C reaches the stream on A");

    // A storefront customer on A; the reply goes through B.
    let shopify = json!({"platform": "shopify", "external_id": "cl.myshopify.com", "name": "cl"});
    let (status, store) = c.call(a, "POST", "/api/v1/shops", &owner, Some(shopify)).await;
    assert_eq!(status, 201, "{store}");
    let store_id = string(&store["shop"]["id"]);
    let session: Value = reqwest::Client::new()
        .post(format!("{}/storefront/{store_id}/sessions", c.base(a)))
        .json(&json!({"name": "Visitor"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chat_url =
        format!("{}/storefront/{store_id}/chat?token={}", c.ws(a), string(&session["token"]));
    let mut customer = tokio_tungstenite::connect_async(chat_url).await.expect("chat socket").0;
    let hello = json!({"id": "1", "content": {"type": "text", "text": "Is it in stock?"}});
    futures_util::SinkExt::send(
        &mut customer,
        tokio_tungstenite::tungstenite::Message::text(hello.to_string()),
    )
    .await
    .unwrap();
    let mut store_conv = String::new();
    assert!(
        on_a.until(Duration::from_secs(10), |e| e["message"]["shop_id"] == store_id.as_str()).await
    );
    let (_, list) =
        c.call(a, "GET", &format!("/api/v1/conversations?shop_id={store_id}"), &owner, None).await;
    store_conv.push_str(list["items"][0]["id"].as_str().expect("the storefront conversation"));
    // C sees the customer in the store (their socket is on A).
    let (_, detail) =
        c.call(cc, "GET", &format!("/api/v1/conversations/{store_conv}"), &owner, None).await;
    assert_eq!(detail["reply_route"], "chat", "{detail}");
    let reply = json!({"content": {"type": "text", "text": "Yes, two left."}});
    let path = format!("/api/v1/conversations/{store_conv}/messages");
    let (status, body) = c.call(b, "POST", &path, &owner, Some(reply)).await;
    assert!((200..300).contains(&status), "{body}");
    let got = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(Ok(frame)) = customer.next().await {
            let text = frame.into_text().unwrap_or_default();
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            if v["type"] == "reply" {
                return v;
            }
        }
        Value::Null
    })
    .await
    .expect("the reply reaches the customer's socket on A");
    assert_eq!(got["content"]["text"], "Yes, two left.", "{got}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_killed_under_load_loses_nothing_and_its_streams_resume_elsewhere() {
    let Some(mut c) = Cluster::new().await else { return };
    // B starts first and so leads the timer passes and the pollers.
    let b = c.start().await;
    assert!(
        wait_until(Duration::from_secs(10), || async {
            c.leaders("timers").await == 1 && c.leaders("pollers").await == 1
        })
        .await
    );
    let (a, cc) = (c.start().await, c.start().await);
    let owner = c.owner("Kill Seller");
    let shop = json!({"platform": "api", "external_id": "kill", "name": "kill"});
    let (_, shop) = c.call(a, "POST", "/api/v1/shops", &owner, Some(shop)).await;
    let (shop_id, secret) = (string(&shop["shop"]["id"]), string(&shop["ingest_secret"]));
    let agent = json!({"nickname": "Only-on-B", "shops": [{"shop_id": shop_id, "can_chat": true}]});
    let (_, only_b) = c.call(a, "POST", "/api/v1/agents", &owner, Some(agent)).await;
    let (only_b_id, only_b_token) = (string(&only_b["agent"]["id"]), string(&only_b["token"]));
    let connected = async |c: &Cluster, at: usize| {
        let (_, team) = c.call(at, "GET", "/api/v1/team/presence", &owner, None).await;
        team.as_array()
            .unwrap()
            .iter()
            .any(|p| p["agent_id"] == only_b_id.as_str() && p["connected"] == true)
    };
    let b_agent = StreamClient::open(&c.ws(b), &only_b_token, None).await;
    assert!(wait_until(Duration::from_secs(10), || connected(&c, a)).await, "connected through B");

    // The owner's stream is on B; it has a cursor before the load starts.
    let mut stream = StreamClient::open(&c.ws(b), &owner, None).await;
    assert!(stream.until(Duration::from_secs(10), |e| e["type"] == "cursor").await);

    // Inbound load on B (and on A, to keep the database busy), until B dies.
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut load = Vec::new();
    for worker in 0..6 {
        let target = if worker < 4 { c.base(b) } else { c.base(a) };
        let (url, secret, acked, stop) = (
            format!("{target}{}", inbound_path(&shop_id)),
            secret.clone(),
            acked.clone(),
            stop.clone(),
        );
        load.push(tokio::spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let id = format!("w{worker}-{n}");
                n += 1;
                let body = message(&format!("buyer-{}", n % 25), &id, "load");
                let raw = serde_json::to_vec(&body).unwrap();
                let sig = shopmux_adapter_api::sign::sign(&secret, &raw);
                let sent = reqwest::Client::new()
                    .post(&url)
                    .header("x-shopmux-signature", sig)
                    .header("content-type", "application/json")
                    .body(raw)
                    .send()
                    .await;
                if sent.is_ok_and(|r| r.status().is_success()) {
                    acked.lock().await.push(id);
                }
            }
        }));
    }
    // Read the owner's stream on B while the load runs, then kill B mid-load.
    stream.until(Duration::from_millis(1500), |_| false).await;
    c.kill(b);
    drop(b_agent);
    // The agent that streamed only from B stops counting within the ping interval (the
    // survivors' next heartbeat after it: three intervals at most).
    let gone = wait_until(Duration::from_secs(6), || async { !connected(&c, cc).await }).await;
    assert!(gone, "an agent of a dead daemon is no longer connected");
    stream.until(Duration::from_secs(1), |_| false).await;
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    let acked: Vec<String> = acked.lock().await.clone();
    assert!(acked.len() > 20, "the load was acknowledged: {}", acked.len());

    // Every acknowledged message is stored exactly once.
    let stored = c.stored(&shop_id).await;
    for id in &acked {
        assert_eq!(stored.get(id), Some(&1), "{id} stored once");
    }

    // The stream resumes on A with its cursor and gets every acknowledged message.
    let cursor = stream.cursor.expect("a cursor was received");
    let seen_before = stream.created.clone();
    let mut resumed = StreamClient::open(&c.ws(a), &owner, Some(cursor)).await;
    let missing = |seen: &HashSet<String>| {
        acked.iter().filter(|id| !seen_before.contains(*id) && !seen.contains(*id)).count()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while missing(&resumed.created) > 0 && Instant::now() < deadline {
        resumed.until(Duration::from_millis(200), |_| false).await;
    }
    eprintln!(
        "acked {}, seen on B {}, replayed on A {}",
        acked.len(),
        seen_before.len(),
        resumed.created.len()
    );
    assert!(!resumed.resynced, "the log covers the cursor: no reload");
    assert_eq!(missing(&resumed.created), 0, "no acknowledged message is missing after the resume");

    // A survivor leads the timer passes and the pollers.
    let took_over = wait_until(Duration::from_secs(15), || async {
        c.leaders("timers").await == 1 && c.leaders("pollers").await == 1
    })
    .await;
    assert!(took_over, "the timers and pollers continue on a survivor");
}
