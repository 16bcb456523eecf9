//! Router-level tests of the storefront's direct endpoints: the rate limit on session
//! starts per client address (timed by the injected clock, no sleeps), and CORS
//! preflights answered only for the configured store origins.

use super::{Call, Harness};
use axum::http::Method;
use std::net::SocketAddr;

fn start_call(shop: &str, last: u8) -> Call<'static> {
    Call::new(Method::POST, format!("/storefront/{shop}/sessions"))
        .body("{}")
        .peer(SocketAddr::from(([198, 51, 100, last], 40000)))
}

#[tokio::test]
async fn storefront_session_starts_are_rate_limited_per_client_address() {
    let (h, _owner, shop, _) = Harness::with_shop("shopify").await;
    for _ in 0..10 {
        let (status, body) = h.send(start_call(&shop, 7)).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, headers, body) = h.send_full(start_call(&shop, 7)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")), "{body}");
    assert_eq!(headers.get("retry-after").unwrap(), "6");
    // Another address is not limited; the same one is again after the wait.
    assert_eq!(h.send(start_call(&shop, 8)).await.0, 201);
    h.clock.advance(chrono::Duration::seconds(6));
    assert_eq!(h.send(start_call(&shop, 7)).await.0, 201);
}

#[tokio::test]
async fn storefront_cors_preflight_allows_only_the_configured_store_origin() {
    let (h, _owner, shop, _) = Harness::with_shop("shopify").await;
    let preflight = |origin: &'static str| {
        Call::new(Method::OPTIONS, format!("/storefront/{shop}/sessions"))
            .content_type(None)
            .header("origin", origin.to_owned())
            .header("access-control-request-method", "POST".to_owned())
            .header("access-control-request-headers", "content-type".to_owned())
    };
    let (status, headers, _) = h.send_full(preflight("https://store.example")).await;
    assert_eq!(status, 200);
    assert_eq!(headers.get("access-control-allow-origin").unwrap(), "https://store.example");
    assert!(
        headers.get("access-control-allow-methods").unwrap().to_str().unwrap().contains("POST")
    );
    let (_, headers, _) = h.send_full(preflight("https://evil.example")).await;
    assert!(headers.get("access-control-allow-origin").is_none(), "{headers:?}");
    // The allowed origin gets nothing on the agents' API.
    let api = Call::new(Method::OPTIONS, "/api/v1/conversations")
        .content_type(None)
        .header("origin", "https://store.example".to_owned())
        .header("access-control-request-method", "GET".to_owned());
    let (_, headers, _) = h.send_full(api).await;
    assert!(headers.get("access-control-allow-origin").is_none(), "{headers:?}");
    // The actual request from the allowed origin carries the header too.
    let call = start_call(&shop, 9).header("origin", "https://store.example".to_owned());
    let (status, headers, _) = h.send_full(call).await;
    assert_eq!(status, 201);
    assert_eq!(headers.get("access-control-allow-origin").unwrap(), "https://store.example");
}

#[tokio::test]
async fn storefront_history_pages_are_rate_limited_per_session_and_bad_input_is_a_4xx() {
    let (h, _owner, shop, _) = Harness::with_shop("shopify").await;
    let (status, session) = h.send(start_call(&shop, 20)).await;
    assert_eq!(status, 201, "{session}");
    let token = session["token"].as_str().unwrap().to_owned();
    let history = |body: String, last: u8| {
        Call::new(Method::POST, format!("/storefront/{shop}/history"))
            .body(body)
            .peer(SocketAddr::from(([198, 51, 100, last], 40000)))
    };
    let page = serde_json::json!({"token": token}).to_string();
    for _ in 0..20 {
        let (status, body) = h.send(history(page.clone(), 21)).await;
        assert_eq!(status, 200, "{body}");
    }
    // The same session from another address is limited too; the wait is a second.
    let (status, headers, body) = h.send_full(history(page.clone(), 22)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")), "{body}");
    assert_eq!(headers.get("retry-after").unwrap(), "1");
    h.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(h.send(history(page, 21)).await.0, 200);
    // Attacker input: never a 5xx, always a JSON error with a code.
    let huge = "9".repeat(10_000);
    for (body, wanted) in [
        ("not json".to_owned(), 400),
        (serde_json::json!({"token": token, "after": huge}).to_string(), 422),
        (serde_json::json!({"token": token, "before": "-1.x"}).to_string(), 422),
        (serde_json::json!({"token": token, "limit": -1}).to_string(), 400),
        (serde_json::json!({"token": 7}).to_string(), 400),
    ] {
        h.clock.advance(chrono::Duration::seconds(1));
        let (status, answer) = h.send(history(body.clone(), 23)).await;
        assert_eq!(status, wanted, "{body}: {answer}");
        assert!(answer["error"]["code"].is_string(), "{answer}");
    }
    let (status, answer) =
        h.send(Call::new(Method::GET, format!("/storefront/{shop}/widget?language=%00"))).await;
    assert_eq!(status, 422, "{answer}");
}
