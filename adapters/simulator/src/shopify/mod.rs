//! A Shopify Admin API simulator for the look-ups shopmux makes at sending time: the
//! GraphQL endpoint `POST /admin/api/{version}/graphql.json`, checking the
//! `X-Shopify-Access-Token` header, answering discount codes by code
//! (`codeDiscountNodeByCode`) and products by id (`nodes(ids:)`) in Shopify's reply
//! shapes. Anything else gets a GraphQL error. (Shopify Inbox has no chat API to
//! simulate; shopmux's storefront channel stands in for it.)
//!
//! It also delivers webhooks ([`SimHandle::push_webhook`] to a [`WebhookTarget`]), signed
//! in `X-Shopify-Hmac-Sha256` with the simulator's own implementation ([`sign`]), written
//! from Shopify's documents, so an adapter that verifies wrongly fails a test.

/// The app's installation: consent page, signed redirect, token endpoint.
pub mod oauth;
/// The App Proxy's signed query (the simulator's own signer).
pub mod proxy;
pub mod sign;
mod webhook;

pub use oauth::SimApp;
pub use webhook::WebhookTarget;

use crate::SimError;
use crate::clock::Clock;
use crate::lock;
use crate::poster::Poster;
use crate::server::ServerGuard;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A discount code the shop has.
#[derive(Clone, Debug)]
pub struct SimDiscount {
    /// The code customers type.
    pub code: String,
    /// `ACTIVE`, `EXPIRED` or `SCHEDULED`.
    pub status: String,
    /// When it starts.
    pub starts_at: Option<DateTime<Utc>>,
    /// When it ends.
    pub ends_at: Option<DateTime<Utc>>,
}

/// A product of the shop.
#[derive(Clone, Debug)]
pub struct SimProduct {
    /// `gid://shopify/Product/…`.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Published to the online store (has an `onlineStoreUrl`).
    pub published: bool,
}

/// How the Shopify simulator starts.
#[derive(Clone, Debug, Default)]
pub struct SimConfig {
    /// The Admin API access token it accepts.
    pub access_token: String,
    /// The shop's discount codes.
    pub discounts: Vec<SimDiscount>,
    /// The shop's products.
    pub products: Vec<SimProduct>,
    /// The app that can be installed through the consent page, if any.
    pub app: Option<SimApp>,
}

struct Shared {
    config: SimConfig,
    queries: AtomicUsize,
    /// Where webhooks go, if anywhere.
    webhook: Mutex<Option<WebhookTarget>>,
    /// The webhook client and its fault knobs.
    poster: Poster,
    /// Webhooks delivered so far (numbers the webhook ids).
    deliveries: AtomicU64,
    /// Authorization codes not yet exchanged → their store.
    codes: Mutex<HashMap<String, String>>,
    /// Codes issued so far.
    codes_issued: AtomicU64,
    /// Tokens issued so far.
    tokens_issued: AtomicU64,
    /// Webhook subscriptions created: (topic, callback URL).
    subscriptions: Mutex<Vec<(String, String)>>,
    /// The clock the redirect's `timestamp` reads (the system's when none).
    clock: Mutex<Option<Clock>>,
}

impl Shared {
    fn now(&self) -> DateTime<Utc> {
        lock(&self.clock).as_ref().map_or_else(Utc::now, |clock| clock())
    }
}

/// Starts Shopify simulators.
#[derive(Debug, Clone, Copy)]
pub struct ShopifySim;

impl ShopifySim {
    /// Starts one on 127.0.0.1 (a free port).
    pub async fn start(config: SimConfig) -> Result<SimHandle, SimError> {
        let shared = Arc::new(Shared {
            config,
            queries: AtomicUsize::new(0),
            webhook: Mutex::new(None),
            poster: Poster::new(None, Duration::from_secs(10))?,
            deliveries: AtomicU64::new(0),
            codes: Mutex::new(HashMap::new()),
            codes_issued: AtomicU64::new(0),
            tokens_issued: AtomicU64::new(0),
            subscriptions: Mutex::new(Vec::new()),
            clock: Mutex::new(None),
        });
        let app = Router::new()
            .route("/admin/api/{version}/graphql.json", post(graphql))
            .route("/admin/oauth/authorize", get(oauth::authorize))
            .route("/admin/oauth/consent", get(oauth::consent))
            .route("/admin/oauth/access_token", post(oauth::access_token))
            .with_state(shared.clone());
        let (addr, server) = crate::server::serve(app).await?;
        Ok(SimHandle { addr, shared, _server: server })
    }
}

/// A running Shopify simulator; stops when dropped.
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _server: ServerGuard,
}

impl SimHandle {
    /// `http://127.0.0.1:{port}` (use as the connection's `api_base`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many authorized GraphQL queries it answered.
    pub fn queries(&self) -> usize {
        self.shared.queries.load(Ordering::Relaxed)
    }

    /// How many access tokens the token endpoint issued.
    pub fn tokens_issued(&self) -> u64 {
        self.shared.tokens_issued.load(Ordering::Relaxed)
    }

    /// The webhook subscriptions created so far: (topic, callback URL), in order.
    pub fn subscriptions(&self) -> Vec<(String, String)> {
        lock(&self.shared.subscriptions).clone()
    }

    /// The address a topic's subscription delivers to (`CARTS_UPDATE`), if subscribed.
    pub fn subscribed_url(&self, topic: &str) -> Option<String> {
        self.subscriptions().into_iter().find(|(t, _)| t == topic).map(|(_, url)| url)
    }

    /// Makes the redirect's `timestamp` read `clock`.
    pub fn set_clock(&self, clock: Clock) {
        *lock(&self.shared.clock) = Some(clock);
    }
}

async fn graphql(State(sim): State<Arc<Shared>>, headers: HeaderMap, body: String) -> Response {
    let token =
        headers.get(sign::header::ACCESS_TOKEN).and_then(|v| v.to_str().ok()).unwrap_or_default();
    if token.is_empty() || token != sim.config.access_token {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"})),
        )
            .into_response();
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"errors": "Invalid JSON in request body"})),
        )
            .into_response();
    };
    sim.queries.fetch_add(1, Ordering::Relaxed);
    let query = request.get("query").and_then(Value::as_str).unwrap_or_default();
    let variables = request.get("variables").cloned().unwrap_or(Value::Null);
    let data = if query.contains("webhookSubscriptionCreate") {
        subscribe(&sim, &variables)
    } else if query.contains("codeDiscountNodeByCode") {
        let code = variables.get("code").and_then(Value::as_str).unwrap_or_default();
        let node =
            sim.config.discounts.iter().find(|d| d.code.eq_ignore_ascii_case(code)).map(|d| {
                json!({
                    "id": format!("gid://shopify/DiscountCodeNode/{}", d.code.len()),
                    "codeDiscount": {
                        "__typename": "DiscountCodeBasic",
                        "title": d.code,
                        "status": d.status,
                        "startsAt": d.starts_at,
                        "endsAt": d.ends_at,
                    }
                })
            });
        json!({"codeDiscountNodeByCode": node})
    } else if query.contains("nodes(ids") {
        let ids: Vec<&str> = variables
            .get("ids")
            .and_then(Value::as_array)
            .map(|l| l.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let nodes: Vec<Value> = ids
            .iter()
            .map(|id| {
                sim.config
                    .products
                    .iter()
                    .find(|p| p.id == *id)
                    .map_or(Value::Null, |p| {
                        json!({
                            "id": p.id,
                            "title": p.title,
                            "status": "ACTIVE",
                            "onlineStoreUrl": p.published.then(|| format!("https://sim-store.example/products/{}", p.id.rsplit('/').next().unwrap_or_default())),
                        })
                    })
            })
            .collect();
        json!({"nodes": nodes})
    } else {
        return axum::Json(
            json!({"errors": [{"message": "the simulator does not answer this query"}]}),
        )
        .into_response();
    };
    axum::Json(json!({"data": data, "extensions": {"cost": {"requestedQueryCost": 1}}}))
        .into_response()
}

/// `webhookSubscriptionCreate`: recorded once per (topic, address); a repeat answers
/// Shopify's "already been taken" user error.
fn subscribe(sim: &Shared, variables: &Value) -> Value {
    let topic = variables.get("topic").and_then(Value::as_str).unwrap_or_default().to_owned();
    let url = variables.get("callbackUrl").and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut subscriptions = lock(&sim.subscriptions);
    let errors = if topic.is_empty() || url.is_empty() {
        vec![json!({"field": ["webhookSubscription"], "message": "Address can't be blank"})]
    } else if subscriptions.iter().any(|(t, u)| *t == topic && *u == url) {
        vec![
            json!({"field": ["webhookSubscription", "callbackUrl"], "message": "Address for this topic has already been taken"}),
        ]
    } else {
        subscriptions.push((topic, url));
        vec![]
    };
    let n = subscriptions.len();
    json!({"webhookSubscriptionCreate": {
        "webhookSubscription": errors.is_empty().then(|| json!({"id": format!("gid://shopify/WebhookSubscription/{n}")})),
        "userErrors": errors,
    }})
}
