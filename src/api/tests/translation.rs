//! Translation over HTTP (TT-TR-1, AE-TR-2): the agent's language, a conversation's
//! switch and languages, the draft's translation, the seller's monthly budget (set by
//! the main account) and the refusals. Without a provider configured, a draft comes
//! back untranslated with the reason (never an error).

use super::{Call, Harness};
use axum::http::Method;
use serde_json::{Value, json};

async fn inbound(h: &Harness, shop: &str, secret: &str) -> String {
    let body = json!({
        "buyer": {"external_id": "b-es", "nickname": "Lucía", "language": "es"},
        "platform_message_id": "m-es",
        "content": {"type": "text", "text": "Hola"},
    })
    .to_string();
    let (status, stored) = h.send(h.signed(shop, &body, secret)).await;
    assert_eq!(status, 200, "{stored}");
    stored["conversation_id"].as_str().expect("conversation").to_owned()
}

async fn call(h: &Harness, token: &str, method: Method, path: &str, body: Value) -> (u16, Value) {
    let (status, answer) =
        h.send(Call::new(method, path).token(token).body(body.to_string())).await;
    (status, answer)
}

#[tokio::test]
async fn languages_switch_and_drafts_over_http_with_their_refusals() {
    // rule: AE-TR-2 (the agent chooses source and target)
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let conv = inbound(&h, &shop, &secret).await;
    let (status, lang) =
        call(&h, &owner, Method::PUT, "/api/v1/me/language", json!({"language": "pl-PL"})).await;
    assert_eq!((status, lang["language"].as_str()), (200, Some("pl")), "{lang}");
    let path = format!("/api/v1/conversations/{conv}/translation");
    let (status, view) = call(&h, &owner, Method::GET, &path, json!({})).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(
        (view["agent_language"].as_str(), view["buyer_language"].as_str()),
        (Some("pl"), Some("es"))
    );
    assert_eq!(view["auto_translate"], false);
    let choice = json!({"auto_translate": true, "source": "pl", "target": "es"});
    let (status, view) = call(&h, &owner, Method::PUT, &path, choice).await;
    assert_eq!(
        (status, &view["auto_translate"], &view["target"]),
        (200, &json!(true), &json!("es"))
    );
    // No provider configured: untranslated with the reason, not an error.
    let draft = format!("/api/v1/conversations/{conv}/translate");
    let (status, d) = call(&h, &owner, Method::POST, &draft, json!({"text": "Dzień dobry"})).await;
    assert_eq!(status, 200, "{d}");
    assert!(d["text"].is_null() && d["error"].as_str().unwrap().starts_with("no_provider"), "{d}");
    let (status, usage) =
        call(&h, &owner, Method::GET, "/api/v1/translation/usage", json!({})).await;
    assert_eq!((status, usage["providers"].as_array().map(Vec::len)), (200, Some(0)), "{usage}");
    // Refusals.
    let bad = [
        (
            Method::PUT,
            "/api/v1/me/language".to_owned(),
            json!({"language": "not a tag"}),
            422,
            "invalid_field",
        ),
        (
            Method::PUT,
            "/api/v1/me/language".to_owned(),
            json!({"language": "AA_0000000_000000"}),
            422,
            "invalid_field",
        ),
        (
            Method::PUT,
            path.clone(),
            json!({"auto_translate": true, "target": "??"}),
            422,
            "invalid_field",
        ),
        (
            Method::PUT,
            "/api/v1/me/language".to_owned(),
            json!({"language": "dij-zUCZUG9y*"}),
            422,
            "invalid_field",
        ),
        (
            Method::PUT,
            path.clone(),
            json!({"auto_translate": true, "target": "es-ES-x-0000000000"}),
            422,
            "invalid_field",
        ),
        (
            Method::PUT,
            path.clone(),
            json!({"auto_translate": true, "source": " pl"}),
            422,
            "invalid_field",
        ),
        (Method::PUT, path.clone(), json!({"auto_translate": "yes"}), 400, "invalid_body"),
        (Method::POST, draft.clone(), json!({"text": ""}), 422, "invalid_field"),
        (Method::POST, draft.clone(), json!({"text": "x".repeat(5001)}), 422, "invalid_field"),
        (Method::POST, draft.clone(), json!({"text": "hi", "extra": 1}), 400, "invalid_body"),
    ];
    for (method, path, body, want, code) in bad {
        let (status, answer) = call(&h, &owner, method.clone(), &path, body.clone()).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (want, Some(code)),
            "{method} {path} {body}: {answer}"
        );
    }
    let unknown = "/api/v1/conversations/00000000-0000-7000-8000-000000000000/translation";
    let (status, _) = call(&h, &owner, Method::GET, unknown, json!({})).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_main_account_sets_its_translation_budget_and_bad_input_names_the_field() {
    let (h, owner, shop, _) = Harness::with_shop("api").await;
    let path = "/api/v1/translation/budget";
    let (status, view) = call(&h, &owner, Method::GET, path, json!({})).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!((&view["monthly_chars"], &view["own"]), (&Value::Null, &json!(false)), "{view}");
    let (status, view) = call(&h, &owner, Method::PUT, path, json!({"monthly_chars": 50000})).await;
    assert_eq!((status, &view["monthly_chars"], &view["own"]), (200, &json!(50000), &json!(true)));
    let (_, usage) = call(&h, &owner, Method::GET, "/api/v1/translation/usage", json!({})).await;
    assert_eq!(usage["monthly_budget"], 50000, "{usage}");
    for (body, want, code) in [
        (json!({"monthly_chars": -1}), 422, "invalid_field"),
        (json!({"monthly_chars": "lots"}), 400, "invalid_body"),
        (json!({"monthly_chars": 1, "per": "month"}), 400, "invalid_body"),
    ] {
        let (status, answer) = call(&h, &owner, Method::PUT, path, body.clone()).await;
        assert_eq!((status, answer["error"]["code"].as_str()), (want, Some(code)), "{body}");
        let error = &answer["error"];
        let named = error["field"] == "monthly_chars"
            || error["message"]
                .as_str()
                .is_some_and(|m| m.contains("monthly_chars") || m.contains("per"));
        assert!(named, "the error names the field: {answer}");
    }
    let (_, agent) = call(
        &h,
        &owner,
        Method::POST,
        "/api/v1/agents",
        json!({"nickname": "ann", "shops": [{"shop_id": shop, "can_chat": true}]}),
    )
    .await;
    let ann = agent["token"].as_str().unwrap();
    let (status, _) = call(&h, ann, Method::PUT, path, json!({"monthly_chars": 1})).await;
    assert_eq!(status, 403);
    let (status, view) = call(&h, ann, Method::GET, path, json!({})).await;
    assert_eq!((status, &view["monthly_chars"]), (200, &json!(50000)), "an agent reads it");
    let (status, view) = call(&h, &owner, Method::DELETE, path, json!({})).await;
    assert_eq!((status, &view["own"]), (200, &json!(false)), "{view}");
}
