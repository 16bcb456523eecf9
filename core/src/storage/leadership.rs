//! Leadership of daemon-wide tasks (timer passes, pollers). On PostgreSQL several
//! daemons may share a database: the one holding a session advisory lock (one per task
//! and schema) runs the task, and when its connection goes, the lock goes with it and
//! another daemon takes over. SQLite has one daemon.

use super::store::{Backend, Store};

/// Leadership of the timer passes. On PostgreSQL several daemons may share a database:
/// the one holding a session advisory lock runs the passes, and when its connection
/// goes, the lock goes with it and another daemon takes over. SQLite has one daemon.
pub struct TimerLeadership {
    held: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
    task: &'static str,
}

impl Default for TimerLeadership {
    fn default() -> Self {
        Self::for_task("timers")
    }
}

impl TimerLeadership {
    /// Leadership of another daemon-wide task (`pollers`), with a lock of its own.
    pub fn for_task(task: &'static str) -> Self {
        Self { held: None, task }
    }

    /// Whether this daemon leads now (taking the lead when it is free).
    pub async fn lead(&mut self, store: &Store) -> bool {
        if store.backend() == Backend::Sqlite {
            return true;
        }
        if let Some(conn) = self.held.as_mut() {
            // Still connected, so still holding the lock.
            if sqlx::query("SELECT 1").execute(&mut **conn).await.is_ok() {
                return true;
            }
            self.held = None;
        }
        let Ok(mut conn) = store.pool().acquire().await else {
            return false;
        };
        // One lock per schema, so deployments sharing a database do not block each other.
        let got: Result<bool, _> = sqlx::query_scalar(
            "SELECT pg_try_advisory_lock(CAST(hashtext(current_schema() || ':shopmux-' || $1) AS BIGINT))",
        )
        .bind(self.task)
        .fetch_one(&mut *conn)
        .await;
        if matches!(got, Ok(true)) {
            // This connection must never go back to the pool still holding the lock.
            conn.close_on_drop();
            self.held = Some(conn);
            true
        } else {
            false
        }
    }
}
