//! Rate limits on the storefront chat, in memory, with `governor`'s keyed GCRA limiters
//! driven by the inbox's injected clock (tests move it; nothing sleeps):
//!
//! | what | key | rate (burst) |
//! |---|---|---|
//! | session starts | client address (direct sessions) | 10/min (10) |
//! | session starts | the shop (proxied: they all come from the platform's servers) | 600/min (120) |
//! | session starts | the previous session shown (one browser) | 5/min (5) |
//! | chat frames | session | 30/min (10) |
//! | chat frames | client address | 240/min (60) |
//! | email codes | session | 1/5 min (3) |
//! | email codes and confirmations | client address | 20/hour (10) |
//!
//! IPv6 addresses count per /64 (one host usually owns a whole /64). Keys whose state
//! is back to a fresh one are dropped every [`SWEEP_EVERY`] checks, so memory follows
//! the clients of the last minutes, not of all time.

use governor::clock::Clock as RateClock;
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use governor::{Quota, RateLimiter};
use shopmux_core::Clock;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Checks between two sweeps of forgotten keys.
pub const SWEEP_EVERY: u64 = 1024;

/// The inbox's clock as `governor` reads it: time since the Unix epoch.
#[derive(Clone)]
pub struct InboxClock(pub Arc<dyn Clock>);

impl RateClock for InboxClock {
    type Instant = Duration;

    fn now(&self) -> Duration {
        let millis = self.0.now().timestamp_millis();
        Duration::from_millis(u64::try_from(millis).unwrap_or(0))
    }
}

type Keyed<K> = RateLimiter<K, HashMapStateStore<K>, InboxClock, NoOpMiddleware<Duration>>;

/// A refused call: seconds until it may be tried again (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

fn quota(per: Duration, burst: u32) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(per).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
}

/// One cell every `per`, `burst` at once.
fn limiter<K: Hash + Eq + Clone>(clock: &InboxClock, per: Duration, burst: u32) -> Keyed<K> {
    RateLimiter::hashmap_with_clock(quota(per, burst), clock.clone())
}

/// The key of a client address: itself, or its /64 for IPv6.
fn address_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(bits.into())
        }
        v4 => v4,
    }
}

/// The storefront's limiters.
pub struct StorefrontLimits {
    clock: InboxClock,
    starts_per_address: Keyed<IpAddr>,
    starts_per_shop: Keyed<String>,
    starts_per_browser: Keyed<String>,
    frames_per_session: Keyed<String>,
    frames_per_address: Keyed<IpAddr>,
    codes_per_session: Keyed<String>,
    codes_per_address: Keyed<IpAddr>,
    checks: AtomicU64,
}

impl std::fmt::Debug for StorefrontLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StorefrontLimits").finish_non_exhaustive()
    }
}

const MINUTE: Duration = Duration::from_secs(60);

impl StorefrontLimits {
    /// The limits of the table above, timed by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        let clock = InboxClock(clock);
        Self {
            starts_per_address: limiter(&clock, MINUTE / 10, 10),
            starts_per_shop: limiter(&clock, MINUTE / 600, 120),
            starts_per_browser: limiter(&clock, MINUTE / 5, 5),
            frames_per_session: limiter(&clock, MINUTE / 30, 10),
            frames_per_address: limiter(&clock, MINUTE / 240, 60),
            codes_per_session: limiter(&clock, MINUTE * 5, 3),
            codes_per_address: limiter(&clock, MINUTE * 3, 10),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// One check of `key` against `limiter`.
    fn check<K: Hash + Eq + Clone>(&self, limiter: &Keyed<K>, key: &K) -> Result<(), RetryAfter> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.sweep();
        }
        limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            RetryAfter((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
        })
    }

    /// Forgets keys back to a fresh state.
    fn sweep(&self) {
        self.starts_per_address.retain_recent();
        self.starts_per_shop.retain_recent();
        self.starts_per_browser.retain_recent();
        self.frames_per_session.retain_recent();
        self.frames_per_address.retain_recent();
        self.codes_per_session.retain_recent();
        self.codes_per_address.retain_recent();
    }

    /// A direct session start from `address`, continuing `previous` (a session token's
    /// hash) if shown.
    pub fn direct_start(&self, address: IpAddr, previous: Option<&str>) -> Result<(), RetryAfter> {
        self.check(&self.starts_per_address, &address_key(address))?;
        self.browser(previous)
    }

    /// A proxied session start in `shop`, continuing `previous` if shown.
    pub fn proxied_start(&self, shop: &str, previous: Option<&str>) -> Result<(), RetryAfter> {
        self.check(&self.starts_per_shop, &shop.to_owned())?;
        self.browser(previous)
    }

    fn browser(&self, previous: Option<&str>) -> Result<(), RetryAfter> {
        match previous {
            Some(p) => self.check(&self.starts_per_browser, &p.to_owned()),
            None => Ok(()),
        }
    }

    /// A chat frame of `session` (its token's hash) from `address`.
    pub fn frame(&self, address: IpAddr, session: &str) -> Result<(), RetryAfter> {
        self.check(&self.frames_per_session, &session.to_owned())?;
        self.check(&self.frames_per_address, &address_key(address))
    }

    /// An email code mailed for `session` at the request of `address`.
    pub fn email_code(&self, address: IpAddr, session: &str) -> Result<(), RetryAfter> {
        self.check(&self.codes_per_session, &session.to_owned())?;
        self.email_address(address)
    }

    /// An email confirmation (or code request) from `address`.
    pub fn email_address(&self, address: IpAddr) -> Result<(), RetryAfter> {
        self.check(&self.codes_per_address, &address_key(address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_core::ManualClock;

    #[test]
    fn storefront_rate_limits_trip_and_recover_by_the_injected_clock() {
        let clock = Arc::new(ManualClock::at_epoch_2026());
        let limits = StorefrontLimits::new(clock.clone());
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..10 {
            limits.direct_start(ip, None).unwrap();
        }
        assert_eq!(limits.direct_start(ip, None), Err(RetryAfter(6)));
        // Another address is not affected; the same /64 is.
        limits.direct_start("203.0.113.8".parse().unwrap(), None).unwrap();
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let b: IpAddr = "2001:db8::2".parse().unwrap();
        for _ in 0..10 {
            limits.direct_start(a, None).unwrap();
        }
        assert!(limits.direct_start(b, None).is_err());
        clock.advance(chrono::Duration::seconds(6));
        limits.direct_start(ip, None).unwrap();
        // Frames per session: a burst of 10, then one every 2 s.
        for _ in 0..10 {
            limits.frame(ip, "s1").unwrap();
        }
        assert_eq!(limits.frame(ip, "s1"), Err(RetryAfter(2)));
        limits.frame(ip, "s2").unwrap();
        clock.advance(chrono::Duration::seconds(2));
        limits.frame(ip, "s1").unwrap();
        // Email codes: three per session, then one per 5 minutes.
        for _ in 0..3 {
            limits.email_code(ip, "s1").unwrap();
        }
        assert_eq!(limits.email_code(ip, "s1"), Err(RetryAfter(300)));
    }
}
