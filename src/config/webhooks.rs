//! `[webhooks]`: how outbound webhooks are retried — raw, and validated with every
//! problem named by its key.

use super::Problems;
use serde::{Deserialize, Serialize};
use shopmux_core::domain::webhook_retry::WebhookSettings;
use std::time::Duration;

/// `[webhooks]`: outbound webhooks to the sellers' integrations.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawWebhooksConfig {
    /// The first retry's delay in milliseconds, doubling per attempt with jitter
    /// (100..=3600000, default 10000).
    pub min_backoff_ms: u64,
    /// The longest delay between attempts in milliseconds (100..=86400000, at least
    /// `min_backoff_ms`; default 3600000).
    pub max_backoff_ms: u64,
    /// How long a delivery is retried before it is marked failed, in seconds
    /// (1..=2592000, default 86400).
    pub retry_for_secs: u64,
    /// How long an endpoint may fail without one success before it is paused and its
    /// owner told, in seconds (1..=2592000, default 86400).
    pub pause_after_secs: u64,
    /// One attempt's time limit in milliseconds (100..=60000, default 10000).
    pub timeout_ms: u64,
    /// Most attempts in flight at once (1..=256, default 8; at most 4 to one endpoint).
    pub concurrency: usize,
}

impl Default for RawWebhooksConfig {
    fn default() -> Self {
        let d = WebhookSettings::default();
        Self {
            min_backoff_ms: d.min_backoff.as_millis() as u64,
            max_backoff_ms: d.max_backoff.as_millis() as u64,
            retry_for_secs: d.retry_for.as_secs(),
            pause_after_secs: d.pause_after.as_secs(),
            timeout_ms: d.timeout.as_millis() as u64,
            concurrency: d.concurrency,
        }
    }
}

impl RawWebhooksConfig {
    pub(super) fn validate(self, problems: &mut Problems) -> Option<WebhookSettings> {
        let ms = |v: u64| Duration::from_millis(v);
        let min =
            problems.in_range("webhooks.min_backoff_ms", self.min_backoff_ms, 100..=3_600_000);
        let max =
            problems.in_range("webhooks.max_backoff_ms", self.max_backoff_ms, 100..=86_400_000);
        if let (Some(min), Some(max)) = (min, max)
            && max < min
        {
            problems.add(
                "webhooks.max_backoff_ms",
                format!("{max} is below webhooks.min_backoff_ms ({min})"),
            );
        }
        let retry_for =
            problems.seconds("webhooks.retry_for_secs", self.retry_for_secs, 1..=2_592_000);
        let pause_after =
            problems.seconds("webhooks.pause_after_secs", self.pause_after_secs, 1..=2_592_000);
        let timeout = problems.in_range("webhooks.timeout_ms", self.timeout_ms, 100..=60_000);
        let concurrency = problems.in_range("webhooks.concurrency", self.concurrency, 1..=256);
        Some(WebhookSettings {
            min_backoff: ms(min?),
            max_backoff: ms(max?),
            retry_for: retry_for?,
            pause_after: pause_after?,
            timeout: ms(timeout?),
            concurrency: concurrency?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::RawConfig;
    use super::*;

    #[test]
    fn webhook_settings_are_bounded_and_name_their_keys() {
        let c = RawConfig::default().validate().expect("defaults");
        assert_eq!(c.webhooks, WebhookSettings::default());
        let raw = RawConfig {
            webhooks: RawWebhooksConfig {
                min_backoff_ms: 5000,
                max_backoff_ms: 1000,
                timeout_ms: 0,
                retry_for_secs: 0,
                ..Default::default()
            },
            ..Default::default()
        };
        let errors = raw.validate().expect_err("bad webhooks");
        let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            ["webhooks.max_backoff_ms", "webhooks.retry_for_secs", "webhooks.timeout_ms"]
        );
        let mut raw = RawConfig::default();
        raw.webhooks.min_backoff_ms = 200;
        raw.webhooks.max_backoff_ms = 400;
        let c = raw.validate().expect("short backoff for tests");
        assert_eq!(
            (c.webhooks.min_backoff, c.webhooks.max_backoff),
            (Duration::from_millis(200), Duration::from_millis(400))
        );
    }
}
