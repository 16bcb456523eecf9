//! Writing: a write transaction ([`WriteTx`], holding the SQLite write gate), where a
//! repository reads ([`Db`]: the pool or a write transaction), and [`Deferred`]
//! statements run together just before a commit.

use super::exec::Tx;
use super::sql::Val;
use super::store::Store;
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
    tx: sqlx::Transaction<'static, Any>,
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
/// instead of one per statement: under load each hop, not the SQL, was the cost); on
/// PostgreSQL, whose extended protocol takes one statement per call, one by one.
#[derive(Debug, Default)]
pub struct Deferred {
    statements: Vec<(String, Vec<Val>)>,
}

impl Deferred {
    /// Adds a statement (with `$n` placeholders).
    pub fn push(&mut self, sql: String, vals: Vec<Val>) {
        self.statements.push((sql, vals));
    }

    /// Runs every statement, in order, in the write transaction.
    pub async fn run(self, w: &mut WriteTx<'_>) -> CoreResult<()> {
        let store = w.store();
        self.run_in(store, &mut w.as_tx()).await
    }

    /// Runs every statement, in order, in `tx`.
    pub async fn run_in(self, store: &Store, tx: &mut Tx<'_>) -> CoreResult<()> {
        tx.execute_all(store, self.statements).await
    }
}
