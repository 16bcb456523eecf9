//! Starting the relay's tasks (PostgreSQL only): the appender, fed by the bus; the
//! announcer, which tells the other daemons after the commits; and the listener, which
//! moves the watermark. And the cursor streams read.

use super::{announce, append, listen};
use crate::inbox::Inbox;
use std::sync::Arc;
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

impl Inbox {
    /// The cursor a stream hands its client, updated as this daemon reads the log (none
    /// on SQLite: one daemon, no log).
    pub fn live_cursor(&self) -> Option<watch::Receiver<i64>> {
        self.live.as_ref().map(super::Live::cursor)
    }

    /// Whether this daemon hears the other daemons' events yet (none on SQLite): false
    /// until its listener has read the log once. `/readyz` waits for it.
    pub fn live_listening(&self) -> Option<watch::Receiver<bool>> {
        self.live.as_ref().map(super::Live::listening)
    }
}

/// Starts the appender and the listener (PostgreSQL only).
pub(crate) fn start(
    inbox: &Arc<Inbox>, stop: impl Fn() -> watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let Some(live) = &inbox.live else { return Vec::new() };
    let Some(url) = inbox.store.postgres_url().map(str::to_owned) else { return Vec::new() };
    let (tx, rx) = mpsc::unbounded_channel();
    let appended = Arc::new(Notify::new());
    inbox.events.relay_to(inbox.instance_id.clone(), tx, appended.clone());
    let announcer = announce::Announcer { store: inbox.store.clone(), appended: appended.clone() };
    let appender = append::Appender {
        store: inbox.store.clone(),
        origin: inbox.instance_id.clone(),
        appended,
    };
    let listener = listen::Listener {
        inbox: Arc::downgrade(inbox),
        url,
        watermark: live.watermark.clone(),
        listening: live.listening.clone(),
    };
    vec![
        tokio::spawn(appender.run(rx, stop())),
        tokio::spawn(announcer.run(stop())),
        tokio::spawn(listener.run(stop())),
    ]
}
