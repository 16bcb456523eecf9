//! The error codes the AliExpress simulator answers with.
//!
//! Gateway errors are the IOP body `{"type", "code", "message", "request_id"}` with HTTP
//! 200 (the IOP SDK reads errors from the body: `code != "0"`). Sources:
//! `IncompleteSignature` with its message is quoted from a Lazada IOP error reply (same
//! gateway); `IllegalAccessToken` ("The specified access token is invalid or expired"),
//! `InvalidAppKey` and `ApiCallLimit` are quoted by third-party AliExpress/Lazada clients.
//! The others were not found in any source and are the simulator's choice, marked
//! "chosen". Business refusals of the message centre are not gateway errors: they come
//! inside a successful reply (`is_success: false` with `error_code` / `sub_error_code`),
//! with codes of the simulator's own (no AliExpress list was found).

/// Wrong or unknown `app_key`.
pub const INVALID_APP_KEY: &str = "InvalidAppKey";
/// A required parameter (`sign`, `timestamp`, `method`, a business parameter) is missing
/// (chosen).
pub const MISSING_PARAMETER: &str = "MissingParameter";
/// A parameter is malformed: `sign_method` other than `sha256`, unreadable JSON
/// (chosen).
pub const INVALID_PARAMETER: &str = "InvalidParameter";
/// `timestamp` unreadable or outside the tolerance (chosen).
pub const INVALID_TIMESTAMP: &str = "InvalidTimestamp";
/// `sign` does not match.
pub const INCOMPLETE_SIGNATURE: &str = "IncompleteSignature";
/// The seller token is unknown, revoked or expired.
pub const ILLEGAL_ACCESS_TOKEN: &str = "IllegalAccessToken";
/// The refresh token is unknown, spent or expired (chosen).
pub const ILLEGAL_REFRESH_TOKEN: &str = "IllegalRefreshToken";
/// No such business method or system path (chosen).
pub const INVALID_API: &str = "InvalidApiPath";
/// Too many calls (ISP).
pub const API_CALL_LIMIT: &str = "ApiCallLimit";
/// The platform failed (`type` SYSTEM), with HTTP 5xx (chosen).
pub const SERVICE_UNAVAILABLE: &str = "ServiceUnavailable";

/// Business refusal: the relation does not exist or is another seller's.
pub const CHANNEL_NOT_FOUND: &str = "CHANNEL_NOT_FOUND";
/// Business refusal (`addmsg`): `seller_id` is not the token's seller.
pub const SELLER_MISMATCH: i64 = 10001;
/// Business refusal (`addmsg`): the buyer has no relation and no order with the seller
/// (the seller cannot start a conversation from nothing; AE-INIT-1, AE-WIN-2/3).
pub const NO_RELATION: i64 = 10002;
/// Business refusal (`addmsg`): an `order` message names an order that is not this
/// buyer's in this shop, or a `product` message has no product id.
pub const BAD_EXTERN_ID: i64 = 10003;
/// Business refusal (`addmsg`): no content and no image, or content over 2000 characters.
pub const BAD_CONTENT: i64 = 10004;
/// Business refusal (order look-up): no such order in this shop.
pub const ORDER_NOT_FOUND: &str = "ORDER_NOT_FOUND";
