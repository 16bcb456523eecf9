//! The reply envelope (§4.2): the new error-code scheme (`code` 10000 = success, `msg`,
//! `sub_code`, `sub_msg`) or the old one (`err_no`, `message`), with `log_id` and `data`.

use serde::{Deserialize, Serialize};
use shopmux_contract::wire::lenient;

/// `code` of a successful reply in the new error-code scheme (official Java SDK
/// `DoudianOpResponse.isSuccess`: `code == "10000"`).
pub const CODE_SUCCESS: i64 = 10000;

/// The reply envelope. The new scheme (header
/// [`NO_OLD_ERR_CODE_HEADER`](super::NO_OLD_ERR_CODE_HEADER)) carries `code`,
/// `msg`, `sub_code`, `sub_msg`; older replies carry `err_no` and `message`. Both carry
/// `log_id` and `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse<T> {
    /// `code` (10000 = success); sent as a number or a string.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub code: Option<i64>,
    /// `msg`.
    pub msg: Option<String>,
    /// `sub_code`, e.g. `isv.business-failed:…`.
    pub sub_code: Option<String>,
    /// `sub_msg`.
    pub sub_msg: Option<String>,
    /// `err_no` (old scheme; 0 = success).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub err_no: Option<i64>,
    /// `message` (old scheme).
    pub message: Option<String>,
    /// `log_id`, for support tickets.
    pub log_id: Option<String>,
    /// `data`.
    pub data: Option<T>,
}

impl<T> ApiResponse<T> {
    /// `code == 10000`, or, for an old-scheme reply without `code`, `err_no == 0`.
    pub fn is_success(&self) -> bool {
        match self.code {
            Some(code) => code == CODE_SUCCESS,
            None => self.err_no == Some(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::TokenData;
    use serde_json::Value;

    #[test]
    fn reply_envelopes() {
        let new: ApiResponse<TokenData> = serde_json::from_str(
            r#"{"code":10000,"msg":"success","sub_code":"","sub_msg":"","log_id":"2023","data":{"access_token":"a","expires_in":604800,"refresh_token":"r"}}"#,
        )
        .expect("parses");
        assert!(new.is_success());
        assert_eq!(new.data.as_ref().map(|data| data.expires_in), Some(604800));
        let failed: ApiResponse<Value> = serde_json::from_str(
            r#"{"code":"40004","msg":"业务处理失败","sub_code":"isv.business-failed:1","sub_msg":"x","log_id":"1"}"#,
        )
        .expect("parses");
        assert!(!failed.is_success());
        let old: ApiResponse<Value> =
            serde_json::from_str(r#"{"err_no":0,"message":"success","data":{}}"#).expect("parses");
        assert!(old.is_success());
        let text = format!("{:?}", new.data.expect("data"));
        assert!(!text.contains("\"a\"") && !text.contains("refresh_token: \"r\""));
    }
}
