//! Platform rules through the API: refusals are 422 `rule_violation` naming the rule,
//! and a refused reply never reaches the outbox.

use crate::support::*;
use chrono::Duration;
use serde_json::{Value, json};

async fn count(d: &TestDaemon, sql: &'static str) -> i64 {
    use sqlx::Row;
    let row = sqlx::query(sql).fetch_one(d.inbox.store().pool()).await.unwrap();
    row.try_get::<i64, _>(0).unwrap()
}

/// Asserts a 422 `rule_violation` answer naming `rule`.
fn assert_refused_by(answer: &(u16, Value), rule: &str) {
    assert_error(answer, 422, "code", "rule_violation");
    assert_error(answer, 422, "rule", rule);
}

#[tokio::test]
async fn tt_win_2_reply_to_a_tiktok_conversation_closed_30_days_and_1_second_ago_is_refused() {
    let (clock, d) = start_at_epoch().await;
    let (token, shop_id, shop) = d.seller("Tik", "tiktok", "tt-1").await;
    let asked = message("buyer-1", "tt-m1", "Is this in stock?");
    let conv = d.ingest(&shop, asked).await.conversation_id;
    let (status, rules) = d.get(&format!("/api/v1/shops/{shop_id}/rules"), &token).await;
    assert_eq!(status, 200);
    assert!(rules["rules"].to_string().contains("TT-WIN-2"), "{rules}");
    let (status, _) = d.act(&token, conv, "close").await;
    assert_eq!(status, 200);

    clock.advance(Duration::days(30));
    let (status, body) = d.conversation(&token, conv).await;
    assert_eq!(
        (status, body["allowed"]["reply"]["allowed"].as_bool()),
        (200, Some(true)),
        "{body}"
    );

    clock.advance(Duration::seconds(1));
    let (status, body) = d.conversation(&token, conv).await;
    assert_eq!(status, 200);
    assert_eq!(
        body["allowed"]["reply"]["allowed"], false,
        "the UI can grey out the reply box: {body}"
    );
    assert_eq!(body["allowed"]["reply"]["refusal"]["rule"], "TT-WIN-2");
    let (_, list) = d.get("/api/v1/conversations?status=closed", &token).await;
    assert_eq!(
        list["items"][0]["allowed"]["reply"]["allowed"], false,
        "the list shows it too: {list}"
    );

    let refused = d.reply(&token, conv, "Yes, it is.").await;
    assert_refused_by(&refused, "TT-WIN-2");
    let body = refused.1;
    assert!(
        body["error"]["window_closed_at"].as_str().is_some_and(|t| t.starts_with("2026-01-31")),
        "{body}"
    );
    assert_eq!(
        count(&d, "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox").await,
        0,
        "nothing was written to the outbox"
    );
    assert_eq!(d.n_messages(&token, conv).await, Some(1));
    d.stop().await;
}

#[tokio::test]
async fn sh_img_1_a_shopify_customer_image_is_refused_not_stored() {
    let d = start().await;
    let (_, _, shop) = d.seller("Shop", "shopify", "s-1").await;
    let image = json!({
        "buyer": {"external_id": "c-1"}, "platform_message_id": "img-1",
        "content": {"type": "image", "url": "https://example.invalid/cat.png"}
    });
    let refused = d.feed(&shop, image).await.unwrap_err();
    assert!(
        matches!(&refused, shopmux_core::CoreError::RuleViolation(r) if r.rule == "SH-IMG-1"),
        "{refused}"
    );
    assert_eq!(count(&d, "SELECT CAST(COUNT(*) AS BIGINT) FROM messages").await, 0);
    d.stop().await;
}

#[tokio::test]
async fn dy_end_2_a_douyin_conversation_ends_15_minutes_after_the_agent_even_across_a_restart() {
    let (clock, d) = start_at_epoch().await;
    let (token, _, shop) = d.seller("Dou", "douyin", "dy-1").await;
    let quiet = d.ingest(&shop, message("b1", "d1", "在吗")).await;
    let waiting = d.ingest(&shop, message("b2", "d2", "你好")).await;
    for conv in [quiet.conversation_id, waiting.conversation_id] {
        let (status, _) = d.reply(&token, conv, "在的").await;
        assert_eq!(status, 202);
    }
    // b2 writes again: now the buyer is the one waiting there.
    d.ingest(&shop, message("b2", "d3", "发货了吗")).await;
    let (url, dir) = (d.db_url.clone(), d.dir.clone());
    let tmp = d.stop().await;

    clock.advance(Duration::minutes(15) + Duration::seconds(1));
    let d = start_with(&url, dir, clock.clone()).await;
    let mut ws = d.stream(&token).await;
    let event = next_event(&mut ws, |e| e["type"] == "conversation_updated").await;
    assert_eq!(event["conversation"]["id"], quiet.conversation_id.to_string());
    assert_eq!(event["conversation"]["state"], "ended");
    let (_, detail) = d.conversation(&token, waiting.conversation_id).await;
    assert_eq!(
        detail["conversation"]["state"], "in_progress",
        "the buyer is waiting there: it does not end"
    );
    d.stop().await;
    drop(tmp);
}

#[tokio::test]
async fn ae_win_2_ae_win_3_a_seller_initiated_aliexpress_chat_is_refused_through_the_api() {
    let (clock, d) = start_at_epoch().await;
    let (token, shop_id, shop) = d.seller("AE", "aliexpress", "ae-1").await;
    let mut msg = message("comprador", "ae-m1", "¿Cuándo llega?");
    msg["order"] = json!({"external_id": "AE-1", "created_at": "2025-09-03T00:00:00Z"});
    let conv = d.ingest(&shop, msg).await.conversation_id;
    let (_, detail) = d.act(&token, conv, "end").await;
    let buyer = string(&detail["buyer_id"]);

    // The buyer's last reply 31 days ago, the only order 151 days old.
    clock.advance(Duration::days(31));
    let start =
        json!({"content": {"type": "text", "text": "Su pedido salió hoy"}, "order_id": "AE-1"});
    let path = format!("/api/v1/shops/{shop_id}/buyers/{buyer}/conversations");
    let refused = d.post_json(&path, &token, start).await;
    assert_refused_by(&refused, "AE-WIN-2/AE-WIN-3");
    d.stop().await;
}

#[tokio::test]
async fn sh_status_1_a_shopify_conversation_closes_reopens_and_is_marked_unread_through_the_api() {
    let d = start().await;
    let (token, _, shop) = d.seller("SH", "shopify", "sh-1").await;
    let conv = d.ingest(&shop, message("c", "s1", "Hi!")).await.conversation_id;
    for (action, state) in [
        ("read", "unassigned"),
        ("close", "closed"),
        ("reopen", "unassigned"),
        ("unread", "unassigned"),
    ] {
        let (status, body) = d.act(&token, conv, action).await;
        assert_eq!((status, body["state"].as_str()), (200, Some(state)), "{action}: {body}");
    }
    let (_, page) = d.get("/api/v1/conversations?unread=true", &token).await;
    assert_eq!(n_items(&page), Some(1), "marked unread again");
    let (_, closed) = d.get("/api/v1/conversations?status=closed", &token).await;
    assert_eq!(n_items(&closed), Some(0), "reopened: out of the closed list");
    d.stop().await;
}
