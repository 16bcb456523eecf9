//! `[access]`: the API's rate limit per account, the sign-in limits, and the token
//! `/metrics` may require — raw, and validated with every problem named by its key.

use super::{Masked, Problems};
use serde::{Deserialize, Serialize};

/// `[access]`: the API's rate limit per account, the sign-in limits, and who may read
/// `/metrics`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawAccessConfig {
    /// Requests each account (bearer token or web session) may make per minute, in a
    /// burst, refilled evenly over the minute (1..=100000, default 600); over it, 429
    /// `rate_limited` with `Retry-After`.
    pub api_requests_per_minute: u32,
    /// Failed sign-ins per login name per window (1..=1000, default 5).
    pub sign_in_failures_per_login: u32,
    /// Sign-in attempts per client address per window (1..=100000, default 20).
    pub sign_in_attempts_per_address: u32,
    /// The sign-in window in seconds (60..=86400, default 900).
    pub sign_in_window_secs: u64,
    /// A bearer token `/metrics` requires (a secret: masked by `check-config`; 16 to 256
    /// characters). Empty (the default): `/metrics` is public.
    pub metrics_token: String,
}

impl Default for RawAccessConfig {
    fn default() -> Self {
        Self {
            api_requests_per_minute: 600,
            sign_in_failures_per_login: 5,
            sign_in_attempts_per_address: 20,
            sign_in_window_secs: 900,
            metrics_token: String::new(),
        }
    }
}

/// `[access]`, validated.
#[derive(Clone, Debug)]
pub struct AccessConfig {
    /// Requests per account per minute.
    pub api_requests_per_minute: u32,
    /// The sign-in limits.
    pub sign_in: crate::sign_in_limits::LimitPolicy,
    /// The token `/metrics` requires, if any.
    pub metrics_token: Option<Masked<String>>,
}

impl RawAccessConfig {
    pub(super) fn validate(self, problems: &mut Problems) -> AccessConfig {
        let key = |k: &str| format!("access.{k}");
        let per_minute = problems.in_range(
            &key("api_requests_per_minute"),
            self.api_requests_per_minute,
            1..=100_000,
        );
        let per_login = problems.in_range(
            &key("sign_in_failures_per_login"),
            self.sign_in_failures_per_login,
            1..=1000,
        );
        let per_address = problems.in_range(
            &key("sign_in_attempts_per_address"),
            self.sign_in_attempts_per_address,
            1..=100_000,
        );
        let window =
            problems.seconds(&key("sign_in_window_secs"), self.sign_in_window_secs, 60..=86_400);
        let token = self.metrics_token;
        if !token.is_empty() && !(16..=256).contains(&token.chars().count()) {
            problems.add(&key("metrics_token"), "must be 16 to 256 characters (or empty)");
        }
        let defaults = crate::sign_in_limits::LimitPolicy::default();
        AccessConfig {
            api_requests_per_minute: per_minute.unwrap_or(600),
            sign_in: crate::sign_in_limits::LimitPolicy {
                failures_per_login: per_login.unwrap_or(defaults.failures_per_login),
                attempts_per_address: per_address.unwrap_or(defaults.attempts_per_address),
                window: window.unwrap_or(defaults.window),
                max_keys: defaults.max_keys,
            },
            metrics_token: (!token.is_empty()).then_some(Masked(token)),
        }
    }
}
