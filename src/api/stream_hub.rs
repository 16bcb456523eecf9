//! The live streams' hub: one task reads the inbox's event bus, encodes each event as
//! JSON once, and hands the frame to the streams subscribed to its shop — so an event
//! costs one encoding and one queue push per stream that may see it, whatever the number
//! of open streams. Each stream has a bounded queue ([`QUEUE`] frames): a stream that
//! falls that far behind (the frames are shared, so a full queue holds pointers) loses
//! what does not fit and gets `resync` as soon as there is room again (its client
//! reloads); the hub never waits for a stream. A stall that lasts is ended by the
//! socket's send time limit.
//!
//! The hub is also the one listener, for every stream, of what else a stream acts on:
//! owner events (to the seller's main account's streams), accounts changes (each stream
//! of the seller checks its credential again: [`Item::Recheck`]) and the daemon's
//! shutdown ([`Item::Close`]). A stream then waits on its queue alone — with 10,000
//! streams, a bus receiver or phase watcher of each, polled at every frame, cost more
//! than the frames' own queues.
//!
//! Several daemons (PostgreSQL): the hub also tells every stream the live-event log's
//! position (`cursor` frames, at most every [`CURSOR_EVERY`]), in the same queue as the
//! events, after every event handed to the bus before the position moved — so a cursor
//! never runs ahead of what its stream was sent.

use super::socket::{Farewell, Phase, SocketPolicy};
use super::ws_upgrade::text_frame;
use axum::body::Bytes;
use shopmux_core::Inbox;
use shopmux_core::domain::ids::{SellerId, ShopId};
use shopmux_core::events::InboxEvent;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::{broadcast, mpsc, watch};

/// Frames a stream may have waiting.
pub const QUEUE: usize = 4096;

/// The most events handed out as one batch.
const BATCH: usize = 256;

/// How often, at most, streams are told the log's position.
pub const CURSOR_EVERY: Duration = Duration::from_secs(1);

/// The text telling a client to reload through the API.
pub const RESYNC: &str = r#"{"type":"resync"}"#;

/// [`RESYNC`] as a whole frame.
pub fn resync_frame() -> Bytes {
    static FRAME: std::sync::LazyLock<Bytes> = std::sync::LazyLock::new(|| text_frame(RESYNC));
    FRAME.clone()
}

/// What a stream's queue carries, in order.
pub enum Item {
    /// Whole frames to send, in order ([`text_frame`], each encoded once for every
    /// stream): the stream's share of events handed out together, the log's position,
    /// `resync`, an owner event.
    Frames(Vec<Bytes>),
    /// The seller's accounts changed: check the stream's credential again.
    Recheck,
    /// The daemon stops: say goodbye this way and end.
    Close(Farewell),
}

impl Item {
    /// How many frames this is.
    pub fn frames(&self) -> usize {
        match self {
            Item::Frames(frames) => frames.len(),
            _ => 0,
        }
    }
}

/// A stream's place in the hub.
struct Subscriber {
    queue: mpsc::UnboundedSender<Item>,
    /// Frames queued and not yet taken (the stream takes them off).
    waiting: Arc<AtomicUsize>,
    /// How many frames may wait.
    room: usize,
    /// Frames were lost: `resync` goes first when there is room.
    lagged: AtomicBool,
    /// Its account's seller.
    seller: SellerId,
}

impl Subscriber {
    /// Queues frames as one item, or notes their loss; never waits.
    fn offer(&self, frames: Vec<Bytes>) {
        if self.lagged.load(Ordering::Relaxed) {
            if !self.push(vec![resync_frame()]) {
                return;
            }
            self.lagged.store(false, Ordering::Relaxed);
        }
        if !self.push(frames) {
            self.lagged.store(true, Ordering::Relaxed);
        }
    }

    /// Queues frames if there is room for them all (the hub is the one producer).
    fn push(&self, frames: Vec<Bytes>) -> bool {
        let n = frames.len();
        if self.waiting.load(Ordering::Acquire) + n > self.room {
            return false;
        }
        self.waiting.fetch_add(n, Ordering::AcqRel);
        self.queue.send(Item::Frames(frames)).is_ok()
    }

    /// Queues a signal whatever the frames waiting: signals are rare, and must not be
    /// lost.
    fn signal(&self, item: Item) {
        let _ = self.queue.send(item);
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
    /// The daemon stops: how streams are told.
    closing: Option<Farewell>,
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

/// A stream's subscription: what it is sent, in order; dropped, it leaves the hub.
pub struct Subscription {
    id: u64,
    owner_of: Option<SellerId>,
    hub: Arc<StreamHub>,
    items: mpsc::UnboundedReceiver<Item>,
    waiting: Arc<AtomicUsize>,
}

impl Subscription {
    /// Follows the shops `shops` from now on (after the viewer changed).
    pub fn follow(&self, shops: HashSet<ShopId>) {
        let mut routes = self.hub.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.unroute(self.id);
        routes.route(self.id, shops);
    }

    /// Waits until something is queued, then moves up to `limit` items into `into`; 0
    /// once the hub is gone. Cancel-safe.
    pub async fn recv_many(&mut self, into: &mut Vec<Item>, limit: usize) -> usize {
        let n = self.items.recv_many(into, limit).await;
        let frames = into[into.len() - n..].iter().map(Item::frames).sum();
        self.waiting.fetch_sub(frames, Ordering::AcqRel);
        n
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
    /// A hub fed by `inbox`'s buses (and its log position), closing its streams when the
    /// daemon's phase (in `sockets`) turns to closing, and running until the event bus
    /// closes.
    pub fn start(inbox: &Arc<Inbox>, sockets: &SocketPolicy) -> Arc<Self> {
        let hub = Arc::new(Self { routes: Mutex::default(), next_id: AtomicU64::new(0) });
        let buses = Buses {
            events: inbox.events().subscribe(),
            added: inbox.events().subscribe_shops(),
            accounts: inbox.events().subscribe_accounts(),
            owners: inbox.events().subscribe_owners(),
            cursor: inbox.live_cursor(),
            phase: sockets.phase.clone(),
        };
        tokio::spawn(hub.clone().run(buses));
        hub
    }

    /// Subscribes a stream of an account of `seller` to the events of `shops`; with
    /// `owner` (the seller's main account), also to the seller's shops added later and
    /// to its owner events.
    pub fn subscribe(
        self: &Arc<Self>, shops: HashSet<ShopId>, seller: SellerId, owner: bool,
    ) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (queue, items) = mpsc::unbounded_channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        let sub = Arc::new(Subscriber {
            queue,
            waiting: waiting.clone(),
            room: QUEUE,
            lagged: AtomicBool::new(false),
            seller,
        });
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        // The position every stream was told last: everything up to it was handed out
        // before, and a resuming client reads it from the log.
        if let Some(cursor) = routes.cursor {
            sub.offer(vec![cursor_frame(cursor)]);
        }
        if let Some(farewell) = routes.closing {
            sub.signal(Item::Close(farewell));
        }
        routes.all.insert(id, sub);
        routes.route(id, shops);
        let owner_of = owner.then_some(seller);
        if let Some(seller) = owner_of {
            routes.owners.entry(seller).or_default().insert(id);
        }
        Subscription { id, owner_of, hub: self.clone(), items, waiting }
    }

    async fn run(self: Arc<Self>, mut buses: Buses) {
        let mut tick = tokio::time::interval(CURSOR_EVERY);
        let mut sent_cursor = None;
        let Buses { events, added, accounts, owners, cursor, phase } = &mut buses;
        let mut accounts_open = true;
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(e) => {
                        if self.gather(Some(e), events, added).is_none() {
                            return;
                        }
                    }
                    Err(RecvError::Lagged(_)) => self.to_all(&resync_frame()),
                    Err(RecvError::Closed) => return,
                },
                _ = tick.tick(), if cursor.is_some() => {
                    let now = cursor.as_mut().map(|c| *c.borrow_and_update());
                    if now != sent_cursor {
                        // What the bus had before the position moved goes first.
                        if !self.drain(events, added) {
                            return;
                        }
                        sent_cursor = now;
                        if let Some(now) = now {
                            self.tell_cursor(now);
                        }
                    }
                }
                changed = accounts.recv(), if accounts_open => match changed {
                    Ok(seller) => self.recheck(Some(seller)),
                    // A lost change may be anyone's: every stream checks.
                    Err(RecvError::Lagged(_)) => self.recheck(None),
                    Err(RecvError::Closed) => accounts_open = false,
                },
                Ok((seller, event)) = owners.recv() => self.to_owners(seller, &event),
                // A dropped sender (no shutdown wired) disables this branch.
                Ok(()) = phase.changed() => {
                    if let Phase::Closing(farewell) = *phase.borrow_and_update() {
                        self.close_all(farewell);
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

    /// Dispatches everything waiting on the bus; false once it is closed.
    fn drain(
        &self, events: &mut broadcast::Receiver<InboxEvent>,
        added: &mut broadcast::Receiver<(SellerId, ShopId)>,
    ) -> bool {
        loop {
            match self.gather(None, events, added) {
                Some(true) => {}
                Some(false) => return true,
                None => return false,
            }
        }
    }

    /// Dispatches `first` and what else waits on the bus, up to [`BATCH`] events, as one
    /// batch (a lag in between splits it: `resync` goes after what came before). Whether
    /// the batch was full (more may wait); none once the bus is closed.
    fn gather(
        &self, first: Option<InboxEvent>, events: &mut broadcast::Receiver<InboxEvent>,
        added: &mut broadcast::Receiver<(SellerId, ShopId)>,
    ) -> Option<bool> {
        let mut batch: Vec<InboxEvent> = first.into_iter().collect();
        let open = loop {
            if batch.len() == BATCH {
                break Some(true);
            }
            match events.try_recv() {
                Ok(e) => batch.push(e),
                Err(TryRecvError::Empty) => break Some(false),
                Err(TryRecvError::Lagged(_)) => {
                    self.dispatch(&std::mem::take(&mut batch), added);
                    self.to_all(&resync_frame());
                }
                Err(TryRecvError::Closed) => break None,
            }
        };
        self.dispatch(&batch, added);
        open
    }

    /// Encodes each event once and hands every stream its share of the batch, in order,
    /// as one item: one wake-up and one write for a stream's share (an event and the
    /// conversation change it made, say), where one per frame raced the stream.
    fn dispatch(&self, batch: &[InboxEvent], added: &mut broadcast::Receiver<(SellerId, ShopId)>) {
        if batch.is_empty() {
            return;
        }
        // A shop added before these events were published is followed first.
        self.follow_added(added);
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let mut shares: HashMap<u64, (&Subscriber, Vec<Bytes>)> = HashMap::new();
        for event in batch {
            let Some(subs) = routes.by_shop.get(&event.shop_id()) else { continue };
            let frame = text_frame(serde_json::to_vec(event).unwrap_or_default());
            for (id, sub) in subs {
                shares.entry(*id).or_insert_with(|| (sub, Vec::new())).1.push(frame.clone());
            }
        }
        for (sub, frames) in shares.into_values() {
            sub.offer(frames);
        }
    }

    /// Has the streams of `seller` (every stream, for none) check their credential.
    fn recheck(&self, seller: Option<SellerId>) {
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        for sub in routes.all.values().filter(|s| seller.is_none_or(|x| s.seller == x)) {
            sub.signal(Item::Recheck);
        }
    }

    /// Hands an owner event to the seller's main account's streams.
    fn to_owners(&self, seller: SellerId, event: &shopmux_core::events::OwnerEvent) {
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        let Some(ids) = routes.owners.get(&seller) else { return };
        let frame = text_frame(serde_json::to_vec(event).unwrap_or_default());
        for sub in ids.iter().filter_map(|id| routes.all.get(id)) {
            sub.offer(vec![frame.clone()]);
        }
    }

    /// Tells every stream, and every later one, that the daemon stops.
    fn close_all(&self, farewell: Farewell) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.closing = Some(farewell);
        for sub in routes.all.values() {
            sub.signal(Item::Close(farewell));
        }
    }

    fn tell_cursor(&self, cursor: i64) {
        let mut routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.cursor = Some(cursor);
        let frame = cursor_frame(cursor);
        for sub in routes.all.values() {
            sub.offer(vec![frame.clone()]);
        }
    }

    fn to_all(&self, frame: &Bytes) {
        let routes = self.routes.lock().unwrap_or_else(|e| e.into_inner());
        for sub in routes.all.values() {
            sub.offer(vec![frame.clone()]);
        }
    }
}

/// The buses the hub listens to.
struct Buses {
    events: broadcast::Receiver<InboxEvent>,
    added: broadcast::Receiver<(SellerId, ShopId)>,
    accounts: broadcast::Receiver<SellerId>,
    owners: broadcast::Receiver<(SellerId, shopmux_core::events::OwnerEvent)>,
    cursor: Option<watch::Receiver<i64>>,
    phase: watch::Receiver<Phase>,
}

fn cursor_frame(cursor: i64) -> Bytes {
    text_frame(format!(r#"{{"type":"cursor","cursor":{cursor}}}"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subscriber with room for `room` frames, and its queue.
    fn subscriber(room: usize, seller: SellerId) -> (Subscriber, Queue) {
        let (queue, items) = mpsc::unbounded_channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        let sub =
            Subscriber { queue, waiting: waiting.clone(), room, lagged: false.into(), seller };
        (sub, Queue { items, waiting })
    }

    /// The stream's side, taking one item at a time.
    struct Queue {
        items: mpsc::UnboundedReceiver<Item>,
        waiting: Arc<AtomicUsize>,
    }

    impl Queue {
        /// The next item, as the stream sees it: a frame's text, `recheck` or `close`.
        fn next(&mut self) -> Option<String> {
            Some(match self.items.try_recv().ok()? {
                Item::Frames(frames) => {
                    self.waiting.fetch_sub(frames.len(), Ordering::AcqRel);
                    // Short frames: a two-byte header.
                    let texts: Vec<&[u8]> = frames.iter().map(|f| &f[2..]).collect();
                    String::from_utf8(texts.join(&b'+')).unwrap()
                }
                Item::Recheck => "recheck".into(),
                Item::Close(_) => "close".into(),
            })
        }
    }

    #[test]
    fn a_stream_that_falls_behind_loses_frames_then_gets_resync_before_the_next() {
        let (sub, mut queue) = subscriber(2, SellerId::new());
        for n in ["1", "2", "3"] {
            sub.offer(vec![text_frame(n)]);
        }
        assert_eq!(queue.next().unwrap(), "1");
        sub.offer(vec![text_frame("4")]);
        assert_eq!(queue.next().unwrap(), "2");
        assert_eq!(queue.next().unwrap(), RESYNC, "3 was lost: reload");
        // 4 found no room behind the resync: lost too, so a resync comes before 5.
        sub.offer(vec![text_frame("5")]);
        assert_eq!(queue.next().unwrap(), RESYNC);
        assert_eq!(queue.next().unwrap(), "5");
        assert!(queue.next().is_none());
    }

    #[test]
    fn signals_are_queued_in_order_even_to_a_full_queue() {
        let (sub, mut queue) = subscriber(1, SellerId::new());
        sub.offer(vec![text_frame("1")]);
        sub.signal(Item::Recheck);
        sub.offer(vec![text_frame("2")]);
        sub.signal(Item::Close(Farewell::Restart));
        let seen: Vec<String> = std::iter::from_fn(|| queue.next()).collect();
        assert_eq!(seen, ["1", "recheck", "close"], "2 found no room; the signals did");
    }

    /// A `service_data_changed` event of `shop` (the simplest event to build).
    fn event_of(shop: ShopId) -> InboxEvent {
        InboxEvent::ServiceDataChanged {
            shop_id: shop,
            agent_id: None,
            conversation_id: shopmux_core::domain::ids::ConversationId::new(),
        }
    }

    #[tokio::test]
    async fn a_batch_reaches_each_stream_as_one_item_of_its_shops_frames_in_order() {
        let hub = Arc::new(StreamHub { routes: Mutex::default(), next_id: AtomicU64::new(0) });
        let (a, b, unseen) = (ShopId::new(), ShopId::new(), ShopId::new());
        let seller = SellerId::new();
        let mut of_a = hub.subscribe(HashSet::from([a]), seller, false);
        let mut of_both = hub.subscribe(HashSet::from([a, b]), seller, false);
        let batch = [event_of(a), event_of(unseen), event_of(b), event_of(a)];
        let (_tx, mut added) = broadcast::channel(1);
        hub.dispatch(&batch, &mut added);
        let frame = |e: &InboxEvent| text_frame(serde_json::to_vec(e).unwrap());
        let mut items = Vec::new();
        assert_eq!(of_a.recv_many(&mut items, 8).await, 1, "one item");
        assert!(
            matches!(&items[..], [Item::Frames(f)] if *f == [frame(&batch[0]), frame(&batch[3])])
        );
        items.clear();
        assert_eq!(of_both.recv_many(&mut items, 8).await, 1);
        let expected = [frame(&batch[0]), frame(&batch[2]), frame(&batch[3])];
        assert!(matches!(&items[..], [Item::Frames(f)] if *f == expected), "in order");
        assert_eq!(of_both.waiting.load(Ordering::Acquire), 0, "taken off");
    }

    #[tokio::test]
    async fn accounts_changes_reach_the_sellers_streams_and_a_shutdown_reaches_every_stream() {
        let hub = Arc::new(StreamHub { routes: Mutex::default(), next_id: AtomicU64::new(0) });
        let (ours, theirs) = (SellerId::new(), SellerId::new());
        let mut agent = hub.subscribe(HashSet::new(), ours, false);
        let other = hub.subscribe(HashSet::new(), theirs, true);
        hub.recheck(Some(ours));
        let mut items = Vec::new();
        assert_eq!(agent.recv_many(&mut items, 8).await, 1);
        assert!(matches!(items[..], [Item::Recheck]));
        hub.close_all(Farewell::GoingAway);
        let late = hub.subscribe(HashSet::new(), ours, false);
        for mut stream in [agent, other, late] {
            items.clear();
            assert_eq!(stream.recv_many(&mut items, 8).await, 1, "only the farewell");
            assert!(matches!(items[..], [Item::Close(Farewell::GoingAway)]));
        }
    }
}
