//! What a reply is worth in the web inbox: with the shop's first-reply target set, the
//! list sorted "most urgent first" puts the conversation nearest its breach on top (the
//! newest message first otherwise), and its row says in words what answering now keeps.

use crate::inbox::{eventually, owner_get, owner_send, world};
use serde_json::{Value, json};
use shopmux::demo::DemoHandle;
use shopmux_core::{Clock, ManualClock};
use std::sync::Arc;

/// A buyer message to an `api` shop through its signed inbound; its conversation.
async fn inbound(demo: &DemoHandle, shop: &str, secret: &str, buyer: &str, id: &str) -> String {
    let body = json!({
        "buyer": {"external_id": buyer, "nickname": buyer},
        "platform_message_id": id,
        "content": {"type": "text", "text": "Is it still available?"},
    });
    let raw = serde_json::to_vec(&body).unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/shops/{shop}/inbound", demo.base_url))
        .header("x-shopmux-signature", shopmux_adapter_api::sign::sign(secret, &raw))
        .header("content-type", "application/json")
        .body(raw)
        .send()
        .await
        .expect("the inbound answers");
    assert!(response.status().is_success(), "{}", response.status());
    let stored: Value = response.json().await.expect("JSON");
    stored["conversation_id"].as_str().expect("a conversation").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn most_urgent_first_puts_the_nearest_breach_on_top_with_its_deadline_in_words() {
    // The daemon's clock stands still unless moved, at the browser's real time.
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let Some(w) = world(Some(clock.clone() as Arc<dyn Clock>)).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let created = owner_send(
        demo,
        reqwest::Method::POST,
        "/shops",
        json!({"platform": "api", "external_id": "sla-shop", "name": "SLA shop",
               "settings": {"service_level": {"first_reply_minutes": 10}}}),
    )
    .await;
    let shop = created["shop"]["id"].as_str().expect("a shop").to_owned();
    let secret = created["ingest_secret"].as_str().expect("a secret").to_owned();
    // Early writes first, Late two minutes later: Late is the newest, Early the most urgent.
    let early = inbound(demo, &shop, &secret, "early-bird", "m-early").await;
    clock.advance(chrono::Duration::minutes(2));
    let late = inbound(demo, &shop, &secret, "late-comer", "m-late").await;
    eventually("both in the shop's list", || async {
        let page = owner_get(demo, &format!("/conversations?shop_id={shop}")).await;
        (page["items"].as_array().map_or(0, Vec::len) == 2).then_some(())
    })
    .await;

    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.find(&format!("#scope option[value=\"s:{shop}\"]")).await;
    page.eval(&format!(
        "const s = document.getElementById('scope'); s.value = 's:{shop}'; \
         s.dispatchEvent(new Event('change')); return true"
    ))
    .await;
    let order =
        "return [...document.querySelectorAll('.rows .row')].map(r => r.dataset.id).join(',')";
    page.until("the newest first by default", &format!("{order} === '{late},{early}'")).await;
    page.eval(
        "const s = document.querySelector('.searchbar select'); s.value = 'urgent'; \
         s.dispatchEvent(new Event('change')); return true",
    )
    .await;
    page.until("the nearest breach on top", &format!("{order} === '{early},{late}'")).await;
    let text = page
        .until(
            "the deadline in words",
            &format!("return document.querySelector('#row-{early} .urgency')?.textContent"),
        )
        .await;
    let text = text.as_str().unwrap_or_default().to_owned();
    assert!(
        text.starts_with("Reply within") && text.contains("to meet the shop's 10 m target"),
        "{text}"
    );
    page.open_row(&format!("#row-{early}")).await;
    page.until(
        "the chat head shows it too",
        "return document.querySelector('.chat-head .urgency')?.textContent.includes('10 m target')",
    )
    .await;
    page.screenshot("docs/most-urgent-first.png").await;
    page.close().await;
    w.stop().await;
}
