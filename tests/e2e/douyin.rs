//! Douyin end to end, against the simulator: the open platform has no chat API, so what
//! shopmux connects is the order push (verified with `event-sign`, answered with
//! Douyin's acknowledgement) and the order look-up that names the buyer. The buyer's
//! orders then open DY-WIN-2's window for a seller-initiated chat, whose delivery fails
//! visibly (no API to send it).

use crate::support::*;
use serde_json::json;
use shopmux_simulator::douyin::{Order, Shop, SimConfig, SimHandle};
use shopmux_simulator::{DouyinSim, WebhookFaults};

const SHOP: &str = "12345";
const ORDER: &str = "4781320682406083640";

/// A Douyin simulator whose shop [`SHOP`] has `order`, and a daemon with that shop
/// connected and receiving its pushes; returns the owner's token and the shop's id too.
async fn connected(order: &Order) -> (SimHandle, TestDaemon, String, String) {
    let sim = DouyinSim::start(SimConfig {
        shops: vec![Shop { orders: vec![order.clone()], ..Default::default() }],
        ..Default::default()
    })
    .await
    .unwrap();
    let d = start().await;
    let (owner, shop_id, _) = d.seller("Douyin Seller", "douyin", SHOP).await;
    let connection = json!({"api_base": sim.base_url(), "credentials": {
        "app_key": "7000000000000000001", "app_secret": "sim-douyin-secret",
        "access_token": sim.access_token(SHOP).unwrap()}});
    let (status, view) = d.connect(&owner, &shop_id, connection).await;
    assert_eq!(status, 200, "{view}");
    sim.set_push_url(Some(d.url(&format!("/webhooks/douyin/{shop_id}"))));
    (sim, d, owner, shop_id)
}

/// Asserts that the receiver answers a push of `body`, signed as Douyin signs it, with
/// Douyin's own acknowledgement body.
async fn assert_acknowledged(d: &TestDaemon, shop_id: &str, body: &[u8]) {
    let resp = client()
        .post(d.url(&format!("/webhooks/douyin/{shop_id}")))
        .header("app-id", "7000000000000000001")
        .header(
            "event-sign",
            shopmux_adapter_douyin::sign::push_sign(
                "7000000000000000001",
                "sim-douyin-secret",
                body,
            ),
        )
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), shopmux_adapter_douyin::wire::PUSH_ACK_BODY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dy_win_2_a_verified_order_push_brings_the_buyer_and_opens_the_window() {
    let order =
        Order { create_time: chrono::Utc::now().timestamp() - 86_400, ..Default::default() };
    let (sim, d, owner, shop_id) = connected(&order).await;

    // A forged push is refused and records nothing.
    sim.set_webhook_faults(WebhookFaults { bad_signature: true, ..Default::default() });
    let forged = sim.push_trade_create(SHOP, ORDER).await.unwrap();
    assert_eq!(forged.status(), 401, "{forged:?}");
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT CAST(COUNT(*) AS BIGINT) FROM orders")
            .fetch_one(d.inbox.store().pool())
            .await
            .unwrap()
    };
    assert_eq!(count().await, 0);

    // The real push (twice: Douyin redelivers) is acknowledged Douyin's way, once.
    sim.set_webhook_faults(WebhookFaults { duplicate: true, ..Default::default() });
    let delivery = sim.push_trade_create(SHOP, ORDER).await.unwrap();
    assert!(delivery.statuses.iter().all(|s| *s == 200), "{delivery:?}");
    assert_eq!(count().await, 1);
    let buyer: String = sqlx::query_scalar("SELECT buyer_id FROM orders WHERE external_id = $1")
        .bind(ORDER)
        .fetch_one(d.inbox.store().pool())
        .await
        .unwrap();
    let (status, profile) = d.get(&format!("/api/v1/buyers/{buyer}"), &owner).await;
    assert_eq!(status, 200, "{profile}");
    assert_eq!(profile["buyer"]["external_id"], order.doudian_open_id.as_str());
    assert_eq!(profile["orders"][0]["external_id"], ORDER);

    // The receiver answers with Douyin's own acknowledgement body.
    assert_acknowledged(&d, &shop_id, &delivery.body).await;
    assert_eq!(count().await, 1);

    // Feige has no API: the order notice is what shows in the buyer's conversation, as
    // an order card (once, however often Douyin redelivers).
    let (_, list) = d.get("/api/v1/conversations?platform=douyin", &owner).await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let noticed = string(&items[0]["id"]);
    let page = d.messages(&owner, &noticed).await;
    let cards = page["items"].as_array().unwrap();
    assert_eq!(cards.len(), 1, "{page}");
    assert_eq!(cards[0]["content"]["type"], "order_card");
    assert_eq!(cards[0]["content"]["order_id"], ORDER);
    let (status, _) = d.act(&owner, &noticed, "end").await;
    assert_eq!(status, 200);

    // rule: DY-WIN-2 — an order in the last 30 days: the seller may start a chat...
    let path = format!("/api/v1/shops/{shop_id}/buyers/{buyer}/conversations");
    let text = json!({"type": "text", "text": "Your parcel ships today."});
    let (status, started) = d.post_json(&path, &owner, json!({"content": text})).await;
    assert_eq!(status, 201, "{started}");
    // ... but Douyin offers no API to deliver it: it fails visibly, with the reason.
    let conversation = string(&started["conversation"]["id"]);
    let mut shown = None;
    for _ in 0..100 {
        d.inbox.deliver_now().await.unwrap();
        let page = d.messages(&owner, &conversation).await;
        if page["items"][0]["delivery_status"] == "failed" {
            shown = page["items"][0]["delivery_error"].as_str().map(str::to_owned);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(shown.unwrap_or_default().contains("no_im_api"));
}
