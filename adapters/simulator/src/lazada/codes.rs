//! The error codes the Lazada simulator answers with.
//!
//! Gateway errors are the IOP body `{"type", "code", "message", "request_id"}` with HTTP 200
//! (Lazada's SDK reads errors from the body: `code != "0"`), except the fault middleware's
//! server errors (HTTP 5xx) and rate limits (HTTP 429 with `retry-after`, chosen). Sources:
//! `IllegalAccessToken` ("The specified access token is invalid or expired") and
//! `IncompleteSignature` ("The request signature does not conform to platform standards")
//! are quoted from Lazada replies by third-party clients; the others were not found and are
//! the simulator's choice ("chosen"), the same as the AliExpress simulator's (same gateway).
//! IM refusals are not gateway errors: `code` `"0"` with `success: false`, `err_code` and
//! `err_message`; only `-22` (order older than 30 days) is Lazada's, from OpenSession's
//! documentation.

/// Wrong or unknown `app_key` (chosen).
pub const INVALID_APP_KEY: &str = "InvalidAppKey";
/// A required parameter is missing (chosen).
pub const MISSING_PARAMETER: &str = "MissingParameter";
/// A parameter is malformed: `sign_method` other than `sha256`, `page_size` out of range,
/// an unknown template (chosen).
pub const INVALID_PARAMETER: &str = "InvalidParameter";
/// `timestamp` unreadable or more than the tolerance away from the clock (chosen).
pub const INVALID_TIMESTAMP: &str = "InvalidTimestamp";
/// `sign` does not match.
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignature";
/// The access token is unknown, revoked or expired.
pub const ILLEGAL_ACCESS_TOKEN: &str = "IllegalAccessToken";
/// The refresh token is unknown, spent or expired (chosen).
pub const ILLEGAL_REFRESH_TOKEN: &str = "IllegalRefreshToken";
/// No such API path, or the wrong HTTP method for it (chosen).
pub const INVALID_API: &str = "InvalidApiPath";
/// Too many calls (recalled, not confirmed).
pub const API_CALL_LIMIT: &str = "ApiCallLimit";
/// The platform failed (`type` SYSTEM), with HTTP 5xx (chosen).
pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";

/// IM refusal: no such session for this seller (chosen).
pub const SESSION_NOT_FOUND: &str = "SESSION_NOT_FOUND";
/// IM refusal: the read mark names a message not in the session (chosen).
pub const MESSAGE_NOT_FOUND: &str = "MESSAGE_NOT_FOUND";
/// IM refusal: no such order for this seller (chosen; GetOrder's is `16` "Invalid Order ID").
pub const ORDER_NOT_FOUND: &str = "16";
/// IM refusal: OpenSession on an order created more than 30 days ago (Lazada's).
pub const ORDER_OUT_OF_DAY_LIMIT: &str = "-22";
