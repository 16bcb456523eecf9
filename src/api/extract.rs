//! Extractors with the API's error format: JSON bodies, paths, queries, and the bearer
//! token that turns a request into a [`Viewer`].

use super::AppState;
use super::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::request::Parts;
use shopmux_core::domain::viewer::Viewer;

/// `axum::Json` with the API's rejection.
#[derive(Debug, Clone, Copy, Default, FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// `axum::extract::Path` with the API's rejection.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct ApiPath<T>(pub T);

/// `axum::extract::Query` with the API's rejection.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct ApiQuery<T>(pub T);

/// The authenticated caller, with the daemon's state it asks.
#[derive(Clone)]
pub struct Auth {
    /// Who is asking.
    pub viewer: Viewer,
    /// The daemon's state.
    pub app: AppState,
}

impl Auth {
    /// The inbox engine.
    pub fn inbox(&self) -> &shopmux_core::Inbox {
        &self.app.inbox
    }
}

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

fn query_token(parts: &Parts) -> Option<&str> {
    parts.uri.query()?.split('&').find_map(|kv| kv.strip_prefix("access_token="))
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Browsers cannot set headers on a WebSocket; the stream also takes ?access_token=.
        let token =
            bearer(parts)
                .or_else(|| {
                    if parts.uri.path().ends_with("/stream") { query_token(parts) } else { None }
                })
                .ok_or_else(ApiError::unauthorized)?;
        let viewer = state.inbox.authenticate(token).await?.ok_or_else(ApiError::unauthorized)?;
        Ok(Auth { viewer, app: state.clone() })
    }
}

/// Requests only the main account may make go through this.
pub fn owner(auth: &Auth) -> Result<&Viewer, ApiError> {
    auth.viewer.require_owner()?;
    Ok(&auth.viewer)
}
