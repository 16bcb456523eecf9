//! Router-level tests of the FAQ bot's routes (DY-GREET-1, DY-BOT-1, DY-BOT-2): the
//! main account writes the settings and questions, a sub-account reads them and is
//! refused writes (403), bad input answers 422 with the field, and a buyer's question
//! through the inbound endpoint shows in the counts and rates; the storefront session
//! carries the greeting and FAQ list.

use super::{Call, Harness};
use axum::http::Method;
use serde_json::{Value, json};

async fn call(h: &Harness, method: Method, path: &str, token: &str, body: Value) -> (u16, Value) {
    let call = Call::new(method, path.to_owned()).token(token);
    let call = if body.is_null() { call } else { call.body(body.to_string()) };
    h.send(call).await
}

#[tokio::test]
async fn dy_bot_1_the_main_account_writes_questions_and_settings_agents_read_them() {
    // rule: DY-BOT-1, DY-BOT-2
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let questions = format!("/api/v1/shops/{shop}/bot/questions");
    let q = json!({"category": "shipping", "phrasings": ["How long does shipping take?", "发货要多久"],
        "answer": "3 to 5 days.", "answers": {"zh": "3到5天。"}});
    let (status, created) = call(&h, Method::POST, &questions, &owner, q.clone()).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["stats"]["resolution_rate"], Value::Null);
    let settings = json!({"enabled": true, "greeting": "Hi!", "faq": [id]});
    let (status, view) =
        call(&h, Method::PUT, &format!("/api/v1/shops/{shop}/bot"), &owner, settings).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["settings"]["faq"][0], id.as_str());
    // A buyer asks; the bot answers and counts it.
    let inbound = json!({"buyer": {"external_id": "b1"}, "platform_message_id": "m1",
        "content": {"type": "text", "text": "发货多久"}})
    .to_string();
    let (status, stored) = h.send(h.signed(&shop, &inbound, &secret)).await;
    assert_eq!(status, 200, "{stored}");
    let (_, listed) = call(&h, Method::GET, &questions, &owner, Value::Null).await;
    assert_eq!(
        (listed[0]["stats"]["hits"].as_i64(), listed[0]["stats"]["answers"].as_i64()),
        (Some(1), Some(1))
    );
    let (_, view) =
        call(&h, Method::GET, &format!("/api/v1/shops/{shop}/bot"), &owner, Value::Null).await;
    assert_eq!(view["stats"]["answers"], 1, "{view}");
    assert_eq!(view["stats"]["resolution_rate"], 0.0, "{view}");
    let conv = stored["conversation_id"].as_str().unwrap();
    let (_, page) = call(
        &h,
        Method::GET,
        &format!("/api/v1/conversations/{conv}/messages"),
        &owner,
        Value::Null,
    )
    .await;
    let bot = page["items"].as_array().unwrap().iter().find(|m| m["sender_kind"] == "bot").cloned();
    assert_eq!(bot.expect("a bot answer")["content"]["text"], "3到5天。");
    let (_, detail) =
        call(&h, Method::GET, &format!("/api/v1/conversations/{conv}"), &owner, Value::Null).await;
    assert_eq!(detail["conversation"]["bot_active"], true, "{detail}");
    // A sub-account reads, but may not write.
    let (_, agent) = call(
        &h,
        Method::POST,
        "/api/v1/agents",
        &owner,
        json!({"nickname": "ann", "shops": [{"shop_id": shop, "can_chat": true}]}),
    )
    .await;
    let ann = agent["token"].as_str().unwrap();
    assert_eq!(call(&h, Method::GET, &questions, ann, Value::Null).await.0, 200);
    h.check(
        "agent adds",
        Call::new(Method::POST, questions.clone()).token(ann).body(q.to_string()),
        403,
        "forbidden",
    )
    .await;
    let one = format!("{questions}/{id}");
    h.check("agent deletes", Call::new(Method::DELETE, one.clone()).token(ann), 403, "forbidden")
        .await;
    // Replace, then delete.
    let mut changed = q.clone();
    changed["answer"] = json!("2 days.");
    let (status, updated) = call(&h, Method::PUT, &one, &owner, changed).await;
    assert_eq!((status, updated["answer"].as_str()), (200, Some("2 days.")), "{updated}");
    assert_eq!(updated["stats"]["hits"], 1, "counts stay");
    assert_eq!(call(&h, Method::DELETE, &one, &owner, Value::Null).await.0, 200);
    h.check("gone", Call::new(Method::DELETE, one).token(&owner), 404, "not_found").await;
}

#[tokio::test]
async fn bad_bot_input_answers_422_naming_the_field() {
    let (h, owner, shop, _) = Harness::with_shop("api").await;
    let questions = format!("/api/v1/shops/{shop}/bot/questions");
    for (name, body, field) in [
        ("no phrasings", json!({"category": "c", "phrasings": [], "answer": "a"}), "phrasings"),
        ("blank answer", json!({"category": "c", "phrasings": ["p"], "answer": "  "}), "answer"),
        (
            "bad language",
            json!({"category": "c", "phrasings": ["p"], "answer": "a", "answers": {"EN!": "x"}}),
            "answers",
        ),
        (
            "unknown related",
            json!({"category": "c", "phrasings": ["p"], "answer": "a",
            "related": ["01a20000-0000-7000-8000-000000000000"]}),
            "related",
        ),
    ] {
        let c = Call::new(Method::POST, questions.clone()).token(&owner).body(body.to_string());
        let err = h.check(name, c, 422, "invalid_field").await;
        assert_eq!(err["error"]["field"], field, "{name}: {err}");
    }
    let bot = format!("/api/v1/shops/{shop}/bot");
    let unknown = json!({"faq": ["01a20000-0000-7000-8000-000000000000"]}).to_string();
    h.check(
        "unknown faq",
        Call::new(Method::PUT, bot.clone()).token(&owner).body(unknown),
        422,
        "invalid_field",
    )
    .await;
    let extra = json!({"enabled": true, "colour": 1}).to_string();
    h.check(
        "unknown key",
        Call::new(Method::PUT, bot).token(&owner).body(extra),
        400,
        "invalid_body",
    )
    .await;
}

#[tokio::test]
async fn dy_greet_1_a_storefront_session_carries_the_greeting_and_faq_list() {
    // rule: DY-GREET-1
    let (h, owner, shop, _) = Harness::with_shop("shopify").await;
    let q = json!({"category": "returns", "phrasings": ["Can I get a refund?"], "answer": "Yes."});
    let (_, created) =
        call(&h, Method::POST, &format!("/api/v1/shops/{shop}/bot/questions"), &owner, q).await;
    let settings = json!({"enabled": true, "greeting": "Welcome!", "faq": [created["id"]]});
    call(&h, Method::PUT, &format!("/api/v1/shops/{shop}/bot"), &owner, settings).await;
    let start = Call::new(Method::POST, format!("/storefront/{shop}/sessions"))
        .body("{}")
        .peer(std::net::SocketAddr::from(([198, 51, 100, 9], 40000)));
    let (status, session) = h.send(start).await;
    assert_eq!(status, 201, "{session}");
    assert_eq!(session["greeting"]["text"], "Welcome!");
    assert_eq!(session["greeting"]["faq"][0]["text"], "Can I get a refund?");
}

#[tokio::test]
async fn dy_greet_1_the_customers_language_picks_the_storefront_greeting() {
    // rule: DY-GREET-1 (a greeting per buyer language; the plain greeting is the default)
    let (h, owner, shop, _) = Harness::with_shop("shopify").await;
    let bot = format!("/api/v1/shops/{shop}/bot");
    let settings = json!({"greeting": "Welcome!", "greetings": {"es": "¡Bienvenido!"}});
    let (status, view) = call(&h, Method::PUT, &bot, &owner, settings).await;
    assert_eq!(status, 200, "{view}");
    let (_, view) = call(&h, Method::GET, &bot, &owner, Value::Null).await;
    assert_eq!(view["settings"]["greetings"]["es"], "¡Bienvenido!", "{view}");
    for (language, expected) in [(json!("es-MX"), "¡Bienvenido!"), (Value::Null, "Welcome!")] {
        let start = Call::new(Method::POST, format!("/storefront/{shop}/sessions"))
            .body(json!({"language": language}).to_string())
            .peer(std::net::SocketAddr::from(([198, 51, 100, 9], 40000)));
        let (status, session) = h.send(start).await;
        assert_eq!(status, 201, "{session}");
        assert_eq!(session["greeting"]["text"], expected, "{language}");
    }
    let bad = json!({"greeting": "Hi", "greetings": {"español": "Hola"}}).to_string();
    let (status, body) = h.send(Call::new(Method::PUT, bot).token(&owner).body(bad)).await;
    assert_eq!((status, body["error"]["code"].as_str()), (422, Some("invalid_field")), "{body}");
    assert!(body["error"]["field"].as_str().unwrap_or_default().starts_with("greetings"), "{body}");
}

#[tokio::test]
async fn the_main_account_edits_the_bots_texts_per_language_and_buyers_get_them() {
    // rule: DY-BOT-3 (the shop's own "please rephrase", per language)
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let bot = format!("/api/v1/shops/{shop}/bot");
    let (_, view) = call(&h, Method::GET, &bot, &owner, Value::Null).await;
    assert_eq!(view["settings"]["texts"]["rephrase"], json!({}), "{view}");
    let built_in = &view["built_in_texts"];
    assert!(built_in["rating_thanks"]["zh"].as_str().unwrap().contains("{agent_nickname}"));
    assert!(built_in["hand_off"]["es"].is_string() && built_in["rephrase"]["pl"].is_string());
    let settings = json!({"enabled": true, "texts": {
        "rephrase": {"en": "Say it another way, please.", "zh": "请换个说法。"},
        "rating_thanks": {"en": "Thanks, {agent_nickname} here."}}});
    let (status, view) = call(&h, Method::PUT, &bot, &owner, settings.clone()).await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["settings"]["texts"]["rephrase"]["zh"], "请换个说法。");
    // A buyer writing Chinese gets the shop's Chinese version.
    let inbound = json!({"buyer": {"external_id": "b1"}, "platform_message_id": "m1",
        "content": {"type": "text", "text": "蓝色杯子有货吗"}})
    .to_string();
    let (_, stored) = h.send(h.signed(&shop, &inbound, &secret)).await;
    let conv = stored["conversation_id"].as_str().unwrap();
    let messages = format!("/api/v1/conversations/{conv}/messages");
    let (_, page) = call(&h, Method::GET, &messages, &owner, Value::Null).await;
    let bot_message =
        page["items"].as_array().unwrap().iter().find(|m| m["sender_kind"] == "bot").cloned();
    assert_eq!(bot_message.expect("a bot message")["content"]["text"], "请换个说法。");
    // A sub-account may not edit them; a thank-you naming nobody is refused.
    let (_, agent) = call(
        &h,
        Method::POST,
        "/api/v1/agents",
        &owner,
        json!({"nickname": "ann", "shops": [{"shop_id": shop, "can_chat": true}]}),
    )
    .await;
    let ann = agent["token"].as_str().unwrap();
    let by_ann = Call::new(Method::PUT, bot.clone()).token(ann).body(settings.to_string());
    h.check("agent edits texts", by_ann, 403, "forbidden").await;
    let nameless = json!({"texts": {"rating_thanks": {"en": "Thanks!"}}}).to_string();
    let by_owner = Call::new(Method::PUT, bot.clone()).token(&owner).body(nameless);
    let err = h.check("nameless thank-you", by_owner, 422, "invalid_field").await;
    assert_eq!(err["error"]["field"], "texts.rating_thanks.en", "{err}");
    let (_, view) = call(&h, Method::GET, &bot, &owner, Value::Null).await;
    assert_eq!(view["settings"]["texts"]["rating_thanks"]["en"], "Thanks, {agent_nickname} here.");
}
