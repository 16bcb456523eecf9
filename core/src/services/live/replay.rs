//! What a reconnecting stream missed: the log's records after the client's cursor that
//! its viewer may see, read back as events — or "reload" when the log no longer covers
//! the cursor (pruned, or from another database) or the gap is too long to send.

use super::hydrate::{Item, resolve};
use crate::domain::viewer::Viewer;
use crate::error::CoreResult;
use crate::events::{InboxEvent, OwnerEvent};
use crate::inbox::Inbox;
use crate::storage::live_events::{self, Entry};

/// Most records a replay reads, and most events it sends; a longer gap is a reload.
const MAX_REPLAY: i64 = 5000;

/// What a reconnecting stream sends first.
#[derive(Debug)]
pub enum Replay {
    /// These events (in the log's order), then the live ones.
    Events {
        /// Inbox events of the shops the viewer sees.
        events: Vec<InboxEvent>,
        /// The main account's own events (none for other accounts).
        owner: Vec<OwnerEvent>,
    },
    /// The client should reload through the API (`resync`).
    Reload,
}

impl Inbox {
    /// What a stream reconnecting with `cursor` missed.
    pub async fn live_replay(&self, viewer: &Viewer, cursor: i64) -> CoreResult<Replay> {
        if self.live.is_none() {
            return Ok(Replay::Reload);
        }
        let covered = match live_events::bounds(&self.store).await? {
            None => true,
            Some((first, last)) => cursor >= first - 1 && cursor <= last,
        };
        if !covered || cursor < 0 {
            return Ok(Replay::Reload);
        }
        let rows = live_events::after(&self.store, cursor, MAX_REPLAY).await?;
        if rows.len() as i64 == MAX_REPLAY {
            return Ok(Replay::Reload);
        }
        let seller = viewer.agent.seller_id;
        let mine = |e: &Entry<'_>| {
            e.shop_id.is_some_and(|s| viewer.can_see(s))
                || (viewer.is_owner() && e.seller_id == Some(seller))
        };
        let entries: Vec<Entry<'_>> =
            rows.iter().flat_map(|row| row.entries()).filter(mine).collect();
        if entries.len() as i64 > MAX_REPLAY {
            return Ok(Replay::Reload);
        }
        let (mut events, mut owner) = (Vec::new(), Vec::new());
        for item in resolve(&self.store, &entries, true).await? {
            match item {
                Item::Inbox(e) => events.push(*e),
                Item::Owner(s, e) if s == seller => owner.push(*e),
                _ => {}
            }
        }
        Ok(Replay::Events { events, owner })
    }
}
