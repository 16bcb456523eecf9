//! AliExpress wire facts the simulator needs, stated here rather than imported from the
//! adapter (platform-apis.md §3): the method names it serves, the reply key, the JSON
//! parameters it reads, and the US Pacific time of the order APIs' dates.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeDelta, Utc, Weekday};
use serde::Deserialize;

/// Business methods (`method`) and the system API path served.
pub mod method {
    /// A seller's relations (conversations), `query` JSON.
    pub const QUERY_RELATION_LIST: &str =
        "aliexpress.message.redefining.versiontwo.querymsgrelationlist";
    /// One relation's messages.
    pub const QUERY_DETAIL_LIST: &str =
        "aliexpress.message.redefining.versiontwo.querymsgdetaillist";
    /// Send a message, `create_param` JSON.
    pub const ADD_MESSAGE: &str = "aliexpress.message.redefining.versiontwo.addmsg";
    /// Mark a relation read.
    pub const UPDATE_READ: &str = "aliexpress.message.redefining.versiontwo.updatemsgread";
    /// Orders, `param0` JSON.
    pub const ORDER_GET: &str = "aliexpress.solution.order.get";
    /// One order, `param1` JSON.
    pub const ORDER_INFO_GET: &str = "aliexpress.solution.order.info.get";
    /// Token refresh, a system API (signed with its path).
    pub const TOKEN_REFRESH: &str = "/auth/token/refresh";
}

/// The key of a business reply's body: `aliexpress.x.y` → `aliexpress_x_y_response`.
pub fn response_key(method: &str) -> String {
    format!("{}_response", method.replace('.', "_"))
}

/// The paging fields of a query: `current_page` (from 1) and `page_size`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct PageQuery {
    pub(crate) current_page: Option<u32>,
    pub(crate) page_size: Option<u32>,
}

/// The `query` parameter of [`method::QUERY_RELATION_LIST`].
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RelationQuery {
    #[serde(flatten)]
    pub(crate) page: PageQuery,
    /// Epoch ms.
    pub(crate) start_time: Option<i64>,
    /// Epoch ms.
    pub(crate) end_time: Option<i64>,
    pub(crate) only_un_readed: Option<bool>,
    pub(crate) only_un_dealed: Option<bool>,
}

/// `message_type` of a message sent with [`method::ADD_MESSAGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum MessageKind {
    /// About a product; `extern_id` is the product id.
    Product,
    /// The shop relation; `extern_id` is 0.
    Member,
    /// About an order; `extern_id` is the order id.
    Order,
}

impl MessageKind {
    /// The wire name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            MessageKind::Product => "product",
            MessageKind::Member => "member",
            MessageKind::Order => "order",
        }
    }
}

/// The `create_param` parameter of [`method::ADD_MESSAGE`].
#[derive(Debug, Deserialize)]
pub(crate) struct CreateMessage {
    /// The buyer's login id.
    pub(crate) buyer_id: String,
    pub(crate) content: String,
    pub(crate) extern_id: i64,
    pub(crate) img_path: Option<String>,
    pub(crate) message_type: MessageKind,
    /// The seller's login id.
    pub(crate) seller_id: String,
}

/// The `param0` parameter of [`method::ORDER_GET`]; dates in US Pacific time.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct OrderQuery {
    pub(crate) buyer_login_id: Option<String>,
    pub(crate) create_date_start: Option<String>,
    pub(crate) create_date_end: Option<String>,
    #[serde(flatten)]
    pub(crate) page: PageQuery,
    pub(crate) order_status: Option<String>,
}

/// Pacific Standard Time, UTC−8, in seconds.
const PST_SECONDS: i32 = -8 * 3600;
/// Pacific Daylight Time, UTC−7, in seconds.
const PDT_SECONDS: i32 = -7 * 3600;

/// Whether US daylight time is in force at `at`: from 02:00 local on the second Sunday of
/// March to 02:00 local on the first Sunday of November (the rule since 2007), that is
/// 10:00 UTC and 09:00 UTC on those days in the Pacific zone.
fn pacific_daylight(at: DateTime<Utc>) -> bool {
    let year = at.year();
    let sunday = |month, nth| NaiveDate::from_weekday_of_month_opt(year, month, Weekday::Sun, nth);
    let begins = sunday(3, 2).and_then(|day| day.and_hms_opt(10, 0, 0));
    let ends = sunday(11, 1).and_then(|day| day.and_hms_opt(9, 0, 0));
    match (begins, ends) {
        (Some(begins), Some(ends)) => (begins..ends).contains(&at.naive_utc()),
        _ => false,
    }
}

/// `at` as `yyyy-MM-dd HH:mm:ss` in US Pacific time.
pub(crate) fn pacific_datetime(at: DateTime<Utc>) -> String {
    let offset = if pacific_daylight(at) { PDT_SECONDS } else { PST_SECONDS };
    let local = at.naive_utc() + TimeDelta::seconds(i64::from(offset));
    local.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `yyyy-MM-dd HH:mm:ss` US Pacific time as an instant; an hour that happens twice (in
/// November) is read as daylight time.
pub(crate) fn parse_pacific(text: &str) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    let read_with = |seconds: i32| {
        let offset = FixedOffset::east_opt(seconds)?;
        local.and_local_timezone(offset).single().map(|at| at.with_timezone(&Utc))
    };
    let as_daylight = read_with(PDT_SECONDS)?;
    if pacific_daylight(as_daylight) { Some(as_daylight) } else { read_with(PST_SECONDS) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn utc(text: &str) -> DateTime<Utc> {
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("time");
        Utc.from_utc_datetime(&naive)
    }

    #[test]
    fn pacific_times_across_daylight_changes() {
        // 2024: daylight time from 2024-03-10 10:00 UTC to 2024-11-03 09:00 UTC.
        let cases = [
            ("2024-01-15 20:00:00", "2024-01-15 12:00:00"),
            ("2024-07-01 19:00:00", "2024-07-01 12:00:00"),
            ("2024-03-10 09:59:59", "2024-03-10 01:59:59"),
            ("2024-03-10 10:00:00", "2024-03-10 03:00:00"),
            ("2024-11-03 08:59:59", "2024-11-03 01:59:59"),
            ("2024-11-03 09:00:00", "2024-11-03 01:00:00"),
        ];
        for (at, pacific) in cases {
            assert_eq!(pacific_datetime(utc(at)), pacific, "{at}");
        }
        for at in ["2024-01-15 20:00:00", "2024-07-01 19:00:00", "2024-03-10 10:00:00"] {
            assert_eq!(parse_pacific(&pacific_datetime(utc(at))), Some(utc(at)));
        }
        // The repeated hour reads as daylight time.
        assert_eq!(parse_pacific("2024-11-03 01:30:00"), Some(utc("2024-11-03 08:30:00")));
        assert_eq!(parse_pacific("yesterday"), None);
    }

    #[test]
    fn reply_keys() {
        assert_eq!(response_key(method::ORDER_GET), "aliexpress_solution_order_get_response");
    }
}
