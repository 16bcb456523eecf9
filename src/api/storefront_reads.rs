//! What the storefront widget reads: the shop's widget settings (`GET
//! /storefront/{shop_id}/widget?language=`) and the customer's conversation (`POST
//! /storefront/{shop_id}/history` with the session token in the body, so it stays out
//! of logs and URLs), straight or through the shop's app proxy (`…/proxy/widget`,
//! `…/proxy/history`, the platform's signed query checked as for sessions, so a proxied
//! store needs no CORS for them). Public endpoints: an unknown shop, a shop without a
//! storefront chat, a refused proxy signature and an unknown token all answer the same
//! 404 `not_found`; sizes are bounded; reads are rate limited per client address (per
//! shop through the proxy, whose requests all come from the platform) and history per
//! session.

use super::AppState;
use super::doc::{BadRequest, NotFound, TooManyRequests, Unavailable, Unprocessable};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, ClientAddr};
use super::storefront::{ProxyQuery, no_shop, proxy_query, shop_id, storefront_error};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use shopmux_core::domain::viewer::hash_token;
use shopmux_core::services::storefront_widget::{StorefrontHistory, StorefrontWidget};

/// The widget settings' query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct WidgetQuery {
    /// The customer's browser language (`es-MX`): picks the greeting's version.
    #[param(max_length = 35, pattern = r"^[A-Za-z0-9_-]*$")]
    pub language: Option<String>,
}

/// The shop's widget settings: launcher corner, colour and label (`settings.widget`),
/// and its greeting and FAQ list in the customer's language when set (DY-GREET-1).
#[utoipa::path(get, path = "/storefront/{shop_id}/widget", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop"), WidgetQuery),
    responses((status = 200, body = StorefrontWidget), BadRequest, NotFound, Unprocessable,
        TooManyRequests))]
pub async fn widget_settings(
    State(app): State<AppState>, Path(raw_shop): Path<String>, ClientAddr(address): ClientAddr,
    ApiQuery(query): ApiQuery<WidgetQuery>,
) -> ApiResult<ApiJson<StorefrontWidget>> {
    let shop = shop_id(&raw_shop)?;
    app.storefront.limits.read(address).map_err(|r| ApiError::rate_limited(r.0))?;
    let language = query.language.filter(|l| l.len() <= 35);
    let widget =
        app.inbox.storefront_widget(shop, language.as_deref()).await.map_err(storefront_error)?;
    Ok(ApiJson(widget))
}

/// A request for a page of the customer's conversation.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryRequest {
    /// The session token.
    #[schema(max_length = 128)]
    pub token: String,
    /// The messages before this cursor (scrolling back); with neither cursor, the latest.
    #[schema(max_length = 64)]
    pub before: Option<String>,
    /// The messages after this cursor (catching up after a reconnect).
    #[schema(max_length = 64)]
    pub after: Option<String>,
    /// How many (1 to 100; default 50).
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A page of the session customer's conversation, oldest first: their messages, the
/// agents' replies (with the agent's nickname) and the bot's, including replies that
/// arrived while they were away. 404 for an unknown shop or session; 422 for a cursor
/// that is not one.
#[utoipa::path(post, path = "/storefront/{shop_id}/history", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop")),
    request_body = HistoryRequest,
    responses((status = 200, body = StorefrontHistory), BadRequest, NotFound, Unprocessable,
        TooManyRequests))]
pub async fn history(
    State(app): State<AppState>, Path(raw_shop): Path<String>, ClientAddr(address): ClientAddr,
    ApiJson(body): ApiJson<HistoryRequest>,
) -> ApiResult<ApiJson<StorefrontHistory>> {
    let shop = shop_id(&raw_shop)?;
    if body.token.is_empty() || body.token.len() > 128 {
        return Err(no_shop());
    }
    app.storefront
        .limits
        .history(address, &hash_token(&body.token))
        .map_err(|r| ApiError::rate_limited(r.0))?;
    let limit = body.limit.unwrap_or(50);
    let page = app
        .inbox
        .storefront_history(shop, &body.token, body.before.as_deref(), body.after.as_deref(), limit)
        .await
        .map_err(storefront_error)?;
    Ok(ApiJson(page))
}

fn rate_limited(r: crate::storefront_limits::RetryAfter) -> ApiError {
    ApiError::rate_limited(r.0)
}

/// The widget's settings through the shop's app proxy (the widget's `language` rides in
/// the signed query). A forged, stale or other shop's signature answers like an unknown
/// shop.
#[utoipa::path(get, path = "/storefront/{shop_id}/proxy/widget", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop"), ProxyQuery, WidgetQuery),
    responses((status = 200, body = StorefrontWidget), BadRequest, NotFound, Unprocessable,
        TooManyRequests, Unavailable))]
pub async fn proxied_widget_settings(
    State(app): State<AppState>, Path(raw_shop): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<ApiJson<StorefrontWidget>> {
    let shop = shop_id(&raw_shop)?;
    let query = proxy_query(query)?;
    app.storefront.limits.proxied_read(&shop.to_string(), None).map_err(rate_limited)?;
    let language = query.iter().find(|(k, _)| k == "language").map(|(_, v)| v.clone());
    let language = language.filter(|l| l.len() <= 35);
    app.inbox.verify_storefront_proxy(shop, query).await.map_err(storefront_error)?;
    let widget =
        app.inbox.storefront_widget(shop, language.as_deref()).await.map_err(storefront_error)?;
    Ok(ApiJson(widget))
}

/// A page of the session customer's conversation through the shop's app proxy (as
/// `…/history`). A forged, stale or other shop's signature answers like an unknown shop.
#[utoipa::path(post, path = "/storefront/{shop_id}/proxy/history", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop"), ProxyQuery),
    request_body = HistoryRequest,
    responses((status = 200, body = StorefrontHistory), BadRequest, NotFound, Unprocessable,
        TooManyRequests, Unavailable))]
pub async fn proxied_history(
    State(app): State<AppState>, Path(raw_shop): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    ApiJson(body): ApiJson<HistoryRequest>,
) -> ApiResult<ApiJson<StorefrontHistory>> {
    let shop = shop_id(&raw_shop)?;
    let query = proxy_query(query)?;
    if body.token.is_empty() || body.token.len() > 128 {
        return Err(no_shop());
    }
    let session = hash_token(&body.token);
    app.storefront.limits.proxied_read(&shop.to_string(), Some(&session)).map_err(rate_limited)?;
    app.inbox.verify_storefront_proxy(shop, query).await.map_err(storefront_error)?;
    let limit = body.limit.unwrap_or(50);
    let page = app
        .inbox
        .storefront_history(shop, &body.token, body.before.as_deref(), body.after.as_deref(), limit)
        .await
        .map_err(storefront_error)?;
    Ok(ApiJson(page))
}
