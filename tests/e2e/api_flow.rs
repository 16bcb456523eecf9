//! The main flows through the public API: ingest, list, reply, stream, visibility.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn a_message_flows_from_inbound_to_reply_and_the_stream_sees_it() {
    let d = start().await;
    let (token, shop, secret) = d.api_seller("Acme", "acme-pl").await;
    let mut ws = d.stream(&token).await;

    let (status, out) =
        d.inbound(&shop, &secret, &message("b1", "m1", "Where is my parcel?")).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["duplicate"], false);
    let conv = out["conversation_id"].as_str().unwrap().to_owned();

    let (status, page) = d.get("/api/v1/conversations?unread=true", &token).await;
    assert_eq!(status, 200);
    assert_eq!(page["items"][0]["id"], conv.as_str());
    assert_eq!(page["counts"]["unread_messages"], 1);

    let (status, sent) = d.reply(&token, &conv, "Shipped today.").await;
    assert_eq!(status, 202, "{sent}");
    let sent_id = string(&sent["id"]);

    // The stream delivers the inbound message, then the reply: the `api` channel records
    // replies (its consumers read them from shopmux), so it is stored delivered.
    assert_eq!(sent["delivery_status"], "delivered", "{sent}");
    next_event(&mut ws, |e| {
        e["type"] == "message_created" && e["message"]["platform_message_id"] == "m1"
    })
    .await;
    let reply = next_event(&mut ws, |e| {
        e["type"] == "message_created" && e["message"]["id"] == sent_id.as_str()
    })
    .await;
    assert_eq!(reply["message"]["delivery_status"], "delivered");

    assert_eq!(d.n_messages(&token, &conv).await, Some(2));
    let (_, detail) = d.conversation(&token, &conv).await;
    assert_eq!(detail["conversation"]["waiting_since"], Value::Null, "a human reply ends the wait");
    assert_eq!(detail["buyer"]["nickname"], "b1");
    d.stop().await;
}

#[tokio::test]
async fn twenty_concurrent_http_deliveries_store_exactly_one_message() {
    let d = start().await;
    let (token, shop, secret) = d.api_seller("Dup", "dup").await;
    let body = message("b1", "same-id", "hello");
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (url, secret, body) = (d.url(&inbound_path(&shop)), secret.clone(), body.clone());
        tasks.push(tokio::spawn(async move { signed_inbound(url, &secret, &body).await }));
    }
    let mut ids = Vec::new();
    let mut originals = 0;
    for t in tasks {
        let (status, out) = t.await.unwrap();
        assert_eq!(status, 200, "{out}");
        ids.push(out["message_id"].as_str().unwrap().to_owned());
        if out["duplicate"] == false {
            originals += 1;
        }
    }
    ids.dedup();
    assert_eq!(ids.len(), 1);
    assert_eq!(originals, 1);
    let (_, page) = d.get("/api/v1/conversations", &token).await;
    let conv = page["items"][0]["id"].as_str().unwrap();
    assert_eq!(d.n_messages(&token, conv).await, Some(1));
    d.stop().await;
}

#[tokio::test]
async fn a_sub_account_cannot_read_a_conversation_of_a_shop_it_is_not_granted() {
    let d = start().await;
    let (owner, pl, pl_secret) = d.api_seller("Multi", "multi-pl").await;
    let (es, es_secret) = d.shop(&owner, "multi-es").await;
    let (_, ola) = d.sub_account(&owner, "ola", &pl).await;
    let (_, es_msg) = d.inbound(&es, &es_secret, &message("juan", "1", "Hola")).await;
    let (_, pl_msg) = d.inbound(&pl, &pl_secret, &message("anna", "1", "Cześć")).await;
    let es_conv = es_msg["conversation_id"].as_str().unwrap();
    let pl_conv = pl_msg["conversation_id"].as_str().unwrap();

    let (status, body) = d.conversation(&ola, es_conv).await;
    assert_eq!(status, 404, "{body}");
    let path = format!("/api/v1/conversations/{es_conv}/messages");
    assert_eq!(d.get(&path, &ola).await.0, 404);
    assert_eq!(d.conversation(&ola, pl_conv).await.0, 200);
    let (_, page) = d.get("/api/v1/conversations", &ola).await;
    assert_eq!(n_items(&page), Some(1));
    let (status, _) = d.create_shop(&ola, "api", "x").await;
    assert_eq!(status, 403, "only the main account connects shops");

    // Her stream carries only the granted shop's events.
    let mut ws = d.stream(&ola).await;
    d.inbound(&es, &es_secret, &message("juan", "2", "¿Hola?")).await;
    d.inbound(&pl, &pl_secret, &message("anna", "2", "Halo?")).await;
    // The first event she gets is the granted shop's.
    let event = next_event(&mut ws, |_| true).await;
    assert_eq!(event["message"]["platform_message_id"], "2");
    assert_eq!(event["message"]["shop_id"], pl.as_str(), "the other shop's event was filtered out");
    d.stop().await;
}

#[tokio::test]
async fn notes_flags_and_state_actions_over_http() {
    let d = start().await;
    let (token, shop, secret) = d.api_seller("Ops", "ops").await;
    let (_, out) = d.inbound(&shop, &secret, &message("b", "1", "hi")).await;
    let conv = string(&out["conversation_id"]);
    let flag = format!("/api/v1/conversations/{conv}/flag");
    let (status, c) = d.put_json(&flag, &token, json!({"colour": "red"})).await;
    assert_eq!((status, c["flag"].as_str()), (200, Some("red")));
    let (_, page) = d.get("/api/v1/conversations?flag=red", &token).await;
    assert_eq!(page["counts"]["flags"]["red"], 1);
    let (status, c) = d.act(&token, &conv, "end").await;
    assert_eq!((status, c["state"].as_str()), (200, Some("ended")));
    let (status, _) = d.act(&token, &conv, "end").await;
    assert_eq!(status, 409);
    let (_, page) = d.get("/api/v1/conversations?status=history", &token).await;
    assert_eq!(n_items(&page), Some(1));
    let (status, c) = d.act(&token, &conv, "reopen").await;
    assert_eq!((status, c["state"].as_str()), (200, Some("unassigned")));

    // rule: SH-NOTE-1 (internal notes: kept with the buyer, editable, deletable)
    let notes = format!("/api/v1/buyers/{}/notes", string(&c["buyer_id"]));
    let (status, note) = d.post_json(&notes, &token, json!({"body": "VIP, ships to Kraków"})).await;
    assert_eq!(status, 201, "{note}");
    let note = format!("{notes}/{}", string(&note["id"]));
    let (status, edited) = d.put_json(&note, &token, json!({"body": "VIP"})).await;
    assert_eq!((status, edited["body"].as_str()), (200, Some("VIP")));
    let (status, _) = d.call(Method::DELETE, &note, Some(&token), None).await;
    assert_eq!(status, 200);
    let (_, notes) = d.get(&notes, &token).await;
    assert_eq!(notes.as_array().unwrap().len(), 0);
    // Notes never reach the buyer's conversation.
    let msgs = d.messages(&token, &conv).await;
    assert!(!msgs.to_string().contains("VIP"));
    d.stop().await;
}

#[tokio::test]
async fn the_openapi_document_covers_every_endpoint() {
    let d = start().await;
    let (status, doc) = d.call(Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    let expected = [
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("post", "/api/v1/shops"),
        ("get", "/api/v1/shops"),
        ("get", "/api/v1/shops/{shop_id}"),
        ("post", "/api/v1/shops/{shop_id}/ingest-secret"),
        ("post", "/api/v1/shops/{shop_id}/inbound"),
        ("get", "/api/v1/me"),
        ("post", "/api/v1/agents"),
        ("get", "/api/v1/agents"),
        ("get", "/api/v1/agents/{agent_id}"),
        ("put", "/api/v1/agents/{agent_id}/shops"),
        ("put", "/api/v1/agents/{agent_id}/password"),
        ("post", "/api/v1/session"),
        ("get", "/api/v1/session"),
        ("delete", "/api/v1/session"),
        ("get", "/api/v1/conversations"),
        ("get", "/api/v1/counts"),
        ("get", "/api/v1/conversations/{conversation_id}"),
        ("get", "/api/v1/conversations/{conversation_id}/messages"),
        ("post", "/api/v1/conversations/{conversation_id}/messages"),
        ("post", "/api/v1/conversations/{conversation_id}/read"),
        ("post", "/api/v1/conversations/{conversation_id}/unread"),
        ("put", "/api/v1/conversations/{conversation_id}/flag"),
        ("delete", "/api/v1/conversations/{conversation_id}/flag"),
        ("post", "/api/v1/conversations/{conversation_id}/end"),
        ("post", "/api/v1/conversations/{conversation_id}/close"),
        ("post", "/api/v1/conversations/{conversation_id}/reopen"),
        ("post", "/api/v1/conversations/{conversation_id}/assign"),
        ("post", "/api/v1/conversations/{conversation_id}/transfer"),
        ("post", "/api/v1/conversations/{conversation_id}/unassign"),
        ("get", "/api/v1/buyers/{buyer_id}"),
        ("get", "/api/v1/buyers/{buyer_id}/notes"),
        ("post", "/api/v1/buyers/{buyer_id}/notes"),
        ("put", "/api/v1/buyers/{buyer_id}/notes/{note_id}"),
        ("delete", "/api/v1/buyers/{buyer_id}/notes/{note_id}"),
        ("get", "/api/v1/quick_replies"),
        ("post", "/api/v1/quick_replies"),
        ("put", "/api/v1/quick_replies/order"),
        ("put", "/api/v1/quick_replies/{quick_reply_id}"),
        ("delete", "/api/v1/quick_replies/{quick_reply_id}"),
        ("get", "/api/v1/conversations/{conversation_id}/quick_replies/{quick_reply_id}/render"),
        ("get", "/api/v1/stream"),
        ("post", "/api/v1/shops/{shop_id}/buyers/{buyer_id}/conversations"),
        ("get", "/api/v1/shops/{shop_id}/rules"),
        ("put", "/api/v1/shops/{shop_id}/settings"),
        ("get", "/api/v1/shops/{shop_id}/queue"),
        ("get", "/api/v1/me/presence"),
        ("put", "/api/v1/me/presence"),
        ("get", "/api/v1/team/presence"),
        ("get", "/api/v1/plugins"),
        ("get", "/metrics"),
        ("post", "/storefront/{shop_id}/sessions"),
        ("post", "/storefront/{shop_id}/proxy/sessions"),
        ("post", "/storefront/{shop_id}/email"),
        ("post", "/storefront/{shop_id}/email/confirm"),
        ("get", "/storefront/{shop_id}/chat"),
        ("get", "/storefront/widget.js"),
        ("get", "/storefront/{shop_id}/widget"),
        ("post", "/storefront/{shop_id}/history"),
        ("get", "/storefront/{shop_id}/proxy/widget"),
        ("post", "/storefront/{shop_id}/proxy/history"),
        ("post", "/webhooks/{platform}/{shop_id}"),
        ("post", "/webhooks/{platform}"),
        ("get", "/connect/{platform}/callback"),
        ("get", "/api/v1/connect"),
        ("post", "/api/v1/connect/{platform}"),
        ("get", "/api/v1/privacy-requests"),
        ("get", "/api/v1/privacy-requests/{request_id}"),
        ("get", "/api/v1/shops/{shop_id}/connection"),
        ("put", "/api/v1/shops/{shop_id}/connection"),
        ("post", "/api/v1/conversations/{conversation_id}/messages/{message_id}/retry"),
        ("post", "/api/v1/conversations/{conversation_id}/compliance"),
        ("get", "/api/v1/conversations/{conversation_id}/customer"),
        ("get", "/api/v1/conversations/{conversation_id}/workbench"),
        ("get", "/api/v1/shops/{shop_id}/products"),
        ("post", "/api/v1/agents/{agent_id}/deactivate"),
        ("post", "/api/v1/agents/{agent_id}/reactivate"),
        ("post", "/api/v1/agents/{agent_id}/token"),
        ("delete", "/api/v1/agents/{agent_id}/token"),
        ("post", "/api/v1/conversations/{conversation_id}/rating_invitation"),
        ("get", "/api/v1/ratings"),
        ("get", "/api/v1/webhook-endpoints"),
        ("post", "/api/v1/webhook-endpoints"),
        ("get", "/api/v1/webhook-endpoints/{endpoint_id}"),
        ("delete", "/api/v1/webhook-endpoints/{endpoint_id}"),
        ("post", "/api/v1/webhook-endpoints/{endpoint_id}/secret"),
        ("post", "/api/v1/webhook-endpoints/{endpoint_id}/pause"),
        ("post", "/api/v1/webhook-endpoints/{endpoint_id}/resume"),
        ("post", "/api/v1/webhook-endpoints/{endpoint_id}/ping"),
        ("get", "/api/v1/webhook-endpoints/{endpoint_id}/deliveries"),
        ("post", "/api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry"),
        ("get", "/api/v1/shops/{shop_id}/bot"),
        ("put", "/api/v1/shops/{shop_id}/bot"),
        ("get", "/api/v1/shops/{shop_id}/bot/questions"),
        ("post", "/api/v1/shops/{shop_id}/bot/questions"),
        ("put", "/api/v1/shops/{shop_id}/bot/questions/{question_id}"),
        ("delete", "/api/v1/shops/{shop_id}/bot/questions/{question_id}"),
        ("get", "/api/v1/service-levels"),
        ("get", "/api/v1/service-data"),
        ("get", "/api/v1/service-data/export"),
        ("get", "/api/v1/service-data/series"),
        ("get", "/api/v1/service-data/ratings"),
        ("get", "/api/v1/me/service-data"),
        ("put", "/api/v1/me/language"),
        ("get", "/api/v1/conversations/{conversation_id}/translation"),
        ("put", "/api/v1/conversations/{conversation_id}/translation"),
        ("post", "/api/v1/conversations/{conversation_id}/translate"),
        ("get", "/api/v1/translation/usage"),
        ("get", "/api/v1/translation/budget"),
        ("put", "/api/v1/translation/budget"),
        ("delete", "/api/v1/translation/budget"),
    ];
    for (method, path) in expected {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is missing from the OpenAPI document"
        );
    }
    let n_operations: usize =
        doc["paths"].as_object().unwrap().values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(n_operations, expected.len(), "the document has operations this test does not know");
    assert_eq!(doc["openapi"].as_str().map(|v| v.starts_with("3.")), Some(true));
    d.stop().await;
}

#[tokio::test]
async fn a_failed_reply_is_shown_and_can_be_retried_over_http() {
    let d = start().await;
    let owner = d.owner("Retry").await;
    // The TikTok shop has no connection configured: the reply fails permanently, visibly.
    let (_, ingest) = d.marketplace_shop(&owner, "tiktok", "tt-retry").await;
    let (shop, secret) = d.shop(&owner, "api-retry").await;
    let conv = d.ingest(&ingest, message("b1", "m1", "hi")).await.conversation_id;
    let mut ws = d.stream(&owner).await;
    let (status, m) = d.reply(&owner, conv, "hello").await;
    assert_eq!(status, 202, "{m}");
    let id = string(&m["id"]);
    let failed = next_update(&mut ws, &id).await;
    assert_eq!(failed["message"]["delivery_status"], "failed", "{failed}");
    assert!(failed["message"]["delivery_error"].as_str().unwrap().contains("missing_credential"));
    let retry = format!("/api/v1/conversations/{conv}/messages/{id}/retry");
    let (status, m) = d.post(&retry, &owner).await;
    assert_eq!((status, m["delivery_status"].as_str()), (202, Some("pending")), "{m}");
    next_event(&mut ws, |e| {
        e["type"] == "message_updated"
            && e["message"]["id"] == id.as_str()
            && e["message"]["delivery_status"] == "failed"
    })
    .await;
    // A delivered message cannot be retried (the api channel delivers at once).
    let (_, out) = d.inbound(&shop, &secret, &message("b2", "m2", "hi")).await;
    let api_conv = string(&out["conversation_id"]);
    let (_, m) = d.reply(&owner, &api_conv, "again").await;
    let delivered_id = string(&m["id"]);
    next_event(&mut ws, |e| {
        e["message"]["id"] == delivered_id.as_str()
            && e["message"]["delivery_status"] == "delivered"
    })
    .await;
    let delivered = format!("/api/v1/conversations/{api_conv}/messages/{delivered_id}/retry");
    let (status, body) = d.post(&delivered, &owner).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("conflict")), "{body}");
    let unknown =
        format!("/api/v1/conversations/{conv}/messages/01a20000-0000-7000-8000-000000000000/retry");
    let (status, body) = d.post(&unknown, &owner).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")), "{body}");
}

#[tokio::test]
async fn a_stream_sees_a_shop_created_after_it_connected() {
    let d = start().await;
    let owner = d.owner("Late shop").await;
    let mut ws = d.stream(&owner).await;
    let (shop, secret) = d.shop(&owner, "late").await;
    let (status, _) = d.inbound(&shop, &secret, &message("b", "m1", "hello late")).await;
    assert_eq!(status, 200);
    let event = next_created(&mut ws).await;
    assert_eq!(event["message"]["content"]["text"], "hello late");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_credentials_are_sealed_at_rest_and_survive_a_restart() {
    let d = start().await;
    let (owner, shop, _) = d.seller("Sealed Seller", "tiktok", "7000123").await;
    let credentials = json!({"app_key": "k", "app_secret": "hunter2-app-secret"});
    let (status, view) = d.connect(&owner, &shop, json!({"credentials": credentials})).await;
    assert_eq!(status, 200, "{view}");
    assert!(!view.to_string().contains("hunter2"));
    let stored: String =
        sqlx::query_scalar("SELECT credentials FROM shop_connections WHERE shop_id = $1")
            .bind(&shop)
            .fetch_one(d.inbox.store().pool())
            .await
            .unwrap();
    assert!(stored.starts_with("sealed1:"), "{stored}");
    assert!(!stored.contains("hunter2") && !stored.contains("app_secret"));
    let tmp = d.stop().await;
    let dir = tmp.as_ref().unwrap().path().to_path_buf();
    let url = format!("sqlite://{}/shopmux.db", dir.display());
    let d = start_at(&url, dir).await;
    let connection = d.stored_connection(&shop).await;
    assert_eq!(connection.credential("app_secret").unwrap(), "hunter2-app-secret");
    drop(tmp);
}
