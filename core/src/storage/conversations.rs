//! The conversations repository: reading conversations (alone, locked for an update, by
//! buyer, due for a timer, queued), and writing them together with the inbox counters.
//!
//! **Invariant:** the inbox never counts by scanning. Every write of a conversation goes
//! through [`save`] or [`defer_save`], which apply the difference between its old and
//! new counter contributions in the same transaction.

use super::multi_row::MultiRow;
use super::rows::{
    CONVERSATION_COLUMNS, CONVERSATION_N_COLUMNS, Column, Columns, conversation_from_row,
    conversation_values,
};
use super::sql::Val;
use super::store::Store;
use super::write::Deferred;
use super::write::{Db, WriteTx};
use crate::clock::to_millis;
use crate::domain::counters;
use crate::domain::ids::*;
use crate::domain::model::Conversation;
use crate::domain::service_data;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};
use shopmux_contract::rules::QueueOrder;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// A conversation with the seller it belongs to.
pub type Owned = (SellerId, Conversation);

/// A conversation change to write: its seller, the row before (none: a new one), after.
pub type Change = (SellerId, Option<Conversation>, Conversation);

/// The columns a buyer message may change (an update sets those of them that did change,
/// [`defer_rows`]); the others (state, assignee, flag) are left as they are.
pub const INGEST_MUTABLE: &[&str] = &[
    "has_order",
    "unread_count",
    "waiting_since",
    "reply_wait_since",
    "wait_rank",
    "last_message_at",
    "last_buyer_message_at",
    "preview",
    "bot_active",
    "bot_misses",
    "next_breach_at",
    "breach_rank",
    "sla_due_at",
    "breach_warn_at",
    "topics",
    "topic_1",
    "topic_2",
];

/// The columns a conversation never changes; every other column is updated on save.
const IMMUTABLE: &[&str] = &["id", "seller_id", "shop_id", "platform", "buyer_id", "created_at"];

/// The columns of [`CONVERSATION_COLUMNS`], in order (the order of
/// [`conversation_values`]).
static COLUMN_NAMES: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| CONVERSATION_COLUMNS.split(',').map(str::trim).collect());

/// Every column of [`CONVERSATION_COLUMNS`] but the immutable ones.
static ALL_MUTABLE: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| COLUMN_NAMES.iter().copied().filter(|c| !IMMUTABLE.contains(c)).collect());

fn select(filter: &str, suffix: &str) -> String {
    format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE {filter}{suffix}")
}

/// One conversation.
pub async fn get(store: &Store, id: ConversationId) -> CoreResult<Option<Owned>> {
    let row = store.row(&select("id = $1", ""), vec![id.into()]).await?;
    row.map(|r| conversation_from_row(&r)).transpose()
}

/// Conversations by id (those that exist, in no particular order).
pub async fn get_many(store: &Store, ids: &[ConversationId]) -> CoreResult<Vec<Owned>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let filter = format!("id IN ({})", super::sql::list_placeholders(ids.len(), 1));
    let rows =
        store.rows(&select(&filter, ""), ids.iter().map(|id| Val::from(*id)).collect()).await?;
    rows.iter().map(conversation_from_row).collect()
}

/// The one conversation `filter` (binding `$1` to `key`) finds, locked for the rest of
/// the transaction (PostgreSQL; on SQLite the write gate already serializes writers).
async fn lock_one(
    w: &mut WriteTx<'_>, filter: &str, order: &str, key: Val,
) -> CoreResult<Option<Owned>> {
    let sql = select(filter, &format!("{order}{}", w.store().for_update()));
    let row = w.row(&sql, vec![key]).await?;
    row.map(|r| conversation_from_row(&r)).transpose()
}

/// The ids of the open conversations an agent holds.
pub async fn held_by(w: &mut WriteTx<'_>, agent: AgentId) -> CoreResult<Vec<ConversationId>> {
    let sql = "SELECT id FROM conversations WHERE assignee_id = $1 AND state = 'in_progress'";
    let rows = w.rows(sql, vec![agent.into()]).await?;
    rows.iter().map(|r| r.col("id")).collect()
}

/// One conversation, locked.
pub async fn lock(w: &mut WriteTx<'_>, id: ConversationId) -> CoreResult<Option<Owned>> {
    lock_one(w, "id = $1", "", id.into()).await
}

/// The buyer's open conversation that has no order yet, locked.
pub async fn lock_open_without_order(
    w: &mut WriteTx<'_>, buyer: BuyerId,
) -> CoreResult<Option<Owned>> {
    let filter = "buyer_id = $1 AND list_status = 'open' AND has_order = 0";
    lock_one(w, filter, "", buyer.into()).await
}

/// The buyer's latest conversation, locked.
pub async fn lock_latest_of_buyer(
    w: &mut WriteTx<'_>, buyer: BuyerId,
) -> CoreResult<Option<Owned>> {
    let order = " ORDER BY created_at DESC, id DESC LIMIT 1";
    lock_one(w, "buyer_id = $1", order, buyer.into()).await
}

/// How many open conversations the buyer has (at most one, by a unique index).
pub async fn open_count(w: &mut WriteTx<'_>, buyer: BuyerId) -> CoreResult<i64> {
    let sql = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM conversations WHERE buyer_id = $1 AND list_status = 'open'";
    count(Db::Tx(w), sql, vec![buyer.into()]).await
}

/// The buyer's latest message to the shop, over all their conversations.
pub async fn last_buyer_message_at(
    w: &mut WriteTx<'_>, buyer: BuyerId,
) -> CoreResult<Option<DateTime<Utc>>> {
    let sql = "SELECT MAX(last_buyer_message_at) AS t FROM conversations WHERE buyer_id = $1";
    let row = w.row(sql, vec![buyer.into()]).await?;
    Ok(row.map(|r| r.opt_int_col("t")).transpose()?.flatten().map(crate::clock::from_millis))
}

/// How many conversations the buyer had before `before`.
pub async fn count_before(store: &Store, buyer: BuyerId, before: DateTime<Utc>) -> CoreResult<i64> {
    let sql = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM conversations WHERE buyer_id = $1 AND created_at < $2";
    count(Db::Pool(store), sql, vec![buyer.into(), to_millis(before).into()]).await
}

async fn count(mut db: Db<'_, '_>, sql: &str, vals: Vec<Val>) -> CoreResult<i64> {
    let row = db.row(sql, vals).await?;
    Ok(row.map(|r| r.int_col("n")).transpose()?.unwrap_or(0))
}

/// Open conversations of `platform` silent since `cutoff` on the given side (a timer's
/// candidates, oldest first): `waiting_since` for an agent's silence (the buyer waits),
/// `last_agent_reply_at` for the buyer's (answered, nobody waits).
pub async fn due_for_timer(
    store: &Store, platform: &str, agent_silent: bool, cutoff: DateTime<Utc>, limit: i64,
) -> CoreResult<Vec<ConversationId>> {
    let (column, answered) = if agent_silent {
        ("waiting_since", "waiting_since IS NOT NULL")
    } else {
        ("last_agent_reply_at", "waiting_since IS NULL")
    };
    let sql = format!(
        "SELECT id FROM conversations WHERE platform = $1 AND list_status = 'open' AND {answered} \
         AND {column} <= $2 ORDER BY {column} LIMIT $3"
    );
    let vals = vec![platform.into(), to_millis(cutoff).into(), limit.into()];
    ids(store.rows(&sql, vals).await?, "id")
}

fn ids<T: Column>(rows: Vec<sqlx::any::AnyRow>, col: &str) -> CoreResult<Vec<T>> {
    rows.iter().map(|r| r.col(col)).collect()
}

/// Conversations whose stored next deadline passed before `now` (the timer pass moves
/// them to their next one), earliest first.
pub async fn breach_passed(
    store: &Store, now: DateTime<Utc>, limit: i64,
) -> CoreResult<Vec<ConversationId>> {
    let sql = "SELECT id FROM conversations WHERE next_breach_at IS NOT NULL AND next_breach_at < $1 \
               ORDER BY next_breach_at LIMIT $2";
    ids(store.rows(sql, vec![to_millis(now).into(), limit.into()]).await?, "id")
}

/// Conversations whose about-to-breach warning is due at `now`, earliest first.
pub async fn warning_due(
    store: &Store, now: DateTime<Utc>, limit: i64,
) -> CoreResult<Vec<ConversationId>> {
    let sql = "SELECT id FROM conversations WHERE breach_warn_at IS NOT NULL AND breach_warn_at <= $1 \
               ORDER BY breach_warn_at LIMIT $2";
    ids(store.rows(sql, vec![to_millis(now).into(), limit.into()]).await?, "id")
}

/// The open conversations of a shop (to stamp their deadlines again when its rules or
/// target change).
pub async fn open_of_shop(store: &Store, shop: ShopId) -> CoreResult<Vec<ConversationId>> {
    let sql = "SELECT id FROM conversations WHERE shop_id = $1 AND list_status = 'open'";
    ids(store.rows(sql, vec![shop.into()]).await?, "id")
}

/// The shops (of `seller`, or of every seller) with a conversation waiting for
/// assignment.
pub async fn shops_with_queue(store: &Store, seller: Option<SellerId>) -> CoreResult<Vec<ShopId>> {
    // Per shop, the queue's index up to its first entry: `DISTINCT shop_id` over the
    // queue read every queued conversation (53–75 ms with 100,000 queued, every sweep).
    let queued = "EXISTS (SELECT 1 FROM conversations c \
                  WHERE c.shop_id = s.id AND c.state = 'unassigned' AND c.bot_active = 0)";
    let rows = match seller {
        Some(seller) => {
            let sql = format!(
                "SELECT id AS shop_id FROM shops s WHERE s.seller_id = $1 AND {queued} \
                 ORDER BY created_at, id"
            );
            store.rows(&sql, vec![seller.into()]).await?
        }
        None => {
            let sql = format!("SELECT id AS shop_id FROM shops s WHERE {queued} ORDER BY id");
            store.rows(&sql, vec![]).await?
        }
    };
    ids(rows, "shop_id")
}

/// Whether a shop has a conversation waiting for assignment.
pub async fn has_queue(store: &Store, shop: ShopId) -> CoreResult<bool> {
    let sql = "SELECT id FROM conversations WHERE shop_id = $1 AND state = 'unassigned' AND bot_active = 0 LIMIT 1";
    Ok(store.row(sql, vec![shop.into()]).await?.is_some())
}

fn queue_order(order: QueueOrder) -> &'static str {
    match order {
        QueueOrder::FirstCome => "ASC",
        QueueOrder::LastCome => "DESC",
    }
}

/// The next `limit` queued conversations of a shop in its queue order, locked.
pub async fn lock_queued(
    w: &mut WriteTx<'_>, shop: ShopId, order: QueueOrder, limit: i64,
) -> CoreResult<Vec<Owned>> {
    let dir = queue_order(order);
    let suffix = format!(" ORDER BY created_at {dir}, id {dir} LIMIT $2{}", w.store().for_update());
    let sql = select("shop_id = $1 AND state = 'unassigned' AND bot_active = 0", &suffix);
    let rows = w.rows(&sql, vec![shop.into(), limit.into()]).await?;
    rows.iter().map(conversation_from_row).collect()
}

/// A shop's queue in its order: (conversation, buyer, queued since).
pub async fn queue(
    store: &Store, shop: ShopId, order: QueueOrder,
) -> CoreResult<Vec<(ConversationId, BuyerId, DateTime<Utc>)>> {
    let dir = queue_order(order);
    let sql = format!(
        "SELECT id, buyer_id, created_at FROM conversations WHERE shop_id = $1 AND state = 'unassigned' AND bot_active = 0 \
         ORDER BY created_at {dir}, id {dir}"
    );
    let rows = store.rows(&sql, vec![shop.into()]).await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.col("id")?,
                r.col("buyer_id")?,
                crate::clock::from_millis(r.int_col("created_at")?),
            ))
        })
        .collect()
}

/// Every conversation of a shop (for recounting).
pub async fn all_of_shop(store: &Store, shop: ShopId) -> CoreResult<Vec<Conversation>> {
    let rows = store.rows(&select("shop_id = $1", ""), vec![shop.into()]).await?;
    rows.iter().map(|r| conversation_from_row(r).map(|(_, c)| c)).collect()
}

/// Writes conversations (insert or update) and applies their counter changes.
pub async fn save(w: &mut WriteTx<'_>, changes: &[Change]) -> CoreResult<()> {
    let mut deferred = Deferred::default();
    defer_save(w.store(), changes, &ALL_MUTABLE, &mut deferred);
    deferred.run(w).await
}

/// Queues the writes of conversations (insert, or update of `columns` only), of their
/// counter changes and of the webhook events they raise (assigned, ended, closed), to
/// run later in the transaction.
pub fn defer_save(store: &Store, changes: &[Change], columns: &[&str], deferred: &mut Deferred) {
    defer_rows(changes, columns, deferred);
    defer_effects(store, changes, deferred);
}

/// Queues the writes of conversations only (insert, or update of `columns` only): a
/// caller saving changes in several such parts queues their effects once, for all of
/// them, with [`defer_effects`].
///
/// An update sets only those of `columns` whose values changed: SQLite rewrites every
/// index on a column a statement sets, whether its value changed or not, and a
/// conversation has 17 (a message's update cost ten times what it does setting only
/// what it changed). Updates that change the same columns go in one statement; a
/// change that changes none of them writes nothing.
pub fn defer_rows(changes: &[Change], columns: &[&str], deferred: &mut Deferred) {
    let mut by_set: BTreeMap<Vec<&str>, Vec<Vec<Val>>> = BTreeMap::new();
    for (seller, before, after) in changes {
        let values = conversation_values(*seller, after);
        let set = match before {
            None => columns.to_vec(),
            Some(before) => changed(&conversation_values(*seller, before), &values, columns),
        };
        if !set.is_empty() {
            by_set.entry(set).or_default().push(values);
        }
    }
    for (set, rows) in by_set {
        let set = set.iter().map(|c| format!("{c} = excluded.{c}")).collect::<Vec<_>>();
        let sql = format!(
            "INSERT INTO conversations ({CONVERSATION_COLUMNS}) {{rows}} ON CONFLICT (id) DO UPDATE SET {}",
            set.join(", ")
        );
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let vals = rows.by_ref().take(150).flatten().collect();
            deferred.push_rows(MultiRow::new(sql.clone(), CONVERSATION_N_COLUMNS, vals));
        }
    }
}

/// Those of `columns` whose values differ between two rows of [`conversation_values`].
fn changed<'c>(before: &[Val], after: &[Val], columns: &[&'c str]) -> Vec<&'c str> {
    let position = |column: &str| COLUMN_NAMES.iter().position(|n| *n == column);
    columns
        .iter()
        .copied()
        .filter(|c| position(c).is_none_or(|at| before[at] != after[at]))
        .collect()
}

/// Queues what conversation changes do besides their rows: the counter changes, first
/// replies, service rollups and webhook events (assigned, ended, closed). The rows that
/// every writer changes (counters, rollups) go in one statement per table, in key order,
/// so that concurrent transactions lock them in the same order and never deadlock —
/// which is why changes saved in parts must come here together, once.
pub fn defer_effects(store: &Store, changes: &[Change], deferred: &mut Deferred) {
    defer_counters(changes, deferred);
    super::service_levels::defer_first_replies(changes, deferred);
    defer_service_rollups(changes, deferred);
    super::webhook_queue::defer_changes(store, changes, deferred);
}

/// Queues the service rollups' changes (a buyer-started conversation counted by its
/// start for its holder: TT-DATA-3, DY-QA-1), in the same transaction.
fn defer_service_rollups(changes: &[Change], deferred: &mut Deferred) {
    let mut delta = service_data::Rollups::new();
    for (_, before, after) in changes {
        service_data::tally::conversation_delta(before.as_ref(), after, &mut delta);
    }
    super::service_rollups::defer(&delta, deferred);
}

fn defer_counters(changes: &[Change], deferred: &mut Deferred) {
    let mut delta = Vec::new();
    for (_, before, after) in changes {
        counters::merge(&mut delta, counters::delta(before.as_ref(), Some(after)));
    }
    for chunk in delta.chunks(300) {
        let sql = "INSERT INTO conversation_counters (shop_id, assignee, bucket, n) {rows} \
             ON CONFLICT (shop_id, assignee, bucket) DO UPDATE SET n = conversation_counters.n + excluded.n";
        let vals = chunk
            .iter()
            .flat_map(|(k, n)| {
                [
                    Val::from(k.shop_id),
                    k.assignee.clone().into(),
                    k.bucket.clone().into(),
                    (*n).into(),
                ]
            })
            .collect();
        deferred.push_shared(MultiRow::new(sql, 4, vals));
    }
}

/// The maintained counter rows of the given shops: (shop, assignee key, bucket, n).
pub async fn counter_rows(
    store: &Store, shops: &[ShopId],
) -> CoreResult<Vec<(ShopId, String, String, i64)>> {
    if shops.is_empty() {
        return Ok(vec![]);
    }
    let sql = format!(
        "SELECT shop_id, assignee, bucket, n FROM conversation_counters WHERE shop_id IN ({}) AND n <> 0",
        super::sql::list_placeholders(shops.len(), 1)
    );
    let rows = store.rows(&sql, shops.iter().map(|s| Val::from(*s)).collect()).await?;
    rows.iter()
        .map(|r| {
            Ok((r.col("shop_id")?, r.text_col("assignee")?, r.text_col("bucket")?, r.int_col("n")?))
        })
        .collect()
}
