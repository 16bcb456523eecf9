//! The live streams' hub: one task reads the inbox's event bus, encodes each event as
//! JSON once, and hands the frame to the streams subscribed to its shop — so an event
//! costs one encoding and one queue push per stream that may see it, whatever the number
//! of open streams. Each stream has a bounded queue ([`QUEUE`] frames): a stream that
//! falls that far behind (the frames are shared, so a full queue holds pointers) loses what does not fit and gets `resync` as soon as there is
//! room again (its client reloads); the hub never waits for a stream. A stall that lasts
//! is ended by the socket's send time limit.
//!
//! Several daemons (PostgreSQL): the hub also tells every stream the live-event log's
//! position (`cursor` frames, at most every [`CURSOR_EVERY`]), in the same queue as the
//! events, after every event handed to the bus before the position moved — so a cursor
//! never runs ahead of what its stream was sent.

use axum::extract::ws::Utf8Bytes;
use shopmux_core::Inbox;
use shopmux_core::domain::ids::{SellerId, ShopId};
use shopmux_core::events::InboxEvent;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc, watch};

/// Frames a stream may have waiting.
pub const QUEUE: usize = 4096;

/// How often, at most, streams are told the log's position.
pub const CURSOR_EVERY: Duration = Duration::from_secs(1);

/// The frame telling a client to reload through the API.
pub const RESYNC: &str = r#"{"type":"resync"}"#;

/// A stream's place in the hub.
struct Subscriber {
    queue: mpsc::Sender<Utf8Bytes>,
    /// Frames were lost: `resync` goes first when there is room.
    lagged: AtomicBool,
}

impl Subscriber {
    /// Queues a frame, or notes the loss; never waits.
    fn offer(&self, frame: &Utf8Bytes) {
        if self.lagged.load(Ordering::Relaxed) {
            if self.queue.try_send(Utf8Bytes::from_static(RESYNC)).is_err() {
                return;
            }
            self.lagged.store(false, Ordering::Relaxed);
        }
        if self.queue.try_send(frame.clone()).is_err() {
            self.lagged.store(true, Ordering::Relaxed);
        }
    }
}

#[derive(Default)]
struct Routes {
    /// Every subscriber, by id.
    all: HashMap<u64, Arc<Subscriber>>,
    /// The subscribers of each shop.
    by_shop: HashMap<ShopId, Vec<(u64, Arc<Subscriber>)>>,
    /// The shops of each subscriber.
    shops: HashMap<u64, HashSet<ShopId>>,
    /// The subscribers that follow every shop of a seller (its main account's streams).
    owners: HashMap<SellerId, HashSet<u64>>,
    /// The last cursor sent to every stream (none yet, or one daemon).
    cursor: Option<i64>,
}

impl Routes {
    /// A seller's new shop joins its main account's streams.
    fn shop_added(&mut self, seller: SellerId, shop: ShopId) {
        let ids: Vec<u64> = self.owners.get(&seller).into_iter().flatten().copied().collect();
        for id in ids {
            let (Some(sub), Some(shops)) = (self.all.get(&id).cloned(), self.shops.get_mut(&id))
            else {
                continue;
            };
            if shops.insert(shop) {
                self.by_shop.entry(shop).or_default().push((id, sub));
            }
        }
    }

    fn unroute(&mut self, id: u64) {
        for shop in self.shops.remove(&id).unwrap_or_default() {
            if let Some(list) = self.by_shop.get_mut(&shop) {
                list.retain(|(i, _)| *i != id);
                if list.is_empty() {
                    self.by_shop.remove(&shop);
                }
            }
        }
    }

    fn route(&mut self, id: u64, shops: HashSet<ShopId>) {
        let Some(sub) = self.all.get(&id).cloned() else { return };
        for shop in &shops {
            self.by_shop.entry(*shop).or_default().push((id, sub.clone()));
        }
        self.shops.insert(id, shops);
    }
}

/// Who gets which events.
pub struct StreamHub {
    routes: Mutex<Routes>,
    next_id: AtomicU64,
}

/// A stream's subscription: its frames, in order; dropped, it leaves the hub.
pub struct Subscription {
    id: u64,
    owner_of: Option<SellerId>,
    hub: Arc<StreamHub>,
    /// The frames to send.
    pub frames: mpsc::Receiver<Utf8Bytes>,
}

impl Subscription {
    /// Follows the shops `shops` from now on (after the viewer changed).
    pub fn follow(&self, shops: HashSet<ShopId>) {
        let mut routes = self.hub.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.unroute(self.id);
        routes.route(self.id, shops);
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut routes = self.hub.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.unroute(self.id);
        routes.all.remove(&self.id);
        if let Some(seller) = self.owner_of
            && let Some(ids) = routes.owners.get_mut(&seller)
        {
            ids.remove(&self.id);
            if ids.is_empty() {
                routes.owners.remove(&seller);
            }
        }
    }
}

impl StreamHub {
    /// A hub fed by `inbox`'s bus (and its log position), running until the bus closes.
    pub fn start(inbox: &Arc<Inbox>) -> Arc<Self> {
        let hub = Arc::new(Self { routes: Mutex::default(), next_id: AtomicU64::new(0) });
        let events = inbox.events().subscribe();
        let added = inbox.events().subscribe_shops();
        tokio::spawn(hub.clone().run(events, added, inbox.live_cursor()));
        hub
    }

    /// Subscribes a stream to the events of `shops`; with `owner_of`, also to the
    /// seller's shops added later.
    pub fn subscribe(
        self: &Arc<Self>, shops: HashSet<ShopId>, owner_of: Option<SellerId>,
    ) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, frames) = mpsc::channel(QUEUE);
        let sub = Arc::new(Subscriber { queue, lagged: AtomicBool::new(false) });
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        // The position every stream was told last: everything up to it was handed out
        // before, and a resuming client reads it from the log.
        if let Some(cursor) = routes.cursor {
            sub.offer(&cursor_frame(cursor));
        }
        routes.all.insert(id, sub);
        routes.route(id, shops);
        if let Some(seller) = owner_of {
            routes.owners.entry(seller).or_default().insert(id);
        }
        Subscription { id, owner_of, hub: self.clone(), frames }
    }

    async fn run(
        self: Arc<Self>, mut events: broadcast::Receiver<InboxEvent>,
        mut added: broadcast::Receiver<(SellerId, ShopId)>,
        mut cursor: Option<watch::Receiver<i64>>,
    ) {
        let mut tick = tokio::time::interval(CURSOR_EVERY);
        let mut sent_cursor = None;
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(e) => {
                        // A shop added before this event was published is followed first.
                        self.follow_added(&mut added);
                        self.dispatch(&e)
                    }
                    Err(RecvError::Lagged(_)) => self.to_all(&Utf8Bytes::from_static(RESYNC)),
                    Err(RecvError::Closed) => return,
                },
                _ = tick.tick(), if cursor.is_some() => {
                    let now = cursor.as_mut().map(|c| *c.borrow_and_update());
                    if now != sent_cursor {
                        // What the bus had before the position moved goes first.
                        if !self.drain(&mut events, &mut added) {
                            return;
                        }
                        sent_cursor = now;
                        if let Some(now) = now {
                            self.tell_cursor(now);
                        }
                    }
                }
            }
        }
    }

    /// Lets the main accounts' streams follow the shops added since the last look.
    fn follow_added(&self, added: &mut broadcast::Receiver<(SellerId, ShopId)>) {
        loop {
            match added.try_recv() {
                Ok((seller, shop)) => {
                    let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
                    routes.shop_added(seller, shop);
                }
                Err(TryRecvError::Lagged(_)) => {}
                Err(_) => return,
            }
        }
    }

    /// Dispatches what is waiting on the bus; false once it is closed.
    fn drain(
        &self, events: &mut broadcast::Receiver<InboxEvent>,
        added: &mut broadcast::Receiver<(SellerId, ShopId)>,
    ) -> bool {
        loop {
            match events.try_recv() {
                Ok(e) => {
                    self.follow_added(added);
                    self.dispatch(&e)
                }
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Lagged(_)) => self.to_all(&Utf8Bytes::from_static(RESYNC)),
                Err(TryRecvError::Closed) => return false,
            }
        }
    }

    /// Encodes an event once and offers it to its shop's streams.
    fn dispatch(&self, event: &InboxEvent) {
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let Some(subs) = routes.by_shop.get(&event.shop_id()) else { return };
        let frame: Utf8Bytes = serde_json::to_string(event).unwrap_or_default().into();
        for (_, sub) in subs {
            sub.offer(&frame);
        }
    }

    fn tell_cursor(&self, cursor: i64) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.cursor = Some(cursor);
        let frame = cursor_frame(cursor);
        for sub in routes.all.values() {
            sub.offer(&frame);
        }
    }

    fn to_all(&self, frame: &Utf8Bytes) {
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        for sub in routes.all.values() {
            sub.offer(frame);
        }
    }
}

fn cursor_frame(cursor: i64) -> Utf8Bytes {
    format!(r#"{{"type":"cursor","cursor":{cursor}}}"#).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_that_falls_behind_loses_frames_then_gets_resync_before_the_next() {
        let (queue, mut frames) = mpsc::channel(2);
        let sub = Subscriber { queue, lagged: AtomicBool::new(false) };
        for n in ["1", "2", "3"] {
            sub.offer(&Utf8Bytes::from_static(n));
        }
        assert_eq!(frames.try_recv().unwrap().as_str(), "1");
        sub.offer(&Utf8Bytes::from_static("4"));
        assert_eq!(frames.try_recv().unwrap().as_str(), "2");
        assert_eq!(frames.try_recv().unwrap().as_str(), RESYNC, "3 was lost: reload");
        // 4 found no room behind the resync: lost too, so a resync comes before 5.
        sub.offer(&Utf8Bytes::from_static("5"));
        assert_eq!(frames.try_recv().unwrap().as_str(), RESYNC);
        assert_eq!(frames.try_recv().unwrap().as_str(), "5");
        assert!(frames.try_recv().is_err());
    }
}
