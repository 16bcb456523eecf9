//! The listener: a connection of its own `LISTEN`s on the log's channel; on each
//! notification for this schema (and every [`POLL_EVERY`] as a backstop, and after each
//! reconnect) it reads the records it has not seen, hands the other daemons' ones to the
//! local bus ([`super::hydrate`]) and moves the watermark.
//!
//! Sequence numbers are taken when a record is inserted, not when its transaction
//! commits: a number may show up after a higher one, or never (a rollback). The
//! [`Tracker`] remembers such holes and keeps reading them until they fill or
//! [`HOLE_WAIT`] passes; the watermark stays below the oldest open hole.

use super::hydrate;
use crate::inbox::Inbox;
use crate::storage::live_events::{self, CHANNEL, LiveRow};
use std::collections::BTreeMap;
use std::sync::Weak;
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// How long a skipped sequence number is waited for.
pub const HOLE_WAIT: Duration = Duration::from_secs(10);

/// How often the log is read without a notification.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// Records read per query.
const PAGE: i64 = 2000;

/// Which sequence numbers have been handled: all up to `max_seen` but the open holes.
#[derive(Debug, Default)]
pub struct Tracker {
    max_seen: i64,
    holes: BTreeMap<i64, Instant>,
}

impl Tracker {
    /// A tracker that starts after `seq` (what was in the log before this daemon).
    pub fn after(seq: i64) -> Self {
        Self { max_seen: seq, holes: BTreeMap::new() }
    }

    /// The last sequence number read in order.
    pub fn max_seen(&self) -> i64 {
        self.max_seen
    }

    /// The holes still waited for.
    pub fn holes(&self) -> Vec<i64> {
        self.holes.keys().copied().collect()
    }

    /// Whether `seq` has not been handled yet.
    pub fn is_new(&self, seq: i64) -> bool {
        seq > self.max_seen || self.holes.contains_key(&seq)
    }

    /// Notes that `seq` was read at `now`; false when it was handled before.
    pub fn saw(&mut self, seq: i64, now: Instant) -> bool {
        if seq > self.max_seen {
            for hole in self.max_seen + 1..seq {
                self.holes.insert(hole, now);
            }
            self.max_seen = seq;
            true
        } else {
            self.holes.remove(&seq).is_some()
        }
    }

    /// Gives up on holes older than [`HOLE_WAIT`] at `now`.
    pub fn expire(&mut self, now: Instant) {
        self.holes.retain(|_, since| now.duration_since(*since) < HOLE_WAIT);
    }

    /// The cursor: every record at or below it has been handled (or given up on).
    pub fn watermark(&self) -> i64 {
        self.holes.keys().next().map_or(self.max_seen, |first| first - 1)
    }
}

/// The listening task's state.
pub(crate) struct Listener {
    pub inbox: Weak<Inbox>,
    pub url: String,
    pub watermark: watch::Sender<i64>,
    /// Set once the log has been read (the tracker has its starting point).
    pub listening: watch::Sender<bool>,
}

impl Listener {
    /// Listens until the daemon stops, reconnecting when the connection drops.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let mut tracker = None;
        loop {
            let listener = tokio::select! {
                l = self.connect() => l,
                _ = stop.changed() => return,
            };
            let Some(mut listener) = listener else {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    _ = stop.changed() => return,
                }
            };
            let Some(schema) = self.schema().await else { continue };
            let mut poll = tokio::time::interval(POLL_EVERY);
            loop {
                if self.catch_up(&mut tracker).await.is_none() {
                    return;
                }
                tokio::select! {
                    _ = stop.changed() => return,
                    _ = poll.tick() => {}
                    note = listener.recv() => match note {
                        Ok(n) if n.payload() != schema => continue,
                        Ok(_) => {}
                        Err(error) => {
                            tracing::warn!(message = "Live-event listener lost its connection; reconnecting.", %error);
                            break;
                        }
                    },
                }
            }
        }
    }

    async fn connect(&self) -> Option<sqlx::postgres::PgListener> {
        let mut listener = match sqlx::postgres::PgListener::connect(&self.url).await {
            Ok(l) => l,
            Err(error) => {
                tracing::warn!(message = "Live-event listener cannot connect.", %error);
                return None;
            }
        };
        listener.listen(CHANNEL).await.ok()?;
        Some(listener)
    }

    async fn schema(&self) -> Option<String> {
        let inbox = self.inbox.upgrade()?;
        let schema: Result<String, _> = sqlx::query_scalar("SELECT CAST(current_schema() AS TEXT)")
            .fetch_one(inbox.store.pool())
            .await;
        schema.ok()
    }

    /// Reads what is new and the open holes; none when the inbox is gone.
    async fn catch_up(&self, tracker: &mut Option<Tracker>) -> Option<()> {
        let inbox = self.inbox.upgrade()?;
        let tracker = match tracker {
            Some(t) => t,
            None => {
                let Ok(bounds) = live_events::bounds(&inbox.store).await else { return Some(()) };
                tracker.insert(Tracker::after(bounds.map_or(0, |(_, hi)| hi)))
            }
        };
        if let Err(error) = read(&inbox, tracker).await {
            tracing::warn!(message = "Could not read the live-event log.", %error);
        }
        tracker.expire(Instant::now());
        self.listening.send_if_modified(|on| !std::mem::replace(on, true));
        self.watermark.send_if_modified(|w| {
            let now = tracker.watermark();
            std::mem::replace(w, now) != now
        });
        Some(())
    }
}

/// Reads the filled holes and every record after the last seen, handing the new ones
/// to the local bus.
async fn read(inbox: &Inbox, tracker: &mut Tracker) -> crate::error::CoreResult<()> {
    let filled = live_events::at(&inbox.store, &tracker.holes()).await?;
    deliver(inbox, tracker, filled).await?;
    loop {
        let rows = live_events::after(&inbox.store, tracker.max_seen(), PAGE).await?;
        let full = rows.len() as i64 == PAGE;
        deliver(inbox, tracker, rows).await?;
        if !full {
            return Ok(());
        }
    }
}

async fn deliver(
    inbox: &Inbox, tracker: &mut Tracker, rows: Vec<LiveRow>,
) -> crate::error::CoreResult<()> {
    let fresh: Vec<LiveRow> = rows.into_iter().filter(|r| tracker.is_new(r.seq)).collect();
    let others: Vec<&LiveRow> = fresh.iter().filter(|r| r.origin != inbox.instance_id).collect();
    // Handed over first, marked after: a failed read is read again, not skipped.
    hydrate::publish(inbox, &others).await?;
    let now = Instant::now();
    for row in &fresh {
        tracker.saw(row.seq, now);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watermark_waits_below_a_hole_until_it_fills() {
        let now = Instant::now();
        let mut t = Tracker::after(10);
        assert!(t.saw(11, now));
        assert!(t.saw(14, now));
        assert_eq!(t.holes(), vec![12, 13]);
        assert_eq!(t.watermark(), 11);
        assert!(t.saw(13, now));
        assert_eq!(t.watermark(), 11);
        assert!(t.saw(12, now));
        assert_eq!(t.watermark(), 14);
        assert!(!t.saw(12, now), "a record is handled once");
        assert!(!t.saw(9, now), "nothing before the start is handled");
    }

    #[test]
    fn a_hole_that_never_fills_is_given_up_after_the_wait() {
        let start = Instant::now();
        let mut t = Tracker::after(0);
        t.saw(3, start);
        t.expire(start + HOLE_WAIT / 2);
        assert_eq!(t.watermark(), 0);
        t.expire(start + HOLE_WAIT);
        assert_eq!(t.watermark(), 3);
        assert!(t.holes().is_empty());
    }
}
