//! Connecting a Shopify store in one click against the simulator: the owner starts, the
//! simulated store's consent page sends them back with a callback the simulator signs
//! with its own code, the store is created and connected (sealed), its webhooks
//! subscribed, and its customers reach the inbox. Tampered callbacks (bad `hmac`,
//! reused, foreign or expired `state`, stale `timestamp`, another store) change nothing;
//! `app/uninstalled` revokes (replies fail with the reason) and reconnecting resumes;
//! the three privacy webhooks export and redact, never deleting a message.

use crate::storefront::{proxied_session, say, socket};
use crate::support::*;
use serde_json::{Value, json};
use shopmux_core::ManualClock;
use shopmux_simulator::shopify::{self, SimApp, WebhookTarget};
use std::sync::Arc;

const STORE: &str = "linen-and-co.myshopify.com";
const CLIENT_ID: &str = "shopmux-test-app";
const CLIENT_SECRET: &str = "shpss_test_secret";
const TOKEN: &str = "shpat_connected";

pub struct Setup {
    pub d: TestDaemon,
    pub sim: shopify::SimHandle,
    pub clock: Arc<ManualClock>,
    pub owner: String,
    pub public: String,
}

/// A Shopify simulator with an installable app, and a daemon configured to connect its
/// stores (its public address reserved beforehand), both on one manual clock.
pub async fn setup() -> Setup {
    let sim = shopmux_simulator::ShopifySim::start(shopify::SimConfig {
        access_token: TOKEN.into(),
        app: Some(SimApp { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() }),
        ..Default::default()
    })
    .await
    .unwrap();
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let sim_clock = clock.clone();
    sim.set_clock(Arc::new(move || shopmux_core::Clock::now(&*sim_clock)));
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let (base, app_public) = (sim.base_url(), public.clone());
    let mut d = start_configured(&url, tmp.path().to_path_buf(), clock.clone(), move |c| {
        c.server.bind = format!("127.0.0.1:{port}").parse().unwrap();
        c.connect.public_url = Some(app_public);
        let app = shopmux_contract::adapter::AuthorizationApp {
            client_id: CLIENT_ID.into(),
            client_secret: CLIENT_SECRET.into(),
            authorize_base: Some(base.clone()),
            api_base: Some(base),
            ..Default::default()
        };
        c.connect.apps.insert("shopify".into(), app);
    })
    .await;
    d.keep(tmp);
    let owner = d.owner("Linen & Co").await;
    Setup { d, sim, clock, owner, public }
}

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The owner starts; returns the authorization page's URL.
pub async fn start_connect(s: &Setup) -> String {
    let body = json!({"shop": STORE});
    let (status, started) = s.d.post_json("/api/v1/connect/shopify", &s.owner, body).await;
    assert_eq!(status, 200, "{started}");
    string(&started["authorize_url"])
}

/// The owner consents on the simulated page; returns the callback URL it sends them to.
pub async fn consent(authorize_url: &str) -> String {
    let page = browser().get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Install app"));
    let consent_url = authorize_url.replace("/admin/oauth/authorize", "/admin/oauth/consent");
    let back = browser().get(consent_url).send().await.unwrap();
    assert_eq!(back.status(), 302);
    back.headers()["location"].to_str().unwrap().to_owned()
}

/// Follows a callback URL: the redirect's location and the JSON it carries.
pub async fn follow(url: &str) -> (String, Value) {
    let resp = browser().get(url).send().await.unwrap();
    assert_eq!(resp.status(), 303, "the callback sends the browser back to Settings");
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    (location, resp.json().await.unwrap())
}

/// The whole flow; the connected shop's id.
pub async fn connect_store(s: &Setup) -> String {
    let callback = consent(&start_connect(s).await).await;
    assert!(callback.starts_with(&format!("{}/connect/shopify/callback?", s.public)), "{callback}");
    let (location, outcome) = follow(&callback).await;
    assert_eq!(location, "/?connected=shopify&shops=1#settings", "{outcome}");
    assert_eq!(outcome["shops"][0]["webhooks"], "subscribed", "{outcome}");
    string(&outcome["shops"][0]["shop_id"])
}

/// The callback's query, signed by the simulator's own OAuth signer.
fn signed_callback(s: &Setup, params: &[(&str, String)], secret: &str) -> String {
    let mut pairs: Vec<(String, String)> =
        params.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
    let hmac = shopify::sign::oauth_hmac(secret, &pairs);
    pairs.push(("hmac".into(), hmac));
    let query = shopmux_contract::wire::query_string(&pairs);
    format!("{}/connect/shopify/callback?{query}", s.public)
}

fn query_param(url: &str, key: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs().find(|(k, _)| k == key).unwrap().1.into_owned()
}

async fn shops(s: &Setup) -> Vec<Value> {
    let (status, list) = s.d.get("/api/v1/shops", &s.owner).await;
    assert_eq!(status, 200);
    list.as_array().unwrap().clone()
}

/// A customer signed in at the store (customer `42`) writes `text`; the conversation.
async fn customer_writes(s: &Setup, shop: &str, text: &str) -> (String, Stream) {
    let mut stream = s.d.stream(&s.owner).await;
    let now = s.clock.now_secs();
    let start = json!({"name": "Ana", "email": "ana@example.com"});
    let (status, session) =
        proxied_session(&s.d, shop, CLIENT_SECRET, STORE, Some("42"), now, &start).await;
    assert_eq!(status, 201, "{session}");
    let mut ws = socket(&s.d, shop, &session).await;
    let ack = say(&mut ws, "1", json!({"type": "text", "text": text})).await;
    assert!(ack.get("error").is_none(), "{ack}");
    let created = next_created(&mut stream).await;
    assert_eq!(created["message"]["content"]["text"], text);
    (conversation_of(&created), ws)
}

trait Secs {
    fn now_secs(&self) -> i64;
}

impl Secs for ManualClock {
    fn now_secs(&self) -> i64 {
        shopmux_core::Clock::now(self).timestamp()
    }
}

/// Delivers `topic` as the simulator would to `url`.
async fn push(s: &Setup, url: String, topic: &str, payload: Value) -> u16 {
    s.sim.set_webhook_target(Some(WebhookTarget {
        url,
        client_secret: CLIENT_SECRET.into(),
        shop_domain: STORE.into(),
        api_version: "2026-01".into(),
    }));
    let delivery = s.sim.push_webhook(topic, &payload).await.unwrap();
    delivery.statuses.last().copied().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_connects_in_one_click_and_its_customer_reaches_the_inbox() {
    let s = setup().await;
    let (status, list) = s.d.get("/api/v1/connect", &s.owner).await;
    assert_eq!(status, 200);
    // Shopify's app is configured here; the other marketplaces' adapters can connect, but
    // have no app here.
    assert_eq!(
        list,
        json!([
            {"platform": "aliexpress", "ready": false},
            {"platform": "douyin", "ready": false},
            {"platform": "shopify", "ready": true},
            {"platform": "tiktok", "ready": false}
        ])
    );
    let (status, body) = s.d.post_json("/api/v1/connect/tiktok", &s.owner, json!({})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("not_configured")));
    let (status, _) = s.d.post_json("/api/v1/connect/api", &s.owner, json!({})).await;
    assert_eq!(status, 404, "the api channel has no authorization page");
    let shop = connect_store(&s).await;
    // The store exists, connected, with the token and the webhook key sealed in.
    let listed = shops(&s).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0]["external_id"].as_str(), listed[0]["id"].as_str()),
        (Some(STORE), Some(shop.as_str()))
    );
    let (_, view) = s.d.get(&format!("/api/v1/shops/{shop}/connection"), &s.owner).await;
    assert_eq!(view["status"], "connected", "{view}");
    let stored = s.d.stored_connection(&shop).await;
    assert_eq!(stored.credentials["access_token"], TOKEN);
    assert_eq!(stored.credentials["client_secret"], CLIENT_SECRET);
    assert_eq!(s.sim.tokens_issued(), 1);
    // Every topic shopmux consumes, subscribed to this shop's webhook address.
    let address = format!("{}/webhooks/shopify/{shop}", s.public);
    let topics: Vec<String> = s
        .sim
        .subscriptions()
        .into_iter()
        .map(|(t, u)| {
            assert_eq!(u, address);
            t
        })
        .collect();
    assert_eq!(
        topics,
        [
            "CARTS_CREATE",
            "CARTS_UPDATE",
            "CUSTOMERS_CREATE",
            "CUSTOMERS_UPDATE",
            "ORDERS_CREATE",
            "ORDERS_UPDATED",
            "APP_UNINSTALLED"
        ]
    );
    // A customer of the store writes: the message is in the inbox.
    let (conversation, _ws) = customer_writes(&s, &shop, "Is the linen shirt in stock?").await;
    let (_, list) = s.d.get("/api/v1/conversations", &s.owner).await;
    assert_eq!(string(&list["items"][0]["id"]), conversation, "{list}");
    // A subscribed webhook arrives and verifies.
    let profile =
        json!({"id": 42, "first_name": "Ana", "last_name": "Lima", "email": "ana@example.com"});
    assert_eq!(push(&s, address, "customers/update", profile).await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_callbacks_are_refused_and_change_nothing() {
    let s = setup().await;
    let callback = consent(&start_connect(&s).await).await;
    let state = query_param(&callback, "state");
    let code = query_param(&callback, "code");
    let now = || s.clock.now_secs().to_string();
    let params = |code: &str, state: &str, shop: &str, at: String| {
        vec![
            ("code", code.to_owned()),
            ("shop", shop.to_owned()),
            ("state", state.to_owned()),
            ("timestamp", at),
        ]
    };
    let refused = |location: &str, code: &str| {
        assert_eq!(location, format!("/?connect_error={code}#settings"));
    };
    // A bad hmac: signed with another secret, or a parameter changed after signing.
    let forged = signed_callback(&s, &params(&code, &state, STORE, now()), "not-the-secret");
    let (location, body) = follow(&forged).await;
    refused(&location, "bad_signature");
    assert_eq!(body["error"]["code"], "bad_signature");
    let changed = callback.replace(&format!("code={code}"), "code=0000");
    refused(&follow(&changed).await.0, "bad_signature");
    // A foreign state: well signed by the platform, never issued here.
    let foreign =
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    refused(
        &follow(&signed_callback(&s, &params(&code, foreign, STORE, now()), CLIENT_SECRET)).await.0,
        "bad_state",
    );
    // Another store than the one the owner named.
    let other = params(&code, &state, "other-store.myshopify.com", now());
    refused(&follow(&signed_callback(&s, &other, CLIENT_SECRET)).await.0, "wrong_shop");
    // Nothing changed so far, and no code was exchanged.
    assert!(shops(&s).await.is_empty());
    assert_eq!(s.sim.tokens_issued(), 0);
    // A stale timestamp (91 s later); the state was taken by the wrong-store attempt, so
    // start again for the rest.
    let callback = consent(&start_connect(&s).await).await;
    s.clock.advance(chrono::Duration::seconds(91));
    refused(&follow(&callback).await.0, "stale");
    // An expired state, on an otherwise fresh and well-signed callback.
    let late = consent(&start_connect(&s).await).await;
    s.clock.advance(chrono::Duration::minutes(11));
    let late_state = query_param(&late, "state");
    let fresh = params(&query_param(&late, "code"), &late_state, STORE, now());
    refused(&follow(&signed_callback(&s, &fresh, CLIENT_SECRET)).await.0, "bad_state");
    assert!(shops(&s).await.is_empty());
    assert_eq!(s.sim.tokens_issued(), 0);
    // A good one connects; the same callback again is a reused state and changes nothing.
    let good = consent(&start_connect(&s).await).await;
    assert_eq!(follow(&good).await.0, "/?connected=shopify&shops=1#settings");
    let (location, _) = follow(&good).await;
    refused(&location, "bad_state");
    assert_eq!(shops(&s).await.len(), 1);
    assert_eq!(s.sim.tokens_issued(), 1);
    // Another owner's start cannot be completed as this platform's by anyone else: a
    // state is bound to its owner and platform (the MAC covers the platform).
    let bad_platform = s.d.url("/connect/unknown/callback?code=x&state=y");
    refused(&follow(&bad_platform).await.0, "unknown_platform");
    // Only the owner starts.
    let (_, agent) = s.d.sub_account(&s.owner, "Bo", &string(&shops(&s).await[0]["id"])).await;
    let (status, _) =
        s.d.post_json("/api/v1/connect/shopify", &agent, json!({"shop": STORE})).await;
    assert_eq!(status, 403);
    let (status, body) =
        s.d.post_json("/api/v1/connect/shopify", &s.owner, json!({"shop": "evil.example"})).await;
    assert_eq!(status, 422, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_uninstalled_revokes_and_reconnecting_resumes() {
    let s = setup().await;
    let shop = connect_store(&s).await;
    let (conversation, _ws) = customer_writes(&s, &shop, "Hello?").await;
    let mut stream = s.d.stream(&s.owner).await;
    let address = format!("{}/webhooks/shopify/{shop}", s.public);
    let uninstalled = json!({"id": 1, "name": "Linen & Co", "domain": STORE});
    assert_eq!(push(&s, address, "app/uninstalled", uninstalled).await, 200);
    let told = next_event(&mut stream, |e| e["type"] == "connection_changed").await;
    assert_eq!(told["status"], "revoked", "{told}");
    let (_, view) = s.d.get(&format!("/api/v1/shops/{shop}/connection"), &s.owner).await;
    assert_eq!(view["status"], "revoked");
    assert!(view["status_detail"].as_str().unwrap().contains("reconnect"), "{view}");
    // A reply fails at once, saying why; the conversation and messages stay.
    let (status, reply) = s.d.reply(&s.owner, &conversation, "We are here").await;
    assert_eq!(status, 202, "{reply}");
    let failed = next_update(&mut stream, &string(&reply["id"])).await;
    assert_eq!(failed["message"]["delivery_status"], "failed", "{failed}");
    assert!(failed["message"]["delivery_error"].as_str().unwrap().contains("revoked"), "{failed}");
    assert_eq!(s.d.n_messages(&s.owner, &conversation).await, Some(2));
    // Reconnecting runs the flow again: the same shop, connected; the next reply goes out.
    let (_, outcome) = follow(&consent(&start_connect(&s).await).await).await;
    assert_eq!(
        (outcome["shops"][0]["shop_id"].as_str(), outcome["shops"][0]["created"].as_bool()),
        (Some(shop.as_str()), Some(false))
    );
    let (_, view) = s.d.get(&format!("/api/v1/shops/{shop}/connection"), &s.owner).await;
    assert_eq!(view["status"], "connected");
    let (_, reply) = s.d.reply(&s.owner, &conversation, "Back again").await;
    let delivered = next_update(&mut stream, &string(&reply["id"])).await;
    assert_eq!(delivered["message"]["delivery_status"], "delivered", "{delivered}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn privacy_webhooks_export_and_redact_without_deleting_messages() {
    let s = setup().await;
    let shop = connect_store(&s).await;
    let (conversation, _ws) = customer_writes(&s, &shop, "My address is 5 Elm Street").await;
    let app_wide = format!("{}/webhooks/shopify", s.public);
    let customer = json!({"id": 42, "email": "ana@example.com", "phone": "555-625-1199"});
    // A forged delivery, or one naming an unknown store, is refused alike.
    let forged = client()
        .post(&app_wide)
        .header("X-Shopify-Hmac-Sha256", "AAAA")
        .header("X-Shopify-Topic", "shop/redact")
        .header("X-Shopify-Shop-Domain", STORE)
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = decode(forged).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("bad_signature")));
    // customers/data_request: the export holds what shopmux has on the customer.
    let export = json!({"shop_id": 1, "shop_domain": STORE, "orders_requested": [7],
        "customer": customer, "data_request": {"id": 9999}});
    assert_eq!(push(&s, app_wide.clone(), "customers/data_request", export).await, 200);
    let (_, requests) = s.d.get("/api/v1/privacy-requests", &s.owner).await;
    assert_eq!(requests.as_array().unwrap().len(), 1, "{requests}");
    assert_eq!(
        (requests[0]["kind"].as_str(), requests[0]["buyers_found"].as_i64()),
        (Some("export"), Some(1))
    );
    let (_, detail) =
        s.d.get(&format!("/api/v1/privacy-requests/{}", string(&requests[0]["id"])), &s.owner)
            .await;
    let exported = detail["export"].to_string();
    assert!(exported.contains("5 Elm Street") && exported.contains("customer:42"), "{detail}");
    // customers/redact: the content is replaced, the messages stay.
    let redact =
        json!({"shop_id": 1, "shop_domain": STORE, "customer": customer, "orders_to_redact": [7]});
    assert_eq!(push(&s, app_wide.clone(), "customers/redact", redact).await, 200);
    let page = s.d.messages(&s.owner, &conversation).await;
    assert_eq!(n_items(&page), Some(1), "{page}");
    assert!(!page.to_string().contains("Elm Street"), "{page}");
    assert_eq!(page["items"][0]["content"]["type"], "system_notice", "{page}");
    let (_, detail) = s.d.conversation(&s.owner, &conversation).await;
    assert!(
        !detail.to_string().contains("Ana") && !detail.to_string().contains("ana@example.com"),
        "{detail}"
    );
    // shop/redact: recorded like the others.
    let shop_redact = json!({"shop_id": 1, "shop_domain": STORE});
    assert_eq!(push(&s, app_wide, "shop/redact", shop_redact).await, 200);
    let (_, requests) = s.d.get("/api/v1/privacy-requests", &s.owner).await;
    let kinds: Vec<&str> =
        requests.as_array().unwrap().iter().map(|r| r["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["redact_shop", "redact_buyers", "export"]);
    assert_eq!(requests[1]["messages_redacted"], 1);
}

/// A TikTok simulator whose seller can authorize the app, and a daemon configured to
/// connect its shops, on one clock.
struct TikTokSetup {
    d: TestDaemon,
    sim: shopmux_simulator::tiktok::SimHandle,
    owner: String,
    public: String,
    clock: Arc<ManualClock>,
}

async fn tiktok_setup() -> TikTokSetup {
    use shopmux_simulator::tiktok::SimConfig;
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let sim_clock = clock.clone();
    let sim = shopmux_simulator::TikTokSim::start(SimConfig {
        clock: Arc::new(move || shopmux_core::Clock::now(&*sim_clock)),
        ..Default::default()
    })
    .await
    .unwrap();
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    sim.set_redirect_url(Some(format!("{public}/connect/tiktok/callback")));
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let (base, app_public) = (sim.base_url(), public.clone());
    let mut d = start_configured(&url, tmp.path().to_path_buf(), clock.clone(), move |c| {
        c.server.bind = format!("127.0.0.1:{port}").parse().unwrap();
        c.connect.public_url = Some(app_public);
        let app = shopmux_contract::adapter::AuthorizationApp {
            client_id: "sim_app_key".into(),
            client_secret: "sim_app_secret".into(),
            settings: [("service_id".to_owned(), "7001".to_owned())].into(),
            authorize_base: Some(base.clone()),
            api_base: Some(base),
        };
        c.connect.apps.insert("tiktok".into(), app);
    })
    .await;
    d.keep(tmp);
    let owner = d.owner("TikTok Seller").await;
    TikTokSetup { d, sim, owner, public, clock }
}

/// The owner starts connecting TikTok and the seller consents on the simulated page;
/// returns the authorization page's URL and the callback it sends them to.
async fn tiktok_consents(d: &TestDaemon, owner: &str) -> (String, String) {
    let (status, started) = d.post_json("/api/v1/connect/tiktok", owner, json!({})).await;
    assert_eq!(status, 200, "{started}");
    let authorize_url = string(&started["authorize_url"]);
    let consent_url = authorize_url.replace("/open/authorize?", "/open/authorize/consent?");
    let back = browser().get(consent_url).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    (authorize_url, callback)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiktok_seller_connects_in_one_click_and_its_buyers_reach_the_inbox() {
    use crate::tiktok::{SHOP, push_text};
    let TikTokSetup { d, sim, owner, public, .. } = tiktok_setup().await;
    let (authorize_url, callback) = tiktok_consents(&d, &owner).await;
    assert!(authorize_url.contains("/open/authorize?service_id=7001&state="), "{authorize_url}");
    let page = browser().get(&authorize_url).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("Authorize"));
    let (location, outcome) = follow(&callback).await;
    assert_eq!(location, "/?connected=tiktok&shops=1#settings", "{outcome}");
    assert_eq!(outcome["shops"][0]["webhooks"], "subscribed", "{outcome}");
    let shop = string(&outcome["shops"][0]["shop_id"]);
    // The shop, its cipher and region from Get Authorized Shops, its tokens sealed.
    let (_, listed) = d.get("/api/v1/shops", &owner).await;
    assert_eq!(
        (listed[0]["external_id"].as_str(), listed[0]["region"].as_str()),
        (Some(SHOP), Some("GB"))
    );
    let stored = d.stored_connection(&shop).await;
    assert_eq!(stored.credentials["shop_cipher"], "GCP_sim_cipher_1");
    assert!(stored.credentials["access_token"].starts_with("TTP_sim_access_"));
    // Its webhooks subscribed to this shop's address.
    let address = format!("{public}/webhooks/tiktok/{shop}");
    let events: Vec<String> = sim
        .subscriptions()
        .into_iter()
        .map(|(s, kind, a)| {
            assert_eq!((s.as_str(), a.as_str()), (SHOP, address.as_str()));
            kind
        })
        .collect();
    assert_eq!(
        events,
        [
            "NEW_MESSAGE",
            "NEW_CONVERSATION",
            "SELLER_DEAUTHORIZATION",
            "UPCOMING_AUTHORIZATION_EXPIRATION"
        ]
    );
    // A buyer writes: the message is in the inbox; the reply is signed and delivered.
    sim.set_webhook_url(Some(address));
    let mut stream = d.stream(&owner).await;
    assert_eq!(push_text(&sim, "conv-1c", "3001", "Is it waterproof?").await.status(), 200);
    let created = next_created(&mut stream).await;
    assert_eq!(created["message"]["content"]["text"], "Is it waterproof?");
    let (_, reply) = d.reply(&owner, &conversation_of(&created), "Yes, fully").await;
    let delivered = next_update(&mut stream, &string(&reply["id"])).await;
    assert_eq!(delivered["message"]["delivery_status"], "delivered", "{delivered}");
    // The same callback again is a reused state: refused, nothing changes.
    let (location, _) = follow(&callback).await;
    assert_eq!(location, "/?connect_error=bad_state#settings");
    let (_, listed) = d.get("/api/v1/shops", &owner).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_token_tiktok_refuses_revokes_and_reconnecting_resumes() {
    use crate::tiktok::push_text;
    let TikTokSetup { d, sim, owner, public, clock } = tiktok_setup().await;
    let (_, callback) = tiktok_consents(&d, &owner).await;
    let (location, outcome) = follow(&callback).await;
    assert_eq!(location, "/?connected=tiktok&shops=1#settings", "{outcome}");
    let shop = string(&outcome["shops"][0]["shop_id"]);
    sim.set_webhook_url(Some(format!("{public}/webhooks/tiktok/{shop}")));
    let mut stream = d.stream(&owner).await;
    assert_eq!(push_text(&sim, "conv-r", "3002", "Any news?").await.status(), 200);
    let conversation = conversation_of(&next_created(&mut stream).await);
    // A year on both tokens have expired: TikTok refuses the refresh token.
    clock.advance(chrono::Duration::days(366));
    let (status, reply) = d.reply(&owner, &conversation, "Shipped today").await;
    assert_eq!(status, 202, "{reply}");
    // The owner is told and the reply fails (the two events in either order).
    let id = string(&reply["id"]);
    let (mut told, mut failed) = (Value::Null, Value::Null);
    while told.is_null() || failed.is_null() {
        let event = next_event(&mut stream, |e| {
            let update = e["type"] == "message_updated" && e["message"]["id"] == id.as_str();
            update || e["type"] == "connection_changed"
        })
        .await;
        if event["type"] == "connection_changed" { told = event } else { failed = event }
    }
    assert_eq!(told["status"], "revoked", "{told}");
    let detail = told["status_detail"].as_str().unwrap();
    assert!(detail.contains("authorization expired") && detail.contains("reconnect"), "{told}");
    assert_eq!(failed["message"]["delivery_status"], "failed", "{failed}");
    let error = failed["message"]["delivery_error"].as_str().unwrap();
    assert!(error.contains("authorization_expired"), "{error}");
    let (_, view) = d.get(&format!("/api/v1/shops/{shop}/connection"), &owner).await;
    assert_eq!(view["status"], "revoked", "{view}");
    // Sends stop: the next reply fails at once, without calling TikTok.
    let (_, again) = d.reply(&owner, &conversation, "Hello?").await;
    let failed = next_update(&mut stream, &string(&again["id"])).await;
    let error = failed["message"]["delivery_error"].as_str().unwrap();
    assert!(error.contains("connection_revoked"), "{error}");
    assert!(sim.sent_messages().is_empty(), "nothing reached TikTok");
    // Reconnecting through the flow: the next reply is delivered, nothing was lost.
    let (_, callback) = tiktok_consents(&d, &owner).await;
    assert_eq!(follow(&callback).await.0, "/?connected=tiktok&shops=1#settings");
    let (_, reply) = d.reply(&owner, &conversation, "Back online").await;
    let delivered = next_update(&mut stream, &string(&reply["id"])).await;
    assert_eq!(delivered["message"]["delivery_status"], "delivered", "{delivered}");
    assert_eq!(sim.sent_messages().len(), 1);
    assert_eq!(d.n_messages(&owner, &conversation).await, Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_douyin_shop_connects_in_one_click_and_its_order_reaches_the_inbox() {
    use shopmux_simulator::douyin::{Order, Shop, SimConfig};
    const SHOP: &str = "12345";
    const ORDER: &str = "4781320682406083640";
    let order = Order { create_time: chrono::Utc::now().timestamp() - 3600, ..Default::default() };
    let sim = shopmux_simulator::DouyinSim::start(SimConfig {
        shops: vec![Shop { orders: vec![order], ..Default::default() }],
        ..Default::default()
    })
    .await
    .unwrap();
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    sim.set_redirect_url(Some(format!("{public}/connect/douyin/callback")));
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let (base, app_public) = (sim.base_url(), public.clone());
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let mut d = start_configured(&url, tmp.path().to_path_buf(), clock, move |c| {
        c.server.bind = format!("127.0.0.1:{port}").parse().unwrap();
        c.connect.public_url = Some(app_public);
        let app = shopmux_contract::adapter::AuthorizationApp {
            client_id: "7000000000000000001".into(),
            client_secret: "sim-douyin-secret".into(),
            settings: [("service_id".to_owned(), "42".to_owned())].into(),
            authorize_base: Some(base.clone()),
            api_base: Some(base),
        };
        c.connect.apps.insert("douyin".into(), app);
    })
    .await;
    d.keep(tmp);
    let owner = d.owner("Douyin Seller").await;
    let (status, started) = d.post_json("/api/v1/connect/douyin", &owner, json!({})).await;
    assert_eq!(status, 200, "{started}");
    let authorize_url = string(&started["authorize_url"]);
    assert!(authorize_url.contains("/authorize?service_id=42&state="), "{authorize_url}");
    let consent_url = authorize_url.replace("/authorize?", "/authorize/consent?");
    let back = browser().get(consent_url).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    let (location, outcome) = follow(&callback).await;
    assert_eq!(location, "/?connected=douyin&shops=1#settings", "{outcome}");
    // Douyin has no subscription API: the push URL is set in its console.
    assert_eq!(outcome["shops"][0]["webhooks"], "not_offered", "{outcome}");
    let shop = string(&outcome["shops"][0]["shop_id"]);
    let (_, listed) = d.get("/api/v1/shops", &owner).await;
    assert_eq!(listed[0]["external_id"], SHOP, "{listed}");
    let stored = d.stored_connection(&shop).await;
    assert_eq!(stored.credentials["app_key"], "7000000000000000001");
    assert!(!stored.credentials["access_token"].is_empty());
    // The shop's order push (signed by the simulator) reaches the inbox as an order card,
    // looked up with the token token.create issued.
    sim.set_push_url(Some(format!("{public}/webhooks/douyin/{shop}")));
    let delivery = sim.push_trade_create(SHOP, ORDER).await.unwrap();
    assert!(delivery.statuses.iter().all(|s| *s == 200), "{delivery:?}");
    let (_, list) = d.get("/api/v1/conversations", &owner).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    // A reused state changes nothing.
    assert_eq!(follow(&callback).await.0, "/?connect_error=bad_state#settings");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aliexpress_seller_connects_in_one_click_and_its_buyers_reach_the_inbox() {
    use shopmux_simulator::aliexpress::{Buyer, BuyerMessage, SimConfig};
    let sim = shopmux_simulator::AliExpressSim::start(SimConfig::default()).await.unwrap();
    let seller = SimConfig::default().sellers[0].login_id.clone();
    let (app_key, app_secret) = sim.app();
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let (base, app_public) = (sim.base_url(), public.clone());
    let mut d = start_configured(
        &url,
        tmp.path().to_path_buf(),
        Arc::new(shopmux_core::SystemClock),
        move |c| {
            c.server.bind = format!("127.0.0.1:{port}").parse().unwrap();
            c.connect.public_url = Some(app_public);
            let app = shopmux_contract::adapter::AuthorizationApp {
                client_id: app_key.to_string(),
                client_secret: app_secret.to_string(),
                authorize_base: Some(base.clone()),
                api_base: Some(base),
                ..Default::default()
            };
            c.connect.apps.insert("aliexpress".into(), app);
        },
    )
    .await;
    d.keep(tmp);
    let owner = d.owner("AliExpress Seller").await;
    let (status, started) = d.post_json("/api/v1/connect/aliexpress", &owner, json!({})).await;
    assert_eq!(status, 200, "{started}");
    let authorize_url = string(&started["authorize_url"]);
    let redirect = format!("{public}/connect/aliexpress/callback");
    assert_eq!(query_param(&authorize_url, "redirect_uri"), redirect);
    let page = browser().get(&authorize_url).send().await.unwrap();
    assert!(page.text().await.unwrap().contains("Authorize"));
    let consent_url = authorize_url.replace("/oauth/authorize?", "/oauth/authorize/consent?");
    let back = browser().get(consent_url).send().await.unwrap();
    assert_eq!(back.status(), 302);
    let callback = back.headers()["location"].to_str().unwrap().to_owned();
    let (location, outcome) = follow(&callback).await;
    assert_eq!(location, "/?connected=aliexpress&shops=1#settings", "{outcome}");
    let shop = string(&outcome["shops"][0]["shop_id"]);
    let (_, listed) = d.get("/api/v1/shops", &owner).await;
    assert_eq!(listed[0]["external_id"], seller.as_str(), "{listed}");
    let stored = d.stored_connection(&shop).await;
    assert_eq!(stored.credentials["access_token"], sim.access_token(&seller).unwrap());
    // A buyer writes on AliExpress: the poll (with the token /auth/token/create issued)
    // brings it into the inbox.
    let buyer = Buyer::new(7);
    sim.add_buyer_message(&seller, &buyer, BuyerMessage::text("Is it in stock?")).unwrap();
    d.inbox.poll_now().await.unwrap();
    let (_, list) = d.get("/api/v1/conversations", &owner).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "{list}");
    // A reused state (and so a reused code) changes nothing.
    assert_eq!(follow(&callback).await.0, "/?connect_error=bad_state#settings");
}
