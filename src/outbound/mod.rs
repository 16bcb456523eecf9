//! Outbound safety: the one HTTP client every adapter and plugin request goes through
//! (the daemon's [`Host`](shopmux_contract::adapter::Host), `host.rs`), built here with
//! the configured [`OutboundPolicy`]. Unless `outbound.allow_private_networks` is set
//! (tests and `shopmux demo`, whose simulators are local), a request
//!
//! - must be `https://` (`insecure_url`),
//! - may only reach global addresses: a literal IP in the URL is checked before the
//!   request, a host name after DNS resolution by the client's own resolver
//!   ([`resolver`]), and every redirect's target again (`blocked_address`);
//!
//! and every answer is read chunk by chunk and cut off past
//! `outbound.max_response_bytes` (`response_too_large`), never read whole first.
//! Proxies from the environment are not used: they would resolve names themselves.

pub mod address;
pub mod resolver;

use reqwest::Url;
use shopmux_contract::adapter::AdapterError;
use std::sync::Arc;
use std::time::Duration;

/// Most redirects followed for one request (each target checked again).
const MAX_REDIRECTS: usize = 5;

/// What outbound requests may reach (`[outbound]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Plain http and non-global addresses allowed (local simulators only).
    pub allow_private_networks: bool,
    /// Largest response body read.
    pub max_response_bytes: usize,
}

impl Default for OutboundPolicy {
    fn default() -> Self {
        Self { allow_private_networks: false, max_response_bytes: 16 * 1024 * 1024 }
    }
}

/// Why a URL may not be requested.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// Not https (and plain http is not allowed).
    #[error("only https:// URLs may be requested, not {0}://")]
    Insecure(String),
    /// A literal address that is not global.
    #[error("{0} is not a global address")]
    Blocked(std::net::IpAddr),
    /// No host.
    #[error("the URL names no host")]
    NoHost,
}

impl Refused {
    /// The adapter error a refused request is (permanent: retrying changes nothing).
    pub fn to_adapter_error(&self) -> AdapterError {
        let code = match self {
            Self::Insecure(_) => "insecure_url",
            Self::Blocked(_) | Self::NoHost => "blocked_address",
        };
        AdapterError::permanent(code, self.to_string())
    }
}

/// Checks a URL's scheme and, when its host is a literal address, that address (a name
/// is checked by the resolver when the client connects).
pub fn check_url(policy: &OutboundPolicy, url: &Url) -> Result<(), Refused> {
    if policy.allow_private_networks {
        return Ok(());
    }
    if url.scheme() != "https" {
        return Err(Refused::Insecure(url.scheme().to_owned()));
    }
    let host = url.host_str().ok_or(Refused::NoHost)?;
    // An IPv6 literal comes bracketed; a name does not parse as an address.
    match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) if !address::is_global(ip) => Err(Refused::Blocked(ip)),
        _ => Ok(()),
    }
}

/// The outbound client: rustls, the filtering resolver, redirects re-checked, no
/// environment proxies.
pub fn client(policy: OutboundPolicy) -> reqwest::Client {
    let redirects = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error(format!("more than {MAX_REDIRECTS} redirects"));
        }
        match check_url(&policy, attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refused) => attempt.error(refused),
        }
    });
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .user_agent(concat!("shopmux/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(resolver::FilteringResolver {
            allow_private_networks: policy.allow_private_networks,
        }))
        .redirect(redirects)
        .no_proxy()
        .build()
        .unwrap_or_default()
}

/// A failed send in the adapters' vocabulary: a refused destination (found anywhere in
/// the error's chain: the resolver's or a redirect's) is permanent; anything else is a
/// transient `timeout` or `transport` failure.
pub fn send_error(e: reqwest::Error) -> AdapterError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(cause) = source {
        if let Some(blocked) = cause.downcast_ref::<resolver::Blocked>() {
            return AdapterError::permanent("blocked_address", blocked.to_string());
        }
        if let Some(refused) = cause.downcast_ref::<Refused>() {
            return refused.to_adapter_error();
        }
        source = cause.source();
    }
    let code = if e.is_timeout() { "timeout" } else { "transport" };
    AdapterError::transient(code, e.without_url().to_string())
}

/// The body of `response`, read chunk by chunk and refused as soon as it passes `max`
/// bytes (a `Content-Length` over it is refused before reading anything).
pub async fn read_capped(
    mut response: reqwest::Response, max: usize,
) -> Result<Vec<u8>, AdapterError> {
    let too_large = || {
        AdapterError::permanent(
            "response_too_large",
            format!("the answer is larger than {max} bytes (outbound.max_response_bytes)"),
        )
    };
    if response.content_length().is_some_and(|n| n > max as u64) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(send_error)? {
        if body.len() + chunk.len() > max {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}
