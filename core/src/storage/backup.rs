//! `shopmux backup`: a consistent copy of a SQLite database while daemons write to it.
//! SQLite's `VACUUM INTO` copies the database as one read transaction sees it (WAL: the
//! writers go on meanwhile) into a new, compacted file; the copy is written beside the
//! target as `<target>.partial`, checked (`PRAGMA integrity_check`), and only then
//! renamed to the target, so a target that exists is always a whole backup. The source
//! is opened read-only and never migrated. PostgreSQL is backed up with its own tool
//! (`pg_dump`): [`sqlite_backup`] refuses its URLs, saying so.

use super::store::{Backend, backend_of};
use crate::error::{CoreError, CoreResult};
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// What a backup wrote.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupReport {
    /// The backup file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub bytes: u64,
    /// The migrations the copy has applied.
    pub migrations: i64,
}

/// What to tell the operator of a PostgreSQL database.
pub const POSTGRES_BACKUP: &str = "a PostgreSQL database is backed up with pg_dump, e.g. \
     `pg_dump --format=custom --file=shopmux.dump \"$SHOPMUX_DATABASE__URL\"` (consistent while \
     daemons write; restore with pg_restore), see deploy/README.md";

/// Copies the SQLite database at `url` to `to` (which must not exist), consistent while
/// other connections write.
pub async fn sqlite_backup(url: &str, to: &Path) -> CoreResult<BackupReport> {
    match backend_of(url).map_err(|m| CoreError::invalid("database.url", m))? {
        Backend::Postgres => return Err(CoreError::invalid("database.url", POSTGRES_BACKUP)),
        Backend::Sqlite => {}
    }
    if url.contains(":memory:") {
        return Err(CoreError::invalid(
            "database.url",
            "an in-memory database cannot be backed up",
        ));
    }
    if to.exists() {
        return Err(CoreError::invalid(
            "--to",
            format!("{} exists; a backup never overwrites a file", to.display()),
        ));
    }
    let partial = partial_path(to);
    // A partial file is what an interrupted backup left: never a backup.
    let _ = std::fs::remove_file(&partial);
    let target = partial.to_str().ok_or_else(|| {
        CoreError::invalid("--to", format!("{} is not a UTF-8 path", to.display()))
    })?;
    let source = SqliteConnectOptions::from_str(url)?
        .read_only(true)
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30));
    let mut conn = source.connect().await.map_err(|e| {
        CoreError::invalid("database.url", format!("cannot open the database at {url}: {e}"))
    })?;
    sqlx::query("VACUUM INTO ?").bind(target).execute(&mut conn).await?;
    drop(conn);
    let migrations = check(&partial).await;
    let migrations = match migrations {
        Ok(n) => n,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, to).map_err(|e| {
        CoreError::invalid("--to", format!("cannot move the backup to {}: {e}", to.display()))
    })?;
    let bytes = std::fs::metadata(to).map(|m| m.len()).unwrap_or(0);
    Ok(BackupReport { path: to.to_path_buf(), bytes, migrations })
}

/// `<to>.partial`.
fn partial_path(to: &Path) -> PathBuf {
    let mut name = to.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    to.with_file_name(name)
}

/// Checks a copy's integrity; returns how many migrations it has applied.
async fn check(path: &Path) -> CoreResult<i64> {
    let mut conn = SqliteConnectOptions::new()
        .filename(path)
        .read_only(true)
        .create_if_missing(false)
        .connect()
        .await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check").fetch_one(&mut conn).await?;
    if verdict != "ok" {
        return Err(CoreError::invalid("--to", format!("the copy fails its check: {verdict}")));
    }
    let migrations: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await?;
    Ok(migrations)
}
