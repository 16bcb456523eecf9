//! A PostgreSQL ingest writer's own connection, outside the pool: opened on the
//! writer's thread (whose runtime then drives it), used for one transaction at a time,
//! and opened again after a failure that may have broken it. Outside the pool, a
//! transaction costs no round trips but its own: the pool checks a connection with a
//! round trip when it hands it out and another when it takes it back.

use super::store::Store;
use super::write::WriteTx;
use crate::error::{CoreError, CoreResult};
use sqlx::AnyConnection;
use tokio::sync::Mutex;

/// The writer's connection (none until opened, or after a failure).
pub struct PostgresWriter {
    url: String,
    conn: Mutex<Option<AnyConnection>>,
}

impl PostgresWriter {
    /// Opens a connection to the store's PostgreSQL database; `None` on SQLite.
    pub async fn open(store: &Store) -> CoreResult<Option<Self>> {
        let Some(url) = store.postgres_url() else { return Ok(None) };
        let conn = Self::connect(url).await?;
        Ok(Some(Self { url: url.to_owned(), conn: Mutex::new(Some(conn)) }))
    }

    async fn connect(url: &str) -> CoreResult<AnyConnection> {
        Ok(<AnyConnection as sqlx::Connection>::connect(url).await?)
    }

    /// Closes the connection (telling PostgreSQL, which would otherwise log an
    /// unexpected end of the connection).
    pub async fn close(self) {
        if let Some(conn) = self.conn.into_inner() {
            let _ = sqlx::Connection::close(conn).await;
        }
    }

    /// Runs `work` in one write transaction: committed when it succeeds, rolled back
    /// when it fails (and the connection opened again for the next one when the
    /// failure may have broken it).
    pub async fn write<T, F>(&self, store: &Store, work: F) -> CoreResult<T>
    where
        F: AsyncFnOnce(&mut WriteTx<'_>) -> CoreResult<T>,
    {
        let mut held = self.conn.lock().await;
        let conn = match held.as_mut() {
            Some(conn) => conn,
            None => held.insert(Self::connect(&self.url).await?),
        };
        let result = async {
            let mut w = store.begin_write_on(conn).await?;
            let out = work(&mut w).await?;
            w.commit().await?;
            Ok(out)
        }
        .await;
        if let Err(CoreError::Database(e)) = &result
            && may_have_broken(e)
        {
            *held = None;
        }
        result
    }
}

/// Whether an error may have left the connection unusable: anything but an error the
/// server reported for a statement, or one of its connection (08) or operator
/// intervention (57, such as a terminated backend) errors.
fn may_have_broken(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| code.starts_with("08") || code.starts_with("57"))
        }
        sqlx::Error::RowNotFound | sqlx::Error::ColumnNotFound(_) => false,
        _ => true,
    }
}
