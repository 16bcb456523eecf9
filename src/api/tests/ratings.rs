//! Ratings and history filters over HTTP (DY-RATE-1, DY-HIST-1): the invitation, a
//! buyer's rating through the signed inbound, its thank-you, the rating list, the
//! history filters with their count, and the refusals.

use super::{Call, Harness};
use axum::http::Method;
use serde_json::{Value, json};

/// A buyer message through the `api` channel's signed inbound; its conversation.
async fn inbound(h: &Harness, shop: &str, secret: &str, id: &str, content: Value) -> String {
    let body = json!({
        "buyer": {"external_id": "b-ola", "nickname": "Ola Nowak"},
        "platform_message_id": id,
        "content": content,
    })
    .to_string();
    let (status, stored) = h.send(h.signed(shop, &body, secret)).await;
    assert_eq!(status, 200, "{stored}");
    stored["conversation_id"].as_str().expect("conversation").to_owned()
}

async fn get(h: &Harness, token: &str, path: &str) -> Value {
    let (status, body) = h.send(Call::new(Method::GET, path).token(token)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test]
async fn an_invitation_then_a_rating_through_the_api_channel_is_listed_and_thanked() {
    // rule: DY-RATE-1 (an invitation without a score; the buyer rates; thanks name the agent)
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let conv = inbound(&h, &shop, &secret, "m-1", json!({"type": "text", "text": "hi"})).await;
    let invite = format!("/api/v1/conversations/{conv}/rating_invitation");
    let (status, sent) = h.send(Call::new(Method::POST, &invite).token(&owner)).await;
    assert_eq!(status, 202, "{sent}");
    assert_eq!(sent["content"], json!({"type": "rating_card"}), "no preselected score");
    let rating = json!({"type": "rating_card", "score": 5, "comment": "great"});
    assert_eq!(inbound(&h, &shop, &secret, "r-1", rating).await, conv);
    let page = get(&h, &owner, &format!("/api/v1/ratings?conversation_id={conv}")).await;
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{page}");
    assert_eq!(
        (&items[0]["score"], &items[0]["comment"], &items[0]["source"], &items[0]["latest"]),
        (&json!(5), &json!("great"), &json!("api_channel"), &json!(true))
    );
    let messages = get(&h, &owner, &format!("/api/v1/conversations/{conv}/messages")).await;
    let last = messages["items"].as_array().and_then(|m| m.last()).cloned().expect("a message");
    assert_eq!(last["sender_kind"], "bot");
    assert_eq!(last["content"]["text"], "Thank you for your rating! — Owner");
    let filtered = get(&h, &owner, "/api/v1/ratings?score=4&source=api_channel").await;
    assert_eq!(filtered["items"], json!([]));
}

#[tokio::test]
async fn rating_routes_refuse_bad_input_with_json_errors() {
    // rule: DY-RATE-1
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let conv = inbound(&h, &shop, &secret, "m-1", json!({"type": "text", "text": "hi"})).await;
    // An agent never sends a scored card: nobody rates for the buyer.
    let scored = json!({"content": {"type": "rating_card", "score": 5}}).to_string();
    let reply = Call::new(Method::POST, format!("/api/v1/conversations/{conv}/messages"));
    let body = h.check("scored card", reply.token(&owner).body(scored), 422, "invalid_field").await;
    assert_eq!(body["error"]["field"], "content.score", "{body}");
    let unknown = "01a20000-0000-7000-8000-000000000000";
    for (name, path, status, code) in [
        ("score out of range", "/api/v1/ratings?score=9".to_owned(), 422, "invalid_field"),
        ("unknown source", "/api/v1/ratings?source=email".to_owned(), 400, "invalid_query"),
        ("unknown key", "/api/v1/ratings?stars=5".to_owned(), 400, "invalid_query"),
        ("bad time", "/api/v1/ratings?from=yesterday".to_owned(), 400, "invalid_query"),
        (
            "unknown conversation",
            format!("/api/v1/ratings?conversation_id={unknown}"),
            404,
            "not_found",
        ),
        ("forged cursor", "/api/v1/ratings?cursor=abc".to_owned(), 422, "invalid_field"),
    ] {
        h.check(name, Call::new(Method::GET, path).token(&owner), status, code).await;
    }
    let invite = format!("/api/v1/conversations/{unknown}/rating_invitation");
    h.check("invite unknown", Call::new(Method::POST, invite).token(&owner), 404, "not_found")
        .await;
    // A buyer's rating card with a score out of range is refused, never stored.
    let body = json!({"buyer": {"external_id": "b"}, "platform_message_id": "r-9",
        "content": {"type": "rating_card", "score": 9}})
    .to_string();
    let (status, answer) = h.send(h.signed(&shop, &body, &secret)).await;
    assert!(status >= 400 || answer["refused"] == json!(1), "{status} {answer}");
    assert_eq!(get(&h, &owner, "/api/v1/ratings").await["items"], json!([]));
}

#[tokio::test]
async fn an_invitation_where_the_platform_has_no_rating_card_names_the_rule() {
    // rule: ALL-CARD-1 (a platform that lacks a type refuses it with a clear error)
    let (h, owner, shop, _) = Harness::with_shop("tiktok").await;
    let ingest = h.inbox.ingest_shop(shop.parse().expect("id")).await.unwrap().unwrap();
    let message = serde_json::from_value(json!({
        "buyer": {"external_id": "b-1"}, "platform_message_id": "m-1",
        "content": {"type": "text", "text": "hi"},
    }))
    .expect("message");
    let conv = h.inbox.ingest(ingest, message).await.expect("ingest").conversation_id;
    let invite = format!("/api/v1/conversations/{conv}/rating_invitation");
    let body = h
        .check("tiktok", Call::new(Method::POST, invite).token(&owner), 422, "rule_violation")
        .await;
    assert_eq!(body["error"]["rule"], "TT-MSG-1", "{body}");
}

#[tokio::test]
async fn history_filters_answer_with_the_count_of_every_match() {
    // rule: DY-HIST-1 (history by time, agent and buyer name or id, with counts)
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let conv = inbound(&h, &shop, &secret, "m-1", json!({"type": "text", "text": "hi"})).await;
    let (status, _) = h
        .send(Call::new(Method::POST, format!("/api/v1/conversations/{conv}/end")).token(&owner))
        .await;
    assert_eq!(status, 200);
    let me = get(&h, &owner, "/api/v1/me").await;
    let me = me["agent"]["id"].as_str().expect("my id").to_owned();
    for (query, total) in [
        ("buyer=ola", 1),
        ("buyer=b-ola", 1),
        ("buyer=nobody", 0),
        ("from=2020-01-01T00:00:00Z&to=2099-01-01T00:00:00Z", 1),
        ("from=2099-01-01T00:00:00Z", 0),
    ] {
        let page = get(&h, &owner, &format!("/api/v1/conversations?status=history&{query}")).await;
        assert_eq!(page["total"], json!(total), "{query}: {page}");
        assert_eq!(page["items"].as_array().map(Vec::len), Some(total as usize), "{query}");
    }
    let unanswered =
        get(&h, &owner, &format!("/api/v1/conversations?status=history&agent_id={me}")).await;
    assert_eq!(unanswered["total"], json!(0), "nobody took it: {unanswered}");
    let plain = get(&h, &owner, "/api/v1/conversations?status=history").await;
    assert!(plain.get("total").is_none(), "no count unless a history filter asks: {plain}");
    h.check(
        "reversed range",
        Call::new(
            Method::GET,
            "/api/v1/conversations?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        )
        .token(&owner),
        422,
        "invalid_field",
    )
    .await;
    h.check(
        "not a time",
        Call::new(Method::GET, "/api/v1/conversations?from=monday").token(&owner),
        400,
        "invalid_query",
    )
    .await;
}
