//! Settings → Shops → "Connect a Shopify store" in a real browser, against the demo's
//! connectable store (a Shopify simulator with an installable app): the owner names the
//! store, consents on the simulated page, comes back to Settings with the store
//! connected, and a message its customer writes appears in the inbox. A tampered
//! callback (the same one replayed) is refused and changes nothing.

use crate::inbox::{eventually, owner_get, world};
use futures_util::SinkExt;
use serde_json::{Value, json};
use shopmux::demo::connect::CLIENT_SECRET;
use shopmux_simulator::shopify::proxy::{ProxiedRequest, signed_query};

const STORE: &str = "maple-and-moss.myshopify.com";

/// The customer `42` of the store, signed in through the app proxy, writes `text`.
async fn customer_writes(base: &str, shop: &str, text: &str) {
    let request = ProxiedRequest {
        shop: STORE,
        logged_in_customer_id: Some("42"),
        path_prefix: "/apps/shopmux",
        timestamp: chrono::Utc::now().timestamp(),
        extra: &[],
    };
    let session: Value = reqwest::Client::new()
        .post(format!("{base}/storefront/{shop}/proxy/sessions"))
        .query(&signed_query(CLIENT_SECRET, &request))
        .json(&json!({"name": "Mia"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["token"].as_str().expect("a session").to_owned();
    let url = format!("{}/storefront/{shop}/chat?token={token}", base.replace("http://", "ws://"));
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let frame = json!({"id": "1", "content": {"type": "text", "text": text}}).to_string();
    ws.send(tokio_tungstenite::tungstenite::Message::Text(frame.into())).await.unwrap();
    // Keep the customer in the store until the message is in.
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_secs(30)).await;
        drop(ws);
    });
}

#[tokio::test]
async fn the_owner_connects_a_shopify_store_in_one_click() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.click(".menu-item[data-view=settings]").await;
    page.type_into("form[data-connect=shopify] input[name=shop]", STORE).await;
    page.click("form[data-connect=shopify] button[type=submit]").await;
    // The store's consent page (the simulator's), then back to Settings.
    page.until("the consent page", "return document.title === 'Install app'").await;
    page.click("#install").await;
    let done = page
        .until("back in Settings", "return document.querySelector('#connect-result')?.textContent")
        .await;
    assert!(done.as_str().unwrap().contains("Connected"), "{done}");
    assert_eq!(page.eval("return location.search").await, json!(""), "the result is shown once");
    let shops = owner_get(demo, "/shops").await;
    let shop =
        shops.as_array().unwrap().iter().find(|s| s["external_id"] == STORE).expect("the store");
    let id = shop["id"].as_str().unwrap().to_owned();
    let connection = owner_get(demo, &format!("/shops/{id}/connection")).await;
    assert_eq!(connection["status"], "connected", "{connection}");
    assert!(demo.connect_store.subscribed_url("APP_UNINSTALLED").is_some());
    page.screenshot("docs/connect-shopify.png").await;
    // The store's customer writes: the message appears in the inbox.
    customer_writes(&demo.base_url, &id, "Do you ship the moss throw to Oslo?").await;
    page.click(".menu-item[data-view=inbox]").await;
    page.until(
        "the customer's message in the inbox",
        "return document.body.innerText.includes('Do you ship the moss throw to Oslo?')",
    )
    .await;
    // The shop's card shows its status and a Reconnect button.
    page.click(".menu-item[data-view=settings]").await;
    page.click(&format!("details.card[data-shop=\"{id}\"] summary")).await;
    page.find(&format!("button[data-reconnect=\"{id}\"]")).await;
    let shown = page
        .until("the connection's status", &format!("return document.querySelector('details.card[data-shop=\"{id}\"] .settings-sub p')?.textContent"))
        .await;
    assert!(shown.as_str().unwrap().contains("connected"), "{shown}");
    // Starting again and replaying an old callback is refused; nothing changes.
    let n_before = owner_get(demo, "/shops").await.as_array().unwrap().len();
    let replayed = format!(
        "{}/connect/shopify/callback?code=x&shop={STORE}&state=a.b&timestamp=1&hmac=00",
        demo.base_url
    );
    page.goto(&replayed).await;
    let refused = page
        .until("the refusal", "return document.querySelector('#connect-result')?.textContent")
        .await;
    assert!(refused.as_str().unwrap().contains("Not connected"), "{refused}");
    let n_after = eventually("the shops listed", || async {
        Some(owner_get(demo, "/shops").await.as_array().unwrap().len())
    })
    .await;
    assert_eq!(n_before, n_after);
    page.close().await;
    w.stop().await;
}
