//! Outbound webhooks through the real binary to a test receiver (axum, in this test)
//! that verifies every delivery's signature with its own HMAC-SHA256 of the documented
//! scheme (`t=…,v1=hex(HMAC(secret, "{t}.{body}"))`). The receiver fails for a while —
//! 503s, then answers slower than the attempt's time limit — the daemon is killed
//! (SIGKILL) with deliveries pending and started again, more events come, and once the
//! receiver recovers every event is accepted exactly once, in order per conversation.
//! And in process, by the injected clock: a day of failures pauses the endpoint and
//! the owner's live stream is told.

use crate::support::{
    assert_success, free_port, inbound_path, message, signed_inbound, wait_until,
};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const FAIL: u8 = 0;
const HANG: u8 = 1;
const OK: u8 = 2;

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Seen {
    delivery: String,
    event_id: String,
    kind: String,
    conversation: String,
    text: String,
    signature_ok: bool,
    accepted: bool,
}

#[derive(Default)]
struct Receiver {
    mode: AtomicU8,
    secret: Mutex<String>,
    seen: Mutex<Vec<Seen>>,
}

/// The receiver's own check of the documented scheme.
fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = hex::decode(value).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let fresh = (chrono::Utc::now().timestamp() - t).abs() <= 300;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    fresh && mac.verify_slice(&v1).is_ok()
}

async fn hook(State(r): State<Arc<Receiver>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let mode = r.mode.load(Ordering::SeqCst);
    let header =
        |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let secret = r.secret.lock().unwrap().clone();
    let payload: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let seen = Seen {
        delivery: header("shopmux-delivery"),
        event_id: payload["id"].as_str().unwrap_or_default().to_owned(),
        kind: header("shopmux-event"),
        conversation: payload["conversation_id"].as_str().unwrap_or_default().to_owned(),
        text: payload["data"]["message"]["content"]["text"].as_str().unwrap_or_default().to_owned(),
        signature_ok: verify(&secret, &header("shopmux-signature"), &body)
            && payload["type"] == header("shopmux-event").as_str()
            && header("idempotency-key") == header("shopmux-delivery"),
        accepted: mode == OK,
    };
    r.seen.lock().unwrap().push(seen);
    match mode {
        OK => StatusCode::NO_CONTENT,
        HANG => {
            tokio::time::sleep(Duration::from_millis(1500)).await;
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

async fn receiver() -> (Arc<Receiver>, String) {
    let state = Arc::new(Receiver::default());
    let app =
        axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(state.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (state, url)
}

fn serve(dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .arg("serve")
        .current_dir(dir)
        .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("SHOPMUX_OUTBOUND__ALLOW_PRIVATE_NETWORKS", "true")
        .env("SHOPMUX_ACCESS__API_REQUESTS_PER_MINUTE", "100000")
        // Short backoff and time limit so the test's failures take seconds, not hours.
        .env("SHOPMUX_WEBHOOKS__MIN_BACKOFF_MS", "200")
        .env("SHOPMUX_WEBHOOKS__MAX_BACKOFF_MS", "800")
        .env("SHOPMUX_WEBHOOKS__TIMEOUT_MS", "500")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the daemon starts")
}

async fn up(dir: &Path, port: u16) -> (Child, String) {
    let base = format!("http://127.0.0.1:{port}");
    let child = serve(dir, port);
    let healthy = wait_until(Duration::from_secs(20), || async {
        reqwest::get(format!("{base}/healthz")).await.is_ok()
    })
    .await;
    assert!(healthy, "the daemon answers");
    (child, base)
}

async fn call(
    base: &str, method: Method, path: &str, token: &str, body: Option<Value>,
) -> (u16, Value) {
    let mut req =
        reqwest::Client::new().request(method, format!("{base}{path}")).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn owner(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .args(["owner", "create", "Hooks"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn attempts(r: &Receiver) -> usize {
    r.seen.lock().unwrap().len()
}

#[tokio::test]
async fn every_event_arrives_once_in_order_through_failures_timeouts_and_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (r, hook_url) = receiver().await;
    let token = owner(dir.path());
    let port = free_port();
    let (mut daemon, base) = up(dir.path(), port).await;
    let shop = json!({"platform": "api", "external_id": "hooks", "name": "Hooks"});
    let (status, created) = call(&base, Method::POST, "/api/v1/shops", &token, Some(shop)).await;
    assert_eq!(status, 201, "{created}");
    let shop = created["shop"]["id"].as_str().unwrap().to_owned();
    let ingest_secret = created["ingest_secret"].as_str().unwrap().to_owned();
    let events = json!(["message.created", "conversation.ended"]);
    let body = json!({"url": hook_url, "events": events});
    let (status, endpoint) =
        call(&base, Method::POST, "/api/v1/webhook-endpoints", &token, Some(body)).await;
    assert_eq!(status, 201, "{endpoint}");
    *r.secret.lock().unwrap() = endpoint["secret"].as_str().unwrap().to_owned();
    let endpoint_id = endpoint["endpoint"]["id"].as_str().unwrap().to_owned();

    // The receiver fails with 503s while the buyers write and one chat ends.
    let inbound = |base: &str| format!("{base}{}", inbound_path(&shop));
    let mut anna = String::new();
    for (buyer, id, text) in [
        ("anna", "a1", "a1"),
        ("bob", "b1", "b1"),
        ("anna", "a2", "a2"),
        ("anna", "a3", "a3"),
        ("bob", "b2", "b2"),
    ] {
        let (status, stored) =
            signed_inbound(inbound(&base), &ingest_secret, &message(buyer, id, text)).await;
        assert_eq!(status, 200, "{stored}");
        if buyer == "anna" {
            anna = stored["conversation_id"].as_str().unwrap().to_owned();
        }
    }
    let (_, me) = call(&base, Method::GET, "/api/v1/me", &token, None).await;
    let assign = json!({"agent_id": me["id"].as_str().or(me["agent"]["id"].as_str()).unwrap()});
    let (status, _) = call(
        &base,
        Method::POST,
        &format!("/api/v1/conversations/{anna}/assign"),
        &token,
        Some(assign),
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) =
        call(&base, Method::POST, &format!("/api/v1/conversations/{anna}/end"), &token, None).await;
    assert_eq!(status, 200);
    assert!(
        wait_until(Duration::from_secs(20), || async { attempts(&r) >= 6 }).await,
        "retries while failing"
    );
    // Then it answers slower than the attempt's limit (timeouts).
    r.mode.store(HANG, Ordering::SeqCst);
    let before = attempts(&r);
    assert!(
        wait_until(Duration::from_secs(20), || async { attempts(&r) >= before + 3 }).await,
        "timeouts retried"
    );
    // Killed with deliveries pending; started again; more events while still failing.
    daemon.kill().unwrap();
    daemon.wait().unwrap();
    r.mode.store(FAIL, Ordering::SeqCst);
    let (mut daemon, base) = up(dir.path(), port).await;
    for (buyer, id, text) in [("bob", "b3", "b3"), ("anna", "a4", "a4")] {
        let (status, stored) =
            signed_inbound(inbound(&base), &ingest_secret, &message(buyer, id, text)).await;
        assert_eq!(status, 200, "{stored}");
    }
    let (_, listed) =
        call(&base, Method::GET, &format!("/api/v1/webhook-endpoints/{endpoint_id}"), &token, None)
            .await;
    assert!(listed["consecutive_failures"].as_i64().unwrap() > 0, "{listed}");
    assert_eq!(listed["pending"], 8, "{listed}");

    // The receiver recovers: everything arrives.
    r.mode.store(OK, Ordering::SeqCst);
    let all = wait_until(Duration::from_secs(60), || async {
        r.seen.lock().unwrap().iter().filter(|s| s.accepted).count() >= 8
    })
    .await;
    assert!(all, "every event delivered");
    // Late duplicates would show within a moment.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let seen = r.seen.lock().unwrap().clone();
    assert!(seen.iter().all(|s| s.signature_ok), "every signature verifies: {seen:?}");
    let accepted: Vec<&Seen> = seen.iter().filter(|s| s.accepted).collect();
    assert_eq!(accepted.len(), 8, "each event accepted once: {accepted:?}");
    let mut by_delivery: HashMap<&str, usize> = HashMap::new();
    for s in &accepted {
        *by_delivery.entry(s.delivery.as_str()).or_default() += 1;
        assert!(!s.event_id.is_empty());
    }
    assert!(by_delivery.values().all(|n| *n == 1), "{by_delivery:?}");
    // In order per conversation.
    let mut order: HashMap<&str, Vec<String>> = HashMap::new();
    for s in &accepted {
        let label = if s.kind == "message.created" { s.text.clone() } else { s.kind.clone() };
        order.entry(s.conversation.as_str()).or_default().push(label);
    }
    let mut sequences: Vec<Vec<String>> = order.into_values().collect();
    sequences.sort();
    let expect = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        sequences,
        vec![
            expect(&["a1", "a2", "a3", "conversation.ended"]),
            expect(&["a4"]),
            expect(&["b1", "b2", "b3"])
        ],
        "in order per conversation"
    );
    assert!(seen.len() >= 8 + 9, "failed attempts were made: {}", seen.len());
    let (_, status) =
        call(&base, Method::GET, &format!("/api/v1/webhook-endpoints/{endpoint_id}"), &token, None)
            .await;
    assert_eq!(
        (
            status["status"].as_str(),
            status["consecutive_failures"].as_i64(),
            status["pending"].as_i64()
        ),
        (Some("active"), Some(0), Some(0))
    );
    let (_, deliveries) = call(
        &base,
        Method::GET,
        &format!("/api/v1/webhook-endpoints/{endpoint_id}/deliveries"),
        &token,
        None,
    )
    .await;
    let rows = deliveries.as_array().unwrap();
    assert_eq!(rows.len(), 8);
    assert!(
        rows.iter().all(|d| d["status"] == "delivered" && d["last_status_code"] == 204),
        "{deliveries}"
    );
    daemon.kill().unwrap();
    daemon.wait().unwrap();
}

/// An endpoint that fails for a day (by the injected clock) is paused: the owner's live
/// stream says so, and the API shows it paused with its event kept.
#[tokio::test]
async fn the_owner_stream_is_told_when_an_endpoint_is_paused() {
    use crate::support::{next_event, start_at_epoch};
    let (clock, d) = start_at_epoch().await;
    let (token, shop, secret) = d.api_seller("Paused", "paused").await;
    // Nothing listens on this port: every attempt fails at once.
    let dead = format!("http://127.0.0.1:{}/hook", free_port());
    let body = json!({"url": dead, "events": ["message.created"]});
    let (status, created) = d.post_json("/api/v1/webhook-endpoints", &token, body).await;
    assert_eq!(status, 201, "{created}");
    let id = created["endpoint"]["id"].as_str().unwrap().to_owned();
    let mut owner_stream = d.stream(&token).await;
    d.inbound(&shop, &secret, &message("anna", "p1", "hello")).await;
    let path = format!("/api/v1/webhook-endpoints/{id}");
    let failed = wait_until(Duration::from_secs(10), || async {
        d.get(&path, &token).await.1["consecutive_failures"].as_i64() > Some(0)
    })
    .await;
    assert!(failed, "the first attempt failed");
    clock.advance(chrono::Duration::hours(25));
    let told = next_event(&mut owner_stream, |e| e["type"] == "webhook_endpoint_paused").await;
    assert_eq!(told["endpoint"]["id"], id.as_str());
    assert_eq!(told["endpoint"]["pause_reason"], "failing");
    let (_, shown) = d.get(&path, &token).await;
    assert_eq!((shown["status"].as_str(), shown["pending"].as_i64()), (Some("paused"), Some(1)));
    d.stop().await;
}
