//! Signed requests: the IOP gateway's business (`/sync?method=…`) and system (`/rest{path}`)
//! APIs and the legacy TOP gateway, with their common parameters (§3.1, §3.2). Every builder
//! merges common and business parameters (empty ones dropped, sorted by key), signs them and
//! form-encodes them in the body, `sign` last.

use std::fmt;

use chrono::{DateTime, FixedOffset, Utc};

use super::WireError;
use crate::sign::{iop_sign, top_md5_sign};

/// The IOP gateway host (§3.1).
pub const IOP_HOST: &str = "https://api-sg.aliexpress.com";
/// Path of business ("sync", method-named) APIs (§3.1).
pub const SYNC_PATH: &str = "/sync";
/// Prefix of system (path-named) APIs: `/rest{path}` (§3.1).
pub const REST_PREFIX: &str = "/rest";
/// The legacy TOP gateway host (§3.2).
pub const LEGACY_TOP_HOST: &str = "https://api.taobao.com";
/// The legacy TOP gateway path (§3.2).
pub const LEGACY_TOP_PATH: &str = "/router/rest";
/// Seller authorization page (`?response_type=code&force_auth=true&redirect_uri=…&client_id=…`),
/// from the AliExpress doc "Authorize your APP".
pub const AUTHORIZE_URL: &str = "https://api-sg.aliexpress.com/oauth/authorize";
/// Content type of every request built here.
pub const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded;charset=utf-8";

/// The app's credentials and the HTTP method (everything here is POST), as every
/// adapter's wire layer shares them (the contract's).
pub use shopmux_contract::wire::{AppCredentials, HttpMethod};

/// A fully described, signed HTTP request, ready for any HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    /// HTTP method.
    pub method: HttpMethod,
    /// Scheme and host, e.g. [`IOP_HOST`].
    pub host: String,
    /// Path, e.g. [`SYNC_PATH`].
    pub path: String,
    /// Every parameter, decoded, `sign` last; they travel form-encoded in `body`.
    pub params: Vec<(String, String)>,
    /// Headers to send (names lowercase).
    pub headers: Vec<(String, String)>,
    /// `params` form-encoded.
    pub body: Vec<u8>,
}

impl WireRequest {
    /// Host and path joined.
    pub fn url(&self) -> String {
        format!("{}{}", self.host, self.path)
    }

    /// The value of parameter `key`, if present.
    pub fn param(&self, key: &str) -> Option<&str> {
        shopmux_contract::wire::find_param(&self.params, key)
    }
}

/// What every request needs: who, for which seller, and the current time.
#[derive(Clone, Copy)]
pub struct RequestContext<'a> {
    /// The app.
    pub credentials: &'a AppCredentials,
    /// The seller's access token, sent as `session` (what AliExpress's own IOP SDK sends;
    /// the Lazada-derived doc sample names it `access_token`).
    pub session: Option<&'a str>,
    /// Now; becomes `timestamp` (epoch milliseconds on IOP, GMT+8 date-time on legacy TOP).
    pub now: DateTime<Utc>,
}

impl fmt::Debug for RequestContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestContext")
            .field("credentials", self.credentials)
            .field("session", &self.session.map(|_| "<redacted>"))
            .field("now", &self.now)
            .finish()
    }
}

/// Named parameters as the builders take them.
pub(super) fn params<const N: usize>(pairs: [(&str, String); N]) -> Vec<(String, String)> {
    pairs.into_iter().map(|(key, value)| (key.to_owned(), value)).collect()
}

fn valid_method_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'_')
}

fn valid_system_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.contains("//")
        && !path.contains("..")
        && path[1..]
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'/' | b'_' | b'-' | b'.'))
}

/// Which API a request calls, so where it goes and how it is signed: IOP's HMAC over the
/// method name (`/sync`) or over the system path (`/rest{path}`), or legacy TOP's MD5.
#[derive(Clone, Copy)]
enum Api<'a> {
    Business { method: &'a str },
    System { path: &'a str },
    LegacyTop,
}

/// The signed request: common and business parameters merged (empty values dropped, §3.2:
/// never send them; sorted by key so the request is deterministic), then `sign`, all
/// form-encoded in the body.
fn signed(
    ctx: &RequestContext<'_>, api: Api<'_>, mut params: Vec<(String, String)>,
    business: Vec<(String, String)>,
) -> WireRequest {
    params.extend(business);
    params.retain(|(_, value)| !value.is_empty());
    params.sort_by(|a, b| a.0.cmp(&b.0));
    let pairs = params.iter().map(|(key, value)| (key, value));
    let secret = &ctx.credentials.app_secret;
    let sign = match api {
        Api::Business { method } => iop_sign(secret, method, pairs),
        Api::System { path } => iop_sign(secret, path, pairs),
        Api::LegacyTop => top_md5_sign(secret, pairs),
    };
    let (host, path) = match api {
        Api::Business { .. } => (IOP_HOST, SYNC_PATH.to_owned()),
        Api::System { path } => (IOP_HOST, format!("{REST_PREFIX}{path}")),
        Api::LegacyTop => (LEGACY_TOP_HOST, LEGACY_TOP_PATH.to_owned()),
    };
    params.push(("sign".to_owned(), sign));
    let body = shopmux_contract::wire::query_string(&params).into_bytes();
    WireRequest {
        method: HttpMethod::Post,
        host: host.to_owned(),
        path,
        params,
        headers: vec![("content-type".to_owned(), FORM_CONTENT_TYPE.to_owned())],
        body,
    }
}

/// The common parameters of a method-named call (a business API on IOP, or legacy TOP):
/// `app_key`, `format=json`, `method`, `sign_method`, `timestamp`, and `session` when the
/// context has one. The method name is checked first.
fn method_params(
    ctx: &RequestContext<'_>, method: &str, sign_method: &str, timestamp: String,
) -> Result<Vec<(String, String)>, WireError> {
    if !valid_method_name(method) {
        return Err(WireError::BadApiName(method.to_owned()));
    }
    let mut common = params([
        ("app_key", ctx.credentials.app_key.clone()),
        ("format", "json".to_owned()),
        ("method", method.to_owned()),
        ("sign_method", sign_method.to_owned()),
        ("timestamp", timestamp),
    ]);
    common.extend(ctx.session.map(|s| ("session".to_owned(), s.to_owned())));
    Ok(common)
}

/// A business API call on the IOP gateway (§3.1): `POST {IOP_HOST}/sync` with `app_key`,
/// `format=json`, `method`, `session` (when the context has one), `sign_method=sha256`,
/// `timestamp` (ms), the business parameters, and `sign`.
pub fn business_request(
    ctx: &RequestContext<'_>, method: &str, business: Vec<(String, String)>,
) -> Result<WireRequest, WireError> {
    let timestamp = ctx.now.timestamp_millis().to_string();
    let common = method_params(ctx, method, "sha256", timestamp)?;
    Ok(signed(ctx, Api::Business { method }, common, business))
}

/// A system API call on the IOP gateway (§3.1): `POST {IOP_HOST}/rest{path}` with `app_key`,
/// `sign_method=sha256`, `timestamp` (ms), the parameters, and `sign` (path-prefixed).
pub fn system_request(
    ctx: &RequestContext<'_>, path: &str, business: Vec<(String, String)>,
) -> Result<WireRequest, WireError> {
    if !valid_system_path(path) {
        return Err(WireError::BadApiName(path.to_owned()));
    }
    let common = params([
        ("app_key", ctx.credentials.app_key.clone()),
        ("sign_method", "sha256".to_owned()),
        ("timestamp", ctx.now.timestamp_millis().to_string()),
    ]);
    Ok(signed(ctx, Api::System { path }, common, business))
}

/// The same business call on the legacy TOP gateway (§3.2): `method`, `app_key`, `session`,
/// `timestamp` (`yyyy-MM-dd HH:mm:ss`, GMT+8), `format=json`, `v=2.0`, `sign_method=md5`,
/// MD5 `sign`.
pub fn legacy_top_request(
    ctx: &RequestContext<'_>, method: &str, business: Vec<(String, String)>,
) -> Result<WireRequest, WireError> {
    let china = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
    let timestamp = ctx.now.with_timezone(&china).format("%Y-%m-%d %H:%M:%S");
    let mut common = method_params(ctx, method, "md5", timestamp.to_string())?;
    common.push(("v".to_owned(), "2.0".to_owned()));
    Ok(signed(ctx, Api::LegacyTop, common, business))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::ctx;
    use crate::wire::method;

    #[test]
    fn legacy_top_request_uses_china_time_and_md5() {
        let request = legacy_top_request(&ctx(), method::ADD_MESSAGE, Vec::new()).expect("builds");
        assert_eq!(request.url(), "https://api.taobao.com/router/rest");
        assert_eq!(request.param("timestamp"), Some("2023-11-15 06:13:20"));
        assert_eq!(request.param("sign"), Some("280D42DCA13BD2CE6E69EA7D52DDE8E9"));
    }
}
