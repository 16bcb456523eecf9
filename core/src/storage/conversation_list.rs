//! The conversation list's SQL: one statement per page built from the filters (each a
//! condition served by an index), keyset paging on the sort key, a page of every status
//! merged from one ordered walk per status, and a search or a buyer filter
//! ([`super::list_match`]) that drives the query from its matching conversations, or
//! for a buyer-name part (possibly thousands of buyers) first tests the list's rows in
//! order; the count of a filtered list (DY-HIST-1); plus the count of expiring
//! conversations, which no counter can hold (it depends on the time).

use super::list_match::{self, Match, SqlArgs};
use super::rows::{CONVERSATION_COLUMNS_C, Columns, conversation_from_row};
use super::store::{Backend, Store};
use crate::domain::ids::*;
use crate::domain::listing::{FlagFilter, ListStatus, SortOrder};
use crate::domain::model::Conversation;
use crate::domain::topics::Topic;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

pub use super::list_match::MAX_MESSAGE_HITS;

/// The "expiring soon" cutoff of each platform that has one: conversations of that
/// platform waiting since before it are expiring (TT-LIST-2).
pub type ExpiryCutoffs = [(String, DateTime<Utc>)];

/// What one page of the list asks for.
pub struct ListSpec<'a> {
    /// The seller.
    pub seller: SellerId,
    /// Only these shops (none: all of the seller's).
    pub shops: Option<&'a [ShopId]>,
    /// Which list.
    pub status: ListStatus,
    /// Only conversations held by this agent (mine).
    pub assignee: Option<AgentId>,
    /// Only conversations held by this agent (the history filter, DY-HIST-1; with
    /// `assignee` too, both must hold).
    pub agent: Option<AgentId>,
    /// Only unassigned ones.
    pub unassigned: bool,
    /// Only ones with unread buyer messages.
    pub unread: bool,
    /// Only ones awaiting a human reply.
    pub unreplied: bool,
    /// Only flagged ones (of one colour, when given).
    pub flag: Option<FlagFilter>,
    /// Only expiring ones, by these cutoffs.
    pub expiring: Option<&'a ExpiryCutoffs>,
    /// Only ones whose buyer has an order.
    pub has_order: bool,
    /// Search text (trimmed, not empty).
    pub search: Option<&'a str>,
    /// Only conversations going on at or after (last message not earlier; DY-HIST-1).
    pub from: Option<DateTime<Utc>>,
    /// Only conversations going on before (started earlier; DY-HIST-1).
    pub to: Option<DateTime<Utc>>,
    /// Only conversations of buyers matching this (trimmed, not empty; DY-HIST-1): a
    /// name part starting with each word, or exactly the buyer's id or platform id.
    pub buyer: Option<&'a str>,
    /// Only conversations showing this topic (one of their latest two, SH-TOPIC-2).
    pub topic: Option<Topic>,
    /// The sort.
    pub sort: SortOrder,
    /// After this (sort key, id), from a cursor.
    pub after: Option<(i64, String)>,
    /// At most this many rows.
    pub limit: usize,
}

impl ListSpec<'_> {
    /// Whether nothing but the status (and the assignee, "mine") filters the list in its
    /// scope: what the counters count.
    pub fn only_status(&self) -> bool {
        self.agent.is_none()
            && !(self.unassigned || self.unread || self.unreplied || self.has_order)
            && self.flag.is_none()
            && self.expiring.is_none()
            && self.search.is_none()
            && self.from.is_none()
            && self.to.is_none()
            && self.buyer.is_none()
            && self.topic.is_none()
    }
}

/// The sort key column of a sort, and whether it runs descending.
pub fn sort_key(sort: SortOrder) -> (&'static str, bool) {
    match sort {
        SortOrder::Latest => ("last_message_at", true),
        SortOrder::Waiting => ("wait_rank", false),
        SortOrder::Urgent => ("breach_rank", false),
    }
}

/// The search's and the buyer filter's matches.
fn matches(store: &Store, spec: &ListSpec<'_>, b: &mut SqlArgs) -> Vec<Match> {
    let mut matches = Vec::new();
    if let Some(text) = spec.search {
        matches.push(list_match::search(store.backend(), spec.seller, text, b));
    }
    if let Some(text) = spec.buyer {
        let shops = |b: &mut SqlArgs| match spec.shops {
            Some(shops) => shops.iter().map(|s| b.arg(*s)).collect::<Vec<_>>().join(","),
            None => format!("SELECT id FROM shops WHERE seller_id = {}", b.arg(spec.seller)),
        };
        matches.push(list_match::buyer(text, shops, b));
    }
    matches
}

/// A list query without its page: where its rows come from and their conditions.
struct Query {
    from: String,
    conditions: Vec<String>,
    /// The matching buyers (`buyer_id`), when a buyer filter alone drives it.
    buyers: Option<String>,
}

/// The FROM clause and the conditions of a list query (without its page).
fn query(store: &Store, spec: &ListSpec<'_>, b: &mut SqlArgs) -> Query {
    let mut conditions = filters(spec, b);
    // A search or a buyer drives the query from its (few) matching conversations
    // instead of walking the whole list in order: CROSS JOIN fixes that join order in
    // SQLite. A buyer filter alone drives it from the buyers (each conversation has one
    // buyer: no duplicates to remove). Both given: the conversations matching both.
    let matches = matches(store, spec, b);
    if let [only] = matches.as_slice()
        && let Some(buyers) = only.buyers_only()
    {
        conditions.push("c.buyer_id = s.buyer_id".into());
        let from = format!("({buyers}) AS s CROSS JOIN conversations c");
        return Query { from, conditions, buyers: Some(buyers) };
    }
    let drivers: Vec<String> = matches.iter().map(Match::candidates).collect();
    let ids = match drivers.len() {
        0 => return Query { from: TABLE.to_owned(), conditions, buyers: None },
        1 => drivers[0].clone(),
        _ => drivers
            .iter()
            .enumerate()
            .map(|(n, ids)| format!("SELECT id FROM ({ids}) AS u{n}"))
            .collect::<Vec<_>>()
            .join(" INTERSECT "),
    };
    conditions.push("c.id = s.id".into());
    let from = format!("(SELECT DISTINCT id FROM ({ids}) AS u) AS s CROSS JOIN conversations c");
    Query { from, conditions, buyers: None }
}

/// The FROM clause of a list query no search or buyer filter drives.
const TABLE: &str = "conversations c";

/// Every `list_status` a conversation has ([`super::rows::list_status`]).
const STATUSES: [&str; 3] = ["open", "history", "closed"];

/// How many conversations match a list query (every page; DY-HIST-1 "with counts"),
/// counting no further than `cap + 1`: the list's own conditions, on its indexes.
pub async fn count(store: &Store, spec: &ListSpec<'_>, cap: i64) -> CoreResult<i64> {
    let mut b = SqlArgs::default();
    let Query { from, conditions, buyers } = query(store, spec, &mut b);
    let count = |status: &str| {
        format!(
            "SELECT COUNT(*) FROM (SELECT 1 AS one FROM {from} WHERE {}{status} LIMIT {}) AS n",
            conditions.join(" AND "),
            cap + 1
        )
    };
    // All statuses: one count per status, each a range of the list indexes.
    let sql = match (spec.status, from.as_str(), buyers) {
        (_, _, Some(buyers)) if store.backend() == Backend::Postgres => {
            count_by_buyer(&buyers, &conditions, cap)
        }
        (ListStatus::All, TABLE, _) => {
            let each: Vec<String> = STATUSES
                .iter()
                .map(|s| format!("({})", count(&format!(" AND c.list_status = '{s}'"))))
                .collect();
            format!("SELECT CAST({} AS BIGINT) AS n", each.join(" + "))
        }
        _ => format!("SELECT CAST(({}) AS BIGINT) AS n", count("")),
    };
    match store.row(&sql, b.vals).await? {
        Some(row) => Ok(row.int_col("n")?.min(cap + 1)),
        None => Ok(0),
    }
}

/// The count of the conversations of `buyers` meeting `conditions`, up to `cap + 1`, on
/// PostgreSQL: its planner joins thousands of buyers to the table by hashing (a scan
/// that goes on past the cap); one look-up per buyer on the buyer index, which the
/// count reads alone, stops at the cap (`OFFSET 0` keeps it from being flattened).
fn count_by_buyer(buyers: &str, conditions: &[String], cap: i64) -> String {
    format!(
        "SELECT CAST((SELECT COUNT(*) FROM (SELECT 1 AS one FROM ({buyers}) AS s, \
         LATERAL (SELECT 1 FROM conversations c WHERE {} OFFSET 0) AS k LIMIT {}) AS n) AS BIGINT) AS n",
        conditions.join(" AND "),
        cap + 1
    )
}

/// How many rows of the list in order a broad search (a buyer-name part) tests before
/// driving from its candidates instead.
const WINDOW: usize = 4_000;

/// One page of conversations, in the sort's order, each with its buyer's nickname.
///
/// A search or buyer filter matching buyers by a name part may match thousands: the
/// list is then first walked in order for [`WINDOW`] rows, testing each; when that fills
/// the page, it is the page (no match can come before). Otherwise, and for every other
/// search, the query is driven from the matching conversations.
pub async fn page(store: &Store, spec: &ListSpec<'_>) -> CoreResult<Vec<(Conversation, String)>> {
    if spec.search.into_iter().chain(spec.buyer).any(list_match::by_name_part) {
        let rows = page_rows(store, spec, walked_ids(store, spec)).await?;
        if rows.len() == spec.limit {
            return Ok(rows);
        }
    }
    page_rows(store, spec, driven_ids(store, spec)).await
}

/// The page's ids and sort keys (a query and its values), in the sort's order.
type PageIds = (String, SqlArgs);

/// The keyset condition after the cursor, if any.
fn after(spec: &ListSpec<'_>, b: &mut SqlArgs) -> Option<String> {
    let (key_col, desc) = sort_key(spec.sort);
    let (key, id) = spec.after.as_ref()?;
    let op = if desc { "<" } else { ">" };
    let (k, i) = (b.arg(*key), b.arg(id.clone()));
    Some(format!("(c.{key_col} {op} {k} OR (c.{key_col} = {k} AND c.id {op} {i}))"))
}

/// `ORDER BY` the sort, then `LIMIT n`.
fn order(spec: &ListSpec<'_>, n: usize) -> String {
    let (key_col, desc) = sort_key(spec.sort);
    let dir = if desc { "DESC" } else { "ASC" };
    format!("ORDER BY c.{key_col} {dir}, c.id {dir} LIMIT {n}")
}

/// The page's ids driven by the list's indexes, or from a search's candidates.
fn driven_ids(store: &Store, spec: &ListSpec<'_>) -> PageIds {
    let mut b = SqlArgs::default();
    let Query { from, mut conditions, .. } = query(store, spec, &mut b);
    conditions.extend(after(spec, &mut b));
    let (key_col, _) = sort_key(spec.sort);
    let sql = ordered(spec, &format!("c.id, c.{key_col}"), &from, &conditions, spec.limit);
    (sql, b)
}

/// The page's ids among the first [`WINDOW`] rows of the list in order, tested against
/// the search and the buyer filter.
fn walked_ids(store: &Store, spec: &ListSpec<'_>) -> PageIds {
    let mut b = SqlArgs::default();
    let mut conditions = filters(spec, &mut b);
    conditions.extend(after(spec, &mut b));
    let (key_col, _) = sort_key(spec.sort);
    let select = format!("c.id, c.buyer_id, c.{key_col}");
    let walk = ordered(spec, &select, TABLE, &conditions, WINDOW);
    let tests: Vec<String> =
        matches(store, spec, &mut b).iter().map(|m| m.condition("c")).collect();
    let sql = format!(
        "SELECT c.id, c.{key_col} FROM ({walk}) AS c WHERE {} {}",
        tests.join(" AND "),
        order(spec, spec.limit)
    );
    (sql, b)
}

/// The page's rows: the conversations of `ids`, in its order, each with its buyer's
/// nickname (read for the page's rows only).
async fn page_rows(
    store: &Store, spec: &ListSpec<'_>, (ids, b): PageIds,
) -> CoreResult<Vec<(Conversation, String)>> {
    let sql = format!(
        "SELECT {}, bn.nickname AS buyer_nickname FROM ({ids}) AS p \
         CROSS JOIN conversations c LEFT JOIN buyers bn ON bn.id = c.buyer_id \
         WHERE c.id = p.id {}",
        *CONVERSATION_COLUMNS_C,
        order(spec, spec.limit)
    );
    let rows = store.rows(&sql, b.vals).await?;
    rows.iter()
        .map(|r| {
            let (_, c) = conversation_from_row(r)?;
            let nickname: Option<String> = r.col("buyer_nickname")?;
            Ok((c, nickname.unwrap_or_default()))
        })
        .collect()
}

/// `select` of the first `n` rows of `from` meeting `conditions`, in the sort's order;
/// of every status of the table, one walk per status merged ([`per_status`]).
fn ordered(
    spec: &ListSpec<'_>, select: &str, from: &str, conditions: &[String], n: usize,
) -> String {
    let order = order(spec, n);
    match (spec.status, from) {
        (ListStatus::All, TABLE) => {
            format!("SELECT {select} FROM {} {order}", per_status(select, conditions, &order))
        }
        _ => format!("SELECT {select} FROM {from} WHERE {} {order}", conditions.join(" AND ")),
    }
}

/// Every list status's first rows (`select`), merged: the list indexes lead with the
/// seller (or assignee) and the list status, so a page of all of them is one short
/// ordered walk per status instead of sorting every conversation of the seller.
fn per_status(select: &str, conditions: &[String], order: &str) -> String {
    let walks: Vec<String> = STATUSES
        .iter()
        .map(|status| {
            format!(
                "SELECT * FROM (SELECT {select} FROM conversations c WHERE {} AND c.list_status = '{status}' {order}) AS w_{status}",
                conditions.join(" AND ")
            )
        })
        .collect();
    format!("({}) AS c", walks.join(" UNION ALL "))
}

/// The filters' conditions.
fn filters(spec: &ListSpec<'_>, b: &mut SqlArgs) -> Vec<String> {
    let mut conditions = vec![format!("c.seller_id = {}", b.arg(spec.seller))];
    if let Some(shops) = spec.shops {
        let list: Vec<String> = shops.iter().map(|s| b.arg(*s)).collect();
        conditions.push(format!("c.shop_id IN ({})", list.join(",")));
    }
    match spec.status {
        ListStatus::Open => conditions.push("c.list_status = 'open'".into()),
        ListStatus::History => conditions.push("c.list_status = 'history'".into()),
        ListStatus::Closed => conditions.push("c.list_status = 'closed'".into()),
        ListStatus::All => {}
    }
    for agent in [spec.assignee, spec.agent].into_iter().flatten() {
        conditions.push(format!("c.assignee_id = {}", b.arg(agent)));
    }
    for (on, condition) in [
        (spec.unassigned, "c.state = 'unassigned' AND c.bot_active = 0"),
        (spec.unread, "c.unread_count > 0"),
        (spec.unreplied, "c.waiting_since IS NOT NULL"),
    ] {
        if on {
            conditions.push(condition.into());
        }
    }
    if let Some(f) = spec.flag {
        conditions.push("c.flag IS NOT NULL".into());
        if let Some(colour) = f.0 {
            conditions.push(format!("c.flag = {}", b.arg(colour.as_str())));
        }
    }
    if let Some(cutoffs) = spec.expiring {
        conditions.push(expiring_condition(cutoffs, b));
    }
    if spec.has_order {
        conditions.push("c.has_order = 1".into());
    }
    if let Some(topic) = spec.topic {
        // rule: SH-TOPIC-2 (on the conversations_topic_1 / _2 indexes)
        let t = b.arg(topic.as_str());
        conditions.push(format!("(c.topic_1 = {t} OR c.topic_2 = {t})"));
    }
    // rule: DY-HIST-1 (history by conversation time: the conversation, from its start to
    // its last message, overlaps the range; the last message bound runs on the index)
    if let Some(from) = spec.from {
        conditions.push(format!("c.last_message_at >= {}", b.arg(from)));
    }
    if let Some(to) = spec.to {
        conditions.push(format!("c.created_at < {}", b.arg(to)));
    }
    conditions
}

/// Open conversations unreplied for longer than their platform's "expiring soon"
/// limit (TT-LIST-2), served by the `conversations_timer_unreplied` index.
fn expiring_condition(cutoffs: &ExpiryCutoffs, b: &mut SqlArgs) -> String {
    let per_platform: Vec<String> = cutoffs
        .iter()
        .map(|(platform, cutoff)| {
            format!(
                "(c.platform = {} AND c.waiting_since < {})",
                b.arg(platform.as_str()),
                b.arg(*cutoff)
            )
        })
        .collect();
    if per_platform.is_empty() {
        return "1 = 0".into();
    }
    format!(
        "c.list_status = 'open' AND c.bot_active = 0 AND c.waiting_since IS NOT NULL AND ({})",
        per_platform.join(" OR ")
    )
}

/// How many conversations of the shops are expiring, by assignee (none: unassigned).
pub async fn expiring_by_assignee(
    store: &Store, shops: &[ShopId], cutoffs: &ExpiryCutoffs,
) -> CoreResult<Vec<(Option<String>, i64)>> {
    let mut b = SqlArgs::default();
    let list: Vec<String> = shops.iter().map(|s| b.arg(*s)).collect();
    let sql = format!(
        "SELECT c.assignee_id, CAST(COUNT(*) AS BIGINT) AS n FROM conversations c \
         WHERE c.shop_id IN ({}) AND {} GROUP BY c.assignee_id",
        list.join(","),
        expiring_condition(cutoffs, &mut b)
    );
    let rows = store.rows(&sql, b.vals).await?;
    rows.iter().map(|r| Ok((r.opt_text_col("assignee_id")?, r.int_col("n")?))).collect()
}
