//! Requests (§4.1): `POST {gateway}/{method with '.' → '/'}` with query `app_key`, `method`,
//! `access_token` (not for `token.*`), `timestamp`, `v=2`, `sign_method`, `sign`, and
//! `param_json` (canonical JSON of the business parameters) as the raw body: the request
//! context, the signed envelope and the request it becomes.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{WireError, method};
use crate::sign::{API_VERSION, SignMethod, canonical_param_json, request_sign};

/// Production gateway (§4.1).
pub const GATEWAY_HOST: &str = "https://openapi-fxg.jinritemai.com";
/// Sandbox gateway (§4.1).
pub const SANDBOX_HOST: &str = "https://openapi-sandbox.jinritemai.com";
/// Seller authorization page for tool apps (`?service_id=…&state=…`, §4.2).
pub const AUTHORIZE_URL: &str = "https://fuwu.jinritemai.com/authorize";
/// Header the official SDKs send to get the new error-code scheme (`code`/`msg`, §4.2).
pub const NO_OLD_ERR_CODE_HEADER: &str = "x-open-no-old-err-code";

/// The request types every adapter's wire layer shares (the contract's).
pub use shopmux_contract::wire::{AppCredentials, HttpMethod, WireRequest};

/// What every request needs: where, who, how to sign, and the current time.
#[derive(Clone, Copy)]
pub struct RequestContext<'a> {
    /// [`GATEWAY_HOST`] or [`SANDBOX_HOST`].
    pub host: &'a str,
    /// The app.
    pub credentials: &'a AppCredentials,
    /// The shop's access token; ignored for `token.create` / `token.refresh`.
    pub access_token: Option<&'a str>,
    /// `sign_method`.
    pub sign_method: SignMethod,
    /// Now; becomes `timestamp` as Unix seconds (the official Go SDK's format; the doc's
    /// `yyyy-MM-dd HH:mm:ss` GMT+8 is also accepted, ±10 minutes).
    pub now: DateTime<Utc>,
}

impl fmt::Debug for RequestContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("host", &self.host)
            .field("credentials", self.credentials)
            .field("access_token", &self.access_token.map(|_| "<redacted>"))
            .field("sign_method", &self.sign_method)
            .field("now", &self.now)
            .finish()
    }
}

/// The request envelope (§4.1): the public parameters plus `param_json`.
///
/// On the wire every field but `param_json` is a query parameter and `param_json` is the
/// body. `Debug` hides the access token.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestEnvelope {
    /// `app_key`.
    pub app_key: String,
    /// `method`, dotted (`order.orderDetail`).
    pub method: String,
    /// `access_token`; absent for `token.create` / `token.refresh`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// `param_json`: canonical JSON of the business parameters.
    pub param_json: String,
    /// `timestamp`, exactly as signed.
    pub timestamp: String,
    /// `v`, always [`API_VERSION`].
    pub v: String,
    /// `sign_method`: `hmac-sha256` or `md5`.
    pub sign_method: String,
    /// `sign`.
    pub sign: String,
}

impl fmt::Debug for RequestEnvelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestEnvelope")
            .field("app_key", &self.app_key)
            .field("method", &self.method)
            .field("access_token", &self.access_token.as_ref().map(|_| "<redacted>"))
            .field("param_json", &self.param_json)
            .field("timestamp", &self.timestamp)
            .field("v", &self.v)
            .field("sign_method", &self.sign_method)
            .field("sign", &self.sign)
            .finish()
    }
}

impl RequestEnvelope {
    /// Builds and signs the envelope for `method` with business parameters `params`.
    pub fn signed(
        ctx: &RequestContext<'_>, method: &str, params: &Value,
    ) -> Result<RequestEnvelope, WireError> {
        method_path(method)?;
        let param_json = canonical_param_json(params);
        let timestamp = ctx.now.timestamp().to_string();
        let sign = request_sign(
            &ctx.credentials.app_key,
            &ctx.credentials.app_secret,
            method,
            &param_json,
            &timestamp,
            ctx.sign_method,
        );
        let is_token_call = method == method::TOKEN_CREATE || method == method::TOKEN_REFRESH;
        Ok(RequestEnvelope {
            app_key: ctx.credentials.app_key.clone(),
            method: method.to_owned(),
            access_token: if is_token_call { None } else { ctx.access_token.map(str::to_owned) },
            param_json,
            timestamp,
            v: API_VERSION.to_owned(),
            sign_method: ctx.sign_method.as_str().to_owned(),
            sign,
        })
    }

    /// The POST request carrying this envelope to `host`.
    pub fn into_request(self, host: &str) -> Result<WireRequest, WireError> {
        let path = method_path(&self.method)?;
        let mut query =
            vec![("app_key".to_owned(), self.app_key), ("method".to_owned(), self.method)];
        if let Some(token) = self.access_token {
            query.push(("access_token".to_owned(), token));
        }
        query.extend([
            ("timestamp".to_owned(), self.timestamp),
            ("v".to_owned(), self.v),
            ("sign_method".to_owned(), self.sign_method),
            ("sign".to_owned(), self.sign),
        ]);
        Ok(WireRequest {
            method: HttpMethod::Post,
            host: host.to_owned(),
            path,
            query,
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                (NO_OLD_ERR_CODE_HEADER.to_owned(), "1".to_owned()),
            ],
            body: self.param_json.into_bytes(),
        })
    }
}

/// The URL path of a dotted method name: `order.searchList` → `/order/searchList` (§4.1).
pub fn method_path(method: &str) -> Result<String, WireError> {
    let valid = !method.is_empty()
        && !method.starts_with('.')
        && !method.ends_with('.')
        && !method.contains("..")
        && method.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'_');
    if !valid {
        return Err(WireError::BadMethod(method.to_owned()));
    }
    Ok(format!("/{}", method.replace('.', "/")))
}

/// Builds and signs a call of `method` with business parameters `params` (a JSON object).
pub fn build_request(
    ctx: &RequestContext<'_>, method: &str, params: &Value,
) -> Result<WireRequest, WireError> {
    RequestEnvelope::signed(ctx, method, params)?.into_request(ctx.host)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_paths() {
        assert_eq!(method_path("order.searchList").expect("valid"), "/order/searchList");
        assert_eq!(method_path("afterSale.List").expect("valid"), "/afterSale/List");
        for bad in ["", ".x", "x.", "a..b", "a/b", "a.b?c"] {
            assert!(matches!(method_path(bad), Err(WireError::BadMethod(_))));
        }
    }
}
