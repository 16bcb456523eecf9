//! WAL checkpoints for the SQLite ingest writer, run beside it instead of inside its
//! commits.
//!
//! SQLite's automatic checkpoint runs inside the commit that crosses its threshold,
//! so the one writer — and every inbound message queued behind it — waits while pages
//! are copied into the database file and the file is `fsync`ed: in the ingest profile
//! that was ~15 % of the writer's time. The writer's connection therefore runs with
//! `wal_autocheckpoint = 0`, and this thread, on a connection of its own, checkpoints
//! after commits:
//!
//! 1. a `PASSIVE` checkpoint while the writer goes on: it copies whatever is committed
//!    (the bulk of the work, on the other core);
//! 2. once the WAL holds more than [`FINISH_AT`] frames, a second `PASSIVE` checkpoint
//!    under the store's write gate: no frame can be added meanwhile, so it finishes the
//!    few frames committed since step 1, and the next write transaction starts the WAL
//!    over from its beginning. Without this step a busy writer always has frames the
//!    checkpoint has not reached, the WAL never restarts and grows without bound.
//!
//! As a safety net the writer keeps SQLite's own checkpoint at [`SAFETY_NET_FRAMES`]
//! (80 MB of WAL), far above what this thread lets the WAL reach.

use super::Store;
use crate::error::CoreResult;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// WAL frames (pages) above which a checkpoint is finished under the write gate.
const FINISH_AT: i64 = 1000;

/// The writer's own `wal_autocheckpoint`: only reached if this thread falls behind.
pub(crate) const SAFETY_NET_FRAMES: i64 = 20_000;

/// The pause after a round, so that one round covers many commits.
const PACE: Duration = Duration::from_millis(20);

#[derive(Default)]
struct State {
    commits: u64,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// The checkpoint thread of one writer; stopped when dropped.
pub(crate) struct Checkpointer {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the thread on a connection of its own to `store`'s SQLite file.
    pub(crate) fn start(store: &Store, conn: rusqlite::Connection) -> CoreResult<Self> {
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("shopmux-checkpoint".into())
            .spawn({
                let shared = shared.clone();
                let store = store.clone();
                move || run(&store, &conn, &shared)
            })
            .map_err(|e| crate::error::CoreError::Database(sqlx::Error::Io(e)))?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    /// Tells the thread a write transaction was committed.
    pub(crate) fn committed(&self) {
        let mut state = self.shared.state.lock().unwrap_or_else(|e| e.into_inner());
        state.commits += 1;
        self.shared.wake.notify_one();
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.shared
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .stop = true;
        self.shared.wake.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `PRAGMA wal_checkpoint(PASSIVE)`; returns the frames in the WAL.
fn passive(conn: &rusqlite::Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get(1))
}

fn run(store: &Store, conn: &rusqlite::Connection, shared: &Shared) {
    let mut seen = 0;
    loop {
        {
            let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
            while state.commits == seen && !state.stop {
                state = shared.wake.wait(state).unwrap_or_else(|e| e.into_inner());
            }
            if state.stop {
                return;
            }
            seen = state.commits;
        }
        let frames = passive(conn).and_then(|frames| {
            if frames > FINISH_AT {
                let _gate = store.write_gate_blocking();
                passive(conn)?;
            }
            Ok(frames)
        });
        match frames {
            // Under load, go straight on to the next round.
            Ok(frames) if frames > FINISH_AT => continue,
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(message = "WAL checkpoint failed; retrying after the next commit.", %error);
            }
        }
        std::thread::sleep(PACE);
    }
}
