//! Router-level tests of the API's error paths, with no socket: requests go through the
//! router with `tower::ServiceExt::oneshot` over an engine on a fresh SQLite file, and
//! every failure must come back as its status with a JSON error body and its code.

use super::{AppState, router};
use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, header};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use shopmux_core::{Clock, Inbox, InboxOptions, ManualClock, Store, StoreOptions};
use std::sync::Arc;
use tower::ServiceExt;

/// The largest body the test router takes.
const MAX_BODY: usize = 16 * 1024;

/// Requests per account per minute the test router allows.
const API_PER_MINUTE: u32 = 1000;

mod access;
mod compliance;
mod faq_bot;
mod openapi;
mod quick_replies;
mod ratings;
mod service_data;
mod service_levels;
mod sign_in;
mod storefront;
mod translation;
mod webhooks;

struct Harness {
    router: Router,
    inbox: Arc<Inbox>,
    clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

/// A request: method, path, bearer token, raw body (sent as JSON unless told otherwise).
struct Call<'a> {
    method: Method,
    path: String,
    token: Option<&'a str>,
    body: Option<String>,
    content_type: Option<&'a str>,
    headers: Vec<(&'a str, String)>,
    peer: Option<std::net::SocketAddr>,
}

impl<'a> Call<'a> {
    fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            token: None,
            body: None,
            content_type: Some("application/json"),
            headers: Vec::new(),
            peer: None,
        }
    }
    fn token(mut self, token: &'a str) -> Self {
        self.token = Some(token);
        self
    }
    fn body(mut self, body: impl Into<String>) -> Self {
        self.body = Some(body.into());
        self
    }
    fn content_type(mut self, content_type: Option<&'a str>) -> Self {
        self.content_type = content_type;
        self
    }
    fn header(mut self, name: &'a str, value: String) -> Self {
        self.headers.push((name, value));
        self
    }
    /// The connection's peer, as `serve` records it (`ConnectInfo`).
    fn peer(mut self, peer: std::net::SocketAddr) -> Self {
        self.peer = Some(peer);
        self
    }
}

/// What a test changes in the harness's daemon state.
#[derive(Default)]
struct Tune {
    /// `access.metrics_token`.
    metrics_token: Option<String>,
    /// `access.api_requests_per_minute` (default [`API_PER_MINUTE`]).
    api_per_minute: Option<u32>,
}
/// The outbound policy of tests: their simulators listen on loopback over plain http.
const LOCAL_SIMULATORS: crate::outbound::OutboundPolicy = crate::outbound::OutboundPolicy {
    allow_private_networks: true,
    max_response_bytes: 16 * 1024 * 1024,
};

impl Harness {
    async fn new() -> Self {
        Self::tuned(Tune::default()).await
    }

    async fn tuned(tune: Tune) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/api.db", dir.path().display());
        let store = Store::open(&StoreOptions::new(url)).await.expect("store");
        let manual = Arc::new(ManualClock::at_epoch_2026());
        let clock: Arc<dyn Clock> = manual.clone();
        let host = crate::host::DaemonHost::new(clock.clone(), store.clone(), LOCAL_SIMULATORS);
        let registry = crate::adapters::registry_of(Vec::new(), &host);
        let options = InboxOptions { registry, background_delivery: false, ..Default::default() };
        let inbox = Inbox::start(store, clock.clone(), options);
        let sockets =
            super::socket::SocketPolicy::without_shutdown(std::time::Duration::from_secs(30));
        let state = AppState {
            inbox: inbox.clone(),
            hub: super::stream_hub::StreamHub::start(&inbox, &sockets),
            sockets,
            metrics: Arc::new(crate::api::metrics::Metrics::with_token(tune.metrics_token)),
            storefront: Arc::new(crate::storefront::Storefront::new(
                None,
                crate::storefront_config::StorefrontConfig {
                    direct_sessions: true,
                    allowed_origins: vec!["https://store.example".into()],
                },
                inbox.clock().clone(),
            )),
            secure_cookies: crate::config::SecureCookies::Auto,
            sign_in_limits: Arc::new(crate::sign_in_limits::SignInLimits::new(
                Default::default(),
                clock.clone(),
            )),
            api_limits: Arc::new(crate::rate_limit::ApiLimits::new(
                tune.api_per_minute.unwrap_or(API_PER_MINUTE),
                std::time::Duration::from_secs(60),
                clock.clone(),
            )),
            plugins: Arc::default(),
            connect: Arc::default(),
        };
        Self { router: router(state, MAX_BODY), inbox, clock: manual, _dir: dir }
    }

    async fn send(&self, call: Call<'_>) -> (u16, Value) {
        let (status, _, body) = self.send_full(call).await;
        (status, body)
    }

    /// Sends `call`; the status, the headers and the JSON body of the answer.
    async fn send_full(&self, call: Call<'_>) -> (u16, axum::http::HeaderMap, Value) {
        let mut request = Request::builder().method(call.method).uri(call.path);
        if let Some(token) = call.token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        if let (Some(ct), Some(_)) = (call.content_type, &call.body) {
            request = request.header(header::CONTENT_TYPE, ct);
        }
        for (name, value) in call.headers {
            request = request.header(name, value);
        }
        let body = call.body.map_or_else(Body::empty, Body::from);
        let mut request = request.body(body).expect("request");
        if let Some(peer) = call.peer {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        }
        let response = self.router.clone().oneshot(request).await.expect("the router answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes();
        (status, headers, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    /// Sends `call` and checks the status and the JSON error code.
    async fn check(&self, name: &str, call: Call<'_>, status: u16, code: &str) -> Value {
        let (got, body) = self.send(call).await;
        assert_eq!((got, body["error"]["code"].as_str()), (status, Some(code)), "{name}: {body}");
        assert!(
            body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{name}: the error says why: {body}"
        );
        body
    }

    /// An inbound delivery to `shop` signed with `secret`.
    fn signed<'b>(&self, shop: &str, body: &str, secret: &str) -> Call<'b> {
        let signature = shopmux_adapter_api::sign::sign(secret, body.as_bytes());
        Call::new(Method::POST, format!("/api/v1/shops/{shop}/inbound"))
            .body(body.to_owned())
            .header("x-shopmux-signature", signature)
    }

    /// A harness with an owner and a shop of `platform`: the owner's token, the shop's
    /// id and its ingest secret.
    async fn with_shop(platform: &str) -> (Self, String, String, String) {
        let h = Self::new().await;
        let owner = h.owner().await;
        let (shop, secret) = h.shop(&owner, platform).await;
        (h, owner, shop, secret)
    }

    async fn owner(&self) -> String {
        self.inbox.create_owner("Owner").await.expect("owner").token
    }

    /// A shop of `platform` with its id and ingest secret.
    async fn shop(&self, token: &str, platform: &str) -> (String, String) {
        let body =
            json!({"platform": platform, "external_id": format!("{platform}-1"), "name": "Shop"});
        let (status, created) = self
            .send(Call::new(Method::POST, "/api/v1/shops").token(token).body(body.to_string()))
            .await;
        assert_eq!(status, 201, "{created}");
        let id = created["shop"]["id"].as_str().expect("id").to_owned();
        (id, created["ingest_secret"].as_str().expect("secret").to_owned())
    }
}

/// A bad request and what it must answer: its name, `METHOD path` (with `{shop}`,
/// `{conv}` and `{unknown}` filled in), whether it carries the owner's token, its body,
/// the status and the error code.
type Case = (&'static str, &'static str, bool, Option<&'static str>, u16, &'static str);

const ANON: bool = false;
const OWNER: bool = true;

#[rustfmt::skip]
const BAD_INPUT: &[Case] = &[
    ("no token", "GET /api/v1/conversations", ANON, None, 401, "unauthorized"),
    ("malformed json", "POST /api/v1/shops", OWNER, Some("{\"platform\":"), 400, "malformed_json"),
    ("wrong type", "POST /api/v1/shops", OWNER,
        Some(r#"{"platform":1,"external_id":"x","name":"x"}"#), 400, "invalid_body"),
    ("unknown field", "POST /api/v1/agents", OWNER, Some(r#"{"nickname":"a","colour":1}"#), 400, "invalid_body"),
    ("a body that is not an object", "PUT /api/v1/me/presence", OWNER, Some("[null, null]"), 400, "invalid_body"),
    ("bad platform id", "POST /api/v1/shops", OWNER,
        Some(r#"{"platform":"Nope!","external_id":"x","name":"x"}"#), 400, "invalid_body"),
    ("unloaded platform", "POST /api/v1/shops", OWNER,
        Some(r#"{"platform":"ozon","external_id":"x","name":"x"}"#), 422, "invalid_field"),
    ("capacity out of range", "POST /api/v1/agents", OWNER,
        Some(r#"{"nickname":"a","capacity":0}"#), 422, "invalid_field"),
    ("bad id in path", "GET /api/v1/conversations/not-a-uuid", OWNER, None, 400, "invalid_path"),
    ("unknown conversation", "GET /api/v1/conversations/{unknown}", OWNER, None, 404, "not_found"),
    ("unknown buyer", "GET /api/v1/buyers/{unknown}/notes", OWNER, None, 404, "not_found"),
    ("unknown agent", "GET /api/v1/agents/{unknown}", OWNER, None, 404, "not_found"),
    ("assign unknown agent", "POST /api/v1/conversations/{conv}/assign", OWNER,
        Some(r#"{"agent_id":"01a20000-0000-7000-8000-000000000000"}"#), 422, "invalid_field"),
    ("bad flag colour", "PUT /api/v1/conversations/{conv}/flag", OWNER,
        Some(r#"{"colour":"plaid"}"#), 400, "invalid_body"),
    ("empty reply", "POST /api/v1/conversations/{conv}/messages", OWNER,
        Some(r#"{"content":{"type":"text","text":"  "}}"#), 422, "invalid_field"),
    ("unknown content type", "POST /api/v1/conversations/{conv}/messages", OWNER,
        Some(r#"{"content":{"type":"hologram"}}"#), 400, "invalid_body"),
    ("bad query value", "GET /api/v1/conversations?unread=perhaps", OWNER, None, 400, "invalid_query"),
    ("unknown query key", "GET /api/v1/conversations?colour=red", OWNER, None, 400, "invalid_query"),
    ("limit out of range", "GET /api/v1/conversations?limit=100000", OWNER, None, 422, "invalid_field"),
    ("forged cursor", "GET /api/v1/conversations?cursor=abc", OWNER, None, 422, "invalid_field"),
    ("unsigned inbound", "POST /api/v1/shops/{shop}/inbound", ANON, Some("{}"), 401, "bad_signature"),
    ("inbound to unknown shop", "POST /api/v1/shops/{unknown}/inbound", ANON, Some("{}"), 401, "bad_signature"),
    ("unknown route", "GET /api/v1/nothing-here", OWNER, None, 404, "not_found"),
    ("wrong method", "DELETE /api/v1/shops", OWNER, None, 405, "method_not_allowed"),
    ("settings not an object", "PUT /api/v1/shops/{shop}/settings", OWNER, Some("[1, 2]"), 400, "invalid_body"),
    ("override of an unknown rule", "PUT /api/v1/shops/{shop}/settings", OWNER,
        Some(r#"{"rule_overrides": {"XX-NOPE-1": "1d"}}"#), 422, "invalid_field"),
    ("auto-reply on a platform without one", "PUT /api/v1/shops/{shop}/settings", OWNER,
        Some(r#"{"auto_reply": {"enabled": true, "text": "hi"}}"#), 422, "invalid_field"),
    ("outreach with malformed json", "POST /api/v1/shops/{shop}/buyers/{unknown}/conversations", OWNER,
        Some("{\"content\":"), 400, "malformed_json"),
    ("outreach to an unknown buyer", "POST /api/v1/shops/{shop}/buyers/{unknown}/conversations", OWNER,
        Some(r#"{"content": {"type": "text", "text": "hi"}}"#), 404, "not_found"),
    ("capacity over the maximum", "PUT /api/v1/me/presence", OWNER, Some(r#"{"capacity": 51}"#), 422, "invalid_field"),
    ("presence with an unknown status", "PUT /api/v1/me/presence", OWNER,
        Some(r#"{"status": "asleep"}"#), 400, "invalid_body"),
    ("routing policy that does not exist", "PUT /api/v1/shops/{shop}/settings", OWNER,
        Some(r#"{"routing": "round_robin"}"#), 422, "invalid_field"),
    ("customer panel of an unknown conversation", "GET /api/v1/conversations/{unknown}/customer", OWNER,
        None, 404, "not_found"),
    ("workbench of an unknown conversation", "GET /api/v1/conversations/{unknown}/workbench", OWNER,
        None, 404, "not_found"),
    ("products of an unknown shop", "GET /api/v1/shops/{unknown}/products", OWNER, None, 404, "not_found"),
    ("product search with a bad limit", "GET /api/v1/shops/{shop}/products?limit=500", OWNER,
        None, 400, "invalid_query"),
    ("product search with an unknown key", "GET /api/v1/shops/{shop}/products?color=red", OWNER,
        None, 400, "invalid_query"),
    ("queue of an unknown shop", "GET /api/v1/shops/{unknown}/queue", OWNER, None, 404, "not_found"),
    ("rules of an unknown shop", "GET /api/v1/shops/{unknown}/rules", OWNER, None, 404, "not_found"),
];

const MESSAGE: &str = r#"{"buyer":{"external_id":"b"},"platform_message_id":"1","content":{"type":"text","text":"hi"}}"#;

#[tokio::test]
async fn every_endpoint_answers_bad_input_with_a_4xx_json_error() {
    let (h, owner, shop, secret) = Harness::with_shop("api").await;
    let (status, stored) = h.send(h.signed(&shop, MESSAGE, &secret)).await;
    assert_eq!(status, 200, "{stored}");
    let conv = stored["conversation_id"].as_str().expect("conversation");
    let unknown = "01a20000-0000-7000-8000-000000000000";
    for (name, request, token, body, status, code) in BAD_INPUT {
        let (method, path) = request.split_once(' ').expect("METHOD path");
        let path =
            path.replace("{shop}", &shop).replace("{conv}", conv).replace("{unknown}", unknown);
        let mut call = Call::new(method.parse().expect("a method"), path);
        if *token {
            call = call.token(&owner);
        }
        if let Some(body) = body {
            call = call.body(*body);
        }
        h.check(name, call, *status, code).await;
    }
    let wrong_token = Call::new(Method::GET, "/api/v1/conversations").token("smx_nope");
    h.check("wrong token", wrong_token, 401, "unauthorized").await;
    let huge = format!("{{\"name\":\"{}\"}}", "x".repeat(MAX_BODY));
    let oversize = Call::new(Method::POST, "/api/v1/shops").token(&owner).body(huge);
    h.check("oversize body", oversize, 413, "body_too_large").await;
    let text = Call::new(Method::POST, "/api/v1/agents").token(&owner).body("{}");
    let text = text.content_type(Some("text/plain"));
    h.check("not JSON", text, 415, "unsupported_media_type").await;
    // Signed but malformed inbound bodies are refused after the signature check.
    let malformed = h.signed(&shop, "{\"buyer\":", &secret);
    h.check("signed, malformed", malformed, 400, "malformed_json").await;
    let empty_buyer = MESSAGE.replace("\"external_id\":\"b\"", "\"external_id\":\"\"");
    let empty_buyer = h.signed(&shop, &empty_buyer, &secret);
    let refused = h.check("empty buyer id", empty_buyer, 422, "invalid_field").await;
    assert_eq!(refused["error"]["field"], "buyer.external_id");
    // Nothing half-written: the refused requests stored no message.
    let page = format!("/api/v1/conversations/{conv}/messages");
    let (_, page) = h.send(Call::new(Method::GET, page).token(&owner)).await;
    assert_eq!(page["items"].as_array().map(Vec::len), Some(1), "{page}");
}

#[tokio::test]
async fn conflicts_and_forbidden_actions_map_to_their_statuses() {
    let h = Harness::new().await;
    let owner = h.owner().await;
    let agent = |nickname: &str| {
        let body = format!("{{\"nickname\":\"{nickname}\"}}");
        Call::new(Method::POST, "/api/v1/agents").token(&owner).body(body)
    };
    let (status, created) = h.send(agent("ana")).await;
    assert_eq!(status, 201, "{created}");
    h.check("nickname taken", agent("ana"), 409, "conflict").await;
    let ana = created["token"].as_str().expect("token");
    let shop = r#"{"platform":"api","external_id":"x","name":"x"}"#;
    let as_agent = Call::new(Method::POST, "/api/v1/shops").token(ana).body(shop);
    h.check("an agent creating a shop", as_agent, 403, "forbidden").await;
}

#[tokio::test]
async fn signed_deliveries_prove_where_they_come_from() {
    let (h, owner, api_shop, secret) = Harness::with_shop("api").await;
    let (tiktok_shop, _) = h.shop(&owner, "tiktok").await;
    let wrong_secret = h.signed(&api_shop, MESSAGE, "whsec_other");
    h.check("wrong secret", wrong_secret, 401, "bad_signature").await;
    let elsewhere = h.signed(&tiktok_shop, MESSAGE, &secret);
    h.check("another channel's shop", elsewhere, 401, "bad_signature").await;
    let (status, stored) = h.send(h.signed(&api_shop, MESSAGE, &secret)).await;
    assert_eq!((status, stored["duplicate"].as_bool()), (200, Some(false)), "{stored}");
    let webhook = |platform: &str, shop: &str| {
        Call::new(Method::POST, format!("/webhooks/{platform}/{shop}")).body("{}")
    };
    let other_platform = webhook("tiktok", &api_shop);
    h.check("a webhook for another platform's shop", other_platform, 401, "bad_signature").await;
    let unconnected = webhook("tiktok", &tiktok_shop);
    h.check("a shop with no connection", unconnected, 401, "bad_signature").await;
}

#[tokio::test]
async fn a_platform_that_cannot_answer_is_said_so() {
    let (h, owner, shop, _) = Harness::with_shop("tiktok").await;
    let path = format!("/api/v1/shops/{shop}/products?q=mug");
    let search = Call::new(Method::GET, path).token(&owner);
    h.check("no connection to ask", search, 409, "not_connected").await;
}

#[tokio::test]
async fn the_openapi_document_says_who_may_call_and_how_calls_fail() {
    let h = Harness::new().await;
    let (status, doc) = h.send(Call::new(Method::GET, "/api/v1/openapi.json")).await;
    assert_eq!(status, 200);
    if let Ok(path) = std::env::var("SHOPMUX_DUMP_OPENAPI") {
        std::fs::write(path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    }
    let error_ref = "#/components/schemas/ErrorBody";
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    let public =
        ["/healthz", "/readyz", "/metrics", "/webhooks/", "/storefront/", "/inbound", "/callback"];
    // The web session itself: signing in is public, reading and ending it take the cookie.
    let cookie_only = ["get /api/v1/session", "delete /api/v1/session"];
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let sign_in = method == "post" && path == "/api/v1/session";
            let anonymous =
                sign_in || public.iter().any(|p| path.starts_with(p) || path.ends_with(p));
            let security = op.get("security").or(doc.get("security"));
            let takes = |scheme: &str| {
                security
                    .and_then(Value::as_array)
                    .is_some_and(|s| s.iter().any(|r| r.get(scheme).is_some()))
            };
            let bearer = takes("bearer");
            if cookie_only.contains(&format!("{method} {path}").as_str()) {
                assert!(takes("cookie") && !bearer, "{method} {path}: the cookie only");
                assert!(op["responses"]["401"].is_object(), "{method} {path}: no 401");
            } else {
                assert_eq!(bearer, !anonymous, "{method} {path}: bearer required?");
                assert_eq!(takes("cookie"), !anonymous, "{method} {path}: the cookie too?");
            }
            for (code, response) in op["responses"].as_object().unwrap() {
                // Readiness answers 503 with its own health body.
                if (code.starts_with('4') || code.starts_with('5')) && path != "/readyz" {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, error_ref, "{method} {path} {code}");
                }
            }
            if bearer {
                assert!(op["responses"]["401"].is_object(), "{method} {path}: no 401");
            }
        }
    }
}
