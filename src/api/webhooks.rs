//! Marketplace webhooks: `POST /webhooks/{platform}/{shop_id}`. The handler verifies and
//! parses through the shop's adapter (signature checked on the raw body before anything
//! is read: a bad or missing one gets 401, is counted, and nothing is stored) and hands
//! the events to the inbox ([`shopmux_core::Inbox::apply`]); the platform gets its
//! acknowledgement after the commit. Redeliveries are harmless: messages are stored
//! once per (shop, platform message id).

use super::AppState;
use super::doc::{BadRequest, Unauthorized, Unavailable};
use super::error::{ApiError, ApiResult};
use super::extract::ApiJson;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use shopmux_contract::AdapterError;
use shopmux_contract::adapter::{InboundEvent, WebhookRequest};
use shopmux_core::domain::ids::ShopId;
use shopmux_core::domain::shop_settings::IngestShop;
use shopmux_core::services::apply::AppliedCounts;
use shopmux_core::services::connections::CREDENTIALS_UNREADABLE;

/// The one answer to a delivery that does not prove it comes from the shop's platform:
/// an unknown shop, another platform's or channel's shop, a shop without a connection
/// and a bad or missing signature all get 401 `bad_signature` with this message, so a
/// prober learns nothing about which shops exist.
pub fn unverified() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "bad_signature",
        "the delivery is not signed for a shop of this platform here",
    )
}

/// An unverifiable delivery (an unknown shop, another platform's, an unconnected one),
/// counted like a bad signature.
pub fn refused_unknown(app: &AppState, platform: &str) -> ApiError {
    app.metrics.webhook(platform, "bad_signature");
    unverified()
}

/// A delivery as the adapter reads it: the raw body and its headers.
pub fn webhook_request(headers: &HeaderMap, body: Bytes) -> WebhookRequest {
    WebhookRequest {
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: body.to_vec(),
    }
}

/// Where a delivery came in, for what its refusals are called.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// A platform's webhook: an unreadable one is a `bad_webhook`.
    Webhook,
    /// The signed inbound endpoint: an unreadable body is `malformed_json` or
    /// `invalid_body`, as for any JSON body of the API.
    Inbound,
}

/// Verifies and parses a delivery through the shop's adapter.
pub async fn parse(
    app: &AppState, shop: &IngestShop, request: WebhookRequest, route: Route,
) -> ApiResult<Vec<InboundEvent>> {
    let connection = match app.inbox.inbound_connection(shop).await {
        // Recorded on the connection's status; 503, so the platform delivers again once
        // the connection is set again.
        Err(shopmux_core::CoreError::Platform(e)) if e.code == CREDENTIALS_UNREADABLE => {
            app.metrics.webhook(shop.platform.as_str(), "unavailable");
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                CREDENTIALS_UNREADABLE,
                e.message,
            ));
        }
        Err(e) => return Err(e.into()),
        Ok(Some(connection)) => connection,
        Ok(None) => return Err(refused_unknown(app, shop.platform.as_str())),
    };
    let now = app.inbox.clock().now().timestamp_millis();
    let registry = app.inbox.registry();
    registry
        .parse_webhook(&shop.platform, connection, request, now)
        .await
        .map_err(|e| refused(app, shop, e, route))
}

/// A delivery the adapter refused: a bad signature is 401; one that does not read is
/// 400; an adapter that failed (a plugin panicked, a timeout) is 503, so the platform
/// delivers again.
fn refused(app: &AppState, shop: &IngestShop, e: AdapterError, route: Route) -> ApiError {
    let (platform, shop_id) = (&shop.platform, shop.shop_id);
    if e.retryable {
        tracing::warn!(message = "Webhook not parsed for now.", %platform, %shop_id, error = %e);
        app.metrics.webhook(platform.as_str(), "unavailable");
        return ApiError::platform(e);
    }
    // A connection lacking what the signature is checked with cannot prove a delivery:
    // answered like a bad signature (unknown and unverifiable alike).
    let unprovable = e.code == "bad_signature" || e.code == "missing_credential";
    app.metrics.webhook(platform.as_str(), if unprovable { "bad_signature" } else { "malformed" });
    match (e.code.as_str(), route) {
        _ if unprovable => {
            tracing::warn!(message = "Delivery refused: bad signature.", %platform, %shop_id,
                reason = %e.message);
            unverified()
        }
        (_, Route::Webhook) => ApiError::new(StatusCode::BAD_REQUEST, "bad_webhook", e.to_string()),
        ("malformed_json", Route::Inbound) => {
            ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", e.message)
        }
        (_, Route::Inbound) => ApiError::new(StatusCode::BAD_REQUEST, "invalid_body", e.message),
    }
}

/// Receive a marketplace webhook for one shop (signed by the platform). An unknown
/// shop, another platform's shop, a shop without a connection and a bad signature get
/// the same 401 `bad_signature`.
#[utoipa::path(post, path = "/webhooks/{platform}/{shop_id}", security(()), tag = "webhooks",
    params(("platform" = String, Path, description = "The platform id, as its adapter names it"),
        ("shop_id" = String, Path, description = "The shop")),
    request_body(content = String, description = "The platform's raw, signed body"),
    responses((status = 200, body = AppliedCounts), BadRequest, Unauthorized, Unavailable))]
pub async fn receive(
    State(app): State<AppState>, Path((platform, shop_id)): Path<(String, String)>,
    headers: HeaderMap, body: Bytes,
) -> ApiResult<Response> {
    let shop_id: ShopId = shop_id.parse().map_err(|_| refused_unknown(&app, &platform))?;
    let shop = app
        .inbox
        .ingest_shop(shop_id)
        .await?
        .filter(|s| s.platform == platform.as_str())
        .filter(|s| app.inbox.registry().capabilities(s.platform.as_str()).webhooks)
        .ok_or_else(|| refused_unknown(&app, &platform))?;
    let events = parse(&app, &shop, webhook_request(&headers, body), Route::Webhook).await?;
    let counts = app.inbox.apply(&shop, events).await?.counts();
    app.metrics.webhook(&platform, "accepted");
    tracing::debug!(message = "Webhook accepted.", %platform, %shop_id, stored = counts.stored,
        duplicates = counts.duplicates, orders = counts.orders);
    // Some platforms want a body of their own as the acknowledgement (Douyin).
    Ok(match app.inbox.registry().webhook_answer(&platform) {
        Some(answer) => {
            ([(axum::http::header::CONTENT_TYPE, answer.content_type)], answer.body).into_response()
        }
        None => ApiJson(counts).into_response(),
    })
}
