//! Shops and the built-in `api` channel's inbound endpoint.

use super::AppState;
use super::doc::{
    BadRequest, Conflict, Forbidden, NotFound, PayloadTooLarge, ShopPath, Unauthorized,
    Unprocessable,
};
use super::error::{ApiError, ApiResult, JsonResult};
use super::extract::{ApiJson, ApiPath, Auth, owner};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use shopmux_adapter_api::wire::InboundMessage;
use shopmux_core::domain::ids::ShopId;
use shopmux_core::domain::inbound::IngestOutcome;
use shopmux_core::domain::model::Shop;
use shopmux_core::services::apply::EventOutcome;
use shopmux_core::services::shops::{NewShop, ShopWithSecret};
/// Connect a shop (owner only). Returns its ingest secret once.
#[utoipa::path(post, path = "/api/v1/shops", tag = "shops", request_body = NewShop,
    responses((status = 201, body = ShopWithSecret), BadRequest, Unauthorized, Forbidden, Conflict,
        Unprocessable))]
pub async fn create_shop(
    auth: Auth, ApiJson(input): ApiJson<NewShop>,
) -> ApiResult<(StatusCode, ApiJson<ShopWithSecret>)> {
    let created = auth.inbox().create_shop(owner(&auth)?, input).await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// The shops the caller may see.
#[utoipa::path(get, path = "/api/v1/shops", tag = "shops",
    responses((status = 200, body = Vec<Shop>), Unauthorized))]
pub async fn list_shops(auth: Auth) -> JsonResult<Vec<Shop>> {
    Ok(ApiJson(auth.inbox().list_shops(&auth.viewer).await?))
}

/// One shop.
#[utoipa::path(get, path = "/api/v1/shops/{shop_id}", tag = "shops", params(ShopPath),
    responses((status = 200, body = Shop), BadRequest, Unauthorized, NotFound))]
pub async fn get_shop(auth: Auth, ApiPath(shop_id): ApiPath<ShopId>) -> JsonResult<Shop> {
    Ok(ApiJson(auth.inbox().shop(&auth.viewer, shop_id).await?))
}

/// Replace the shop's ingest secret (owner only); the old one stops working.
#[utoipa::path(post, path = "/api/v1/shops/{shop_id}/ingest-secret", tag = "shops",
    params(ShopPath),
    responses((status = 200, body = ShopWithSecret), Unauthorized, Forbidden, NotFound))]
pub async fn rotate_secret(
    auth: Auth, ApiPath(shop_id): ApiPath<ShopId>,
) -> JsonResult<ShopWithSecret> {
    Ok(ApiJson(auth.inbox().rotate_ingest_secret(owner(&auth)?, shop_id).await?))
}

/// Feed a buyer message into a shop of a platform fed through this endpoint (the `api`
/// channel). The raw body must be signed:
/// `X-Shopmux-Signature: sha256=<hex HMAC-SHA256 of the body with the shop's ingest secret>`.
/// Delivering the same `platform_message_id` again stores nothing new (`duplicate: true`).
/// An unknown shop, a shop of another channel and a bad signature get the same 401
/// `bad_signature`.
#[utoipa::path(post, path = "/api/v1/shops/{shop_id}/inbound", security(()), tag = "shops",
    request_body = InboundMessage,
    params(ShopPath,
        ("X-Shopmux-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body>")),
    responses((status = 200, body = IngestOutcome), BadRequest, Unauthorized, Conflict,
        PayloadTooLarge, Unprocessable))]
pub async fn inbound(
    State(app): State<AppState>, ApiPath(shop_id): ApiPath<ShopId>, headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> JsonResult<IngestOutcome> {
    let body = body?;
    // An unknown shop and a shop of another channel answer like a bad signature.
    let shop = app
        .inbox
        .ingest_shop(shop_id)
        .await?
        .filter(|s| app.inbox.registry().capabilities(s.platform.as_str()).signed_inbound)
        .ok_or_else(|| super::webhooks::refused_unknown(&app, "unknown"))?;
    let request = super::webhooks::webhook_request(&headers, body);
    let events =
        super::webhooks::parse(&app, &shop, request, super::webhooks::Route::Inbound).await?;
    let applied = app.inbox.apply(&shop, events).await?;
    app.metrics.webhook(shop.platform.as_str(), "accepted");
    match applied.outcomes.into_iter().next() {
        Some(EventOutcome::Stored(outcome) | EventOutcome::Duplicate(outcome)) => {
            Ok(ApiJson(outcome))
        }
        Some(EventOutcome::Refused(e)) => Err(e.into()),
        _ => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "the body holds no buyer message",
        )),
    }
}

/// The rules in force in a shop: its platform's rule set with the shop's duration
/// overrides (`settings.rule_overrides`) applied, every entry tagged with its rule ID.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ShopRules {
    /// The overrides the shop sets (rule ID → duration).
    #[schema(value_type = Object)]
    pub overrides: serde_json::Value,
    /// The effective rule set.
    #[schema(value_type = Object)]
    pub rules: serde_json::Value,
}

/// The rules in force in a shop.
#[utoipa::path(get, path = "/api/v1/shops/{shop_id}/rules", tag = "shops", params(ShopPath),
    responses((status = 200, body = ShopRules), BadRequest, Unauthorized, NotFound))]
pub async fn shop_rules(auth: Auth, ApiPath(shop_id): ApiPath<ShopId>) -> JsonResult<ShopRules> {
    let shop = auth.inbox().shop(&auth.viewer, shop_id).await?;
    let rules = auth.inbox().shop_rules(shop_id).await?;
    Ok(ApiJson(ShopRules {
        overrides: shop
            .settings
            .get("rule_overrides")
            .cloned()
            .unwrap_or_else(|| serde_json::json!({})),
        rules: serde_json::to_value(&*rules).unwrap_or_default(),
    }))
}

/// A shop's marketplace connection: its API base, which credentials are set (never
/// their values) and its status (`unverified`, `connected`, `token_expired`, `refused`,
/// `revoked` (deauthorized, uninstalled, or the refresh token refused for good: reconnect), or
/// `credentials_unreadable` when the stored credentials do not open with this daemon's key:
/// set the connection again; no platform is called meanwhile).
#[utoipa::path(get, path = "/api/v1/shops/{shop_id}/connection", tag = "shops", params(ShopPath),
    responses((status = 200, body = shopmux_core::services::connections::ConnectionView),
        BadRequest, Unauthorized, NotFound))]
pub async fn get_connection(
    auth: Auth, ApiPath(shop_id): ApiPath<ShopId>,
) -> JsonResult<shopmux_core::services::connections::ConnectionView> {
    Ok(ApiJson(auth.inbox().connection(&auth.viewer, shop_id).await?))
}

/// Set a shop's marketplace connection (main account only): `api_base` and the
/// credentials (`app_key`, `app_secret`, `access_token`, `shop_cipher`, ...). The
/// secrets are stored and never shown again.
#[utoipa::path(put, path = "/api/v1/shops/{shop_id}/connection", tag = "shops", params(ShopPath),
    request_body = shopmux_core::services::connections::ConnectionInput,
    responses((status = 200, body = shopmux_core::services::connections::ConnectionView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, Unprocessable))]
pub async fn set_connection(
    auth: Auth, ApiPath(shop_id): ApiPath<ShopId>,
    ApiJson(input): ApiJson<shopmux_core::services::connections::ConnectionInput>,
) -> JsonResult<shopmux_core::services::connections::ConnectionView> {
    Ok(ApiJson(auth.inbox().set_connection(&auth.viewer, shop_id, input).await?))
}

/// A shop's queue, next first, with each waiting buyer's position (TT-QUEUE-1,
/// DY-QUEUE-1). On a manual shop it is the unassigned list.
#[utoipa::path(get, path = "/api/v1/shops/{shop_id}/queue", tag = "shops", params(ShopPath),
    responses((status = 200, body = shopmux_core::services::router::ShopQueue), BadRequest,
        Unauthorized, NotFound))]
pub async fn queue(
    auth: Auth, ApiPath(shop_id): ApiPath<ShopId>,
) -> JsonResult<shopmux_core::services::router::ShopQueue> {
    Ok(ApiJson(auth.inbox().queue(&auth.viewer, shop_id).await?))
}

/// Replace a shop's settings (owner only): `rule_overrides` (rule ID → duration),
/// on platforms that have one, `auto_reply` ({enabled, text, actions}), and for a
/// storefront chat `widget` ({position: bottom_right|bottom_left, color: "#rrggbb",
/// label, allowed_origins: ["https://store.example"]}).
#[utoipa::path(put, path = "/api/v1/shops/{shop_id}/settings", tag = "shops",
    request_body(content = Object, description = "The settings object"), params(ShopPath),
    responses((status = 200, body = Shop), BadRequest, Unauthorized, Forbidden, NotFound,
        Unprocessable))]
pub async fn set_settings(
    auth: Auth, ApiPath(shop_id): ApiPath<ShopId>, ApiJson(settings): ApiJson<serde_json::Value>,
) -> JsonResult<Shop> {
    Ok(ApiJson(auth.inbox().set_shop_settings(owner(&auth)?, shop_id, settings).await?))
}
