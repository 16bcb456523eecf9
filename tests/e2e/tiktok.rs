//! TikTok Shop end to end, against the simulator (`shopmux-simulator`), which speaks the
//! Partner API and its webhooks and checks every signature: a signed buyer message
//! reaches the inbox and the stream, the agent's reply is signed and delivered, bad
//! webhooks are refused and store nothing, and under injected faults every reply is
//! delivered exactly once or visibly failed after the retry budget.

use crate::support::*;
use serde_json::{Value, json};
use shopmux_core::{Clock, ManualClock};
use shopmux_simulator::tiktok::{Buyer, BuyerMessage, SimConfig, SimHandle};
use shopmux_simulator::{AfterHold, Delivery, Faults, TikTokSim, WebhookFaults};
use std::sync::Arc;
use std::time::Duration;

/// The TikTok shop the simulator serves.
pub(crate) const SHOP: &str = "7494049642642441621";

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
    let sim = TikTokSim::start(SimConfig { clock: Arc::new(move || sim_clock.now()), ..config })
        .await
        .expect("simulator");
    let d = start_with_clock(clock.clone() as Arc<dyn Clock>).await;
    let (owner, shop_id, _) = d.seller("TikTok Seller", "tiktok", SHOP).await;
    let connection = json!({
        "api_base": sim.base_url(),
        "credentials": {
            "app_key": "sim_app_key",
            "app_secret": "sim_app_secret",
            "access_token": sim.access_token(SHOP).unwrap(),
            "shop_cipher": sim.shop_cipher(SHOP).unwrap(),
            "refresh_token": sim.refresh_token(SHOP).unwrap(),
            "auth_base": sim.base_url(),
        }
    });
    let (status, view) = d.connect(&owner, &shop_id, connection).await;
    assert_eq!(status, 200, "{view}");
    assert!(!view.to_string().contains("sim_app_secret"), "a secret was returned: {view}");
    assert_eq!(view["status"], "unverified");
    sim.set_webhook_url(Some(d.url(&format!("/webhooks/tiktok/{shop_id}"))));
    Setup { d, sim, clock, owner, shop_id }
}

/// Buyer `buyer` writes `text` in TikTok conversation `tiktok_conversation` of
/// [`SHOP`]; how the simulator's webhook delivery of it went.
pub(crate) async fn push_text(
    sim: &SimHandle, tiktok_conversation: &str, buyer: &str, text: &str,
) -> Delivery {
    let buyer = Buyer::new(buyer);
    sim.push_new_message(SHOP, tiktok_conversation, &buyer, BuyerMessage::text(text)).await.unwrap()
}

/// A buyer writes `text` in TikTok conversation `tiktok_conversation`; the inbox
/// conversation it lands in, once the stream shows it.
async fn buyer_writes(
    sim: &SimHandle, ws: &mut Stream, tiktok_conversation: &str, buyer: &str, text: &str,
) -> String {
    push_text(sim, tiktok_conversation, buyer, text).await;
    conversation_of(&next_created(ws).await)
}

/// The simulator's webhooks go out with a bad signature from now on.
fn forge_webhooks(sim: &SimHandle) {
    sim.set_webhook_faults(WebhookFaults { bad_signature: true, ..Default::default() });
}

/// The connection's status as the API shows it (never its secrets).
async fn connection_view(d: &TestDaemon, owner: &str, shop_id: &str) -> Value {
    let (_, view) = d.get(&format!("/api/v1/shops/{shop_id}/connection"), owner).await;
    view
}

/// Waits (in real time) until no reply is claimed without its outcome recorded: no send
/// of any worker is in flight.
async fn sends_settled(d: &TestDaemon) {
    let in_flight = "SELECT id FROM outbox WHERE status = 'pending' AND lease_token IS NOT NULL";
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !d.inbox.store().rows(in_flight, vec![]).await.unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "a send never ended");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn messages(d: &TestDaemon, token: &str, conversation: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let cursor = before.as_ref().map(|c| format!("&before={c}")).unwrap_or_default();
        let path = format!("/api/v1/conversations/{conversation}/messages?limit=200{cursor}");
        let (_, page) = d.get(&path, token).await;
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
    let t = setup().await;
    let Setup { d, sim, owner, .. } = &t;
    let mut ws = d.stream(owner).await;
    let delivery = push_text(sim, "conv-1", "1001", "Where is my parcel?").await;
    assert_eq!(delivery.status(), 200, "{:?}", delivery);
    let created = next_created(&mut ws).await;
    assert_eq!(created["message"]["content"]["text"], "Where is my parcel?");
    let conversation = conversation_of(&created);

    let (status, reply) = d.reply(owner, &conversation, "It ships today.").await;
    assert_eq!(status, 202, "{reply}");
    let delivered = next_update(&mut ws, &string(&reply["id"])).await;
    assert_eq!(delivered["message"]["delivery_status"], "delivered", "{delivered}");
    // The simulator accepted it only with a valid signature, token and cipher.
    let sent = sim.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].conversation_id, "conv-1");
    assert_eq!(sent[0].kind, "TEXT");
    assert!(sent[0].content.contains("It ships today."));
    assert_eq!(delivered["message"]["platform_message_id"], sent[0].message_id.as_str());
    let view = connection_view(d, owner, &t.shop_id).await;
    assert_eq!(view["status"], "connected", "{view}");

    // A redelivered notification stores nothing new.
    sim.set_webhook_faults(WebhookFaults { duplicate: true, ..Default::default() });
    let again = push_text(sim, "conv-1", "1001", "Thanks!").await;
    assert!(again.statuses.iter().all(|s| *s == 200), "{again:?}");
    assert_eq!(again.statuses.len(), 2, "delivered twice");
    let texts: Vec<Value> = messages(d, owner, &conversation)
        .await
        .iter()
        .map(|m| m["content"]["text"].clone())
        .collect();
    assert_eq!(texts.iter().filter(|t| *t == "Thanks!").count(), 1, "{texts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_truncated_bodies_and_wrong_shops_are_refused_and_store_nothing() {
    let t = setup().await;
    let Setup { d, sim, owner, .. } = &t;
    forge_webhooks(sim);
    let refused = push_text(sim, "conv-2", "2002", "forged").await;
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
    // A second shop, connected to the same app.
    let (other_id, _) = d.marketplace_shop(owner, "tiktok", "another-shop").await;
    let credentials = json!({"app_key": "sim_app_key", "app_secret": "sim_app_secret"});
    d.connect(owner, &other_id, json!({"credentials": credentials})).await;
    let shop_id = &t.shop_id;
    let truncated = body.as_bytes()[..body.len() - 10].to_vec();
    let unknown_shop = "01a20000-0000-7000-8000-000000000000";
    for (path, body, status, code) in [
        // Truncated in transit: the signature no longer matches.
        (format!("/webhooks/tiktok/{shop_id}"), truncated, 401, Some("bad_signature")),
        // Signed by the app, but for another shop than the URL's.
        (
            format!("/webhooks/tiktok/{other_id}"),
            body.clone().into_bytes(),
            400,
            Some("bad_webhook"),
        ),
        // An unknown shop, and a platform the shop is not on: answered like a bad
        // signature, so a prober learns nothing of which shops exist.
        (
            format!("/webhooks/tiktok/{unknown_shop}"),
            body.clone().into_bytes(),
            401,
            Some("bad_signature"),
        ),
        (format!("/webhooks/douyin/{shop_id}"), body.into_bytes(), 401, Some("bad_signature")),
    ] {
        let delivered = client()
            .post(d.url(&path))
            .header("authorization", &signature)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (got, err) = decode(delivered).await;
        assert_eq!(got, status, "{path}: {err}");
        if let Some(code) = code {
            assert_eq!(err["error"]["code"], code, "{path}: {err}");
        }
    }

    let (_, list) = d.get("/api/v1/conversations?status=all", owner).await;
    assert_eq!(n_items(&list), Some(0), "{list}");
    let metrics = client().get(d.url("/metrics")).send().await.unwrap().text().await.unwrap();
    // Counted by platform: three to TikTok's route, one to Douyin's.
    assert!(
        metrics.contains(
            "shopmux_webhooks_refused_total{platform=\"tiktok\",reason=\"bad_signature\"} 3"
        ),
        "{metrics}"
    );
    assert!(
        metrics.contains(
            "shopmux_webhooks_refused_total{platform=\"douyin\",reason=\"bad_signature\"} 1"
        ),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_5xx_and_dropped_connections_1000_replies_are_delivered_once_or_failed_visibly() {
    let t = setup().await;
    let Setup { d, sim, owner, .. } = &t;
    // 100 conversations of 10 replies: a conversation's replies leave in order, so a
    // reply waiting out its backoff holds back only its own conversation's next ones.
    let mut ws = d.stream(owner).await;
    let mut conversations = Vec::new();
    for k in 0..100 {
        let buyer = format!("3{k:03}");
        conversations.push(buyer_writes(sim, &mut ws, &format!("conv-3-{k}"), &buyer, "hi").await);
    }
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
    for i in 0..10 {
        for conversation in &conversations {
            let (status, body) = d.reply(owner, conversation, &format!("reply {i}")).await;
            assert_eq!(status, 202, "{body}");
        }
    }
    let all_out = || async {
        let mut out = Vec::new();
        for conversation in &conversations {
            let page = messages(d, owner, conversation).await;
            out.extend(page.into_iter().filter(|m| m["direction"] == "out"));
        }
        out
    };
    // Drive the retries by moving the shared clock past each backoff, in steps shorter
    // than a delivery's lease (30 s), as real time would — and only while no send is in
    // flight: the daemon's own worker sends too, and two steps past a send that real
    // time has not ended would run its lease out under it (a second send).
    for round in 0..400 {
        while d.inbox.deliver_now().await.unwrap() > 0 {}
        sends_settled(d).await;
        if round % 10 == 9 && all_out().await.iter().all(|m| m["delivery_status"] != "pending") {
            break;
        }
        t.clock.advance(chrono::Duration::seconds(25));
    }
    let mine: Vec<Value> = all_out().await;
    assert_eq!(mine.len(), 1000);
    let delivered = mine.iter().filter(|m| m["delivery_status"] == "delivered").count();
    let failed = mine.iter().filter(|m| m["delivery_status"] == "failed").count();
    assert_eq!(delivered + failed, 1000, "none left pending");
    for m in mine.iter().filter(|m| m["delivery_status"] == "failed") {
        assert!(
            m["delivery_error"].as_str().unwrap_or_default().contains("http_5")
                || m["delivery_error"].as_str().unwrap_or_default().contains("transport"),
            "{m}"
        );
    }
    // Exactly once: TikTok accepted each delivered reply once, and nothing else.
    let sent = sim.sent_messages();
    let mut texts: Vec<(String, String)> =
        sent.iter().map(|s| (s.conversation_id.clone(), s.content.clone())).collect();
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
    let t = setup_with(SimConfig {
        access_token_ttl: chrono::TimeDelta::hours(1),
        ..Default::default()
    })
    .await;
    let Setup { d, sim, owner, .. } = &t;
    let mut ws = d.stream(owner).await;
    let conversation = buyer_writes(sim, &mut ws, "conv-4", "4004", "hi").await;
    let old_token = sim.access_token(SHOP).unwrap();
    // Two hours later the token TikTok issued has expired.
    t.clock.advance(chrono::Duration::hours(2));
    let (status, reply) = d.reply(owner, &conversation, "still here").await;
    assert_eq!(status, 202, "{reply}");
    let done = next_update(&mut ws, &string(&reply["id"])).await;
    assert_eq!(done["message"]["delivery_status"], "delivered", "{done}");
    // The refreshed pair is stored for the next calls, and the old one is gone.
    let new_token = sim.access_token(SHOP).unwrap();
    assert_ne!(new_token, old_token);
    let stored = d.stored_connection(&t.shop_id).await;
    assert_eq!(stored.credentials["access_token"], new_token);
    assert_eq!(stored.credentials["refresh_token"], sim.refresh_token(SHOP).unwrap());
    let view = connection_view(d, owner, &t.shop_id).await;
    assert_eq!(view["status"], "connected", "{view}");
    assert!(!view.to_string().contains(&new_token), "a token was returned: {view}");
    // The adapter keeps the renewed tokens in its state: sealed at rest, like credentials.
    let kept: Vec<String> = sqlx::query_scalar("SELECT value FROM adapter_state")
        .fetch_all(d.inbox.store().pool())
        .await
        .unwrap();
    assert!(!kept.is_empty(), "the renewed tokens were kept");
    for value in &kept {
        assert!(value.starts_with("sealed1:"), "{value}");
        assert!(!value.contains(&new_token) && !value.contains("access_token"), "{value}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_webhooks_missed_are_caught_up_by_polling_exactly_once() {
    let Setup { d, sim, owner, .. } = setup().await;
    // The webhooks are lost (refused as unsigned): the messages exist only at TikTok.
    forge_webhooks(&sim);
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
    let (_, list) = d.get("/api/v1/conversations", &owner).await;
    assert_eq!(n_items(&list), Some(0));

    // The poll (at start, then each interval) catches up.
    assert_eq!(d.inbox.poll_now().await.unwrap(), 3);
    let (_, list) = d.get("/api/v1/conversations", &owner).await;
    let conversation = string(&list["items"][0]["id"]);
    let texts: Vec<Value> = messages(&d, &owner, &conversation)
        .await
        .iter()
        .map(|m| m["content"]["text"].clone())
        .collect();
    assert_eq!(texts, vec![json!("first"), json!("second"), json!("third")]);
    // Polling again, and the webhook arriving late after all, store nothing twice.
    assert_eq!(d.inbox.poll_now().await.unwrap(), 0);
    sim.set_webhook_faults(WebhookFaults::default());
    push_text(&sim, "conv-5", "5005", "fourth").await;
    assert_eq!(d.inbox.poll_now().await.unwrap(), 0, "the webhook already stored it");
    assert_eq!(messages(&d, &owner, &conversation).await.len(), 4);
    // A reply reaches the conversation the poll learned.
    let (status, _) = d.reply(&owner, &conversation, "all four read").await;
    assert_eq!(status, 202);
    let delivered = poll(50, || async {
        d.inbox.deliver_now().await.unwrap();
        let sent = sim.sent_messages();
        sent.iter().any(|m| m.conversation_id == "conv-5")
    })
    .await;
    assert!(delivered, "the reply went to conv-5");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_a_conversation_marks_it_read_on_tiktok() {
    let Setup { d, sim, owner, .. } = setup().await;
    let mut ws = d.stream(&owner).await;
    let conversation = buyer_writes(&sim, &mut ws, "conv-6", "6006", "hello?").await;
    assert_eq!(sim.conversation(SHOP, "conv-6").unwrap().unread_count, 1);
    let (status, _) = d.act(&owner, &conversation, "read").await;
    assert_eq!(status, 200);
    // The platform call runs in the background, after the inbox state changed.
    let read =
        poll(100, || async { sim.conversation(SHOP, "conv-6").unwrap().unread_count == 0 }).await;
    assert!(read, "TikTok still shows the buyer's message unread");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deauthorized_shop_fails_replies_with_the_reason_until_it_is_reconnected() {
    let t = setup().await;
    let Setup { d, sim, owner, shop_id, .. } = &t;
    let mut ws = d.stream(owner).await;
    let conversation = buyer_writes(sim, &mut ws, "conv-deauth", "2001", "Still there?").await;
    // UPCOMING_AUTHORIZATION_EXPIRATION: the owner is told; replies still go out.
    let soon = json!({"message": "expires in 7 days", "expire_time": 1_900_000_000});
    assert_eq!(sim.push_authorization_event(SHOP, 7, soon).await.unwrap().status(), 200);
    let told = next_event(&mut ws, |e| e["type"] == "connection_changed").await;
    assert_eq!(told["status"], "expiring", "{told}");
    // SELLER_DEAUTHORIZATION: revoked; the reply fails at once, saying why.
    let gone = json!({"message": "the seller deauthorized the app"});
    assert_eq!(sim.push_authorization_event(SHOP, 6, gone).await.unwrap().status(), 200);
    let told = next_event(&mut ws, |e| e["type"] == "connection_changed").await;
    assert_eq!(told["status"], "revoked", "{told}");
    assert!(told["status_detail"].as_str().unwrap().contains("deauthorized"), "{told}");
    let (status, reply) = d.reply(owner, &conversation, "We are on it").await;
    assert_eq!(status, 202, "{reply}");
    let failed = next_update(&mut ws, &string(&reply["id"])).await;
    assert_eq!(failed["message"]["delivery_status"], "failed", "{failed}");
    let error = failed["message"]["delivery_error"].as_str().unwrap();
    assert!(error.contains("connection_revoked") && error.contains("reconnect"), "{error}");
    assert!(sim.sent_messages().is_empty(), "nothing reached TikTok");
    assert_eq!(connection_view(d, owner, shop_id).await["status"], "revoked");
    // Reconnected (the connection set again): the next reply is delivered.
    let connection = json!({"api_base": sim.base_url(), "credentials": {
        "app_key": "sim_app_key", "app_secret": "sim_app_secret",
        "access_token": sim.access_token(SHOP).unwrap(),
        "shop_cipher": sim.shop_cipher(SHOP).unwrap(), "auth_base": sim.base_url()}});
    let (status, view) = d.connect(owner, shop_id, connection).await;
    assert_eq!(status, 200, "{view}");
    let (_, reply) = d.reply(owner, &conversation, "Back online").await;
    let delivered = next_update(&mut ws, &string(&reply["id"])).await;
    assert_eq!(delivered["message"]["delivery_status"], "delivered", "{delivered}");
    assert_eq!(sim.sent_messages().len(), 1);
    // Nothing stored was lost: the buyer's message and both replies.
    assert_eq!(d.n_messages(owner, &conversation).await, Some(3));
}
