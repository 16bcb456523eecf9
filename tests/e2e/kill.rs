//! SIGKILL with replies queued: the real binary is killed while TikTok (the simulator)
//! refuses every send, then restarted with TikTok healthy; every accepted reply reaches
//! TikTok exactly once.

use crate::support::{assert_success, free_port};
use crate::tiktok::{SHOP, push_text};
use reqwest::Method;
use serde_json::{Value, json};
use shopmux_simulator::tiktok::{SimConfig, SimHandle};
use shopmux_simulator::{Faults, TikTokSim};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn serve(dir: &Path, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .arg("serve")
        .current_dir(dir)
        .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("SHOPMUX_OUTBOUND__ALLOW_PRIVATE_NETWORKS", "true")
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

/// Polls until `done` holds or `within` passes.
async fn wait_until<F: std::future::Future<Output = bool>>(
    within: Duration, mut done: impl FnMut() -> F,
) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
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
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = serve(dir.path(), port);
    assert!(
        wait_until(Duration::from_secs(20), || async {
            reqwest::get(format!("{base}/healthz")).await.is_ok()
        })
        .await
    );
    connect_shop(&base, &token, &sim).await;
    let delivery = push_text(&sim, "conv-k", "5005", "anyone?").await;
    assert_eq!(delivery.status(), 200);
    let (_, list) = call(&base, Method::GET, "/api/v1/conversations", &token, None).await;
    let conversation = list["items"][0]["id"].as_str().unwrap().to_owned();
    for i in 0..50 {
        let (status, body) = call(
            &base,
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/messages"),
            &token,
            Some(json!({"content": {"type": "text", "text": format!("reply {i}")}})),
        )
        .await;
        assert_eq!(status, 202, "{body}");
    }
    // TikTok has refused some sends: the replies are in the outbox, retrying.
    assert!(wait_until(Duration::from_secs(20), || async { sim.requests().len() >= 10 }).await);
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    assert!(sim.sent_messages().is_empty(), "nothing was accepted before the kill");

    sim.set_faults(Faults::default()).unwrap();
    let mut child = serve(dir.path(), port);
    let all_sent =
        wait_until(Duration::from_secs(120), || async { sim.sent_messages().len() >= 50 }).await;
    let (_, page) = call(
        &base,
        Method::GET,
        &format!("/api/v1/conversations/{conversation}/messages?limit=100"),
        &token,
        None,
    )
    .await;
    let _ = child.kill();
    let _ = child.wait();
    assert!(all_sent, "only {} of 50 replies reached TikTok", sim.sent_messages().len());
    let mut texts: Vec<String> = sim.sent_messages().iter().map(|m| m.content.clone()).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 50, "every reply exactly once");
    assert_eq!(sim.sent_messages().len(), 50, "no reply twice");
    let delivered = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["direction"] == "out" && m["delivery_status"] == "delivered")
        .count();
    assert_eq!(delivered, 50, "{page}");
}
