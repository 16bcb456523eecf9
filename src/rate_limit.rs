//! Keyed rate limits on `governor`'s GCRA (a token bucket per key: a burst, then one
//! more every `window / burst`), driven by the inbox's injected clock — tests move a
//! manual clock instead of sleeping — and kept in a bounded store: at most `max_keys`
//! keys, the ones nearest to a full bucket forgotten first when it is full, and a key
//! can be forgotten on purpose (a successful sign-in forgets its login's failures).
//! Used by the sign-in limits ([`crate::sign_in_limits`]) and by the API's limit per
//! account ([`ApiLimits`]).

use governor::clock::Clock as GovernorClock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::StateStore;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::{Quota, RateLimiter};
use shopmux_core::Clock;
use std::collections::HashMap;
use std::hash::Hash;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The inbox's clock as `governor` reads it: nanoseconds since the Unix epoch.
#[derive(Clone)]
pub struct InboxClock(pub Arc<dyn Clock>);

impl GovernorClock for InboxClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let ms = u64::try_from(self.0.now().timestamp_millis()).unwrap_or(0);
        Nanos::from(ms.saturating_mul(1_000_000))
    }
}

/// A keyed state store holding at most `max_keys` keys (each a GCRA arrival time).
pub struct BoundedStore<K> {
    states: Arc<Mutex<HashMap<K, Nanos>>>,
    max_keys: usize,
}

impl<K> Clone for BoundedStore<K> {
    fn clone(&self) -> Self {
        Self { states: self.states.clone(), max_keys: self.max_keys }
    }
}

impl<K: Hash + Eq + Clone> BoundedStore<K> {
    /// An empty store for at most `max_keys` keys.
    pub fn new(max_keys: usize) -> Self {
        Self { states: Arc::default(), max_keys: max_keys.max(1) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Nanos>> {
        self.states.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets a key: its bucket is full again.
    pub fn forget(&self, key: &K) {
        self.lock().remove(key);
    }

    /// How many keys are remembered.
    pub fn n_keys(&self) -> usize {
        self.lock().len()
    }
}

/// Makes room for one key: forgets the eighth of the keys nearest to a full bucket
/// (the earliest arrival times), so a full store costs one sort per many new keys.
fn make_room<K: Hash + Eq + Clone>(states: &mut HashMap<K, Nanos>, max_keys: usize) {
    if states.len() < max_keys {
        return;
    }
    let mut times: Vec<u64> = states.values().map(|t| t.as_u64()).collect();
    times.sort_unstable();
    let cut = times[(times.len() / 8).min(times.len() - 1)];
    states.retain(|_, t| t.as_u64() > cut);
}

impl<K: Hash + Eq + Clone> StateStore for BoundedStore<K> {
    type Key = K;

    fn measure_and_replace<T, F, E>(&self, key: &K, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let mut states = self.lock();
        let previous = states.get(key).copied();
        let (outcome, next) = f(previous)?;
        if previous.is_none() {
            make_room(&mut states, self.max_keys);
        }
        states.insert(key.clone(), next);
        Ok(outcome)
    }
}

impl<K: Hash + Eq + Clone> ShrinkableKeyedStateStore<K> for BoundedStore<K> {
    fn retain_recent(&self, drop_below: Nanos) {
        self.lock().retain(|_, t| *t >= drop_below);
    }

    fn shrink_to_fit(&self) {
        self.lock().shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.n_keys()
    }

    fn is_empty(&self) -> bool {
        self.n_keys() == 0
    }
}

/// A refused request: how many whole seconds until it may be tried again (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RetryAfter(pub u64);

/// `burst` requests per `window`: a full bucket of `burst`, refilled one at a time over
/// the window.
pub fn quota(burst: u32, window: Duration) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    let per_cell = (window / burst.get()).max(Duration::from_nanos(1));
    Quota::with_period(per_cell).unwrap_or_else(|| Quota::per_second(burst)).allow_burst(burst)
}

/// One keyed limit over a [`BoundedStore`].
pub struct KeyedLimit<K: Hash + Eq + Clone> {
    limiter: RateLimiter<K, BoundedStore<K>, InboxClock, NoOpMiddleware<Nanos>>,
    store: BoundedStore<K>,
}

impl<K: Hash + Eq + Clone> KeyedLimit<K> {
    /// A limit of `quota` per key, at most `max_keys` keys, on `clock`.
    pub fn new(quota: Quota, max_keys: usize, clock: Arc<dyn Clock>) -> Self {
        let store = BoundedStore::new(max_keys);
        Self { limiter: RateLimiter::new(quota, store.clone(), InboxClock(clock)), store }
    }

    /// Counts one request of `key`, or says when it may come again.
    pub fn check(&self, key: &K) -> Result<(), RetryAfter> {
        self.limiter.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.limiter.clock().now());
            RetryAfter(wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(RetryAfter(1))
        })
    }

    /// Forgets `key` (its bucket is full again).
    pub fn forget(&self, key: &K) {
        self.store.forget(key);
    }

    /// How many keys are remembered.
    pub fn n_keys(&self) -> usize {
        self.store.n_keys()
    }
}

/// The API's limit per account: every authenticated request (a bearer token or a web
/// session) counts for its account; over the limit, 429 `rate_limited` with
/// `Retry-After`.
pub struct ApiLimits {
    limit: KeyedLimit<shopmux_core::domain::ids::AgentId>,
}

impl ApiLimits {
    /// `burst` requests per `window` per account.
    pub fn new(burst: u32, window: Duration, clock: Arc<dyn Clock>) -> Self {
        Self { limit: KeyedLimit::new(quota(burst, window), 100_000, clock) }
    }

    /// Counts one request of the account.
    pub fn check(&self, agent: shopmux_core::domain::ids::AgentId) -> Result<(), RetryAfter> {
        self.limit.check(&agent)
    }
}
