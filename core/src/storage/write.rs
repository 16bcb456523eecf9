//! Writing: a write transaction ([`WriteTx`], holding the SQLite write gate), where a
//! repository reads ([`Db`]: the pool or a write transaction), and [`Deferred`]
//! statements run together just before a commit.

use super::exec::Tx;
use super::multi_row::MultiRow;
use super::sql::{Val, shift_placeholders};
use super::store::{Backend, Store};
use crate::error::CoreResult;
use sqlx::Any;
use sqlx::any::AnyRow;
use tokio::sync::MutexGuard;

impl Store {
    /// Starts a write transaction: takes the gate first on SQLite.
    pub async fn begin_write(&self) -> CoreResult<WriteTx<'_>> {
        let gate = self.write_gate().await;
        let tx = self.write_pool().begin().await?;
        Ok(WriteTx { tx, store: self, _gate: gate })
    }

    /// Starts a write transaction on `conn` (a PostgreSQL writer's own connection: no
    /// write gate).
    pub async fn begin_write_on<'a>(
        &'a self, conn: &'a mut sqlx::AnyConnection,
    ) -> CoreResult<WriteTx<'a>> {
        let tx = sqlx::Connection::begin(conn).await?;
        Ok(WriteTx { tx, store: self, _gate: None })
    }
}

/// Where a repository reads: through the pool, or inside a write transaction (to read
/// what it wrote, or under its locks).
pub enum Db<'a, 's> {
    /// The pool.
    Pool(&'a Store),
    /// A write transaction.
    Tx(&'a mut WriteTx<'s>),
}

impl Db<'_, '_> {
    /// Every row a query returns.
    pub async fn rows(&mut self, sql: &str, vals: Vec<Val>) -> CoreResult<Vec<AnyRow>> {
        match self {
            Db::Pool(store) => store.rows(sql, vals).await,
            Db::Tx(w) => w.rows(sql, vals).await,
        }
    }

    /// The first row a query returns, if any.
    pub async fn row(&mut self, sql: &str, vals: Vec<Val>) -> CoreResult<Option<AnyRow>> {
        match self {
            Db::Pool(store) => store.row(sql, vals).await,
            Db::Tx(w) => w.row(sql, vals).await,
        }
    }

    /// The store behind it.
    pub fn store(&self) -> &Store {
        match self {
            Db::Pool(store) => store,
            Db::Tx(w) => w.store(),
        }
    }
}

/// A write transaction holding the SQLite write gate until it ends; dropped without
/// [`WriteTx::commit`], it rolls back.
pub struct WriteTx<'a> {
    tx: sqlx::Transaction<'a, Any>,
    store: &'a Store,
    _gate: Option<MutexGuard<'a, ()>>,
}

impl<'a> WriteTx<'a> {
    /// The store it writes to.
    pub fn store(&self) -> &'a Store {
        self.store
    }

    /// Every row a query (with `$n` placeholders) returns.
    pub async fn rows(&mut self, sql: &str, vals: Vec<Val>) -> CoreResult<Vec<AnyRow>> {
        Ok(self.store.query(sql, vals).fetch_all(&mut *self.tx).await?)
    }

    /// The first row a query returns, if any.
    pub async fn row(&mut self, sql: &str, vals: Vec<Val>) -> CoreResult<Option<AnyRow>> {
        Ok(self.store.query(sql, vals).fetch_optional(&mut *self.tx).await?)
    }

    /// Runs a statement.
    pub async fn run(&mut self, sql: &str, vals: Vec<Val>) -> CoreResult<()> {
        self.exec(sql, vals).await.map(|_| ())
    }

    /// Runs a statement; returns how many rows it changed.
    pub async fn exec(&mut self, sql: &str, vals: Vec<Val>) -> CoreResult<u64> {
        Ok(self.store.query(sql, vals).execute(&mut *self.tx).await?.rows_affected())
    }

    /// The transaction as the ingest code's [`Tx`], for statements written once for it.
    pub fn as_tx(&mut self) -> Tx<'_> {
        Tx::Sqlx(&mut self.tx)
    }

    /// Commits.
    pub async fn commit(self) -> CoreResult<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Statements whose results nobody waits for, run together just before the commit.
/// On SQLite they go to the database in one call (one hop to sqlx's connection thread
/// instead of one per statement: under load each hop, not the SQL, was the cost). On
/// PostgreSQL, whose extended protocol takes one statement per call, the statements as
/// written run one by one, then the inserts over rows ([`Deferred::push_rows`]) as few
/// statements as can be: each a data-modifying `WITH` part of one statement, no two
/// parts of one statement into the same table (they would see each other's rows only
/// after it). A statement as written never depends on an insert over rows.
///
/// Statements on rows that every writer changes (the inbox counters, the service
/// rollups: [`Deferred::push_shared`]) run last, after all the others: a transaction
/// holds those rows' locks from then until its commit, and concurrent transactions
/// (another daemon's ingest groups, the router's and agents' saves) wait for them, so
/// that stretch is the last round trip and the commit, and every transaction locks them
/// in the same order (one statement for all of them, each table's rows in key order):
/// no deadlock. On PostgreSQL that statement holds nothing else, so that concurrent
/// ingest writers take turns only for it and the commit.
#[derive(Debug, Default)]
pub struct Deferred {
    statements: Vec<Pending>,
    shared: Vec<Pending>,
}

/// A deferred statement: as written, or over rows (built for the backend when run).
#[derive(Debug)]
enum Pending {
    Plain(String, Vec<Val>),
    Rows(MultiRow),
}

impl Pending {
    /// The table an insert over rows goes into.
    fn target(&self) -> Option<&str> {
        match self {
            Pending::Plain(..) => None,
            Pending::Rows(rows) => rows.target(),
        }
    }

    fn build(self, backend: Backend) -> (String, Vec<Val>) {
        match self {
            Pending::Plain(sql, vals) => (sql, vals),
            Pending::Rows(rows) => rows.build(backend),
        }
    }
}

impl Deferred {
    /// Adds a statement (with `$n` placeholders).
    pub fn push(&mut self, sql: String, vals: Vec<Val>) {
        self.statements.push(Pending::Plain(sql, vals));
    }

    /// Adds a statement over rows ([`MultiRow`]).
    pub fn push_rows(&mut self, rows: MultiRow) {
        self.statements.push(Pending::Rows(rows));
    }

    /// Adds a statement on rows every writer changes (see [`Deferred`]): an
    /// `INSERT … {rows} ON CONFLICT DO UPDATE` adding to counts, its rows in key order.
    /// Two shared statements must not change the same row (they may run as one
    /// statement).
    pub fn push_shared(&mut self, rows: MultiRow) {
        self.shared.push(Pending::Rows(rows));
    }

    /// Runs every statement, in order, in the write transaction.
    pub async fn run(self, w: &mut WriteTx<'_>) -> CoreResult<()> {
        let store = w.store();
        self.run_in(store, &mut w.as_tx()).await
    }

    /// Runs every statement, in order, in `tx`.
    pub async fn run_in(self, store: &Store, tx: &mut Tx<'_>) -> CoreResult<()> {
        let statements = match store.backend() {
            Backend::Sqlite => {
                let build = |p: Pending| p.build(Backend::Sqlite);
                self.statements.into_iter().chain(self.shared).map(build).collect()
            }
            Backend::Postgres => self.postgres_statements(),
        };
        tx.execute_all(store, statements).await
    }

    /// On PostgreSQL: the statements as written, then the inserts over rows in runs of
    /// distinct tables (one statement each), then the shared ones as one statement.
    fn postgres_statements(self) -> Vec<(String, Vec<Val>)> {
        let build = |p: Pending| p.build(Backend::Postgres);
        let (rows, plain): (Vec<Pending>, Vec<Pending>) =
            self.statements.into_iter().partition(|p| p.target().is_some());
        let mut out: Vec<_> = plain.into_iter().map(build).collect();
        for part in by_distinct_targets(rows.into_iter()) {
            out.extend(combined(part.into_iter().map(build).collect()));
        }
        // Alone and last: the rows every writer changes stay locked for the shortest
        // time (this statement and the commit).
        out.extend(combined(self.shared.into_iter().map(build).collect()));
        out
    }
}

/// Consecutive statements in runs that insert into no table twice.
fn by_distinct_targets(statements: impl Iterator<Item = Pending>) -> Vec<Vec<Pending>> {
    let mut runs: Vec<Vec<Pending>> = Vec::new();
    for p in statements {
        let fits = runs.last().is_some_and(|run| run.iter().all(|q| q.target() != p.target()));
        match runs.last_mut() {
            Some(run) if fits => run.push(p),
            _ => runs.push(vec![p]),
        }
    }
    runs
}

/// Statements as one: all but the last as data-modifying `WITH` parts of the last,
/// their placeholders numbered on.
fn combined(statements: Vec<(String, Vec<Val>)>) -> Option<(String, Vec<Val>)> {
    let last = statements.len().checked_sub(1)?;
    let mut sql = String::new();
    let mut vals = Vec::new();
    for (i, (one, one_vals)) in statements.into_iter().enumerate() {
        let one = shift_placeholders(&one, vals.len());
        if i < last {
            sql.push_str(if i == 0 { "WITH " } else { ", " });
            sql.push_str(&format!("w{i} AS ({one})"));
        } else {
            if i > 0 {
                sql.push(' ');
            }
            sql.push_str(&one);
        }
        vals.extend(one_vals);
    }
    Some((sql, vals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_statements_combine_into_one_with_their_values_numbered_on() {
        let one = |sql: &str, n: i64| (sql.to_owned(), vec![Val::Int(n), Val::Int(n + 1)]);
        assert_eq!(combined(vec![]), None);
        assert_eq!(
            combined(vec![one("INSERT INTO a VALUES ($1, $2)", 1)]),
            Some(one("INSERT INTO a VALUES ($1, $2)", 1))
        );
        let (sql, vals) = combined(vec![
            one("INSERT INTO a VALUES ($1, $2)", 1),
            one("INSERT INTO b VALUES ($1, $2)", 3),
            one("INSERT INTO c VALUES ($2, $1)", 5),
        ])
        .expect("one statement");
        assert_eq!(
            sql,
            "WITH w0 AS (INSERT INTO a VALUES ($1, $2)), w1 AS (INSERT INTO b VALUES ($3, $4)) \
             INSERT INTO c VALUES ($6, $5)"
        );
        assert_eq!(vals, (1..=6).map(Val::Int).collect::<Vec<_>>());
    }

    #[test]
    fn on_postgres_inserts_over_rows_run_per_run_of_distinct_tables_and_shared_ones_alone_last() {
        let rows = |table: &str| {
            MultiRow::new(format!("INSERT INTO {table} (a) {{rows}}"), 1, vec![Val::Int(1)])
        };
        let mut d = Deferred::default();
        d.push_rows(rows("a"));
        d.push("UPDATE x SET n = 1".into(), vec![]);
        d.push_rows(rows("b"));
        d.push_rows(rows("a"));
        d.push_shared(rows("counters"));
        d.push_shared(rows("rollups"));
        let tables = |sql: &str| {
            sql.split("INSERT INTO ")
                .skip(1)
                .map(|t| t[..t.find(' ').unwrap()].to_owned())
                .collect()
        };
        let statements: Vec<Vec<String>> =
            d.postgres_statements().iter().map(|(sql, _)| tables(sql)).collect();
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            statements,
            vec![names(&[]), names(&["a", "b"]), names(&["a"]), names(&["counters", "rollups"])]
        );
    }
}
