//! Service data (TT-DATA-1..3, DY-QA-1..3) as pure functions: what each event adds to
//! the rollups (`tally`), the same rollups rebuilt from stored messages (`replay`), the
//! periods in a shop's time zone (`period`), and the figures computed from summed
//! rollups (`figures`). Which figures a platform reports, and their durations, are rule
//! data (`RuleSet::service_data`).
//!
//! Rollups are kept per (shop, 15-minute slot, agent, metric): every time zone's
//! midnight is a multiple of 15 minutes from UTC's, so any local day, week or month is a
//! range of whole slots. Beside them, the same rollups are kept per UTC hour, per UTC
//! 4-hour block and per UTC day: a period reads its whole UTC days, the whole blocks at
//! its edges, then whole hours and only then slots (`unit_split`): a local day in
//! Asia/Shanghai is 6 block rows (24 hour rows without blocks), in a zone 5 hours off
//! UTC 5 blocks and 4 hours, a month about 30 day rows and its edges.

pub mod figures;
pub mod period;
pub mod replay;
pub mod tally;

use super::ids::ShopId;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A slot's length in milliseconds (15 minutes).
pub const SLOT_MS: i64 = 15 * 60 * 1000;

/// Slots in a UTC day.
pub const SLOTS_PER_DAY: i64 = 96;
/// Slots in a 4-hour block (UTC: 00:00, 04:00, … 20:00).
pub const SLOTS_PER_BLOCK: i64 = 16;
/// Slots in an hour.
pub const SLOTS_PER_HOUR: i64 = 4;

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

/// The units rollups are kept in, coarsest first, in slots: UTC days, UTC 4-hour blocks,
/// UTC hours, slots. Every change is kept in each; each unit divides the one before.
pub const UNITS: [i64; 4] = [SLOTS_PER_DAY, SLOTS_PER_BLOCK, SLOTS_PER_HOUR, 1];

/// A slot range `[from, to)` as the fewest rows to read: its whole UTC days, then whole
/// blocks at its edges, then whole hours at theirs, then slots. Each part is (unit in slots, `[from, to)`
/// in that unit); empty parts are left out.
pub fn unit_split(range: (i64, i64)) -> Vec<(i64, (i64, i64))> {
    let mut out = Vec::new();
    split_at(0, range, &mut out);
    out
}

fn split_at(level: usize, (from, to): (i64, i64), out: &mut Vec<(i64, (i64, i64))>) {
    if from >= to {
        return;
    }
    let unit = UNITS[level];
    let first = from.div_euclid(unit) + i64::from(from.rem_euclid(unit) != 0);
    let last = to.div_euclid(unit);
    if level + 1 == UNITS.len() || first < last {
        out.push((unit, (first, last)));
    }
    if level + 1 < UNITS.len() {
        if first < last {
            split_at(level + 1, (from, first * unit), out);
            split_at(level + 1, (last * unit, to), out);
        } else {
            split_at(level + 1, (from, to), out);
        }
    }
}

/// Rollup changes summed per unit of `unit` slots (the key's `slot` holds the unit).
pub fn by_unit(rollups: &Rollups, unit: i64) -> Rollups {
    let mut out = Rollups::new();
    for (k, t) in rollups {
        let key = RollupKey { slot: k.slot.div_euclid(unit), ..k.clone() };
        add(&mut out, key, *t, 1);
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_splits_into_whole_utc_days_then_blocks_then_hours_then_slots() {
        // rule: DY-QA-1 (a month in Asia/Shanghai: 16:00 UTC to 16:00 UTC)
        let (d, b, h) = (SLOTS_PER_DAY, SLOTS_PER_BLOCK, SLOTS_PER_HOUR);
        let month = unit_split((10 * d + 64, 40 * d + 64));
        assert_eq!(month, [(d, (11, 40)), (b, (10 * 6 + 4, 11 * 6)), (b, (40 * 6, 40 * 6 + 4))]);
        // A local day in UTC+8 holds no whole UTC day: 6 blocks (16:00 to 16:00).
        assert_eq!(unit_split((10 * d + 64, 11 * d + 64)), [(b, (10 * 6 + 4, 11 * 6 + 4))]);
        // UTC-5 (05:00 to 05:00): 5 blocks, then hours at both edges.
        assert_eq!(
            unit_split((10 * d + 20, 11 * d + 20)),
            [
                (b, (10 * 6 + 2, 11 * 6 + 1)),
                (h, (10 * 24 + 5, 10 * 24 + 8)),
                (h, (11 * 24 + 4, 11 * 24 + 5))
            ]
        );
        // UTC+5:45 (Nepal): blocks, then hours, then slots at the edges.
        let nepal = unit_split((10 * d + 73, 11 * d + 73));
        assert_eq!(
            nepal,
            [
                (b, (10 * 6 + 5, 11 * 6 + 4)),
                (h, (10 * 24 + 19, 10 * 24 + 20)),
                (1, (10 * d + 73, 10 * d + 76)),
                (h, (11 * 24 + 16, 11 * 24 + 18)),
                (1, (11 * d + 72, 11 * d + 73))
            ]
        );
        // Whole UTC days have no edges; an empty range has no part; a short one is slots.
        assert_eq!(unit_split((3 * d, 5 * d)), [(d, (3, 5))]);
        assert_eq!(unit_split((7, 7)), []);
        assert_eq!(unit_split((5, 7)), [(1, (5, 7))]);
        // Every slot of a range is read exactly once.
        for range in [(10 * d + 73, 40 * d + 3), (1, 2 * d - 1), (d - 1, d + 1)] {
            let mut slots: Vec<i64> = unit_split(range)
                .into_iter()
                .flat_map(|(unit, (a, b))| (a * unit..b * unit).collect::<Vec<_>>())
                .collect();
            slots.sort();
            assert_eq!(slots, (range.0..range.1).collect::<Vec<_>>(), "{range:?}");
        }
    }

    #[test]
    fn changes_sum_per_utc_day_and_cancelling_ones_drop() {
        let shop = ShopId::new();
        let key = |slot: i64, metric: &str| RollupKey {
            shop_id: shop,
            slot,
            agent: "a".into(),
            metric: metric.into(),
        };
        let mut r = Rollups::new();
        add(&mut r, key(5, RESPONSE), Tally::one(1_000), 1);
        add(&mut r, key(90, RESPONSE), Tally::one(3_000), 1);
        add(&mut r, key(100, RESPONSE), Tally::one(7), 1);
        add(&mut r, key(3, STARTED), Tally::one(0), 1);
        add(&mut r, key(95, STARTED), Tally::one(0), -1);
        let days = by_unit(&r, SLOTS_PER_DAY);
        assert_eq!(days.get(&key(0, RESPONSE)), Some(&Tally { n: 2, total: 4_000 }));
        assert_eq!(days.get(&key(1, RESPONSE)), Some(&Tally { n: 1, total: 7 }));
        assert_eq!(days.get(&key(0, STARTED)), None, "+1 and −1 in one day come to nothing");
    }
}
