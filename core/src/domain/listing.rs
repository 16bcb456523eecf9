//! How an agent asks for the inbox: which list, the filters, the sort, the search and
//! the page (with keyset cursors the API hands out and reads back), and a conversation's
//! message pages.

use super::ids::{AgentId, ShopId};
use super::model::FlagColour;
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Which list: open (the default), history (ended), closed, or all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ListStatus {
    /// Unassigned or in progress.
    #[default]
    Open,
    /// Ended (TT-LIST-2 history).
    History,
    /// Closed.
    Closed,
    /// Every state.
    All,
}

/// List order (TT-SORT-1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Latest message first.
    #[default]
    Latest,
    /// Longest-waiting buyer first; conversations nobody waits on follow, newest first.
    Waiting,
    /// Most urgent first: by the earliest deadline not yet missed (reply window,
    /// lifecycle timer, service figure's mark, the shop's target); conversations without
    /// one follow, newest first.
    Urgent,
}

/// The flag filter: `any` colour, or one colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "openapi", schema(value_type = String, example = "red"))]
pub struct FlagFilter(pub Option<FlagColour>);

impl TryFrom<String> for FlagFilter {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s == "any" { Ok(Self(None)) } else { s.parse::<FlagColour>().map(|c| Self(Some(c))) }
    }
}

impl From<FlagFilter> for String {
    fn from(f: FlagFilter) -> String {
        f.0.map_or_else(|| "any".to_owned(), |c| c.as_str().to_owned())
    }
}

/// Filters, sort, search and page of the conversation list. Filters combine with AND:
/// mine and unassigned (TT-LIST-1), unreplied, flag colour and has-order (AE-FILTER-1),
/// and the history filters — time range, agent, buyer (DY-HIST-1).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ConversationQuery {
    /// open (default), history, closed or all.
    pub status: Option<ListStatus>,
    /// Only conversations assigned to me.
    pub mine: Option<bool>,
    /// Only unassigned ones.
    pub unassigned: Option<bool>,
    /// Only ones with unread buyer messages.
    pub unread: Option<bool>,
    /// Only ones awaiting a human reply.
    pub unreplied: Option<bool>,
    /// Only flagged ones: `any` or a colour.
    pub flag: Option<FlagFilter>,
    /// Only ones whose buyer has an order (AE-FILTER-1).
    pub has_order: Option<bool>,
    /// Only ones unreplied for longer than their platform's "expiring soon" limit
    /// (TT-LIST-2: more than 20 hours).
    pub expiring: Option<bool>,
    /// Only this shop.
    pub shop_id: Option<ShopId>,
    /// Only this platform.
    #[cfg_attr(feature = "openapi", param(pattern = "^[a-z][a-z0-9_]{0,31}$"))]
    pub platform: Option<String>,
    /// Search: a word of the messages, any part of the buyer's name, or an order id.
    #[cfg_attr(feature = "openapi", param(max_length = 200))]
    pub q: Option<String>,
    /// Only conversations going on at or after this time (RFC 3339): their last message
    /// is not earlier (DY-HIST-1).
    pub from: Option<DateTime<Utc>>,
    /// Only conversations going on before this time (RFC 3339): they started earlier
    /// (DY-HIST-1).
    pub to: Option<DateTime<Utc>>,
    /// Only conversations assigned to this agent (DY-HIST-1).
    pub agent_id: Option<AgentId>,
    /// Only this buyer: a name part starting with each word (AE-SEARCH-1), or exactly the
    /// buyer's id or the platform's id of the buyer (DY-HIST-1).
    #[cfg_attr(feature = "openapi", param(max_length = 200))]
    pub buyer: Option<String>,
    /// Only conversations showing this topic (SH-TOPIC-2: one of their latest two).
    pub topic: Option<super::topics::Topic>,
    /// Count every conversation matching (the page's `total`); implied by `from`, `to`,
    /// `agent_id` and `buyer`.
    pub total: Option<bool>,
    /// latest (default), waiting or urgent.
    pub sort: Option<SortOrder>,
    /// Page size, 1..200 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = r"^-?[0-9]{1,18}\.([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
        )
    )]
    pub cursor: Option<String>,
}

/// A page of messages (`before` pages go back in time).
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct MessageQuery {
    /// Older messages than this cursor (from `prev_cursor`).
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = r"^-?[0-9]{1,18}\.([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
        )
    )]
    pub before: Option<String>,
    /// Newer messages than this cursor (from `next_cursor`), to catch up.
    #[cfg_attr(
        feature = "openapi",
        param(
            pattern = r"^-?[0-9]{1,18}\.([0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
        )
    )]
    pub after: Option<String>,
    /// Page size, 1..200 (default 50).
    #[cfg_attr(feature = "openapi", param(minimum = 1, maximum = 200))]
    pub limit: Option<u32>,
}

/// A page cursor: the sort key and the id of the last item.
pub fn encode_cursor(key: i64, id: &str) -> String {
    format!("{key}.{id}")
}

/// A cursor this API returned, read back; the error names `field`.
pub fn decode_cursor(field: &str, cursor: &str) -> CoreResult<(i64, String)> {
    let bad = || CoreError::invalid(field, "is not a cursor this API returned");
    let (key, id) = cursor.split_once('.').ok_or_else(bad)?;
    let key: i64 = key.parse().map_err(|_| bad())?;
    let id = uuid::Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((key, id.hyphenated().to_string()))
}

impl ConversationQuery {
    /// Whether a history filter (time range, agent or buyer) is given (DY-HIST-1).
    pub fn filters_history(&self) -> bool {
        self.from.is_some() || self.to.is_some() || self.agent_id.is_some() || self.buyer.is_some()
    }
}

/// A page size: 1 to 200, 50 by default.
pub fn page_size(limit: Option<u32>) -> CoreResult<usize> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=200) => Ok(n as usize),
        Some(_) => Err(CoreError::invalid("limit", "must be between 1 and 200")),
    }
}
