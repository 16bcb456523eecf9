//! One adapter call's view of a shop: its credentials (with the newest tokens), the host,
//! and the signed business call — built, sent through the host, its failures classified,
//! its reply decoded and checked for a business refusal, and retried once with renewed
//! tokens when the gateway says the token is invalid or expired.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use shopmux_contract::adapter::{AdapterError, Host, HttpRequest, HttpResponse, ShopConnection};

use super::errors::{business_failure, gateway_failure, http_failure};
use crate::wire::{self, AppCredentials, Refusable, RequestContext, WireError, WireRequest};

/// How long one HTTP call may take.
const CALL_TIMEOUT_MS: u64 = 10_000;

/// One adapter call's view of a shop: its credentials (renewed ones included) and the
/// host, with the signed call, its classification and token renewal.
pub(super) struct Session<'h> {
    pub(super) host: &'h dyn Host,
    pub(super) shop: ShopConnection,
    /// Tokens renewed during this call, for the receipt.
    pub(super) renewed: Option<BTreeMap<String, String>>,
}

/// An instant of the host's clock.
pub(super) fn to_time(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_else(Utc::now)
}

impl<'h> Session<'h> {
    /// The shop with the newest tokens (configured, or renewed earlier and kept in the
    /// key-value state), renewed first when they are about to expire.
    pub(super) fn open(
        host: &'h dyn Host, shop: &ShopConnection,
    ) -> Result<Session<'h>, AdapterError> {
        shop.credential("app_key")?;
        shop.credential("app_secret")?;
        shop.credential("access_token")?;
        let mut session =
            Session { host, shop: super::tokens::with_kept_tokens(host, shop)?, renewed: None };
        if super::tokens::due(&session.shop, host.now_unix_ms()) {
            session.refresh()?;
        }
        Ok(session)
    }

    /// `addmsg`'s `seller_id`: the configured `seller_login_id`, else the shop's id.
    pub(super) fn seller_login_id(&self) -> String {
        self.shop
            .credentials
            .get("seller_login_id")
            .filter(|v| !v.is_empty())
            .cloned()
            .unwrap_or_else(|| self.shop.external_id.clone())
    }

    /// A signed business call, its `<method>_response` decoded (a business refusal in it
    /// is an error); renews the token and tries once more when the gateway says it is
    /// invalid or expired.
    pub(super) fn call<T: DeserializeOwned + Refusable>(
        &mut self, api: &str, build: impl Fn(&RequestContext<'_>) -> Result<WireRequest, WireError>,
    ) -> Result<T, AdapterError> {
        match self.call_once(api, &build) {
            Err(e)
                if e.code == "token_expired"
                    && self.renewed.is_none()
                    && self.shop.credentials.contains_key("refresh_token") =>
            {
                self.refresh()?;
                self.call_once(api, &build)
            }
            other => other,
        }
    }

    fn call_once<T: DeserializeOwned + Refusable>(
        &self, api: &str, build: &impl Fn(&RequestContext<'_>) -> Result<WireRequest, WireError>,
    ) -> Result<T, AdapterError> {
        let response = self.exchange(true, build)?;
        let body: T = match wire::parse_reply(api, &response.body) {
            Ok(body) => body,
            Err(WireError::Gateway(error)) => return Err(gateway_failure(&error)),
            Err(e) if response.status == 200 => {
                return Err(AdapterError::transient(
                    "malformed",
                    format!("AliExpress's answer to {api} is not readable: {e}"),
                ));
            }
            Err(_) => {
                return Err(AdapterError::from_status(
                    &response,
                    format!("AliExpress answered HTTP {}", response.status),
                ));
            }
        };
        match body.refusal() {
            Some(refusal) => Err(business_failure(refusal)),
            None => Ok(body),
        }
    }

    /// Builds a request with the shop's app (and its access token as `session`, when
    /// `with_session`), sends it, and turns what the HTTP layer refuses (408, 429, 5xx)
    /// into an error before the body is read.
    pub(super) fn exchange(
        &self, with_session: bool,
        build: impl FnOnce(&RequestContext<'_>) -> Result<WireRequest, WireError>,
    ) -> Result<HttpResponse, AdapterError> {
        let credentials = AppCredentials::from_shop(&self.shop)?;
        let session = if with_session { Some(self.shop.credential("access_token")?) } else { None };
        let ctx = RequestContext {
            credentials: &credentials,
            session,
            now: to_time(self.host.now_unix_ms()),
        };
        let mut request =
            build(&ctx).map_err(|e| AdapterError::permanent("bad_request", e.to_string()))?;
        if let Some(base) = &self.shop.api_base {
            request.host = base.trim_end_matches('/').to_owned();
        }
        let response = self.host.http(HttpRequest {
            method: request.method.as_str().to_owned(),
            url: request.url(),
            headers: request.headers,
            body: request.body,
            timeout_ms: Some(CALL_TIMEOUT_MS),
        })?;
        match http_failure(&response) {
            Some(e) => Err(e),
            None => Ok(response),
        }
    }
}
