//! The pre-send compliance check over HTTP: the live check of a draft, a reply refused
//! with 422 `policy_warning` and its findings, sent with `acknowledged_policies` and
//! recorded on the message page, and the shop's overrides validated with the settings.
//! The `api` channel has no policy of its own, so the shop adds a word policy.

use super::{Call, Harness, MESSAGE};
use axum::http::Method;
use serde_json::{Value, json};

async fn conversation_with_words(h: &Harness, owner: &str, shop: &str, secret: &str) -> String {
    let settings = json!({"compliance": {"extra_words": {"SHOP-WORDS-1": ["whatsapp", "微信"]}}});
    let put = Call::new(Method::PUT, format!("/api/v1/shops/{shop}/settings"))
        .token(owner)
        .body(settings.to_string());
    let (status, body) = h.send(put).await;
    assert_eq!(status, 200, "{body}");
    let (status, stored) = h.send(h.signed(shop, MESSAGE, secret)).await;
    assert_eq!(status, 200, "{stored}");
    stored["conversation_id"].as_str().expect("conversation").to_owned()
}

fn reply<'a>(conv: &str, token: &'a str, body: Value) -> Call<'a> {
    Call::new(Method::POST, format!("/api/v1/conversations/{conv}/messages"))
        .token(token)
        .body(body.to_string())
}

#[tokio::test]
async fn a_reply_breaking_a_policy_is_refused_with_its_findings_until_acknowledged() {
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let conv = conversation_with_words(&h, &owner, &shop, &secret).await;

    // The live check: the policy, its kind and where in the draft (in characters).
    let check = Call::new(Method::POST, format!("/api/v1/conversations/{conv}/compliance"))
        .token(&owner)
        .body(json!({"text": "¡Hola! Add me on WhatsApp"}).to_string());
    let (status, found) = h.send(check).await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(
        found["findings"],
        json!([{"policy": "SHOP-WORDS-1", "kind": "words", "start": 17, "end": 25, "text": "WhatsApp"}])
    );

    let draft = json!({"content": {"type": "text", "text": "加我微信"}});
    let refused =
        h.check("unacknowledged", reply(&conv, &owner, draft.clone()), 422, "policy_warning").await;
    assert_eq!(refused["error"]["findings"][0]["policy"], "SHOP-WORDS-1", "{refused}");
    assert_eq!(refused["error"]["findings"][0]["text"], "微信", "{refused}");
    let page = format!("/api/v1/conversations/{conv}/messages");
    let (_, before) = h.send(Call::new(Method::GET, page.clone()).token(&owner)).await;
    assert_eq!(before["items"].as_array().map(Vec::len), Some(1), "nothing written: {before}");

    let mut anyway = draft;
    anyway["acknowledged_policies"] = json!(["SHOP-WORDS-1"]);
    let (status, sent) = h.send(reply(&conv, &owner, anyway)).await;
    assert_eq!(status, 202, "{sent}");
    let (_, after) = h.send(Call::new(Method::GET, page).token(&owner)).await;
    let overrides = after["policy_overrides"].as_array().expect("overrides");
    assert_eq!(overrides.len(), 1, "{after}");
    assert_eq!(overrides[0]["message_id"], sent["id"]);
    assert_eq!(overrides[0]["policies"], json!(["SHOP-WORDS-1"]));

    // More acknowledgements than the schema allows are refused as a field.
    let many: Vec<String> = (0..33).map(|i| format!("X-{i}")).collect();
    let bad = json!({"content": {"type": "text", "text": "hi"}, "acknowledged_policies": many});
    let refused =
        h.check("bad acknowledgement", reply(&conv, &owner, bad), 422, "invalid_field").await;
    assert_eq!(refused["error"]["field"], "acknowledged_policies");
}

#[tokio::test]
async fn another_sellers_conversation_is_not_checked_and_bad_overrides_are_refused() {
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let conv = conversation_with_words(&h, &owner, &shop, &secret).await;
    let stranger = h.owner().await;
    let check = Call::new(Method::POST, format!("/api/v1/conversations/{conv}/compliance"))
        .token(&stranger)
        .body(json!({"text": "whatsapp"}).to_string());
    h.check("another seller's conversation", check, 404, "not_found").await;

    // The api channel has no OFF-PHONE-1 to switch off.
    let settings = json!({"compliance": {"disabled": ["OFF-PHONE-1"]}});
    let put = Call::new(Method::PUT, format!("/api/v1/shops/{shop}/settings"))
        .token(&owner)
        .body(settings.to_string());
    let refused = h.check("unknown policy", put, 422, "invalid_field").await;
    assert_eq!(refused["error"]["field"], "settings.compliance.disabled");
}
