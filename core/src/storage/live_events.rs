//! The live-event log shared by the daemons of one PostgreSQL database: each record
//! (ids, or a small event whole) appended with the time, its origin daemon and the shop
//! or seller it concerns, and announced after its commit with `pg_notify` on
//! [`CHANNEL`] carrying the schema's name (deployments sharing a database ignore each
//! other's); read back after a sequence number.

use super::multi_row::MultiRow;
use super::rows::Columns;
use super::sql::Val;
use super::store::{Backend, Store};
use super::write::{Deferred, WriteTx};
use crate::domain::ids::{SellerId, ShopId};
use crate::error::CoreResult;
use crate::events::{GroupEntry, RelayRecord, Relayed};

/// The notification channel every daemon listens on.
pub const CHANNEL: &str = "shopmux_live";

/// Columns written per record.
const COLUMNS: usize = 5;

/// Records per statement.
const PER_STATEMENT: usize = 1000;

/// One record of the log as read back.
#[derive(Clone, Debug)]
pub struct LiveRow {
    /// Its position: a client's cursor.
    pub seq: i64,
    /// The daemon that appended it.
    pub origin: String,
    /// The shop it concerns, if any.
    pub shop_id: Option<ShopId>,
    /// The seller it concerns, if any.
    pub seller_id: Option<SellerId>,
    /// What it says (none: a record of a newer version this daemon cannot read).
    pub body: Option<Relayed>,
}

/// One event of a record: a record's own, or one of its group's.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'a> {
    /// The shop it concerns, if any.
    pub shop_id: Option<ShopId>,
    /// The seller it concerns, if any.
    pub seller_id: Option<SellerId>,
    /// What it says.
    pub body: &'a Relayed,
}

impl LiveRow {
    /// Its events in order: a group's each with its shop, another record's one (none
    /// when this daemon cannot read it).
    pub fn entries(&self) -> Vec<Entry<'_>> {
        let seller_id = self.seller_id;
        match &self.body {
            None => Vec::new(),
            Some(Relayed::Group { entries }) => entries
                .iter()
                .map(|GroupEntry(shop, body)| Entry { shop_id: Some(*shop), seller_id, body })
                .collect(),
            Some(body) => vec![Entry { shop_id: self.shop_id, seller_id, body }],
        }
    }
}

/// The inserts appending `records`, at most [`PER_STATEMENT`] each. PostgreSQL only:
/// the log is how daemons sharing one database hear each other. They are announced
/// after their commit ([`announce`]).
fn statements(origin: &str, records: &[RelayRecord], now_ms: i64) -> Vec<(String, Vec<Val>)> {
    let insert = "INSERT INTO live_events (origin, shop_id, seller_id, body, created_at) {rows}";
    records
        .chunks(PER_STATEMENT)
        .map(|chunk| {
            let vals = chunk
                .iter()
                .flat_map(|r| {
                    let body = serde_json::to_string(&r.body).unwrap_or_default();
                    [
                        Val::from(origin),
                        r.shop_id.into(),
                        r.seller_id.into(),
                        body.into(),
                        now_ms.into(),
                    ]
                })
                .collect();
            MultiRow::new(insert, COLUMNS, vals).build(Backend::Postgres)
        })
        .collect()
}

/// Tells every daemon's listener that records were appended (committed before): a
/// transaction of its own, never the appending ones (a notifying transaction takes a
/// lock of the whole database at its commit). The daemon's announcer paces the calls.
pub async fn announce(store: &Store) -> CoreResult<()> {
    store.row(&format!("SELECT pg_notify('{CHANNEL}', current_schema())"), vec![]).await?;
    Ok(())
}

/// Queues the appending of `records` in `deferred` (to announce after the commit).
pub fn defer_append(deferred: &mut Deferred, origin: &str, records: &[RelayRecord], now_ms: i64) {
    for (sql, vals) in statements(origin, records, now_ms) {
        deferred.push(sql, vals);
    }
}

/// Appends `records` inside `w` (to announce after its commit).
pub async fn append_in(
    w: &mut WriteTx<'_>, origin: &str, records: &[RelayRecord], now_ms: i64,
) -> CoreResult<()> {
    for (sql, vals) in statements(origin, records, now_ms) {
        w.run(&sql, vals).await?;
    }
    Ok(())
}

/// Appends `records` in a transaction of their own (to announce after it).
pub async fn append(
    store: &Store, origin: &str, records: &[RelayRecord], now_ms: i64,
) -> CoreResult<()> {
    let mut w = store.begin_write().await?;
    append_in(&mut w, origin, records, now_ms).await?;
    w.commit().await
}

fn row_of(row: &sqlx::any::AnyRow) -> CoreResult<LiveRow> {
    let body: String = row.col("body")?;
    Ok(LiveRow {
        seq: row.col("seq")?,
        origin: row.col("origin")?,
        shop_id: row.col("shop_id")?,
        seller_id: row.col("seller_id")?,
        body: serde_json::from_str(&body).ok(),
    })
}

const SELECT: &str = "SELECT seq, origin, shop_id, seller_id, body FROM live_events";

/// Up to `limit` records after `seq`, in order.
pub async fn after(store: &Store, seq: i64, limit: i64) -> CoreResult<Vec<LiveRow>> {
    let sql = format!("{SELECT} WHERE seq > $1 ORDER BY seq LIMIT $2");
    store.rows(&sql, vec![seq.into(), limit.into()]).await?.iter().map(row_of).collect()
}

/// The records among `seqs` that exist now, in order.
pub async fn at(store: &Store, seqs: &[i64]) -> CoreResult<Vec<LiveRow>> {
    if seqs.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "{SELECT} WHERE seq IN ({}) ORDER BY seq",
        super::sql::list_placeholders(seqs.len(), 1)
    );
    let vals = seqs.iter().map(|s| Val::from(*s)).collect();
    store.rows(&sql, vals).await?.iter().map(row_of).collect()
}

/// The first and last sequence numbers kept (none: the log is empty).
pub async fn bounds(store: &Store) -> CoreResult<Option<(i64, i64)>> {
    let row = store.row("SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM live_events", vec![]).await?;
    let Some(row) = row else { return Ok(None) };
    Ok(row.col::<Option<i64>>("lo")?.zip(row.col::<Option<i64>>("hi")?))
}

/// Deletes the records older than `before_ms`, always keeping the newest one (so the
/// first kept tells a reconnecting client whether its cursor is still covered).
pub async fn prune(store: &Store, before_ms: i64) -> CoreResult<u64> {
    let mut w = store.begin_write().await?;
    let n = w
        .exec(
            "DELETE FROM live_events WHERE created_at < $1 \
             AND seq < (SELECT MAX(seq) FROM live_events)",
            vec![before_ms.into()],
        )
        .await?;
    w.commit().await?;
    Ok(n)
}
