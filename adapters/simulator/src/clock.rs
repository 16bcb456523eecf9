//! The simulators' "now", injectable so tests move time instead of sleeping.
//!
//! Every time rule (the request `timestamp` window, token expiry) and every time the
//! simulators write (`create_time`, webhook `timestamp`) reads the [`Clock`] given in the
//! simulator's config.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};

use crate::lock;

/// A source of the current time.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The system clock, the default of every simulator config.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// A clock that moves only when told to. Clones share one time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock { now: Arc::new(Mutex::new(start)) }
    }

    /// A clock standing at `unix_seconds` (the epoch when out of range).
    pub fn at_unix(unix_seconds: i64) -> ManualClock {
        ManualClock::new(DateTime::from_timestamp(unix_seconds, 0).unwrap_or_default())
    }

    /// The current time.
    pub fn now(&self) -> DateTime<Utc> {
        *lock(&self.now)
    }

    /// Moves the clock to `to` (backwards too).
    pub fn set(&self, to: DateTime<Utc>) {
        *lock(&self.now) = to;
    }

    /// Moves the clock by `by`.
    pub fn advance(&self, by: TimeDelta) {
        let mut now = lock(&self.now);
        *now += by;
    }

    /// This clock as a [`Clock`] for a simulator config.
    pub fn clock(&self) -> Clock {
        let shared = self.clone();
        Arc::new(move || shared.now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc.timestamp_opt(1_700_000_000, 0).single().expect("valid");
        let manual = ManualClock::new(start);
        let clock = manual.clock();
        assert_eq!(clock(), start);
        manual.advance(TimeDelta::minutes(6));
        assert_eq!(clock(), start + TimeDelta::minutes(6));
        manual.set(start);
        assert_eq!(clock(), start);
    }
}
