//! What a webhook attempt leads to. A 2xx answer delivers; anything else (another
//! status, a timeout, no connection, a refused address) is retried with exponential
//! backoff and jitter, never before the receiver's `Retry-After`. A delivery is given
//! up (`failed`) once it has been retried for [`WebhookSettings::retry_for`] since its
//! first attempt; an endpoint whose attempts have all failed for
//! [`WebhookSettings::pause_after`] is paused instead, and the delivery stays pending
//! for the resume (the pause is checked first: a dead endpoint pauses rather than
//! dropping events).

use super::backoff::backoff;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// The tunables of webhook delivery (`[webhooks]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// The first retry's delay (doubling per attempt).
    pub min_backoff: Duration,
    /// The longest delay between attempts.
    pub max_backoff: Duration,
    /// How long a delivery is retried before it is marked failed.
    pub retry_for: Duration,
    /// How long an endpoint fails without a success before it is paused.
    pub pause_after: Duration,
    /// One attempt's time limit.
    pub timeout: Duration,
    /// Most attempts in flight at once (in all).
    pub concurrency: usize,
}

impl Default for WebhookSettings {
    /// 10 s doubling up to 1 h, retried for 24 h, paused after 24 h of failures, 10 s per
    /// attempt, 8 at once.
    fn default() -> Self {
        Self {
            min_backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            retry_for: Duration::from_secs(86_400),
            pause_after: Duration::from_secs(86_400),
            timeout: Duration::from_secs(10),
            concurrency: 8,
        }
    }
}

/// What is known when an attempt's outcome is recorded.
#[derive(Clone, Copy, Debug)]
pub struct Attempted {
    /// Whether the answer was a 2xx.
    pub ok: bool,
    /// This attempt's number (1 for the first of the current budget).
    pub attempts: i64,
    /// When this attempt started.
    pub started_at: DateTime<Utc>,
    /// When the delivery's current retry budget began (its first attempt).
    pub retry_since: DateTime<Utc>,
    /// Since when the endpoint has been failing (before this attempt), if it has.
    pub failing_since: Option<DateTime<Utc>>,
    /// The receiver's `Retry-After`, in milliseconds.
    pub retry_after_ms: Option<u64>,
}

/// The verdict on one attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Delivered.
    Delivered,
    /// Try again at this time.
    Retry(DateTime<Utc>),
    /// Given up: retried for the whole budget.
    Failed,
    /// The endpoint failed for the whole `pause_after`: pause it (the delivery waits).
    Pause,
}

fn span(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Decides what `attempt` leads to at `now`; `jitter` in [0, 1] spreads the retries.
pub fn decide(
    settings: &WebhookSettings, attempt: &Attempted, now: DateTime<Utc>, jitter: f64,
) -> Verdict {
    if attempt.ok {
        return Verdict::Delivered;
    }
    let failing_since = attempt.failing_since.unwrap_or(attempt.started_at).min(attempt.started_at);
    if now - failing_since >= span(settings.pause_after) {
        return Verdict::Pause;
    }
    if now - attempt.retry_since >= span(settings.retry_for) {
        return Verdict::Failed;
    }
    let retry_after =
        attempt.retry_after_ms.map(|ms| ms.min(settings.retry_for.as_millis() as u64));
    let delay = backoff(
        attempt.attempts.clamp(1, i64::from(u32::MAX)) as u32,
        settings.min_backoff,
        settings.max_backoff,
        retry_after,
        jitter,
    );
    Verdict::Retry(now + span(delay))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap_or_default()
    }

    fn failed(attempts: i64, at: i64, failing_since: Option<i64>) -> Attempted {
        Attempted {
            ok: false,
            attempts,
            started_at: t(at),
            retry_since: t(0),
            failing_since: failing_since.map(t),
            retry_after_ms: None,
        }
    }

    #[test]
    fn failures_back_off_exponentially_with_jitter_up_to_the_cap() {
        let s = WebhookSettings::default();
        assert_eq!(decide(&s, &failed(1, 0, None), t(0), 1.0), Verdict::Retry(t(10)));
        assert_eq!(decide(&s, &failed(2, 0, None), t(0), 1.0), Verdict::Retry(t(20)));
        assert_eq!(decide(&s, &failed(3, 0, None), t(0), 0.0), Verdict::Retry(t(20)));
        assert_eq!(decide(&s, &failed(30, 0, None), t(0), 1.0), Verdict::Retry(t(3600)));
        let ok = Attempted { ok: true, ..failed(5, 0, None) };
        assert_eq!(decide(&s, &ok, t(0), 0.5), Verdict::Delivered);
    }

    #[test]
    fn retry_after_is_honoured_but_bounded_by_the_budget() {
        let s = WebhookSettings::default();
        let asked = Attempted { retry_after_ms: Some(120_000), ..failed(1, 0, None) };
        assert_eq!(decide(&s, &asked, t(0), 0.0), Verdict::Retry(t(120)));
        let absurd = Attempted { retry_after_ms: Some(u64::MAX), ..failed(1, 0, None) };
        assert_eq!(decide(&s, &absurd, t(0), 0.0), Verdict::Retry(t(86_400)));
    }

    #[test]
    fn a_delivery_is_retried_for_the_whole_budget_then_failed() {
        let s = WebhookSettings::default();
        // The endpoint succeeded meanwhile (its failing run began late): not paused.
        let late = |at| failed(9, at, Some(at));
        assert!(matches!(decide(&s, &late(86_399), t(86_399), 0.0), Verdict::Retry(_)));
        assert_eq!(decide(&s, &late(86_400), t(86_400), 0.0), Verdict::Failed);
    }

    #[test]
    fn an_endpoint_failing_for_the_whole_pause_window_is_paused_before_anything_fails() {
        let s = WebhookSettings::default();
        assert!(matches!(
            decide(&s, &failed(9, 86_399, Some(0)), t(86_399), 0.0),
            Verdict::Retry(_)
        ));
        // At the boundary both budgets are spent: the pause wins, the event waits.
        assert_eq!(decide(&s, &failed(9, 86_400, Some(0)), t(86_400), 0.0), Verdict::Pause);
        // The first failure of a run dates from its attempt's start.
        assert_eq!(decide(&s, &failed(1, 0, None), t(86_400), 0.0), Verdict::Pause);
    }
}
