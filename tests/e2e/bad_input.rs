//! Bad input gets a 4xx with a JSON error body carrying a code: malformed JSON, wrong
//! types, unknown ids, missing auth, bad signatures, oversize bodies, unknown routes.

use crate::support::*;
use reqwest::Method;
use serde_json::{Value, json};

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    token: Option<String>,
    body: Option<String>,
    expect: u16,
    code: &'static str,
}

#[tokio::test]
async fn every_endpoint_answers_bad_input_with_a_4xx_json_error() {
    let d = start().await;
    let token = d.owner("Strict").await;
    let (shop, secret) = d.shop(&token, "strict").await;
    let (_, out) = d.inbound(&shop, &secret, &message("b", "1", "hi")).await;
    let conv = out["conversation_id"].as_str().unwrap().to_owned();
    let unknown = "01a20000-0000-7000-8000-000000000000";
    let t = Some(token.clone());
    let case =
        |name, method, path: String, token: Option<String>, body: Option<&str>, expect, code| {
            Case {
                name,
                method,
                path,
                token,
                body: body.map(str::to_owned),
                expect,
                code,
            }
        };
    let cases = vec![
        case(
            "no token",
            Method::GET,
            "/api/v1/conversations".into(),
            None,
            None,
            401,
            "unauthorized",
        ),
        case(
            "wrong token",
            Method::GET,
            "/api/v1/conversations".into(),
            Some("smx_nope".into()),
            None,
            401,
            "unauthorized",
        ),
        case(
            "malformed json",
            Method::POST,
            "/api/v1/shops".into(),
            t.clone(),
            Some("{\"platform\":"),
            400,
            "malformed_json",
        ),
        case(
            "wrong type",
            Method::POST,
            "/api/v1/shops".into(),
            t.clone(),
            Some("{\"platform\":1,\"external_id\":\"x\",\"name\":\"x\"}"),
            400,
            "invalid_body",
        ),
        case(
            "unknown field",
            Method::POST,
            "/api/v1/agents".into(),
            t.clone(),
            Some("{\"nickname\":\"a\",\"colour\":1}"),
            400,
            "invalid_body",
        ),
        case(
            "bad platform id",
            Method::POST,
            "/api/v1/shops".into(),
            t.clone(),
            Some("{\"platform\":\"Nope!\",\"external_id\":\"x\",\"name\":\"x\"}"),
            400,
            "invalid_body",
        ),
        case(
            "unloaded platform",
            Method::POST,
            "/api/v1/shops".into(),
            t.clone(),
            Some("{\"platform\":\"ozon\",\"external_id\":\"x\",\"name\":\"x\"}"),
            422,
            "invalid_field",
        ),
        case(
            "capacity out of range",
            Method::POST,
            "/api/v1/agents".into(),
            t.clone(),
            Some("{\"nickname\":\"a\",\"capacity\":0}"),
            422,
            "invalid_field",
        ),
        case(
            "bad id in path",
            Method::GET,
            "/api/v1/conversations/not-a-uuid".into(),
            t.clone(),
            None,
            400,
            "invalid_path",
        ),
        case(
            "unknown conversation",
            Method::GET,
            format!("/api/v1/conversations/{unknown}"),
            t.clone(),
            None,
            404,
            "not_found",
        ),
        case(
            "unknown buyer",
            Method::GET,
            format!("/api/v1/buyers/{unknown}/notes"),
            t.clone(),
            None,
            404,
            "not_found",
        ),
        case(
            "unknown agent",
            Method::GET,
            format!("/api/v1/agents/{unknown}"),
            t.clone(),
            None,
            404,
            "not_found",
        ),
        case(
            "assign unknown agent",
            Method::POST,
            format!("/api/v1/conversations/{conv}/assign"),
            t.clone(),
            Some(&format!("{{\"agent_id\":\"{unknown}\"}}")),
            422,
            "invalid_field",
        ),
        case(
            "bad flag colour",
            Method::PUT,
            format!("/api/v1/conversations/{conv}/flag"),
            t.clone(),
            Some("{\"colour\":\"plaid\"}"),
            400,
            "invalid_body",
        ),
        case(
            "empty reply",
            Method::POST,
            format!("/api/v1/conversations/{conv}/messages"),
            t.clone(),
            Some("{\"content\":{\"type\":\"text\",\"text\":\"  \"}}"),
            422,
            "invalid_field",
        ),
        case(
            "unknown content type",
            Method::POST,
            format!("/api/v1/conversations/{conv}/messages"),
            t.clone(),
            Some("{\"content\":{\"type\":\"hologram\"}}"),
            400,
            "invalid_body",
        ),
        case(
            "bad query value",
            Method::GET,
            "/api/v1/conversations?unread=perhaps".into(),
            t.clone(),
            None,
            400,
            "invalid_query",
        ),
        case(
            "unknown query key",
            Method::GET,
            "/api/v1/conversations?colour=red".into(),
            t.clone(),
            None,
            400,
            "invalid_query",
        ),
        case(
            "limit out of range",
            Method::GET,
            "/api/v1/conversations?limit=100000".into(),
            t.clone(),
            None,
            422,
            "invalid_field",
        ),
        case(
            "forged cursor",
            Method::GET,
            "/api/v1/conversations?cursor=abc".into(),
            t.clone(),
            None,
            422,
            "invalid_field",
        ),
        case(
            "unsigned inbound",
            Method::POST,
            format!("/api/v1/shops/{shop}/inbound"),
            None,
            Some("{}"),
            401,
            "bad_signature",
        ),
        case(
            "inbound to unknown shop",
            Method::POST,
            format!("/api/v1/shops/{unknown}/inbound"),
            None,
            Some("{}"),
            404,
            "not_found",
        ),
        case(
            "unknown route",
            Method::GET,
            "/api/v1/nothing-here".into(),
            t.clone(),
            None,
            404,
            "not_found",
        ),
        case(
            "wrong method",
            Method::DELETE,
            "/api/v1/shops".into(),
            t.clone(),
            None,
            405,
            "method_not_allowed",
        ),
        case(
            "oversize body",
            Method::POST,
            "/api/v1/shops".into(),
            t.clone(),
            Some(&format!("{{\"name\":\"{}\"}}", "x".repeat(100_000))),
            413,
            "body_too_large",
        ),
        case(
            "settings not an object",
            Method::PUT,
            format!("/api/v1/shops/{shop}/settings"),
            t.clone(),
            Some("[1, 2]"),
            422,
            "invalid_field",
        ),
        case(
            "override of an unknown rule",
            Method::PUT,
            format!("/api/v1/shops/{shop}/settings"),
            t.clone(),
            Some("{\"rule_overrides\": {\"XX-NOPE-1\": \"1d\"}}"),
            422,
            "invalid_field",
        ),
        case(
            "auto-reply on a platform without one",
            Method::PUT,
            format!("/api/v1/shops/{shop}/settings"),
            t.clone(),
            Some("{\"auto_reply\": {\"enabled\": true, \"text\": \"hi\"}}"),
            422,
            "invalid_field",
        ),
        case(
            "outreach with malformed json",
            Method::POST,
            format!("/api/v1/shops/{shop}/buyers/{unknown}/conversations"),
            t.clone(),
            Some("{\"content\":"),
            400,
            "malformed_json",
        ),
        case(
            "outreach to an unknown buyer",
            Method::POST,
            format!("/api/v1/shops/{shop}/buyers/{unknown}/conversations"),
            t.clone(),
            Some("{\"content\": {\"type\": \"text\", \"text\": \"hi\"}}"),
            404,
            "not_found",
        ),
        case(
            "capacity out of range",
            Method::PUT,
            "/api/v1/me/presence".into(),
            t.clone(),
            Some("{\"capacity\": 51}"),
            422,
            "invalid_field",
        ),
        case(
            "presence with an unknown status",
            Method::PUT,
            "/api/v1/me/presence".into(),
            t.clone(),
            Some("{\"status\": \"asleep\"}"),
            400,
            "invalid_body",
        ),
        case(
            "routing policy that does not exist",
            Method::PUT,
            format!("/api/v1/shops/{shop}/settings"),
            t.clone(),
            Some("{\"routing\": \"round_robin\"}"),
            422,
            "invalid_field",
        ),
        case(
            "customer panel of an unknown conversation",
            Method::GET,
            format!("/api/v1/conversations/{unknown}/customer"),
            t.clone(),
            None,
            404,
            "not_found",
        ),
        case(
            "workbench of an unknown conversation",
            Method::GET,
            format!("/api/v1/conversations/{unknown}/workbench"),
            t.clone(),
            None,
            404,
            "not_found",
        ),
        case(
            "products of an unknown shop",
            Method::GET,
            format!("/api/v1/shops/{unknown}/products"),
            t.clone(),
            None,
            404,
            "not_found",
        ),
        case(
            "product search with a bad limit",
            Method::GET,
            format!("/api/v1/shops/{shop}/products?limit=500"),
            t.clone(),
            None,
            400,
            "invalid_query",
        ),
        case(
            "product search with an unknown key",
            Method::GET,
            format!("/api/v1/shops/{shop}/products?color=red"),
            t.clone(),
            None,
            400,
            "invalid_query",
        ),
        case(
            "queue of an unknown shop",
            Method::GET,
            format!("/api/v1/shops/{unknown}/queue"),
            t.clone(),
            None,
            404,
            "not_found",
        ),
        case(
            "rules of an unknown shop",
            Method::GET,
            format!("/api/v1/shops/{unknown}/rules"),
            t.clone(),
            None,
            404,
            "not_found",
        ),
    ];
    for c in cases {
        let mut req = client().request(c.method.clone(), d.url(&c.path));
        if let Some(t) = &c.token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = &c.body {
            req = req
                .header("content-type", "application/json")
                .body(b.clone());
        }
        let (status, body) = decode(
            req.send()
                .await
                .unwrap_or_else(|e| panic!("{}: connection dropped: {e}", c.name)),
        )
        .await;
        assert_eq!(status, c.expect, "{}: {body}", c.name);
        assert_eq!(body["error"]["code"], c.code, "{}: {body}", c.name);
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            c.name
        );
    }
    // Signed but malformed inbound bodies are refused after the signature check.
    let raw = b"{\"buyer\":".to_vec();
    let resp = client()
        .post(d.url(&format!("/api/v1/shops/{shop}/inbound")))
        .header(
            "x-shopmux-signature",
            shopmux_adapter_api::sign::sign(&secret, &raw),
        )
        .body(raw)
        .send()
        .await
        .unwrap();
    let (status, body) = decode(resp).await;
    assert_eq!(
        (status, body["error"]["code"].clone()),
        (400, json!("malformed_json"))
    );
    let (status, body) = d.inbound(&shop, &secret, &json!({"buyer": {"external_id": ""}, "platform_message_id": "x", "content": {"type": "text", "text": "a"}})).await;
    assert_eq!(
        (status, body["error"]["field"].clone()),
        (422, Value::from("buyer.external_id"))
    );
    // Nothing half-written: the refused requests stored no message.
    let (_, page) = d
        .call(
            Method::GET,
            &format!("/api/v1/conversations/{conv}/messages"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    d.stop().await;
}
