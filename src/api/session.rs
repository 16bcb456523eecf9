//! Web sessions for the browser inbox: sign in with a login and a password (the
//! `shopmux_session` cookie and a CSRF token come back), read the session at page
//! load, and sign out. Sign-in is rate limited per login and per client address before
//! any password is verified; an unknown login and a wrong password get one answer.

use super::AppState;
use super::cookie;
use super::doc::{BadRequest, Forbidden, TooManyRequests, Unauthorized};
use super::error::{ApiError, ApiResult, Ok as OkBody};
use super::extract::{ApiJson, ClientAddr, CookieSession};
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use shopmux_core::domain::model::Agent;
use shopmux_core::domain::sign_in::Password;
use utoipa::ToSchema;

/// A sign-in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    /// The account's login (case does not matter).
    pub login: String,
    /// Its password.
    #[schema(value_type = String, format = Password)]
    pub password: Password,
}

/// The signed-in account and the token its writes carry in `X-CSRF-Token`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The account.
    pub agent: Agent,
    /// Send it as `X-CSRF-Token` with every request that is not GET, HEAD or OPTIONS.
    pub csrf_token: String,
}

/// Sign in with a login and a password. Sets the `shopmux_session` cookie
/// (`HttpOnly; SameSite=Strict`; `Secure` by `server.secure_cookies`). An unknown login
/// and a wrong password both answer 401 `sign_in_failed`; too many attempts per login
/// or per address answer 429 `too_many_attempts` with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/session", tag = "agents", request_body = SignIn,
    security(()),
    responses((status = 200, body = SessionView,
            headers(("Set-Cookie" = String, description = "`shopmux_session=…; HttpOnly; SameSite=Strict; Path=/; Max-Age=…`"))),
        BadRequest, Unauthorized, Forbidden, TooManyRequests))]
pub async fn sign_in(
    State(app): State<AppState>, ClientAddr(address): ClientAddr, headers: HeaderMap,
    ApiJson(input): ApiJson<SignIn>,
) -> ApiResult<Response> {
    if cookie::same_origin(&headers) == Some(false) {
        return Err(ApiError::csrf_failed("the request's `Origin` is not this host"));
    }
    if let Err(retry) = app.sign_in_limits.begin(&input.login, address) {
        return Err(ApiError::too_many_attempts(retry.0));
    }
    let signed_in = app.inbox.sign_in(&input.login, input.password).await?;
    let Some(signed_in) = signed_in else {
        return Err(ApiError::sign_in_failed());
    };
    app.sign_in_limits.succeeded(&input.login);
    let now = app.inbox.clock().now();
    let max_age = (signed_in.session.expires_at - now).num_seconds();
    let secure = cookie::secure(app.secure_cookies, &headers);
    let set_cookie = cookie::set_cookie(&signed_in.token, max_age, secure);
    let body = SessionView { agent: signed_in.agent, csrf_token: signed_in.session.csrf_token };
    Ok(([(header::SET_COOKIE, set_cookie)], ApiJson(body)).into_response())
}

/// The signed-in account and its CSRF token, for the session cookie (the page asks at
/// load); 401 without a live session.
#[utoipa::path(get, path = "/api/v1/session", tag = "agents", security(("cookie" = [])),
    responses((status = 200, body = SessionView), Unauthorized))]
pub async fn get_session(web: CookieSession) -> ApiJson<SessionView> {
    ApiJson(SessionView { agent: web.viewer.agent, csrf_token: web.session.csrf_token })
}

/// Sign out: ends the session (the cookie is worthless from now on) and clears the
/// cookie. Needs `X-CSRF-Token` like every write.
#[utoipa::path(delete, path = "/api/v1/session", tag = "agents", security(("cookie" = [])),
    responses((status = 200, body = OkBody), Unauthorized, Forbidden))]
pub async fn sign_out(web: CookieSession, headers: HeaderMap) -> ApiResult<Response> {
    web.app.inbox.sign_out(&web.token).await?;
    let clear = cookie::clear_cookie(cookie::secure(web.app.secure_cookies, &headers));
    Ok(([(header::SET_COOKIE, clear)], ApiJson(OkBody { ok: true })).into_response())
}
