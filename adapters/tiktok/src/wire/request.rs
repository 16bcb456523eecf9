//! Signed shop-scoped requests (§1.1, §1.2): the app's and the shop's credentials, the
//! request context, [`signed_request`] and the [`WireRequest`] it returns; the reply
//! envelope every call shares ([`ApiResponse`]); and the paging pieces of the list calls
//! (`page_size`/`page_token`, [`SortOrder`], [`Paged`]).

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{ACCESS_TOKEN_HEADER, CODE_SUCCESS, WireError};
use crate::sign::request_sign;

/// The request types every adapter's wire layer shares (the contract's).
pub use shopmux_contract::wire::{AppCredentials, HttpMethod, WireRequest};

/// Refuses ids that would change the request path (empty, or anything outside ASCII
/// letters, digits and `-._~`). TikTok's conversation ids are digit strings.
pub(crate) fn path_segment(id: &str) -> Result<&str, WireError> {
    let ok = !id.is_empty()
        && id
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~'));
    if ok { Ok(id) } else { Err(WireError::BadPathSegment(id.to_owned())) }
}

/// One authorized shop: its access token and `shop_cipher`. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct ShopSession {
    /// Access token, sent in [`ACCESS_TOKEN_HEADER`].
    pub access_token: String,
    /// `shop_cipher` from Get Authorized Shops (`cipher`), required by shop-scoped calls.
    pub shop_cipher: String,
}

impl fmt::Debug for ShopSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShopSession")
            .field("access_token", &"<redacted>")
            .field("shop_cipher", &self.shop_cipher)
            .finish()
    }
}

/// What every shop-scoped request needs: where, who, and the current time.
#[derive(Debug, Clone, Copy)]
pub struct RequestContext<'a> {
    /// [`API_HOST`](super::API_HOST) or [`SANDBOX_API_HOST`](super::SANDBOX_API_HOST).
    pub host: &'a str,
    /// The app.
    pub credentials: &'a AppCredentials,
    /// The shop.
    pub shop: &'a ShopSession,
    /// Now; becomes `timestamp` (Unix seconds, must be within 5 minutes of TikTok's clock).
    pub now: DateTime<Utc>,
}

/// Builds and signs a shop-scoped request (§1.1, §1.2).
///
/// Adds `app_key`, `shop_cipher`, `timestamp` and `sign` to `params`, drops parameters with
/// an empty value (§1.2 "do not send empty query params"), and sets the access-token header
/// and, when `body` is not empty, `content-type: application/json`.
pub fn signed_request(
    ctx: &RequestContext<'_>, method: HttpMethod, path: String, params: Vec<(String, String)>,
    body: Vec<u8>,
) -> WireRequest {
    let content_type = (!body.is_empty()).then(|| "application/json".to_owned());
    build_signed(ctx, method, path, params, body, content_type, true)
}

/// A signed request whose body is `body` serialized to JSON.
pub(crate) fn json_request(
    ctx: &RequestContext<'_>, method: HttpMethod, path: String, params: Vec<(String, String)>,
    body: &impl Serialize,
) -> Result<WireRequest, WireError> {
    Ok(signed_request(ctx, method, path, params, serde_json::to_vec(body)?))
}

/// Builds and signs a request; `sign_body` is false for `multipart/form-data` bodies,
/// which take no part in the signature (§1.2 step 4).
pub(crate) fn build_signed(
    ctx: &RequestContext<'_>, method: HttpMethod, path: String, params: Vec<(String, String)>,
    body: Vec<u8>, content_type: Option<String>, sign_body: bool,
) -> WireRequest {
    let mut query: Vec<(String, String)> = vec![
        ("app_key".into(), ctx.credentials.app_key.clone()),
        ("shop_cipher".into(), ctx.shop.shop_cipher.clone()),
        ("timestamp".into(), ctx.now.timestamp().to_string()),
    ];
    query.extend(params);
    query.retain(|(_, value)| !value.is_empty());
    query.sort_by(|a, b| a.0.cmp(&b.0));
    let signed_body: &[u8] = if sign_body { &body } else { &[] };
    let sign = request_sign(
        &ctx.credentials.app_secret,
        &path,
        query.iter().map(|(key, value)| (key, value)),
        signed_body,
    );
    query.push(("sign".into(), sign));

    let mut headers = vec![(ACCESS_TOKEN_HEADER.into(), ctx.shop.access_token.clone())];
    if let Some(content_type) = content_type {
        headers.push(("content-type".into(), content_type));
    }
    WireRequest { method, host: ctx.host.to_owned(), path, query, headers, body }
}

/// The query parameters every list call starts with: `page_size` and, when given,
/// `page_token`.
pub(crate) fn paging(page_size: u32, page_token: Option<&str>) -> Vec<(String, String)> {
    let mut params = vec![("page_size".to_owned(), page_size.to_string())];
    push_opt(&mut params, "page_token", page_token);
    params
}

/// Adds `key=value` when there is a value.
pub(crate) fn push_opt(params: &mut Vec<(String, String)>, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        params.push((key.to_owned(), value.to_owned()));
    }
}

/// Sort order of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SortOrder {
    /// Oldest first.
    #[serde(rename = "ASC")]
    Asc,
    /// Newest first.
    #[serde(rename = "DESC")]
    Desc,
}

impl SortOrder {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Asc => "ASC",
            SortOrder::Desc => "DESC",
        }
    }
}

/// The reply envelope of every Partner API call (§1.1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiResponse<T> {
    /// 0 on success.
    pub code: i64,
    /// Human-readable status.
    #[serde(default)]
    pub message: String,
    /// Request id, for support tickets.
    #[serde(default)]
    pub request_id: String,
    /// The payload, absent on most errors.
    pub data: Option<T>,
}

impl<T> ApiResponse<T> {
    /// Whether `code` is [`CODE_SUCCESS`].
    pub fn is_success(&self) -> bool {
        self.code == CODE_SUCCESS
    }
}

/// A page of a list reply that names the next page by `next_page_token`.
pub trait Paged {
    /// The raw `next_page_token`.
    fn next_page_token(&self) -> Option<&str>;

    /// The token of the next page; `None` on the last page (the token empty or absent).
    fn next_page(&self) -> Option<&str> {
        self.next_page_token().filter(|token| !token.is_empty())
    }
}

/// Implements [`Paged`] for list replies with a `next_page_token: Option<String>` field.
macro_rules! paged {
    ($($page:ty),+ $(,)?) => {
        $(impl $crate::wire::request::Paged for $page {
            fn next_page_token(&self) -> Option<&str> {
                self.next_page_token.as_deref()
            }
        })+
    };
}
pub(crate) use paged;

#[cfg(test)]
mod tests {
    use super::super::fixtures::{credentials, shop};

    #[test]
    fn credentials_debug_hides_secrets() {
        let text = format!("{:?} {:?}", credentials(), shop());
        assert!(!text.contains("e59af819cc"));
        assert!(!text.contains("TTP_token"));
    }
}
