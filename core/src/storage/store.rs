//! The database: sqlx `Any` pools over SQLite (WAL, the embedded default) or
//! PostgreSQL, migrations embedded per dialect and applied at start, the write gate,
//! sealed secrets, and the one-line reads the repositories use.
//!
//! **Invariant:** on SQLite every write transaction holds the process-wide write gate,
//! so writers never meet `SQLITE_BUSY`; on PostgreSQL rows are locked with
//! `FOR UPDATE` instead and several processes may share one database.

use super::sealing;
use super::sql::{Val, positional, query_with};
use crate::error::{CoreError, CoreResult};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{Any, AnyPool, Executor};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, MutexGuard};

/// Which database is behind the pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite, one file, WAL.
    Sqlite,
    /// PostgreSQL.
    Postgres,
}

/// The database: a pool, its dialect, and the SQLite write gate.
#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    write_pool: AnyPool,
    backend: Backend,
    write_gate: Arc<Mutex<()>>,
    sealer: Option<Arc<sealing::Sealer>>,
    /// The SQLite database file (none on PostgreSQL or in memory).
    sqlite_file: Option<std::path::PathBuf>,
    /// Which webhook endpoints want which shops' events.
    webhook_subs: Arc<super::webhook_subs::WebhookSubs>,
    /// The PostgreSQL URL (for the live-event listener's own connection).
    postgres_url: Option<String>,
}

/// Options for opening a store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// `sqlite://path/to/file.db` or `postgres://user@host/db`.
    pub url: String,
    /// Most pooled connections.
    pub max_connections: u32,
}

impl StoreOptions {
    /// Options for `url` with the default pool size.
    pub fn new(url: impl Into<String>) -> Self {
        Self { url: url.into(), max_connections: 8 }
    }
}

/// Pool options with the per-connection settings of the backend. A SQLite connection
/// cannot go stale (the file is local), so it is not pinged before each use.
fn pool_options(backend: Backend, max: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(backend == Backend::Postgres)
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    conn.execute("PRAGMA journal_mode = WAL").await?;
                    conn.execute("PRAGMA synchronous = NORMAL").await?;
                    conn.execute("PRAGMA busy_timeout = 5000").await?;
                    conn.execute("PRAGMA foreign_keys = ON").await?;
                    // 64 MiB of page cache: the inbox's indexes are touched all over.
                    conn.execute("PRAGMA cache_size = -65536").await?;
                    conn.execute("PRAGMA temp_store = MEMORY").await?;
                }
                Ok(())
            })
        })
}

/// Which backend a database URL names, or an error naming what is wrong with it.
pub fn backend_of(url: &str) -> Result<Backend, String> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(format!("`{url}` is neither a sqlite:// nor a postgres:// URL"))
    }
}

/// The file path of a SQLite URL (`sqlite://dir/x.db`, `sqlite:x.db`), without options.
fn sqlite_path(url: &str) -> &str {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

impl Store {
    /// Opens the database (creating a SQLite file and its directory when missing) and
    /// applies the migrations.
    pub async fn open(options: &StoreOptions) -> CoreResult<Self> {
        sqlx::any::install_default_drivers();
        let backend =
            backend_of(&options.url).map_err(|m| CoreError::invalid("database.url", m))?;
        let (url, max) = match backend {
            Backend::Sqlite => {
                let path = sqlite_path(&options.url);
                if path != ":memory:"
                    && let Some(dir) = std::path::Path::new(path).parent()
                    && !dir.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        CoreError::invalid(
                            "database.url",
                            format!("cannot create {}: {e}", dir.display()),
                        )
                    })?;
                }
                let sep = if options.url.contains('?') { '&' } else { '?' };
                let url = if options.url.contains("mode=") {
                    options.url.clone()
                } else {
                    format!("{}{sep}mode=rwc", options.url)
                };
                (url, options.max_connections.max(2))
            }
            Backend::Postgres => (options.url.clone(), options.max_connections.max(2)),
        };
        let connect_options = AnyConnectOptions::from_str(&url)?;
        let pool = pool_options(backend, max).connect_with(connect_options.clone()).await?;
        // On SQLite every write goes through one long-lived connection: its page cache
        // stays valid between transactions (a pooled connection would find its cache
        // stale after another connection's write and reread the pages).
        let write_pool = match backend {
            Backend::Sqlite => {
                pool_options(backend, 1).min_connections(1).connect_with(connect_options).await?
            }
            Backend::Postgres => pool.clone(),
        };
        // The file the pool really opened, as SQLite names it (empty for a database in
        // memory): what the ingest writer's own connection must open too.
        let sqlite_file = match backend {
            Backend::Sqlite => {
                let file: String =
                    sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                        .fetch_one(&write_pool)
                        .await?;
                Some(std::path::PathBuf::from(file)).filter(|f| !f.as_os_str().is_empty())
            }
            Backend::Postgres => None,
        };
        let store = Self {
            pool,
            write_pool,
            backend,
            write_gate: Arc::new(Mutex::new(())),
            sealer: None,
            sqlite_file,
            webhook_subs: Arc::default(),
            postgres_url: (backend == Backend::Postgres).then(|| options.url.clone()),
        };
        store.migrate().await?;
        // An in-memory SQLite database is one per connection: only the migrating one
        // has the tables (and no endpoints yet).
        if backend == Backend::Postgres || store.sqlite_file.is_some() {
            store.reload_webhook_subs().await?;
        }
        Ok(store)
    }

    async fn migrate(&self) -> CoreResult<()> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers and every embedded migration is applied.
    pub async fn ready(&self) -> CoreResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM _sqlx_migrations WHERE success",
        )
        .fetch_one(&self.pool)
        .await?;
        let expected = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").migrations.len(),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").migrations.len(),
        };
        Ok(n == expected as i64)
    }

    /// Which webhook endpoints want which shops' events (see `webhook_subs`).
    pub fn webhook_subs(&self) -> &super::webhook_subs::WebhookSubs {
        &self.webhook_subs
    }

    /// Reads the webhook subscriptions again (after a change of endpoints or shops).
    pub async fn reload_webhook_subs(&self) -> CoreResult<()> {
        let _one = self.webhook_subs.reloading().await;
        let rows = self.rows(super::webhook_subs::QUERY, vec![]).await?;
        self.webhook_subs.replace_rows(&rows)
    }

    /// The pool.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The dialect.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite database file, when the store is one (not in memory).
    pub fn sqlite_file(&self) -> Option<&std::path::Path> {
        self.sqlite_file.as_deref()
    }

    /// Takes the write gate on SQLite (none is needed on PostgreSQL).
    pub async fn write_gate(&self) -> Option<MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_gate.lock().await),
            Backend::Postgres => None,
        }
    }

    /// The pool every write goes through (on SQLite one long-lived connection).
    pub(crate) fn write_pool(&self) -> &AnyPool {
        &self.write_pool
    }

    /// Every row a query (with `$n` placeholders) returns, read through the pool.
    pub async fn rows(&self, sql: &str, vals: Vec<Val>) -> CoreResult<Vec<AnyRow>> {
        Ok(self.query(sql, vals).fetch_all(&self.pool).await?)
    }

    /// The first row a query returns, if any, read through the pool.
    pub async fn row(&self, sql: &str, vals: Vec<Val>) -> CoreResult<Option<AnyRow>> {
        Ok(self.query(sql, vals).fetch_optional(&self.pool).await?)
    }

    /// ` FOR UPDATE` on PostgreSQL, nothing on SQLite (where the gate serializes writers).
    pub fn for_update(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// The same store, sealing secrets at rest (shop credentials) with `key`.
    pub fn with_sealing_key(mut self, key: &[u8; 32]) -> Self {
        self.sealer = Some(Arc::new(sealing::Sealer::new(key)));
        self
    }

    /// The store's sealer, when it has a key.
    pub fn sealer(&self) -> Option<&sealing::Sealer> {
        self.sealer.as_deref()
    }

    /// The MAC of a value the daemon hands out and gets back (an authorization's state):
    /// under a key derived from the sealing key, so every daemon of a database agrees; a
    /// store without a key uses one random per process.
    pub fn mac(&self, data: &[u8]) -> Vec<u8> {
        static PROCESS_KEY: std::sync::OnceLock<sealing::Sealer> = std::sync::OnceLock::new();
        match &self.sealer {
            Some(sealer) => sealer.mac(data),
            None => PROCESS_KEY.get_or_init(|| sealing::Sealer::new(&rand::random())).mac(data),
        }
    }

    /// A secret as stored for `context`: sealed when the store has a key.
    pub fn seal(&self, context: &str, plain: &str) -> CoreResult<String> {
        match &self.sealer {
            Some(sealer) => sealer.seal(context, plain),
            None => Ok(plain.to_owned()),
        }
    }

    /// A stored secret of `context`, opened (plain values from before sealing as is).
    pub fn unseal(&self, context: &str, stored: &str) -> CoreResult<String> {
        match (&self.sealer, sealing::is_sealed(stored)) {
            (_, false) => Ok(stored.to_owned()),
            (Some(sealer), true) => sealer.open(context, stored),
            (None, true) => Err(CoreError::invalid(
                "credentials",
                "the stored credentials are sealed and no key is configured (secrets.key)",
            )),
        }
    }

    /// The PostgreSQL URL (none on SQLite): what a connection of its own opens, such as
    /// the live-event listener's.
    pub fn postgres_url(&self) -> Option<&str> {
        self.postgres_url.as_deref()
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.write_pool.close().await;
        self.pool.close().await;
    }
}

impl Store {
    /// A statement with its values, in this backend's placeholder style: `$n` as
    /// written for PostgreSQL; anonymous `?` for SQLite, with the values reordered (and
    /// repeated) to match. sqlx looks up each SQLite parameter's name, a linear scan
    /// per parameter, so a 1,000-value statement with `$n` names costs ~1 ms in binding
    /// alone; anonymous parameters cost nothing.
    pub fn query(
        &self, sql: &str, vals: Vec<Val>,
    ) -> sqlx::query::Query<'static, Any, sqlx::any::AnyArguments> {
        match self.backend {
            Backend::Postgres => query_with(sql, vals),
            Backend::Sqlite => {
                let (sql, vals) = positional(sql, vals);
                query_with(&sql, vals)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_pick_the_backend() {
        assert_eq!(backend_of("sqlite://a/b.db"), Ok(Backend::Sqlite));
        assert_eq!(backend_of("postgres://u@h/db"), Ok(Backend::Postgres));
        assert!(backend_of("mysql://x").is_err());
        assert_eq!(
            sqlite_path("sqlite://shopmux-data/shopmux.db?mode=rwc"),
            "shopmux-data/shopmux.db"
        );
    }
}
