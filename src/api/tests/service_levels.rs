//! Service-level targets over HTTP: the target set in a shop's settings, the deadlines a
//! waiting conversation shows, the most-urgent-first list, the breach counts, and the
//! refusals.

use super::{Call, Harness};
use axum::http::Method;
use serde_json::{Value, json};

async fn get(h: &Harness, token: &str, path: &str) -> Value {
    let (status, body) = h.send(Call::new(Method::GET, path).token(token)).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test]
async fn a_target_shows_on_the_waiting_conversation_and_its_miss_is_counted() {
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let settings = json!({"service_level": {"first_reply_minutes": 5}}).to_string();
    let path = format!("/api/v1/shops/{shop}/settings");
    let (status, saved) = h.send(Call::new(Method::PUT, &path).token(&owner).body(settings)).await;
    assert_eq!(status, 200, "{saved}");
    let body = json!({
        "buyer": {"external_id": "b-1", "nickname": "Ola"},
        "platform_message_id": "m-1",
        "content": {"type": "text", "text": "hello?"},
    })
    .to_string();
    let (status, stored) = h.send(h.signed(&shop, &body, &secret)).await;
    assert_eq!(status, 200, "{stored}");
    let page = get(&h, &owner, "/api/v1/conversations?sort=urgent").await;
    let item = &page["items"][0];
    assert_eq!(item["allowed"]["deadlines"][0]["kind"], "service_level", "{item}");
    assert_eq!(item["allowed"]["deadlines"][0]["within_seconds"], 300);
    assert_eq!(item["next_breach_at"], item["allowed"]["deadlines"][0]["at"]);
    assert!(item.get("sla_due_at").is_none(), "internal columns are not served: {item}");
    h.clock.advance(chrono::Duration::minutes(6));
    let report = get(&h, &owner, "/api/v1/service-levels").await;
    assert_eq!((&report["breaches"], &report["denominator"]), (&json!(1), &json!(1)), "{report}");
    assert_eq!(report["shops"][0]["target"]["first_reply_minutes"], 5);
    assert_eq!(report["shops"][0]["agents"][0]["agent_id"], Value::Null, "nobody held it");
}

#[tokio::test]
async fn service_level_routes_refuse_bad_input_with_json_errors() {
    let (h, owner, shop, _) = Harness::with_shop("api").await;
    let path = format!("/api/v1/shops/{shop}/settings");
    for (name, settings, field) in [
        (
            "zero minutes",
            json!({"service_level": {"first_reply_minutes": 0}}),
            "first_reply_minutes",
        ),
        ("a week", json!({"service_level": {"first_reply_minutes": 10080}}), "first_reply_minutes"),
        (
            "long warning",
            json!({"service_level": {"first_reply_minutes": 5, "warn_before_seconds": 7200}}),
            "warn_before_seconds",
        ),
    ] {
        let call = Call::new(Method::PUT, &path).token(&owner).body(settings.to_string());
        let body = h.check(name, call, 422, "invalid_field").await;
        assert!(
            body["error"]["field"].as_str().is_some_and(|f| f.ends_with(field)),
            "{name}: {body}"
        );
    }
    let unknown = "/api/v1/service-levels?shop_id=00000000-0000-0000-0000-000000000000";
    for (name, path, status, code) in [
        (
            "backwards",
            "/api/v1/service-levels?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            422,
            "invalid_field",
        ),
        (
            "a year",
            "/api/v1/service-levels?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            422,
            "invalid_field",
        ),
        ("unknown key", "/api/v1/service-levels?minutes=5", 400, "invalid_query"),
        ("bad time", "/api/v1/service-levels?from=yesterday", 400, "invalid_query"),
        ("unknown shop", unknown, 404, "not_found"),
    ] {
        h.check(name, Call::new(Method::GET, path).token(&owner), status, code).await;
    }
    h.check("no token", Call::new(Method::GET, "/api/v1/service-levels"), 401, "unauthorized")
        .await;
}
