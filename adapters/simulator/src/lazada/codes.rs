//! The error codes the Lazada simulator answers with.
//!
//! Gateway errors are the IOP body `{"type", "code", "message", "request_id"}` with HTTP 200
//! (Lazada's SDK reads errors from the body: `code != "0"`), except the fault middleware's
//! server errors (HTTP 5xx) and rate limits (HTTP 429 with `retry-after`, chosen). The
//! gateway codes are the AliExpress gateway's (sources in `src/iop.rs`).
//! IM refusals are not gateway errors: `code` `"0"` with `success: false`, `err_code` and
//! `err_message`; only `-22` (order older than 30 days) is Lazada's, from OpenSession's
//! documentation.

pub use crate::iop::{
    API_CALL_LIMIT, ILLEGAL_ACCESS_TOKEN, ILLEGAL_REFRESH_TOKEN, INCOMPLETE_SIGNATURE, INVALID_API,
    INVALID_APP_KEY, INVALID_PARAMETER, INVALID_TIMESTAMP, MISSING_PARAMETER, SERVICE_UNAVAILABLE,
};

/// IM refusal: no such session for this seller (chosen).
pub const SESSION_NOT_FOUND: &str = "SESSION_NOT_FOUND";
/// IM refusal: the read mark names a message not in the session (chosen).
pub const MESSAGE_NOT_FOUND: &str = "MESSAGE_NOT_FOUND";
/// IM refusal: no such order for this seller (chosen; GetOrder's is `16` "Invalid Order ID").
pub const ORDER_NOT_FOUND: &str = "16";
/// IM refusal: OpenSession on an order created more than 30 days ago (Lazada's).
pub const ORDER_OUT_OF_DAY_LIMIT: &str = "-22";
