//! One-click shop connections: the owner starts (`POST /api/v1/connect/{platform}`:
//! the platform's authorization page to send the browser to), the platform sends the
//! browser back to `GET /connect/{platform}/callback`, which completes it and redirects
//! to Settings (`/?connected=…` or `/?connect_error=<code>`), the JSON outcome or error in
//! the body. Also the platforms' app-wide webhook address (`POST /webhooks/{platform}`,
//! e.g. Shopify's mandatory privacy webhooks) and the privacy requests carried out.

use super::AppState;
use super::doc::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unavailable};
use super::error::{ApiError, ApiResult, ErrorBody, ErrorDetail, JsonResult};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth, owner};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use shopmux_core::services::apply::AppliedCounts;
use shopmux_core::services::connect::{
    ConnectApp, ConnectOutcome, ConnectRefusal, ConnectRequest, ConnectStart,
};
use shopmux_core::services::privacy::PrivacyView;

/// Most query parameters a callback may carry, and the longest value.
const MAX_PARAMS: usize = 32;
const MAX_VALUE_CHARS: usize = 2048;
/// The longest shop name an app-wide delivery may name.
const MAX_SHOP_CHARS: usize = 255;

/// The app and addresses for `platform`, when the daemon is configured to connect it.
fn app_for(state: &AppState, platform: &str) -> Option<ConnectApp> {
    let public_url = state.connect.public_url.clone()?;
    let app = state.connect.apps.get(platform)?.clone();
    let callback_url = format!("{public_url}/connect/{platform}/callback");
    Some(ConnectApp { app, callback_url, public_url })
}

/// A platform whose shops connect in one click.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Connectable {
    /// The platform id.
    pub platform: String,
    /// Whether this daemon is configured to connect it (`connect.public_url` and
    /// `[connect.apps.<platform>]`).
    pub ready: bool,
}

/// The platforms whose adapters connect shops through an authorization page, and whether
/// this daemon is configured for each (owner only).
#[utoipa::path(get, path = "/api/v1/connect", tag = "shops",
    responses((status = 200, body = Vec<Connectable>), Unauthorized, Forbidden))]
pub async fn connectable(
    auth: Auth, State(state): State<AppState>,
) -> JsonResult<Vec<Connectable>> {
    owner(&auth)?;
    let registry = auth.inbox().registry();
    let list = registry
        .platforms()
        .filter(|p| registry.capabilities(p.as_str()).authorizes)
        .map(|p| Connectable {
            platform: p.to_string(),
            ready: app_for(&state, p.as_str()).is_some(),
        })
        .collect();
    Ok(ApiJson(list))
}

/// Start connecting a shop of `platform` through its authorization page (owner only).
/// Send the browser to `authorize_url`; the platform sends it back to the callback.
#[utoipa::path(post, path = "/api/v1/connect/{platform}", tag = "shops",
    params(("platform" = String, Path, description = "The platform id")),
    request_body = ConnectRequest,
    responses((status = 200, body = ConnectStart), BadRequest, Unauthorized, Forbidden, NotFound,
        Conflict))]
pub async fn start(
    auth: Auth, State(state): State<AppState>, ApiPath(platform): ApiPath<String>,
    ApiJson(request): ApiJson<ConnectRequest>,
) -> JsonResult<ConnectStart> {
    let owner = owner(&auth)?;
    if !auth.inbox().registry().capabilities(&platform).authorizes {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "platform not found"));
    }
    let app = app_for(&state, &platform).ok_or_else(|| {
        ApiError::new(
            StatusCode::CONFLICT,
            "not_configured",
            format!("connecting {platform} shops needs connect.public_url and [connect.apps.{platform}] in the configuration"),
        )
    })?;
    Ok(ApiJson(auth.inbox().start_connect(owner, &platform, request, &app).await?))
}

/// Where the callback sends the browser, with the JSON it carries.
fn back_to_settings(location: String, body: serde_json::Value) -> Response {
    let headers = [(header::LOCATION, location), (header::CACHE_CONTROL, "no-store".into())];
    (StatusCode::SEE_OTHER, headers, ApiJson(body)).into_response()
}

fn refused(platform: &str, refusal: ConnectRefusal) -> Response {
    tracing::warn!(message = "Authorization callback refused.", %platform, code = %refusal.code, reason = %refusal.message);
    let code = shopmux_contract::wire::percent_encode(&refusal.code);
    let body = ErrorBody {
        error: ErrorDetail {
            code: refusal.code,
            message: refusal.message,
            field: None,
            rule: None,
            window_closed_at: None,
            findings: None,
        },
    };
    back_to_settings(
        format!("/?connect_error={code}#settings"),
        serde_json::to_value(body).unwrap_or_default(),
    )
}

/// The platform's authorization callback (signed by the platform; public). Every check
/// passes or nothing changes: the answer is a 303 to Settings either way, carrying
/// `connected=<platform>&shops=<n>` or `connect_error=<code>`, with the outcome or the
/// error as JSON.
#[utoipa::path(get, path = "/connect/{platform}/callback", security(()), tag = "shops",
    params(("platform" = String, Path, description = "The platform id")),
    responses((status = 303, description = "Back to Settings; the body is the outcome (or an error body naming the refusal)",
        body = ConnectOutcome, headers(("Location" = String, description = "Settings, with the result")))))]
pub async fn callback(
    State(state): State<AppState>, Path(platform): Path<String>,
    query: Result<ApiQuery<Vec<(String, String)>>, ApiError>,
) -> Response {
    let query = match query {
        Ok(ApiQuery(query)) if bounded(&query) => query,
        _ => {
            return refused(
                &platform,
                ConnectRefusal::new("bad_request", "the callback's query does not read"),
            );
        }
    };
    let Some(app) = app_for(&state, &platform) else {
        return refused(
            &platform,
            ConnectRefusal::new("unknown_platform", "no such platform here"),
        );
    };
    match state.inbox.finish_connect(&platform, query, &app).await {
        Ok(outcome) => {
            tracing::info!(message = "Shops connected.", %platform, shops = outcome.shops.len());
            let location = format!(
                "/?connected={}&shops={}#settings",
                shopmux_contract::wire::percent_encode(&platform),
                outcome.shops.len()
            );
            back_to_settings(location, serde_json::to_value(outcome).unwrap_or_default())
        }
        Err(refusal) => refused(&platform, refusal),
    }
}

fn bounded(query: &[(String, String)]) -> bool {
    query.len() <= MAX_PARAMS
        && query.iter().all(|(k, v)| k.len() <= 64 && v.chars().count() <= MAX_VALUE_CHARS)
}

/// Receive a platform's app-wide webhook (signed by the platform; public), such as
/// Shopify's mandatory privacy webhooks: the delivery names its shop, and it is verified
/// with each connection of that shop here. Unverifiable, unknown and unconnected shops
/// get the same 401 `bad_signature`.
#[utoipa::path(post, path = "/webhooks/{platform}", security(()), tag = "webhooks",
    params(("platform" = String, Path, description = "The platform id")),
    request_body(content = String, description = "The platform's raw, signed body"),
    responses((status = 200, body = AppliedCounts), BadRequest, Unauthorized, Unavailable))]
pub async fn app_webhook(
    State(app): State<AppState>, Path(platform): Path<String>, headers: HeaderMap, body: Bytes,
) -> ApiResult<Response> {
    let request = super::webhooks::webhook_request(&headers, body);
    let registry = app.inbox.registry();
    let platform_id = registry.platforms().find(|p| p.as_str() == platform).cloned();
    let named = platform_id
        .as_ref()
        .and_then(|p| registry.webhook_shop(p, &request))
        .filter(|s| !s.is_empty() && s.len() <= MAX_SHOP_CHARS)
        .ok_or_else(super::webhooks::unverified)?;
    let mut counts = AppliedCounts::default();
    let mut verified = false;
    for shop in app.inbox.shops_named(&platform, &named).await? {
        let route = super::webhooks::Route::Webhook;
        let Ok(events) = super::webhooks::parse(&app, &shop, request.clone(), route).await else {
            continue;
        };
        verified = true;
        let applied = app.inbox.apply(&shop, events).await?.counts();
        counts = add(counts, applied);
    }
    if !verified {
        return Err(super::webhooks::unverified());
    }
    Ok(ApiJson(counts).into_response())
}

fn add(a: AppliedCounts, b: AppliedCounts) -> AppliedCounts {
    AppliedCounts {
        stored: a.stored + b.stored,
        duplicates: a.duplicates + b.duplicates,
        refused: a.refused + b.refused,
        orders: a.orders + b.orders,
        cart_events: a.cart_events + b.cart_events,
        profiles: a.profiles + b.profiles,
        authorizations: a.authorizations + b.authorizations,
        privacy_requests: a.privacy_requests + b.privacy_requests,
        ignored: a.ignored + b.ignored,
    }
}

/// The privacy requests platforms forwarded and what was done (owner only), newest
/// first.
#[utoipa::path(get, path = "/api/v1/privacy-requests", tag = "shops",
    responses((status = 200, body = Vec<PrivacyView>), Unauthorized, Forbidden))]
pub async fn privacy_requests(auth: Auth) -> JsonResult<Vec<PrivacyView>> {
    Ok(ApiJson(auth.inbox().privacy_requests(owner(&auth)?).await?))
}

/// One privacy request with its export (owner only).
#[utoipa::path(get, path = "/api/v1/privacy-requests/{request_id}", tag = "shops",
    params(("request_id" = String, Path, description = "The request")),
    responses((status = 200, body = PrivacyView), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn privacy_request(auth: Auth, ApiPath(id): ApiPath<String>) -> JsonResult<PrivacyView> {
    if id.len() > 64 {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "privacy request not found"));
    }
    Ok(ApiJson(auth.inbox().privacy_request_detail(owner(&auth)?, &id).await?))
}
