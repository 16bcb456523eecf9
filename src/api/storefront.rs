//! The customer side of the storefront chat (of shops whose platform offers it): the
//! widget script a shop adds to its theme, starting a session, confirming a visitor's
//! email, and (in [`super::storefront_chat`]) the chat socket.
//!
//! **Sessions start through the platform's app proxy**: the store forwards
//! `POST {store}/{proxy prefix}/sessions` to `POST /storefront/{shop_id}/proxy/sessions`
//! with its signed query (`shop`, `logged_in_customer_id`, `timestamp`, `signature`,
//! ...). The shop's adapter verifies it; a signed-in customer is that customer, anyone
//! else an anonymous visitor. A forged, stale or other shop's request answers exactly
//! like an unknown shop (404 `not_found`). `POST /storefront/{shop_id}/sessions` (direct,
//! for development: `storefront.direct_sessions`) starts anonymous sessions only. A
//! typed email is unverified contact data until confirmed with a mailed code
//! (`…/email`, `…/email/confirm`). The direct endpoints answer CORS preflights for the
//! daemon's and the shop's allowed origins (`super::storefront_cors`); the widget's
//! reads (settings, history) are `super::storefront_reads`'.

use super::AppState;
use super::doc::{BadRequest, Conflict, NotFound, TooManyRequests, Unavailable, Unprocessable};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ClientAddr};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use shopmux_core::CoreError;
use shopmux_core::domain::ids::ShopId;
use shopmux_core::domain::viewer::hash_token;
use shopmux_core::services::storefront::{StorefrontProof, StorefrontSession, StorefrontStart};

/// The one answer to an unknown shop, a shop without a storefront chat, a refused proxy
/// signature and direct sessions switched off.
pub(super) fn no_shop() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no storefront chat here")
}

/// A core error, with every "not found" answered as [`no_shop`].
pub(super) fn storefront_error(e: CoreError) -> ApiError {
    match e {
        CoreError::NotFound(_) => no_shop(),
        other => other.into(),
    }
}

pub(super) fn shop_id(raw: &str) -> ApiResult<ShopId> {
    raw.parse().map_err(|_| no_shop())
}

/// Most query parameters a proxied request may carry.
pub(super) const MAX_PROXY_PARAMS: usize = 32;

/// The query the platform's app proxy adds (documentation: every parameter is read,
/// signed ones included, as sent).
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProxyQuery {
    /// The store's platform domain (`name.myshopify.com`): must be the shop's own.
    pub shop: String,
    /// The customer signed in at the store; empty when nobody is.
    pub logged_in_customer_id: Option<String>,
    /// The proxy's storefront prefix (`/apps/shopmux`).
    pub path_prefix: Option<String>,
    /// When the platform forwarded the request (Unix seconds); refused more than 300 s
    /// from now either way.
    pub timestamp: i64,
    /// Hex HMAC-SHA256 of the other parameters under the shop's client secret.
    #[param(min_length = 64, max_length = 64, pattern = "^[0-9a-fA-F]{64}$")]
    pub signature: String,
}

fn created(session: StorefrontSession) -> (StatusCode, ApiJson<StorefrontSession>) {
    (StatusCode::CREATED, ApiJson(session))
}

/// The platform's query on a proxied request: none, or too many parameters, answers like
/// an unknown shop.
pub(super) fn proxy_query(
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> ApiResult<Vec<(String, String)>> {
    let query = query.map(|Query(q)| q).unwrap_or_default();
    if query.is_empty() || query.len() > MAX_PROXY_PARAMS {
        return Err(no_shop());
    }
    Ok(query)
}

fn previous(start: &StorefrontStart) -> Option<String> {
    start.previous_token.as_deref().filter(|t| t.len() <= 128).map(hash_token)
}

/// Start a storefront chat session through the platform's app proxy (the widget's
/// request, forwarded by the store with its signed query). A signed-in customer is that
/// customer; anyone else is an anonymous visitor. A forged, stale (over 300 s) or other
/// shop's signature answers like an unknown shop.
#[utoipa::path(post, path = "/storefront/{shop_id}/proxy/sessions", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop"), ProxyQuery),
    request_body = StorefrontStart,
    responses((status = 201, body = StorefrontSession), BadRequest, NotFound, Unprocessable,
        TooManyRequests, Unavailable))]
pub async fn start_proxied_session(
    State(app): State<AppState>, Path(raw_shop): Path<String>,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
    ApiJson(start): ApiJson<StorefrontStart>,
) -> ApiResult<(StatusCode, ApiJson<StorefrontSession>)> {
    let shop = shop_id(&raw_shop)?;
    let query = proxy_query(query)?;
    app.storefront
        .limits
        .proxied_start(&shop.to_string(), previous(&start).as_deref())
        .map_err(|r| ApiError::rate_limited(r.0))?;
    let proof = StorefrontProof::Proxy(query);
    let session =
        app.inbox.start_storefront_session(shop, proof, start).await.map_err(storefront_error)?;
    Ok(created(session))
}

/// Start an anonymous storefront chat session straight from the widget (development and
/// demos: only when `storefront.direct_sessions` is on; otherwise 404 like an unknown
/// shop). The session is always an anonymous visitor, whatever email is typed.
#[utoipa::path(post, path = "/storefront/{shop_id}/sessions", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop")),
    request_body = StorefrontStart,
    responses((status = 201, body = StorefrontSession), BadRequest, NotFound, Unprocessable,
        TooManyRequests))]
pub async fn start_session(
    State(app): State<AppState>, Path(raw_shop): Path<String>, ClientAddr(address): ClientAddr,
    ApiJson(start): ApiJson<StorefrontStart>,
) -> ApiResult<(StatusCode, ApiJson<StorefrontSession>)> {
    let shop = shop_id(&raw_shop)?;
    if !app.storefront.config.direct_sessions {
        return Err(no_shop());
    }
    app.storefront
        .limits
        .direct_start(address, previous(&start).as_deref())
        .map_err(|r| ApiError::rate_limited(r.0))?;
    let session = app
        .inbox
        .start_storefront_session(shop, StorefrontProof::Direct, start)
        .await
        .map_err(storefront_error)?;
    Ok(created(session))
}

/// A visitor asking to confirm an email address.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailRequest {
    /// The session token.
    #[schema(max_length = 128)]
    pub token: String,
    /// The address to confirm.
    #[schema(max_length = 254, format = "email")]
    pub email: String,
}

/// A code mailed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailCodeSent {
    /// Where it went.
    pub email: String,
    /// How long the code is valid.
    pub expires_in_seconds: i64,
}

/// Mail a confirmation code to the address a visitor typed (replies are mailed to it
/// only once confirmed). 404 for an unknown session; 409 `email_off` without `[smtp]` (the daemon's
/// state, not a fault);
/// at most 3 codes per session (then one per 5 minutes) and 10 per address.
#[utoipa::path(post, path = "/storefront/{shop_id}/email", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop")),
    request_body = EmailRequest,
    responses((status = 202, body = EmailCodeSent), BadRequest, NotFound, Unprocessable,
        TooManyRequests, Conflict, Unavailable))]
pub async fn request_email_code(
    State(app): State<AppState>, Path(raw_shop): Path<String>, ClientAddr(address): ClientAddr,
    ApiJson(body): ApiJson<EmailRequest>,
) -> ApiResult<(StatusCode, ApiJson<EmailCodeSent>)> {
    let shop = shop_id(&raw_shop)?;
    if body.token.len() > 128 {
        return Err(no_shop());
    }
    if !app.storefront.mails() {
        let message = "email is not configured here ([smtp])";
        return Err(ApiError::new(StatusCode::CONFLICT, "email_off", message));
    }
    app.storefront
        .limits
        .email_code(address, &hash_token(&body.token))
        .map_err(|r| ApiError::rate_limited(r.0))?;
    let code = app
        .inbox
        .request_storefront_email_code(shop, &body.token, &body.email)
        .await
        .map_err(storefront_error)?;
    app.storefront.mail_code(&code.email, &code.code).await.map_err(|e| {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "email_failed", e.message.clone())
    })?;
    let expires_in_seconds = shopmux_core::services::storefront_email::CODE_LIFETIME_MINUTES * 60;
    Ok((StatusCode::ACCEPTED, ApiJson(EmailCodeSent { email: code.email, expires_in_seconds })))
}

/// A visitor typing back the code.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailConfirm {
    /// The session token.
    #[schema(max_length = 128)]
    pub token: String,
    /// The 6-digit code mailed.
    #[schema(max_length = 16)]
    pub code: String,
}

/// A confirmed address.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EmailConfirmed {
    /// The address, now where replies go once the visitor left (SH-ONLINE-1).
    pub email: String,
}

/// Confirm the address with the mailed code. 422 `invalid_field` (`code`) for a wrong,
/// expired or exhausted code (5 guesses per code, 15 minutes); 409 when no code is
/// pending; 404 for an unknown session.
#[utoipa::path(post, path = "/storefront/{shop_id}/email/confirm", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop")),
    request_body = EmailConfirm,
    responses((status = 200, body = EmailConfirmed), BadRequest, NotFound, Conflict,
        Unprocessable, TooManyRequests))]
pub async fn confirm_email(
    State(app): State<AppState>, Path(raw_shop): Path<String>, ClientAddr(address): ClientAddr,
    ApiJson(body): ApiJson<EmailConfirm>,
) -> ApiResult<ApiJson<EmailConfirmed>> {
    let shop = shop_id(&raw_shop)?;
    if body.token.len() > 128 {
        return Err(no_shop());
    }
    app.storefront.limits.email_address(address).map_err(|r| ApiError::rate_limited(r.0))?;
    let email = app
        .inbox
        .confirm_storefront_email(shop, &body.token, &body.code)
        .await
        .map_err(storefront_error)?;
    Ok(ApiJson(EmailConfirmed { email }))
}

/// The chat widget a shop adds to its theme:
/// `<script src="https://YOUR-HOST/storefront/widget.js" data-shop="SHOP_ID" data-proxy="/apps/shopmux" async></script>`.
#[utoipa::path(get, path = "/storefront/widget.js", security(()), tag = "storefront",
    responses((status = 200, description = "The widget script", content_type = "text/javascript", body = String)))]
pub async fn widget() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_JS,
    )
}

/// The widget: plain JavaScript, no build step.
const WIDGET_JS: &str = include_str!("storefront_widget.js");
