//! Tokens (system APIs, §3.1): `/auth/token/create` from an authorization code and
//! `/auth/token/refresh`, and their flat reply (`code` `"0"` on success).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::reply::{lenient, top_level_error};
use super::request::{RequestContext, WireRequest, params, system_request};
use super::{WireError, method};

/// `/auth/token/create` from the authorization `code` (§3.1).
pub fn token_create(ctx: &RequestContext<'_>, code: &str) -> Result<WireRequest, WireError> {
    system_request(ctx, method::TOKEN_CREATE, params([("code", code.to_owned())]))
}

/// `/auth/token/refresh` (§3.1).
pub fn token_refresh(
    ctx: &RequestContext<'_>, refresh_token: &str,
) -> Result<WireRequest, WireError> {
    let params = params([("refresh_token", refresh_token.to_owned())]);
    system_request(ctx, method::TOKEN_REFRESH, params)
}

/// The `/auth/token/create` and `/auth/token/refresh` reply: flat, `code` `"0"` on success
/// (AliExpress doc "Refresh token /auth/token/refresh", response sample and field table).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenReply {
    /// `access_token`.
    pub access_token: Option<String>,
    /// `refresh_token`.
    pub refresh_token: Option<String>,
    /// `expires_in`: seconds the access token has left.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub expires_in: Option<i64>,
    /// `refresh_expires_in`: seconds the refresh token has left.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub refresh_expires_in: Option<i64>,
    /// `expire_time`: when the access token expires, epoch milliseconds.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub expire_time: Option<i64>,
    /// `refresh_token_valid_time`: when the refresh token expires, epoch milliseconds.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub refresh_token_valid_time: Option<i64>,
    /// `seller_id`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub seller_id: Option<String>,
    /// `user_id`.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub user_id: Option<String>,
    /// `account`: the seller's account (email).
    pub account: Option<String>,
    /// `user_nick`: the seller's login id.
    pub user_nick: Option<String>,
    /// `code`: `"0"` on success.
    #[serde(deserialize_with = "lenient::opt_string")]
    pub code: Option<String>,
    /// `request_id`.
    pub request_id: Option<String>,
}

/// Reads a token reply: a non-`"0"` `code` is a [`WireError::Gateway`].
pub fn parse_token_reply(raw_body: &[u8]) -> Result<TokenReply, WireError> {
    let root: serde_json::Map<String, Value> = serde_json::from_slice(raw_body)?;
    if let Some(error) = top_level_error(&root)? {
        return Err(WireError::Gateway(Box::new(error)));
    }
    Ok(serde_json::from_value(Value::Object(root))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::ctx;

    #[test]
    fn token_create_is_a_path_prefixed_system_call() {
        let ctx = RequestContext { session: None, ..ctx() };
        let request = token_create(&ctx, "3_500_abc").expect("builds");
        assert_eq!(request.url(), "https://api-sg.aliexpress.com/rest/auth/token/create");
        assert_eq!(request.param("method"), None);
        assert_eq!(
            request.param("sign"),
            Some("414A3443FE2A948B1D9A348BC0CBC56D712575BC7FECBB58C9CDAFEE0835CCDA")
        );
        assert!(matches!(
            system_request(&ctx, "auth/token/create", Vec::new()),
            Err(WireError::BadApiName(_))
        ));
        assert!(matches!(
            system_request(&ctx, "/auth/../x", Vec::new()),
            Err(WireError::BadApiName(_))
        ));
    }

    #[test]
    fn token_reply_matches_the_documented_sample() {
        // The field set and types of the doc's `/auth/token/refresh` sample.
        let body = br#"{"refresh_token_valid_time":1716784148000,"havana_id":"3000020000814","expire_time":1714192160000,"locale":"zh_CN","user_nick":"kr1000005815atrae","access_token":"a1","refresh_token":"r1","user_id":"2637908814","account_platform":"buyerApp","refresh_expires_in":5183988,"expires_in":2592000,"sp":"ae","seller_id":"2637908814","account":"x@example.com","code":"0","request_id":"212a69f317116001605067741"}"#;
        let reply = parse_token_reply(body).expect("parses");
        assert_eq!(reply.access_token.as_deref(), Some("a1"));
        assert_eq!(reply.expire_time, Some(1_714_192_160_000));
        assert_eq!(reply.refresh_token_valid_time, Some(1_716_784_148_000));
        assert_eq!(reply.expires_in, Some(2_592_000));
        assert_eq!(reply.seller_id.as_deref(), Some("2637908814"));
        let refused =
            br#"{"type":"ISV","code":"IllegalRefreshToken","message":"invalid","request_id":"1"}"#;
        match parse_token_reply(refused) {
            Err(WireError::Gateway(error)) => assert_eq!(error.code, "IllegalRefreshToken"),
            other => panic!("expected a gateway error, got {other:?}"),
        }
    }
}
