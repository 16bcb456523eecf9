//! Router-level tests of quick replies (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1): an
//! account's own set and a shop's set managed by the main account, search, order,
//! variables checked on save, rendering for a conversation (the buyer's language, the
//! order's id) and a reply still holding a placeholder refused.

use super::{Call, Harness};
use axum::http::Method;
use serde_json::{Value, json};

const PATH: &str = "/api/v1/quick_replies";

/// A buyer message in Spanish about order O-77, shipped.
const ORDER_MESSAGE: &str = r#"{"buyer":{"external_id":"b","nickname":"Ana","language":"es-MX"},
    "platform_message_id":"1","content":{"type":"text","text":"¿dónde está mi pedido?"},
    "order":{"external_id":"O-77","status":"shipped"}}"#;

fn post<'a>(token: &'a str, body: Value) -> Call<'a> {
    Call::new(Method::POST, PATH).token(token).body(body.to_string())
}

fn put<'a>(token: &'a str, path: String, body: Value) -> Call<'a> {
    Call::new(Method::PUT, path).token(token).body(body.to_string())
}

async fn created(h: &Harness, call: Call<'_>) -> Value {
    let (status, body) = h.send(call).await;
    assert_eq!(status, 201, "{body}");
    body
}

/// A sub-account granted `shop`; its token.
async fn agent(h: &Harness, owner: &str, nickname: &str, shop: &str) -> String {
    let body = json!({"nickname": nickname, "shops": [{"shop_id": shop, "can_chat": true}]});
    let call = Call::new(Method::POST, "/api/v1/agents").token(owner).body(body.to_string());
    let (status, made) = h.send(call).await;
    assert_eq!(status, 201, "{made}");
    made["token"].as_str().unwrap().to_owned()
}

fn titles(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|r| r["title"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_shop_set_is_the_main_accounts_and_each_agent_keeps_its_own() {
    // rule: ALL-SHOP-1, DY-QUICK-1
    let (h, owner, shop, _) = Harness::with_shop("api").await;
    let ana = agent(&h, &owner, "ana", &shop).await;
    let bo = agent(&h, &owner, "bo", &shop).await;
    let shop_reply =
        json!({"shop_id": shop, "group": "Shipping", "title": "ship", "text": "Shipped!"});
    let shared = created(&h, post(&owner, shop_reply.clone())).await;
    assert_eq!(shared["shop_id"].as_str(), Some(shop.as_str()));
    assert!(shared.get("agent_id").is_none(), "absent for a shop's, as documented: {shared}");
    h.check("an agent adding to the shop set", post(&ana, shop_reply), 403, "forbidden").await;
    let one = format!("{PATH}/{}", shared["id"].as_str().unwrap());
    let edit = json!({"title": "ship", "text": "changed"});
    h.check(
        "an agent editing the shop set",
        put(&ana, one.clone(), edit.clone()),
        403,
        "forbidden",
    )
    .await;
    let delete = Call::new(Method::DELETE, one.clone()).token(&ana);
    h.check("an agent deleting from the shop set", delete, 403, "forbidden").await;
    let own = created(&h, post(&ana, json!({"title": "thanks", "text": "Thank you"}))).await;
    assert!(own["agent_id"].is_string() && own.get("shop_id").is_none(), "{own}");
    let (_, ana_list) = h.send(Call::new(Method::GET, PATH).token(&ana)).await;
    assert_eq!(titles(&ana_list), ["thanks", "ship"], "its own first, then the shop's");
    let (_, bo_list) = h.send(Call::new(Method::GET, PATH).token(&bo)).await;
    assert_eq!(titles(&bo_list), ["ship"], "another agent's own set is not shared");
    let mine = format!("{PATH}/{}", own["id"].as_str().unwrap());
    let stolen = put(&bo, mine.clone(), edit.clone());
    h.check("a colleague editing an agent's own", stolen, 404, "not_found").await;
    let (status, changed) = h.send(put(&owner, one, edit)).await;
    assert_eq!((status, changed["text"].as_str()), (200, Some("changed")), "{changed}");
    let (status, _) = h.send(Call::new(Method::DELETE, mine).token(&ana)).await;
    assert_eq!(status, 200);
    let own_only = format!("{PATH}?scope=own");
    let (_, left) = h.send(Call::new(Method::GET, own_only).token(&ana)).await;
    assert_eq!(left, json!([]));
}

#[tokio::test]
async fn there_is_no_limit_on_their_number_and_search_is_partial_and_case_insensitive() {
    // rule: AE-QUICK-1
    let (h, owner, shop, _) = Harness::with_shop("api").await;
    for i in 0..120 {
        let body = json!({"title": format!("r{i}"), "text": format!("text {i}")});
        created(&h, post(&owner, body)).await;
    }
    let es = json!([{"language": "es", "text": "Su PEDIDO {order_id} fue enviado"}]);
    let body = json!({"shop_id": shop, "title": "Sent", "text": "Order sent", "translations": es});
    created(&h, post(&owner, body)).await;
    let (status, all) = h.send(Call::new(Method::GET, PATH).token(&owner)).await;
    assert_eq!((status, all.as_array().map(Vec::len)), (200, Some(121)));
    for q in ["pedido", "ORDER%20SE", "sent"] {
        let (_, found) =
            h.send(Call::new(Method::GET, format!("{PATH}?q={q}")).token(&owner)).await;
        assert_eq!(titles(&found), ["Sent"], "q={q}");
    }
    let (_, none) = h.send(Call::new(Method::GET, format!("{PATH}?q=%25")).token(&owner)).await;
    assert_eq!(none, json!([]), "`%` is a character, not a wildcard");
    let shop_only = format!("{PATH}?scope=shop&shop_id={shop}");
    let (_, found) = h.send(Call::new(Method::GET, shop_only).token(&owner)).await;
    assert_eq!(titles(&found), ["Sent"]);
}

#[tokio::test]
async fn a_set_is_reordered_whole_and_groups_follow_their_first_reply() {
    let (h, owner, _, _) = Harness::with_shop("api").await;
    let mut ids = Vec::new();
    for (group, title) in [("A", "a1"), ("B", "b1"), ("A", "a2")] {
        let body = json!({"group": group, "title": title, "text": "x"});
        ids.push(created(&h, post(&owner, body)).await["id"].as_str().unwrap().to_owned());
    }
    let (_, list) = h.send(Call::new(Method::GET, PATH).token(&owner)).await;
    assert_eq!(titles(&list), ["a1", "a2", "b1"]);
    let order = format!("{PATH}/order");
    let (status, list) =
        h.send(put(&owner, order.clone(), json!({"ids": [ids[1], ids[2], ids[0]]}))).await;
    assert_eq!((status, titles(&list)), (200, vec!["b1", "a2", "a1"]), "{list}");
    let partial = put(&owner, order.clone(), json!({"ids": [ids[1], ids[2]]}));
    h.check("a partial order", partial, 422, "invalid_field").await;
    let unknown = json!({"ids": [ids[1], ids[2], ids[0], "01a20000-0000-7000-8000-000000000000"]});
    h.check("an unknown id", put(&owner, order, unknown), 404, "not_found").await;
}

#[tokio::test]
async fn an_unknown_variable_or_a_bad_language_is_refused_on_save() {
    let (h, owner, _, _) = Harness::with_shop("api").await;
    let bad = json!({"title": "x", "text": "Hi {buyer}"});
    let refused = h.check("unknown variable", post(&owner, bad), 422, "unknown_variable").await;
    assert_eq!(refused["error"]["field"], "text");
    assert!(refused["error"]["message"].as_str().unwrap().contains("buyer_name"), "{refused}");
    let lang = json!({"title": "x", "text": "Hi", "translations": [{"language": "es", "text": "a"}, {"language": "ES", "text": "b"}]});
    h.check("twice the same language", post(&owner, lang), 422, "invalid_field").await;
    let blank = json!({"title": " ", "text": "Hi"});
    h.check("blank title", post(&owner, blank), 422, "invalid_field").await;
    let extra = json!({"title": "x", "text": "Hi", "shortcut": "x"});
    h.check("unknown field", post(&owner, extra), 400, "invalid_body").await;
    let (_, list) = h.send(Call::new(Method::GET, PATH).token(&owner)).await;
    assert_eq!(list, json!([]), "nothing half-written");
}

#[tokio::test]
async fn rendering_fills_the_order_in_the_buyers_language_and_a_placeholder_is_never_sent() {
    // rule: DY-QUICK-1, AE-QUICK-1
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let (status, stored) = h.send(h.signed(&shop, ORDER_MESSAGE, &secret)).await;
    assert_eq!(status, 200, "{stored}");
    let conv = stored["conversation_id"].as_str().unwrap();
    let es = json!([{"language": "es", "text": "Hola {buyer_name}, su pedido {order_id} está {order_status}. Seguimiento: {tracking_number}"}]);
    let body =
        json!({"shop_id": shop, "title": "where", "text": "Hi {buyer_name}", "translations": es});
    let reply = created(&h, post(&owner, body)).await;
    let render = format!(
        "/api/v1/conversations/{conv}/quick_replies/{}/render",
        reply["id"].as_str().unwrap()
    );
    let (status, rendered) = h.send(Call::new(Method::GET, render.clone()).token(&owner)).await;
    assert_eq!(status, 200, "{rendered}");
    assert_eq!(
        rendered,
        json!({"text": "Hola Ana, su pedido O-77 está shipped. Seguimiento: {tracking_number}",
            "unfilled": ["tracking_number"], "language": "es"})
    );
    let messages = format!("/api/v1/conversations/{conv}/messages");
    let (_, before) = h.send(Call::new(Method::GET, messages.clone()).token(&owner)).await;
    assert_eq!(before["items"].as_array().map(Vec::len), Some(1), "rendering sent nothing");
    let send = |text: &str| {
        let body = json!({"content": {"type": "text", "text": text}});
        Call::new(Method::POST, messages.clone()).token(&owner).body(body.to_string())
    };
    let refused = h
        .check(
            "a placeholder left",
            send(rendered["text"].as_str().unwrap()),
            422,
            "unfilled_variable",
        )
        .await;
    assert_eq!(refused["error"]["field"], "content.text");
    let edited = rendered["text"].as_str().unwrap().replace("{tracking_number}", "LX123");
    let (status, sent) = h.send(send(&edited)).await;
    assert!(status < 300, "{sent}");
    assert_eq!(sent["content"]["text"].as_str(), Some(edited.as_str()));
    // Another seller's ids answer like unknown ones.
    let other = h.owner().await;
    h.check(
        "another seller renders",
        Call::new(Method::GET, render).token(&other),
        404,
        "not_found",
    )
    .await;
    let theirs = format!("{PATH}/{}", reply["id"].as_str().unwrap());
    let edit = put(&other, theirs.clone(), json!({"title": "x", "text": "y"}));
    h.check("another seller edits", edit, 404, "not_found").await;
    let delete = Call::new(Method::DELETE, theirs).token(&other);
    h.check("another seller deletes", delete, 404, "not_found").await;
    let list = Call::new(Method::GET, format!("{PATH}?shop_id={shop}")).token(&other);
    h.check("another seller lists the shop", list, 404, "not_found").await;
}

#[tokio::test]
async fn a_shop_reply_is_used_only_in_its_shops_conversations() {
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let (_, stored) = h.send(h.signed(&shop, ORDER_MESSAGE, &secret)).await;
    let conv = stored["conversation_id"].as_str().unwrap();
    let second = json!({"platform": "api", "external_id": "two", "name": "Two"});
    let call = Call::new(Method::POST, "/api/v1/shops").token(&owner).body(second.to_string());
    let (_, second) = h.send(call).await;
    let body = json!({"shop_id": second["shop"]["id"], "title": "x", "text": "{shop_name}"});
    let elsewhere = created(&h, post(&owner, body)).await;
    let render = |id: &str| format!("/api/v1/conversations/{conv}/quick_replies/{id}/render");
    let call = Call::new(Method::GET, render(elsewhere["id"].as_str().unwrap())).token(&owner);
    h.check("another shop's reply", call, 404, "not_found").await;
    let own = created(
        &h,
        post(
            &owner,
            json!({"title": "x", "text": "{shop_name} / {agent_nickname} / {product_name}"}),
        ),
    )
    .await;
    let (status, rendered) =
        h.send(Call::new(Method::GET, render(own["id"].as_str().unwrap())).token(&owner)).await;
    assert_eq!(status, 200, "{rendered}");
    assert_eq!(rendered["text"], "Shop / Owner / {product_name}");
    assert_eq!(rendered["unfilled"], json!(["product_name"]));
    assert_eq!(rendered["language"], Value::Null, "no Spanish version: the default");
}
