//! The storefront widget's server side, end to end: the shop's widget settings (checked
//! when saved, read by the widget with the greeting), CORS only for the store origins
//! the daemon or the shop lists (an unknown shop and a refused origin alike get no
//! `Access-Control-Allow-Origin`), and the customer's history — only their own, paged
//! by cursor, with agents' names, including a reply that arrived while they were away —
//! also through the app proxy, where only the platform's signature lets a read in.

use crate::storefront::{next_frame, say, socket, start_session};
use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

const STORE_ORIGIN: &str = "http://shop.example:8080";

async fn history(d: &TestDaemon, shop: &str, body: Value) -> (u16, Value) {
    let url = d.url(&format!("/storefront/{shop}/history"));
    decode(client().post(url).json(&body).send().await.unwrap()).await
}

/// The `Access-Control-Allow-Origin` a request from `origin` gets (preflight or not).
async fn allowed_origin(
    d: &TestDaemon, method: Method, path: &str, origin: &str,
) -> Option<String> {
    let mut request = client().request(method.clone(), d.url(path)).header("origin", origin);
    if method == Method::OPTIONS {
        request = request
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type");
    }
    let resp = request.send().await.unwrap();
    assert!(resp.status().as_u16() < 500, "{path}: {}", resp.status());
    let header = resp.headers().get("access-control-allow-origin");
    header.map(|h| h.to_str().unwrap().to_owned())
}

fn texts(page: &Value) -> Vec<String> {
    let items = page["items"].as_array().unwrap();
    items.iter().map(|m| m["content"]["text"].as_str().unwrap_or_default().to_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_settings_are_checked_read_and_allow_only_the_shops_origins() {
    let d = start_tuned(|c| c.storefront.direct_sessions = true).await;
    let (owner, shop, _) = d.seller("Widget Seller", "shopify", "widget.myshopify.com").await;
    let settings = |widget: Value| json!({"widget": widget});
    let path = format!("/api/v1/shops/{shop}/settings");
    for bad in [
        json!({"color": "blue"}),
        json!({"allowed_origins": ["https://x.example/a"]}),
        json!({"label": ""}),
        json!({"position": "top_left"}),
    ] {
        let refused = d.put_json(&path, &owner, settings(bad.clone())).await;
        assert_eq!(refused.0, 422, "{bad}: {}", refused.1);
    }
    let widget = json!({"position": "bottom_left", "color": "#0A7D55", "label": "Ask the shop",
        "allowed_origins": [STORE_ORIGIN]});
    let (status, saved) = d.put_json(&path, &owner, settings(widget)).await;
    assert_eq!(status, 200, "{saved}");

    let (status, read) =
        d.call(Method::GET, &format!("/storefront/{shop}/widget?language=es"), None, None).await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["position"], "bottom_left");
    assert_eq!(read["color"], "#0a7d55");
    assert_eq!(read["label"], "Ask the shop");
    assert!(read.get("allowed_origins").is_none(), "origins are not published: {read}");
    // Unknown, malformed and non-storefront shops answer alike.
    let (api_shop, _) = d.shop(&owner, "api-shop").await;
    for other in [api_shop.as_str(), "01a20000-0000-7000-8000-000000000000", "nope"] {
        let answer = d.call(Method::GET, &format!("/storefront/{other}/widget"), None, None).await;
        assert_error(&answer, 404, "code", "not_found");
    }
    let bad_language = d
        .call(Method::GET, &format!("/storefront/{shop}/widget?language=%3Cx%3E"), None, None)
        .await;
    assert_eq!(bad_language.0, 422, "{}", bad_language.1);

    // CORS: the shop's origin, for its direct endpoints only; nobody else.
    for endpoint in ["history", "sessions", "widget"] {
        let p = format!("/storefront/{shop}/{endpoint}");
        let granted = allowed_origin(&d, Method::OPTIONS, &p, STORE_ORIGIN).await;
        assert_eq!(granted.as_deref(), Some(STORE_ORIGIN), "{endpoint}");
        assert_eq!(allowed_origin(&d, Method::OPTIONS, &p, "http://evil.example").await, None);
    }
    let widget_path = format!("/storefront/{shop}/widget");
    let actual = allowed_origin(&d, Method::GET, &widget_path, STORE_ORIGIN).await;
    assert_eq!(actual.as_deref(), Some(STORE_ORIGIN));
    for other in [api_shop.as_str(), "01a20000-0000-7000-8000-000000000000", "nope"] {
        let p = format!("/storefront/{other}/history");
        assert_eq!(allowed_origin(&d, Method::OPTIONS, &p, STORE_ORIGIN).await, None, "{other}");
    }
    let agents_api = allowed_origin(&d, Method::OPTIONS, "/api/v1/shops", STORE_ORIGIN).await;
    assert_eq!(agents_api, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_is_the_customers_own_paged_by_cursor_with_replies_sent_while_away() {
    let d = start_tuned(|c| c.storefront.direct_sessions = true).await;
    let (owner, shop, _) = d.seller("History Seller", "shopify", "history.myshopify.com").await;
    let mut agent_stream = d.stream(&owner).await;
    let (status, session) = start_session(&d, &shop, &json!({"name": "Hana"})).await;
    assert_eq!(status, 201, "{session}");
    let token = string(&session["token"]);
    let mut ws = socket(&d, &shop, &session).await;
    assert_eq!(say(&mut ws, "c-1", json!({"type": "text", "text": "Hello?"})).await["type"], "ack");
    let conversation = conversation_of(&next_created(&mut agent_stream).await);
    let (status, m) = d.reply(&owner, &conversation, "Hi Hana!").await;
    assert_eq!(status, 202, "{m}");
    let reply_id = string(&m["id"]);
    let frame = next_frame(&mut ws).await;
    assert_eq!(frame["id"], reply_id.as_str(), "the socket's reply carries the history's id");

    let (status, page) = history(&d, &shop, json!({"token": token})).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(texts(&page), ["Hello?", "Hi Hana!"]);
    assert_eq!(page["more"], false);
    let items = page["items"].as_array().unwrap();
    assert_eq!(
        (items[0]["from"].as_str(), items[0]["client_id"].as_str()),
        (Some("customer"), Some("c-1"))
    );
    assert_eq!(items[1]["from"], "agent");
    assert_eq!(items[1]["id"], reply_id.as_str());
    assert_eq!(items[1]["sender_name"], "History Seller");
    assert!(items[1]["sent_at_ms"].as_i64().unwrap() >= items[0]["sent_at_ms"].as_i64().unwrap());

    // The customer leaves; a reply arrives while they are away (it cannot be delivered).
    drop(ws);
    crate::storefront::wait_route(&d, &owner, &conversation, "unreachable").await;
    let (_, away) = d.reply(&owner, &conversation, "Your parcel left today.").await;
    let failed = next_update(&mut agent_stream, &string(&away["id"])).await;
    assert_eq!(failed["message"]["delivery_status"], "failed", "{failed}");
    // Back (a reload): everything after the last message seen, nothing twice.
    let after = string(&items[1]["cursor"]);
    let (status, caught_up) = history(&d, &shop, json!({"token": token, "after": after})).await;
    assert_eq!(status, 200, "{caught_up}");
    assert_eq!(texts(&caught_up), ["Your parcel left today."]);
    // Paging back one at a time.
    let (_, last) = history(&d, &shop, json!({"token": token, "limit": 1})).await;
    assert_eq!(
        (texts(&last), last["more"].as_bool()),
        (vec!["Your parcel left today.".to_owned()], Some(true))
    );
    let before = string(&last["items"][0]["cursor"]);
    let (_, older) =
        history(&d, &shop, json!({"token": token, "limit": 1, "before": before})).await;
    assert_eq!(texts(&older), ["Hi Hana!"]);

    // Another customer of the shop sees none of it; bad tokens and cursors are refused.
    let (_, stranger) = start_session(&d, &shop, &json!({"name": "Eve"})).await;
    let (status, theirs) = history(&d, &shop, json!({"token": stranger["token"]})).await;
    assert_eq!((status, texts(&theirs).len()), (200, 0), "{theirs}");
    for body in
        [json!({"token": "smx_nope"}), json!({"token": ""}), json!({"token": "x".repeat(129)})]
    {
        assert_error(&history(&d, &shop, body).await, 404, "code", "not_found");
    }
    let other_shop =
        history(&d, "01a20000-0000-7000-8000-000000000000", json!({"token": token})).await;
    assert_error(&other_shop, 404, "code", "not_found");
    for cursor in ["nope", "12.not-an-id", &"9".repeat(70), "1.2.3"] {
        let refused = history(&d, &shop, json!({"token": token, "after": cursor})).await;
        assert_error(&refused, 422, "field", "after");
    }
    let both = history(&d, &shop, json!({"token": token, "after": after, "before": after})).await;
    assert_eq!(both.0, 422, "{}", both.1);
    let unknown_field = history(&d, &shop, json!({"token": token, "admin": true})).await;
    assert_eq!(unknown_field.0, 400, "{}", unknown_field.1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_is_one_script_under_25_kb_compressed() {
    let d = start().await;
    let resp = client().get(d.url("/storefront/widget.js")).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/javascript"), "{content_type}");
    let script = resp.bytes().await.unwrap();
    let mut gzip = std::process::Command::new("gzip")
        .args(["-9", "-c"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip (Debian's essential package) runs");
    use std::io::Write;
    gzip.stdin.take().unwrap().write_all(&script).unwrap();
    let compressed = gzip.wait_with_output().unwrap().stdout.len();
    eprintln!("widget.js: {} bytes, {compressed} bytes gzip -9", script.len());
    assert!(compressed > 1000, "gzip produced {compressed} bytes");
    assert!(compressed < 25 * 1024, "widget.js is {compressed} bytes compressed: over 25 KB");
    // One script: it imports nothing and loads no other script or style sheet.
    let text = String::from_utf8(script.to_vec()).unwrap();
    for banned in ["import(", "importScripts", "createElement(\"script\")", "<link", "@import"] {
        assert!(!text.contains(banned), "widget.js uses {banned}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widgets_reads_through_the_app_proxy_need_the_platforms_signature() {
    use crate::storefront::{SECRET, proxied_session};
    use shopmux_simulator::shopify::proxy::{ProxiedRequest, signed_query};
    let d = start().await;
    let domain = "proxied.myshopify.com";
    let (owner, shop, _) = d.seller("Proxy Seller", "shopify", domain).await;
    let connection = json!({"credentials": {"access_token": "shpat_sim", "client_secret": SECRET}});
    assert_eq!(d.connect(&owner, &shop, connection).await.0, 200);
    let now = chrono::Utc::now().timestamp();
    let (status, session) =
        proxied_session(&d, &shop, SECRET, domain, None, now, &json!({"name": "Pia"})).await;
    assert_eq!(status, 201, "{session}");
    let signed = |secret: &str, language: &str| {
        let extra = [("language", language)];
        let request = ProxiedRequest {
            shop: domain,
            logged_in_customer_id: None,
            path_prefix: "/apps/shopmux",
            timestamp: now,
            extra: &extra,
        };
        signed_query(secret, &request)
    };
    let read =
        |method: Method, endpoint: &str, query: Vec<(String, String)>, body: Option<Value>| {
            let mut request = client()
                .request(method, d.url(&format!("/storefront/{shop}/proxy/{endpoint}")))
                .query(&query);
            if let Some(body) = body {
                request = request.json(&body);
            }
            async move { decode(request.send().await.unwrap()).await }
        };
    let (status, widget) = read(Method::GET, "widget", signed(SECRET, "es"), None).await;
    assert_eq!(status, 200, "{widget}");
    let token = json!({"token": session["token"]});
    let (status, page) =
        read(Method::POST, "history", signed(SECRET, "es"), Some(token.clone())).await;
    assert_eq!((status, page["items"].as_array().map(Vec::len)), (200, Some(0)), "{page}");
    // A forged signature, no query at all, or a tampered parameter: like an unknown shop.
    for query in [signed("not-the-secret", "es"), Vec::new(), {
        let mut q = signed(SECRET, "es");
        q[0].1 = "pl".into();
        q
    }] {
        let answer = read(Method::POST, "history", query.clone(), Some(token.clone())).await;
        assert_error(&answer, 404, "code", "not_found");
        let answer = read(Method::GET, "widget", query, None).await;
        assert_error(&answer, 404, "code", "not_found");
    }
}
