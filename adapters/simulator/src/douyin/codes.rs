//! The `code` / `sub_code` values the Douyin simulator answers with.
//!
//! Replies use the new error-code scheme (`code`, `msg`, `sub_code`, `sub_msg`, `log_id`,
//! `data`; 10000 = success), always, as if the client had sent `x-open-no-old-err-code: 1`
//! (§4.2). Every answer is HTTP 200 except the server-error faults. Errors carry
//! `"data": null`.
//!
//! Codes and sub-codes not marked "chosen" are from the platform's "平台基础错误码汇总"
//! (op.jinritemai.com/docs/guide-docs/212/1427) as two independent third-party SDK tables
//! reproduce it; the page itself was not read. Sub-codes marked "chosen" are the
//! simulator's, where no platform value was found.

/// Success.
pub const SUCCESS: i64 = 10000;
/// Service unavailable (the server-error faults, with [`sub::SERVICE_ERROR`]).
pub const SERVICE_UNAVAILABLE: i64 = 20000;
/// A required platform parameter is missing (缺少必选参数（平台校验）).
pub const MISSING_PARAMETER: i64 = 40001;
/// A required business parameter is missing (缺少必选参数（业务校验）).
pub const MISSING_BUSINESS_PARAMETER: i64 = 40002;
/// A platform parameter is invalid (非法的参数（平台校验）): signature, token, app key,
/// timestamp, `param_json`.
pub const INVALID_PARAMETER: i64 = 40003;
/// Token generation failed (平台处理失败): `token.create` / `token.refresh` refusals.
pub const TOKEN_FAILED: i64 = 50001;
/// Business processing failed (业务处理失败).
pub const BUSINESS_FAILED: i64 = 50002;
/// Rate limited (触发限流，请稍后重试). Answered with HTTP 200 and no `retry-after`
/// (chosen: the platform's rate limit is reported as this code; its HTTP status and headers
/// were not found).
pub const RATE_LIMITED: i64 = 60000;
/// No such API, or taken offline (接口服务已下线).
pub const API_OFFLINE: i64 = 70000;

/// `sub_code` values.
pub mod sub {
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
}
