//! Service data (TT-DATA-1..3, DY-QA-1..3) as pure functions: what each event adds to
//! the rollups (`tally`), the same rollups rebuilt from stored messages (`replay`), the
//! periods in a shop's time zone (`period`), and the figures computed from summed
//! rollups (`figures`). Which figures a platform reports, and their durations, are rule
//! data (`RuleSet::service_data`).
//!
//! Rollups are kept per (shop, 15-minute slot, agent, metric): every time zone's
//! midnight is a multiple of 15 minutes from UTC's, so any local day, week or month is a
//! range of whole slots.

pub mod figures;
pub mod period;
pub mod replay;
pub mod tally;

use super::ids::ShopId;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A slot's length in milliseconds (15 minutes).
pub const SLOT_MS: i64 = 15 * 60 * 1000;

/// The agent key of rollups no agent is credited with.
pub const NO_AGENT: &str = "";

/// Metric: a conversation a buyer started (by its start; credited to its holder).
pub const STARTED: &str = "started";
/// Metric: a conversation's first human reply (by the reply; credited to the replier);
/// `total` sums (first human reply − first human assignment) in ms (DY-QA-2).
pub const SERVED: &str = "served";
/// Metric: a human reply ending a buyer's wait; `total` sums the response times in ms.
pub const RESPONSE: &str = "response";
/// Metric: a latest rating (by the rating; credited to the agent rated).
pub const RATED: &str = "rated";
/// Metric: a latest rating that is satisfied (4 or 5).
pub const SATISFIED: &str = "satisfied";
/// The lowest score that counts as satisfied ("satisfied" or "very satisfied").
pub const SATISFIED_FROM: i64 = 4;
/// The hour classes of first replies kept: `first_reply_h:0..=168`, later ones in 169.
pub const MAX_REPLY_HOURS: i64 = 169;

/// Metric: the first human reply came within `hours` hours (rounded up) of the start.
pub fn first_reply_hours(hours: i64) -> String {
    format!("first_reply_h:{}", hours.clamp(0, MAX_REPLY_HOURS))
}

/// Metric: a response within `secs` seconds.
pub fn within(secs: u64) -> String {
    format!("within_s:{secs}")
}

/// Metric: a wait answered only `secs` seconds or more after it began, kept by the slot
/// it began in (the live figures add the waits still unanswered that long, by the same
/// slot, from the conversations: see `tally::unanswered`).
pub fn unreplied(secs: u64) -> String {
    format!("unreplied_s:{secs}")
}

/// The slot holding an instant.
pub fn slot_of(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis().div_euclid(SLOT_MS)
}

/// The first slot at or after an instant (a period's bound).
pub fn slot_ceil(t: DateTime<Utc>) -> i64 {
    let ms = t.timestamp_millis();
    ms.div_euclid(SLOT_MS) + i64::from(ms.rem_euclid(SLOT_MS) != 0)
}

/// One rollup row's key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RollupKey {
    /// The shop.
    pub shop_id: ShopId,
    /// The 15-minute slot.
    pub slot: i64,
    /// The agent credited, or [`NO_AGENT`].
    pub agent: String,
    /// What is counted.
    pub metric: String,
}

/// A count and a sum of milliseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many.
    pub n: i64,
    /// Their sum (ms), where the metric has one.
    pub total: i64,
}

impl Tally {
    /// One event with a sum.
    pub fn one(total: i64) -> Self {
        Self { n: 1, total }
    }
}

/// Rollup changes keyed and merged; sorted, so transactions touch rows in one order.
pub type Rollups = BTreeMap<RollupKey, Tally>;

/// Adds `sign` × `tally` to `key`, dropping rows that come to nothing.
pub fn add(out: &mut Rollups, key: RollupKey, tally: Tally, sign: i64) {
    let e = out.entry(key.clone()).or_default();
    e.n += sign * tally.n;
    e.total += sign * tally.total;
    if *e == Tally::default() {
        out.remove(&key);
    }
}
