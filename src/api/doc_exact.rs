//! Makes the OpenAPI document exact where handler annotations cannot say it all, so a
//! schema-driven fuzzer (`scripts/fuzz-openapi`) finds no valid request refused and no
//! status undocumented:
//! - the statuses every route shares because they come from the extractors and layers
//!   rather than the handler: with a body 400 (malformed), 413 (over
//!   `server.max_body_bytes`), 415 (no JSON content type) and 422 (a field's value); with
//!   path or query parameters 400 (unparsable) and, with a path, 404; needing a caller
//!   401 and 429 (rate limits); a WebSocket route 400 for a plain request;
//! - the shapes serde checks that utoipa cannot derive: "exactly one of" bodies, maps
//!   with bounded keys and values, and schemas named but never registered.

use serde_json::{Map, Value, json};

/// The document, completed (see the module's doc), for a daemon whose loaded adapters
/// are `platforms`.
pub fn exact(mut doc: Value, platforms: &[String]) -> Value {
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut().filter_map(Value::as_object_mut) {
                complete(op);
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        patch_parameters(paths);
    }
    if let Some(schemas) = doc.pointer_mut("/components/schemas").and_then(Value::as_object_mut) {
        patch_schemas(schemas);
        patch_request_schemas(schemas, platforms);
        patch_checked_fields(schemas);
        inline_closed_flattened(schemas);
    }
    exact_non_blank(&mut doc);
    doc
}

/// A string holding something besides whitespace, as Rust's `trim` sees it: JSON
/// Schema's `\S` is ECMA-262's, which takes U+0085 (NEL) for a character and U+FEFF for
/// a space, where `char::is_whitespace` says the opposite.
pub const NON_BLANK: &str = "[^\\t\\n\\u000B\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000]";

/// Every `pattern: "\S"` (not blank) of the document, made exact ([`NON_BLANK`]).
fn exact_non_blank(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("pattern").and_then(Value::as_str) == Some("\\S") {
                map.insert("pattern".into(), json!(NON_BLANK));
            }
            map.values_mut().for_each(exact_non_blank);
        }
        Value::Array(items) => items.iter_mut().for_each(exact_non_blank),
        _ => {}
    }
}

/// A language tag as the handlers check it (`es`, `zh-CN`, `sr-Latn-RS`).
const LANGUAGE_TAG: &str = "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$";

/// Query parameters the service checks more tightly than their types say: the figures'
/// `period` is one of three words, and a rating analysis needs its first and last day.
fn patch_parameters(paths: &mut Map<String, Value>) {
    let figures = [
        "/api/v1/service-data",
        "/api/v1/service-data/export",
        "/api/v1/service-data/ratings",
        "/api/v1/me/service-data",
    ];
    for path in figures {
        let Some(params) = paths
            .get_mut(path)
            .and_then(|p| p.pointer_mut("/get/parameters"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for param in params.iter_mut() {
            match param["name"].as_str() {
                Some("period") => {
                    param["schema"] = json!({"$ref": "#/components/schemas/PeriodKind"});
                }
                Some("from" | "to") if path == "/api/v1/service-data/ratings" => {
                    param["required"] = json!(true);
                }
                _ => {}
            }
        }
    }
}

/// Sets `fields` on the schema at `pointer` inside the component `name`, keeping what
/// it says already (its description).
fn tighten(schemas: &mut Map<String, Value>, name: &str, pointer: &str, fields: Value) {
    let target = schemas.get_mut(name).and_then(|s| s.pointer_mut(pointer));
    if let (Some(Value::Object(target)), Value::Object(fields)) = (target, fields) {
        target.extend(fields);
    }
}

/// The fields whose values the handlers check beyond their types: texts per language
/// keyed by language tags, FAQ phrasings and answers, a reorder's ids (each once).
fn patch_checked_fields(schemas: &mut Map<String, Value>) {
    use shopmux_core::domain::bot_texts::{MAX_TEXT_CHARS, MAX_VERSIONS};
    use shopmux_core::domain::quick_replies::MAX_LANGUAGE_CHARS;
    // A text's versions per language: one per tag, each trimmed and not blank.
    let versions = |text: Value| {
        json!({
            "type": "object",
            "maxProperties": MAX_VERSIONS,
            "propertyNames": {"type": "string", "pattern": LANGUAGE_TAG, "maxLength": MAX_LANGUAGE_CHARS},
            "additionalProperties": text
        })
    };
    let text =
        json!({"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS, "pattern": "\\S"});
    tighten(schemas, "BotSettings", "/properties/greetings", versions(text.clone()));
    tighten(schemas, "BotTexts", "/properties/rephrase", versions(text.clone()));
    tighten(schemas, "BotTexts", "/properties/hand_off", versions(text));
    // The thank-you names the agent (DY-RATE-1).
    let thanks = json!({"type": "string", "minLength": 1, "maxLength": MAX_TEXT_CHARS,
        "pattern": "\\{agent_nickname\\}"});
    tighten(schemas, "BotTexts", "/properties/rating_thanks", versions(thanks));
    use shopmux_core::domain::faq_bot::MAX_PHRASING_CHARS;
    let phrasing = json!({"type": "string", "minLength": 1, "maxLength": MAX_PHRASING_CHARS, "pattern": "\\S"});
    tighten(schemas, "FaqQuestionInput", "/properties/phrasings", json!({"items": phrasing}));
    tighten(
        schemas,
        "FaqQuestionInput",
        "/properties/answers",
        json!({
            "propertyNames": {"type": "string", "pattern": "^[a-z-]{2,8}$"},
            "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 4000, "pattern": "\\S"}
        }),
    );
    tighten(schemas, "QuickReplyOrder", "/properties/ids", json!({"uniqueItems": true}));
}

/// A response type that flattens a request type in (`FaqQuestion` holds a
/// `FaqQuestionInput`) is written by utoipa as `allOf` with a `$ref`; the request type
/// refuses unknown fields, which would refuse the response's own. Such a part is
/// inlined without that refusal.
fn inline_closed_flattened(schemas: &mut Map<String, Value>) {
    let closed: Map<String, Value> = schemas
        .iter()
        .filter(|(_, s)| s.get("additionalProperties") == Some(&json!(false)))
        .map(|(name, s)| {
            let mut open = s.clone();
            if let Some(open) = open.as_object_mut() {
                open.remove("additionalProperties");
            }
            (format!("#/components/schemas/{name}"), open)
        })
        .collect();
    for schema in schemas.values_mut() {
        let parts = schema.get_mut("allOf").and_then(Value::as_array_mut);
        for part in parts.into_iter().flatten() {
            let target = part.get("$ref").and_then(Value::as_str).and_then(|r| closed.get(r));
            if let Some(open) = target {
                *part = open.clone();
            }
        }
    }
}

fn error(description: &str) -> Value {
    json!({"description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}})
}

/// Adds the shared statuses an operation can answer and does not list yet.
fn complete(op: &mut Map<String, Value>) {
    let params = op.get("parameters").and_then(Value::as_array).cloned().unwrap_or_default();
    let in_where = |place: &str| params.iter().any(|p| p["in"] == place);
    let (in_path, in_query) = (in_where("path"), in_where("query"));
    let has_body = op.contains_key("requestBody");
    // `security: [{}]` is a route that needs no caller.
    let public = op
        .get("security")
        .and_then(Value::as_array)
        .is_some_and(|s| s.iter().all(|r| r.as_object().is_some_and(Map::is_empty)));
    let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) else {
        return;
    };
    let websocket = responses.contains_key("101");
    let mut add = |status: &str, description: &str| {
        responses.entry(status).or_insert_with(|| error(description));
    };
    if in_path || in_query || has_body {
        add("400", "The path, query or body is malformed");
    }
    // An id in the path or the query may name nothing the caller can see.
    let names_an_id = params
        .iter()
        .any(|p| p["in"] == "query" && p["name"].as_str().is_some_and(|n| n.ends_with("_id")));
    if in_path || names_an_id {
        add("404", "No such thing, or not visible to the caller");
    }
    if has_body {
        add("413", "The body is over the size limit");
        add("415", "The body is not sent as `Content-Type: application/json`");
        add("422", "A field's value is not valid");
    }
    if websocket {
        add("400", "A plain request (not a WebSocket upgrade)");
    }
    if !public {
        add("401", "No valid bearer token or session cookie");
        add("429", "Too many requests; `Retry-After` says when to try again");
    }
}

/// What request bodies may hold that depends on the daemon or on serde's checks of
/// enums: a new shop's platform is a loaded adapter's; a new account is never a main
/// account; a message content of one type has only that type's fields.
fn patch_request_schemas(schemas: &mut Map<String, Value>, platforms: &[String]) {
    if let Some(platform) =
        schemas.get_mut("NewShop").and_then(|s| s.pointer_mut("/properties/platform"))
    {
        platform["enum"] = json!(platforms);
    }
    // A password needs a login (a string, not null) beside it.
    if let Some(agent) = schemas.get_mut("NewAgent") {
        agent["anyOf"] = json!([
            {"properties": {"password": {"type": "null"}}},
            {"required": ["login"], "properties": {"login": {"type": "string"}}}
        ]);
    }
    if let Some(role) = schemas.get_mut("NewAgent").and_then(|s| s.pointer_mut("/properties/role"))
    {
        *role = json!({"type": ["string", "null"], "enum": ["agent", "operator", null],
            "description": "`agent` (sub-account, the default) or `operator`."});
    }
    // Content fields that must hold something are trimmed before they are checked.
    for name in content_schemas(schemas) {
        if let Some(schema) = schemas.get_mut(&name) {
            require_non_blank(schema);
        }
    }
    let variants = schemas.get_mut("MessageContent").and_then(|s| s.get_mut("oneOf"));
    for variant in variants.and_then(Value::as_array_mut).into_iter().flatten() {
        if variant.get("type") == Some(&json!("object")) {
            variant["additionalProperties"] = json!(false);
        }
        // Only a rating (a score) carries a comment.
        if is_rating_card(variant) {
            variant["anyOf"] = json!([
                {"properties": {"comment": {"type": "null"}}},
                {"required": ["score"], "properties": {"score": {"type": "integer"}}}
            ]);
        }
    }
    // What an agent sends: a rating card is an invitation, without score or comment
    // (DY-RATE-1).
    if let Some(mut reply) = schemas.get("MessageContent").cloned() {
        reply["description"] = json!(
            "What an agent sends: any content, a rating card being an invitation (no score, no comment)."
        );
        let variants = reply.get_mut("oneOf").and_then(Value::as_array_mut);
        for variant in variants.into_iter().flatten().filter(|v| is_rating_card(v)) {
            if let Some(card) = variant.as_object_mut() {
                card.remove("anyOf");
            }
            variant["properties"]["score"] = json!({"type": "null"});
            variant["properties"]["comment"] = json!({"type": "null"});
        }
        schemas.insert("ReplyContent".into(), reply);
        for name in ["NewReply", "NewOutreach"] {
            if let Some(content) =
                schemas.get_mut(name).and_then(|s| s.pointer_mut("/properties/content/$ref"))
            {
                *content = json!("#/components/schemas/ReplyContent");
            }
        }
    }
}

fn is_rating_card(variant: &Value) -> bool {
    variant.pointer("/properties/type/enum") == Some(&json!(["rating_card"]))
}

/// `MessageContent` and the schemas it refers to, transitively.
fn content_schemas(schemas: &Map<String, Value>) -> Vec<String> {
    let mut found = vec!["MessageContent".to_owned()];
    let mut next = 0;
    while next < found.len() {
        let mut refs = Vec::new();
        collect_refs(&schemas[found[next].as_str()], &mut refs);
        for name in refs {
            if schemas.contains_key(&name) && !found.contains(&name) {
                found.push(name);
            }
        }
        next += 1;
    }
    found
}

fn collect_refs(value: &Value, into: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(name) = map.get("$ref").and_then(Value::as_str) {
                into.extend(name.strip_prefix("#/components/schemas/").map(str::to_owned));
            }
            map.values().for_each(|v| collect_refs(v, into));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, into)),
        _ => {}
    }
}

/// Every string that must be at least one character long must also not be blank.
fn require_non_blank(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let non_empty = map.get("minLength").and_then(Value::as_u64).is_some_and(|n| n >= 1);
            if non_empty && !map.contains_key("pattern") {
                map.insert("pattern".into(), json!("\\S"));
            }
            map.values_mut().for_each(require_non_blank);
        }
        Value::Array(items) => items.iter_mut().for_each(require_non_blank),
        _ => {}
    }
}

/// The schemas serde checks more tightly than utoipa derives them.
fn patch_schemas(schemas: &mut Map<String, Value>) {
    // Assign or transfer: exactly one of an agent id and a nickname.
    schemas.insert(
        "AgentBody".into(),
        json!({
            "description": "The agent to assign or transfer to: exactly one of its id and its nickname.",
            "oneOf": [
                {"type": "object", "required": ["agent_id"], "additionalProperties": false,
                 "properties": {"agent_id": {"$ref": "#/components/schemas/AgentId"},
                                "nickname": {"type": "null"}}},
                {"type": "object", "required": ["nickname"], "additionalProperties": false,
                 "properties": {"nickname": {"type": "string", "minLength": 1, "maxLength": 64},
                                "agent_id": {"type": "null"}}}
            ]
        }),
    );
    // Connection credentials: names of 1 to 64 characters, values of at most 4096.
    if let Some(credentials) =
        schemas.get_mut("ConnectionInput").and_then(|s| s.pointer_mut("/properties/credentials"))
    {
        *credentials = json!({
            "type": "object",
            "description": "Named credentials, such as `app_key`, `app_secret`, `access_token`, `refresh_token`, `shop_cipher`.",
            "propertyNames": {"minLength": 1, "maxLength": 64, "pattern": "\\S"},
            "additionalProperties": {"type": "string", "maxLength": 4096}
        });
    }
    // The list's query types, which utoipa names without registering them.
    use shopmux_core::domain::listing::{ListStatus, SortOrder};
    use shopmux_core::domain::model::FlagColour;
    use utoipa::PartialSchema;
    let schema = |s| serde_json::to_value(s).unwrap_or(Value::Null);
    schemas.entry("ListStatus").or_insert_with(|| schema(ListStatus::schema()));
    schemas.entry("SortOrder").or_insert_with(|| schema(SortOrder::schema()));
    let mut flag = schema(FlagColour::schema());
    if let Some(values) = flag.get_mut("enum").and_then(Value::as_array_mut) {
        values.insert(0, "any".into());
    }
    schemas.entry("FlagFilter").or_insert(flag);
}
