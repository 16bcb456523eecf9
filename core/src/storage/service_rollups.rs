//! The service-data rollups repository (issue 17): rollup changes written in the
//! transaction of the event they count, sums over a shop's slot ranges with the waits
//! still unanswered in them (DY-QA-1: from the conversations' stored waits), every range
//! of a request in one statement, and what the
//! recompute command reads (a period's stored rollups, the conversations, messages and
//! latest ratings it covers) and writes (a period's rollups replaced). Every change is
//! written per 15-minute slot, per UTC hour (`service_rollups_hourly`), per UTC 4-hour
//! block (`service_rollups_4h`) and per UTC day (`service_rollups_daily`), so a local day
//! reads 6 to 9 block and hour rows in whole-hour zones and a month about 30 day rows and
//! its edges instead of 2,900 slots.

use super::multi_row::MultiRow;
use super::rows::{CONVERSATION_COLUMNS, Columns, conversation_from_row};
use super::sql::{Val, list_placeholders};
use super::store::Store;
use super::write::{Deferred, WriteTx};
use crate::domain::ids::*;
use crate::domain::model::{Conversation, SenderKind};
use crate::domain::service_data::replay::StoredMessage;
use crate::domain::service_data::{self as sd, RollupKey, Rollups, Tally};
use crate::error::CoreResult;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

const UPSERT_COLS: usize = 6;

/// The table and key column of each unit of [`sd::UNITS`].
fn table_of(unit: i64) -> (&'static str, &'static str) {
    match unit {
        sd::SLOTS_PER_DAY => ("service_rollups_daily", "day"),
        sd::SLOTS_PER_BLOCK => ("service_rollups_4h", "block"),
        sd::SLOTS_PER_HOUR => ("service_rollups_hourly", "hour"),
        _ => ("service_rollups", "slot"),
    }
}

/// Queues rollup changes as multi-row upserts into the slot table and, summed per unit,
/// into the hour and day tables (nothing when there are none).
pub fn defer(rollups: &Rollups, deferred: &mut Deferred) {
    if rollups.is_empty() {
        return;
    }
    for unit in sd::UNITS {
        let (table, column) = table_of(unit);
        let rows = if unit == 1 { rollups.clone() } else { sd::by_unit(rollups, unit) };
        defer_into(table, column, &rows, deferred);
    }
}

fn defer_into(table: &str, unit: &str, rollups: &Rollups, deferred: &mut Deferred) {
    let rows: Vec<_> = rollups.iter().collect();
    for chunk in rows.chunks(150) {
        let sql = format!(
            "INSERT INTO {table} (shop_id, {unit}, agent_id, metric, n, total) {{rows}} \
             ON CONFLICT (shop_id, {unit}, agent_id, metric) DO UPDATE SET \
             n = {table}.n + excluded.n, total = {table}.total + excluded.total"
        );
        let vals = chunk
            .iter()
            .flat_map(|(k, t)| {
                [
                    Val::from(k.shop_id),
                    k.slot.into(),
                    k.agent.clone().into(),
                    k.metric.clone().into(),
                    t.n.into(),
                    t.total.into(),
                ]
            })
            .collect();
        deferred.push_shared(MultiRow::new(sql, UPSERT_COLS, vals));
    }
}

/// Applies rollup changes in the write transaction.
pub async fn add(w: &mut WriteTx<'_>, rollups: &Rollups) -> CoreResult<()> {
    if rollups.is_empty() {
        return Ok(());
    }
    let mut deferred = Deferred::default();
    defer(rollups, &mut deferred);
    deferred.run(w).await
}

/// What one range of a figure read asks for: the rollups over its slots, and for each
/// unreplied threshold the waits still unanswered that began in `[from, to)` (ms),
/// counted under the threshold's metric (DY-QA-1; from the conversations' stored waits).
#[derive(Clone, Debug, Default)]
pub struct Asked {
    /// The slot range.
    pub slots: (i64, i64),
    /// (metric, wait window in ms).
    pub waits: Vec<(String, (i64, i64))>,
}

/// Parts of one compound select at most (SQLite allows 500).
const PARTS_PER_STATEMENT: usize = 480;

/// The most rollup parts one range splits into: its days, and blocks, hours and slots
/// at either edge.
const PARTS_PER_RANGE: usize = 1 + 2 * (sd::UNITS.len() - 1);

/// A shop's sums for each range asked, per agent and metric (only `agent`'s when
/// given), in as few statements as the compound-select limit allows (one for a 92-day
/// series). Each range is read as its whole UTC days, the whole blocks, then hours at its
/// edges and the slots at theirs ([`sd::unit_split`]), each part one indexed range read;
/// the unanswered waits from `conversations (shop_id, reply_wait_since, assignee_id,
/// entry_point)` alone.
pub async fn sums(
    store: &Store, shop: ShopId, asked: &[Asked], agent: Option<&str>,
) -> CoreResult<Vec<Vec<(String, String, Tally)>>> {
    let mut out = vec![Vec::new(); asked.len()];
    let waits = asked.iter().map(|a| a.waits.len()).max().unwrap_or(0);
    let per_statement = (PARTS_PER_STATEMENT / (PARTS_PER_RANGE + waits)).max(1);
    for (chunk, first) in asked.chunks(per_statement).zip((0..).step_by(per_statement)) {
        let Some((sql, vals)) = sums_statement(shop, chunk, agent) else { continue };
        for r in store.rows(&sql, vals).await? {
            let q = first + usize::try_from(r.int_col("q")?).unwrap_or(usize::MAX);
            let t = Tally { n: r.int_col("n")?, total: r.int_col("total")? };
            if let Some(rows) = out.get_mut(q) {
                rows.push((r.text_col("agent_id")?, r.text_col("metric")?, t));
            }
        }
    }
    Ok(out)
}

/// The statement summing `asked` (none when nothing is asked).
fn sums_statement(
    shop: ShopId, asked: &[Asked], agent: Option<&str>,
) -> Option<(String, Vec<Val>)> {
    let mut vals: Vec<Val> = vec![shop.into()];
    let (mut rollup_filter, mut wait_filter) = (String::new(), String::new());
    if let Some(a) = agent {
        vals.push(a.into());
        (rollup_filter, wait_filter) =
            (" AND agent_id = $2".into(), " AND assignee_id = $2".into());
    }
    let mut selects = Vec::new();
    for (q, a) in asked.iter().enumerate() {
        for (unit, (from, to)) in sd::unit_split(a.slots) {
            let (table, column) = table_of(unit);
            vals.extend([from.into(), to.into()]);
            let n = vals.len();
            selects.push(format!(
                "SELECT CAST({q} AS BIGINT) AS q, agent_id, metric, n, total FROM {table} \
                 WHERE shop_id = $1{rollup_filter} AND {column} >= ${} AND {column} < ${n}",
                n - 1
            ));
        }
        for (metric, (from, to)) in a.waits.iter().filter(|(_, (from, to))| from < to) {
            vals.extend([metric.clone().into(), (*from).into(), (*to).into()]);
            let n = vals.len();
            selects.push(format!(
                "SELECT CAST({q} AS BIGINT) AS q, COALESCE(assignee_id, '') AS agent_id, \
                 CAST(${} AS TEXT) AS metric, CAST(COUNT(*) AS BIGINT) AS n, \
                 CAST(0 AS BIGINT) AS total FROM conversations WHERE shop_id = $1 \
                 AND reply_wait_since >= ${} AND reply_wait_since < ${n} \
                 AND entry_point <> 'seller_initiated'{wait_filter} GROUP BY assignee_id",
                n - 2,
                n - 1
            ));
        }
    }
    if selects.is_empty() {
        return None;
    }
    let sql = format!(
        "SELECT q, agent_id, metric, CAST(SUM(n) AS BIGINT) AS n, CAST(SUM(total) AS BIGINT) AS total \
         FROM ({}) AS r GROUP BY q, agent_id, metric",
        selects.join(" UNION ALL ")
    );
    Some((sql, vals))
}

/// Replaces a shop's rollups over the whole UTC days [from, to) with `rollups`, in
/// every unit's table.
pub async fn replace(
    w: &mut WriteTx<'_>, shop: ShopId, days: (i64, i64), rollups: &Rollups,
) -> CoreResult<()> {
    for unit in sd::UNITS {
        let (table, column) = table_of(unit);
        let per = sd::SLOTS_PER_DAY / unit;
        w.run(
            &format!("DELETE FROM {table} WHERE shop_id = $1 AND {column} >= $2 AND {column} < $3"),
            vec![shop.into(), (days.0 * per).into(), (days.1 * per).into()],
        )
        .await?;
    }
    add(w, rollups).await
}

/// A shop's rows of one unit's table over [from, to) in that unit (non-zero ones; the
/// key's `slot` holds the unit).
pub async fn units_in(
    store: &Store, shop: ShopId, unit: i64, range: (i64, i64),
) -> CoreResult<Rollups> {
    let (table, column) = table_of(unit);
    let sql = format!(
        "SELECT {column} AS unit, agent_id, metric, n, total FROM {table} \
         WHERE shop_id = $1 AND {column} >= $2 AND {column} < $3 AND (n <> 0 OR total <> 0)"
    );
    let rows = store.rows(&sql, vec![shop.into(), range.0.into(), range.1.into()]).await?;
    let mut out = Rollups::new();
    for r in &rows {
        let key = RollupKey {
            shop_id: shop,
            slot: r.int_col("unit")?,
            agent: r.text_col("agent_id")?,
            metric: r.text_col("metric")?,
        };
        out.insert(key, Tally { n: r.int_col("n")?, total: r.int_col("total")? });
    }
    Ok(out)
}

/// A shop's conversations with any activity in [from, to): started before its end,
/// last message at or after its start.
pub async fn conversations_touching(
    store: &Store, shop: ShopId, from: DateTime<Utc>, to: DateTime<Utc>,
) -> CoreResult<Vec<Conversation>> {
    let sql = format!(
        "SELECT {CONVERSATION_COLUMNS} FROM conversations \
         WHERE shop_id = $1 AND created_at < $2 AND last_message_at >= $3"
    );
    let rows = store.rows(&sql, vec![shop.into(), to.into(), from.into()]).await?;
    rows.iter().map(|r| conversation_from_row(r).map(|(_, c)| c)).collect()
}

/// The messages of conversations, each conversation's in the order written.
pub async fn messages_of(
    store: &Store, conversations: &[ConversationId],
) -> CoreResult<HashMap<ConversationId, Vec<StoredMessage>>> {
    let mut out: HashMap<ConversationId, Vec<StoredMessage>> = HashMap::new();
    for chunk in conversations.chunks(500) {
        let sql = format!(
            "SELECT conversation_id, sender_kind, sender_agent_id, created_at, \
             CASE WHEN content LIKE '{{\"type\":\"rating_card\"%' THEN 0 ELSE 1 END AS awaits \
             FROM messages WHERE conversation_id IN ({}) ORDER BY conversation_id, created_at, id",
            list_placeholders(chunk.len(), 1)
        );
        let rows = store.rows(&sql, chunk.iter().map(|c| Val::from(*c)).collect()).await?;
        for r in &rows {
            let m = StoredMessage {
                sender_kind: r.col::<SenderKind>("sender_kind")?,
                sender_agent_id: r.col("sender_agent_id")?,
                created_at: r.col("created_at")?,
                // The same test as `domain::conversation::awaits_reply`: not a rating.
                awaits_reply: r.int_col("awaits")? != 0,
            };
            out.entry(r.col("conversation_id")?).or_default().push(m);
        }
    }
    Ok(out)
}

/// Every shop (the recompute command's default scope).
pub async fn all_shops(store: &Store) -> CoreResult<Vec<ShopId>> {
    let rows = store.rows("SELECT id FROM shops ORDER BY id", vec![]).await?;
    rows.iter().map(|r| r.col("id")).collect()
}
