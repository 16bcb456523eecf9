//! How outbound webhooks leave the daemon: a POST through the outbound client (the
//! adapters' own, so the same safety holds — https only and global addresses only,
//! checked on the literal URL and again on the resolved address when the connection is
//! made, redirects re-checked — unless `outbound.allow_private_networks`), the answer's
//! body read only up to `outbound.max_response_bytes` and then dropped, `Retry-After`
//! read as seconds or an HTTP date; and the paused-endpoint mail through `[smtp]`.

use crate::mailer::Mailer;
use crate::outbound::OutboundPolicy;
use shopmux_core::Clock;
use shopmux_core::services::webhooks::transport::{
    WebhookAnswer, WebhookRequest, WebhookTransport,
};
use std::sync::Arc;

/// The daemon's webhook transport.
pub struct DaemonWebhooks {
    client: reqwest::Client,
    policy: OutboundPolicy,
    mailer: Option<Mailer>,
    clock: Arc<dyn Clock>,
}

impl DaemonWebhooks {
    /// A transport under `policy`, mailing through `mailer` when there is one.
    pub fn new(policy: OutboundPolicy, mailer: Option<Mailer>, clock: Arc<dyn Clock>) -> Self {
        Self { client: crate::outbound::client(policy), policy, mailer, clock }
    }

    async fn attempt(&self, request: WebhookRequest) -> Result<WebhookAnswer, String> {
        let url = reqwest::Url::parse(&request.url).map_err(|_| "bad_url: not a URL".to_owned())?;
        crate::outbound::check_url(&self.policy, &url)
            .map_err(|r| r.to_adapter_error().to_string())?;
        let mut builder = self.client.post(url).timeout(request.timeout).body(request.body);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        let response =
            builder.send().await.map_err(|e| crate::outbound::send_error(e).to_string())?;
        let status = response.status().as_u16();
        let retry_after_ms = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after_ms(v, self.clock.now()));
        // The body is not used; it is read (capped) so the connection can be reused.
        let error = crate::outbound::read_capped(response, self.policy.max_response_bytes)
            .await
            .err()
            .filter(|_| !(200..300).contains(&status))
            .map(|e| e.to_string());
        Ok(WebhookAnswer { status: Some(status), retry_after_ms, error })
    }
}

/// A `Retry-After` value in milliseconds from `now`: delay seconds, or an HTTP date.
pub fn retry_after_ms(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<u64> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(secs.saturating_mul(1000));
    }
    let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some((at.with_timezone(&chrono::Utc) - now).num_milliseconds().max(0) as u64)
}

#[async_trait::async_trait]
impl WebhookTransport for DaemonWebhooks {
    async fn post(&self, request: WebhookRequest) -> WebhookAnswer {
        self.attempt(request)
            .await
            .unwrap_or_else(|error| WebhookAnswer { error: Some(error), ..Default::default() })
    }

    async fn mail(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let mailer = self.mailer.as_ref().ok_or_else(|| "no [smtp] configured".to_owned())?;
        mailer.send(to, subject, body).await.map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2015-10-21T07:28:00Z").unwrap().to_utc();
        assert_eq!(retry_after_ms("120", now), Some(120_000));
        assert_eq!(retry_after_ms("Wed, 21 Oct 2015 07:29:00 GMT", now), Some(60_000));
        assert_eq!(retry_after_ms("Wed, 21 Oct 2015 07:27:00 GMT", now), Some(0));
        assert_eq!(retry_after_ms("soon", now), None);
    }
}
