//! One write transaction, whichever connection runs it: a sqlx transaction (PostgreSQL,
//! and SQLite writes outside the ingest writer) or the ingest writer's own SQLite
//! connection.
//!
//! Why the second kind exists: sqlx runs each SQLite connection on a worker thread of
//! its own and hands every statement and every row across threads. Under ingest load
//! those hand-offs, and the copies of each value they make, cost more than SQLite's own
//! work (profiles showed the serial write path spending more time in thread wake-ups,
//! allocation and row conversion than in the B-trees). The group-commit writer is a
//! single thread anyway, so on SQLite it owns a plain connection ([`rusqlite`]) and runs
//! its statements in place, with prepared statements cached by shape.
//!
//! Statements are written once, with `$n` placeholders, and read through [`DbRow`], so
//! the ingest code is the same for both kinds.

use super::rows::{Columns, corrupt};
use super::sql::{Val, positional, query_with};
use super::store::{Backend, Store};
use crate::error::{CoreError, CoreResult};
use sqlx::{Column, Row, TypeInfo, ValueRef};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// A transaction to run statements in.
pub enum Tx<'t> {
    /// The connection of a sqlx transaction (either backend).
    Sqlx(&'t mut sqlx::AnyConnection),
    /// A transaction open on the ingest writer's SQLite connection (locked per
    /// statement, never across an await, so that futures holding a `Tx` stay `Send`).
    Sqlite(&'t Mutex<rusqlite::Connection>),
}

/// A value read from a row.
#[derive(Clone, Debug, PartialEq)]
enum DbVal {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
}

/// A row read through a [`Tx`]: its values by column name, read with [`Columns`].
#[derive(Clone, Debug)]
pub struct DbRow {
    names: Arc<HashMap<String, usize>>,
    vals: Vec<DbVal>,
}

impl DbRow {
    fn val(&self, col: &str) -> CoreResult<&DbVal> {
        self.names
            .get(col)
            .map(|&i| &self.vals[i])
            .ok_or_else(|| CoreError::Database(sqlx::Error::ColumnNotFound(col.to_owned())))
    }

    fn from_any(
        row: &sqlx::any::AnyRow, names: &mut Option<Arc<HashMap<String, usize>>>,
    ) -> CoreResult<Self> {
        let names = names
            .get_or_insert_with(|| {
                Arc::new(row.columns().iter().map(|c| (c.name().to_owned(), c.ordinal())).collect())
            })
            .clone();
        let mut vals = Vec::with_capacity(row.len());
        for i in 0..row.len() {
            let raw = row.try_get_raw(i)?;
            let val = if raw.is_null() {
                DbVal::Null
            } else if raw.type_info().name() == "TEXT" {
                DbVal::Text(row.try_get::<String, _>(i)?)
            } else {
                DbVal::Int(row.try_get::<i64, _>(i)?)
            };
            vals.push(val);
        }
        Ok(Self { names, vals })
    }
}

impl Columns for DbRow {
    fn opt_text_col(&self, col: &str) -> CoreResult<Option<String>> {
        match self.val(col)? {
            DbVal::Null => Ok(None),
            DbVal::Text(s) => Ok(Some(s.clone())),
            DbVal::Int(_) => Err(corrupt("text", format!("{col} holds an integer"))),
        }
    }

    fn opt_int_col(&self, col: &str) -> CoreResult<Option<i64>> {
        match self.val(col)? {
            DbVal::Null => Ok(None),
            DbVal::Int(n) => Ok(Some(*n)),
            DbVal::Text(_) => Err(corrupt("integer", format!("{col} holds text"))),
        }
    }
}

fn lock(conn: &Mutex<rusqlite::Connection>) -> MutexGuard<'_, rusqlite::Connection> {
    conn.lock().unwrap_or_else(|e| e.into_inner())
}

fn lite_error(e: rusqlite::Error) -> CoreError {
    CoreError::Sqlite(e)
}

/// `$n` placeholders as SQLite's numbered `?n`: the values bind in their own order,
/// with no reordering or copies (what [`positional`] does for sqlx).
fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

/// Binds `vals` to `?1..?n` (values past the statement's last placeholder are unused).
fn bind_all(stmt: &mut rusqlite::CachedStatement<'_>, vals: &[Val]) -> CoreResult<()> {
    let n = stmt.parameter_count();
    for (i, v) in vals.iter().enumerate().take(n) {
        let at = i + 1;
        let r = match v {
            Val::Text(s) => stmt.raw_bind_parameter(at, s.as_str()),
            Val::OptText(s) => stmt.raw_bind_parameter(at, s.as_deref()),
            Val::Int(n) => stmt.raw_bind_parameter(at, n),
            Val::OptInt(n) => stmt.raw_bind_parameter(at, n),
        };
        r.map_err(lite_error)?;
    }
    Ok(())
}

/// Runs `use_it` on the statement `sql` (prepared once per shape) with `vals` bound.
fn with_statement<T>(
    conn: &Mutex<rusqlite::Connection>, sql: &str, vals: &[Val],
    use_it: impl FnOnce(&mut rusqlite::CachedStatement<'_>) -> CoreResult<T>,
) -> CoreResult<T> {
    let conn = lock(conn);
    let mut stmt = conn.prepare_cached(&numbered(sql)).map_err(lite_error)?;
    bind_all(&mut stmt, vals)?;
    use_it(&mut stmt)
}

/// Every row of a bound statement.
fn read_rows(stmt: &mut rusqlite::CachedStatement<'_>) -> CoreResult<Vec<DbRow>> {
    let n = stmt.column_count();
    let names: Vec<String> = (0..n)
        .map(|i| Ok(stmt.column_name(i).map_err(lite_error)?.to_owned()))
        .collect::<CoreResult<_>>()?;
    let index = Arc::new(names.iter().cloned().zip(0..n).collect::<HashMap<_, _>>());
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(lite_error)? {
        let mut vals = Vec::with_capacity(n);
        for (i, name) in names.iter().enumerate() {
            use rusqlite::types::ValueRef as V;
            vals.push(match row.get_ref(i).map_err(lite_error)? {
                V::Null => DbVal::Null,
                V::Integer(n) => DbVal::Int(n),
                V::Text(t) => DbVal::Text(String::from_utf8_lossy(t).into_owned()),
                V::Real(_) | V::Blob(_) => {
                    return Err(corrupt("value", format!("{name} is a real or a blob")));
                }
            });
        }
        out.push(DbRow { names: index.clone(), vals });
    }
    Ok(out)
}

impl Tx<'_> {
    /// Runs a query (with `$n` placeholders) and reads every row.
    pub async fn fetch_all(
        &mut self, store: &Store, sql: &str, vals: Vec<Val>,
    ) -> CoreResult<Vec<DbRow>> {
        match self {
            Tx::Sqlx(tx) => {
                let rows = store.query(sql, vals).fetch_all(&mut **tx).await?;
                let mut names = None;
                rows.iter().map(|r| DbRow::from_any(r, &mut names)).collect()
            }
            Tx::Sqlite(conn) => with_statement(conn, sql, &vals, read_rows),
        }
    }

    /// Runs a statement (with `$n` placeholders); returns the rows it changed.
    pub async fn execute(&mut self, store: &Store, sql: &str, vals: Vec<Val>) -> CoreResult<u64> {
        match self {
            Tx::Sqlx(tx) => Ok(store.query(sql, vals).execute(&mut **tx).await?.rows_affected()),
            Tx::Sqlite(conn) => with_statement(conn, sql, &vals, |stmt| {
                Ok(stmt.raw_execute().map_err(lite_error)? as u64)
            }),
        }
    }

    /// Runs statements in order (see [`super::Deferred`]).
    pub(crate) async fn execute_all(
        &mut self, store: &Store, statements: Vec<(String, Vec<Val>)>,
    ) -> CoreResult<()> {
        match self {
            Tx::Sqlx(tx) => match store.backend() {
                Backend::Postgres => {
                    for (sql, vals) in statements {
                        query_with(&sql, vals).execute(&mut **tx).await?;
                    }
                }
                Backend::Sqlite => {
                    // One call for all of them: one hop to sqlx's connection thread.
                    let mut sql = String::new();
                    let mut all = Vec::new();
                    for (one, vals) in statements {
                        let (one, vals) = positional(&one, vals);
                        sql.push_str(&one);
                        sql.push_str(";\n");
                        all.extend(vals);
                    }
                    if !sql.is_empty() {
                        query_with(&sql, all).execute(&mut **tx).await?;
                    }
                }
            },
            Tx::Sqlite(_) => {
                for (sql, vals) in statements {
                    self.execute(store, &sql, vals).await?;
                }
            }
        }
        Ok(())
    }
}

/// The ingest writer's own connection to the SQLite file, with the pool's settings.
pub struct SqliteWriter {
    conn: Mutex<rusqlite::Connection>,
}

impl SqliteWriter {
    /// Opens a connection to the store's SQLite file; `None` on PostgreSQL or for an
    /// in-memory database (which a second connection would not see).
    pub fn open(store: &Store) -> CoreResult<Option<Self>> {
        let Some(path) = store.sqlite_file() else {
            return Ok(None);
        };
        // The pool's file exactly, and never a new one.
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(lite_error)?;
        // The page cache is small on purpose: the writer touches the right edges of the
        // indexes and the group's own rows, and SQLite scans the whole cache's hash at
        // every commit (`pcache1TruncateUnsafe`), so the pool's 64 MiB cost more than it
        // saved (ingest_bench: ~10,300 msg/s at 8 MiB, 11,000–12,500 at 4 MiB).
        // Checkpoints stay SQLite's own, in the commit that crosses 1,000 WAL pages: a
        // checkpoint thread beside the writer was measured slower on two cores (it
        // competes for them) and let the WAL grow to 15–20 MB.
        conn.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; \
             PRAGMA foreign_keys = ON; PRAGMA cache_size = -4096; PRAGMA temp_store = MEMORY;",
        )
        .map_err(lite_error)?;
        // Multi-row statements come in one shape per group size and table.
        conn.set_prepared_statement_cache_capacity(256);
        Ok(Some(Self { conn: Mutex::new(conn) }))
    }

    /// Runs `work` in one write transaction under the store's write gate: committed
    /// when it succeeds, rolled back when it fails.
    pub async fn write<T, F>(&self, store: &Store, work: F) -> CoreResult<T>
    where
        F: AsyncFnOnce(&mut Tx<'_>) -> CoreResult<T>,
    {
        let _gate = store.write_gate().await;
        lock(&self.conn).execute_batch("BEGIN IMMEDIATE").map_err(lite_error)?;
        let mut tx = Tx::Sqlite(&self.conn);
        let result = work(&mut tx).await;
        let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
        let conn = lock(&self.conn);
        match conn.execute_batch(end).map_err(lite_error) {
            Ok(()) => result,
            Err(e) => {
                let _ = conn.execute_batch("ROLLBACK");
                result.and(Err(e))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::store::StoreOptions;
    use crate::storage::write::Deferred;

    async fn file_store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/exec.db", dir.path().display());
        let store = Store::open(&StoreOptions::new(url)).await.expect("store");
        let mut w = store.begin_write().await.expect("begin");
        w.as_tx()
            .execute(&store, "CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, note TEXT)", vec![])
            .await
            .expect("create");
        w.commit().await.expect("commit");
        (store, dir)
    }

    fn writer(store: &Store) -> SqliteWriter {
        SqliteWriter::open(store).expect("open").expect("a file store")
    }

    async fn insert(tx: &mut Tx<'_>, store: &Store, id: &str, n: i64) -> CoreResult<u64> {
        tx.execute(store, "INSERT INTO t (id, n) VALUES ($1, $2)", vec![id.into(), n.into()]).await
    }

    const READ: &str = "SELECT id, n, note FROM t WHERE n >= $2 OR id = $1 ORDER BY id";

    fn read_back(rows: &[DbRow]) -> Vec<(String, Option<i64>, Option<String>)> {
        rows.iter()
            .map(|r| {
                (
                    r.text_col("id").unwrap(),
                    r.opt_int_col("n").unwrap(),
                    r.opt_text_col("note").unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn placeholders_become_numbered_parameters() {
        assert_eq!(numbered("a = $2 AND b = $10 OR c = '$'"), "a = ?2 AND b = ?10 OR c = '$'");
    }

    #[tokio::test]
    async fn both_kinds_of_transaction_run_the_same_statements_and_read_the_same_rows() {
        let (store, dir) = file_store().await;
        assert_eq!(
            store.sqlite_file().map(|f| f.canonicalize().expect("the file")),
            Some(dir.path().join("exec.db").canonicalize().expect("the file")),
            "the writer opens the file the pool opened"
        );
        let writer = writer(&store);
        writer
            .write(&store, async |tx: &mut Tx<'_>| {
                let mut d = Deferred::default();
                d.push(
                    "INSERT INTO t (id, n, note) VALUES ($1, $2, $3), ($4, $5, $6)".into(),
                    vec![
                        "a".into(),
                        1.into(),
                        Val::OptText(None),
                        "b".into(),
                        Val::OptInt(None),
                        "x".into(),
                    ],
                );
                d.push("UPDATE t SET n = n + $1 WHERE id = $2".into(), vec![10.into(), "a".into()]);
                d.run_in(&store, tx).await
            })
            .await
            .expect("write");
        let expected =
            vec![("a".to_owned(), Some(11), None), ("b".to_owned(), None, Some("x".to_owned()))];
        let from_writer = writer
            .write(&store, async |tx: &mut Tx<'_>| {
                tx.fetch_all(&store, READ, vec!["b".into(), 5.into()]).await
            })
            .await
            .expect("read in the writer");
        assert_eq!(read_back(&from_writer), expected);
        let mut w = store.begin_write().await.expect("begin");
        let from_pool = w
            .as_tx()
            .fetch_all(&store, READ, vec!["b".into(), 5.into()])
            .await
            .expect("read in the pool");
        assert_eq!(read_back(&from_pool), expected);
        assert!(from_pool[0].text_col("n").is_err(), "an integer is not text");
        assert!(from_pool[0].int_col("missing").is_err(), "no such column");
    }

    #[tokio::test]
    async fn a_failing_write_leaves_nothing_behind_and_the_writer_goes_on() {
        let (store, _dir) = file_store().await;
        let writer = writer(&store);
        let failed = writer
            .write(&store, async |tx: &mut Tx<'_>| {
                insert(tx, &store, "a", 1).await?;
                // The same key again: the statement fails, so must the transaction.
                insert(tx, &store, "a", 2).await
            })
            .await;
        assert!(matches!(failed, Err(CoreError::Sqlite(_))), "{failed:?}");
        let n = writer
            .write(&store, async |tx: &mut Tx<'_>| {
                insert(tx, &store, "b", 1).await?;
                tx.fetch_all(&store, "SELECT id FROM t", vec![]).await
            })
            .await
            .expect("the next write");
        assert_eq!(n.len(), 1, "the failed write's row was rolled back");
    }

    #[tokio::test]
    async fn the_wal_starts_over_while_the_writer_keeps_writing() {
        let (store, dir) = file_store().await;
        let writer = writer(&store);
        let page = "x".repeat(4000);
        // 12,000 transactions of a ~4 KB row each, ~100 MB of WAL frames: checkpoints
        // keep restarting the WAL (it would hold them all otherwise).
        for i in 0..12_000 {
            writer
                .write(&store, async |tx: &mut Tx<'_>| {
                    tx.execute(
                        &store,
                        "INSERT INTO t (id, n, note) VALUES ($1, $2, $3)",
                        vec![format!("{i:06}").into(), i.into(), page.clone().into()],
                    )
                    .await
                })
                .await
                .expect("write");
        }
        let wal = std::fs::metadata(dir.path().join("exec.db-wal")).expect("the WAL file").len();
        assert!(wal < 16 << 20, "the WAL grew to {wal} bytes");
        let rows = writer
            .write(&store, async |tx: &mut Tx<'_>| {
                tx.fetch_all(&store, "SELECT COUNT(*) AS n FROM t", vec![]).await
            })
            .await
            .expect("count");
        assert_eq!(rows[0].int_col("n").expect("n"), 12_000);
    }

    #[tokio::test]
    async fn there_is_no_own_connection_for_an_in_memory_database() {
        let store = Store::open(&StoreOptions::new("sqlite::memory:")).await.expect("store");
        assert!(SqliteWriter::open(&store).expect("open").is_none());
    }
}
