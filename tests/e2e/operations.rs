//! What an operator watches and does: `/metrics` scraped after a demo-like run (signed
//! inbound messages, a webhook refused for its signature, replies through the TikTok
//! simulator — delivered, failed, retrying — an agent's stream and a storefront socket
//! open) names every metric with values that fit; SIGTERM drains (`/readyz` 503 while
//! everything else is served), closes streams with 1012 "service restart", writes what
//! it accepted and exits; `shopmux migrate` applies the migrations without serving;
//! `shopmux backup` copies a SQLite database consistently while a daemon writes to it.

use crate::support::*;
use serde_json::{Value, json};
use shopmux_simulator::tiktok::{Buyer, BuyerMessage, SimConfig};
use shopmux_simulator::{Faults, TikTokSim};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The TikTok shop the simulator serves.
const SHOP: &str = "7494049642642441621";

/// One sample of the exposition: its name, labels and value.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The samples of an OpenMetrics text exposition (no label value here holds `,` or `"`).
fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let (series, value) = line.rsplit_once(' ').expect("a sample line");
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split(',')
                .filter(|p| !p.is_empty())
                .map(|pair| {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    (k.to_owned(), v.trim_matches('"').to_owned())
                })
                .collect();
            Sample { name: name.to_owned(), labels, value: value.parse().expect("a number") }
        })
        .collect()
}

/// The sum of the samples named `name` carrying every label of `labels`; `None` when
/// there is no such sample.
fn value(all: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = all
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|s| s.value)
        .collect();
    (!matching.is_empty()).then(|| matching.iter().sum())
}

/// Scrapes `/metrics` (checking its content type).
async fn scrape(d: &TestDaemon) -> (String, Vec<Sample>) {
    let resp = client().get(d.url("/metrics")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("application/openmetrics-text"), "{kind}");
    let text = resp.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
    let parsed = samples(&text);
    (text, parsed)
}

/// Scrapes until `holds` accepts the samples (10 s at most).
async fn scrape_until(
    d: &TestDaemon, what: &str, holds: impl Fn(&[Sample]) -> bool,
) -> Vec<Sample> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (text, all) = scrape(d).await;
        if holds(&all) {
            return all;
        }
        assert!(Instant::now() < deadline, "{what} never showed:\n{text}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_a_demo_like_run_name_everything_an_operator_watches() {
    let sim = TikTokSim::start(SimConfig::default()).await.expect("simulator");
    let d = start_tuned(|c| c.storefront.direct_sessions = true).await;

    // Signed inbound messages on the `api` channel: two stored, one redelivered.
    let (owner, api_shop, secret) = d.api_seller("Acme", "acme-pl").await;
    for (buyer, id) in [("b-1", "m-1"), ("b-2", "m-2"), ("b-1", "m-1")] {
        let (status, out) = d.inbound(&api_shop, &secret, &message(buyer, id, "Hello")).await;
        assert_eq!(status, 200, "{out}");
    }

    // A TikTok shop connected to the simulator.
    let (tiktok_owner, tiktok_shop, _) = d.seller("TikTok Seller", "tiktok", SHOP).await;
    let connection = json!({
        "api_base": sim.base_url(),
        "credentials": {
            "app_key": "sim_app_key", "app_secret": "sim_app_secret",
            "access_token": sim.access_token(SHOP).unwrap(),
            "shop_cipher": sim.shop_cipher(SHOP).unwrap(),
            "refresh_token": sim.refresh_token(SHOP).unwrap(),
            "auth_base": sim.base_url(),
        }
    });
    let (status, view) = d.connect(&tiktok_owner, &tiktok_shop, connection).await;
    assert_eq!(status, 200, "{view}");
    sim.set_webhook_url(Some(d.url(&format!("/webhooks/tiktok/{tiktok_shop}"))));

    // A webhook whose signature is wrong.
    let forged = client()
        .post(d.url(&format!("/webhooks/tiktok/{tiktok_shop}")))
        .header("authorization", "0".repeat(64))
        .header("content-type", "application/json")
        .body(r#"{"type":1,"shop_id":"7494049642642441621","data":{}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);

    // The seller's stream is open; a buyer writes, the reply is delivered.
    let mut ws = d.stream(&tiktok_owner).await;
    let delivery = sim
        .push_new_message(SHOP, "conv-1", &Buyer::new("1001"), BuyerMessage::text("Parcel?"))
        .await
        .unwrap();
    assert_eq!(delivery.status(), 200, "{delivery:?}");
    let conversation = conversation_of(&next_created(&mut ws).await);
    let (status, reply) = d.reply(&tiktok_owner, &conversation, "It ships today.").await;
    assert_eq!(status, 202, "{reply}");
    let delivered = next_update(&mut ws, &string(&reply["id"])).await;
    assert_eq!(delivered["message"]["delivery_status"], "delivered", "{delivered}");

    // A TikTok shop of another seller has no connection: its reply fails for good.
    let (other_owner, _, other_shop) = d.seller("Unconnected", "tiktok", "another-shop").await;
    let fed = d.ingest(&other_shop, message("2002", "t-1", "Hello?")).await;
    let mut other_ws = d.stream(&other_owner).await;
    let (status, reply) = d.reply(&other_owner, fed.conversation_id, "Hi").await;
    assert_eq!(status, 202, "{reply}");
    let failed = next_update(&mut other_ws, &string(&reply["id"])).await;
    assert_eq!(failed["message"]["delivery_status"], "failed", "{failed}");
    drop(other_ws);

    // TikTok fails every call now: the next reply waits in the outbox, retrying.
    sim.set_faults(Faults { server_error: 1.0, ..Default::default() }).unwrap();
    let (status, reply) = d.reply(&tiktok_owner, &conversation, "And a tracking number.").await;
    assert_eq!(status, 202, "{reply}");

    // A storefront customer's chat socket is open.
    let (_, shopify_shop, _) = d.seller("Store", "shopify", "ops.myshopify.com").await;
    let (status, session) =
        crate::storefront::start_session(&d, &shopify_shop, &json!({"name": "Visitor"})).await;
    assert_eq!(status, 201, "{session}");
    let _customer = crate::storefront::socket(&d, &shopify_shop, &session).await;

    let tiktok = [("platform", "tiktok")];
    let all = scrape_until(&d, "the retrying reply, the open sockets", |all| {
        value(all, "shopmux_deliveries_total", &[("platform", "tiktok"), ("result", "retrying")])
            .is_some_and(|n| n >= 1.0)
            && value(all, "shopmux_outbox_oldest_age_seconds", &tiktok).is_some_and(|a| a > 0.0)
            && value(all, "shopmux_open_streams", &[]) == Some(1.0)
            && value(all, "shopmux_open_storefront_sockets", &[]) == Some(1.0)
    })
    .await;
    let got = |name: &str, labels: &[(&str, &str)]| {
        value(&all, name, labels).unwrap_or_else(|| panic!("{name} {labels:?} is missing"))
    };
    // Webhooks: accepted, and refused by platform and reason.
    let (accepted, refused) = ("shopmux_webhooks_accepted_total", "shopmux_webhooks_refused_total");
    assert_eq!(got(accepted, &[("platform", "api")]), 3.0);
    assert!(got(accepted, &[("platform", "tiktok")]) >= 1.0);
    assert_eq!(got(refused, &[("platform", "tiktok"), ("reason", "bad_signature")]), 1.0);
    assert_eq!(got(refused, &[("platform", "tiktok"), ("reason", "malformed")]), 0.0);
    assert_eq!(got(refused, &[("platform", "api")]), 0.0);
    // Ingest: the rate by result, and the acknowledgement's latency.
    let ingest = "shopmux_ingest_messages_total";
    assert_eq!(got(ingest, &[("platform", "api"), ("result", "stored")]), 2.0);
    assert_eq!(got(ingest, &[("platform", "api"), ("result", "duplicate")]), 1.0);
    assert!(got(ingest, &[("platform", "tiktok"), ("result", "stored")]) >= 1.0);
    assert_eq!(got("shopmux_ingest_ack_seconds_count", &[("platform", "api")]), 3.0);
    let ack_sum = got("shopmux_ingest_ack_seconds_sum", &[("platform", "api")]);
    assert!(ack_sum > 0.0 && ack_sum < 30.0, "{ack_sum}");
    let inf = [("platform", "api"), ("le", "+Inf")];
    assert_eq!(got("shopmux_ingest_ack_seconds_bucket", &inf), 3.0);
    // Deliveries: results, latency from acceptance, the send's time, failed calls.
    let deliveries = "shopmux_deliveries_total";
    assert_eq!(got(deliveries, &[("platform", "tiktok"), ("result", "delivered")]), 1.0);
    assert_eq!(got(deliveries, &[("platform", "tiktok"), ("result", "failed")]), 1.0);
    assert_eq!(got("shopmux_delivery_latency_seconds_count", &tiktok), 2.0);
    assert!(got("shopmux_delivery_send_seconds_count", &tiktok) >= 3.0);
    let calls = "shopmux_adapter_call_failures_total";
    assert!(
        got(calls, &[("platform", "tiktok"), ("call", "send"), ("reason", "transient")]) >= 1.0
    );
    assert!(got(calls, &[("platform", "tiktok"), ("call", "send")]) >= 2.0);
    // Gauges read at the scrape: the outbox, the queues, the pool.
    assert_eq!(got("shopmux_outbox_pending", &tiktok), 1.0);
    assert_eq!(got("shopmux_outbox_pending", &[("platform", "api")]), 0.0);
    assert_eq!(got("shopmux_outbox_oldest_age_seconds", &[("platform", "api")]), 0.0);
    assert!(got("shopmux_outbox_oldest_age_seconds", &tiktok) < 60.0);
    assert_eq!(got("shopmux_queued_conversations", &[("platform", "api")]), 2.0);
    assert_eq!(got("shopmux_ingest_queue_length", &[]), 0.0);
    assert!(got("shopmux_ingest_queue_capacity", &[]) >= 1.0);
    assert_eq!(got("shopmux_webhook_deliveries_pending", &[]), 0.0);
    let open = got("shopmux_db_connections", &[]);
    assert!((1.0..=8.0).contains(&open), "{open}");
    assert!(got("shopmux_db_connections", &[("state", "in_use")]) >= 0.0);
    assert!(got("shopmux_db_connections", &[("state", "idle")]) >= 0.0);
    assert_eq!(got("shopmux_db_max_connections", &[]), 8.0);
    assert_eq!(got("shopmux_draining", &[]), 0.0);
    assert_eq!(got("shopmux_build_info", &[]), 1.0);
    // A platform a prober names in the path makes no series of its own.
    let unknown = client().post(d.url("/webhooks/no-such-platform/x")).body("{}").send().await;
    assert_eq!(unknown.unwrap().status().as_u16(), 401);
    let (text, all) = scrape(&d).await;
    assert!(!text.contains("no-such-platform"), "{text}");
    assert_eq!(
        value(&all, refused, &[("platform", "unknown"), ("reason", "bad_signature")]),
        Some(1.0)
    );
    drop(ws);
    let _ = owner;
}

#[tokio::test]
async fn metrics_keep_their_token() {
    let d = start_tuned(|c| {
        c.access.metrics_token = Some(shopmux::config::Masked("metrics-token-0123456789".into()))
    })
    .await;
    let plain = client().get(d.url("/metrics")).send().await.unwrap();
    assert_eq!(plain.status().as_u16(), 401);
    let read = client()
        .get(d.url("/metrics"))
        .bearer_auth("metrics-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(read.status().as_u16(), 200);
    assert!(read.text().await.unwrap().contains("shopmux_outbox_pending"));
}

fn spawn_serve(dir: &Path, port: u16, env: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .arg("serve")
        .current_dir(dir)
        .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the daemon starts")
}

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill").args([name, &child.id().to_string()]).status().unwrap();
    assert!(status.success(), "kill {name}");
}

/// The status `path` answers, or none while nothing listens.
async fn status_of(base: &str, path: &str) -> Option<u16> {
    client().get(format!("{base}{path}")).send().await.ok().map(|r| r.status().as_u16())
}

/// Polls until `path` answers `wanted` (30 s at most).
async fn wait_status(base: &str, path: &str, wanted: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while status_of(base, path).await != Some(wanted) {
        assert!(Instant::now() < deadline, "{path} never answered {wanted}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits for the child's exit (30 s at most); whether it exited 0.
async fn exited_cleanly(child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.success();
        }
        assert!(Instant::now() < deadline, "the daemon never stopped");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

type WsStream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The close frame the server ended the stream with (code, reason).
async fn close_frame(stream: &mut WsStream) -> Option<(u16, String)> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    let deadline = Duration::from_secs(30);
    while let Ok(Some(frame)) = tokio::time::timeout(deadline, stream.next()).await {
        match frame {
            Ok(Message::Close(frame)) => {
                return frame.map(|f| (u16::from(f.code), f.reason.to_string()));
            }
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
    None
}

async fn n_conversations(base: &str, token: &str) -> usize {
    let resp = client()
        .get(format!("{base}/api/v1/conversations?status=all&limit=100"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let (status, page) = decode(resp).await;
    assert_eq!(status, 200, "{page}");
    n_items(&page).unwrap_or(0)
}

async fn api_shop(base: &str, token: &str) -> (String, String) {
    let shop = json!({"platform": "api", "external_id": "acme", "name": "Acme"});
    let resp =
        client().post(format!("{base}/api/v1/shops")).bearer_auth(token).json(&shop).send().await;
    let (status, body) = decode(resp.unwrap()).await;
    assert_eq!(status, 201, "{body}");
    let field = |v: &Value| v.as_str().unwrap().to_owned();
    (field(&body["shop"]["id"]), field(&body["ingest_secret"]))
}

fn create_owner(dir: &Path) -> String {
    let out = run(dir, &["owner", "create", "Acme"], &[]);
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_then_tells_streams_to_reconnect_writes_what_it_accepted_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let token = create_owner(dir.path());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    // A delay no test run reaches: the second signal below ends it.
    let delay = [("SHOPMUX_SERVER__SHUTDOWN_DELAY_SECS", "300")];
    let mut child = spawn_serve(dir.path(), port, &delay);
    wait_status(&base, "/readyz", 200).await;
    let (shop, secret) = api_shop(&base, &token).await;
    let url = format!("{base}/api/v1/shops/{shop}/inbound");
    let ws_url = format!("ws://127.0.0.1:{port}/api/v1/stream?access_token={token}");
    let mut streams = Vec::new();
    for _ in 0..2 {
        streams.push(tokio_tungstenite::connect_async(&ws_url).await.expect("stream").0);
    }
    for i in 0..3 {
        let body = message(&format!("buyer-{i}"), &format!("m-{i}"), "Where is my parcel?");
        let (status, out) = signed_inbound(url.clone(), &secret, &body).await;
        assert_eq!(status, 200, "{out}");
    }

    signal(&child, "-TERM");
    // Not ready first, while everything else is still served: writes are accepted.
    wait_status(&base, "/readyz", 503).await;
    let resp = client().get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(decode(resp).await.1["status"], "draining");
    assert_eq!(status_of(&base, "/healthz").await, Some(200));
    let body = message("buyer-late", "m-late", "Still there?");
    let (status, out) = signed_inbound(url.clone(), &secret, &body).await;
    assert_eq!(status, 200, "a write while draining is accepted: {out}");
    let metrics = client().get(format!("{base}/metrics")).send().await.unwrap().text().await;
    assert!(metrics.unwrap().contains("shopmux_draining 1"));
    assert!(child.try_wait().unwrap().is_none(), "still running while draining");

    // A second signal ends the drain: streams are told to reconnect, and it exits.
    signal(&child, "-TERM");
    for stream in &mut streams {
        let (code, reason) = close_frame(stream).await.expect("a close frame");
        assert_eq!(code, 1012, "service restart: {reason}");
        assert!(reason.contains("reconnect"), "{reason}");
    }
    assert!(exited_cleanly(&mut child).await, "the daemon exits 0 on SIGTERM");

    let mut child = spawn_serve(dir.path(), port, &[]);
    wait_status(&base, "/readyz", 200).await;
    assert_eq!(n_conversations(&base, &token).await, 4, "every accepted message is stored");
    let _ = child.kill();
    let _ = child.wait();
}

/// The applied migrations of a SQLite file: (version, installed_on) rows.
async fn migrations_of(url: &str) -> Vec<(i64, String)> {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(url).await.unwrap();
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT version, CAST(installed_on AS TEXT) FROM _sqlx_migrations ORDER BY version",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let _ = conn.close().await;
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_applies_the_schema_without_serving_and_serve_finds_nothing_left() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["migrate"], &[]);
    assert_success(&out);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("applied now") && said.contains("up to date"), "{said}");
    let url = format!("sqlite://{}/shopmux-data/shopmux.db", dir.path().display());
    let migrated = migrations_of(&url).await;
    assert!(!migrated.is_empty());
    let out = run(dir.path(), &["migrate"], &[]);
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("0 migration(s) applied now"));

    let port = free_port();
    let mut child = spawn_serve(dir.path(), port, &[]);
    wait_status(&format!("http://127.0.0.1:{port}"), "/readyz", 200).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(migrations_of(&url).await, migrated, "serve applied nothing more");

    // A bad URL names its key.
    let out = run(dir.path(), &["migrate"], &[("SHOPMUX_DATABASE__URL", "mysql://db/x")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("database.url"));
    let unreachable = [("SHOPMUX_DATABASE__URL", "postgres://nobody@127.0.0.1:1/none")];
    let out = run(dir.path(), &["migrate"], &unreachable);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("database.url"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_copies_a_sqlite_database_consistently_while_a_daemon_writes() {
    let d = start().await;
    let (owner, shop, secret) = d.api_seller("Acme", "acme").await;
    // Writers keep going during the backup.
    let writing = {
        let (url, secret) = (d.url(&inbound_path(&shop)), secret.clone());
        tokio::spawn(async move {
            let mut accepted = 0;
            for i in 0..400 {
                let body = message(&format!("b-{}", i % 50), &format!("w-{i}"), "busy");
                if signed_inbound(url.clone(), &secret, &body).await.0 == 200 {
                    accepted += 1;
                }
            }
            accepted
        })
    };
    let before = loop {
        let n = n_conversations(&d.base, &owner).await;
        if n >= 5 {
            break n;
        }
        tokio::task::yield_now().await;
    };
    let target = d.dir.join("backup.db");
    let out = run(
        &d.dir,
        &["backup", "--to", target.to_str().unwrap()],
        &[("SHOPMUX_DATABASE__URL", &d.db_url)],
    );
    assert_success(&out);
    assert!(String::from_utf8_lossy(&out.stderr).contains("backed up"), "{out:?}");
    assert!(!d.dir.join("backup.db.partial").exists());
    assert_eq!(writing.await.unwrap(), 400);

    // The copy is whole: it checks, and a daemon serves it with what was there.
    let backup_url = format!("sqlite://{}", target.display());
    {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&backup_url).await.unwrap();
        let check: String =
            sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await.unwrap();
        assert_eq!(check, "ok");
        let (messages, counted): (i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM messages), \
             (SELECT COALESCE(SUM(n), 0) FROM conversation_counters WHERE bucket = 'unread_messages')",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap();
        assert_eq!(messages, counted, "the counters agree with the messages: one snapshot");
        let _ = conn.close().await;
    }
    let restored = start_at(&backup_url, d.dir.clone()).await;
    let n = n_conversations(&restored.base, &owner).await;
    assert!(n >= before, "{n} conversations in the backup, {before} before it began");
    restored.stop().await;

    // Never over a file; PostgreSQL is pg_dump's.
    let again = run(
        &d.dir,
        &["backup", "--to", target.to_str().unwrap()],
        &[("SHOPMUX_DATABASE__URL", &d.db_url)],
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    let pg = [("SHOPMUX_DATABASE__URL", "postgres://shopmux@db/shopmux")];
    let out = run(&d.dir, &["backup", "--to", "x.db"], &pg);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_are_one_object_a_line() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .arg("serve")
        .current_dir(dir.path())
        .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("SHOPMUX_LOG__FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_status(&format!("http://127.0.0.1:{port}"), "/readyz", 200).await;
    signal(&child, "-TERM");
    assert!(exited_cleanly(&mut child).await);
    let mut logs = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut logs).unwrap();
    let lines: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines.iter().all(|l| l["timestamp"].is_string() && l["level"].is_string()));
    let said = |message: &str| lines.iter().find(|l| l["fields"]["message"] == message).cloned();
    assert_eq!(said("Listening.").expect("logged")["level"], "INFO");
    let signalled = said("Shutdown signal received.").expect("logged");
    assert_eq!(signalled["fields"]["signal"], "SIGTERM", "{logs}");
    assert!(said("Stopped.").is_some(), "{logs}");
}
