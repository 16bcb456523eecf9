//! What the AliExpress and Lazada simulators share as two gateways of one platform, IOP
//! (platform-apis.md §3): the gateway error codes, the error body and the server-error
//! answer. The request signature both check is [`crate::signing::iop_sign`].
//!
//! Gateway errors are the body `{"type", "code", "message", "request_id"}`: HTTP 200 for a
//! refusal (the IOP SDKs read errors from the body: `code != "0"`), 5xx for the server-error
//! faults.
//!
//! The gateway error codes below are the same on both gateways. Sources:
//! `IncompleteSignature` ("The request signature does not conform to platform standards")
//! and `IllegalAccessToken` ("The specified access token is invalid or expired") are quoted
//! from Lazada IOP replies by third-party clients, `InvalidAppKey` and `ApiCallLimit` by
//! third-party AliExpress/Lazada clients; the others were not found in any source and are
//! the simulator's choice ("chosen").

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::server::Common;

/// Wrong or unknown `app_key`.
pub const INVALID_APP_KEY: &str = "InvalidAppKey";
/// A required parameter is missing (chosen).
pub const MISSING_PARAMETER: &str = "MissingParameter";
/// A parameter is malformed: `sign_method` other than `sha256`, unreadable JSON, a
/// value out of range (chosen).
pub const INVALID_PARAMETER: &str = "InvalidParameter";
/// `timestamp` unreadable or outside the tolerance (chosen).
pub const INVALID_TIMESTAMP: &str = "InvalidTimestamp";
/// `sign` does not match.
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignature";
/// The access token is unknown, revoked or expired.
pub const ILLEGAL_ACCESS_TOKEN: &str = "IllegalAccessToken";
/// The refresh token is unknown, spent or expired (chosen).
pub const ILLEGAL_REFRESH_TOKEN: &str = "IllegalRefreshToken";
/// No such API (method or path), or the wrong HTTP method for it (chosen).
pub const INVALID_API: &str = "InvalidApiPath";
/// Too many calls (ISP; recalled, not confirmed).
pub const API_CALL_LIMIT: &str = "ApiCallLimit";
/// The platform failed (`type` SYSTEM), with HTTP 5xx (chosen).
pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";

/// A gateway error body: `type` (`ISV`, `ISP` or `SYSTEM`), `code`, `message` and a fresh
/// `request_id`.
pub(crate) fn error_body(common: &Common, kind: &str, code: &str, message: &str) -> Value {
    json!({
        "type": kind,
        "code": code,
        "message": message,
        "request_id": common.request_id(),
    })
}

/// The answer to a server-error fault: `status` and a SYSTEM error saying `message`.
pub(crate) fn server_error(common: &Common, status: StatusCode, message: &str) -> Response {
    let body = error_body(common, "SYSTEM", SERVICE_UNAVAILABLE, message);
    (status, axum::Json(body)).into_response()
}
