//! Secrets at rest, end to end: the database records its sealing key's fingerprint at
//! the first start, and a daemon given another key, or missing its key file on that
//! database, refuses to start (saying what to do) instead of sealing with a second key;
//! credentials that do not open are a visible connection error and no platform call.

use crate::support::*;
use crate::tiktok::{SHOP, push_text};
use serde_json::{Value, json};
use shopmux::config::{Config, Masked, SecretKey};
use shopmux_core::SystemClock;
use shopmux_core::storage::sealing::Sealer;
use shopmux_simulator::TikTokSim;
use shopmux_simulator::tiktok::SimConfig;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Starts the daemon on `d`'s files again, with `tune` applied; the start's error text.
async fn restart_error(tmp: &tempfile::TempDir, tune: impl FnOnce(&mut Config)) -> Option<String> {
    let dir = tmp.path().to_path_buf();
    let mut raw = shopmux::config::RawConfig::default();
    raw.server.bind = "127.0.0.1:0".into();
    raw.database.url = format!("sqlite://{}/shopmux.db", dir.display());
    raw.secrets.key_file = dir.join("secret.key").display().to_string();
    let mut config = raw.validate().expect("valid");
    tune(&mut config);
    match shopmux::server::start(&config, Arc::new(SystemClock)).await {
        Ok(daemon) => {
            daemon.inbox.shutdown().await;
            None
        }
        Err(e) => Some(format!("{e:#}")),
    }
}

/// A daemon with one sealed connection, stopped; its folder.
async fn sealed_database() -> tempfile::TempDir {
    let d = start_tuned(|_| {}).await;
    let (owner, shop, _) = d.seller("Sealed", "tiktok", "7000123").await;
    let credentials = json!({"app_key": "k", "app_secret": "hunter2-app-secret"});
    let (status, view) = d.connect(&owner, &shop, json!({"credentials": credentials})).await;
    assert_eq!(status, 200, "{view}");
    d.stop().await.expect("the folder")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_sealing_key_refuses_to_start() {
    let tmp = sealed_database().await;
    let key_before = std::fs::read_to_string(tmp.path().join("secret.key")).unwrap();
    let error = restart_error(&tmp, |c| c.secrets = SecretKey::Inline(Masked([9; 32])))
        .await
        .expect("another key is refused");
    assert!(error.contains("secrets.key: this is not the key"), "{error}");
    assert!(error.contains("start with the key the database was first started with"), "{error}");
    assert!(!error.contains(&hex::encode([9u8; 32])), "the key itself is never shown: {error}");
    // The right key still starts, and the key file was left alone.
    assert_eq!(restart_error(&tmp, |_| {}).await, None);
    assert_eq!(std::fs::read_to_string(tmp.path().join("secret.key")).unwrap(), key_before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_key_file_on_an_existing_database_refuses_to_start() {
    let tmp = sealed_database().await;
    std::fs::remove_file(tmp.path().join("secret.key")).unwrap();
    let error = restart_error(&tmp, |_| {}).await.expect("a missing key file is refused");
    assert!(error.contains("secret.key is missing"), "{error}");
    assert!(error.contains("put that key file back"), "{error}");
    assert!(!tmp.path().join("secret.key").exists(), "no fresh key was generated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_sealed_before_keys_were_recorded_refuses_a_key_that_does_not_open_it() {
    let tmp = sealed_database().await;
    // As before the fingerprint existed: sealed credentials, no record.
    let url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let store = shopmux_core::Store::open(&shopmux_core::StoreOptions::new(url)).await.unwrap();
    sqlx::query("DELETE FROM sealing_key").execute(store.pool()).await.unwrap();
    store.close().await;
    let error = restart_error(&tmp, |c| c.secrets = SecretKey::Inline(Masked([9; 32])))
        .await
        .expect("a key that opens nothing is refused");
    assert!(error.contains("its sealed secrets do not open"), "{error}");
    assert_eq!(restart_error(&tmp, |_| {}).await, None, "the key that opens them is recorded");
}

/// Runs `shopmux serve` in `dir` with `env`; whether /healthz answered, and stderr once
/// it exited (killed after the check when it served).
async fn serve_binary(dir: &std::path::Path, env: &[(&str, &str)]) -> (bool, String) {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_shopmux"));
    command
        .arg("serve")
        .current_dir(dir)
        .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut served = false;
    while Instant::now() < deadline && !served {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        served = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await.is_ok();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    (served, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_sealing_key_refuses_to_start_the_real_binary() {
    let dir = tempfile::tempdir().unwrap();
    let (served, _) = serve_binary(dir.path(), &[]).await;
    assert!(served, "the first start serves (and records its key)");
    let other = "ab".repeat(32);
    let (served, stderr) = serve_binary(dir.path(), &[("SHOPMUX_SECRETS__KEY", &other)]).await;
    assert!(!served, "another key must not serve");
    assert!(stderr.contains("this is not the key this database"), "{stderr}");
    std::fs::remove_file(dir.path().join("shopmux-data/secret.key")).unwrap();
    let (served, stderr) = serve_binary(dir.path(), &[]).await;
    assert!(!served, "a lost key file must not serve");
    assert!(stderr.contains("is missing"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsealable_credential_is_a_connection_error_and_no_request_is_sent() {
    let sim = TikTokSim::start(SimConfig::default()).await.expect("simulator");
    let d = start().await;
    let (owner, shop_id, _) = d.seller("TikTok Seller", "tiktok", SHOP).await;
    let credentials = json!({
        "app_key": "sim_app_key", "app_secret": "sim_app_secret",
        "access_token": sim.access_token(SHOP).unwrap(),
        "shop_cipher": sim.shop_cipher(SHOP).unwrap(),
    });
    let connection = json!({"api_base": sim.base_url(), "credentials": credentials});
    assert_eq!(d.connect(&owner, &shop_id, connection).await.0, 200);
    sim.set_webhook_url(Some(d.url(&format!("/webhooks/tiktok/{shop_id}"))));
    assert_eq!(push_text(&sim, "conv-1", "1001", "hello").await.status(), 200);
    let (_, list) = d.get("/api/v1/conversations?status=all", &owner).await;
    let conversation = string(&list["items"][0]["id"]);

    // The credentials as sealed by another key (a row restored from elsewhere).
    let foreign = Sealer::new(&[9; 32]).seal(&shop_id, &credentials.to_string()).unwrap();
    sqlx::query("UPDATE shop_connections SET credentials = $1 WHERE shop_id = $2")
        .bind(&foreign)
        .bind(&shop_id)
        .execute(d.inbox.store().pool())
        .await
        .unwrap();
    let (status, body) = d.reply(&owner, &conversation, "are you there?").await;
    assert_eq!(status, 202, "{body}");
    let failed = wait_for_failure(&d, &owner, &conversation).await;
    assert!(
        failed["delivery_error"].as_str().unwrap().contains("credentials_unreadable"),
        "{failed}"
    );
    assert!(sim.sent_messages().is_empty(), "nothing was sent to the platform");
    let (status, view) = d.get(&format!("/api/v1/shops/{shop_id}/connection"), &owner).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["status"], "credentials_unreadable", "{view}");
    assert!(view["status_detail"].as_str().unwrap().contains("set the connection again"));
    // A webhook cannot be verified without them: 503, so the platform delivers again.
    let again = push_text(&sim, "conv-1", "1001", "hello?").await;
    assert_eq!(again.status(), 503, "{again:?}");
}

/// The conversation's last message, once its delivery failed.
async fn wait_for_failure(d: &TestDaemon, owner: &str, conversation: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        d.inbox.deliver_now().await.unwrap();
        let page = d.messages(owner, conversation).await;
        let last = page["items"].as_array().and_then(|m| m.last().cloned()).unwrap_or_default();
        if last["delivery_status"] == "failed" || Instant::now() > deadline {
            assert_eq!(last["delivery_status"], "failed", "{page}");
            return last;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
