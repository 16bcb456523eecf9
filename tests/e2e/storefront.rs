//! The storefront chat of Shopify shops, end to end: a customer starts a session from the
//! widget and writes over the chat socket; images are refused (SH-IMG-1); the agent sees
//! how a reply would travel before sending (SH-ONLINE-1); replies go back over the chat
//! while the customer is in the store and by email (to a local SMTP server) once they
//! left — only to an address the visitor confirmed with the mailed code (SH-CH-1,
//! SH-ONLINE-1). Sessions start through the simulated app proxy (signed by the
//! simulator's own signer) or, for anonymous visitors, directly (`direct_sessions`).

use crate::smtp::SmtpServer;
use crate::support::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use shopmux::config::{SmtpConfig, SmtpTls};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message as WsFrame;

/// Asks a shop's storefront for a direct (anonymous) chat session.
pub async fn start_session(d: &TestDaemon, shop: &str, start: &Value) -> (u16, Value) {
    let resp = client()
        .post(d.url(&format!("/storefront/{shop}/sessions")))
        .json(start)
        .send()
        .await
        .unwrap();
    decode(resp).await
}

/// The client secret of the tests' Shopify connections.
pub const SECRET: &str = "whsec_sim";

/// Asks for a session through the app proxy: the query Shopify adds, signed with
/// `secret` by the simulator's own signer, for `customer` (none: nobody signed in) at
/// `timestamp` (Unix seconds).
pub async fn proxied_session(
    d: &TestDaemon, shop: &str, secret: &str, domain: &str, customer: Option<&str>, timestamp: i64,
    start: &Value,
) -> (u16, Value) {
    use shopmux_simulator::shopify::proxy::{ProxiedRequest, signed_query};
    let request = ProxiedRequest {
        shop: domain,
        logged_in_customer_id: customer,
        path_prefix: "/apps/shopmux",
        timestamp,
        extra: &[],
    };
    let resp = client()
        .post(d.url(&format!("/storefront/{shop}/proxy/sessions")))
        .query(&signed_query(secret, &request))
        .json(start)
        .send()
        .await
        .unwrap();
    decode(resp).await
}

/// Opens the chat socket of a session.
pub async fn socket(d: &TestDaemon, shop: &str, session: &Value) -> Stream {
    let url = format!(
        "{}/storefront/{shop}/chat?token={}",
        d.base.replace("http://", "ws://"),
        session["token"].as_str().unwrap()
    );
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The Shopify store of most tests (the simulator's, where one runs).
const STORE: &str = "sim-store.myshopify.com";

/// A customer: signed in as `customer` through the app proxy when the shop has a
/// connection (`domain`'s), else an anonymous visitor of a direct session.
async fn customer(
    d: &TestDaemon, shop: &str, proxied: Option<(&str, &str)>, start: Value,
) -> (Value, Stream) {
    let (status, session) = match proxied {
        Some((domain, id)) => {
            let now = chrono::Utc::now().timestamp();
            proxied_session(d, shop, SECRET, domain, Some(id), now, &start).await
        }
        None => start_session(d, shop, &start).await,
    };
    assert_eq!(status, 201, "{session}");
    let ws = socket(d, shop, &session).await;
    (session, ws)
}

pub async fn say(ws: &mut Stream, id: &str, content: Value) -> Value {
    ws.send(WsFrame::Text(json!({"id": id, "content": content}).to_string().into())).await.unwrap();
    next_frame(ws).await
}

pub async fn next_frame(ws: &mut Stream) -> Value {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match ws.next().await.expect("socket open").expect("frame") {
                WsFrame::Text(t) => return serde_json::from_str(&t).unwrap(),
                _ => continue,
            }
        }
    })
    .await
    .expect("a frame in time")
}

pub async fn route(d: &TestDaemon, owner: &str, conversation: &str) -> Value {
    let (_, detail) = d.conversation(owner, conversation).await;
    detail["reply_route"].clone()
}

/// Waits (10 s at most) until a reply would take `wanted`.
pub async fn wait_route(d: &TestDaemon, owner: &str, conversation: &str, wanted: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while route(d, owner, conversation).await != wanted {
        assert!(
            Instant::now() < deadline,
            "the route never became {wanted}: the customer never counted as gone"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn reply(d: &TestDaemon, owner: &str, conversation: &str, text: &str) -> String {
    let (status, m) = d.reply(owner, conversation, text).await;
    assert_eq!(status, 202, "{m}");
    string(&m["id"])
}

/// A Shopify shop's owner watching the stream, and a customer chatting with it.
struct Chat {
    owner: String,
    shop: String,
    agent_stream: Stream,
    ws: Stream,
    /// The answer to the customer's first message.
    ack: Value,
    conversation: String,
    /// The customer's session (`token`, `buyer_external_id`, `verified`, ...).
    session: Value,
}

/// Connects a Shopify shop of `domain` (with `connection`, if any: then the customer
/// `42` signs in through the app proxy; else an anonymous visitor starts a direct
/// session) with `start` and writes `text`, which the owner's stream shows.
async fn open_chat(
    d: &TestDaemon, domain: &str, connection: Option<Value>, start: Value, text: &str,
) -> Chat {
    let (owner, shop, _) = d.seller("Shopify Seller", "shopify", domain).await;
    let proxied = connection.is_some().then_some((domain, "42"));
    if let Some(connection) = connection {
        let (status, view) = d.connect(&owner, &shop, connection).await;
        assert_eq!(status, 200, "{view}");
    }
    let mut agent_stream = d.stream(&owner).await;
    let (session, mut ws) = customer(d, &shop, proxied, start).await;
    let ack = say(&mut ws, "1", json!({"type": "text", "text": text})).await;
    let conversation = conversation_of(&next_created(&mut agent_stream).await);
    Chat { owner, shop, agent_stream, ws, ack, conversation, session }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sh_online_1_replies_are_emailed_only_after_the_visitor_confirmed_the_address() {
    let smtp = SmtpServer::start().await;
    let d = start_tuned(|c| {
        c.storefront.direct_sessions = true;
        c.smtp = Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: smtp.port,
            tls: SmtpTls::None,
            login: None,
            from: "Sim Shop <shop@example.com>".parse().unwrap(),
        })
    })
    .await;
    let start = json!({"name": "Ana", "email": "Ana@Example.com"});
    let Chat { owner, shop, mut agent_stream, mut ws, ack, conversation, session } =
        open_chat(&d, STORE, None, start, "Do you ship to Spain?").await;
    assert_eq!(ack, json!({"type": "ack", "id": "1"}));
    assert_eq!(
        (session["verified"].as_bool(), session["email_verified"].as_bool()),
        (Some(false), Some(false))
    );
    let token = string(&session["token"]);

    // rule: SH-IMG-1 — a customer's image is refused and never stored.
    let refused =
        say(&mut ws, "2", json!({"type": "image", "url": "https://cdn.example/x.png"})).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["error"]["rule"], "SH-IMG-1");
    let page = d.messages(&owner, &conversation).await;
    assert_eq!(n_items(&page), Some(1), "{page}");

    // rule: SH-ONLINE-1 — the agent sees the reply will go over the chat, and it does.
    assert_eq!(route(&d, &owner, &conversation).await, "chat");
    reply(&d, &owner, &conversation, "Yes, in 3 days.").await;
    let frame = next_frame(&mut ws).await;
    assert_eq!(frame["type"], "reply", "{frame}");
    assert_eq!(frame["content"]["text"], "Yes, in 3 days.");

    // The visitor leaves before confirming: the typed address is not where replies go.
    drop(ws);
    wait_route(&d, &owner, &conversation, "unreachable").await;
    assert!(smtp.mails().is_empty());

    // They confirm it: a code is mailed; a wrong one is refused, the right one confirms.
    let email = |path: &str, body: Value| {
        let url = d.url(&format!("/storefront/{shop}/email{path}"));
        async move { decode(client().post(url).json(&body).send().await.unwrap()).await }
    };
    let (status, sent) = email("", json!({"token": token, "email": "Ana@Example.com"})).await;
    assert_eq!(status, 202, "{sent}");
    let mails = smtp.mails();
    assert_eq!(mails[0].to, vec!["ana@example.com".to_owned()]);
    let code = mails[0].data.split("code is ").nth(1).unwrap()[..6].to_owned();
    let wrong = if code == "000000" { "000001" } else { "000000" };
    let refused = email("/confirm", json!({"token": token, "code": wrong})).await;
    assert_error(&refused, 422, "field", "code");
    let (status, confirmed) = email("/confirm", json!({"token": token, "code": code})).await;
    assert_eq!((status, confirmed["email"].as_str()), (200, Some("ana@example.com")));

    // Now the reply goes by email (SH-ONLINE-1, SH-CH-1).
    wait_route(&d, &owner, &conversation, "email").await;
    let id = reply(&d, &owner, &conversation, "Your order ships today.").await;
    let delivered = next_update(&mut agent_stream, &id).await;
    assert_eq!(delivered["message"]["delivery_status"], "delivered", "{delivered}");
    let mails = smtp.mails();
    assert_eq!(mails.len(), 2, "{mails:?}");
    assert_eq!(mails[1].to, vec!["ana@example.com".to_owned()]);
    assert!(mails[1].data.contains("Your order ships today."), "{}", mails[1].data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_left_without_an_email_is_unreachable_and_bad_sessions_are_refused() {
    let d = start_tuned(|c| c.storefront.direct_sessions = true).await;
    let start = json!({"name": "Visitor"});
    let Chat { owner, shop, mut agent_stream, ws, conversation, .. } =
        open_chat(&d, "quiet.myshopify.com", None, start, "hello").await;
    drop(ws);
    wait_route(&d, &owner, &conversation, "unreachable").await;
    let id = reply(&d, &owner, &conversation, "Are you there?").await;
    let failed = next_update(&mut agent_stream, &id).await;
    assert_eq!(failed["message"]["delivery_status"], "failed");
    assert!(failed["message"]["delivery_error"].as_str().unwrap().contains("customer_unreachable"));

    // Bad sessions: a wrong token, an unknown shop, a shop that is not Shopify.
    let ws_url = |shop: &str, token: &str| {
        format!("{}/storefront/{shop}/chat?token={token}", d.base.replace("http://", "ws://"))
    };
    assert!(tokio_tungstenite::connect_async(ws_url(&shop, "smx_nope")).await.is_err());
    let (api_shop, _) = d.shop(&owner, "not-shopify").await;
    for target in [api_shop.as_str(), "01a20000-0000-7000-8000-000000000000", "nope"] {
        let (status, _) = start_session(&d, target, &json!({})).await;
        assert_eq!(status, 404, "{target}");
    }
    let refused = start_session(&d, &shop, &json!({"email": "not-an-email"})).await;
    assert_error(&refused, 422, "field", "email");
    let widget = client().get(d.url("/storefront/widget.js")).send().await.unwrap();
    assert_eq!(widget.status().as_u16(), 200);
    let script = widget.text().await.unwrap();
    assert!(script.contains("/storefront/"));
    // rule: SH-DISC-1 (a shared code is applied to the store session for checkout)
    assert!(script.contains("\"/discount/\""), "the widget applies shared codes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sh_disc_1_and_sh_prod_1_codes_and_products_are_checked_with_shopify_before_sending() {
    use shopmux_simulator::shopify::{SimConfig, SimDiscount, SimProduct};
    let product = |n: u32, published: bool| SimProduct {
        id: format!("gid://shopify/Product/{n}"),
        title: format!("Product {n}"),
        published,
    };
    let shopify = shopmux_simulator::ShopifySim::start(SimConfig {
        access_token: "shpat_sim".into(),
        discounts: vec![
            SimDiscount {
                code: "SPRING".into(),
                status: "ACTIVE".into(),
                starts_at: None,
                ends_at: None,
            },
            SimDiscount {
                code: "WINTER".into(),
                status: "EXPIRED".into(),
                starts_at: None,
                ends_at: None,
            },
        ],
        products: vec![
            product(1, true),
            product(2, true),
            product(3, true),
            product(4, true),
            product(9, false),
        ],
        app: None,
    })
    .await
    .unwrap();
    let d = start().await;
    let connection = json!({"api_base": shopify.base_url(),
        "credentials": {"access_token": "shpat_sim", "client_secret": "whsec_sim"}});
    let start = json!({"name": "Ana", "email": "ana@example.com"});
    // The customer stays in the store (their socket open) while the agent replies.
    let Chat { owner, agent_stream: _agent_stream, ws: _ws, conversation, .. } =
        open_chat(&d, STORE, Some(connection), start, "Any discount?").await;
    let send = |content: Value| d.send(&owner, &conversation, content);
    // rule: SH-DISC-1 — an expired or unknown code is refused, asking to fix it.
    for (code, why) in [("WINTER", "has expired"), ("NOPE", "does not exist")] {
        let refused = send(json!({"type": "coupon_card", "code": code})).await;
        assert_error(&refused, 422, "rule", "SH-DISC-1");
        let message = refused.1["error"]["message"].as_str().unwrap();
        assert!(message.contains(why) && message.contains("fix the code"), "{message}");
    }
    let (status, body) = send(json!({"type": "coupon_card", "code": "SPRING"})).await;
    assert_eq!(status, 202, "{body}");
    // rule: SH-PROD-1 — published products only, at most three at a time.
    let share = |ids: &[u32]| {
        json!({"type": "product_list", "text": "You may like these",
            "products": ids.iter().map(|n| json!({"product_id": format!("gid://shopify/Product/{n}"),
                "title": format!("Product {n}")})).collect::<Vec<_>>()})
    };
    let unpublished = send(share(&[1, 9])).await;
    assert_error(&unpublished, 422, "rule", "SH-PROD-1");
    assert!(unpublished.1["error"]["message"].as_str().unwrap().contains("not published"));
    assert_error(&send(share(&[1, 2, 3, 4])).await, 422, "rule", "SH-PROD-1");
    let (status, body) = send(share(&[1, 2, 3])).await;
    assert_eq!(status, 202, "{body}");
    // The refused ones were never stored: the customer's message and two replies.
    let page = d.messages(&owner, &conversation).await;
    assert_eq!(n_items(&page), Some(3), "{page}");
    assert!(shopify.queries() >= 6);
}

/// POSTs a Shopify webhook of `topic`, signed with the shop's client secret.
async fn shopify_webhook(d: &TestDaemon, shop: &str, topic: &str, body: &Value) -> (u16, Value) {
    let raw = body.to_string();
    let hmac = shopmux_adapter_shopify::sign::webhook_hmac("whsec_sim", raw.as_bytes());
    let resp = client()
        .post(d.url(&format!("/webhooks/shopify/{shop}")))
        .header("X-Shopify-Hmac-Sha256", hmac)
        .header("X-Shopify-Topic", topic)
        .header("X-Shopify-Shop-Domain", STORE)
        .header("X-Shopify-Webhook-Id", uuid::Uuid::now_v7().to_string())
        .body(raw)
        .send()
        .await
        .unwrap();
    decode(resp).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sh_cart_1_sh_profile_1_cart_webhooks_become_cart_events_and_notices_feed_the_panel() {
    let d = start().await;
    let connection =
        json!({"credentials": {"access_token": "shpat_sim", "client_secret": "whsec_sim"}});
    let start = json!({"name": "Ana", "email": "ana@example.com", "time_zone": "Europe/Madrid", "utc_offset_minutes": 60});
    let Chat { owner, shop, agent_stream: _agent_stream, mut ws, conversation, .. } =
        open_chat(&d, STORE, Some(connection), start, "Is the shirt linen?").await;

    // The widget reports the customer's cart (read from /cart.js, with its key suffix).
    ws.send(WsFrame::Text(
        json!({"type": "cart", "cart_token": "c1-7a1b2c?key=abc"}).to_string().into(),
    ))
    .await
    .unwrap();
    assert_eq!(next_frame(&mut ws).await, json!({"type": "cart_ack"}));

    let long_name = "Organic linen shirt with mother-of-pearl buttons, slim fit";
    let cart = |lines: Value, at: &str| json!({"id": "7a1b2c", "token": "c1-7a1b2c", "currency": "EUR", "updated_at": at, "line_items": lines});
    let added = cart(
        json!([{"variant_id": 11, "title": "Linen shirt", "quantity": 2, "price": "19.90"},
               {"variant_id": 12, "title": long_name, "quantity": 1, "price": "40.00"}]),
        "2026-11-20T10:00:00Z",
    );
    let (status, ack) = shopify_webhook(&d, &shop, "carts/update", &added).await;
    assert_eq!((status, ack["cart_events"].as_u64()), (200, Some(1)), "{ack}");
    // A redelivery stores nothing again.
    let (_, ack) = shopify_webhook(&d, &shop, "carts/update", &added).await;
    assert_eq!(ack["cart_events"], 0, "{ack}");
    let removed = cart(
        json!([{"variant_id": 11, "title": "Linen shirt", "quantity": 1, "price": "19.90"}]),
        "2026-11-20T10:05:00Z",
    );
    let (_, ack) = shopify_webhook(&d, &shop, "carts/update", &removed).await;
    assert_eq!(ack["cart_events"], 1, "{ack}");
    // An older notice arriving late changes nothing.
    let (_, ack) = shopify_webhook(&d, &shop, "carts/update", &added).await;
    assert_eq!(ack["cart_events"], 0, "{ack}");

    let page = d.messages(&owner, &conversation).await;
    let carts: Vec<&Value> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| &m["content"])
        .filter(|c| c["type"] == "cart_event")
        .collect();
    assert_eq!(carts.len(), 2, "{page}");
    let add = carts.iter().find(|c| c["action"] == "add").unwrap();
    assert_eq!(add["subtotal"], "79.80 EUR");
    // SH-CART-1: each line's quantity; the name only under 41 characters.
    assert_eq!(
        add["lines"],
        json!([{"product_name": "Linen shirt", "quantity": 2}, {"quantity": 1}])
    );
    let remove = carts.iter().find(|c| c["action"] == "remove").unwrap();
    assert_eq!(remove["subtotal"], "19.90 EUR");
    assert_eq!(
        remove["lines"],
        json!([{"product_name": "Linen shirt", "quantity": 1}, {"quantity": 0}])
    );

    // A cart nobody reported in a chat shows nowhere.
    let stranger = json!({"token": "c1-other", "line_items": [{"variant_id": 1, "quantity": 1}]});
    let (status, ack) = shopify_webhook(&d, &shop, "carts/create", &stranger).await;
    assert_eq!((status, ack["cart_events"].as_u64()), (200, Some(0)), "{ack}");

    // SH-PROFILE-1: customer and order notices feed the panel.
    let (status, ack) = shopify_webhook(
        &d,
        &shop,
        "customers/update",
        &json!({"id": 42, "email": "ANA@example.com", "first_name": "Ana", "last_name": "Lima",
            "created_at": "2024-03-01T09:00:00Z", "orders_count": 5, "total_spent": "310.00",
            "currency": "EUR", "phone": "+34600000000",
            "default_address": {"city": "Madrid", "country": "Spain"}}),
    )
    .await;
    assert_eq!((status, ack["profiles"].as_u64()), (200, Some(1)), "{ack}");
    let now = chrono::Utc::now();
    for (n, days_ago) in [(1001, 100), (1002, 30), (1003, 20), (1004, 10), (1005, 1)] {
        let placed = (now - chrono::Duration::days(days_ago)).to_rfc3339();
        let (status, ack) = shopify_webhook(
            &d,
            &shop,
            "orders/create",
            &json!({"id": n, "name": format!("#{n}"), "email": "ana@example.com",
                "created_at": placed, "total_price": "62.00", "currency": "EUR",
                "financial_status": "paid", "customer": {"id": 42}}),
        )
        .await;
        assert_eq!((status, ack["orders"].as_u64()), (200, Some(1)), "{ack}");
    }
    let (status, panel) =
        d.get(&format!("/api/v1/conversations/{conversation}/customer"), &owner).await;
    assert_eq!(status, 200, "{panel}");
    assert_eq!(panel["returning"], true);
    assert_eq!(panel["buyer"]["email"], "ana@example.com");
    assert_eq!(panel["phone"], "+34600000000");
    assert_eq!(panel["location"], "Madrid, Spain");
    assert_eq!(panel["total_spent"], "310.00 EUR");
    assert_eq!(panel["time_zone"], "Europe/Madrid");
    assert!(panel["local_time"].as_str().unwrap().ends_with("+01:00"), "{panel}");
    assert_eq!(panel["platform"], "shopify");
    let recent: Vec<&str> = panel["recent_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    // The last three of the last 60 days, newest first (#1001 is 100 days old).
    assert_eq!(recent, ["#1005", "#1004", "#1003"], "{panel}");
    assert_eq!(panel["recent_orders"][0]["total"], "62.00 EUR");

    // A forged notice is refused and changes nothing.
    let resp = client()
        .post(d.url(&format!("/webhooks/shopify/{shop}")))
        .header("X-Shopify-Hmac-Sha256", "AAAA")
        .header("X-Shopify-Topic", "carts/update")
        .body(removed.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dy_rate_1_a_customer_rates_over_the_chat_and_is_thanked_naming_the_agent() {
    // rule: DY-RATE-1 (the customer may rate at any time; the thank-you names the agent)
    let d = start_tuned(|c| c.storefront.direct_sessions = true).await;
    let Chat { owner, mut ws, conversation, .. } =
        open_chat(&d, STORE, None, json!({"name": "Rae"}), "Hello?").await;
    reply(&d, &owner, &conversation, "Hi Rae!").await;
    assert_eq!(next_frame(&mut ws).await["content"]["text"], "Hi Rae!");
    // Only a scored card is a customer's: an invitation-shaped card and a score out of
    // range are refused, never stored.
    for (id, card) in
        [("2", json!({"type": "rating_card"})), ("3", json!({"type": "rating_card", "score": 6}))]
    {
        let refused = say(&mut ws, id, card).await;
        assert_eq!(refused["error"]["code"], "customer_content", "{refused}");
    }
    let ack =
        say(&mut ws, "4", json!({"type": "rating_card", "score": 5, "comment": "Fast"})).await;
    assert_eq!(ack, json!({"type": "ack", "id": "4"}));
    let thanks = next_frame(&mut ws).await;
    assert_eq!(
        thanks["content"]["text"], "Thank you for your rating! — Shopify Seller",
        "{thanks}"
    );
    let (status, ratings) =
        d.get(&format!("/api/v1/ratings?conversation_id={conversation}"), &owner).await;
    assert_eq!(status, 200, "{ratings}");
    assert_eq!(ratings["items"][0]["score"], 5);
    assert_eq!(ratings["items"][0]["source"], "storefront");
}
