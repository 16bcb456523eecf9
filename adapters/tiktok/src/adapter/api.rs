//! One signed call of the shop's API through the host: the request built at the host's
//! now, sent with the adapter's time limit, the reply envelope read, and TikTok's failures
//! classified for the outbox (5xx/429/transport: retry; bad sign, refusals: permanent).
//! An expired token is renewed and the call tried once more. [`TikTok::walk_pages`] reads
//! the pages of a list call.

use std::ops::ControlFlow;

use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use shopmux_contract::adapter::{AdapterError, Host, ShopConnection};

use super::TikTok;
use super::tokens::credentials;
use crate::wire::{
    self, API_HOST, ApiResponse, CODE_INVALID_SIGN, ConversationsPage, ConversationsQuery, Paged,
    RequestContext, WireError, WireRequest,
};

/// The time limit of every call the adapter makes.
pub(super) const CALL_TIMEOUT_MS: u64 = 10_000;

/// The host's now.
fn now(host: &dyn Host) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(host.now_unix_ms()).single().unwrap_or_else(Utc::now)
}

/// Classifies a TikTok reply that is not a success.
pub(super) fn failure(
    status: u16, code: i64, message: &str, retry_after: Option<&str>,
) -> AdapterError {
    let retry_after_ms = retry_after.and_then(|v| v.trim().parse::<u64>().ok()).map(|s| s * 1000);
    let mut e = if status == 429 {
        AdapterError::transient("rate_limited", message.to_owned())
    } else if status >= 500 || status == 408 {
        AdapterError::transient(format!("http_{status}"), message.to_owned())
    } else if code == CODE_INVALID_SIGN {
        AdapterError::permanent("invalid_sign", message.to_owned())
    } else if status == 401 {
        AdapterError::permanent("token_expired", message.to_owned())
    } else {
        AdapterError::permanent(format!("tiktok_{code}"), message.to_owned())
    };
    e.retry_after_ms = retry_after_ms;
    e
}

/// At most this many pages of conversations, and of messages per conversation, per poll
/// (and of conversations when a buyer's ids are looked for).
pub(super) const MAX_PAGES: usize = 10;

/// A page of the shop's conversations (20 a page).
fn conversations(
    ctx: &RequestContext<'_>, page_token: Option<&str>,
) -> Result<WireRequest, WireError> {
    Ok(wire::get_conversations(
        ctx,
        &ConversationsQuery {
            page_size: 20,
            page_token: page_token.map(str::to_owned),
            locale: None,
        },
    ))
}

/// How a walk over the pages of a list call ended.
pub(super) enum Walk<B> {
    /// The visitor stopped it with this value.
    Stopped(B),
    /// The last page was read.
    Exhausted,
    /// The page limit was reached; the token of the first page not read.
    Limited(Option<String>),
}

impl TikTok {
    /// A signed call of the shop's API (a shop from [`TikTok::current`]), its `data`
    /// decoded. When TikTok says the token expired, it is renewed — in `shop` too, for
    /// the method's next calls — and the call tried once more.
    pub(super) fn call<T: DeserializeOwned>(
        &self, host: &dyn Host, shop: &mut ShopConnection,
        build: impl Fn(&RequestContext<'_>) -> Result<WireRequest, WireError>,
    ) -> Result<T, AdapterError> {
        match self.call_once(host, shop, &build) {
            Err(e)
                if e.code == "token_expired" && shop.credentials.contains_key("refresh_token") =>
            {
                self.renew(host, shop)?;
                self.call_once(host, shop, &build)
            }
            other => other,
        }
    }

    /// One signed call with the tokens as they are.
    fn call_once<T: DeserializeOwned>(
        &self, host: &dyn Host, shop: &ShopConnection,
        build: &impl Fn(&RequestContext<'_>) -> Result<WireRequest, WireError>,
    ) -> Result<T, AdapterError> {
        let (app, session) = credentials(shop)?;
        let ctx = RequestContext {
            host: shop.api_base.as_deref().unwrap_or(API_HOST),
            credentials: &app,
            shop: &session,
            now: now(host),
        };
        let request =
            build(&ctx).map_err(|e| AdapterError::permanent("bad_request", e.to_string()))?;
        let response = host.http(request.into_http(CALL_TIMEOUT_MS))?;
        let parsed: Option<ApiResponse<T>> = serde_json::from_slice(&response.body).ok();
        match parsed {
            Some(ApiResponse { code: 0, data: Some(data), .. }) if response.status == 200 => {
                Ok(data)
            }
            Some(r) => {
                Err(failure(response.status, r.code, &r.message, response.header("retry-after")))
            }
            None => Err(failure(
                response.status,
                0,
                &format!("HTTP {} without a TikTok reply", response.status),
                response.header("retry-after"),
            )),
        }
    }

    /// Reads at most `max_pages` pages of a list call, from `first_token` on, each asked
    /// (by `build`, given the page token) with the token the previous page named, and
    /// hands each to `visit` with its own token, until `visit` stops the walk or the pages
    /// run out.
    pub(super) fn walk_pages<P: Paged + DeserializeOwned, B>(
        &self, host: &dyn Host, shop: &mut ShopConnection, max_pages: usize,
        first_token: Option<String>,
        build: impl Fn(&RequestContext<'_>, Option<&str>) -> Result<WireRequest, WireError>,
        mut visit: impl FnMut(
            &mut ShopConnection,
            &P,
            Option<&str>,
        ) -> Result<ControlFlow<B>, AdapterError>,
    ) -> Result<Walk<B>, AdapterError> {
        let mut token = first_token;
        for _ in 0..max_pages {
            let page: P = self.call(host, shop, |ctx| build(ctx, token.as_deref()))?;
            if let ControlFlow::Break(value) = visit(shop, &page, token.as_deref())? {
                return Ok(Walk::Stopped(value));
            }
            match page.next_page() {
                Some(next) => token = Some(next.to_owned()),
                None => return Ok(Walk::Exhausted),
            }
        }
        Ok(Walk::Limited(token))
    }

    /// Walks the shop's conversations, most recently active first (at most
    /// [`MAX_PAGES`] pages of 20).
    pub(super) fn walk_conversations<B>(
        &self, host: &dyn Host, shop: &mut ShopConnection,
        mut visit: impl FnMut(
            &mut ShopConnection,
            &ConversationsPage,
        ) -> Result<ControlFlow<B>, AdapterError>,
    ) -> Result<Walk<B>, AdapterError> {
        self.walk_pages(host, shop, MAX_PAGES, None, conversations, |shop, page, _| {
            visit(shop, page)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_are_classified_for_retries() {
        assert!(failure(503, 0, "x", None).retryable);
        let e = failure(429, 0, "x", Some("3"));
        assert_eq!((e.retryable, e.retry_after_ms), (true, Some(3000)));
        assert_eq!(failure(200, CODE_INVALID_SIGN, "x", None).code, "invalid_sign");
        assert!(!failure(400, 36009004, "x", None).retryable);
    }
}
