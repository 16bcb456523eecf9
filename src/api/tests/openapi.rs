//! The OpenAPI document is exact about what every route shares: the statuses that come
//! from the extractors and layers (415 without a JSON content type, 413, 400 for a plain
//! request to a WebSocket route, 401 and 429 for a caller), and the server answers them
//! as the document says, with the JSON error body.

use super::{Call, Harness};
use axum::http::Method;
use serde_json::{Value, json};

fn statuses(op: &Value) -> Vec<&str> {
    op["responses"].as_object().map(|r| r.keys().map(String::as_str).collect()).unwrap_or_default()
}

#[tokio::test]
async fn the_openapi_document_lists_the_statuses_every_route_shares() {
    let h = Harness::new().await;
    let (status, doc) = h.send(Call::new(Method::GET, "/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    let mut bodies = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let have = statuses(op);
            let name = format!("{method} {path}");
            if op.get("requestBody").is_some() {
                bodies += 1;
                for needed in ["400", "413", "415", "422"] {
                    assert!(have.contains(&needed), "{name} lacks {needed}: {have:?}");
                }
            }
            if have.contains(&"101") {
                assert!(have.contains(&"400"), "{name}: a plain request is a 400");
            }
            let public = op["security"]
                .as_array()
                .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(|o| o.is_empty())));
            if !public {
                for needed in ["401", "429"] {
                    assert!(have.contains(&needed), "{name} lacks {needed}: {have:?}");
                }
            }
        }
    }
    assert!(bodies > 10, "the walk saw the body-taking operations");
    for name in ["ListStatus", "SortOrder", "FlagFilter"] {
        assert!(doc["components"]["schemas"][name].is_object(), "{name} is registered");
    }
}

#[tokio::test]
async fn a_body_without_a_json_content_type_is_a_json_415() {
    let (h, owner, _, _) = Harness::with_shop("api").await;
    let call = Call::new(Method::PUT, "/api/v1/me/presence")
        .token(&owner)
        .body(r#"{"capacity": 5}"#)
        .content_type(None);
    h.check("no content type", call, 415, "unsupported_media_type").await;
}

#[tokio::test]
async fn a_plain_request_to_a_websocket_route_is_a_json_400() {
    let (h, owner, _, _) = Harness::with_shop("api").await;
    let call = Call::new(Method::GET, "/api/v1/stream").token(&owner);
    h.check("a plain GET of the stream", call, 400, "not_websocket").await;
}

#[tokio::test]
async fn an_integral_number_is_an_integer_as_the_schema_says() {
    let (h, owner, _, _) = Harness::with_shop("api").await;
    let call =
        Call::new(Method::PUT, "/api/v1/me/presence").token(&owner).body(r#"{"capacity": 7.0}"#);
    let (status, presence) = h.send(call).await;
    assert_eq!((status, &presence["capacity"]), (200, &Value::from(7)), "{presence}");
}

/// Every `$ref` in a value.
fn refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(r) = map.get("$ref").and_then(Value::as_str) {
                into.push(r.to_owned());
            }
            map.values().for_each(|v| refs(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, into)),
        _ => {}
    }
}

/// What `scripts/fuzz-openapi` found the document not saying: the checks handlers make
/// beyond the types (a schema-valid request refused) and a response's real shape (a
/// response its schema refused).
#[tokio::test]
async fn the_openapi_document_states_what_handlers_check_and_responses_hold() {
    let h = Harness::new().await;
    let (_, doc) = h.send(Call::new(Method::GET, "/api/v1/openapi.json")).await;
    let schemas = &doc["components"]["schemas"];
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for r in all {
        assert!(doc.pointer(r.trim_start_matches('#')).is_some(), "{r} is registered");
    }
    // A FAQ question answers its id, shop, counts and time beside what was written: no
    // part of its schema refuses other fields.
    for part in schemas["FaqQuestion"]["allOf"].as_array().unwrap() {
        assert!(part.get("$ref").is_none(), "inlined: {part}");
        assert_ne!(part.get("additionalProperties"), Some(&json!(false)), "{part}");
    }
    // An agent's rating card is an invitation: no score, no comment (DY-RATE-1); anyone's
    // comment needs a score.
    let card = |name: &str| {
        schemas[name]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v.pointer("/properties/type/enum") == Some(&json!(["rating_card"])))
            .cloned()
            .unwrap()
    };
    for body in ["NewReply", "NewOutreach"] {
        let content = &schemas[body]["properties"]["content"]["$ref"];
        assert_eq!(content, "#/components/schemas/ReplyContent", "{body}");
    }
    assert_eq!(card("ReplyContent")["properties"]["score"], json!({"type": "null"}));
    assert_eq!(card("ReplyContent")["properties"]["comment"], json!({"type": "null"}));
    assert!(card("MessageContent")["anyOf"].is_array(), "a comment needs a score");
    // The figures' period is one of three words; a rating analysis needs its days.
    let param = |path: &str, name: &str| {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .cloned()
            .unwrap()
    };
    for path in ["/api/v1/service-data", "/api/v1/service-data/export", "/api/v1/me/service-data"] {
        let period = param(path, "period");
        assert_eq!(period["schema"]["$ref"], "#/components/schemas/PeriodKind", "{path}");
        assert_eq!(param(path, "from")["required"], false, "{path}");
    }
    for name in ["from", "to"] {
        assert_eq!(param("/api/v1/service-data/ratings", name)["required"], true, "{name}");
    }
    let enum_of = |name: &str| schemas[name]["enum"].clone();
    assert_eq!(enum_of("PeriodKind"), json!(["day", "week", "month"]));
    // Texts per language are keyed by language tags and hold something.
    let hand_off = &schemas["BotTexts"]["properties"]["hand_off"];
    assert!(hand_off["propertyNames"]["pattern"].is_string(), "{hand_off}");
    assert_eq!(hand_off["additionalProperties"]["minLength"], 1, "{hand_off}");
    let thanks = &schemas["BotTexts"]["properties"]["rating_thanks"]["additionalProperties"];
    assert_eq!(thanks["pattern"], "\\{agent_nickname\\}");
    let greetings = &schemas["BotSettings"]["properties"]["greetings"];
    assert!(greetings["propertyNames"]["pattern"].is_string(), "{greetings}");
    let phrasing = &schemas["FaqQuestionInput"]["properties"]["phrasings"]["items"];
    let non_blank = json!(crate::api::doc_exact::NON_BLANK);
    assert_eq!((&phrasing["minLength"], &phrasing["pattern"]), (&json!(1), &non_blank));
    // Not blank as Rust's `trim` sees it, everywhere (`\S` would take U+0085 for text).
    assert!(!doc.to_string().contains(r#""pattern":"\\S""#), "no ECMA \\S left");
    let text = &schemas["DraftRequest"]["properties"]["text"];
    assert_eq!(text["pattern"], non_blank, "{text}");
    let answers = &schemas["FaqQuestionInput"]["properties"]["answers"];
    assert_eq!(answers["propertyNames"]["pattern"], "^[a-z-]{2,8}$");
    assert_eq!(schemas["QuickReplyOrder"]["properties"]["ids"]["uniqueItems"], true);
    // Strings with a shape.
    let pattern = |name: &str, field: &str| schemas[name]["properties"][field]["pattern"].clone();
    assert!(pattern("NewEndpoint", "url").as_str().unwrap().starts_with("^https://"));
    assert!(pattern("NewEndpoint", "notify_email").as_str().unwrap().starts_with("^$|"));
    assert!(pattern("LanguageBody", "language").is_string());
    for name in ["DraftRequest", "TranslationChoice", "ReplyTranslation"] {
        for field in ["source", "target"] {
            assert!(pattern(name, field).is_string(), "{name}.{field}");
        }
    }
    assert_eq!(schemas["DraftRequest"]["properties"]["text"]["minLength"], 1);
}
