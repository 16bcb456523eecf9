//! The ingest queue and its one writer: every accepted inbound message is queued, and
//! the writer takes whatever is waiting (up to a batch size), writes the whole group in
//! one transaction ([`super::group`]), answers each sender after the commit, publishes
//! the group's events and marks the sellers whose new conversations wait for the router.
//! One bad item does not fail its neighbours: a failed group is retried item by item.
//!
//! A writer runs on a thread of its own with a connection of its own: on a SQLite file
//! its own SQLite connection ([`SqliteWriter`]), on PostgreSQL its own connection
//! ([`PostgresWriter`]) driven by the thread's own runtime, so that its round trips do
//! not wait for the request handlers' workers. Only an in-memory SQLite database
//! (tests) writes through the pool, from a task. On PostgreSQL several writers run at
//! once, one per lane (the lanes module).

use super::group::{GroupResult, write_in, write_in_pool, write_locked};
use crate::clock::Clock;
use crate::domain::ids::*;
use crate::domain::inbound::{InboundMessage, IngestOutcome};
use crate::domain::model::ConversationState;
use crate::domain::shop_settings::IngestShop;
use crate::error::CoreResult;
use crate::events::{EventBus, InboxEvent};
use crate::storage::exec::{SqliteWriter, Tx};
use crate::storage::postgres_writer::PostgresWriter;
use crate::storage::store::{Backend, Store};
use crate::storage::write::WriteTx;
use crate::wake::RouterSignal;
use chrono::{DateTime, Utc};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// What the writer is asked: write a message (and answer), or stop after what is queued.
pub enum IngestJob {
    /// A message of a shop, and where to answer.
    Message(Box<Job>),
    /// Stop accepting.
    Stop,
}

/// Where groups are written: the writer's own connection ([`SqliteWriter`],
/// [`PostgresWriter`]), or the pool's write connection (an in-memory SQLite
/// database, which a second connection would not see).
enum GroupWriter {
    Pool,
    Sqlite(SqliteWriter),
    Postgres(PostgresWriter),
}

impl GroupWriter {
    /// The writer's own connection, or the pool when it has none (in-memory SQLite) or
    /// it cannot be opened.
    async fn open(store: &Store) -> Self {
        let own = match store.backend() {
            Backend::Postgres => PostgresWriter::open(store).await.map(|w| w.map(Self::Postgres)),
            Backend::Sqlite => SqliteWriter::open(store).map(|w| w.map(Self::Sqlite)),
        };
        match own {
            Ok(Some(writer)) => writer,
            Ok(None) => Self::Pool,
            Err(error) => {
                tracing::warn!(message = "The ingest writer could not open its own connection; writing through the pool.", %error);
                Self::Pool
            }
        }
    }

    /// Writes a group; with `log`, its events go to the live-event log with it (on the
    /// pool: several daemons share only a PostgreSQL database).
    async fn write(
        &self, store: &Store, now: DateTime<Utc>, items: &[(&IngestShop, &InboundMessage)],
        log: Option<&str>,
    ) -> CoreResult<GroupResult> {
        match self {
            GroupWriter::Pool => write_in_pool(store, now, items, log).await,
            GroupWriter::Postgres(w) => {
                w.write(store, async |w: &mut WriteTx<'_>| write_locked(w, now, items, log).await)
                    .await
            }
            GroupWriter::Sqlite(w) => {
                let work = async |tx: &mut Tx<'_>| write_in(store, tx, now, items, None).await;
                w.write(store, work).await
            }
        }
    }
}

/// Starts a writer on a thread of its own (its statements would otherwise hold up a
/// runtime worker, or wait for one): on a SQLite file driven by the daemon's runtime
/// (its connection is not async), on PostgreSQL by a runtime of the thread's own, which
/// drives the writer's connection. An in-memory SQLite database's writer is a task.
pub(super) fn spawn_writer(
    store: Store, clock: Arc<dyn Clock>, events: EventBus, router: Arc<RouterSignal>,
    rx: mpsc::Receiver<IngestJob>, max_batch: usize,
) -> tokio::task::JoinHandle<()> {
    let writer = run_writer(store.clone(), clock, events, router, rx, max_batch);
    let runtime = tokio::runtime::Handle::current();
    if store.sqlite_file().is_some() {
        return tokio::task::spawn_blocking(move || runtime.block_on(writer));
    }
    if store.backend() == Backend::Sqlite {
        return tokio::spawn(writer);
    }
    tokio::task::spawn_blocking(move || {
        match tokio::runtime::Builder::new_current_thread().enable_all().build() {
            Ok(own) => own.block_on(writer),
            Err(error) => {
                tracing::warn!(message = "The ingest writer could not start its own runtime; using the daemon's.", %error);
                runtime.block_on(writer)
            }
        }
    })
}

async fn run_writer(
    store: Store, clock: Arc<dyn Clock>, events: EventBus, router: Arc<RouterSignal>,
    mut rx: mpsc::Receiver<IngestJob>, max_batch: usize,
) {
    let writer = GroupWriter::open(&store).await;
    let mut buf = Vec::with_capacity(max_batch);
    loop {
        if rx.recv_many(&mut buf, max_batch).await == 0 {
            break;
        }
        if let GroupWriter::Sqlite(_) = writer {
            gather(&mut rx, &mut buf, max_batch);
        }
        let mut jobs = Vec::with_capacity(buf.len());
        for job in buf.drain(..) {
            match job {
                IngestJob::Message(job) => jobs.push(*job),
                // Stop accepting; what is already queued is still written below.
                IngestJob::Stop => rx.close(),
            }
        }
        if !jobs.is_empty() {
            // New conversations wait unassigned until the router drains their queue.
            for shop in write_group(&store, &writer, clock.now(), &events, jobs).await {
                router.mark_shop(shop);
            }
        }
    }
    if let GroupWriter::Postgres(own) = writer {
        own.close().await;
    }
}

/// How long a small group waits for more messages before it is written.
const GATHER: std::time::Duration = std::time::Duration::from_micros(250);

/// Below this many messages a group waits [`GATHER`] for more.
const GATHER_BELOW: usize = 32;

/// Lets a small group grow before it is written (on the SQLite writer's own thread,
/// where sleeping holds up no task): senders answered by the last commit send their
/// next messages within a fraction of a millisecond, and one commit of many messages
/// writes far fewer pages per message (index edges, counters, the full-text index)
/// than several small ones. A group that waited is at most [`GATHER`] later.
fn gather(rx: &mut mpsc::Receiver<IngestJob>, buf: &mut Vec<IngestJob>, max_batch: usize) {
    if buf.len() >= GATHER_BELOW.min(max_batch) {
        return;
    }
    std::thread::sleep(GATHER);
    while buf.len() < max_batch {
        match rx.try_recv() {
            Ok(job) => buf.push(job),
            Err(_) => break,
        }
    }
}

/// A queued message and where its outcome goes.
pub type Job = (IngestShop, InboundMessage, oneshot::Sender<CoreResult<IngestOutcome>>);

/// Writes a group and publishes its events; returns the shops where a conversation is
/// left unassigned (for the router).
async fn write_group(
    store: &Store, writer: &GroupWriter, now: DateTime<Utc>, events: &EventBus, jobs: Vec<Job>,
) -> HashSet<ShopId> {
    let mut unassigned = HashSet::new();
    // Logged with the group (several daemons): this daemon's streams only.
    let log = events.relay_origin();
    // After a commit: the announcer hears that the group logged its events, and this
    // daemon's streams get them.
    let mut publish = |published: Vec<InboxEvent>| {
        if log.is_some() && !published.is_empty() {
            events.logged();
        }
        for e in published {
            if let InboxEvent::ConversationUpdated { conversation } = &e
                && conversation.state == ConversationState::Unassigned
            {
                unassigned.insert(conversation.shop_id);
            }
            match log {
                Some(_) => events.publish_local(e),
                None => events.publish(e),
            }
        }
    };
    let items: Vec<(&IngestShop, &InboundMessage)> = jobs.iter().map(|(s, m, _)| (s, m)).collect();
    match writer.write(store, now, &items, log).await {
        Ok((outcomes, published)) => {
            for ((_, _, reply), outcome) in jobs.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
            publish(published);
        }
        Err(error) if jobs.len() == 1 => {
            tracing::warn!(message = "Inbound message not stored.", %error);
            let (_, _, reply) = jobs.into_iter().next().expect("one job");
            let _ = reply.send(Err(error));
        }
        Err(error) => {
            // One bad item must not fail its neighbours: write each alone.
            tracing::debug!(message = "Group write failed, retrying items one by one.", %error);
            for (shop, msg, reply) in jobs {
                let result = writer.write(store, now, &[(&shop, &msg)], log).await;
                match result {
                    Ok((mut outcomes, published)) => {
                        let _ = reply.send(Ok(outcomes.remove(0)));
                        publish(published);
                    }
                    Err(error) => {
                        tracing::warn!(message = "Inbound message not stored.", %error, shop_id = %shop.shop_id);
                        let _ = reply.send(Err(error));
                    }
                }
            }
        }
    }
    unassigned
}
