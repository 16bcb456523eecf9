//! Periods in a shop's time zone: a local day, ISO week (Monday first) or calendar
//! month containing a date, or a range of whole local days; each as UTC instants.

use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

/// How long a period is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PeriodKind {
    /// A local day.
    Day,
    /// A local week, Monday to Sunday.
    Week,
    /// A calendar month.
    Month,
}

impl std::str::FromStr for PeriodKind {
    type Err = CoreError;
    fn from_str(s: &str) -> CoreResult<Self> {
        match s {
            "day" => Ok(Self::Day),
            "week" => Ok(Self::Week),
            "month" => Ok(Self::Month),
            _ => Err(CoreError::invalid("period", "must be day, week or month")),
        }
    }
}

/// A half-open range of instants [from, to).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    /// Its start.
    pub from: DateTime<Utc>,
    /// Its end (excluded).
    pub to: DateTime<Utc>,
}

/// The instant a local date starts in `tz` (the first instant of the day where a
/// daylight-saving jump skips midnight).
pub fn start_of(date: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut local = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += chrono::Duration::minutes(30);
    }
    Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The local date of an instant in `tz`.
pub fn local_date(t: DateTime<Utc>, tz: Tz) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

/// The period of `kind` containing the local `date`.
pub fn containing(kind: PeriodKind, date: NaiveDate, tz: Tz) -> Period {
    let (first, next) = match kind {
        PeriodKind::Day => (date, date + Days::new(1)),
        PeriodKind::Week => {
            let monday = date - Days::new(u64::from(date.weekday().num_days_from_monday()));
            (monday, monday + Days::new(7))
        }
        PeriodKind::Month => {
            let first = date.with_day(1).unwrap_or(date);
            (first, first + Months::new(1))
        }
    };
    Period { from: start_of(first, tz), to: start_of(next, tz) }
}

/// The local days `from` to `to`, both included.
pub fn days(from: NaiveDate, to: NaiveDate, tz: Tz) -> CoreResult<Period> {
    if to < from {
        return Err(CoreError::invalid("to", "must not be before from"));
    }
    Ok(Period { from: start_of(from, tz), to: start_of(to + Days::new(1), tz) })
}

/// The lookback of `over` ending with `period` (TT-DATA-1: the past 7 days), whole
/// local days.
pub fn lookback(period: Period, over: chrono::Duration, tz: Tz) -> Period {
    let last = local_date(period.to - chrono::Duration::milliseconds(1), tz);
    let days = over.num_days().max(1) as u64;
    Period { from: start_of(last + Days::new(1) - Days::new(days), tz), to: period.to }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_day_is_the_shops_local_day() {
        let p = containing(PeriodKind::Day, date("2026-03-10"), chrono_tz::Asia::Shanghai);
        assert_eq!(p.from.to_rfc3339(), "2026-03-09T16:00:00+00:00");
        assert_eq!(p.to.to_rfc3339(), "2026-03-10T16:00:00+00:00");
        let p = containing(PeriodKind::Day, date("2026-03-10"), chrono_tz::Asia::Kathmandu);
        assert_eq!(p.from.to_rfc3339(), "2026-03-09T18:15:00+00:00");
        assert_eq!(super::super::slot_ceil(p.from), super::super::slot_of(p.from));
    }

    #[test]
    fn weeks_start_monday_and_months_on_the_first() {
        let p = containing(PeriodKind::Week, date("2026-03-12"), Tz::UTC);
        assert_eq!(p.from.date_naive(), date("2026-03-09"));
        assert_eq!(p.to.date_naive(), date("2026-03-16"));
        let p = containing(PeriodKind::Month, date("2026-02-14"), Tz::UTC);
        assert_eq!(
            (p.from.date_naive(), p.to.date_naive()),
            (date("2026-02-01"), date("2026-03-01"))
        );
    }

    #[test]
    fn a_daylight_saving_day_is_23_hours_long() {
        let p = containing(PeriodKind::Day, date("2026-03-29"), chrono_tz::Europe::Warsaw);
        assert_eq!((p.to - p.from).num_hours(), 23);
    }

    #[test]
    fn a_lookback_is_whole_local_days_ending_with_the_period() {
        let day = containing(PeriodKind::Day, date("2026-03-10"), Tz::UTC);
        let p = lookback(day, chrono::Duration::days(7), Tz::UTC);
        assert_eq!(p.from.date_naive(), date("2026-03-04"));
        assert_eq!(p.to, day.to);
    }
}
