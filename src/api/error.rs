//! The API's error body, `{"error":{"code":"...","message":"..."}}`, and the mapping of
//! every failure to a status code: core errors, malformed JSON, bad paths and queries,
//! oversize bodies, missing auth. A malformed request always gets a 4xx, never a 500.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use shopmux_core::CoreError;
use utoipa::ToSchema;

/// The error body of every failed request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code (`not_found`, `invalid_field`, `malformed_json`...).
    pub code: String,
    /// A human explanation.
    pub message: String,
    /// The offending field, when one is to blame.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For `rule_violation`: the platform rule ID that refuses the action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// For `rule_violation`: when the window closed, if it was open before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_closed_at: Option<chrono::DateTime<chrono::Utc>>,
    /// For `policy_warning`: where the message breaks the shop's contact policies
    /// (acknowledge their IDs in `acknowledged_policies` to send it anyway).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub findings: Option<Vec<shopmux_core::domain::compliance::Finding>>,
}

/// A failed request.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
    refusal: Option<Box<shopmux_core::domain::rules::Refusal>>,
    retry_after: Option<u64>,
    findings: Option<Vec<shopmux_core::domain::compliance::Finding>>,
}

/// The result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;

/// The result of a handler that answers a JSON body.
pub type JsonResult<T> = Result<super::extract::ApiJson<T>, ApiError>;

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            field: None,
            refusal: None,
            retry_after: None,
            findings: None,
        }
    }

    /// 401: no or unknown token, no or ended web session.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid `Authorization: Bearer <token>` header or session cookie is required",
        )
    }

    /// 401 `sign_in_failed`: the one answer to an unknown login, an account without a
    /// password and a wrong password.
    pub fn sign_in_failed() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "sign_in_failed", "the login or the password is wrong")
    }

    /// 429 `too_many_attempts`, with `Retry-After`.
    pub fn too_many_attempts(retry_after_secs: u64) -> Self {
        let message = format!("too many sign-in attempts; try again in {retry_after_secs} s");
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "too_many_attempts", message);
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// 429 `rate_limited`: over a rate limit (an account's `access.api_requests_per_minute`,
    /// the storefront's limits); `Retry-After` says when the next request is allowed.
    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let message = format!("too many requests; try again in {retry_after_secs} s");
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// 403 `csrf_failed`: a cookie-authenticated write without the session's
    /// `X-CSRF-Token`, or from another origin.
    pub fn csrf_failed(message: &str) -> Self {
        Self::new(StatusCode::FORBIDDEN, "csrf_failed", message)
    }

    /// 404 for an unknown route.
    pub fn no_route() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
    }

    /// A platform (its adapter) could not answer, in the registry's one vocabulary: a
    /// call the shop's platform does not offer is 409 `unsupported`, one its connection
    /// lacks the credentials for 409 `not_connected` (the shop's state, not a server
    /// fault); a failure that may pass is 503 `platform_unavailable` (try again); a
    /// refusal is 502 `platform_refused`.
    pub fn platform(e: shopmux_contract::AdapterError) -> Self {
        match e.code.as_str() {
            "unsupported" | "no_adapter" => {
                Self::new(StatusCode::CONFLICT, "unsupported", e.message)
            }
            "not_connected" | "missing_credential" => {
                Self::new(StatusCode::CONFLICT, "not_connected", e.message)
            }
            // A page cursor the platform does not (or no longer) know: the listing's
            // state, not the request's shape (cursors are opaque).
            "bad_cursor" => Self::new(StatusCode::CONFLICT, "bad_cursor", e.message),
            _ if e.retryable => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "platform_unavailable", e.to_string())
            }
            _ => Self::new(StatusCode::BAD_GATEWAY, "platform_refused", e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (rule, window_closed_at) = match self.refusal {
            Some(r) => (Some(r.rule), r.window_closed_at),
            None => (None, None),
        };
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.into(),
                message: self.message,
                field: self.field,
                rule,
                window_closed_at,
                findings: self.findings,
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::NotFound(what) => {
                Self::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
            }
            CoreError::Forbidden(m) => Self::new(StatusCode::FORBIDDEN, "forbidden", m),
            CoreError::Invalid { field, message } => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_field",
                message: format!("{field}: {message}"),
                field: Some(field),
                refusal: None,
                retry_after: None,
                findings: None,
            },
            CoreError::Unprocessable { code, field, message } => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code,
                message: format!("{field}: {message}"),
                field: Some(field),
                refusal: None,
                retry_after: None,
                findings: None,
            },
            CoreError::RuleViolation(refusal) => Self {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "rule_violation",
                message: refusal.message.clone(),
                field: None,
                refusal: Some(Box::new(refusal)),
                retry_after: None,
                findings: None,
            },
            CoreError::PolicyWarning(findings) => {
                let ids = shopmux_core::domain::compliance::policy_ids(&findings).join(", ");
                let mut e = Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "policy_warning",
                    format!(
                        "the message breaks the shop's contact policies {ids}; send it with \
                         `acknowledged_policies` to send it anyway"
                    ),
                );
                e.findings = Some(findings);
                e
            }
            CoreError::Conflict(m) => Self::new(StatusCode::CONFLICT, "conflict", m),
            CoreError::Unavailable(m) => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", m)
            }
            CoreError::Platform(e) => Self::platform(e),
            other => {
                tracing::error!(message = "Request failed.", error = %other);
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error; see the daemon's log",
                )
            }
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::JsonSyntaxError(e) => {
                Self::new(StatusCode::BAD_REQUEST, "malformed_json", e.body_text())
            }
            JsonRejection::JsonDataError(e) => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_body", e.body_text())
            }
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ),
            JsonRejection::BytesRejection(e) => Self::from(e),
            other => Self::new(other.status(), "bad_request", other.body_text()),
        }
    }
}

impl From<BytesRejection> for ApiError {
    fn from(r: BytesRejection) -> Self {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                "the request body is larger than server.max_body_bytes",
            )
        } else {
            Self::new(r.status(), "bad_request", r.body_text())
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(r: PathRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_path", r.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_query", r.body_text())
    }
}

impl From<axum::extract::ws::rejection::WebSocketUpgradeRejection> for ApiError {
    fn from(r: axum::extract::ws::rejection::WebSocketUpgradeRejection) -> Self {
        let message = format!("this endpoint is a WebSocket: {}", r.body_text());
        Self::new(StatusCode::BAD_REQUEST, "not_websocket", message)
    }
}

/// The body of a 2xx answer with nothing else to say.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ok {
    /// Always true.
    pub ok: bool,
}
