//! Adapter plugins in the daemon, end to end: the Lazada plugin (`plugins/lazada`) is
//! built as a library, checked with `shopmux plugins check`, loaded by `serve`, and a
//! Lazada conversation flows in (a push the simulator signs, the plugin verifies) and a
//! reply flows out (signed by the plugin, checked by the simulator) beside the built-in
//! platforms. Plugins that would be refused are refused with the reason; a plugin that
//! panics fails that delivery (to be retried) while the daemon keeps serving.

use crate::support::*;
use serde_json::{Value, json};
use shopmux_simulator::LazadaSim;
use shopmux_simulator::lazada::{Buyer, BuyerMessage, SimConfig};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

#[path = "../../plugins/host/tests/support/fixtures.rs"]
mod fixtures;

const PACKAGES: &[&str] =
    &["shopmux-lazada", "shopmux-plugin-fixture-abi-mismatch", "shopmux-plugin-fixture-panicky"];

/// The plugin libraries, built once per test binary into a target folder of their own
/// (shared with the plugin host's tests).
fn library(package: &str) -> PathBuf {
    static BUILT: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../plugin-fixtures");
            fixtures::build(PACKAGES, false, &target)
        })
        .get(package)
        .cloned()
        .expect("built")
}

/// Runs the CLI in a folder of its own, so what it creates beside its data (the key
/// file of an in-memory database) stays out of the working tree.
fn shopmux(args: &[&str]) -> std::process::Output {
    let dir = tempfile::tempdir().expect("tempdir");
    std::process::Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .args(args)
        .current_dir(dir.path())
        .env("SHOPMUX_DATABASE__URL", "sqlite://:memory:")
        .output()
        .expect("shopmux runs")
}

/// Polls a conversation's messages (running the outbox first when `drive_delivery`)
/// until the reply `id` is `settled` or 20 s passed; the reply as last seen.
async fn watch_reply(
    d: &TestDaemon, owner: &str, conversation: &str, id: &Value, drive_delivery: bool,
    settled: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if drive_delivery {
            d.inbox.deliver_now().await.unwrap();
        }
        let page = d.messages(owner, conversation).await;
        let reply =
            page["items"].as_array().unwrap().iter().find(|m| m["id"] == *id).cloned().unwrap();
        if settled(&reply) || Instant::now() > deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[test]
fn plugins_check_passes_lazada_and_refuses_another_abi_naming_both_versions() {
    let lazada = library("shopmux-lazada");
    let out = shopmux(&["plugins", "check", lazada.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("for platform `lazada`"), "{stdout}");
    assert!(stdout.contains("LZ-INIT-1"), "{stdout}");

    let other = library("shopmux-plugin-fixture-abi-mismatch");
    let out = shopmux(&["plugins", "check", other.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("99.0") && stderr.contains("1.0"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lazada_conversation_flows_in_and_a_reply_flows_out_through_the_plugin() {
    let lazada = library("shopmux-lazada");
    let sim_config = SimConfig::default();
    let sim = LazadaSim::start(sim_config.clone()).await.unwrap();
    let d = start_tuned(|c| c.plugins.paths = vec![lazada.clone()]).await;
    let owner = d.owner("Cross-border Seller").await;
    let (shop, _) = d.marketplace_shop(&owner, "lazada", &sim_config.seller_id).await;
    let connection = json!({"api_base": sim.base_url(), "credentials": {
        "app_key": sim_config.app_key, "app_secret": sim_config.app_secret,
        "access_token": sim_config.access_token, "refresh_token": sim_config.refresh_token,
        "auth_base": sim.base_url()}});
    let (status, view) = d.connect(&owner, &shop, connection).await;
    assert_eq!(status, 200, "{view}");
    // The main account sees what loaded (the settings page shows it, read-only).
    let (status, plugins) = d.get("/api/v1/plugins", &owner).await;
    assert_eq!(status, 200, "{plugins}");
    assert_eq!(plugins[0]["loaded"], true, "{plugins}");
    assert_eq!(plugins[0]["platform"], "lazada", "{plugins}");
    assert!(plugins[0]["capabilities"].as_str().unwrap().contains("sends"), "{plugins}");
    // The built-in TikTok channel serves beside the plugin.
    let (tiktok, _) = d.marketplace_shop(&owner, "tiktok", "7000001").await;
    assert!(!tiktok.is_empty());

    let mut stream = d.stream(&owner).await;
    sim.set_webhook_url(Some(d.url(&format!("/webhooks/lazada/{shop}"))));
    let buyer = Buyer::new("1011822749");
    let pushed = sim
        .push_buyer_message(&buyer, BuyerMessage::text("Is the blender still in stock?"))
        .await
        .unwrap();
    assert!(pushed.statuses.iter().all(|s| *s == 200), "{pushed:?}");
    let created = next_created(&mut stream).await;
    assert_eq!(created["message"]["content"]["text"], "Is the blender still in stock?");
    let conversation = conversation_of(&created);
    let (_, list) = d.get("/api/v1/conversations?platform=lazada", &owner).await;
    assert_eq!(n_items(&list), Some(1), "{list}");

    // A push the plugin cannot verify is refused and stores nothing.
    let resp = client()
        .post(d.url(&format!("/webhooks/lazada/{shop}")))
        .header("Authorization", "0".repeat(64))
        .body(pushed.body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let (status, sent) = d.reply(&owner, &conversation, "Yes, 12 left. Ships tomorrow.").await;
    assert_eq!(status, 202, "{sent}");
    let delivered = watch_reply(&d, &owner, &conversation, &sent["id"], false, |reply| {
        reply["delivery_status"] == "delivered"
    })
    .await;
    assert_eq!(delivered["delivery_status"], "delivered", "{delivered}");
    let at_sim = sim.sent_messages();
    assert_eq!(at_sim.len(), 1);
    assert_eq!(delivered["platform_message_id"].as_str(), Some(at_sim[0].message_id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_panicking_in_send_fails_that_delivery_and_the_daemon_keeps_serving() {
    let panicky = library("shopmux-plugin-fixture-panicky");
    let d = start_tuned(|c| c.plugins.paths = vec![panicky.clone()]).await;
    let (owner, shop, ingest) = d.seller("Panicky Seller", "panicky", "p-1").await;
    let (status, _) = d.connect(&owner, &shop, json!({"credentials": {"token": "t"}})).await;
    assert_eq!(status, 200);
    let stored = d.ingest(&ingest, message("b-1", "m-1", "hello?")).await;
    let conversation = stored.conversation_id.to_string();
    let (status, sent) = d.reply(&owner, &conversation, "hi").await;
    assert_eq!(status, 202, "{sent}");
    let failed_attempt = watch_reply(&d, &owner, &conversation, &sent["id"], true, |reply| {
        reply["delivery_error"].as_str().is_some_and(|e| e.contains("plugin_panic"))
    })
    .await;
    // The panic failed this attempt with the reason; the reply waits for its retry.
    assert!(
        failed_attempt["delivery_error"].as_str().unwrap_or_default().contains("plugin_panic"),
        "{failed_attempt}"
    );
    assert_ne!(failed_attempt["delivery_status"], "delivered");
    // The daemon keeps serving, and the plugin too (a new instance answers webhooks).
    let resp = client().get(d.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let resp =
        client().post(d.url(&format!("/webhooks/panicky/{shop}"))).body("{}").send().await.unwrap();
    let (status, ack) = decode(resp).await;
    assert_eq!((status, ack["ignored"].as_u64()), (200, Some(1)), "{ack}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lazada_seller_connects_in_one_click_through_the_plugin() {
    let lazada = library("shopmux-lazada");
    let sim_config = SimConfig::default();
    let sim = LazadaSim::start(sim_config.clone()).await.unwrap();
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let (api_base, app_public) = (sim.base_url(), public.clone());
    // The consent page sits at the simulator's root, the IOP API under `/rest`.
    let root = api_base.trim_end_matches("/rest").to_owned();
    let (key, secret) = (sim_config.app_key.clone(), sim_config.app_secret.clone());
    let d = start_tuned(move |c| {
        c.plugins.paths = vec![lazada];
        c.server.bind = format!("127.0.0.1:{port}").parse().unwrap();
        c.connect.public_url = Some(app_public);
        let app = shopmux_contract::adapter::AuthorizationApp {
            client_id: key,
            client_secret: secret,
            authorize_base: Some(root),
            api_base: Some(api_base),
            ..Default::default()
        };
        c.connect.apps.insert("lazada".into(), app);
    })
    .await;
    let owner = d.owner("Lazada Seller").await;
    let (status, list) = d.get("/api/v1/connect", &owner).await;
    assert_eq!(status, 200);
    assert!(
        list.as_array().unwrap().contains(&json!({"platform": "lazada", "ready": true})),
        "{list}"
    );
    let (status, started) = d.post_json("/api/v1/connect/lazada", &owner, json!({})).await;
    assert_eq!(status, 200, "{started}");
    let authorize_url = started["authorize_url"].as_str().unwrap().to_owned();
    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = no_redirects.get(&authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let consent = authorize_url.replace("/oauth/authorize?", "/oauth/authorize/consent?");
    let back = no_redirects.get(consent).send().await.unwrap();
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    assert!(callback.starts_with(&format!("{public}/connect/lazada/callback?")), "{callback}");
    let done = no_redirects.get(&callback).send().await.unwrap();
    assert_eq!(done.headers()["location"], "/?connected=lazada&shops=1#settings");
    let outcome: Value = done.json().await.unwrap();
    let shop = string(&outcome["shops"][0]["shop_id"]);
    let (_, listed) = d.get("/api/v1/shops", &owner).await;
    assert_eq!(listed[0]["external_id"], sim_config.seller_id.as_str(), "{listed}");
    // The seller's buyer writes: the push, verified by the plugin with the connection the
    // flow made, reaches the inbox.
    let mut stream = d.stream(&owner).await;
    sim.set_webhook_url(Some(d.url(&format!("/webhooks/lazada/{shop}"))));
    let buyer = Buyer::new("1011822750");
    let pushed =
        sim.push_buyer_message(&buyer, BuyerMessage::text("Ships to Penang?")).await.unwrap();
    assert!(pushed.statuses.iter().all(|s| *s == 200), "{pushed:?}");
    let created = next_created(&mut stream).await;
    assert_eq!(created["message"]["content"]["text"], "Ships to Penang?");
    // The code was good once: the same callback is a reused state and changes nothing.
    let again = no_redirects.get(&callback).send().await.unwrap();
    assert_eq!(again.headers()["location"], "/?connect_error=bad_state#settings");
}
