//! Channels: how the outbox hands a message to its platform ([`OutboundChannel`]) and
//! how the poller asks a platform what webhooks missed ([`InboundPoller`]). The daemon
//! wraps each loaded adapter (which does blocking I/O through its host) in these; the
//! core only knows the traits, so it stays free of HTTP.

use crate::ids::ShopId;
use async_trait::async_trait;
use shopmux_contract::adapter::{
    AdapterError, OutboundMessage, PollPage, SendReceipt, ShopConnection,
};

/// One delivery: the shop and the message.
#[derive(Clone, Debug)]
pub struct Delivery {
    /// The shop in shopmux.
    pub shop_id: ShopId,
    /// The platform's id of the shop.
    pub shop_external_id: String,
    /// Its region.
    pub region: String,
    /// Its connection (API base and credentials; empty when none is configured).
    pub connection: ShopConnection,
    /// What to send.
    pub message: OutboundMessage,
}

/// Sends messages of one platform.
#[async_trait]
pub trait OutboundChannel: Send + Sync {
    /// The platform id it serves.
    fn platform(&self) -> &str;

    /// Delivers one message; a `retryable` error is tried again later with backoff.
    async fn send(&self, delivery: &Delivery) -> Result<SendReceipt, AdapterError>;

    /// Tells the platform an agent read the buyer's messages (best effort).
    async fn mark_read(
        &self,
        _shop: &ShopConnection,
        _platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        Ok(())
    }
}

/// Lists what a platform received, for what webhooks missed (one per platform that can).
#[async_trait]
pub trait InboundPoller: Send + Sync {
    /// The platform id it serves.
    fn platform(&self) -> &str;

    /// The events since `cursor` (none: the first poll) and the next cursor.
    async fn poll(
        &self,
        shop: &ShopConnection,
        cursor: Option<String>,
    ) -> Result<PollPage, AdapterError>;
}

/// When the next attempt may start after `attempts` failed ones: exponential from
/// `base` (doubling per attempt, at most `cap`), with jitter in [½, 1] of the step so
/// retries of many messages spread out, and never before the platform's `retry-after`.
pub fn backoff(
    attempts: u32,
    base: std::time::Duration,
    cap: std::time::Duration,
    retry_after_ms: Option<u64>,
    jitter: f64,
) -> std::time::Duration {
    let exp = base.saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
    let step = exp.min(cap);
    let jittered = step.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0));
    let floor = std::time::Duration::from_millis(retry_after_ms.unwrap_or(0));
    jittered.max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_and_honours_retry_after() {
        let (base, cap) = (Duration::from_secs(2), Duration::from_secs(300));
        assert_eq!(backoff(1, base, cap, None, 1.0), Duration::from_secs(2));
        assert_eq!(backoff(2, base, cap, None, 1.0), Duration::from_secs(4));
        assert_eq!(backoff(4, base, cap, None, 1.0), Duration::from_secs(16));
        assert_eq!(backoff(4, base, cap, None, 0.0), Duration::from_secs(8));
        assert_eq!(backoff(30, base, cap, None, 1.0), cap);
        assert_eq!(
            backoff(1, base, cap, Some(30_000), 0.3),
            Duration::from_secs(30)
        );
    }
}
