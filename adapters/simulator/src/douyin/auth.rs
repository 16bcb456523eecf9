//! The Douyin simulator's envelope checks (§4.1–4.2) and its token calls, `token.create` and
//! `token.refresh`.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::Shared;
use super::api::ApiError;
use super::codes::{self, sub};
use super::sign::{API_VERSION, SignMethod, request_sign};
use super::wire::{method, method_path};
use crate::lock;
use crate::server::Received;
use crate::signing::same_hex;
use crate::tokens::{TokenPair, TokenProblem};

/// Methods the simulator serves.
const KNOWN_METHODS: [&str; 4] =
    [method::TOKEN_CREATE, method::TOKEN_REFRESH, method::ORDER_DETAIL, method::PRODUCT_LIST_V2];

/// A verified call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Dotted method name.
    pub(crate) method: String,
    /// The business parameters (`param_json`).
    pub(crate) params: Map<String, Value>,
    /// The access token's shop (`None` for `token.*`).
    pub(crate) shop_id: Option<String>,
}

impl Shared {
    /// Runs the envelope checks, in the order the module docs give.
    pub(crate) fn verify(&self, received: &Received) -> Result<Call, ApiError> {
        if received.query.is_none() {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER,
                sub::PARAMETER_FORMAT_INVALID,
                "查询参数无法解析",
            ));
        }
        match received.param("app_key") {
            None | Some("") => {
                return Err(ApiError::new(
                    codes::MISSING_PARAMETER,
                    sub::APP_ID_MISSING,
                    "认证失败，app_key不存在",
                ));
            }
            Some(key) if key != self.common.app_key => {
                return Err(ApiError::new(
                    codes::INVALID_PARAMETER,
                    sub::APP_ID_INVALID,
                    "认证失败，app_key不正确",
                ));
            }
            Some(_) => {}
        }
        let method_name = received.present("method").ok_or_else(|| {
            ApiError::new(codes::MISSING_PARAMETER, sub::METHOD_MISSING, "缺少method")
        })?;
        if method_path(method_name).as_deref() != Some(received.path.as_str()) {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER,
                sub::METHOD_INVALID,
                "method与请求路径不一致",
            ));
        }
        if received.param("v") != Some(API_VERSION) {
            return Err(ApiError::new(codes::INVALID_PARAMETER, sub::VERSION_INVALID, "v必须为2"));
        }
        let now = self.common.now();
        let timestamp = self.checked_timestamp(received, now)?;
        let param_json = self.checked_sign(received, method_name, timestamp)?;
        let params = match serde_json::from_str::<Value>(param_json) {
            Ok(Value::Object(params)) => params,
            _ => {
                return Err(ApiError::new(
                    codes::INVALID_PARAMETER,
                    sub::PARAMETER_FORMAT_INVALID,
                    "业务参数json解析失败",
                ));
            }
        };
        if !KNOWN_METHODS.contains(&method_name) {
            return Err(ApiError::new(
                codes::API_OFFLINE,
                sub::API_SERVICE_OFF,
                "API不存在或API已下线",
            ));
        }
        let is_token_call =
            method_name == method::TOKEN_CREATE || method_name == method::TOKEN_REFRESH;
        let shop_id = if is_token_call { None } else { Some(self.token_shop(received, now)?) };
        Ok(Call { method: method_name.to_owned(), params, shop_id })
    }

    /// `timestamp` present, readable and within the tolerance of `now`.
    fn checked_timestamp<'r>(
        &self, received: &'r Received, now: DateTime<Utc>,
    ) -> Result<&'r str, ApiError> {
        let timestamp = received.present("timestamp").ok_or_else(|| {
            ApiError::new(codes::MISSING_PARAMETER, sub::TIMESTAMP_MISSING, "缺少timestamp")
        })?;
        let sent_at = parse_timestamp(timestamp).ok_or_else(|| {
            ApiError::new(codes::INVALID_PARAMETER, sub::TIMESTAMP_FORMAT_ERROR, "时间戳格式错误")
        })?;
        if (now - sent_at).abs() > self.common.timestamp_tolerance {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER,
                sub::TIMESTAMP_INVALID,
                "时间戳不合法",
            ));
        }
        Ok(timestamp)
    }

    /// `sign_method` known and `sign` the §4.2 signature of the body as `param_json`,
    /// computed with the simulator's own [`request_sign`]; returns the body as text.
    fn checked_sign<'r>(
        &self, received: &'r Received, method_name: &str, timestamp: &str,
    ) -> Result<&'r str, ApiError> {
        let sign_method =
            SignMethod::from_param(received.param("sign_method")).ok_or_else(|| {
                ApiError::new(
                    codes::INVALID_PARAMETER,
                    sub::SIGN_METHOD_INVALID,
                    "sign_method只能为hmac-sha256或md5",
                )
            })?;
        let sign = received.present("sign").ok_or_else(|| {
            ApiError::new(
                codes::MISSING_PARAMETER,
                sub::SIGNATURE_MISSING,
                "获取签名失败，请根据文档确保参数拼装正确",
            )
        })?;
        let signature_invalid =
            || ApiError::new(codes::INVALID_PARAMETER, sub::SIGNATURE_INVALID, "签名校验失败");
        let param_json = std::str::from_utf8(&received.body).map_err(|_| signature_invalid())?;
        let expected = request_sign(
            &self.common.app_key,
            &self.common.app_secret,
            method_name,
            param_json,
            timestamp,
            sign_method,
        );
        if !same_hex(&expected, sign) {
            return Err(signature_invalid());
        }
        Ok(param_json)
    }

    /// The shop whose live token `access_token` is.
    fn token_shop(&self, received: &Received, now: DateTime<Utc>) -> Result<String, ApiError> {
        let token = received.present("access_token").ok_or_else(|| {
            ApiError::new(
                codes::MISSING_PARAMETER,
                sub::ACCESS_TOKEN_MISSING,
                "认证失败，access_token不能为空",
            )
        })?;
        let state = lock(&self.state);
        match state.tokens.check_access(token, now) {
            Ok(shop_id) => Ok(shop_id.to_owned()),
            Err(TokenProblem::Unknown) => Err(ApiError::new(
                codes::INVALID_PARAMETER,
                sub::ACCESS_TOKEN_NO_EXISTED,
                "access_token不存在，请使用最新的access_token访问",
            )),
            Err(TokenProblem::Expired) => Err(ApiError::new(
                codes::INVALID_PARAMETER,
                sub::ACCESS_TOKEN_EXPIRED,
                "access_token已过期",
            )),
        }
    }

    /// `token.create`: `authorization_self` with a configured `shop_id`, or
    /// `authorization_code` with a shop's configured `code`.
    pub(crate) fn token_create(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        let shop_id = match param_text(params, "grant_type").as_deref() {
            Some("authorization_self") => {
                let shop_id = param_text(params, "shop_id").unwrap_or_default();
                self.shop_name(&shop_id).map(|_| shop_id).ok_or_else(|| {
                    ApiError::new(
                        codes::TOKEN_FAILED,
                        sub::NO_AUTHORIZATION,
                        "生成token失败，店铺授权已失效，请重新引导商家完成店铺授权",
                    )
                })?
            }
            Some("authorization_code") => {
                let code = param_text(params, "code").unwrap_or_default();
                self.shops
                    .iter()
                    .find(|(_, _, auth_code)| {
                        !code.is_empty() && auth_code.as_deref() == Some(&code)
                    })
                    .map(|(id, _, _)| id.clone())
                    .ok_or_else(|| {
                        ApiError::new(
                            codes::TOKEN_FAILED,
                            sub::CODE_INVALID,
                            "生成token失败，code参数不正确，请引导商家重新授权获取code",
                        )
                    })?
            }
            _ => return Err(grant_type_invalid()),
        };
        let now = self.common.now();
        let pair = lock(&self.state).tokens.issue(&shop_id, now, self.common.ttl);
        Ok(self.token_data(&shop_id, &pair, now))
    }

    /// `token.refresh`: `grant_type=refresh_token` and a live refresh token.
    pub(crate) fn token_refresh(&self, params: &Map<String, Value>) -> Result<Value, ApiError> {
        if param_text(params, "grant_type").as_deref() != Some("refresh_token") {
            return Err(grant_type_invalid());
        }
        let refresh_token = param_text(params, "refresh_token").unwrap_or_default();
        let now = self.common.now();
        let (shop_id, pair) = lock(&self.state)
            .tokens
            .refresh(&refresh_token, now, self.common.ttl)
            .map_err(|problem| match problem {
                TokenProblem::Unknown => ApiError::new(
                    codes::TOKEN_FAILED,
                    sub::TOKEN_INVALID,
                    "生成token失败，token不存在",
                ),
                TokenProblem::Expired => ApiError::new(
                    codes::TOKEN_FAILED,
                    sub::TOKEN_EXPIRED,
                    "生成token失败，token已过期",
                ),
            })?;
        Ok(self.token_data(&shop_id, &pair, now))
    }

    fn token_data(&self, shop_id: &str, pair: &TokenPair, now: DateTime<Utc>) -> Value {
        json!({
            "access_token": pair.access_token,
            "expires_in": (pair.access_expires_at - now).num_seconds(),
            "refresh_token": pair.refresh_token,
            "scope": "SCOPE",
            "shop_id": crate::id_value(shop_id),
            "shop_name": self.shop_name(shop_id).unwrap_or_default(),
        })
    }
}

fn grant_type_invalid() -> ApiError {
    ApiError::new(
        codes::TOKEN_FAILED,
        sub::GRANT_TYPE_INVALID,
        "生成token失败，grant_type参数取值不正确",
    )
}

/// A business parameter as text, whether sent as a string or a number.
pub(crate) fn param_text(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// `timestamp` as Unix seconds, or as `yyyy-MM-dd HH:mm:ss` in GMT+8 (§4.1).
fn parse_timestamp(raw: &str) -> Option<DateTime<Utc>> {
    if raw.bytes().all(|byte| byte.is_ascii_digit()) {
        let seconds = raw.parse::<i64>().ok()?;
        return Utc.timestamp_opt(seconds, 0).single();
    }
    let naive = NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S").ok()?;
    let beijing = FixedOffset::east_opt(8 * 3600)?;
    beijing.from_local_datetime(&naive).single().map(|time| time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_both_formats() {
        let unix = parse_timestamp("1700000000").expect("unix seconds");
        assert_eq!(unix.timestamp(), 1_700_000_000);
        // 1700000000 is 2023-11-14 22:13:20 UTC, 2023-11-15 06:13:20 in GMT+8.
        let beijing = parse_timestamp("2023-11-15 06:13:20").expect("datetime");
        assert_eq!(beijing.timestamp(), 1_700_000_000);
        assert!(parse_timestamp("yesterday").is_none());
        assert!(parse_timestamp("").is_none());
    }
}
