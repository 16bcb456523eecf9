//! A duration as rule sets write it: `"30d"`, `"24h"`, `"15m"`, `"90s"`, or a sum such as
//! `"1d12h"`. Plain text so operators can read and override it in configuration.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A whole number of seconds, written with day/hour/minute/second units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Span {
    secs: u64,
}

impl Span {
    /// A span of `secs` seconds.
    pub const fn seconds(secs: u64) -> Self {
        Self { secs }
    }
    /// A span of `n` minutes.
    pub const fn minutes(n: u64) -> Self {
        Self::seconds(n * 60)
    }
    /// A span of `n` hours.
    pub const fn hours(n: u64) -> Self {
        Self::minutes(n * 60)
    }
    /// A span of `n` days.
    pub const fn days(n: u64) -> Self {
        Self::hours(n * 24)
    }
    /// The span in seconds.
    pub const fn as_secs(self) -> u64 {
        self.secs
    }
}

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not a duration like 30d, 24h, 15m or 1d12h");
        let mut total: u64 = 0;
        let mut number = String::new();
        let mut any = false;
        for c in s.trim().chars() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let unit = match c {
                'd' => 86_400,
                'h' => 3_600,
                'm' => 60,
                's' => 1,
                _ => return Err(bad()),
            };
            let n: u64 = number.parse().map_err(|_| bad())?;
            total = n.checked_mul(unit).and_then(|v| total.checked_add(v)).ok_or_else(bad)?;
            number.clear();
            any = true;
        }
        if !number.is_empty() || !any {
            return Err(bad());
        }
        Ok(Self { secs: total })
    }
}

impl TryFrom<String> for Span {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<Span> for String {
    fn from(s: Span) -> String {
        s.to_string()
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.secs;
        if rest == 0 {
            return f.write_str("0s");
        }
        // Whole weeks and more read best in days ("30d"), shorter spans in hours ("72h").
        if rest.is_multiple_of(86_400) && rest >= 7 * 86_400 {
            return write!(f, "{}d", rest / 86_400);
        }
        for (unit, name) in [(3_600, 'h'), (60, 'm'), (1, 's')] {
            if rest >= unit {
                write!(f, "{}{name}", rest / unit)?;
                rest %= unit;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse_and_print_back() {
        for (text, secs) in
            [("30d", 2_592_000), ("24h", 86_400), ("15m", 900), ("1d12h", 129_600), ("90s", 90)]
        {
            let span: Span = text.parse().unwrap();
            assert_eq!(span.as_secs(), secs);
            assert_eq!(span.to_string().parse::<Span>().unwrap(), span);
        }
        assert_eq!(Span::seconds(90).to_string(), "1m30s");
        assert_eq!(Span::hours(72).to_string(), "72h");
        assert_eq!(Span::days(30).to_string(), "30d");
    }

    #[test]
    fn bad_spans_are_refused() {
        for text in ["", "30", "d", "3w", "1.5h", "-1d"] {
            assert!(text.parse::<Span>().is_err(), "{text}");
        }
    }
}
