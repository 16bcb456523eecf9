//! Router-level tests of access: every id-taking route, enumerated from the OpenAPI
//! document (so a new route is checked the day it is added), answers another seller's
//! ids — and a sub-account's ids of shops it was not granted — exactly like unknown
//! ids; token revocation and replacement; deactivation; the notes' author rules; a
//! shop's identity unique per seller; the metrics token; the API's rate limit per
//! account; and the inbound endpoint answering an unknown shop like a bad signature.

use super::{Call, Harness, MESSAGE, Tune};
use axum::http::Method;
use serde_json::{Value, json};
use std::collections::HashMap;

const UNKNOWN: &str = "01a20000-0000-7000-8000-000000000000";

/// A seller's things, by the name of the path parameter that takes them.
type Ids = HashMap<&'static str, String>;

/// Seller A with one `api` shop, a buyer message, a reply, a note and a sub-account;
/// the owner's token and the ids.
async fn seller_a(h: &Harness) -> (String, Ids) {
    let owner = h.owner().await;
    let (shop, secret) = h.shop(&owner, "api").await;
    let (status, stored) = h.send(h.signed(&shop, MESSAGE, &secret)).await;
    assert_eq!(status, 200, "{stored}");
    let conversation = stored["conversation_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/conversations/{conversation}");
    let (_, detail) = h.send(Call::new(Method::GET, path).token(&owner)).await;
    let c = if detail["conversation"].is_object() { &detail["conversation"] } else { &detail };
    let buyer = c["buyer_id"].as_str().expect("buyer").to_owned();
    let reply = json!({"content": {"type": "text", "text": "hello"}}).to_string();
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let (status, sent) = h.send(Call::new(Method::POST, path).token(&owner).body(reply)).await;
    assert!(status < 300, "{sent}");
    let path = format!("/api/v1/buyers/{buyer}/notes");
    let note = json!({"body": "a note"}).to_string();
    let (_, note) = h.send(Call::new(Method::POST, path).token(&owner).body(note)).await;
    let agent = json!({"nickname": "colleague"}).to_string();
    let (_, agent) =
        h.send(Call::new(Method::POST, "/api/v1/agents").token(&owner).body(agent)).await;
    let quick_reply = json!({"shop_id": shop, "title": "hi", "text": "Hello {buyer_name}"});
    let path = "/api/v1/quick_replies";
    let (_, quick_reply) =
        h.send(Call::new(Method::POST, path).token(&owner).body(quick_reply.to_string())).await;
    let hook = json!({"url": "https://hooks.example.com/in", "events": ["message.created"]});
    let call = Call::new(Method::POST, "/api/v1/webhook-endpoints").token(&owner);
    let (_, hook) = h.send(call.body(hook.to_string())).await;
    let endpoint = hook["endpoint"]["id"].as_str().expect("endpoint").to_owned();
    let path = format!("/api/v1/webhook-endpoints/{endpoint}/ping");
    let (_, ping) = h.send(Call::new(Method::POST, path).token(&owner)).await;
    let path = format!("/api/v1/shops/{shop}/bot/questions");
    let (_, question) = h.send(Call::new(Method::POST, path).token(&owner).body(faq_body())).await;
    let ids = HashMap::from([
        ("question_id", question["id"].as_str().expect("question").to_owned()),
        ("quick_reply_id", quick_reply["id"].as_str().expect("quick reply").to_owned()),
        ("endpoint_id", endpoint),
        ("delivery_id", ping["id"].as_str().expect("delivery").to_owned()),
        ("shop_id", shop),
        ("conversation_id", conversation),
        ("buyer_id", buyer),
        ("message_id", sent["id"].as_str().expect("message").to_owned()),
        ("note_id", note["id"].as_str().expect("note").to_owned()),
        ("agent_id", agent["agent"]["id"].as_str().expect("agent").to_owned()),
        ("platform", "api".to_owned()),
    ]);
    (owner, ids)
}

/// A FAQ question's body.
fn faq_body() -> String {
    json!({"category": "c", "phrasings": ["p"], "answer": "a"}).to_string()
}

/// A body for an operation, valid enough to get past the body's checks.
fn body_for(method: &str, path: &str) -> Option<String> {
    let text = json!({"content": {"type": "text", "text": "hi"}});
    let body = match path.rsplit('/').next().unwrap_or_default() {
        "messages" | "conversations" => text,
        "notes" | "{note_id}" => json!({"body": "x"}),
        "{quick_reply_id}" => json!({"title": "x", "text": "y"}),
        "flag" => json!({"colour": "red"}),
        "assign" | "transfer" => json!({"agent_id": UNKNOWN}),
        "shops" => json!({"shops": []}),
        "password" => json!({"password": "correct horse battery"}),
        "questions" | "{question_id}" => return matches!(method, "post" | "put").then(faq_body),
        _ => json!({}),
    };
    matches!(method, "post" | "put").then(|| body.to_string())
}

/// Every operation with an id in its path that an account calls, from the document.
async fn id_routes(h: &Harness) -> Vec<(String, String)> {
    let (_, doc) = h.send(Call::new(Method::GET, "/api/v1/openapi.json")).await;
    let mut routes = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let public =
                op["security"].as_array().is_some_and(|s| s.iter().any(|r| r == &json!({})));
            if path.contains('{') && !public {
                routes.push((method.clone(), path.clone()));
            }
        }
    }
    assert!(routes.len() >= 30, "the document lists the id routes: {routes:?}");
    routes
}

fn fill(path: &str, ids: &Ids) -> String {
    ids.iter().fold(path.to_owned(), |p, (name, id)| p.replace(&format!("{{{name}}}"), id))
}

/// Calls every id route as `token` with `ids` and with unknown ids, and checks the two
/// answers are the same; returns how many were 404.
async fn answers_like_unknown(h: &Harness, token: &str, ids: &Ids, skip: &[&str]) -> usize {
    let unknown: Ids = ids
        .keys()
        .map(|k| (*k, if *k == "platform" { "api".into() } else { UNKNOWN.into() }))
        .collect();
    let mut not_found = 0;
    for (method, path) in id_routes(h).await {
        if skip.iter().any(|s| path.contains(s)) {
            continue;
        }
        let call = |ids: &Ids| {
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let call = Call::new(m, fill(&path, ids)).token(token);
            match body_for(&method, &path) {
                Some(body) => call.body(body),
                None => call,
            }
        };
        let theirs = h.send(call(ids)).await;
        let unknowns = h.send(call(&unknown)).await;
        let scrub = |(status, body): (u16, Value)| {
            let text = ids.values().fold(body.to_string(), |t, id| t.replace(id.as_str(), "{id}"));
            (status, text.replace(UNKNOWN, "{id}"))
        };
        let (theirs, unknowns) = (scrub(theirs), scrub(unknowns));
        assert_eq!(theirs, unknowns, "{method} {path}: another's id answers unlike an unknown one");
        assert!(theirs.0 >= 400, "{method} {path}: {theirs:?}");
        not_found += usize::from(theirs.0 == 404);
    }
    not_found
}

#[tokio::test]
async fn every_id_route_answers_another_sellers_ids_like_unknown_ones() {
    let h = Harness::new().await;
    let (_, ids) = seller_a(&h).await;
    let other = h.owner().await;
    let n = answers_like_unknown(&h, &other, &ids, &[]).await;
    assert!(n >= 25, "most id routes answer 404 ({n})");
}

#[tokio::test]
async fn a_sub_account_reaches_no_buyer_note_workbench_or_retry_of_a_shop_it_was_not_granted() {
    let h = Harness::new().await;
    let (owner, ids) = seller_a(&h).await;
    let shop = json!({"platform": "api", "external_id": "second", "name": "Second"});
    let (_, created) =
        h.send(with_body(Method::POST, "/api/v1/shops".into(), &owner, &shop.to_string())).await;
    let other_shop = created["shop"]["id"].as_str().expect("second shop").to_owned();
    let grants =
        json!({"nickname": "outsider", "shops": [{"shop_id": other_shop, "can_chat": true}]});
    let (_, created) = h
        .send(Call::new(Method::POST, "/api/v1/agents").token(&owner).body(grants.to_string()))
        .await;
    let outsider = created["token"].as_str().expect("token");
    // Colleagues are visible to every account of the seller: agent routes are not shop
    // scoped (and owner-only ones answer 403 whatever the id).
    let n = answers_like_unknown(&h, outsider, &ids, &["{agent_id}"]).await;
    assert!(n >= 15, "the shop's things answer 404 ({n})");
}

async fn agent(h: &Harness, owner: &str, body: Value) -> (String, String) {
    let call = Call::new(Method::POST, "/api/v1/agents").token(owner).body(body.to_string());
    let (status, created) = h.send(call).await;
    assert_eq!(status, 201, "{created}");
    (created["agent"]["id"].as_str().unwrap().into(), created["token"].as_str().unwrap().into())
}

fn with_body<'a>(method: Method, path: String, token: &'a str, body: &str) -> Call<'a> {
    Call::new(method, path).token(token).body(body.to_owned())
}

async fn me(h: &Harness, token: &str) -> u16 {
    h.send(Call::new(Method::GET, "/api/v1/me").token(token)).await.0
}

#[tokio::test]
async fn a_revoked_token_stops_working_and_a_replaced_one_is_shown_once() {
    let h = Harness::new().await;
    let owner = h.owner().await;
    let (ana_id, ana) = agent(&h, &owner, json!({"nickname": "ana"})).await;
    let (bob_id, bob) = agent(&h, &owner, json!({"nickname": "bob"})).await;
    let token_path = |id: &str| format!("/api/v1/agents/{id}/token");
    // An account may not touch a colleague's token; another seller's is unknown.
    let call = Call::new(Method::DELETE, token_path(&bob_id)).token(&ana);
    h.check("a colleague's token", call, 403, "forbidden").await;
    let stranger = h.owner().await;
    let call = Call::new(Method::DELETE, token_path(&bob_id)).token(&stranger);
    h.check("another seller's agent", call, 404, "not_found").await;
    assert_eq!(me(&h, &bob).await, 200);
    // The owner revokes Bob's; Ana replaces her own.
    let (status, _) = h.send(Call::new(Method::DELETE, token_path(&bob_id)).token(&owner)).await;
    assert_eq!((status, me(&h, &bob).await), (200, 401));
    let (status, replaced) = h.send(Call::new(Method::POST, token_path(&ana_id)).token(&ana)).await;
    assert_eq!(status, 201, "{replaced}");
    let fresh = replaced["token"].as_str().expect("the new token, once");
    assert_eq!((me(&h, &ana).await, me(&h, fresh).await), (401, 200));
}

#[tokio::test]
async fn a_deactivated_agent_signs_in_with_nothing_until_reactivated() {
    let h = Harness::new().await;
    let owner = h.owner().await;
    let body = json!({"nickname": "ana", "login": "ana@shop", "password": "correct horse battery"});
    let (id, token) = agent(&h, &owner, body).await;
    let sign_in = || {
        let body = json!({"login": "ana@shop", "password": "correct horse battery"});
        Call::new(Method::POST, "/api/v1/session").body(body.to_string())
    };
    assert_eq!(h.send(sign_in()).await.0, 200);
    let path = |action: &str| format!("/api/v1/agents/{id}/{action}");
    let call = Call::new(Method::POST, path("deactivate")).token(&token);
    h.check("an agent deactivating itself", call, 403, "forbidden").await;
    let (status, view) = h.send(Call::new(Method::POST, path("deactivate")).token(&owner)).await;
    assert_eq!((status, &view["active"]), (200, &json!(false)), "{view}");
    assert_eq!(me(&h, &token).await, 401);
    h.check("a deactivated agent's password", sign_in(), 401, "sign_in_failed").await;
    let (_, me_owner) = h.send(Call::new(Method::GET, "/api/v1/me").token(&owner)).await;
    let owner_id = me_owner["agent"]["id"].as_str().unwrap().to_owned();
    let call =
        Call::new(Method::POST, format!("/api/v1/agents/{owner_id}/deactivate")).token(&owner);
    h.check("the main account", call, 409, "conflict").await;
    let (status, _) = h.send(Call::new(Method::POST, path("reactivate")).token(&owner)).await;
    assert_eq!((status, me(&h, &token).await), (200, 200));
}

#[tokio::test]
async fn only_a_notes_author_or_the_main_account_changes_it_and_view_only_agents_read() {
    let h = Harness::new().await;
    let (owner, ids) = seller_a(&h).await;
    let shop = &ids["shop_id"];
    let chat = |nickname: &str, can_chat: bool| json!({"nickname": nickname, "shops": [{"shop_id": shop, "can_chat": can_chat}]});
    let (_, writer) = agent(&h, &owner, chat("writer", true)).await;
    let (_, other) = agent(&h, &owner, chat("other", true)).await;
    let (_, viewer) = agent(&h, &owner, chat("viewer", false)).await;
    let notes = format!("/api/v1/buyers/{}/notes", ids["buyer_id"]);
    let add = |token| with_body(Method::POST, notes.clone(), token, r#"{"body":"mine"}"#);
    let (status, note) = h.send(add(&writer)).await;
    assert_eq!(status, 201, "{note}");
    let one = format!("{notes}/{}", note["id"].as_str().unwrap());
    let edit = |token| with_body(Method::PUT, one.clone(), token, r#"{"body":"changed"}"#);
    h.check("a colleague editing", edit(&other), 403, "forbidden").await;
    h.check(
        "a colleague deleting",
        Call::new(Method::DELETE, one.clone()).token(&other),
        403,
        "forbidden",
    )
    .await;
    h.check("a view-only agent writing", add(&viewer), 403, "forbidden").await;
    h.check("a view-only agent editing", edit(&viewer), 403, "forbidden").await;
    let (status, list) = h.send(Call::new(Method::GET, notes.clone()).token(&viewer)).await;
    assert_eq!((status, list.as_array().map(Vec::len)), (200, Some(2)), "view-only agents read");
    assert_eq!(h.send(edit(&writer)).await.0, 200, "its author edits it");
    assert_eq!(h.send(edit(&owner)).await.0, 200, "the main account edits it");
    assert_eq!(h.send(Call::new(Method::DELETE, one).token(&owner)).await.0, 200);
}

#[tokio::test]
async fn a_shops_identity_is_unique_per_seller_and_a_conflict_names_no_other_seller() {
    let h = Harness::new().await;
    let (a, b) = (h.owner().await, h.owner().await);
    let shop = json!({"platform": "api", "external_id": "same", "name": "Shop"}).to_string();
    let create = |token| with_body(Method::POST, "/api/v1/shops".into(), token, &shop);
    assert_eq!(h.send(create(&a)).await.0, 201);
    let (status, body) = h.send(create(&b)).await;
    assert_eq!(status, 201, "another seller connects the same shop: {body}");
    let conflict = h.check("the same seller again", create(&a), 409, "conflict").await;
    let (_, b_shops) = h.send(Call::new(Method::GET, "/api/v1/shops").token(&b)).await;
    let b_shop = b_shops[0]["id"].as_str().or(b_shops["items"][0]["id"].as_str()).unwrap_or("?");
    assert!(!conflict.to_string().contains(b_shop), "{conflict}");
}

#[tokio::test]
async fn metrics_need_the_configured_token() {
    let token = "metrics-token-0123456789";
    let h = Harness::tuned(Tune { metrics_token: Some(token.into()), ..Default::default() }).await;
    let get = || Call::new(Method::GET, "/metrics");
    h.check("no token", get(), 401, "unauthorized").await;
    h.check(
        "a wrong token",
        get().header("authorization", "Bearer metrics-token-0123456788".into()),
        401,
        "unauthorized",
    )
    .await;
    let owner = h.owner().await;
    h.check("an account's token", get().token(&owner), 401, "unauthorized").await;
    let (status, _) = h.send(get().header("authorization", format!("Bearer {token}"))).await;
    assert_eq!(status, 200);
    let open = Harness::new().await;
    assert_eq!(open.send(get()).await.0, 200, "without a configured token, public");
}

#[tokio::test]
async fn an_account_over_its_request_rate_gets_429_with_retry_after() {
    let h = Harness::tuned(Tune { api_per_minute: Some(3), ..Default::default() }).await;
    let (owner, other) = (h.owner().await, h.owner().await);
    for _ in 0..3 {
        assert_eq!(me(&h, &owner).await, 200);
    }
    let (status, headers, body) =
        h.send_full(Call::new(Method::GET, "/api/v1/me").token(&owner)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (429, Some("rate_limited")), "{body}");
    assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("20"));
    assert_eq!(me(&h, &other).await, 200, "another account has its own limit");
    h.clock.advance(chrono::Duration::seconds(20));
    assert_eq!(me(&h, &owner).await, 200, "one more after 20 s (60 s / 3), no sleep");
}

#[tokio::test]
async fn the_inbound_endpoint_answers_an_unknown_shop_like_a_bad_signature() {
    let (h, _, shop, _) = Harness::with_shop("api").await;
    let bad = h.send(h.signed(&shop, MESSAGE, "whsec_wrong")).await;
    let unknown = h.send(h.signed(UNKNOWN, MESSAGE, "whsec_wrong")).await;
    assert_eq!(bad.0, 401, "{bad:?}");
    assert_eq!(bad, unknown);
}

#[tokio::test]
async fn content_over_its_documented_bounds_is_refused_and_the_document_says_the_bounds() {
    use shopmux_contract::bounds::*;
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let (_, stored) = h.send(h.signed(&shop, MESSAGE, &secret)).await;
    let conversation = stored["conversation_id"].as_str().unwrap();
    let path = format!("/api/v1/conversations/{conversation}/messages");
    let reply = |content: Value| {
        Call::new(Method::POST, path.clone())
            .token(&owner)
            .body(json!({"content": content}).to_string())
    };
    let long = "x".repeat(MAX_TEXT_CHARS + 1);
    h.check("text too long", reply(json!({"type": "text", "text": long})), 422, "invalid_field")
        .await;
    let products: Vec<Value> = (0..=MAX_PRODUCTS_PER_MESSAGE)
        .map(|i| json!({"product_id": format!("p{i}"), "title": "Mug"}))
        .collect();
    let list = json!({"type": "product_list", "products": products});
    h.check("too many products", reply(list), 422, "invalid_field").await;
    // Exactly at the bound, in characters (not bytes: 15,000 of them), is accepted.
    let at_bound = "é".repeat(MAX_TEXT_CHARS / 2) + &"x".repeat(MAX_TEXT_CHARS / 2);
    let (status, body) = h.send(reply(json!({"type": "text", "text": at_bound}))).await;
    assert!(status < 300, "{body}");
    let (_, doc) = h.send(Call::new(Method::GET, "/api/v1/openapi.json")).await;
    let text = doc.to_string();
    for bound in [MAX_TEXT_CHARS, MAX_PRODUCTS_PER_MESSAGE, MAX_CART_LINES, MAX_URL_CHARS] {
        assert!(
            text.contains(&format!("\"maxLength\":{bound}"))
                || text.contains(&format!("\"maxItems\":{bound}")),
            "{bound} is documented"
        );
    }
}
