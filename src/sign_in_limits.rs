//! Rate limits on password sign-in, in memory: at most so many failures per login name
//! and so many attempts per client address in a window (by default 5 and 20 in 15
//! minutes). An attempt is checked and counted before any password is verified — for
//! its login as a failure until it succeeds, when the login's count is reset — so
//! concurrent guesses cannot slip past the limit. Each kind of key is capped (the
//! oldest window is forgotten first), so memory stays bounded whatever the attackers
//! send. Times come from the caller (the inbox's injected clock).

use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::sync::Mutex;

/// The limits.
#[derive(Clone, Copy, Debug)]
pub struct LimitPolicy {
    /// Most failed (or pending) sign-ins of one login name per window.
    pub failures_per_login: u32,
    /// Most sign-in attempts from one client address per window.
    pub attempts_per_address: u32,
    /// The window, from a key's first counted attempt.
    pub window: Duration,
    /// Most keys of each kind remembered.
    pub max_keys: usize,
}

impl Default for LimitPolicy {
    fn default() -> Self {
        Self {
            failures_per_login: 5,
            attempts_per_address: 20,
            window: Duration::minutes(15),
            max_keys: 10_000,
        }
    }
}

/// The longest part of a login name kept as a key (valid logins are at most 64).
const MAX_KEY_CHARS: usize = 80;

/// A refused attempt: how many seconds until it may be tried again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// One key's window: when it started and what it counted.
#[derive(Clone, Copy, Debug)]
struct Window {
    started: DateTime<Utc>,
    count: u32,
    seq: u64,
}

/// Counting windows per key, oldest first in `order` for eviction.
#[derive(Debug, Default)]
struct Windows {
    by_key: HashMap<String, Window>,
    order: BTreeMap<(DateTime<Utc>, u64), String>,
    next_seq: u64,
}

impl Windows {
    /// The key's live window, forgetting one that ended.
    fn live(&mut self, key: &str, now: DateTime<Utc>, length: Duration) -> Option<Window> {
        let window = *self.by_key.get(key)?;
        if now < window.started + length {
            return Some(window);
        }
        self.forget(key);
        None
    }

    fn forget(&mut self, key: &str) {
        if let Some(w) = self.by_key.remove(key) {
            self.order.remove(&(w.started, w.seq));
        }
    }

    /// Whether the key reached `limit`; if so, when its window ends.
    fn check(
        &mut self, key: &str, limit: u32, now: DateTime<Utc>, length: Duration,
    ) -> Result<(), RetryAfter> {
        match self.live(key, now, length) {
            Some(w) if w.count >= limit => {
                let seconds = ((w.started + length - now).num_milliseconds() + 999) / 1000;
                Err(RetryAfter(u64::try_from(seconds.max(1)).unwrap_or(1)))
            }
            _ => Ok(()),
        }
    }

    /// Counts one for the key, opening its window if none is live.
    fn count(&mut self, key: &str, now: DateTime<Utc>, length: Duration, max_keys: usize) {
        if let Some(w) = self.live(key, now, length) {
            self.by_key.insert(key.to_owned(), Window { count: w.count + 1, ..w });
            return;
        }
        while self.by_key.len() >= max_keys.max(1) {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.by_key.remove(&oldest);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.by_key.insert(key.to_owned(), Window { started: now, count: 1, seq });
        self.order.insert((now, seq), key.to_owned());
    }
}

/// The sign-in limits of a daemon.
#[derive(Debug, Default)]
pub struct SignInLimits {
    policy: LimitPolicy,
    logins: Mutex<Windows>,
    addresses: Mutex<Windows>,
}

fn login_key(login: &str) -> String {
    login.trim().to_lowercase().chars().take(MAX_KEY_CHARS).collect()
}

impl SignInLimits {
    /// Limits with a policy.
    pub fn new(policy: LimitPolicy) -> Self {
        Self { policy, ..Default::default() }
    }

    /// Checks an attempt to sign in as `login` from `address` at `now`, and counts it
    /// (for the login, as a failure until [`Self::succeeded`]); refused when the login
    /// already has its failures or the address its attempts in the window.
    pub fn begin(
        &self, login: &str, address: IpAddr, now: DateTime<Utc>,
    ) -> Result<(), RetryAfter> {
        let p = self.policy;
        let login = login_key(login);
        let address = address.to_string();
        let mut logins = self.logins.lock().unwrap_or_else(|e| e.into_inner());
        let mut addresses = self.addresses.lock().unwrap_or_else(|e| e.into_inner());
        let by_login = logins.check(&login, p.failures_per_login, now, p.window);
        let by_address = addresses.check(&address, p.attempts_per_address, now, p.window);
        match (by_login, by_address) {
            (Err(a), Err(b)) => return Err(RetryAfter(a.0.max(b.0))),
            (Err(r), _) | (_, Err(r)) => return Err(r),
            _ => {}
        }
        logins.count(&login, now, p.window, p.max_keys);
        addresses.count(&address, now, p.window, p.max_keys);
        Ok(())
    }

    /// A sign-in as `login` succeeded: its failures are forgotten.
    pub fn succeeded(&self, login: &str) {
        self.logins.lock().unwrap_or_else(|e| e.into_inner()).forget(&login_key(login));
    }

    /// How many login names and addresses are remembered.
    pub fn n_keys(&self) -> (usize, usize) {
        let logins = self.logins.lock().unwrap_or_else(|e| e.into_inner()).by_key.len();
        let addresses = self.addresses.lock().unwrap_or_else(|e| e.into_inner()).by_key.len();
        (logins, addresses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn five_failures_of_a_login_lock_it_for_the_rest_of_the_window() {
        let limits = SignInLimits::default();
        for i in 0..5 {
            assert_eq!(limits.begin("Ana", ip(i), t0() + Duration::minutes(i.into())), Ok(()));
        }
        // From any address, and whatever the case of the name.
        let at = t0() + Duration::minutes(5);
        assert_eq!(limits.begin(" ana ", ip(99), at), Err(RetryAfter(600)));
        assert_eq!(limits.begin("ana", ip(99), t0() + Duration::minutes(15)), Ok(()));
    }

    #[test]
    fn a_success_forgets_the_failures_of_its_login() {
        let limits = SignInLimits::default();
        for _ in 0..4 {
            limits.begin("ana", ip(1), t0()).unwrap();
        }
        limits.succeeded("ana");
        for _ in 0..5 {
            assert_eq!(limits.begin("ana", ip(1), t0()), Ok(()));
        }
        assert!(limits.begin("ana", ip(1), t0()).is_err());
    }

    #[test]
    fn twenty_attempts_from_one_address_lock_it_whatever_the_logins() {
        let limits = SignInLimits::default();
        for i in 0..20 {
            assert_eq!(limits.begin(&format!("user{i}"), ip(1), t0()), Ok(()));
        }
        let at = t0() + Duration::milliseconds(1500);
        assert_eq!(limits.begin("someone", ip(1), at), Err(RetryAfter(899)));
        assert_eq!(limits.begin("someone", ip(2), at), Ok(()), "another address may");
    }

    #[test]
    fn memory_is_bounded_by_forgetting_the_oldest_keys() {
        let policy = LimitPolicy { max_keys: 3, ..Default::default() };
        let limits = SignInLimits::new(policy);
        for _ in 0..5 {
            limits.begin("first", ip(1), t0()).unwrap();
        }
        assert!(limits.begin("first", ip(2), t0()).is_err());
        for i in 0..10u8 {
            let _ = limits.begin(&format!("other{i}"), ip(10 + i), t0() + Duration::seconds(1));
        }
        assert_eq!(limits.n_keys(), (3, 3));
        assert_eq!(limits.begin("first", ip(3), t0()), Ok(()), "the oldest was forgotten");
        let long = "x".repeat(100_000);
        limits.begin(&long, ip(4), t0()).unwrap();
        let longest = limits.logins.lock().unwrap().by_key.keys().map(String::len).max();
        assert_eq!(longest, Some(MAX_KEY_CHARS));
    }
}
