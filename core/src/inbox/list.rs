//! Reading the inbox: the conversation list with its filters, two sorts, search and
//! keyset cursors; the per-filter counts (read from the maintained counters, never by
//! counting conversations); and a conversation's messages, newest page first.

use super::Inbox;
use super::accounts::Viewer;
use crate::clock::to_millis;
use crate::counters::{FilterCounts, is_assignee};
use crate::error::{CoreError, CoreResult};
use crate::ids::*;
use crate::model::*;
use crate::search_terms;
use crate::store::{
    Backend, CONVERSATION_COLUMNS, CONVERSATION_COLUMNS_C, MESSAGE_COLUMNS, Val,
    conversation_from_row, id_col, list_placeholders, message_from_row,
};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};

/// Which list: open (the default), history (ended), closed, or all.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Latest message first.
    #[default]
    Latest,
    /// Longest-waiting buyer first; conversations nobody waits on follow, newest first.
    Waiting,
}

/// The flag filter: `any` colour, or one colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(try_from = "String", into = "String")]
#[schema(value_type = String, example = "red")]
pub struct FlagFilter(pub Option<FlagColour>);

impl TryFrom<String> for FlagFilter {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s == "any" {
            Ok(Self(None))
        } else {
            s.parse::<FlagColour>().map(|c| Self(Some(c)))
        }
    }
}

impl From<FlagFilter> for String {
    fn from(f: FlagFilter) -> String {
        f.0.map_or_else(|| "any".to_owned(), |c| c.as_str().to_owned())
    }
}

/// Filters, sort, search and page of the conversation list. Filters combine with AND:
/// mine and unassigned (TT-LIST-1), unreplied, flag colour and has-order (AE-FILTER-1).
#[derive(Clone, Debug, Default, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
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
    pub platform: Option<String>,
    /// Search: a word of the messages, any part of the buyer's name, or an order id.
    pub q: Option<String>,
    /// latest (default) or waiting.
    pub sort: Option<SortOrder>,
    /// Page size, 1..200 (default 50).
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One page of conversations.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConversationPage {
    /// The conversations, each with what the platform's rules allow in it now.
    pub items: Vec<ConversationItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Counts of every filter over the visible shops (narrowed by `shop_id`/`platform`).
    pub counts: FilterCounts,
    /// The same counts restricted to conversations assigned to me.
    pub mine: FilterCounts,
}

/// A conversation of the list with what the rules allow in it now, so a user interface
/// can grey out the reply box before anyone types.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConversationItem {
    /// The conversation.
    #[serde(flatten)]
    pub conversation: Conversation,
    /// What is allowed now.
    pub allowed: super::actions::Allowed,
}

impl std::ops::Deref for ConversationItem {
    type Target = Conversation;
    fn deref(&self) -> &Conversation {
        &self.conversation
    }
}

/// The counts of one shop and in total (ALL-UNREAD-1, ALL-SHOP-1).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShopCounts {
    /// Per shop.
    pub shops: BTreeMap<String, FilterCounts>,
    /// Over every visible shop.
    pub total: FilterCounts,
}

/// A page of messages (`before` pages go back in time).
#[derive(Clone, Debug, Default, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessageQuery {
    /// Older messages than this cursor (from `prev_cursor`).
    pub before: Option<String>,
    /// Newer messages than this cursor (from `next_cursor`), to catch up.
    pub after: Option<String>,
    /// Page size, 1..200 (default 50).
    pub limit: Option<u32>,
}

/// A page of messages, oldest first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MessagePage {
    /// The messages, oldest first.
    pub items: Vec<Message>,
    /// Pass as `before` for older messages; absent when there are none.
    pub prev_cursor: Option<String>,
    /// Pass as `after` later to get what arrived since.
    pub next_cursor: Option<String>,
}

/// How many of the most recent messages matching a full-text search are considered.
pub const MAX_MESSAGE_HITS: usize = 10_000;

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

fn encode_cursor(key: i64, id: &str) -> String {
    format!("{key}.{id}")
}

fn decode_cursor(field: &str, cursor: &str) -> CoreResult<(i64, String)> {
    let bad = || CoreError::invalid(field, "is not a cursor this API returned");
    let (key, id) = cursor.split_once('.').ok_or_else(bad)?;
    let key: i64 = key.parse().map_err(|_| bad())?;
    let id = uuid::Uuid::parse_str(id).map_err(|_| bad())?;
    Ok((key, id.hyphenated().to_string()))
}

fn page_size(limit: Option<u32>) -> CoreResult<usize> {
    match limit {
        None => Ok(50),
        Some(n @ 1..=200) => Ok(n as usize),
        Some(_) => Err(CoreError::invalid("limit", "must be between 1 and 200")),
    }
}

impl Inbox {
    /// The shops in scope of a list: visible, narrowed by shop and platform.
    async fn scope(
        &self,
        viewer: &Viewer,
        shop: Option<ShopId>,
        platform: Option<&str>,
    ) -> CoreResult<Vec<ShopId>> {
        if let Some(s) = shop
            && !viewer.can_see(s)
        {
            return Err(CoreError::NotFound("shop"));
        }
        let mut shops: Vec<ShopId> = match platform {
            Some(p) => {
                let rows = self
                    .store
                    .query(
                        "SELECT id FROM shops WHERE seller_id = $1 AND platform = $2",
                        vec![viewer.agent.seller_id.to_string().into(), p.into()],
                    )
                    .fetch_all(self.store.pool())
                    .await?;
                rows.iter()
                    .map(|r| id_col(r, "id"))
                    .collect::<CoreResult<Vec<ShopId>>>()?
            }
            None => viewer.visible_shops.iter().copied().collect(),
        };
        shops.retain(|s| viewer.can_see(*s) && shop.is_none_or(|only| only == *s));
        shops.sort();
        Ok(shops)
    }

    /// The conversation list.
    pub async fn list_conversations(
        &self,
        viewer: &Viewer,
        q: &ConversationQuery,
    ) -> CoreResult<ConversationPage> {
        let limit = page_size(q.limit)?;
        let sort = q.sort.unwrap_or_default();
        let shops = self.scope(viewer, q.shop_id, q.platform.as_deref()).await?;
        let (counts, mine) = self.filter_counts(viewer, &shops).await?;
        if shops.is_empty() {
            return Ok(ConversationPage {
                items: vec![],
                next_cursor: None,
                counts,
                mine,
            });
        }

        let mut b = SqlArgs::default();
        let mut conditions = vec![format!(
            "c.seller_id = {}",
            b.arg(viewer.agent.seller_id.to_string())
        )];
        let all_visible = viewer.is_owner() && q.shop_id.is_none() && q.platform.is_none();
        if !all_visible {
            let list: Vec<String> = shops.iter().map(|s| b.arg(s.to_string())).collect();
            conditions.push(format!("c.shop_id IN ({})", list.join(",")));
        }
        match q.status.unwrap_or_default() {
            ListStatus::Open => conditions.push("c.list_status = 'open'".into()),
            ListStatus::History => conditions.push("c.list_status = 'history'".into()),
            ListStatus::Closed => conditions.push("c.list_status = 'closed'".into()),
            ListStatus::All => {}
        }
        if q.mine == Some(true) {
            conditions.push(format!(
                "c.assignee_id = {}",
                b.arg(viewer.agent.id.to_string())
            ));
        }
        if q.unassigned == Some(true) {
            conditions.push("c.state = 'unassigned'".into());
        }
        if q.unread == Some(true) {
            conditions.push("c.unread_count > 0".into());
        }
        if q.unreplied == Some(true) {
            conditions.push("c.waiting_since IS NOT NULL".into());
        }
        if let Some(f) = q.flag {
            conditions.push("c.flag IS NOT NULL".into());
            if let Some(colour) = f.0 {
                conditions.push(format!("c.flag = {}", b.arg(colour.as_str())));
            }
        }
        if q.expiring == Some(true) {
            conditions.push(self.expiring_condition(&mut b));
        }
        if q.has_order == Some(true) {
            conditions.push("c.has_order = 1".into());
        }
        let (key_col, desc) = match sort {
            SortOrder::Latest => ("last_message_at", true),
            SortOrder::Waiting => ("wait_rank", false),
        };
        if let Some(cursor) = &q.cursor {
            let (key, id) = decode_cursor("cursor", cursor)?;
            let op = if desc { "<" } else { ">" };
            let (k, i) = (b.arg(key), b.arg(id));
            conditions.push(format!(
                "(c.{key_col} {op} {k} OR (c.{key_col} = {k} AND c.id {op} {i}))"
            ));
        }
        // A search drives the query from its (few) matching conversations instead of
        // walking the whole list in order: CROSS JOIN fixes that join order in SQLite.
        let from = match q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(text) => {
                if text.chars().count() > 200 {
                    return Err(CoreError::invalid("q", "must be at most 200 characters"));
                }
                conditions.push("c.id = s.id".into());
                format!(
                    "(SELECT DISTINCT id FROM ({}) AS u) AS s CROSS JOIN conversations c",
                    self.search_candidates(text, &mut b)
                )
            }
            None => "conversations c".to_owned(),
        };
        let dir = if desc { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {} FROM {from} WHERE {} ORDER BY c.{key_col} {dir}, c.id {dir} LIMIT {}",
            *CONVERSATION_COLUMNS_C,
            conditions.join(" AND "),
            limit + 1
        );
        let rows = self
            .store
            .query(&sql, b.vals)
            .fetch_all(self.store.pool())
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            items.push(conversation_from_row(row)?.1);
        }
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|c| {
                let key = match sort {
                    SortOrder::Latest => to_millis(c.last_message_at),
                    SortOrder::Waiting => crate::store::wait_rank(c),
                };
                encode_cursor(key, &c.id.to_string())
            })
        } else {
            None
        };
        let allowed = self.allowed_many(&items).await?;
        let items = items
            .into_iter()
            .zip(allowed)
            .map(|(conversation, allowed)| ConversationItem {
                conversation,
                allowed,
            })
            .collect();
        Ok(ConversationPage {
            items,
            next_cursor,
            counts,
            mine,
        })
    }

    /// The ids of conversations matching a search, as a UNION of: conversations with a
    /// message containing every word (full-text index; the most recent
    /// [`MAX_MESSAGE_HITS`] matching messages), conversations of buyers with a name part
    /// starting with each word (AE-SEARCH-1), and conversations of buyers with that order
    /// id (TT-SEARCH-1).
    fn search_candidates(&self, text: &str, b: &mut SqlArgs) -> String {
        let mut alternatives = Vec::new();
        let terms = search_terms::query_terms(text);
        if !terms.is_empty() {
            alternatives.push(match self.store.backend() {
                Backend::Sqlite => format!(
                    "SELECT id FROM (SELECT conversation_id AS id FROM message_fts WHERE message_fts MATCH {} \
                     ORDER BY rowid DESC LIMIT {MAX_MESSAGE_HITS})",
                    b.arg(search_terms::fts5_query(&terms))
                ),
                Backend::Postgres => format!(
                    "SELECT id FROM (SELECT conversation_id AS id FROM messages \
                     WHERE search_vec @@ CAST({} AS tsquery) ORDER BY id DESC LIMIT {MAX_MESSAGE_HITS}) AS m",
                    b.arg(search_terms::tsquery_literal(&terms))
                ),
            });
        }
        let words: Vec<String> = text
            .split_whitespace()
            .take(4)
            .filter_map(search_terms::name_query)
            .collect();
        if !words.is_empty() {
            let parts: Vec<String> = words
                .iter()
                .map(|w| {
                    let (lo, hi) = (b.arg(w.clone()), b.arg(search_terms::prefix_upper_bound(w)));
                    format!(
                        "SELECT buyer_id FROM buyer_name_parts WHERE part >= {lo} AND part < {hi}"
                    )
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

    /// Counter rows of the given shops: (shop, assignee key, bucket, n).
    async fn counter_rows(
        &self,
        shops: &[ShopId],
    ) -> CoreResult<Vec<(ShopId, String, String, i64)>> {
        if shops.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT shop_id, assignee, bucket, n FROM conversation_counters WHERE shop_id IN ({}) AND n <> 0",
            list_placeholders(shops.len(), 1)
        );
        let rows = self
            .store
            .query(&sql, shops.iter().map(|s| s.to_string().into()).collect())
            .fetch_all(self.store.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    id_col(r, "shop_id")?,
                    r.try_get("assignee")?,
                    r.try_get("bucket")?,
                    r.try_get("n")?,
                ))
            })
            .collect()
    }

    async fn filter_counts(
        &self,
        viewer: &Viewer,
        shops: &[ShopId],
    ) -> CoreResult<(FilterCounts, FilterCounts)> {
        let mut all = FilterCounts::default();
        let mut mine = FilterCounts::default();
        for (_, assignee, bucket, n) in self.counter_rows(shops).await? {
            all.add(&bucket, n);
            if is_assignee(&assignee, viewer.agent.id) {
                mine.add(&bucket, n);
            }
        }
        if !shops.is_empty() && self.rule_sets.values().any(|r| r.expiring.is_some()) {
            let mut b = SqlArgs::default();
            let list: Vec<String> = shops.iter().map(|s| b.arg(s.to_string())).collect();
            let sql = format!(
                "SELECT c.assignee_id, CAST(COUNT(*) AS BIGINT) AS n FROM conversations c \
                 WHERE c.shop_id IN ({}) AND {} GROUP BY c.assignee_id",
                list.join(","),
                self.expiring_condition(&mut b)
            );
            for row in self
                .store
                .query(&sql, b.vals)
                .fetch_all(self.store.pool())
                .await?
            {
                let n: i64 = row.try_get("n")?;
                all.expiring += n;
                let assignee: Option<String> = row.try_get("assignee_id")?;
                if assignee.is_some_and(|a| is_assignee(&a, viewer.agent.id)) {
                    mine.expiring += n;
                }
            }
        }
        Ok((all, mine))
    }

    /// Open conversations unreplied for longer than their platform's "expiring soon"
    /// limit (TT-LIST-2), served by the `conversations_timer_unreplied` index.
    fn expiring_condition(&self, b: &mut SqlArgs) -> String {
        let now = self.clock.now();
        let mut per_platform: Vec<String> = Vec::new();
        let mut platforms: Vec<(&String, &shopmux_contract::rules::Expiry)> = self
            .rule_sets
            .iter()
            .filter_map(|(p, r)| r.expiring.as_ref().map(|e| (p, e)))
            .collect();
        platforms.sort_by_key(|(p, _)| p.as_str());
        for (platform, expiry) in platforms {
            let cutoff = to_millis(now - chrono::Duration::seconds(expiry.after.as_secs() as i64));
            per_platform.push(format!(
                "(c.platform = {} AND c.waiting_since < {})",
                b.arg(platform.clone()),
                b.arg(cutoff)
            ));
        }
        if per_platform.is_empty() {
            return "1 = 0".into();
        }
        format!(
            "c.list_status = 'open' AND c.waiting_since IS NOT NULL AND ({})",
            per_platform.join(" OR ")
        )
    }

    /// Counts per visible shop and in total.
    pub async fn shop_counts(&self, viewer: &Viewer) -> CoreResult<ShopCounts> {
        let shops = self.scope(viewer, None, None).await?;
        let mut per_shop: BTreeMap<String, FilterCounts> = shops
            .iter()
            .map(|s| (s.to_string(), FilterCounts::default()))
            .collect();
        let mut total = FilterCounts::default();
        for (shop, _, bucket, n) in self.counter_rows(&shops).await? {
            per_shop
                .entry(shop.to_string())
                .or_default()
                .add(&bucket, n);
            total.add(&bucket, n);
        }
        Ok(ShopCounts {
            shops: per_shop,
            total,
        })
    }

    /// Recounts every counter of a shop from the conversations (for checks and repair).
    pub async fn recount(&self, shop: ShopId) -> CoreResult<Vec<(String, String, i64)>> {
        let rows = self
            .store
            .query(
                &format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE shop_id = $1"),
                vec![shop.to_string().into()],
            )
            .fetch_all(self.store.pool())
            .await?;
        let mut sum: BTreeMap<(String, String), i64> = BTreeMap::new();
        for row in &rows {
            let (_, c) = conversation_from_row(row)?;
            for (k, n) in crate::counters::contributions(&c) {
                *sum.entry((k.assignee, k.bucket)).or_default() += n;
            }
        }
        Ok(sum
            .into_iter()
            .filter(|(_, n)| *n != 0)
            .map(|((a, b), n)| (a, b, n))
            .collect())
    }

    /// The maintained counters of a shop, in the same shape as [`Inbox::recount`].
    pub async fn stored_counters(&self, shop: ShopId) -> CoreResult<Vec<(String, String, i64)>> {
        let mut rows: Vec<(String, String, i64)> = self
            .counter_rows(&[shop])
            .await?
            .into_iter()
            .map(|(_, a, b, n)| (a, b, n))
            .collect();
        rows.sort();
        Ok(rows)
    }

    /// A page of a conversation's messages.
    pub async fn messages(
        &self,
        viewer: &Viewer,
        id: ConversationId,
        q: &MessageQuery,
    ) -> CoreResult<MessagePage> {
        let limit = page_size(q.limit)?;
        self.conversation(viewer, id).await?;
        if q.before.is_some() && q.after.is_some() {
            return Err(CoreError::invalid(
                "after",
                "give `before` or `after`, not both",
            ));
        }
        let mut sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1");
        let mut vals: Vec<Val> = vec![id.to_string().into()];
        let forward = q.after.is_some();
        if let Some((field, cursor)) = q
            .before
            .as_ref()
            .map(|c| ("before", c))
            .or_else(|| q.after.as_ref().map(|c| ("after", c)))
        {
            let (t, mid) = decode_cursor(field, cursor)?;
            let op = if forward { ">" } else { "<" };
            sql.push_str(&format!(
                " AND (created_at {op} $2 OR (created_at = $2 AND id {op} $3))"
            ));
            vals.push(t.into());
            vals.push(mid.into());
        }
        let dir = if forward { "ASC" } else { "DESC" };
        sql.push_str(&format!(
            " ORDER BY created_at {dir}, id {dir} LIMIT {}",
            limit + 1
        ));
        let rows = self
            .store
            .query(&sql, vals)
            .fetch_all(self.store.pool())
            .await?;
        let mut items = rows
            .iter()
            .map(message_from_row)
            .collect::<CoreResult<Vec<_>>>()?;
        let more = items.len() > limit;
        items.truncate(limit);
        if !forward {
            items.reverse();
        }
        let cursor_of = |m: &Message| encode_cursor(to_millis(m.created_at), &m.id.to_string());
        let (prev_cursor, next_cursor) = if forward {
            (
                items.first().map(cursor_of),
                items.last().map(cursor_of).or_else(|| q.after.clone()),
            )
        } else {
            (
                if more {
                    items.first().map(cursor_of)
                } else {
                    None
                },
                items.last().map(cursor_of),
            )
        };
        Ok(MessagePage {
            items,
            prev_cursor,
            next_cursor,
        })
    }
}
