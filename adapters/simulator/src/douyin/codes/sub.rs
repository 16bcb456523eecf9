//! `sub_code` values (the codes marked "chosen" are the simulator's).

/// No `app_key` (40001).
pub const APP_ID_MISSING: &str = "isv.app-id-missing";
/// No `sign` (40001).
pub const SIGNATURE_MISSING: &str = "isv.signature-missing";
/// No `access_token` on a business call (40001).
pub const ACCESS_TOKEN_MISSING: &str = "isv.access-token-missing";
/// No `method` (40001; chosen).
pub const METHOD_MISSING: &str = "isv.method-missing";
/// No `timestamp` (40001; chosen).
pub const TIMESTAMP_MISSING: &str = "isv.timestamp-missing";
/// `app_key` is not this app's (40003).
pub const APP_ID_INVALID: &str = "isv.app-id-invalid";
/// `sign` does not match (40003).
pub const SIGNATURE_INVALID: &str = "isv.signature-invalid";
/// `access_token` expired (40003).
pub const ACCESS_TOKEN_EXPIRED: &str = "isv.access-token-expired";
/// `access_token` unknown or replaced (40003).
pub const ACCESS_TOKEN_NO_EXISTED: &str = "isv.access-token-no-existed";
/// `timestamp` outside ±10 minutes (40003).
pub const TIMESTAMP_INVALID: &str = "isv.timestamp-invalid";
/// `timestamp` neither Unix seconds nor `yyyy-MM-dd HH:mm:ss` (40003).
pub const TIMESTAMP_FORMAT_ERROR: &str = "isv.timestamp-format-error";
/// The body is not a JSON object (40003).
pub const PARAMETER_FORMAT_INVALID: &str = "isv.parameter-format-invalid";
/// `method` is malformed or does not match the path (40003; chosen).
pub const METHOD_INVALID: &str = "isv.method-invalid";
/// `v` is not `2` (40003; chosen).
pub const VERSION_INVALID: &str = "isv.version-invalid";
/// `sign_method` is neither `hmac-sha256` nor `md5` (40003; chosen).
pub const SIGN_METHOD_INVALID: &str = "isv.sign-method-invalid";
/// A business parameter is missing (40002; chosen, suffixed with `:{name}`).
pub const MISSING_BUSINESS_PARAMETER: &str = "isv.missing-parameter";
/// `token.refresh` with an expired refresh token (50001).
pub const TOKEN_EXPIRED: &str = "dop.token-generate-failed:token-expired";
/// `token.refresh` with an unknown or used refresh token (50001).
pub const TOKEN_INVALID: &str = "dop.token-generate-failed:token-invalid";
/// `grant_type` not valid for the call (50001).
pub const GRANT_TYPE_INVALID: &str = "dop.token-generate-failed:grant-type-invalid";
/// `token.create` with an unknown `code` (50001).
pub const CODE_INVALID: &str = "dop.token-generate-failed:code-invalid";
/// `token.create` for a shop that has not authorized the app (50001).
pub const NO_AUTHORIZATION: &str = "dop.token-generate-failed:no-authorization";
/// A business parameter has a value the method does not take, e.g. a `product.listV2`
/// page out of range (40003; chosen).
pub const PARAMETER_INVALID: &str = "isv.parameter-invalid";
/// `order.orderDetail` for an order not in the token's shop (50002; chosen).
pub const ORDER_NOT_FOUND: &str = "isv.business-failed:order-not-found";
/// Rate limited (60000; chosen).
pub const RATE_LIMITED: &str = "isv.app-call-limited";
/// Unknown method (70000).
pub const API_SERVICE_OFF: &str = "isp.api-service-off";
/// Server error (20000).
pub const SERVICE_ERROR: &str = "dop.service-error";
