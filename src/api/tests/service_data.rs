//! Service data over HTTP (issue 17): a Douyin shop's figures after a reply, per shop
//! and per agent, as JSON and CSV, the agent's own, the daily series, the rating
//! analysis's 30-day limit, and the refusals.

use super::{Call, Harness};
use axum::body::Body;
use axum::http::{Method, Request, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::inbound::InboundMessage;
use tower::ServiceExt;

async fn get(h: &Harness, token: &str, path: &str) -> Value {
    let (status, body) = h.send(Call::new(Method::GET, path).token(token)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

/// A Douyin shop whose buyer wrote and was answered 20 s later; the owner's token, the
/// shop id.
async fn answered_shop() -> (Harness, String, String) {
    let h = Harness::new().await;
    let owner = h.owner().await;
    let (shop, _) = h.shop(&owner, "douyin").await;
    let ingest = h.inbox.ingest_shop(shop.parse().unwrap()).await.unwrap().unwrap();
    let message: InboundMessage = serde_json::from_value(json!({
        "buyer": {"external_id": "b-1", "nickname": "Ola"},
        "platform_message_id": "m-1",
        "content": {"type": "text", "text": "hi"},
    }))
    .unwrap();
    let stored = h.inbox.ingest(ingest, message).await.unwrap();
    // The owner takes it at once and answers 20 s later (DY-QA-2 counts from the taking).
    let viewer = h.inbox.authenticate(&owner).await.unwrap().expect("viewer");
    let take = Change::Assign(viewer.agent.id);
    h.inbox.change(&viewer, stored.conversation_id, take).await.expect("assign");
    h.clock.advance(chrono::Duration::seconds(20));
    let path = format!("/api/v1/conversations/{}/messages", stored.conversation_id);
    let body = json!({"content": {"type": "text", "text": "hello"}}).to_string();
    let (status, sent) = h.send(Call::new(Method::POST, &path).token(&owner).body(body)).await;
    assert!(status < 300, "{sent}");
    (h, owner, shop)
}

fn figure<'a>(row: &'a Value, kind: &str) -> &'a Value {
    row["figures"].as_array().and_then(|f| f.iter().find(|f| f["kind"] == kind)).expect(kind)
}

// rule: DY-QA-1
// rule: DY-QA-2
#[tokio::test]
async fn a_reply_shows_in_the_shops_the_agents_and_the_csv_figures() {
    let (h, owner, shop) = answered_shop().await;
    let report = get(&h, &owner, "/api/v1/service-data?period=day&date=2026-01-01").await;
    let row = &report["rows"][0];
    assert_eq!(row["shop_id"], json!(shop));
    let first = figure(row, "first_response_time");
    assert_eq!(
        (&first["rule"], &first["numerator"], &first["denominator"], &first["unit"]),
        (&json!("DY-QA-2"), &json!(20_000), &json!(1), &json!("milliseconds"))
    );
    assert_eq!(first["from"], "2026-01-01T00:00:00Z");
    let within = figure(row, "replies_within");
    assert_eq!((&within["numerator"], &within["value"]), (&json!(1), &json!(1.0)));
    let agents = get(&h, &owner, "/api/v1/service-data?group=agent&period=week").await;
    assert_eq!(agents["rows"].as_array().map(Vec::len), Some(1), "{agents}");
    let me = get(&h, &owner, "/api/v1/me/service-data").await;
    assert_eq!(figure(&me["rows"][0], "buyers_served")["numerator"], 1, "{me}");
    let series = get(
        &h,
        &owner,
        &format!("/api/v1/service-data/series?shop_id={shop}&from=2025-12-31&to=2026-01-02"),
    )
    .await;
    assert_eq!(series["days"], json!(["2025-12-31", "2026-01-01", "2026-01-02"]));
    let served: Vec<Value> = series["figures"]
        .as_array()
        .expect("days")
        .iter()
        .map(|day| figure(&json!({"figures": day}), "buyers_served")["numerator"].clone())
        .collect();
    assert_eq!(served, [json!(0), json!(1), json!(0)]);
    // The CSV carries the same figure with its rule, numerator and denominator.
    let request = Request::get("/api/v1/service-data/export?date=2026-01-01")
        .header(header::AUTHORIZATION, format!("Bearer {owner}"))
        .body(Body::empty())
        .unwrap();
    let response = h.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/csv"));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let csv = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(csv.starts_with("shop_id,platform,agent_id,time_zone,rule,figure,"), "{csv}");
    let line = csv.lines().find(|l| l.contains(",first_response_time,")).expect("a line");
    assert!(line.contains(",DY-QA-2,first_response_time,milliseconds,"), "{line}");
    assert!(line.ends_with(",20000,1,20000"), "{line}");
}

// rule: DY-QA-3
#[tokio::test]
async fn service_data_routes_refuse_bad_input_with_json_errors() {
    let (h, owner, shop) = answered_shop().await;
    let cases = [
        ("unknown period", "/api/v1/service-data?period=year".to_owned(), 422, "invalid_field"),
        ("unknown key", "/api/v1/service-data?colour=red".to_owned(), 400, "invalid_query"),
        ("bad date", "/api/v1/service-data?date=yesterday".to_owned(), 400, "invalid_query"),
        ("half a range", "/api/v1/service-data?from=2026-01-01".to_owned(), 422, "invalid_field"),
        (
            "31 days of ratings",
            "/api/v1/service-data/ratings?from=2026-01-01&to=2026-01-31".to_owned(),
            422,
            "invalid_field",
        ),
        (
            "a long series",
            format!("/api/v1/service-data/series?shop_id={shop}&from=2026-01-01&to=2026-06-01"),
            422,
            "invalid_field",
        ),
    ];
    for (name, path, status, code) in cases {
        h.check(name, Call::new(Method::GET, &path).token(&owner), status, code).await;
    }
    let ok = get(&h, &owner, "/api/v1/service-data/ratings?from=2026-01-01&to=2026-01-30").await;
    assert_eq!(figure(&ok["rows"][0], "rating_rate")["denominator"], 1, "{ok}");
    // A sub-account reads its own figures only.
    let body = json!({"nickname": "sub", "shops": [{"shop_id": shop, "can_chat": true}]});
    let (status, sub) = h
        .send(Call::new(Method::POST, "/api/v1/agents").token(&owner).body(body.to_string()))
        .await;
    assert_eq!(status, 201, "{sub}");
    let token = sub["token"].as_str().expect("token");
    h.check(
        "not the main account",
        Call::new(Method::GET, "/api/v1/service-data").token(token),
        403,
        "forbidden",
    )
    .await;
    let mine = get(&h, token, "/api/v1/me/service-data").await;
    assert_eq!(mine["rows"][0]["agent_id"], sub["agent"]["id"], "{mine}");
}
