//! `shopmux migrate`: the embedded migrations applied to a database, and how many were
//! new — for running them once, before the daemons of a rolling upgrade start (every
//! daemon also applies them at start; on PostgreSQL sqlx holds an advisory lock while
//! it does, so daemons starting together apply each once).

use super::store::{Backend, Store, StoreOptions, backend_of};
use crate::error::{CoreError, CoreResult};
use sqlx::Connection;

/// What [`migrate`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MigrationReport {
    /// Migrations applied now.
    pub applied: i64,
    /// Migrations applied in all, now.
    pub total: i64,
}

/// Applies every embedded migration the database lacks.
pub async fn migrate(options: &StoreOptions) -> CoreResult<MigrationReport> {
    let before = applied(&options.url).await;
    let store = Store::open(options).await?;
    let total = count(&store).await;
    store.close().await;
    let total = total?;
    Ok(MigrationReport { applied: total - before, total })
}

/// How many migrations a database has applied (0 when it is new or unreadable: opening
/// it next says what is wrong).
async fn applied(url: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let Ok(backend) = backend_of(url) else {
        return 0;
    };
    if backend == Backend::Sqlite && !url.contains("mode=") {
        // Opening a missing file would create it; a missing file has nothing applied.
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"));
        let path = path.map(|p| p.split('?').next().unwrap_or(p));
        if path.is_none_or(|p| !std::path::Path::new(p).exists()) {
            return 0;
        }
    }
    let Ok(mut conn) = sqlx::AnyConnection::connect(url).await else {
        return 0;
    };
    let n: Result<i64, _> =
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM _sqlx_migrations WHERE success")
            .fetch_one(&mut conn)
            .await;
    let _ = conn.close().await;
    n.unwrap_or(0)
}

async fn count(store: &Store) -> CoreResult<i64> {
    let row = store
        .row("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM _sqlx_migrations WHERE success", vec![])
        .await?
        .ok_or(CoreError::Unavailable("no migrations table"))?;
    super::rows::Columns::int_col(&row, "n")
}
