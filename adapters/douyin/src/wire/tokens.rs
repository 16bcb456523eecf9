//! Tokens (§4.2): `token.create` (for a self-use app and one shop, or a tool app's
//! authorization code) and `token.refresh`, and the token pair they return. Token calls
//! never carry an access token.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::request::{RequestContext, WireRequest, build_request};
use super::{WireError, method};

/// `token.create` for a self-use app and one shop (`grant_type=authorization_self`).
pub fn token_create_for_shop(
    ctx: &RequestContext<'_>, shop_id: &str,
) -> Result<WireRequest, WireError> {
    let params = serde_json::json!({
        "code": "",
        "grant_type": "authorization_self",
        "shop_id": shop_id,
    });
    build_request(ctx, method::TOKEN_CREATE, &params)
}

/// `token.create` for a tool app from the authorization `code` (`grant_type=authorization_code`).
pub fn token_create_with_code(
    ctx: &RequestContext<'_>, code: &str,
) -> Result<WireRequest, WireError> {
    let params = serde_json::json!({"code": code, "grant_type": "authorization_code"});
    build_request(ctx, method::TOKEN_CREATE, &params)
}

/// `token.refresh` (`grant_type=refresh_token`).
pub fn token_refresh(
    ctx: &RequestContext<'_>, refresh_token: &str,
) -> Result<WireRequest, WireError> {
    let params = serde_json::json!({"grant_type": "refresh_token", "refresh_token": refresh_token});
    build_request(ctx, method::TOKEN_REFRESH, &params)
}

/// `data` of `token.create` / `token.refresh` (§4.2).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenData {
    /// `access_token`.
    pub access_token: String,
    /// `expires_in`, seconds from now.
    pub expires_in: i64,
    /// `refresh_token`.
    pub refresh_token: String,
}

impl fmt::Debug for TokenData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenData")
            .field("access_token", &"<redacted>")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::ctx;

    #[test]
    fn token_calls_never_carry_the_access_token() {
        let request = token_refresh(&ctx(), "r-1").expect("builds");
        assert_eq!(request.path, "/token/refresh");
        assert_eq!(request.query_param("access_token"), None);
        assert_eq!(request.body, br#"{"grant_type":"refresh_token","refresh_token":"r-1"}"#);
        let create = token_create_for_shop(&ctx(), "12345").expect("builds");
        assert_eq!(
            create.body,
            br#"{"code":"","grant_type":"authorization_self","shop_id":"12345"}"#
        );
    }
}
