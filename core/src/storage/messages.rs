//! The messages repository: storing messages once per (shop, platform message id) with
//! their search terms, finding stored copies, reading one or a page, recording delivery
//! outcomes, and who last wrote to a buyer.
//!
//! **Invariant:** a platform message is stored once per shop. The unique index
//! `messages (shop_id, platform_message_id)` enforces it and the insert is
//! `ON CONFLICT DO NOTHING`; only rows actually inserted change conversation state.

use super::exec::Tx;
use super::multi_row::{MultiRow, keys_source};
use super::rows::{Columns, MESSAGE_COLUMNS, MESSAGE_N_COLUMNS, message_from_row, message_values};
use super::sql::{Val, list_placeholders};
use super::store::{Backend, Store};
use super::write::Deferred;
use super::write::{Db, WriteTx};
use crate::domain::ids::*;
use crate::domain::model::{DeliveryStatus, Message, SenderKind};
use crate::domain::search_terms;
use crate::domain::topics::Topic;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Parameters per statement stay well under SQLite's and PostgreSQL's limits.
pub const ROWS_PER_STATEMENT: usize = 200;

/// Where each stored (shop, platform message id) is: its message and conversation.
pub type Stored = HashMap<(ShopId, String), (MessageId, ConversationId)>;

/// The stored (message id, conversation id) of each (shop, platform message id) key.
/// One lookup per shop: on SQLite `shop_id = $1 AND platform_message_id IN (...)`, which
/// the unique index answers (a row-value `IN (VALUES ...)` would scan); on PostgreSQL
/// each key looked up alone on the unique index ([`keys_source`]) — with `IN (...)` its
/// planner, trusting statistics taken when the table was far smaller, scanned every
/// message of the shop (4–7 ms per group at 15,000 messages, growing with the table).
pub async fn find_stored(
    store: &Store, tx: &mut Tx<'_>, keys: &[(ShopId, String)],
) -> CoreResult<Stored> {
    let mut by_shop: HashMap<ShopId, Vec<&str>> = HashMap::new();
    for (shop, pid) in keys {
        by_shop.entry(*shop).or_default().push(pid);
    }
    let mut out = HashMap::new();
    for (shop, pids) in by_shop {
        for chunk in pids.chunks(ROWS_PER_STATEMENT) {
            let keys: Vec<Val> = chunk.iter().map(|p| Val::from(*p)).collect();
            let (sql, keys) = match store.backend() {
                Backend::Sqlite => {
                    let sql = format!(
                        "SELECT platform_message_id, id, conversation_id FROM messages \
                         WHERE shop_id = $1 AND platform_message_id IN ({})",
                        list_placeholders(keys.len(), 2)
                    );
                    (sql, keys)
                }
                Backend::Postgres => {
                    let (source, array) = keys_source(&keys, 2);
                    let sql = format!(
                        "SELECT m.platform_message_id, m.id, m.conversation_id FROM {source}, \
                         LATERAL (SELECT platform_message_id, id, conversation_id FROM messages \
                         WHERE shop_id = $1 AND platform_message_id = k.key LIMIT 1) m"
                    );
                    (sql, vec![array])
                }
            };
            let mut vals = vec![Val::from(shop.to_string())];
            vals.extend(keys);
            for row in tx.fetch_all(store, &sql, vals).await? {
                out.insert(
                    (shop, row.text_col("platform_message_id")?),
                    (row.col("id")?, row.col("conversation_id")?),
                );
            }
        }
    }
    Ok(out)
}

/// Inserts messages, skipping any already stored; returns the ids actually inserted.
/// Also indexes their text for search (FTS5 rows on SQLite, the `tsvector` column on
/// PostgreSQL), and queues `message.created` for the webhook endpoints that want it.
///
/// On SQLite the insert is queued in `deferred` and every message counts as inserted:
/// the caller holds the write gate and has already looked for stored copies, so no
/// other writer can have stored one since (`ON CONFLICT DO NOTHING` stays as a guard).
/// On PostgreSQL, where other processes write too, `RETURNING` says what was inserted.
pub async fn insert_messages(
    store: &Store, tx: &mut Tx<'_>, messages: &[Message], given: &GivenTerms<'_>,
    deferred: &mut Deferred,
) -> CoreResult<HashSet<MessageId>> {
    let pg = store.backend() == Backend::Postgres;
    let n_cols = MESSAGE_N_COLUMNS;
    let mut inserted = HashSet::new();
    // In key order: transactions inserting the same keys at once (another daemon's, on
    // PostgreSQL) wait for each other in one order, never in a cycle.
    let mut sorted: Vec<&Message> = messages.iter().collect();
    sorted.sort_by(|a, b| {
        (a.shop_id, &a.platform_message_id).cmp(&(b.shop_id, &b.platform_message_id))
    });
    let columns =
        if pg { format!("{MESSAGE_COLUMNS}, search_vec") } else { MESSAGE_COLUMNS.to_owned() };
    let sql = format!(
        "INSERT INTO messages ({columns}) {{rows}} ON CONFLICT (shop_id, platform_message_id) DO NOTHING"
    );
    for chunk in sorted.chunks(ROWS_PER_STATEMENT) {
        let mut vals = Vec::with_capacity(chunk.len() * (n_cols + 1));
        for m in chunk {
            vals.extend(message_values(m));
            if pg {
                vals.push(search_terms::tsvector_literal(&search_words(m, given)).into());
            }
        }
        if pg {
            let rows = MultiRow::new(format!("{sql} RETURNING id"), n_cols + 1, vals);
            let (sql, vals) = rows.typed(n_cols, "TSVECTOR").build(Backend::Postgres);
            for row in tx.fetch_all(store, &sql, vals).await? {
                inserted.insert(row.col::<MessageId>("id")?);
            }
        } else {
            deferred.push_rows(MultiRow::new(sql.clone(), n_cols, vals));
            inserted.extend(chunk.iter().map(|m| m.id));
        }
    }
    if !pg {
        let indexed: Vec<(String, String)> = messages
            .iter()
            .filter(|m| inserted.contains(&m.id))
            .map(|m| (search_words(m, given).join(" "), m.conversation_id.to_string()))
            .filter(|(terms, _)| !terms.is_empty())
            .collect();
        for chunk in indexed.chunks(ROWS_PER_STATEMENT) {
            let sql = "INSERT INTO message_fts (terms, conversation_id) {rows}";
            let vals =
                chunk.iter().flat_map(|(t, c)| [Val::from(t.clone()), c.clone().into()]).collect();
            deferred.push_rows(MultiRow::new(sql, 2, vals));
        }
    }
    // message.created for the endpoints that want it, in the same transaction.
    let stored = messages.iter().filter(|m| inserted.contains(&m.id));
    super::webhook_queue::defer_messages(store, stored, deferred);
    Ok(inserted)
}

/// Messages' search terms worked out before they were queued (the ingest writer's are:
/// [`crate::domain::inbound::InboundMessage::index_terms`]), by message.
pub type GivenTerms<'a> = HashMap<MessageId, &'a [String]>;

/// The words a message is found by: as given, or worked out. A bot's messages have
/// none: they are the shop's own canned texts (greetings, FAQ answers, "please
/// rephrase"), so searching their words would find every conversation the bot took
/// part in.
fn search_words<'a>(m: &Message, given: &GivenTerms<'a>) -> Cow<'a, [String]> {
    if m.sender_kind == SenderKind::Bot {
        return Cow::Borrowed(&[]);
    }
    match given.get(&m.id) {
        Some(terms) => Cow::Borrowed(terms),
        None => Cow::Owned(search_terms::index_terms(&m.content.summary())),
    }
}

/// One message of a conversation, locked when read in a transaction.
pub async fn get_in(
    mut db: Db<'_, '_>, id: MessageId, conversation: ConversationId,
) -> CoreResult<Option<Message>> {
    let lock = match &db {
        Db::Tx(w) => w.store().for_update(),
        Db::Pool(_) => "",
    };
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1 AND conversation_id = $2{lock}"
    );
    let row = db.row(&sql, vec![id.into(), conversation.into()]).await?;
    row.map(|r| message_from_row(&r)).transpose()
}

/// One message.
pub async fn get(mut db: Db<'_, '_>, id: MessageId) -> CoreResult<Option<Message>> {
    let sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = $1");
    let row = db.row(&sql, vec![id.into()]).await?;
    row.map(|r| message_from_row(&r)).transpose()
}

/// Messages by id (those that exist, in no particular order).
pub async fn get_many(mut db: Db<'_, '_>, ids: &[MessageId]) -> CoreResult<Vec<Message>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE id IN ({})",
        list_placeholders(ids.len(), 1)
    );
    let rows = db.rows(&sql, ids.iter().map(|id| Val::from(*id)).collect()).await?;
    rows.iter().map(message_from_row).collect()
}

/// Where a page of a conversation's messages starts: after or before a message's
/// (time, id), or the newest.
#[derive(Clone, Debug)]
pub enum PageFrom {
    /// The newest messages.
    Newest,
    /// Messages older than (time in ms, id).
    Before(i64, String),
    /// Messages newer than (time in ms, id).
    After(i64, String),
}

/// Up to `limit` messages of a conversation from `from`, in the page's reading order
/// (newest first, except for `After` pages: oldest first).
pub async fn page(
    store: &Store, conversation: ConversationId, from: &PageFrom, limit: usize,
) -> CoreResult<Vec<Message>> {
    let mut sql = format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = $1");
    let mut vals: Vec<Val> = vec![conversation.into()];
    let forward = matches!(from, PageFrom::After(..));
    if let PageFrom::Before(t, id) | PageFrom::After(t, id) = from {
        let op = if forward { ">" } else { "<" };
        sql.push_str(&format!(" AND (created_at {op} $2 OR (created_at = $2 AND id {op} $3))"));
        vals.extend([Val::from(*t), id.clone().into()]);
    }
    let dir = if forward { "ASC" } else { "DESC" };
    sql.push_str(&format!(" ORDER BY created_at {dir}, id {dir} LIMIT {limit}"));
    let rows = store.rows(&sql, vals).await?;
    rows.iter().map(message_from_row).collect()
}

/// Records a delivery outcome on a message.
pub async fn set_delivery(
    w: &mut WriteTx<'_>, id: MessageId, status: DeliveryStatus, error: Option<String>,
    platform_message_id: Option<String>,
) -> CoreResult<()> {
    w.run(
        "UPDATE messages SET delivery_status = $1, delivery_error = $2, \
         platform_message_id = COALESCE($3, platform_message_id) WHERE id = $4",
        vec![status.as_str().into(), error.into(), platform_message_id.into(), id.into()],
    )
    .await
}

/// Labels a message with a topic a classifier answered after it was stored, unless it
/// has one (SH-TOPIC-2).
pub async fn set_topic(
    w: &mut WriteTx<'_>, id: MessageId, topic: Topic, confidence: f32,
) -> CoreResult<()> {
    w.run(
        "UPDATE messages SET topic = $1, topic_confidence = $2 WHERE id = $3 AND topic IS NULL",
        vec![
            topic.as_str().into(),
            ((confidence.clamp(0.0, 1.0) * 1000.0).round() as i64).into(),
            id.into(),
        ],
    )
    .await
}

/// The agent who last wrote to each buyer since `since` (AE-ROUTE-2).
pub async fn recent_agents(
    w: &mut WriteTx<'_>, buyers: &[BuyerId], since: DateTime<Utc>,
) -> CoreResult<HashMap<BuyerId, AgentId>> {
    let mut vals: Vec<Val> = vec![since.into()];
    vals.extend(buyers.iter().map(|b| Val::from(*b)));
    let sql = format!(
        "SELECT c.buyer_id, m.sender_agent_id, m.created_at FROM conversations c \
         JOIN messages m ON m.conversation_id = c.id \
         WHERE m.sender_kind = 'agent' AND m.sender_agent_id IS NOT NULL AND m.created_at >= $1 \
         AND c.buyer_id IN ({})",
        list_placeholders(buyers.len(), 2)
    );
    let mut latest: HashMap<BuyerId, (i64, AgentId)> = HashMap::new();
    for r in &w.rows(&sql, vals).await? {
        let entry = (r.int_col("created_at")?, r.col("sender_agent_id")?);
        let slot = latest.entry(r.col("buyer_id")?).or_insert(entry);
        if entry.0 > slot.0 {
            *slot = entry;
        }
    }
    Ok(latest.into_iter().map(|(b, (_, a))| (b, a)).collect())
}
