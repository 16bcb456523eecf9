//! US Pacific time, the time zone of the order APIs' dates (`yyyy-MM-dd HH:mm:ss`), by the
//! US daylight-saving rule since 2007 (no time-zone database needed).

use chrono::{DateTime, FixedOffset, Utc};

const PST: i32 = -8 * 3600;
const PDT: i32 = -7 * 3600;

/// The `n`-th Sunday of a month.
fn nth_sunday(year: i32, month: u32, n: u32) -> Option<chrono::NaiveDate> {
    chrono::NaiveDate::from_weekday_of_month_opt(year, month, chrono::Weekday::Sun, n as u8)
}

/// The US Pacific offset at an instant: daylight time from the second Sunday of March,
/// 02:00 PST (10:00 UTC), to the first Sunday of November, 02:00 PDT (09:00 UTC) — the US
/// rule since 2007.
pub fn pacific_offset(at: DateTime<Utc>) -> FixedOffset {
    use chrono::Datelike;
    let year = at.year();
    let start = nth_sunday(year, 3, 2).and_then(|d| d.and_hms_opt(10, 0, 0));
    let end = nth_sunday(year, 11, 1).and_then(|d| d.and_hms_opt(9, 0, 0));
    let naive = at.naive_utc();
    let daylight = matches!((start, end), (Some(s), Some(e)) if naive >= s && naive < e);
    FixedOffset::east_opt(if daylight { PDT } else { PST }).expect("valid offset")
}

/// An instant as `yyyy-MM-dd HH:mm:ss` US Pacific time.
pub fn pacific_datetime(at: DateTime<Utc>) -> String {
    at.with_timezone(&pacific_offset(at)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `yyyy-MM-dd HH:mm:ss` US Pacific time as an instant (a repeated hour in November reads
/// as daylight time).
pub fn parse_pacific(text: &str) -> Option<DateTime<Utc>> {
    let local = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    let as_daylight = (local - chrono::TimeDelta::seconds(i64::from(PDT))).and_utc();
    if pacific_offset(as_daylight).local_minus_utc() == PDT {
        return Some(as_daylight);
    }
    Some((local - chrono::TimeDelta::seconds(i64::from(PST))).and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn pacific_time_follows_us_daylight_saving() {
        let at = |y, mo, d, h, mi| {
            Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).single().expect("valid time")
        };
        for (utc, pacific) in [
            // Summer: UTC-7; winter: UTC-8.
            (at(2023, 7, 1, 18, 30), "2023-07-01 11:30:00"),
            (at(2023, 1, 15, 8, 0), "2023-01-15 00:00:00"),
            // 2024-03-10 02:00 PST is when clocks go forward (10:00 UTC).
            (at(2024, 3, 10, 9, 59), "2024-03-10 01:59:00"),
            (at(2024, 3, 10, 10, 0), "2024-03-10 03:00:00"),
            // 2024-11-03 02:00 PDT is when they go back (09:00 UTC).
            (at(2024, 11, 3, 8, 59), "2024-11-03 01:59:00"),
            (at(2024, 11, 3, 9, 0), "2024-11-03 01:00:00"),
        ] {
            assert_eq!(pacific_datetime(utc), pacific);
        }
        for utc in [at(2023, 7, 1, 18, 30), at(2023, 1, 15, 8, 0), at(2024, 3, 10, 10, 0)] {
            assert_eq!(parse_pacific(&pacific_datetime(utc)), Some(utc));
        }
        // The repeated hour reads as daylight time.
        assert_eq!(parse_pacific("2024-11-03 01:30:00"), Some(at(2024, 11, 3, 8, 30)));
        assert_eq!(parse_pacific("2024-11-03"), None);
    }
}
