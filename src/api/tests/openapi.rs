//! The OpenAPI document is exact about what every route shares: the statuses that come
//! from the extractors and layers (415 without a JSON content type, 413, 400 for a plain
//! request to a WebSocket route, 401 and 429 for a caller), and the server answers them
//! as the document says, with the JSON error body.

use super::{Call, Harness};
use axum::http::Method;
use serde_json::Value;

fn statuses(op: &Value) -> Vec<&str> {
    op["responses"].as_object().map(|r| r.keys().map(String::as_str).collect()).unwrap_or_default()
}

#[tokio::test]
async fn the_openapi_document_lists_the_statuses_every_route_shares() {
    let h = Harness::new().await;
    let (status, doc) = h.send(Call::new(Method::GET, "/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    let mut bodies = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let have = statuses(op);
            let name = format!("{method} {path}");
            if op.get("requestBody").is_some() {
                bodies += 1;
                for needed in ["400", "413", "415", "422"] {
                    assert!(have.contains(&needed), "{name} lacks {needed}: {have:?}");
                }
            }
            if have.contains(&"101") {
                assert!(have.contains(&"400"), "{name}: a plain request is a 400");
            }
            let public = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(|o| o.is_empty())));
            if !public {
                for needed in ["401", "429"] {
                    assert!(have.contains(&needed), "{name} lacks {needed}: {have:?}");
                }
            }
        }
    }
    assert!(bodies > 10, "the walk saw the body-taking operations");
    for name in ["ListStatus", "SortOrder", "FlagFilter"] {
        assert!(doc["components"]["schemas"][name].is_object(), "{name} is registered");
    }
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_a_json_415() {
    let (h, owner, _, _) = Harness::with_shop("api").await;
    let call = Call::new(Method::PUT, "/api/v1/me/presence")
        .token(&owner)
        .body(r#"{"capacity": 5}"#)
        .content_type(None);
    h.check("no content type", call, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn a_plain_request_to_a_websocket_route_is_a_json_400() {
    let (h, owner, _, _) = Harness::with_shop("api").await;
    let call = Call::new(Method::GET, "/api/v1/stream").token(&owner);
    h.check("a plain GET of the stream", call, 400, "not_websocket").await;
}

#[tokio::test]
async fn an_integral_number_is_an_integer_as_the_schema_says() {
    let (h, owner, _, _) = Harness::with_shop("api").await;
    let call =
        Call::new(Method::PUT, "/api/v1/me/presence").token(&owner).body(r#"{"capacity": 7.0}"#);
    let (status, presence) = h.send(call).await;
    assert_eq!((status, &presence["capacity"]), (200, &Value::from(7)), "{presence}");
}
