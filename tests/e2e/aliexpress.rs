//! AliExpress end to end, against the simulator: an order looked up on the platform
//! (`aliexpress.solution.order.info.get`) carries its parcel's tracking number
//! (`logistic_info_list[].logistics_no`), which fills a quick reply's
//! `{tracking_number}` in the buyer's conversation (issue 16 §1).

use crate::support::*;
use chrono::{TimeDelta, Utc};
use serde_json::json;
use shopmux_contract::InboundEvent;
use shopmux_simulator::AliExpressSim;
use shopmux_simulator::aliexpress::{Buyer, Order, SimConfig};

const ORDER: &str = "8100000000000007";
const TRACKING: &str = "LP00123456789012CN";

#[tokio::test]
async fn an_aliexpress_orders_tracking_number_fills_the_quick_reply_variable() {
    let sim = AliExpressSim::start(SimConfig::default()).await.unwrap();
    let d = start().await;
    let (owner, shop, seller) = d.aliexpress_seller(&sim).await;
    let buyer = Buyer::new(1);
    let order = Order {
        id: ORDER.into(),
        buyer: buyer.clone(),
        created_at: Utc::now() - TimeDelta::days(3),
        status: "WAIT_BUYER_ACCEPT_GOODS".into(),
        issue_status: "NO_ISSUE".into(),
        logistics_no: Some(TRACKING.into()),
    };
    sim.add_order(&seller, order).unwrap();
    let mut msg = message(&buyer.login_id, "ae-m1", "¿Dónde está mi paquete?");
    msg["order"] = json!({"external_id": ORDER});
    let conv = d.ingest(&shop, msg).await.conversation_id;
    let reply = json!({"title": "Track", "text": "Order {order_id}: {tracking_number}"});
    let (status, created) = d.post_json("/api/v1/quick_replies", &owner, reply).await;
    assert_eq!(status, 201, "{created}");
    let render = format!(
        "/api/v1/conversations/{conv}/quick_replies/{}/render",
        created["id"].as_str().unwrap()
    );
    let (_, before) = d.get(&render, &owner).await;
    assert_eq!(before["unfilled"], json!(["tracking_number"]), "{before}");
    // The order changes on the platform: looked up, it carries its tracking number.
    let changed = InboundEvent::OrderChanged {
        order_external_id: ORDER.into(),
        buyer: None,
        reverse_in_progress: None,
        updated_at_ms: None,
    };
    d.inbox.apply(&shop, vec![changed]).await.expect("looked up");
    let (status, rendered) = d.get(&render, &owner).await;
    assert_eq!(status, 200, "{rendered}");
    assert_eq!(rendered["text"], format!("Order {ORDER}: {TRACKING}"), "{rendered}");
    assert_eq!(rendered["unfilled"], json!([]), "{rendered}");
    d.stop().await;
}
