//! The integrations API at the router: the main account registers an endpoint (its
//! secret shown once, in the 201 only), lists it with its status, pings it, reads the
//! delivery, pauses and resumes it, rotates the secret and deletes it; bad URLs and
//! events are 422, sub-accounts get 403.

use super::{Call, Harness};
use axum::http::Method;
use serde_json::json;

fn create(token: &str, body: serde_json::Value) -> Call<'_> {
    Call::new(Method::POST, "/api/v1/webhook-endpoints").token(token).body(body.to_string())
}

#[tokio::test]
async fn the_owner_manages_endpoints_and_sees_their_deliveries() {
    let h = Harness::new().await;
    let owner = h.owner().await;
    let body = json!({"url": "https://hooks.example.com/in", "events": ["message.created", "conversation.closed"],
        "description": "CRM", "notify_email": "Ops@Example.com"});
    let (status, created) = h.send(create(&owner, body)).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() == 70);
    let ep = &created["endpoint"];
    assert_eq!(ep["status"], "active");
    assert_eq!(ep["notify_email"], "ops@example.com");
    assert_eq!(ep["events"], json!(["message.created", "conversation.closed"]));
    let id = ep["id"].as_str().unwrap();
    let (status, listed) =
        h.send(Call::new(Method::GET, "/api/v1/webhook-endpoints").token(&owner)).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(secret), "the secret is never listed");
    let path = |tail: &str| format!("/api/v1/webhook-endpoints/{id}{tail}");
    let (status, ping) = h.send(Call::new(Method::POST, path("/ping")).token(&owner)).await;
    assert_eq!((status, &ping["event"], &ping["status"]), (201, &json!("ping"), &json!("pending")));
    let (_, deliveries) =
        h.send(Call::new(Method::GET, path("/deliveries?limit=5")).token(&owner)).await;
    assert_eq!(deliveries[0]["id"], ping["id"]);
    let over = Call::new(Method::GET, path("/deliveries?limit=500")).token(&owner);
    h.check("limit out of range", over, 422, "invalid_field").await;
    let (status, paused) = h.send(Call::new(Method::POST, path("/pause")).token(&owner)).await;
    assert_eq!(
        (status, &paused["status"], &paused["pause_reason"]),
        (200, &json!("paused"), &json!("manual"))
    );
    assert_eq!(paused["pending"], 1);
    let (_, resumed) = h.send(Call::new(Method::POST, path("/resume")).token(&owner)).await;
    assert_eq!(resumed["status"], "active");
    let again = path(&format!("/deliveries/{}/retry", ping["id"].as_str().unwrap()));
    let (status, _) = h.send(Call::new(Method::POST, again).token(&owner)).await;
    assert_eq!(status, 200);
    let (status, rotated) = h.send(Call::new(Method::POST, path("/secret")).token(&owner)).await;
    assert_eq!(status, 200);
    assert_ne!(rotated["secret"].as_str().unwrap(), secret);
    let (status, _) = h.send(Call::new(Method::DELETE, path("")).token(&owner)).await;
    assert_eq!(status, 200);
    h.check("deleted", Call::new(Method::GET, path("")).token(&owner), 404, "not_found").await;
}

#[tokio::test]
async fn bad_endpoints_are_refused_and_only_the_main_account_manages_them() {
    let h = Harness::new().await;
    let owner = h.owner().await;
    let cases = [
        (
            "plain http",
            json!({"url": "http://hooks.example.com/in", "events": ["message.created"]}),
        ),
        ("no host", json!({"url": "https:///in", "events": ["message.created"]})),
        (
            "credentials in the URL",
            json!({"url": "https://user:pw@hooks.example.com/", "events": ["message.created"]}),
        ),
        ("no events", json!({"url": "https://hooks.example.com/in", "events": []})),
        (
            "ping is not subscribable",
            json!({"url": "https://hooks.example.com/in", "events": ["ping"]}),
        ),
        (
            "a bad email",
            json!({"url": "https://hooks.example.com/in", "events": ["bot.handoff"], "notify_email": "nope"}),
        ),
    ];
    for (name, body) in cases {
        h.check(name, create(&owner, body), 422, "invalid_field").await;
    }
    let unknown = json!({"url": "https://hooks.example.com/in", "events": ["order.paid"]});
    h.check("an unknown event", create(&owner, unknown), 400, "invalid_body").await;
    let body = json!({"nickname": "sub"}).to_string();
    let (_, sub) = h.send(Call::new(Method::POST, "/api/v1/agents").token(&owner).body(body)).await;
    let sub = sub["token"].as_str().unwrap();
    let ok = json!({"url": "https://hooks.example.com/in", "events": ["rating.received"]});
    h.check("a sub-account", create(sub, ok), 403, "forbidden").await;
    let list = Call::new(Method::GET, "/api/v1/webhook-endpoints").token(sub);
    h.check("a sub-account lists", list, 403, "forbidden").await;
}
