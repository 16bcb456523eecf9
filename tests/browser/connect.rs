//! Settings → Shops → "Connect a …" in a real browser, one test per platform against its
//! simulator: the owner starts, consents on the simulated page, comes back to Settings
//! with the shop connected, and what its buyer does appears in the inbox (a message; on
//! Douyin, which has no chat API, an order card). Shopify's store is the demo's
//! connectable store; the other platforms' simulators are started before the demo, whose
//! daemon is configured with their apps. A tampered Shopify callback (the same one
//! replayed) is refused and changes nothing.

use crate::inbox::{World, eventually, owner_get, world, world_configured};
use crate::support::Page;
use futures_util::SinkExt;
use serde_json::{Value, json};
use shopmux::config::Config;
use shopmux::demo::connect::CLIENT_SECRET;
use shopmux_contract::adapter::AuthorizationApp;
use shopmux_simulator::shopify::proxy::{ProxiedRequest, signed_query};
use shopmux_simulator::{AliExpressSim, DouyinSim, TikTokSim, aliexpress, douyin, tiktok};

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

/// One platform's connection as the owner makes it.
struct Connecting<'a> {
    platform: &'a str,
    /// The store address the owner types (Shopify's), if the form needs one.
    store: Option<&'a str>,
    /// The simulated consent page's title and its consent button.
    consent: (&'a str, &'a str),
    /// The shop's id at the platform.
    external_id: &'a str,
}

/// The owner signs in, connects the shop in Settings through the simulated consent page
/// and is back in Settings with it connected. Returns the page and the shop's id.
async fn connect_in_one_click(w: &World, c: &Connecting<'_>) -> (Page, String) {
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.click(".menu-item[data-view=settings]").await;
    let form = format!("form[data-connect={}]", c.platform);
    if let Some(store) = c.store {
        page.type_into(&format!("{form} input[name=shop]"), store).await;
    }
    page.click(&format!("{form} button[type=submit]")).await;
    let (title, button) = c.consent;
    page.until("the consent page", &format!("return document.title === {title:?}")).await;
    page.click(button).await;
    let done = page
        .until("back in Settings", "return document.querySelector('#connect-result')?.textContent")
        .await;
    assert!(done.as_str().unwrap().contains("Connected"), "{done}");
    assert_eq!(page.eval("return location.search").await, json!(""), "the result is shown once");
    let shops = owner_get(demo, "/shops").await;
    let shop = shops
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["external_id"] == c.external_id && s["platform"] == c.platform)
        .unwrap_or_else(|| panic!("the shop {} in {shops}", c.external_id));
    let id = shop["id"].as_str().unwrap().to_owned();
    let connection = owner_get(demo, &format!("/shops/{id}/connection")).await;
    assert_eq!(connection["status"], "connected", "{connection}");
    (page, id)
}

/// In the inbox, the shop's conversation shows `text` once opened.
async fn in_the_inbox(page: &Page, shop: &str, text: &str) {
    page.click(".menu-item[data-view=inbox]").await;
    page.open_row(&format!(r#".rows .row[data-shop="{shop}"]"#)).await;
    let check = format!("return document.body.innerText.includes({text:?})");
    page.until(&format!("{text:?} in the inbox"), &check).await;
}

/// A daemon app of `platform` at a simulator's `base`.
fn app_at(config: &mut Config, platform: &str, key: (String, String), base: String, service: &str) {
    let settings = [("service_id".to_owned(), service.to_owned())].into();
    let app = AuthorizationApp {
        client_id: key.0,
        client_secret: key.1,
        settings,
        authorize_base: Some(base.clone()),
        api_base: Some(base),
    };
    config.connect.apps.insert(platform.to_owned(), app);
}

#[tokio::test]
async fn the_owner_connects_a_shopify_store_in_one_click() {
    let Some(w) = world(None).await else { return };
    let demo = &w.demo;
    let shopify = Connecting {
        platform: "shopify",
        store: Some(STORE),
        consent: ("Install app", "#install"),
        external_id: STORE,
    };
    let (page, id) = connect_in_one_click(&w, &shopify).await;
    assert!(demo.connect_store.subscribed_url("APP_UNINSTALLED").is_some());
    page.screenshot("docs/connect-shopify.png").await;
    // The store's customer writes: the message appears in the inbox.
    customer_writes(&demo.base_url, &id, "Do you ship the moss throw to Oslo?").await;
    in_the_inbox(&page, &id, "Do you ship the moss throw to Oslo?").await;
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

#[tokio::test]
async fn the_owner_connects_a_tiktok_shop_in_one_click() {
    let sim = TikTokSim::start(tiktok::SimConfig::default()).await.unwrap();
    let shop = tiktok::SimConfig::default().sellers[0].shops[0].id.clone();
    let base = sim.base_url();
    let key = ("sim_app_key".to_owned(), "sim_app_secret".to_owned());
    let configure = |c: &mut Config| app_at(c, "tiktok", key, base, "7001");
    let Some(w) = world_configured(None, configure).await else { return };
    let daemon = &w.demo.base_url;
    sim.set_redirect_url(Some(format!("{daemon}/connect/tiktok/callback")));
    let tiktok = Connecting {
        platform: "tiktok",
        store: None,
        consent: ("Authorize", "#authorize"),
        external_id: &shop,
    };
    let (page, id) = connect_in_one_click(&w, &tiktok).await;
    // The shop's webhooks were subscribed; its buyer writes.
    let address = format!("{daemon}/webhooks/tiktok/{id}");
    assert!(sim.subscriptions().iter().any(|(_, kind, a)| kind == "NEW_MESSAGE" && *a == address));
    sim.set_webhook_url(Some(address));
    let (buyer, text) = (tiktok::Buyer::new("3001"), "Is the jacket waterproof?");
    let message = tiktok::BuyerMessage::text(text);
    let delivery = sim.push_new_message(&shop, "conv-browser-1", &buyer, message).await.unwrap();
    assert_eq!(delivery.status(), 200);
    in_the_inbox(&page, &id, text).await;
    page.close().await;
    w.stop().await;
}

#[tokio::test]
async fn the_owner_connects_a_douyin_shop_in_one_click() {
    let order =
        douyin::Order { create_time: chrono::Utc::now().timestamp() - 3600, ..Default::default() };
    let (order_id, shop) =
        (order.order_id.clone(), douyin::Shop { orders: vec![order], ..Default::default() });
    let shop_id = shop.shop_id.clone();
    let config = douyin::SimConfig { shops: vec![shop], ..Default::default() };
    let key = (config.app_key.clone(), config.app_secret.clone());
    let sim = DouyinSim::start(config).await.unwrap();
    let base = sim.base_url();
    let configure = |c: &mut Config| app_at(c, "douyin", key, base, "42");
    let Some(w) = world_configured(None, configure).await else { return };
    let daemon = &w.demo.base_url;
    sim.set_redirect_url(Some(format!("{daemon}/connect/douyin/callback")));
    let douyin = Connecting {
        platform: "douyin",
        store: None,
        consent: ("授权", "#authorize"),
        external_id: &shop_id,
    };
    let (page, id) = connect_in_one_click(&w, &douyin).await;
    // Douyin has no chat API: the buyer's order reaches the inbox as an order card.
    sim.set_push_url(Some(format!("{daemon}/webhooks/douyin/{id}")));
    let delivery = sim.push_trade_create(&shop_id, &order_id).await.unwrap();
    assert!(delivery.statuses.iter().all(|s| *s == 200), "{delivery:?}");
    in_the_inbox(&page, &id, &order_id).await;
    page.close().await;
    w.stop().await;
}

#[tokio::test]
async fn the_owner_connects_an_aliexpress_store_in_one_click() {
    let sim = AliExpressSim::start(aliexpress::SimConfig::default()).await.unwrap();
    let seller = aliexpress::SimConfig::default().sellers[0].login_id.clone();
    let base = sim.base_url();
    let configure = |c: &mut Config| app_at(c, "aliexpress", sim.app(), base, "");
    let Some(w) = world_configured(None, configure).await else { return };
    let aliexpress = Connecting {
        platform: "aliexpress",
        store: None,
        consent: ("Authorize", "#authorize"),
        external_id: &seller,
    };
    let (page, id) = connect_in_one_click(&w, &aliexpress).await;
    // The buyer writes in the message centre; the next poll brings it in.
    let text = "Is the lamp still in stock?";
    let message = aliexpress::BuyerMessage::text(text);
    sim.add_buyer_message(&seller, &aliexpress::Buyer::new(7), message).unwrap();
    w.demo.inbox.poll_now().await.unwrap();
    in_the_inbox(&page, &id, text).await;
    page.close().await;
    w.stop().await;
}
