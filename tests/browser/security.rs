//! What the web inbox refuses: a wrong password, a write from another site riding on
//! the session cookie, a write without the CSRF token, and another shop's conversations
//! for a sub-account.

use crate::inbox::{eventually, owner_get, world};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_writes_from_another_site_are_refused() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;

    page.sign_in(&demo.base_url, &demo.owner_login, "not-the-password").await;
    let error = page.find(".signin .form-error:not(:empty)").await.text().await.unwrap();
    assert!(error.contains("do not match"), "{error}");
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.find(".rows .row").await;
    let id = eventually("a conversation", || async {
        owner_get(demo, "/conversations?limit=1").await["items"][0]["id"]
            .as_str()
            .map(str::to_owned)
    })
    .await;

    // The page's own origin, without the CSRF token: refused.
    let answer = page
        .eval(&format!(
            r#"return fetch('/api/v1/conversations/{id}/flag', {{method: 'PUT', headers: {{'Content-Type': 'application/json'}}, body: '{{"colour":"red"}}'}})
                 .then(async r => [r.status, (await r.json()).error.code])"#
        ))
        .await;
    assert_eq!(answer, serde_json::json!([403, "csrf_failed"]));

    // Another site (a page on another origin, as an attacker would serve it) posting
    // to the daemon with the browser's cookies.
    let attacker = attacker_site(&demo.base_url, &id).await;
    page.goto(&attacker).await;
    page.until("the attack ran", "return document.title === 'sent'").await;
    let conversation = owner_get(demo, &format!("/conversations/{id}")).await;
    assert!(
        conversation["conversation"]["flag"].is_null(),
        "flagged from another site: {conversation}"
    );
    page.close().await;
    w.stop().await;
}

/// A page on `localhost` (another site than `127.0.0.1`) that writes to the daemon with
/// the browser's credentials, as a cross-site request forgery would.
async fn attacker_site(base: &str, conversation: &str) -> String {
    let target = format!("{base}/api/v1/conversations/{conversation}/flag");
    let html = format!(
        r#"<!doctype html><title>attack</title><script>
        fetch({target:?}, {{method: 'PUT', credentials: 'include', mode: 'no-cors',
          headers: {{'Content-Type': 'text/plain'}}, body: '{{"colour":"red"}}'}})
          .finally(() => {{ document.title = 'sent'; }});
        </script>"#
    );
    let app = axum::Router::new()
        .route("/", axum::routing::get(move || async move { axum::response::Html(html) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://localhost:{port}/")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sub_account_never_sees_another_shops_conversations() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let wei = demo.agent("wei");
    let granted: Vec<String> =
        demo.shops.iter().filter(|s| wei.shops.contains(&s.name)).map(|s| s.id.clone()).collect();
    // Conversations of every shop exist.
    eventually("a TikTok conversation", || async {
        owner_get(demo, "/conversations?platform=tiktok&limit=1").await["items"][0]["id"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &wei.login, &wei.password).await;
    page.find(".rows .row").await;
    for tab in ["progress", "unassigned", "history"] {
        page.click(&format!(r#".tab[data-tab="{tab}"]"#)).await;
        page.until(
            "the tab's list loaded",
            &format!("return document.querySelector('.tabs').dataset.tab === '{tab}'"),
        )
        .await;
        let shops = page
            .eval("return [...document.querySelectorAll('.row')].map(r => r.dataset.shop)")
            .await;
        for shop in shops.as_array().unwrap() {
            assert!(granted.iter().any(|g| shop == g.as_str()), "{tab}: a row of shop {shop}");
        }
    }
    // Not by the API from the page either.
    let tiktok =
        owner_get(demo, "/conversations?platform=tiktok&limit=1").await["items"][0]["id"].clone();
    let status = page
        .eval(&format!(
            "return fetch('/api/v1/conversations/{}').then(r => r.status)",
            tiktok.as_str().unwrap()
        ))
        .await;
    assert_eq!(status, Value::from(404));
    page.close().await;
    w.stop().await;
}
