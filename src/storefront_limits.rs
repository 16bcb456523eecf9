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
//! | widget settings, history pages, CORS checks | client address | 600/min (120) |
//! | history pages | session | 60/min (20) |
//! | widget reads through the app proxy | the shop (they all come from the platform) | 1200/min (240) |
//!
//! IPv6 addresses count per /64 (one host usually owns a whole /64). Each limit is a
//! [`KeyedLimit`] of `crate::rate_limit` (the inbox clock, a bounded key store), so
//! memory stays bounded whatever the clients send.

use crate::rate_limit::KeyedLimit;
pub use crate::rate_limit::RetryAfter;
use governor::Quota;
use shopmux_core::Clock;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// The most keys each limit remembers.
const MAX_KEYS: usize = 100_000;

/// One cell every `per`, `burst` at once.
fn quota(per: Duration, burst: u32) -> Quota {
    let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(per).unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN)).allow_burst(burst)
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

/// A limit of `quota` per key on `clock`.
fn keyed<K: std::hash::Hash + Eq + Clone>(quota: Quota, clock: &Arc<dyn Clock>) -> KeyedLimit<K> {
    KeyedLimit::new(quota, MAX_KEYS, clock.clone())
}

/// The storefront's limiters.
pub struct StorefrontLimits {
    starts_per_address: KeyedLimit<IpAddr>,
    starts_per_shop: KeyedLimit<String>,
    starts_per_browser: KeyedLimit<String>,
    frames_per_session: KeyedLimit<String>,
    frames_per_address: KeyedLimit<IpAddr>,
    codes_per_session: KeyedLimit<String>,
    codes_per_address: KeyedLimit<IpAddr>,
    reads_per_address: KeyedLimit<IpAddr>,
    history_per_session: KeyedLimit<String>,
    proxied_reads_per_shop: KeyedLimit<String>,
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
        Self {
            starts_per_address: keyed(quota(MINUTE / 10, 10), &clock),
            starts_per_shop: keyed(quota(MINUTE / 600, 120), &clock),
            starts_per_browser: keyed(quota(MINUTE / 5, 5), &clock),
            frames_per_session: keyed(quota(MINUTE / 30, 10), &clock),
            frames_per_address: keyed(quota(MINUTE / 240, 60), &clock),
            codes_per_session: keyed(quota(MINUTE * 5, 3), &clock),
            codes_per_address: keyed(quota(MINUTE * 3, 10), &clock),
            reads_per_address: keyed(quota(MINUTE / 600, 120), &clock),
            history_per_session: keyed(quota(MINUTE / 60, 20), &clock),
            proxied_reads_per_shop: keyed(quota(MINUTE / 1200, 240), &clock),
        }
    }

    /// A direct session start from `address`, continuing `previous` (a session token's
    /// hash) if shown.
    pub fn direct_start(&self, address: IpAddr, previous: Option<&str>) -> Result<(), RetryAfter> {
        self.starts_per_address.check(&address_key(address))?;
        self.browser(previous)
    }

    /// A proxied session start in `shop`, continuing `previous` if shown.
    pub fn proxied_start(&self, shop: &str, previous: Option<&str>) -> Result<(), RetryAfter> {
        self.starts_per_shop.check(&shop.to_owned())?;
        self.browser(previous)
    }

    fn browser(&self, previous: Option<&str>) -> Result<(), RetryAfter> {
        match previous {
            Some(p) => self.starts_per_browser.check(&p.to_owned()),
            None => Ok(()),
        }
    }

    /// A chat frame of `session` (its token's hash) from `address`.
    pub fn frame(&self, address: IpAddr, session: &str) -> Result<(), RetryAfter> {
        self.frames_per_session.check(&session.to_owned())?;
        self.frames_per_address.check(&address_key(address))
    }

    /// An email code mailed for `session` at the request of `address`.
    pub fn email_code(&self, address: IpAddr, session: &str) -> Result<(), RetryAfter> {
        self.codes_per_session.check(&session.to_owned())?;
        self.email_address(address)
    }

    /// A public read (widget settings, a CORS check) from `address`.
    pub fn read(&self, address: IpAddr) -> Result<(), RetryAfter> {
        self.reads_per_address.check(&address_key(address))
    }

    /// A widget read (settings, a history page) of `shop` through its app proxy, for
    /// `session` (a token's hash) when it is a history page.
    pub fn proxied_read(&self, shop: &str, session: Option<&str>) -> Result<(), RetryAfter> {
        self.proxied_reads_per_shop.check(&shop.to_owned())?;
        match session {
            Some(s) => self.history_per_session.check(&s.to_owned()),
            None => Ok(()),
        }
    }

    /// A history page of `session` (its token's hash) from `address`.
    pub fn history(&self, address: IpAddr, session: &str) -> Result<(), RetryAfter> {
        self.history_per_session.check(&session.to_owned())?;
        self.read(address)
    }

    /// An email confirmation (or code request) from `address`.
    pub fn email_address(&self, address: IpAddr) -> Result<(), RetryAfter> {
        self.codes_per_address.check(&address_key(address))
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
        // History pages: a burst of 20 per session, then one a second.
        for _ in 0..20 {
            limits.history(ip, "s1").unwrap();
        }
        assert_eq!(limits.history(ip, "s1"), Err(RetryAfter(1)));
        limits.history(ip, "s2").unwrap();
    }
}
