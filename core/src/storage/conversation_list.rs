//! The conversation list's SQL: one statement per page built from the filters (each a
//! condition served by an index), keyset paging on the sort key, and a search or a buyer
//! filter that drives the query from its few matching conversations; the count of a
//! filtered list (DY-HIST-1); plus the count of expiring conversations, which no counter
//! can hold (it depends on the time).

use super::rows::{CONVERSATION_COLUMNS_C, Columns, conversation_from_row};
use super::sql::Val;
use super::store::{Backend, Store};
use crate::domain::ids::*;
use crate::domain::listing::{FlagFilter, ListStatus, SortOrder};
use crate::domain::model::Conversation;
use crate::domain::search_terms;
use crate::domain::topics::Topic;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

/// How many of the most recent messages matching a full-text search are considered, per
/// seller (another seller's messages never crowd a seller's out).
pub const MAX_MESSAGE_HITS: usize = 10_000;

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

/// Values bound to a statement being built; `arg` returns the next `$n`.
#[derive(Default)]
struct SqlArgs {
    vals: Vec<Val>,
}

impl SqlArgs {
    fn arg(&mut self, v: impl Into<Val>) -> String {
        self.vals.push(v.into());
        format!("${}", self.vals.len())
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

/// The FROM clause and the conditions of a list query (without its page).
fn query(store: &Store, spec: &ListSpec<'_>, b: &mut SqlArgs) -> (String, Vec<String>) {
    let mut conditions = filters(spec, b);
    // A search or a buyer drives the query from its (few) matching conversations
    // instead of walking the whole list in order: CROSS JOIN fixes that join order in
    // SQLite. Both given: the conversations matching both.
    let mut drivers = Vec::new();
    if let Some(text) = spec.search {
        drivers.push(search_candidates(store.backend(), spec.seller, text, b));
    }
    if let Some(buyer) = spec.buyer {
        drivers.push(buyer_candidates(spec, buyer, b));
    }
    let ids = match drivers.len() {
        0 => return ("conversations c".to_owned(), conditions),
        1 => drivers.remove(0),
        _ => drivers
            .iter()
            .enumerate()
            .map(|(n, ids)| format!("SELECT id FROM ({ids}) AS u{n}"))
            .collect::<Vec<_>>()
            .join(" INTERSECT "),
    };
    conditions.push("c.id = s.id".into());
    (format!("(SELECT DISTINCT id FROM ({ids}) AS u) AS s CROSS JOIN conversations c"), conditions)
}

/// How many conversations match a list query (every page; DY-HIST-1 "with counts"):
/// the list's own conditions, on its indexes.
pub async fn count(store: &Store, spec: &ListSpec<'_>) -> CoreResult<i64> {
    let mut b = SqlArgs::default();
    let (from, conditions) = query(store, spec, &mut b);
    let sql = format!(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {from} WHERE {}",
        conditions.join(" AND ")
    );
    match store.row(&sql, b.vals).await? {
        Some(row) => row.int_col("n"),
        None => Ok(0),
    }
}

/// One page of conversations, in the sort's order, each with its buyer's nickname.
pub async fn page(store: &Store, spec: &ListSpec<'_>) -> CoreResult<Vec<(Conversation, String)>> {
    let mut b = SqlArgs::default();
    let (from, mut conditions) = query(store, spec, &mut b);
    let (key_col, desc) = sort_key(spec.sort);
    if let Some((key, id)) = &spec.after {
        let op = if desc { "<" } else { ">" };
        let (k, i) = (b.arg(*key), b.arg(id.clone()));
        conditions.push(format!("(c.{key_col} {op} {k} OR (c.{key_col} = {k} AND c.id {op} {i}))"));
    }
    let dir = if desc { "DESC" } else { "ASC" };
    // The buyer's nickname by primary key, per row of the page (a LEFT JOIN keeps the
    // conversations' order driving the query).
    let sql = format!(
        "SELECT {}, bn.nickname AS buyer_nickname FROM {from} \
         LEFT JOIN buyers bn ON bn.id = c.buyer_id \
         WHERE {} ORDER BY c.{key_col} {dir}, c.id {dir} LIMIT {}",
        *CONVERSATION_COLUMNS_C,
        conditions.join(" AND "),
        spec.limit
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

/// The ids of conversations of the buyers a history filter names (DY-HIST-1): buyers
/// with a name part starting with each word (as AE-SEARCH-1), the buyer with that id, and
/// the buyers with that platform id in the shops in scope.
fn buyer_candidates(spec: &ListSpec<'_>, text: &str, b: &mut SqlArgs) -> String {
    let mut buyers = Vec::new();
    let words: Vec<String> =
        text.split_whitespace().take(4).filter_map(search_terms::name_query).collect();
    if !words.is_empty() {
        let parts: Vec<String> = words
            .iter()
            .map(|w| {
                let (lo, hi) = (b.arg(w.clone()), b.arg(search_terms::prefix_upper_bound(w)));
                format!("SELECT buyer_id FROM buyer_name_parts WHERE part >= {lo} AND part < {hi}")
            })
            .collect();
        buyers.push(parts.join(" INTERSECT "));
    }
    if let Ok(id) = text.parse::<BuyerId>() {
        buyers.push(format!("SELECT id AS buyer_id FROM buyers WHERE id = {}", b.arg(id)));
    }
    let shops = match spec.shops {
        Some(shops) => shops.iter().map(|s| b.arg(*s)).collect::<Vec<_>>().join(","),
        None => format!("SELECT id FROM shops WHERE seller_id = {}", b.arg(spec.seller)),
    };
    buyers.push(format!(
        "SELECT id AS buyer_id FROM buyers WHERE shop_id IN ({shops}) AND external_id = {}",
        b.arg(text.to_owned())
    ));
    let union: Vec<String> = buyers
        .iter()
        .enumerate()
        .map(|(n, q)| format!("SELECT buyer_id FROM ({q}) AS b{n}"))
        .collect();
    format!("SELECT id FROM conversations WHERE buyer_id IN ({})", union.join(" UNION "))
}

/// The ids of conversations matching a search, as a UNION of: conversations with a
/// message containing every word (full-text index; the most recent
/// [`MAX_MESSAGE_HITS`] matching messages of the seller), conversations of buyers with a name part
/// starting with each word (AE-SEARCH-1), and conversations of buyers with that order
/// id (TT-SEARCH-1).
fn search_candidates(backend: Backend, seller: SellerId, text: &str, b: &mut SqlArgs) -> String {
    let mut alternatives = Vec::new();
    let terms = search_terms::query_terms(text);
    if !terms.is_empty() {
        alternatives.push(match backend {
            Backend::Sqlite => format!(
                "SELECT id FROM (SELECT conversation_id AS id FROM message_fts WHERE message_fts MATCH {} \
                 AND EXISTS (SELECT 1 FROM conversations k WHERE k.id = message_fts.conversation_id \
                   AND k.seller_id = {}) \
                 ORDER BY rowid DESC LIMIT {MAX_MESSAGE_HITS})",
                b.arg(search_terms::fts5_query(&terms)),
                b.arg(seller)
            ),
            Backend::Postgres => format!(
                "SELECT id FROM (SELECT conversation_id AS id FROM messages \
                 WHERE search_vec @@ CAST({} AS tsquery) \
                   AND shop_id IN (SELECT id FROM shops WHERE seller_id = {}) \
                 ORDER BY id DESC LIMIT {MAX_MESSAGE_HITS}) AS m",
                b.arg(search_terms::tsquery_literal(&terms)),
                b.arg(seller)
            ),
        });
    }
    let words: Vec<String> =
        text.split_whitespace().take(4).filter_map(search_terms::name_query).collect();
    if !words.is_empty() {
        let parts: Vec<String> = words
            .iter()
            .map(|w| {
                let (lo, hi) = (b.arg(w.clone()), b.arg(search_terms::prefix_upper_bound(w)));
                format!("SELECT buyer_id FROM buyer_name_parts WHERE part >= {lo} AND part < {hi}")
            })
            .collect();
        alternatives.push(format!(
            "SELECT id FROM conversations WHERE buyer_id IN ({})",
            parts.join(" INTERSECT ")
        ));
    }
    alternatives.push(format!(
        "SELECT id FROM conversations WHERE buyer_id IN (SELECT buyer_id FROM orders WHERE external_id = {})",
        b.arg(text.to_owned())
    ));
    alternatives.join(" UNION ")
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
