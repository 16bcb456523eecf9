//! Settings → Webhooks in a real browser: the owner adds an endpoint (its secret shown
//! once), pings it, sees the delivery arrive at a local receiver and listed as
//! delivered, sends it again, and sees the paused banner after pausing.

use crate::inbox::{owner_get, owner_send, world};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A receiver answering 204 to every POST; counts them.
async fn receiver() -> (Arc<AtomicUsize>, String) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { axum::http::StatusCode::NO_CONTENT }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (hits, url)
}

#[tokio::test]
async fn the_owner_adds_an_endpoint_sees_its_secret_once_pings_it_and_sees_it_paused() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let (hits, url) = receiver().await;
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.click(".menu-item[data-view=settings]").await;
    page.find(".webhook-new input[type=url]").await;
    page.type_into(".webhook-new input[type=url]", &url).await;
    page.click(".webhook-new button[type=submit]").await;
    let secret = page
        .until("the secret, shown once", "const c = document.querySelector('.webhook-new .webhook-secret code'); return c && c.textContent")
        .await;
    assert!(secret.as_str().unwrap_or_default().starts_with("whsec_"), "{secret}");
    let endpoints = owner_get(demo, "/webhook-endpoints").await;
    let id = endpoints[0]["id"].as_str().unwrap().to_owned();
    assert!(!endpoints.to_string().contains(secret.as_str().unwrap()), "never listed again");
    // Open the endpoint, ping it: the ping reaches the receiver and shows delivered.
    page.click(&format!("details.webhook[data-endpoint=\"{id}\"] summary")).await;
    page.click(&format!(
        "details.webhook[data-endpoint=\"{id}\"] .inline-form button:nth-child(2)"
    ))
    .await;
    page.until(
        "the ping listed as delivered",
        "return !!document.querySelector('.webhook-table .status-delivered')",
    )
    .await;
    assert!(hits.load(Ordering::SeqCst) >= 1);
    // Send again: the receiver gets it once more.
    let before = hits.load(Ordering::SeqCst);
    page.click(".webhook-table tbody tr button").await;
    crate::inbox::eventually("the receiver got it again", || {
        let n = hits.load(Ordering::SeqCst);
        async move { (n > before).then_some(()) }
    })
    .await;
    // Paused: the settings show the banner.
    let paused = owner_send(
        demo,
        reqwest::Method::POST,
        &format!("/webhook-endpoints/{id}/pause"),
        json!({}),
    )
    .await;
    assert_eq!(paused["status"], "paused");
    page.click(".menu-item[data-view=inbox]").await;
    page.click(".menu-item[data-view=settings]").await;
    page.until(
        "the paused banner",
        "return !!document.querySelector('details.webhook.paused .webhook-banner')",
    )
    .await;
    w.stop().await;
}
