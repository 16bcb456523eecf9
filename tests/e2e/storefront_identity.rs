//! Storefront identity, end to end: who a storefront customer is comes from the
//! platform's signed app proxy request (signed here by the simulator's own signer),
//! never from what a visitor types; customers send only what customers send; a cart
//! binds only to a proven customer; an oversized message closes the socket.

use crate::storefront::{SECRET, next_frame, proxied_session, say, socket, start_session};
use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message as WsFrame;

const DOMAIN: &str = "linen.myshopify.com";

/// A daemon with a connected Shopify shop; the owner's token and the shop's id.
async fn shop(d: &TestDaemon) -> (String, String) {
    let (owner, shop, _) = d.seller("Linen", "shopify", DOMAIN).await;
    let connection = json!({"credentials": {"access_token": "shpat_sim", "client_secret": SECRET}});
    let (status, view) = d.connect(&owner, &shop, connection).await;
    assert_eq!(status, 200, "{view}");
    (owner, shop)
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// POSTs a Shopify webhook signed by the simulator's own signer.
async fn webhook(d: &TestDaemon, shop: &str, topic: &str, body: &Value) {
    let raw = body.to_string();
    let hmac = shopmux_simulator::shopify::sign::webhook_hmac(SECRET, raw.as_bytes());
    let resp = client()
        .post(d.url(&format!("/webhooks/shopify/{shop}")))
        .header("X-Shopify-Hmac-Sha256", hmac)
        .header("X-Shopify-Topic", topic)
        .header("X-Shopify-Shop-Domain", DOMAIN)
        .header("X-Shopify-Webhook-Id", uuid::Uuid::now_v7().to_string())
        .body(raw)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storefront_impersonation_by_email_gets_a_separate_anonymous_conversation() {
    let d = start().await;
    let (owner, shop) = shop(&d).await;
    let mut agents = d.stream(&owner).await;
    // The real customer, signed in at the store: the proxy signs their id.
    let start = json!({"name": "Ana", "email": "ana@example.com"});
    let (status, real) =
        proxied_session(&d, &shop, SECRET, DOMAIN, Some("42"), now(), &start).await;
    assert_eq!(status, 201, "{real}");
    assert_eq!(
        (real["buyer_external_id"].as_str(), real["verified"].as_bool()),
        (Some("customer:42"), Some(true))
    );
    let mut ana = socket(&d, &shop, &real).await;
    assert_eq!(
        say(&mut ana, "1", json!({"type": "text", "text": "Where is my order?"})).await["type"],
        "ack"
    );
    let ana_conversation = conversation_of(&next_created(&mut agents).await);
    webhook(
        &d,
        &shop,
        "customers/update",
        &json!({"id": 42, "email": "ana@example.com", "first_name": "Ana"}),
    )
    .await;
    webhook(
        &d,
        &shop,
        "orders/create",
        &json!({"id": 9001, "name": "#9001", "email": "ana@example.com",
        "created_at": chrono::Utc::now().to_rfc3339(), "total_price": "10.00", "currency": "EUR",
        "financial_status": "paid", "customer": {"id": 42}}),
    )
    .await;

    // A visitor, not signed in, types Ana's email (through the proxy, and directly).
    let (status, fake) = proxied_session(&d, &shop, SECRET, DOMAIN, None, now(), &start).await;
    assert_eq!(status, 201, "{fake}");
    assert_eq!(fake["verified"], false);
    assert_eq!(fake["email_verified"], false);
    assert_ne!(fake["buyer_external_id"], real["buyer_external_id"]);
    let mut eve = socket(&d, &shop, &fake).await;
    assert_eq!(
        say(&mut eve, "1", json!({"type": "text", "text": "Cancel my order"})).await["type"],
        "ack"
    );
    let eve_conversation = conversation_of(&next_created(&mut agents).await);
    assert_ne!(eve_conversation, ana_conversation, "a separate conversation");

    // The agent answers Ana: only Ana's socket gets it.
    let (status, _) = d.reply(&owner, &ana_conversation, "It ships today, Ana.").await;
    assert_eq!(status, 202);
    assert_eq!(next_frame(&mut ana).await["content"]["text"], "It ships today, Ana.");
    let (status, _) = d.reply(&owner, &eve_conversation, "Who are you?").await;
    assert_eq!(status, 202);
    let seen = next_frame(&mut eve).await;
    assert_eq!(seen["content"]["text"], "Who are you?", "Eve sees only her own replies: {seen}");

    // The panel shows Ana's order for Ana, nothing of hers for the visitor.
    let path = |c: &str| format!("/api/v1/conversations/{c}/customer");
    let (_, ana_panel) = d.get(&path(&ana_conversation), &owner).await;
    assert_eq!(ana_panel["recent_orders"][0]["name"], "#9001", "{ana_panel}");
    let (status, eve_panel) = d.get(&path(&eve_conversation), &owner).await;
    assert_eq!(status, 200, "{eve_panel}");
    assert_eq!(eve_panel["recent_orders"], json!([]), "{eve_panel}");
    assert!(
        eve_panel["buyer"]["email"].is_null(),
        "an unconfirmed email is not the buyer's: {eve_panel}"
    );
    assert_eq!(eve_panel["unverified_email"], "ana@example.com", "shown as unverified contact");
    assert_eq!(d.n_messages(&owner, &ana_conversation).await, Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_expired_or_other_shops_proxy_signatures_answer_like_an_unknown_shop() {
    let d = start().await;
    let (_owner, shop) = shop(&d).await;
    let start = json!({});
    let unknown = "01a20000-0000-7000-8000-000000000000";
    let (status, baseline) =
        proxied_session(&d, unknown, SECRET, DOMAIN, Some("42"), now(), &start).await;
    assert_eq!(status, 404);
    let cases = [
        (
            "another secret",
            proxied_session(&d, &shop, "not-the-secret", DOMAIN, Some("42"), now(), &start).await,
        ),
        (
            "too old",
            proxied_session(&d, &shop, SECRET, DOMAIN, Some("42"), now() - 301, &start).await,
        ),
        (
            "from the future",
            proxied_session(&d, &shop, SECRET, DOMAIN, Some("42"), now() + 301, &start).await,
        ),
        (
            "another shop",
            proxied_session(&d, &shop, SECRET, "other.myshopify.com", Some("42"), now(), &start)
                .await,
        ),
    ];
    for (name, (status, body)) in cases {
        assert_eq!((status, &body), (404, &baseline), "{name}");
    }
    // A customer id changed after signing.
    use shopmux_simulator::shopify::proxy::{ProxiedRequest, signed_query};
    let request = ProxiedRequest {
        shop: DOMAIN,
        logged_in_customer_id: Some("42"),
        path_prefix: "/apps/shopmux",
        timestamp: now(),
        extra: &[],
    };
    let mut query = signed_query(SECRET, &request);
    query
        .iter_mut()
        .filter(|(k, _)| k == "logged_in_customer_id")
        .for_each(|(_, v)| *v = "7".into());
    let resp = client()
        .post(d.url(&format!("/storefront/{shop}/proxy/sessions")))
        .query(&query)
        .json(&start)
        .send()
        .await
        .unwrap();
    assert_eq!(decode(resp).await, (404, baseline.clone()), "tampered");
    // No query at all, and direct sessions (off by default).
    let resp = client()
        .post(d.url(&format!("/storefront/{shop}/proxy/sessions")))
        .json(&start)
        .send()
        .await
        .unwrap();
    assert_eq!(decode(resp).await, (404, baseline.clone()), "unsigned");
    assert_eq!(start_session(&d, &shop, &start).await, (404, baseline), "direct sessions are off");
    // Within 300 s either way it is accepted.
    let (status, _) =
        proxied_session(&d, &shop, SECRET, DOMAIN, Some("42"), now() - 240, &start).await;
    assert_eq!(status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_customer_frames_are_refused_and_a_cart_binds_only_to_a_proven_customer() {
    let d = start().await;
    let (owner, shop) = shop(&d).await;
    let (_, visitor) = proxied_session(&d, &shop, SECRET, DOMAIN, None, now(), &json!({})).await;
    let mut ws = socket(&d, &shop, &visitor).await;
    assert_eq!(say(&mut ws, "1", json!({"type": "text", "text": "hi"})).await["type"], "ack");
    let forged = [
        json!({"type": "system_notice", "text": "The agent promised a full refund"}),
        json!({"type": "cart_event", "action": "add", "lines": [{"quantity": 1}]}),
        json!({"type": "product_list", "products": [{"product_id": "1", "title": "Free TV"}]}),
        json!({"type": "coupon_card", "code": "FREE100"}),
    ];
    for (n, content) in forged.into_iter().enumerate() {
        let answer = say(&mut ws, &format!("f{n}"), content.clone()).await;
        assert_eq!(answer["type"], "error", "{content}: {answer}");
        assert!(
            ["customer_content", "bad_frame"].contains(&answer["error"]["code"].as_str().unwrap()),
            "{answer}"
        );
    }
    // rule: SH-CART-1 — an anonymous visitor's cart token is refused.
    ws.send(WsFrame::Text(
        json!({"type": "cart", "cart_token": "c1-someone-else"}).to_string().into(),
    ))
    .await
    .unwrap();
    let refused = next_frame(&mut ws).await;
    assert_eq!(refused["error"]["code"], "unverified", "{refused}");
    let list = d.get("/api/v1/conversations", &owner).await.1;
    let conversation = string(&list["items"][0]["id"]);
    assert_eq!(d.n_messages(&owner, &conversation).await, Some(1), "nothing forged was stored");
    // A proven customer's cart binds.
    let (_, signed_in) =
        proxied_session(&d, &shop, SECRET, DOMAIN, Some("42"), now(), &json!({})).await;
    let mut ws = socket(&d, &shop, &signed_in).await;
    ws.send(WsFrame::Text(json!({"type": "cart", "cart_token": "c1-mine"}).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_frame(&mut ws).await, json!({"type": "cart_ack"}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_storefront_message_closes_the_socket() {
    let d = start().await;
    let (_owner, shop) = shop(&d).await;
    let (_, visitor) = proxied_session(&d, &shop, SECRET, DOMAIN, None, now(), &json!({})).await;
    let mut ws = socket(&d, &shop, &visitor).await;
    let big = json!({"id": "1", "content": {"type": "text", "text": "x".repeat(17 * 1024)}});
    let _ = ws.send(WsFrame::Text(big.to_string().into())).await;
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match ws.next().await {
                None | Some(Err(_)) | Some(Ok(WsFrame::Close(_))) => return true,
                Some(Ok(WsFrame::Text(t))) => panic!("answered instead of closing: {t}"),
                Some(Ok(_)) => continue,
            }
        }
    })
    .await
    .expect("closed in time");
    assert!(closed);
}
