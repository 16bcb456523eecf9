//! Extractors with the API's error format: JSON bodies, paths, queries, the caller —
//! a bearer token or the web session cookie (with its CSRF checks) turning a request
//! into a [`Viewer`] — and the client's address.

use super::AppState;
use super::cookie;
use super::error::ApiError;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts};
use axum::http::request::Parts;
use shopmux_core::domain::sign_in::WebSession;
use shopmux_core::domain::viewer::Viewer;
use std::net::SocketAddr;

/// `axum::Json` with the API's rejection; a body must be a JSON object (serde would
/// also read a struct from an array, which the OpenAPI document does not allow).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(ObjectOnly(value)) =
            axum::Json::<ObjectOnly<T>>::from_request(req, state).await?;
        Ok(Self(value))
    }
}

/// A value read only from a JSON object.
struct ObjectOnly<T>(T);

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Object<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Object<T> {
            type Value = T;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Object(std::marker::PhantomData)).map(ObjectOnly)
    }
}

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
    /// What it authenticated with (a live stream checks it again when accounts change).
    pub credential: Credential,
}

/// What a request authenticated with.
#[derive(Clone)]
pub enum Credential {
    /// A bearer token.
    Token(String),
    /// The web session cookie's token.
    Session(String),
}

impl Auth {
    /// The inbox engine.
    pub fn inbox(&self) -> &shopmux_core::Inbox {
        &self.app.inbox
    }

    /// The viewer as the credential gives it now: none once the token was revoked, the
    /// session ended or the account was deactivated.
    pub async fn recheck(&self) -> Result<Option<Viewer>, ApiError> {
        Ok(match &self.credential {
            Credential::Token(token) => self.app.inbox.authenticate(token).await?,
            Credential::Session(token) => self.app.inbox.web_session(token).await?.map(|v| v.0),
        })
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

/// Whether the request opens a WebSocket (the live stream).
fn is_websocket(parts: &Parts) -> bool {
    let upgrade = parts.headers.get(axum::http::header::UPGRADE);
    parts.uri.path().ends_with("/stream")
        || upgrade.is_some_and(|u| u.as_bytes().eq_ignore_ascii_case(b"websocket"))
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    /// A bearer token (unchanged; no CSRF token needed), or else the session cookie
    /// with its CSRF checks; then the account's rate limit (429 `rate_limited`).
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Browsers cannot set headers on a WebSocket; the stream also takes ?access_token=.
        let token = bearer(parts).or_else(|| {
            if parts.uri.path().ends_with("/stream") { query_token(parts) } else { None }
        });
        let (viewer, credential) = match token {
            Some(token) => {
                let viewer =
                    state.inbox.authenticate(token).await?.ok_or_else(ApiError::unauthorized)?;
                (viewer, Credential::Token(token.to_owned()))
            }
            None => {
                let web = CookieSession::from_request_parts(parts, state).await?;
                (web.viewer, Credential::Session(web.token))
            }
        };
        if let Err(retry) = state.api_limits.check(viewer.agent.id) {
            return Err(ApiError::rate_limited(retry.0));
        }
        Ok(Auth { viewer, app: state.clone(), credential })
    }
}

/// A request authenticated by the web session cookie (and only by it), its CSRF checks
/// passed: a write (not GET, HEAD or OPTIONS) carries the session's `X-CSRF-Token` and,
/// if it has an `Origin`, one matching its `Host`; a WebSocket must have a matching
/// `Origin` (cross-site WebSocket hijacking). Otherwise 403 `csrf_failed`.
pub struct CookieSession {
    /// Who is asking.
    pub viewer: Viewer,
    /// The session.
    pub session: WebSession,
    /// The cookie's token (to end the session).
    pub token: String,
    /// The daemon's state.
    pub app: AppState,
}

impl FromRequestParts<AppState> for CookieSession {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = cookie::session_token(&parts.headers).ok_or_else(ApiError::unauthorized)?;
        let (viewer, session) =
            state.inbox.web_session(token).await?.ok_or_else(ApiError::unauthorized)?;
        let same_origin = cookie::same_origin(&parts.headers);
        if is_websocket(parts) {
            if same_origin != Some(true) {
                return Err(ApiError::csrf_failed(
                    "a stream opened with the session cookie needs an `Origin` matching the `Host`",
                ));
            }
        } else if !cookie::is_safe(&parts.method) {
            if !cookie::carries_csrf_token(&parts.headers, &session.csrf_token) {
                return Err(ApiError::csrf_failed(
                    "a write with the session cookie needs the session's `X-CSRF-Token`",
                ));
            }
            if same_origin == Some(false) {
                return Err(ApiError::csrf_failed("the request's `Origin` is not this host"));
            }
        }
        Ok(CookieSession { viewer, session, token: token.to_owned(), app: state.clone() })
    }
}

/// The client's address, for the sign-in limits (see [`cookie::client_address`]).
pub struct ClientAddr(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>();
        Ok(ClientAddr(cookie::client_address(peer, &parts.headers)))
    }
}

/// Requests only the main account may make go through this.
pub fn owner(auth: &Auth) -> Result<&Viewer, ApiError> {
    auth.viewer.require_owner()?;
    Ok(&auth.viewer)
}
