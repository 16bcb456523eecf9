//! The translation providers' HTTP clients (`[translation]`): a LibreTranslate-compatible
//! API ([`libretranslate`]) and DeepL ([`deepl`]), both through the outbound client
//! (https and global addresses only unless `outbound.allow_private_networks`), each
//! attempt bounded by `translation.timeout_ms`, answers read up to the outbound cap, and
//! 429/5xx/transport failures retried with exponential backoff (never before the
//! answer's `Retry-After`) up to `translation.retries` times. The simulator provider
//! lives in the core (`services::translation::simulator`).

pub mod deepl;
pub mod libretranslate;

use crate::config::{ProviderKind, TranslationConfig};
use crate::outbound::OutboundPolicy;
use shopmux_core::services::translation::simulator::SimulatorProvider;
use shopmux_core::services::translation::{ProviderError, TranslationProvider};
use std::sync::Arc;
use std::time::Duration;

/// How requests are bounded and retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempts {
    /// One attempt's time limit.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: u32,
    /// The first retry's delay, doubling.
    pub min_backoff: Duration,
    /// The longest delay.
    pub max_backoff: Duration,
}

/// The configured provider; none when `translation.provider = "none"`.
pub fn provider(
    config: &TranslationConfig, policy: OutboundPolicy,
) -> Option<Arc<dyn TranslationProvider>> {
    let client = || crate::outbound::client(policy);
    match &config.provider {
        ProviderKind::None => None,
        ProviderKind::Simulator => Some(Arc::new(SimulatorProvider::new())),
        ProviderKind::LibreTranslate { url, api_key } => {
            Some(Arc::new(libretranslate::LibreTranslate {
                client: client(),
                policy,
                url: url.clone(),
                api_key: api_key.clone(),
                attempts: config.attempts,
            }))
        }
        ProviderKind::DeepL { url, api_key } => Some(Arc::new(deepl::DeepL {
            client: client(),
            policy,
            url: url.clone(),
            api_key: api_key.clone(),
            attempts: config.attempts,
        })),
    }
}

/// Sends `build()`'s request, retrying 429, 5xx and transport failures with backoff;
/// returns the final status and body (read up to the outbound cap).
pub(crate) async fn send(
    policy: &OutboundPolicy, url: &reqwest::Url, attempts: Attempts,
    build: impl Fn() -> reqwest::RequestBuilder,
) -> Result<(u16, Vec<u8>), ProviderError> {
    crate::outbound::check_url(policy, url)
        .map_err(|r| ProviderError::new("blocked_address", r.to_string()))?;
    let mut attempt = 0u32;
    loop {
        let outcome = build().timeout(attempts.timeout).send().await;
        let (retry, retry_after, error) = match outcome {
            Ok(response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(|s| Duration::from_secs(s.min(60)));
                let body = crate::outbound::read_capped(response, policy.max_response_bytes)
                    .await
                    .map_err(|e| ProviderError::new(&e.code, e.message.clone()))?;
                if status != 429 && status < 500 {
                    return Ok((status, body));
                }
                let code = if status == 429 { "rate_limited" } else { "unavailable" };
                (true, retry_after, ProviderError::new(code, format!("HTTP {status}")))
            }
            Err(e) => {
                let e = crate::outbound::send_error(e);
                (e.retryable, None, ProviderError::new(&e.code, e.message.clone()))
            }
        };
        if !retry || attempt >= attempts.retries {
            return Err(error);
        }
        let backoff =
            attempts.min_backoff.saturating_mul(1 << attempt.min(16)).min(attempts.max_backoff);
        tokio::time::sleep(retry_after.map_or(backoff, |r| r.max(backoff))).await;
        attempt += 1;
    }
}

/// A refusal's error: its status named, with the provider's message when it gave one.
pub(crate) fn refused(status: u16, body: &[u8]) -> ProviderError {
    let message = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error").or_else(|| v.get("message")).and_then(|m| m.as_str()).map(str::to_owned)
        })
        .unwrap_or_default();
    let code = match status {
        401 | 403 => "unauthorized",
        456 => "quota_exceeded",
        400 | 413 | 414 | 422 => "bad_request",
        _ => "refused",
    };
    ProviderError::new(code, format!("HTTP {status} {message}").trim().to_owned())
}

#[cfg(test)]
mod tests;
