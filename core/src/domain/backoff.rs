//! When a failed delivery is tried again: exponential backoff with jitter that never
//! comes before the platform's `retry-after`.

/// When the next attempt may start after `attempts` failed ones: exponential from
/// `base` (doubling per attempt, at most `cap`), with jitter in [½, 1] of the step so
/// retries of many messages spread out, and never before the platform's `retry-after`.
pub fn backoff(
    attempts: u32, base: std::time::Duration, cap: std::time::Duration,
    retry_after_ms: Option<u64>, jitter: f64,
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
        assert_eq!(backoff(1, base, cap, Some(30_000), 0.3), Duration::from_secs(30));
    }
}
