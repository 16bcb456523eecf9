//! `shopmux demo` end to end (in-process, on a temporary SQLite file and a free port):
//! within 30 s the owner's conversation list holds conversations of every marketplace
//! (both TikTok shops, AliExpress, Shopify, Douyin) and the live stream carries them;
//! replies typed through the API reach the right simulator, which accepted them only with
//! a valid signature (TikTok, AliExpress), or the storefront customer's socket (Shopify);
//! a Douyin reply fails visibly (no chat API); a second run on the same database starts.

use crate::support::*;
use serde_json::{Value, json};
use shopmux::config::{Config, RawConfig};
use shopmux::demo::{DemoHandle, DemoOptions, start_demo};
use std::time::{Duration, Instant};

/// The defaults on a free port and a SQLite file in `dir` (the key file and the plugin
/// folder beside it).
fn demo_config(dir: &std::path::Path) -> Config {
    let mut raw = RawConfig::default();
    raw.server.bind = "127.0.0.1:0".into();
    raw.database.url = format!("sqlite://{}/shopmux.db", dir.display());
    raw.validate().expect("the demo configuration is valid")
}

async fn get(demo: &DemoHandle, path: &str) -> Value {
    let resp = client()
        .get(format!("{}{path}", demo.base_url))
        .bearer_auth(&demo.owner_token)
        .send()
        .await
        .expect("request");
    let (status, body) = decode(resp).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// The open conversations of a platform.
async fn conversations(demo: &DemoHandle, platform: &str) -> Vec<Value> {
    get(demo, &format!("/api/v1/conversations?platform={platform}&limit=100")).await["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn reply(demo: &DemoHandle, conversation: &str, text: &str) -> String {
    let resp = client()
        .post(format!("{}/api/v1/conversations/{conversation}/messages", demo.base_url))
        .bearer_auth(&demo.owner_token)
        .json(&json!({"content": {"type": "text", "text": text}}))
        .send()
        .await
        .expect("request");
    let (status, body) = decode(resp).await;
    assert_eq!(status, 202, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// Waits (polling, until `deadline`) for the reply's delivery to settle; its message.
async fn settled(demo: &DemoHandle, conversation: &str, id: &str, deadline: Instant) -> Value {
    loop {
        let page =
            get(demo, &format!("/api/v1/conversations/{conversation}/messages?limit=200")).await;
        let mine = page["items"]
            .as_array()
            .and_then(|items| items.iter().find(|m| m["id"] == id).cloned());
        if let Some(m) = mine
            && matches!(m["delivery_status"].as_str(), Some("delivered" | "failed"))
        {
            return m;
        }
        assert!(Instant::now() < deadline, "reply {id} never settled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_fills_the_inbox_from_every_marketplace_and_replies_reach_each_simulator() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let config = demo_config(tmp.path());
    let started = Instant::now();
    let demo = start_demo(&config, DemoOptions::default()).await.expect("the demo starts");
    let summary = demo.summary();
    assert!(summary.contains(&demo.owner_token), "{summary}");
    assert!(
        summary.contains(&format!(
            "curl -H \"authorization: Bearer {}\" {}/api/v1/conversations",
            demo.owner_token, demo.base_url
        )),
        "{summary}"
    );
    assert!(summary.contains(&demo.stream_url()));
    assert_eq!(demo.shops.len(), 5);
    assert_eq!(demo.agents.len(), 3);
    let mut stream =
        tokio_tungstenite::connect_async(demo.stream_url()).await.expect("the stream connects").0;

    // Within 30 s: conversations of all four platforms, both TikTok shops among them.
    let deadline = started + Duration::from_secs(30);
    let tiktok_gb = demo.shop("tiktok", Some("GB")).unwrap().id.clone();
    let tiktok_es = demo.shop("tiktok", Some("ES")).unwrap().id.clone();
    let (tiktok, aliexpress, shopify, douyin) = loop {
        let tiktok = conversations(&demo, "tiktok").await;
        let aliexpress = conversations(&demo, "aliexpress").await;
        let shopify = conversations(&demo, "shopify").await;
        let douyin = conversations(&demo, "douyin").await;
        let in_shop = |shop: &str| tiktok.iter().any(|c| c["shop_id"] == shop);
        if in_shop(&tiktok_gb)
            && in_shop(&tiktok_es)
            && !aliexpress.is_empty()
            && !shopify.is_empty()
            && !douyin.is_empty()
        {
            break (tiktok, aliexpress, shopify, douyin);
        }
        assert!(
            Instant::now() < deadline,
            "not every marketplace within 30 s: tiktok GB {} ES {}, aliexpress {}, shopify {}, douyin {}",
            in_shop(&tiktok_gb),
            in_shop(&tiktok_es),
            aliexpress.len(),
            shopify.len(),
            douyin.len()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    // The list filters by platform, and the stream carries the buyers' messages live.
    for (platform, items) in [
        ("tiktok", &tiktok),
        ("aliexpress", &aliexpress),
        ("shopify", &shopify),
        ("douyin", &douyin),
    ] {
        assert!(items.iter().all(|c| c["platform"] == platform), "{items:?}");
    }
    let created = next_event(&mut stream, |e| e["type"] == "message_created").await;
    assert_eq!(created["message"]["direction"], "in", "{created}");

    let deadline = Instant::now() + Duration::from_secs(10);
    // TikTok: delivered, and the simulator (which checks the signature, token and
    // cipher) accepted it.
    let tt = tiktok.iter().find(|c| c["shop_id"] == tiktok_gb.as_str()).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = reply(&demo, &tt, "Hi! It ships tomorrow morning.").await;
    let m = settled(&demo, &tt, &id, deadline).await;
    assert_eq!(m["delivery_status"], "delivered", "{m}");
    let sent = demo.simulators.tiktok.sent_messages();
    assert!(
        sent.iter().any(|s| {
            s.shop_id == demo.shop("tiktok", Some("GB")).unwrap().external_id
                && s.content.contains("It ships tomorrow morning.")
        }),
        "{sent:?}"
    );

    // AliExpress: delivered with a signed addmsg.
    let ae = aliexpress[0]["id"].as_str().unwrap().to_owned();
    let id = reply(&demo, &ae, "Dzień dobry, paczka jest już w Polsce.").await;
    let m = settled(&demo, &ae, &id, deadline).await;
    assert_eq!(m["delivery_status"], "delivered", "{m}");
    let sent = demo.simulators.aliexpress.sent_messages();
    assert!(sent.iter().any(|s| s.content.contains("paczka jest już w Polsce")), "{sent:?}");

    // Shopify: the first customer is still in the store; the reply goes over the chat
    // and reaches their socket.
    let mut online = None;
    for c in &shopify {
        let id = c["id"].as_str().unwrap();
        let detail = get(&demo, &format!("/api/v1/conversations/{id}")).await;
        if detail["reply_route"] == "chat" {
            online = Some(id.to_owned());
            break;
        }
        assert!(
            matches!(detail["reply_route"].as_str(), Some("email" | "unreachable")),
            "{detail}"
        );
    }
    let sh = online.expect("a storefront customer is in the store");
    let id = reply(&demo, &sh, "¡Hola! La camisa es de talla normal.").await;
    let m = settled(&demo, &sh, &id, deadline).await;
    assert_eq!(m["delivery_status"], "delivered", "{m}");
    // The frame was handed to the customer's socket; its task records it.
    while !demo
        .storefront_replies()
        .iter()
        .any(|r| r.content["text"] == "¡Hola! La camisa es de talla normal.")
    {
        assert!(
            Instant::now() < deadline,
            "the reply never reached the customer: {:?}",
            demo.storefront_replies()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Douyin: Feige chat has no open API; the reply fails visibly with the reason.
    let dy = douyin[0]["id"].as_str().unwrap().to_owned();
    let id = reply(&demo, &dy, "您好，已经为您安排退货。").await;
    let m = settled(&demo, &dy, &id, deadline).await;
    assert_eq!(m["delivery_status"], "failed", "{m}");
    assert!(m["delivery_error"].as_str().unwrap_or_default().contains("no_im_api"), "{m}");
    demo.stop().await.expect("the demo stops cleanly");

    // A second run on the same database starts, with a fresh seller and shops.
    let first_shops: Vec<String> = demo_shops_of(&config).await;
    let again = start_demo(&config, DemoOptions::default())
        .await
        .expect("the demo starts again on the same database");
    for shop in &again.shops {
        assert!(!first_shops.contains(&shop.id), "{shop:?} reused");
    }
    let (status, me) = {
        let resp = client()
            .get(format!("{}/api/v1/me", again.base_url))
            .bearer_auth(&again.owner_token)
            .send()
            .await
            .unwrap();
        decode(resp).await
    };
    assert_eq!(status, 200, "{me}");
    again.stop().await.expect("the second run stops cleanly");
}

/// The ids of every shop in the demo's database.
async fn demo_shops_of(config: &Config) -> Vec<String> {
    let store = shopmux_core::Store::open(&shopmux_core::StoreOptions::new(
        config.database.url.as_str().to_owned(),
    ))
    .await
    .unwrap();
    let ids: Vec<String> =
        sqlx::query_scalar("SELECT id FROM shops").fetch_all(store.pool()).await.unwrap();
    store.close().await;
    assert_eq!(ids.len(), 5, "{ids:?}");
    ids
}
