//! Rate limits on password sign-in, on `governor` keyed limiters ([`crate::rate_limit`]):
//! at most so many failures per login name and so many attempts per client address per
//! window (by default 5 and 20 per 15 minutes: a full bucket, refilled one at a time
//! over the window). An attempt is checked and counted before any password is verified
//! — its address first (an address over its limit touches no login's count), then its
//! login, as a failure until it succeeds, when the login's count is forgotten — so
//! concurrent guesses cannot slip past the limit. Each kind of key is capped (the keys
//! nearest to a full bucket are forgotten first), so memory stays bounded whatever the
//! attackers send. Times come from the inbox's injected clock.

pub use crate::rate_limit::RetryAfter;
use crate::rate_limit::{KeyedLimit, quota};
use shopmux_core::Clock;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

/// The limits.
#[derive(Clone, Copy, Debug)]
pub struct LimitPolicy {
    /// Most failed (or pending) sign-ins of one login name per window.
    pub failures_per_login: u32,
    /// Most sign-in attempts from one client address per window.
    pub attempts_per_address: u32,
    /// The window a full bucket refills in.
    pub window: Duration,
    /// Most keys of each kind remembered.
    pub max_keys: usize,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        Self {
            failures_per_login: 5,
            attempts_per_address: 20,
            window: Duration::from_secs(15 * 60),
            max_keys: 10_000,
        }
    }
}

/// The longest part of a login name kept as a key (valid logins are at most 64).
const MAX_KEY_CHARS: usize = 80;

/// The sign-in limits of a daemon.
pub struct SignInLimits {
    logins: KeyedLimit<String>,
    addresses: KeyedLimit<IpAddr>,
}

fn login_key(login: &str) -> String {
    login.trim().to_lowercase().chars().take(MAX_KEY_CHARS).collect()
}

impl SignInLimits {
    /// Limits with a policy, on the inbox's clock.
    pub fn new(policy: LimitPolicy, clock: Arc<dyn Clock>) -> Self {
        let p = policy;
        Self {
            logins: KeyedLimit::new(
                quota(p.failures_per_login, p.window),
                p.max_keys,
                clock.clone(),
            ),
            addresses: KeyedLimit::new(quota(p.attempts_per_address, p.window), p.max_keys, clock),
        }
    }

    /// Checks an attempt to sign in as `login` from `address`, and counts it (for the
    /// login, as a failure until [`Self::succeeded`]); refused when the address already
    /// made its attempts or the login had its failures.
    pub fn begin(&self, login: &str, address: IpAddr) -> Result<(), RetryAfter> {
        self.addresses.check(&address)?;
        self.logins.check(&login_key(login))
    }

    /// A sign-in as `login` succeeded: its failures are forgotten.
    pub fn succeeded(&self, login: &str) {
        self.logins.forget(&login_key(login));
    }

    /// How many login names and addresses are remembered.
    pub fn n_keys(&self) -> (usize, usize) {
        (self.logins.n_keys(), self.addresses.n_keys())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_core::ManualClock;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn limits(policy: LimitPolicy) -> (SignInLimits, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::at_epoch_2026());
        (SignInLimits::new(policy, clock.clone()), clock)
    }

    fn minutes(n: i64) -> chrono::Duration {
        chrono::Duration::minutes(n)
    }

    #[test]
    fn five_failures_of_a_login_lock_it_until_its_bucket_refills() {
        let (limits, clock) = limits(LimitPolicy::default());
        for i in 0..5 {
            assert_eq!(limits.begin("Ana", ip(i)), Ok(()));
        }
        // From any address, and whatever the case of the name: one more in 3 minutes
        // (15 minutes / 5), no sooner.
        clock.advance(minutes(1));
        assert_eq!(limits.begin(" ana ", ip(99)), Err(RetryAfter(120)));
        clock.advance(minutes(2));
        assert_eq!(limits.begin("ana", ip(99)), Ok(()));
        assert!(limits.begin("ana", ip(99)).is_err());
    }

    #[test]
    fn a_success_forgets_the_failures_of_its_login() {
        let (limits, _) = limits(LimitPolicy::default());
        for _ in 0..4 {
            limits.begin("ana", ip(1)).unwrap();
        }
        limits.succeeded("ana");
        for _ in 0..5 {
            assert_eq!(limits.begin("ana", ip(1)), Ok(()));
        }
        assert!(limits.begin("ana", ip(1)).is_err());
    }

    #[test]
    fn twenty_attempts_from_one_address_lock_it_whatever_the_logins() {
        let (limits, clock) = limits(LimitPolicy::default());
        for i in 0..20 {
            assert_eq!(limits.begin(&format!("user{i}"), ip(1)), Ok(()));
        }
        clock.advance(chrono::Duration::milliseconds(1500));
        // One more every 45 s (15 minutes / 20).
        assert_eq!(limits.begin("someone", ip(1)), Err(RetryAfter(44)));
        assert_eq!(limits.begin("someone", ip(2)), Ok(()), "another address may");
    }

    #[test]
    fn a_locked_address_spends_no_login_attempts() {
        let policy = LimitPolicy { attempts_per_address: 1, ..Default::default() };
        let (limits, _) = limits(policy);
        limits.begin("x", ip(1)).unwrap();
        for _ in 0..10 {
            assert!(limits.begin("ana", ip(1)).is_err());
        }
        for i in 0..5 {
            assert_eq!(limits.begin("ana", ip(10 + i)), Ok(()), "ana's failures were not spent");
        }
    }

    #[test]
    fn memory_is_bounded_by_forgetting_the_keys_nearest_to_a_full_bucket() {
        let policy = LimitPolicy { max_keys: 8, ..Default::default() };
        let (limits, clock) = limits(policy);
        for _ in 0..5 {
            limits.begin("first", ip(1)).unwrap();
        }
        assert!(limits.begin("first", ip(2)).is_err());
        for i in 0..40u8 {
            clock.advance(chrono::Duration::seconds(1));
            let _ = limits.begin(&format!("other{i}"), ip(10 + i));
        }
        let (logins, addresses) = limits.n_keys();
        assert!(logins <= 8 && addresses <= 8, "{logins} {addresses}");
        assert!(limits.begin("first", ip(3)).is_err(), "the most restricted login is kept");
        let long = "x".repeat(100_000);
        limits.begin(&long, ip(4)).unwrap();
        assert!(limits.logins.n_keys() <= 8);
    }
}
