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
pub mod sub;
