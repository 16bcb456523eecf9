//! An outbox no platform can stall: with TikTok (its simulator) hanging on every
//! request, AliExpress's replies (its simulator) are still delivered, and TikTok holds
//! no more of the outbox than its per-platform limit; once TikTok answers again, its
//! replies go out too. Both simulators check every signature with their own code; the
//! daemon and the simulators share an injected clock that the test never needs to move.

use crate::support::*;
use crate::tiktok::{SHOP, push_text};
use serde_json::{Value, json};
use shopmux_core::{Clock, ManualClock};
use shopmux_simulator::aliexpress::{self, Buyer, BuyerMessage};
use shopmux_simulator::tiktok;
use shopmux_simulator::{AliExpressSim, TikTokSim};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Polls (real time, for events, not for time rules) until `done` or 15 s.
async fn eventually<F: Future<Output = bool>>(mut done: impl FnMut() -> F) -> bool {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// The ids of the conversations an owner sees.
async fn conversation_ids(d: &TestDaemon, token: &str) -> Vec<String> {
    let (_, page) = d.get("/api/v1/conversations", token).await;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    items.iter().filter_map(|c| c["id"].as_str().map(str::to_owned)).collect()
}

/// Connects the TikTok shop [`SHOP`] of a new seller to `sim`; the owner's token.
async fn tiktok_seller(d: &TestDaemon, sim: &tiktok::SimHandle) -> String {
    let (owner, shop_id, _) = d.seller("TikTok Seller", "tiktok", SHOP).await;
    let credentials = json!({
        "app_key": "sim_app_key", "app_secret": "sim_app_secret",
        "access_token": sim.access_token(SHOP).unwrap(),
        "shop_cipher": sim.shop_cipher(SHOP).unwrap(),
    });
    let body = json!({"api_base": sim.base_url(), "credentials": credentials});
    let (status, view) = d.connect(&owner, &shop_id, body).await;
    assert_eq!(status, 200, "{view}");
    sim.set_webhook_url(Some(d.url(&format!("/webhooks/tiktok/{shop_id}"))));
    owner
}

/// Connects an AliExpress shop of a new seller to `sim`, with a conversation of each of
/// `buyers` (who wrote on AliExpress); the owner's token.
async fn aliexpress_seller(d: &TestDaemon, sim: &aliexpress::SimHandle, buyers: u32) -> String {
    let (owner, shop, seller) = d.aliexpress_seller(sim).await;
    for n in 1..=buyers {
        let buyer = Buyer::new(n);
        sim.add_buyer_message(&seller, &buyer, BuyerMessage::text("¿Hola?")).unwrap();
        d.ingest(&shop, message(&buyer.login_id, &format!("ae-{n}"), "¿Hola?")).await;
    }
    owner
}

/// The delivery status of every reply the owner sent.
async fn reply_statuses(d: &TestDaemon, token: &str) -> Vec<String> {
    let mut out = Vec::new();
    for conversation in conversation_ids(d, token).await {
        let page: Value = d.messages(token, &conversation).await;
        for m in page["items"].as_array().cloned().unwrap_or_default() {
            if m["direction"] == "out" {
                out.push(m["delivery_status"].as_str().unwrap_or_default().to_owned());
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_platform_does_not_delay_other_platforms() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let (c1, c2) = (clock.clone(), clock.clone());
    let tt = TikTokSim::start(tiktok::SimConfig {
        clock: Arc::new(move || c1.now()),
        ..Default::default()
    })
    .await
    .unwrap();
    let ae = AliExpressSim::start(aliexpress::SimConfig {
        clock: Arc::new(move || c2.now()),
        ..Default::default()
    })
    .await
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let d = start_configured(&url, tmp.path().to_path_buf(), clock as Arc<dyn Clock>, |c| {
        c.outbox.per_platform = 2;
    })
    .await;
    let tt_owner = tiktok_seller(&d, &tt).await;
    for n in 0..3 {
        let delivery = push_text(&tt, &format!("conv-h{n}"), &format!("600{n}"), "hello?").await;
        assert_eq!(delivery.status(), 200);
    }
    let ae_owner = aliexpress_seller(&d, &ae, 2).await;
    assert!(eventually(|| async { conversation_ids(&d, &tt_owner).await.len() == 3 }).await);

    // TikTok hangs: it takes requests and never answers until released.
    tt.hang();
    for conversation in conversation_ids(&d, &tt_owner).await {
        assert_eq!(d.reply(&tt_owner, &conversation, "On its way").await.0, 202);
    }
    for conversation in conversation_ids(&d, &ae_owner).await {
        assert_eq!(d.reply(&ae_owner, &conversation, "En camino").await.0, 202);
    }
    // AliExpress's replies are delivered while TikTok's hang, and TikTok holds only its
    // two slots (its third reply waits for one, unclaimed).
    let ae_delivered =
        eventually(|| async { reply_statuses(&d, &ae_owner).await == ["delivered", "delivered"] });
    assert!(ae_delivered.await, "AliExpress waited for TikTok: {:?}", ae.sent_messages());
    assert_eq!(ae.sent_messages().len(), 2);
    assert!(eventually(|| async { tt.held() == 2 }).await, "held: {}", tt.held());
    assert!(tt.sent_messages().is_empty());
    assert_eq!(reply_statuses(&d, &tt_owner).await, ["pending"; 3]);

    // TikTok answers again: its replies go out, each once.
    tt.release();
    let tt_delivered =
        eventually(|| async { reply_statuses(&d, &tt_owner).await == ["delivered"; 3] });
    assert!(tt_delivered.await, "{:?}", reply_statuses(&d, &tt_owner).await);
    assert_eq!(tt.sent_messages().len(), 3);
    assert_eq!(ae.sent_messages().len(), 2);
}
