//! SIGKILL with replies queued: the real binary is killed, then restarted with TikTok
//! (the simulator) healthy, and what TikTok received is counted exactly.
//!
//! - Killed while TikTok refuses every send (nothing accepted): every reply reaches
//!   TikTok exactly once.
//! - Killed while TikTok has accepted and stored sends whose answers were lost: TikTok's
//!   send-message API takes no idempotency key (adapters/tiktok/README.md), so each of
//!   those is sent again after the restart — at least once, with exactly those replies
//!   twice, never more, and at most the per-platform limit of them.

use crate::support::{assert_success, free_port, wait_until};
use crate::tiktok::{SHOP, push_text};
use reqwest::Method;
use serde_json::{Value, json};
use shopmux_simulator::tiktok::{SimConfig, SimHandle};
use shopmux_simulator::{Faults, TikTokSim};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Replies the owner posts to each conversation.
const REPLIES_EACH: usize = 2;
/// Deliveries in flight to one platform (`outbox.per_platform_concurrency`'s default).
const PER_PLATFORM: usize = 4;

fn serve(dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .arg("serve")
        .current_dir(dir)
        .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("SHOPMUX_OUTBOUND__ALLOW_PRIVATE_NETWORKS", "true")
        // The test polls far more often than a person; the limit has its own tests.
        .env("SHOPMUX_ACCESS__API_REQUESTS_PER_MINUTE", "100000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the daemon starts")
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

/// Creates an owner with the binary's `owner create`, in `dir`; returns its token.
fn create_owner(dir: &Path, name: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .args(["owner", "create", name])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Creates the TikTok shop [`SHOP`] through the daemon at `base`, connects it to the
/// simulator and points the simulator's webhooks at it.
async fn connect_shop(base: &str, token: &str, sim: &SimHandle) {
    let (status, shop) = call(
        base,
        Method::POST,
        "/api/v1/shops",
        token,
        Some(json!({"platform": "tiktok", "external_id": SHOP, "name": "TikTok"})),
    )
    .await;
    assert_eq!(status, 201, "{shop}");
    let shop_id = shop["shop"]["id"].as_str().unwrap().to_owned();
    let (status, _) = call(
        base,
        Method::PUT,
        &format!("/api/v1/shops/{shop_id}/connection"),
        token,
        Some(json!({"api_base": sim.base_url(), "credentials": {
            "app_key": "sim_app_key", "app_secret": "sim_app_secret",
            "access_token": sim.access_token(SHOP).unwrap(), "shop_cipher": sim.shop_cipher(SHOP).unwrap()}})),
    )
    .await;
    assert_eq!(status, 200);
    sim.set_webhook_url(Some(format!("{base}/webhooks/tiktok/{shop_id}")));
}

/// A daemon serving from `dir` on a free port, up; its process and base URL.
async fn started(dir: &Path) -> (Child, String, u16) {
    let port = free_port();
    let (child, base) = up(dir, port).await;
    (child, base, port)
}

/// A daemon serving from `dir` on `port`, once it answers.
async fn up(dir: &Path, port: u16) -> (Child, String) {
    let base = format!("http://127.0.0.1:{port}");
    let child = serve(dir, port);
    assert!(
        wait_until(Duration::from_secs(20), || async {
            reqwest::get(format!("{base}/healthz")).await.is_ok()
        })
        .await
    );
    (child, base)
}

/// `n` buyers write to the shop, each in a TikTok conversation of their own; the inbox
/// conversations, once all are listed.
async fn conversations(base: &str, token: &str, sim: &SimHandle, n: usize) -> Vec<String> {
    for k in 0..n {
        let delivery = push_text(sim, &format!("conv-k{k}"), &format!("70{k:02}"), "anyone?").await;
        assert_eq!(delivery.status(), 200);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut ids: Vec<String> = Vec::new();
    while ids.len() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let (_, list) =
            call(base, Method::GET, "/api/v1/conversations?limit=100", token, None).await;
        let items = list["items"].as_array().cloned().unwrap_or_default();
        ids = items.iter().filter_map(|c| c["id"].as_str().map(str::to_owned)).collect();
    }
    let listed = ids.len() == n;
    assert!(listed, "{} of {n} conversations", ids.len());
    ids
}

/// Posts `each` replies to every conversation: `c{k} reply {i}`.
async fn reply_to_all(base: &str, token: &str, conversations: &[String], each: usize) {
    for i in 0..each {
        for (k, conversation) in conversations.iter().enumerate() {
            let path = format!("/api/v1/conversations/{conversation}/messages");
            let body = json!({"content": {"type": "text", "text": format!("c{k} reply {i}")}});
            let (status, answer) = call(base, Method::POST, &path, token, Some(body)).await;
            assert_eq!(status, 202, "{answer}");
        }
    }
}

/// How many of the owner's replies the daemon shows delivered.
async fn delivered(base: &str, token: &str, conversations: &[String]) -> usize {
    let mut n = 0;
    for conversation in conversations {
        let path = format!("/api/v1/conversations/{conversation}/messages?limit=100");
        let (_, page) = call(base, Method::GET, &path, token, None).await;
        n += page["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "out" && m["delivery_status"] == "delivered")
            .count();
    }
    n
}

/// What TikTok stored, in the order it accepted it.
fn received(sim: &SimHandle) -> Vec<String> {
    sim.sent_messages().iter().map(|m| m.content.clone()).collect()
}

/// Asserts that every conversation's replies reached TikTok in their order: each reply
/// first arrives after the last copy of the one before it.
fn assert_in_order(received: &[String], conversations: usize) {
    let at = |text: &str| -> Vec<usize> {
        received.iter().enumerate().filter(|(_, r)| r.contains(text)).map(|(at, _)| at).collect()
    };
    for k in 0..conversations {
        for i in 1..REPLIES_EACH {
            let before = at(&format!("c{k} reply {}", i - 1));
            let after = at(&format!("c{k} reply {i}"));
            assert!(
                after.first() > before.last(),
                "conversation {k}, reply {i} out of order: {received:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_with_replies_queued_then_restart_delivers_each_reply_once() {
    let sim = TikTokSim::start(SimConfig {
        faults: Faults { server_error: 1.0, ..Default::default() },
        ..Default::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = create_owner(dir.path(), "Killer");
    let (mut child, base, port) = started(dir.path()).await;
    connect_shop(&base, &token, &sim).await;
    let convs = conversations(&base, &token, &sim, 25).await;
    reply_to_all(&base, &token, &convs, REPLIES_EACH).await;
    let total = convs.len() * REPLIES_EACH;
    // TikTok has refused some sends: the replies are in the outbox, retrying.
    assert!(wait_until(Duration::from_secs(20), || async { sim.requests().len() >= 10 }).await);
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    assert!(sim.sent_messages().is_empty(), "nothing was accepted before the kill");

    sim.set_faults(Faults::default()).unwrap();
    let mut child = serve(dir.path(), port);
    let all_sent =
        wait_until(Duration::from_secs(120), || async { sim.sent_messages().len() >= total }).await;
    let shown = delivered(&base, &token, &convs).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(all_sent, "only {} of {total} replies reached TikTok", sim.sent_messages().len());
    let mut texts = received(&sim);
    assert_in_order(&texts, convs.len());
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), total, "every reply exactly once");
    assert_eq!(sim.sent_messages().len(), total, "no reply twice");
    assert_eq!(shown, total);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_after_platform_accepted_counts_honestly() {
    // TikTok stores every reply it is sent and never answers: each answer is lost.
    let lost =
        Faults { accepted_then_timeout: 1.0, hold: Duration::from_secs(300), ..Default::default() };
    let sim = TikTokSim::start(SimConfig { faults: lost, ..Default::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let token = create_owner(dir.path(), "Honest");
    let (mut child, base, port) = started(dir.path()).await;
    connect_shop(&base, &token, &sim).await;
    let convs = conversations(&base, &token, &sim, 6).await;
    reply_to_all(&base, &token, &convs, REPLIES_EACH).await;
    let total = convs.len() * REPLIES_EACH;
    // The per-platform limit of sends are in flight, each accepted by TikTok, none
    // answered: the daemon is killed before it records any of them.
    assert!(
        wait_until(Duration::from_secs(5), || async { received(&sim).len() >= PER_PLATFORM }).await
    );
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let accepted_before_kill = received(&sim);
    assert_eq!(accepted_before_kill.len(), PER_PLATFORM, "{accepted_before_kill:?}");
    assert!(
        accepted_before_kill.iter().all(|r| r.contains("reply 0")),
        "in order: {accepted_before_kill:?}"
    );

    sim.set_faults(Faults::default()).unwrap();
    let (mut child, _) = up(dir.path(), port).await;
    let expected = total + accepted_before_kill.len();
    let settled = wait_until(Duration::from_secs(120), || async {
        delivered(&base, &token, &convs).await == total
    })
    .await;
    let shown = delivered(&base, &token, &convs).await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(settled, "{shown} of {total} delivered; TikTok has {:?}", received(&sim));
    // Counted exactly: the replies TikTok accepted before the kill are there twice (sent
    // again after the restart: no idempotency key to send), every other reply once.
    let got = received(&sim);
    assert_eq!(got.len(), expected, "{got:?}");
    for k in 0..convs.len() {
        for i in 0..REPLIES_EACH {
            let text = format!("c{k} reply {i}");
            let times = got.iter().filter(|r| r.contains(&text)).count();
            let twice = accepted_before_kill.iter().any(|r| r.contains(&text));
            assert_eq!(times, if twice { 2 } else { 1 }, "{text}: {got:?}");
        }
    }
    assert_in_order(&got, convs.len());
}
