//! TikTok Shop end to end, against the simulator (`shopmux-simulator`), which speaks the
//! Partner API and its webhooks and checks every signature: a signed buyer message
//! reaches the inbox and the stream, the agent's reply is signed and delivered, bad
//! webhooks are refused and store nothing, and under injected faults every reply is
//! delivered exactly once or visibly failed after the retry budget.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};
use shopmux_core::{Clock, ManualClock};
use shopmux_simulator::tiktok::{Buyer, BuyerMessage, SimConfig, SimHandle};
use shopmux_simulator::{AfterHold, Faults, TikTokSim, WebhookFaults};
use std::sync::Arc;
use std::time::Duration;

const SHOP: &str = "7494049642642441621";

/// A daemon and a TikTok simulator sharing one clock, with a connected TikTok shop.
struct Setup {
    d: TestDaemon,
    sim: SimHandle,
    clock: Arc<ManualClock>,
    owner: String,
    shop_id: String,
}

async fn setup() -> Setup {
    setup_with(SimConfig::default()).await
}

async fn setup_with(config: SimConfig) -> Setup {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let sim_clock = clock.clone();
    let sim = TikTokSim::start(SimConfig {
        clock: Arc::new(move || sim_clock.now()),
        ..config
    })
    .await
    .expect("simulator");
    let d = start_with_clock(clock.clone() as Arc<dyn Clock>).await;
    let owner = d.owner("TikTok Seller").await;
    let (shop_id, _) = d.marketplace_shop(&owner, "tiktok", SHOP).await;
    let (status, view) = d
        .call(
            Method::PUT,
            &format!("/api/v1/shops/{shop_id}/connection"),
            Some(&owner),
            Some(json!({
                "api_base": sim.base_url(),
                "credentials": {
                    "app_key": "sim_app_key",
                    "app_secret": "sim_app_secret",
                    "access_token": sim.access_token(SHOP).unwrap(),
                    "shop_cipher": sim.shop_cipher(SHOP).unwrap(),
                    "refresh_token": sim.refresh_token(SHOP).unwrap(),
                    "auth_base": sim.base_url(),
                }
            })),
        )
        .await;
    assert_eq!(status, 200, "{view}");
    assert!(
        !view.to_string().contains("sim_app_secret"),
        "a secret was returned: {view}"
    );
    assert_eq!(view["status"], "unverified");
    sim.set_webhook_url(Some(d.url(&format!("/webhooks/tiktok/{shop_id}"))));
    Setup {
        d,
        sim,
        clock,
        owner,
        shop_id,
    }
}

async fn messages(d: &TestDaemon, token: &str, conversation: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let cursor = before
            .as_ref()
            .map(|c| format!("&before={c}"))
            .unwrap_or_default();
        let (_, page) = d
            .call(
                Method::GET,
                &format!("/api/v1/conversations/{conversation}/messages?limit=200{cursor}"),
                Some(token),
                None,
            )
            .await;
        let mut items = page["items"].as_array().cloned().unwrap_or_default();
        items.append(&mut all);
        all = items;
        match page["prev_cursor"].as_str() {
            Some(c) => before = Some(c.to_owned()),
            None => return all,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_webhook_reaches_the_inbox_and_the_reply_is_signed_and_delivered() {
    let Setup {
        d,
        sim,
        owner,
        shop_id,
        ..
    } = setup().await;
    let mut ws = d.stream(&owner).await;
    let buyer = Buyer::new("1001");
    let delivery = sim
        .push_new_message(
            SHOP,
            "conv-1",
            &buyer,
            BuyerMessage::text("Where is my parcel?"),
        )
        .await
        .unwrap();
    assert_eq!(delivery.status(), 200, "{:?}", delivery);
    let created = next_event(&mut ws, |e| e["type"] == "message_created").await;
    assert_eq!(created["message"]["content"]["text"], "Where is my parcel?");
    let conversation = created["message"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let (status, reply) = d
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&owner),
            Some(json!({"content": {"type": "text", "text": "It ships today."}})),
        )
        .await;
    assert_eq!(status, 202, "{reply}");
    let id = reply["id"].as_str().unwrap().to_owned();
    let delivered = next_event(&mut ws, |e| {
        e["type"] == "message_updated" && e["message"]["id"] == id.as_str()
    })
    .await;
    assert_eq!(
        delivered["message"]["delivery_status"], "delivered",
        "{delivered}"
    );
    // The simulator accepted it only with a valid signature, token and cipher.
    let sent = sim.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].conversation_id, "conv-1");
    assert_eq!(sent[0].kind, "TEXT");
    assert!(sent[0].content.contains("It ships today."));
    assert_eq!(
        delivered["message"]["platform_message_id"],
        sent[0].message_id.as_str()
    );
    let (_, view) = d
        .call(
            Method::GET,
            &format!("/api/v1/shops/{shop_id}/connection"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(view["status"], "connected", "{view}");

    // A redelivered notification stores nothing new.
    sim.set_webhook_faults(WebhookFaults {
        duplicate: true,
        ..Default::default()
    });
    let again = sim
        .push_new_message(SHOP, "conv-1", &buyer, BuyerMessage::text("Thanks!"))
        .await
        .unwrap();
    assert!(again.statuses.iter().all(|s| *s == 200), "{again:?}");
    assert_eq!(again.statuses.len(), 2, "delivered twice");
    let texts: Vec<Value> = messages(&d, &owner, &conversation)
        .await
        .iter()
        .map(|m| m["content"]["text"].clone())
        .collect();
    assert_eq!(
        texts.iter().filter(|t| *t == "Thanks!").count(),
        1,
        "{texts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_truncated_bodies_and_wrong_shops_are_refused_and_store_nothing() {
    let Setup {
        d,
        sim,
        owner,
        shop_id,
        ..
    } = setup().await;
    sim.set_webhook_faults(WebhookFaults {
        bad_signature: true,
        ..Default::default()
    });
    let refused = sim
        .push_new_message(
            SHOP,
            "conv-2",
            &Buyer::new("2002"),
            BuyerMessage::text("forged"),
        )
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "{refused:?}");

    let body = json!({"type": 14, "tts_notification_id": "n-9", "shop_id": SHOP, "timestamp": 1_700_000_000,
        "data": {"message_id": "m-9", "conversation_id": "conv-9", "type": "TEXT",
                 "content": "{\"content\":\"hi\"}", "create_time": 1_700_000_000, "is_visible": true,
                 "sender": {"im_user_id": "93003", "role": "BUYER"}}})
    .to_string();
    let signature = shopmux_adapter_tiktok::sign::webhook_signature(
        "sim_app_key",
        "sim_app_secret",
        body.as_bytes(),
    );
    let post = |path: String, body: Vec<u8>, signature: String| async move {
        decode(
            client()
                .post(path)
                .header("authorization", signature)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap(),
        )
        .await
    };
    // Truncated in transit: the signature no longer matches.
    let truncated = body.as_bytes()[..body.len() - 10].to_vec();
    let (status, err) = post(
        d.url(&format!("/webhooks/tiktok/{shop_id}")),
        truncated,
        signature.clone(),
    )
    .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("bad_signature")),
        "{err}"
    );
    // Signed by the app, but for another shop than the URL's.
    let (other_id, _) = d.marketplace_shop(&owner, "tiktok", "another-shop").await;
    d.call(
        Method::PUT,
        &format!("/api/v1/shops/{other_id}/connection"),
        Some(&owner),
        Some(json!({"credentials": {"app_key": "sim_app_key", "app_secret": "sim_app_secret"}})),
    )
    .await;
    let (status, err) = post(
        d.url(&format!("/webhooks/tiktok/{other_id}")),
        body.clone().into_bytes(),
        signature.clone(),
    )
    .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (400, Some("bad_webhook")),
        "{err}"
    );
    // An unknown shop, and a platform the shop is not on.
    let (status, _) = post(
        d.url("/webhooks/tiktok/01a20000-0000-7000-8000-000000000000"),
        body.clone().into_bytes(),
        signature.clone(),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = post(
        d.url(&format!("/webhooks/douyin/{shop_id}")),
        body.into_bytes(),
        signature,
    )
    .await;
    assert_eq!(status, 404);

    let (_, list) = d
        .call(
            Method::GET,
            "/api/v1/conversations?status=all",
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "{list}");
    let metrics = client()
        .get(d.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("shopmux_webhooks_total{result=\"bad_signature\"} 2"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_5xx_and_dropped_connections_1000_replies_are_delivered_once_or_failed_visibly() {
    let Setup {
        d,
        sim,
        clock,
        owner,
        ..
    } = setup().await;
    let mut ws = d.stream(&owner).await;
    sim.push_new_message(
        SHOP,
        "conv-3",
        &Buyer::new("3003"),
        BuyerMessage::text("hello"),
    )
    .await
    .unwrap();
    let created = next_event(&mut ws, |e| e["type"] == "message_created").await;
    let conversation = created["message"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    drop(ws);
    // Half the sends get a 5xx, a tenth lose their connection before TikTok reads them.
    sim.set_faults(Faults {
        seed: 42,
        server_error: 0.5,
        timeout: 0.1,
        hold: Duration::ZERO,
        after_hold: AfterHold::Drop,
        ..Default::default()
    })
    .unwrap();
    for i in 0..1000 {
        let (status, body) = d
            .call(
                Method::POST,
                &format!("/api/v1/conversations/{conversation}/messages"),
                Some(&owner),
                Some(json!({"content": {"type": "text", "text": format!("reply {i}")}})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
    }
    // Drive the retries by moving the shared clock past each backoff, in steps shorter
    // than the delivery lease (60 s), as real time would.
    for _ in 0..100 {
        while d.inbox.deliver_now().await.unwrap() > 0 {}
        let pending = messages(&d, &owner, &conversation)
            .await
            .iter()
            .filter(|m| m["delivery_status"] == "pending")
            .count();
        if pending == 0 {
            break;
        }
        clock.advance(chrono::Duration::seconds(50));
    }
    let mine: Vec<Value> = messages(&d, &owner, &conversation)
        .await
        .into_iter()
        .filter(|m| m["direction"] == "out")
        .collect();
    assert_eq!(mine.len(), 1000);
    let delivered = mine
        .iter()
        .filter(|m| m["delivery_status"] == "delivered")
        .count();
    let failed = mine
        .iter()
        .filter(|m| m["delivery_status"] == "failed")
        .count();
    assert_eq!(delivered + failed, 1000, "none left pending");
    for m in mine.iter().filter(|m| m["delivery_status"] == "failed") {
        assert!(
            m["delivery_error"]
                .as_str()
                .unwrap_or_default()
                .contains("http_5")
                || m["delivery_error"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("transport"),
            "{m}"
        );
    }
    // Exactly once: TikTok accepted each delivered reply once, and nothing else.
    let sent = sim.sent_messages();
    let mut texts: Vec<String> = sent.iter().map(|s| s.content.clone()).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), sent.len(), "a reply reached TikTok twice");
    assert_eq!(sent.len(), delivered, "delivered = accepted by TikTok");
    eprintln!(
        "1000 replies under faults: {delivered} delivered, {failed} failed after the retry budget"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_access_token_is_refreshed_and_the_reply_still_goes_out() {
    let Setup {
        d,
        sim,
        clock,
        owner,
        shop_id,
    } = setup_with(SimConfig {
        access_token_ttl: chrono::TimeDelta::hours(1),
        ..Default::default()
    })
    .await;
    let mut ws = d.stream(&owner).await;
    sim.push_new_message(
        SHOP,
        "conv-4",
        &Buyer::new("4004"),
        BuyerMessage::text("hi"),
    )
    .await
    .unwrap();
    let created = next_event(&mut ws, |e| e["type"] == "message_created").await;
    let conversation = created["message"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_token = sim.access_token(SHOP).unwrap();
    // Two hours later the token TikTok issued has expired.
    clock.advance(chrono::Duration::hours(2));
    let (status, reply) = d
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&owner),
            Some(json!({"content": {"type": "text", "text": "still here"}})),
        )
        .await;
    assert_eq!(status, 202, "{reply}");
    let id = reply["id"].as_str().unwrap().to_owned();
    let done = next_event(&mut ws, |e| {
        e["type"] == "message_updated" && e["message"]["id"] == id.as_str()
    })
    .await;
    assert_eq!(done["message"]["delivery_status"], "delivered", "{done}");
    // The refreshed pair is stored for the next calls, and the old one is gone.
    let new_token = sim.access_token(SHOP).unwrap();
    assert_ne!(new_token, old_token);
    let stored = d
        .inbox
        .shop_connection(shop_id.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.credentials["access_token"], new_token);
    assert_eq!(
        stored.credentials["refresh_token"],
        sim.refresh_token(SHOP).unwrap()
    );
    let (_, view) = d
        .call(
            Method::GET,
            &format!("/api/v1/shops/{shop_id}/connection"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(view["status"], "connected", "{view}");
    assert!(
        !view.to_string().contains(&new_token),
        "a token was returned: {view}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_webhooks_missed_are_caught_up_by_polling_exactly_once() {
    let Setup { d, sim, owner, .. } = setup().await;
    // The webhooks are lost (refused as unsigned): the messages exist only at TikTok.
    sim.set_webhook_faults(WebhookFaults {
        bad_signature: true,
        ..Default::default()
    });
    let lost = sim
        .push_new_messages(
            SHOP,
            "conv-5",
            &Buyer::new("5005"),
            vec![
                BuyerMessage::text("first"),
                BuyerMessage::text("second"),
                BuyerMessage::text("third"),
            ],
        )
        .await
        .unwrap();
    assert!(lost.iter().all(|l| l.status() == 401), "{lost:?}");
    let (_, list) = d
        .call(Method::GET, "/api/v1/conversations", Some(&owner), None)
        .await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0));

    // The poll (at start, then each interval) catches up.
    assert_eq!(d.inbox.poll_now().await.unwrap(), 3);
    let (_, list) = d
        .call(Method::GET, "/api/v1/conversations", Some(&owner), None)
        .await;
    let conversation = list["items"][0]["id"].as_str().unwrap().to_owned();
    let texts: Vec<Value> = messages(&d, &owner, &conversation)
        .await
        .iter()
        .map(|m| m["content"]["text"].clone())
        .collect();
    assert_eq!(texts, vec![json!("first"), json!("second"), json!("third")]);
    // Polling again, and the webhook arriving late after all, store nothing twice.
    assert_eq!(d.inbox.poll_now().await.unwrap(), 0);
    sim.set_webhook_faults(WebhookFaults::default());
    sim.push_new_message(
        SHOP,
        "conv-5",
        &Buyer::new("5005"),
        BuyerMessage::text("fourth"),
    )
    .await
    .unwrap();
    assert_eq!(
        d.inbox.poll_now().await.unwrap(),
        0,
        "the webhook already stored it"
    );
    assert_eq!(messages(&d, &owner, &conversation).await.len(), 4);
    // A reply reaches the conversation the poll learned.
    let (status, _) = d
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/messages"),
            Some(&owner),
            Some(json!({"content": {"type": "text", "text": "all four read"}})),
        )
        .await;
    assert_eq!(status, 202);
    let mut delivered = false;
    for _ in 0..50 {
        d.inbox.deliver_now().await.unwrap();
        if sim
            .sent_messages()
            .iter()
            .any(|m| m.conversation_id == "conv-5")
        {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(delivered, "the reply went to conv-5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_a_conversation_marks_it_read_on_tiktok() {
    let Setup { d, sim, owner, .. } = setup().await;
    let mut ws = d.stream(&owner).await;
    sim.push_new_message(
        SHOP,
        "conv-6",
        &Buyer::new("6006"),
        BuyerMessage::text("hello?"),
    )
    .await
    .unwrap();
    let created = next_event(&mut ws, |e| e["type"] == "message_created").await;
    let conversation = created["message"]["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(sim.conversation(SHOP, "conv-6").unwrap().unread_count, 1);
    let (status, _) = d
        .call(
            Method::POST,
            &format!("/api/v1/conversations/{conversation}/read"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 200);
    // The platform call runs in the background, after the inbox state changed.
    let mut read = false;
    for _ in 0..100 {
        if sim.conversation(SHOP, "conv-6").unwrap().unread_count == 0 {
            read = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(read, "TikTok still shows the buyer's message unread");
}
