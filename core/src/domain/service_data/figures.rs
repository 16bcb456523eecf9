//! The figures, exactly as the seeds define them, computed from rollups summed over a
//! period: each carries its rule ID, its period, its numerator and its denominator, so
//! a lead can check it.

use super::period::Period;
use super::*;
use serde::Serialize;
use shopmux_contract::service_figures::{FigureKind, ServiceFigure};
use std::collections::HashMap;

/// Rollups of one scope (a shop, or an agent in it) summed over one period.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    /// Metric → summed tally.
    pub metrics: HashMap<String, Tally>,
    /// Buyer-started conversations held by an agent (all of them for an agent scope).
    pub started_assigned: i64,
}

impl Sums {
    /// The summed tally of a metric.
    pub fn get(&self, metric: &str) -> Tally {
        self.metrics.get(metric).copied().unwrap_or_default()
    }

    /// Adds a rollup row of `agent` to the sums.
    pub fn add(&mut self, agent: &str, metric: &str, t: Tally) {
        let e = self.metrics.entry(metric.to_owned()).or_default();
        e.n += t.n;
        e.total += t.total;
        if metric == STARTED && agent != NO_AGENT {
            self.started_assigned += t.n;
        }
    }

    /// Adds other sums.
    pub fn merge(&mut self, other: &Sums) {
        for (m, t) in &other.metrics {
            let e = self.metrics.entry(m.clone()).or_default();
            e.n += t.n;
            e.total += t.total;
        }
        self.started_assigned += other.started_assigned;
    }
}

/// What a figure's value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// numerator / denominator, 0 to 1.
    Ratio,
    /// A count: the numerator (the denominator is 1).
    Count,
    /// An average duration in ms: numerator (sum of ms) / denominator.
    Milliseconds,
}

/// One figure of one scope and period.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Figure {
    /// The rule defining it.
    pub rule: String,
    /// What it measures.
    pub kind: FigureKind,
    /// What its value is.
    pub unit: Unit,
    /// The period it covers, from (included) …
    pub from: DateTime<Utc>,
    /// … to (excluded).
    pub to: DateTime<Utc>,
    /// Its numerator.
    pub numerator: i64,
    /// Its denominator.
    pub denominator: i64,
    /// numerator / denominator; none when the denominator is 0.
    pub value: Option<f64>,
}

/// The period a figure covers when `period` is asked for: its own lookback where it
/// declares one (TT-DATA-1: the past 7 days), else the period.
pub fn covered(f: &ServiceFigure, period: Period, tz: chrono_tz::Tz) -> Period {
    match f.over {
        Some(over) => {
            super::period::lookback(period, chrono::Duration::seconds(over.as_secs() as i64), tz)
        }
        None => period,
    }
}

/// A figure computed from the sums of the period it covers.
pub fn figure(f: &ServiceFigure, period: Period, sums: &Sums, agent_scope: bool) -> Figure {
    let (unit, numerator, denominator) = formula(f, sums, agent_scope);
    let value = match (unit, denominator) {
        (_, 0) => None,
        (Unit::Count, _) => Some(numerator as f64),
        _ => Some(numerator as f64 / denominator as f64),
    };
    Figure {
        rule: f.rule.clone(),
        kind: f.kind,
        unit,
        from: period.from,
        to: period.to,
        numerator,
        denominator,
        value,
    }
}

fn secs(f: &ServiceFigure) -> u64 {
    f.within.map_or(0, |s| s.as_secs())
}

/// (unit, numerator, denominator) of a figure.
fn formula(f: &ServiceFigure, s: &Sums, agent_scope: bool) -> (Unit, i64, i64) {
    let started = s.get(STARTED).n;
    match f.kind {
        // rule: TT-DATA-1 (buyer-started conversations first answered by a human within the
        // window, over all buyer-started conversations of the past 7 days)
        FigureKind::ResponseRate => {
            let hours = (secs(f) / 3600) as i64;
            let replied =
                (0..=hours.min(MAX_REPLY_HOURS - 1)).map(|h| s.get(&first_reply_hours(h)).n).sum();
            (Unit::Ratio, replied, started)
        }
        // rule: TT-DATA-2 (satisfied or very satisfied over rated conversations)
        FigureKind::Satisfaction => (Unit::Ratio, s.get(SATISFIED).n, s.get(RATED).n),
        // rule: TT-DATA-3 (conversations buyers started, assigned to the agent)
        FigureKind::Received => {
            (Unit::Count, if agent_scope { started } else { s.started_assigned }, 1)
        }
        // rule: DY-QA-1 (buyers served, consultations, response times, within 30 s,
        // unreplied 10 min)
        FigureKind::BuyersServed => (Unit::Count, s.get(SERVED).n, 1),
        FigureKind::Consultations => (Unit::Count, started, 1),
        FigureKind::AverageResponseTime => {
            let r = s.get(RESPONSE);
            (Unit::Milliseconds, r.total, r.n)
        }
        // rule: DY-QA-2 (average over conversations of first human reply − assignment)
        FigureKind::FirstResponseTime => {
            let r = s.get(SERVED);
            (Unit::Milliseconds, r.total, r.n)
        }
        FigureKind::RepliesWithin => (Unit::Ratio, s.get(&within(secs(f))).n, s.get(RESPONSE).n),
        FigureKind::UnrepliedFor => (Unit::Count, s.get(&unreplied(secs(f))).n, 1),
        // rule: DY-QA-3 (ratings, and rated conversations over conversations served)
        FigureKind::Ratings => (Unit::Count, s.get(RATED).n, 1),
        FigureKind::RatingRate => (Unit::Ratio, s.get(RATED).n, s.get(SERVED).n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_contract::Span;

    fn sums(rows: &[(&str, &str, i64, i64)]) -> Sums {
        let mut s = Sums::default();
        for (agent, metric, n, total) in rows {
            s.add(agent, metric, Tally { n: *n, total: *total });
        }
        s
    }

    // rule: TT-DATA-1
    #[test]
    fn tt_data_1_counts_replies_up_to_the_window_hour() {
        let f = ServiceFigure::new("TT-DATA-1", FigureKind::ResponseRate).within(Span::hours(24));
        let s = sums(&[
            ("a", STARTED, 4, 0),
            ("a", "first_reply_h:24", 1, 0),
            ("a", "first_reply_h:25", 1, 0),
            ("a", "first_reply_h:0", 1, 0),
        ]);
        let p = Period { from: DateTime::UNIX_EPOCH, to: DateTime::UNIX_EPOCH };
        let got = figure(&f, p, &s, false);
        assert_eq!((got.numerator, got.denominator, got.value), (2, 4, Some(0.5)));
        let twelve =
            ServiceFigure::new("TT-DATA-1", FigureKind::ResponseRate).within(Span::hours(12));
        assert_eq!(figure(&twelve, p, &s, false).numerator, 1);
    }

    // rule: TT-DATA-3
    #[test]
    fn tt_data_3_counts_only_assigned_conversations_for_a_shop() {
        let f = ServiceFigure::new("TT-DATA-3", FigureKind::Received);
        let s = sums(&[(NO_AGENT, STARTED, 2, 0), ("a", STARTED, 3, 0)]);
        let p = Period { from: DateTime::UNIX_EPOCH, to: DateTime::UNIX_EPOCH };
        assert_eq!(figure(&f, p, &s, false).numerator, 3);
    }
}
