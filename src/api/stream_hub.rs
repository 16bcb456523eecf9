//! The live streams' hub: one task reads the inbox's event bus, encodes each event as
//! JSON once, and hands the frame to the streams subscribed to its shop — so an event
//! costs one encoding and one offer per stream that may see it, whatever the number of
//! open streams. The hub writes a stream's frames to its connection itself when they go
//! at once ([`Wire`]: no wake-up of the stream's task); what the connection does not
//! take waits on the wire, at most [`QUEUE`] frames. A stream that falls that far
//! behind (the frames are shared, so a full queue holds pointers) loses what does not
//! fit and gets `resync` as soon as there is room again (its client reloads); the hub
//! never waits for a stream. A stall that lasts is ended by the socket's send time
//! limit.
//!
//! The hub is also the one listener, for every stream, of what else a stream acts on:
//! owner events (to the seller's main account's streams), accounts changes (each stream
//! of the seller checks its credential again: [`Signal::Recheck`]) and the daemon's
//! shutdown ([`Signal::Close`]). A stream then waits on its wire and its signals alone —
//! with 10,000 streams, a bus receiver or phase watcher of each, polled at every frame,
//! cost more than the frames' own queues.
//!
//! Several daemons (PostgreSQL): the hub also tells every stream the live-event log's
//! position (`cursor` frames, at most every [`CURSOR_EVERY`]), on the same wire as the
//! events, after every event handed to the bus before the position moved — so a cursor
//! never runs ahead of what its stream was sent.

use super::socket::{Farewell, Phase, SocketPolicy};
use super::wire::{Offered, Wire};
use super::ws_upgrade::text_frame;
use axum::body::Bytes;
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

/// What a stream's task is told besides frames.
pub enum Signal {
    /// The seller's accounts changed: check the stream's credential again.
    Recheck,
    /// The daemon stops: say goodbye this way and end.
    Close(Farewell),
}

/// A stream's place in the hub.
struct Subscriber {
    id: u64,
    /// Its connection's writing side.
    wire: Arc<Wire>,
    signals: mpsc::UnboundedSender<Signal>,
    /// How many frames may wait.
    room: usize,
    /// Frames were lost: `resync` goes first when there is room.
    lagged: AtomicBool,
    /// Its account's seller.
    seller: SellerId,
}

impl Subscriber {
    /// Writes or queues frames, or notes their loss; never waits.
    fn offer(&self, frames: Vec<Bytes>) {
        if self.lagged.load(Ordering::Relaxed) {
            if self.wire.offer(vec![resync_frame()], self.room) == Offered::Full {
                return;
            }
            self.lagged.store(false, Ordering::Relaxed);
        }
        if self.wire.offer(frames, self.room) == Offered::Full {
            self.lagged.store(true, Ordering::Relaxed);
        }
    }

    /// Tells the stream's task whatever the frames waiting: signals are rare, and must
    /// not be lost.
    fn signal(&self, signal: Signal) {
        let _ = self.signals.send(signal);
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

    /// Every subscriber.
    fn everyone(&self) -> Vec<Arc<Subscriber>> {
        self.all.values().cloned().collect()
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
    /// The writers' queues (none: the hub writes itself, in tests).
    writers: Vec<mpsc::Sender<Part>>,
}

/// Frames for some streams, in order, handed to one writer.
type Part = Vec<(Arc<Subscriber>, Vec<Bytes>)>;

/// Parts a writer may have waiting before the hub waits for it (and falls behind on the
/// bus: every stream then gets `resync`).
const PARTS_WAITING: usize = 64;

/// A stream's subscription: its wire, which the hub writes its frames to, and its
/// signals; dropped, it leaves the hub.
pub struct Subscription {
    id: u64,
    owner_of: Option<SellerId>,
    hub: Arc<StreamHub>,
    signals: mpsc::UnboundedReceiver<Signal>,
    wire: Arc<Wire>,
}

impl Subscription {
    /// Follows the shops `shops` from now on (after the viewer changed).
    pub fn follow(&self, shops: HashSet<ShopId>) {
        let mut routes = self.hub.routes.lock().unwrap_or_else(|e| e.into_inner());
        routes.unroute(self.id);
        routes.route(self.id, shops);
    }

    /// The wire the hub writes this stream's frames to (opened by the stream's task).
    pub fn wire(&self) -> Arc<Wire> {
        self.wire.clone()
    }

    /// The next signal; none once the hub is gone. Cancel-safe.
    pub async fn signal(&mut self) -> Option<Signal> {
        self.signals.recv().await
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
        let count = std::thread::available_parallelism().map_or(2, |n| n.get());
        let writers = (0..count)
            .map(|_| {
                let (to, parts) = mpsc::channel(PARTS_WAITING);
                // Out of tokio's cooperative budget: its writes count against it, and
                // past 128 in one turn each would fail as if the connection were full.
                tokio::spawn(tokio::task::unconstrained(write_parts(parts)));
                to
            })
            .collect();
        let hub = Arc::new(Self::new(writers));
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

    fn new(writers: Vec<mpsc::Sender<Part>>) -> Self {
        Self { routes: Mutex::default(), next_id: AtomicU64::new(0), writers }
    }

    /// Subscribes a stream of an account of `seller` to the events of `shops`; with
    /// `owner` (the seller's main account), also to the seller's shops added later and
    /// to its owner events.
    pub fn subscribe(
        self: &Arc<Self>, shops: HashSet<ShopId>, seller: SellerId, owner: bool,
    ) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (signals_to, signals) = mpsc::unbounded_channel();
        let wire = Wire::new();
        let sub = Arc::new(Subscriber {
            id,
            wire: wire.clone(),
            signals: signals_to,
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
            sub.signal(Signal::Close(farewell));
        }
        routes.all.insert(id, sub);
        routes.route(id, shops);
        let owner_of = owner.then_some(seller);
        if let Some(seller) = owner_of {
            routes.owners.entry(seller).or_default().insert(id);
        }
        Subscription { id, owner_of, hub: self.clone(), signals, wire }
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
                        if self.gather(Some(e), events, added).await.is_none() {
                            return;
                        }
                    }
                    Err(RecvError::Lagged(_)) => self.to_all(&resync_frame()).await,
                    Err(RecvError::Closed) => return,
                },
                _ = tick.tick(), if cursor.is_some() => {
                    let now = cursor.as_mut().map(|c| *c.borrow_and_update());
                    if now != sent_cursor {
                        // What the bus had before the position moved goes first.
                        if !self.drain(events, added).await {
                            return;
                        }
                        sent_cursor = now;
                        if let Some(now) = now {
                            self.tell_cursor(now).await;
                        }
                    }
                }
                changed = accounts.recv(), if accounts_open => match changed {
                    Ok(seller) => self.recheck(Some(seller)),
                    // A lost change may be anyone's: every stream checks.
                    Err(RecvError::Lagged(_)) => self.recheck(None),
                    Err(RecvError::Closed) => accounts_open = false,
                },
                Ok((seller, event)) = owners.recv() => self.to_owners(seller, &event).await,
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
    async fn drain(
        &self, events: &mut broadcast::Receiver<InboxEvent>,
        added: &mut broadcast::Receiver<(SellerId, ShopId)>,
    ) -> bool {
        loop {
            match self.gather(None, events, added).await {
                Some(true) => {}
                Some(false) => return true,
                None => return false,
            }
        }
    }

    /// Dispatches `first` and what else waits on the bus, up to [`BATCH`] events, as one
    /// batch (a lag in between splits it: `resync` goes after what came before). Whether
    /// the batch was full (more may wait); none once the bus is closed.
    async fn gather(
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
                    self.dispatch(&std::mem::take(&mut batch), added).await;
                    self.to_all(&resync_frame()).await;
                }
                Err(TryRecvError::Closed) => break None,
            }
        };
        self.dispatch(&batch, added).await;
        open
    }

    /// Encodes each event once and hands every stream its share of the batch, in order,
    /// as one offer: one write for a stream's share (an event and the conversation
    /// change it made, say). The writes happen outside the routes' lock, which a stream
    /// opening or closing takes.
    async fn dispatch(
        &self, batch: &[InboxEvent], added: &mut broadcast::Receiver<(SellerId, ShopId)>,
    ) {
        if batch.is_empty() {
            return;
        }
        // A shop added before these events were published is followed first.
        self.follow_added(added);
        let shares = self.shares(batch);
        self.hand_out(shares.into_values()).await;
    }

    /// Each stream's frames of `batch`, in order, each event encoded once.
    fn shares(&self, batch: &[InboxEvent]) -> HashMap<u64, (Arc<Subscriber>, Vec<Bytes>)> {
        let mut shares: HashMap<u64, (Arc<Subscriber>, Vec<Bytes>)> = HashMap::new();
        self.with_routes(|routes| {
            for event in batch {
                let Some(subs) = routes.by_shop.get(&event.shop_id()) else { continue };
                let frame = text_frame(serde_json::to_vec(event).unwrap_or_default());
                for (id, sub) in subs {
                    let share = shares.entry(*id).or_insert_with(|| (sub.clone(), Vec::new()));
                    share.1.push(frame.clone());
                }
            }
        });
        shares
    }

    /// Hands each stream its frames through its writer: a stream always has the same
    /// one, so its frames keep their order, and the writers write in parallel. Waits
    /// while a writer's queue is full.
    async fn hand_out(&self, shares: impl IntoIterator<Item = (Arc<Subscriber>, Vec<Bytes>)>) {
        if self.writers.is_empty() {
            for (sub, frames) in shares {
                sub.offer(frames);
            }
            return;
        }
        let mut parts: Vec<Part> = vec![Vec::new(); self.writers.len()];
        for (sub, frames) in shares {
            parts[sub.id as usize % self.writers.len()].push((sub, frames));
        }
        for (writer, part) in self.writers.iter().zip(parts) {
            if !part.is_empty() {
                let _ = writer.send(part).await;
            }
        }
    }

    /// Runs `f` under the routes' lock (never across a write: writes happen after it).
    fn with_routes<T>(&self, f: impl FnOnce(&mut Routes) -> T) -> T {
        f(&mut self.routes.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Hands `frame` to each of `subs` through their writers.
    async fn offer_each(&self, subs: Vec<Arc<Subscriber>>, frame: Bytes) {
        self.hand_out(subs.into_iter().map(|sub| (sub, vec![frame.clone()]))).await;
    }

    /// Has the streams of `seller` (every stream, for none) check their credential.
    fn recheck(&self, seller: Option<SellerId>) {
        let subs: Vec<_> = self.with_routes(|routes| {
            let subs = routes.all.values();
            subs.filter(|s| seller.is_none_or(|x| s.seller == x)).cloned().collect()
        });
        for sub in subs {
            sub.signal(Signal::Recheck);
        }
    }

    /// Hands an owner event to the seller's main account's streams.
    async fn to_owners(&self, seller: SellerId, event: &shopmux_core::events::OwnerEvent) {
        let subs: Vec<_> = self.with_routes(|routes| {
            let ids = routes.owners.get(&seller).into_iter().flatten();
            ids.filter_map(|id| routes.all.get(id).cloned()).collect()
        });
        if !subs.is_empty() {
            let frame = text_frame(serde_json::to_vec(event).unwrap_or_default());
            self.offer_each(subs, frame).await;
        }
    }

    /// Tells every stream, and every later one, that the daemon stops.
    fn close_all(&self, farewell: Farewell) {
        let subs = self.with_routes(|routes| {
            routes.closing = Some(farewell);
            routes.everyone()
        });
        for sub in subs {
            sub.signal(Signal::Close(farewell));
        }
    }

    async fn tell_cursor(&self, cursor: i64) {
        let subs = self.with_routes(|routes| {
            routes.cursor = Some(cursor);
            routes.everyone()
        });
        self.offer_each(subs, cursor_frame(cursor)).await;
    }

    async fn to_all(&self, frame: &Bytes) {
        let subs = self.with_routes(|routes| routes.everyone());
        self.offer_each(subs, frame.clone()).await;
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

/// A writer: offers each stream its frames, part after part, as the hub hands them out.
async fn write_parts(mut parts: mpsc::Receiver<Part>) {
    while let Some(part) = parts.recv().await {
        for (sub, frames) in part {
            sub.offer(frames);
        }
    }
}

fn cursor_frame(cursor: i64) -> Bytes {
    text_frame(format!(r#"{{"type":"cursor","cursor":{cursor}}}"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subscriber with room for `room` frames, its wire (never opened: what the hub
    /// offers stays queued) and its signals.
    fn subscriber(room: usize, seller: SellerId) -> (Subscriber, mpsc::UnboundedReceiver<Signal>) {
        let (signals, received) = mpsc::unbounded_channel();
        let wire = Wire::new();
        (Subscriber { id: 0, wire, signals, room, lagged: false.into(), seller }, received)
    }

    /// The texts of frames (short ones: a two-byte header).
    fn texts(frames: &[Bytes]) -> Vec<String> {
        frames.iter().map(|f| String::from_utf8(f[2..].to_vec()).unwrap()).collect()
    }

    /// Takes what waits on `wire` off it, as the stream's task writing it would.
    fn take(wire: &Wire) -> Vec<String> {
        texts(&wire.take_queued())
    }

    #[test]
    fn a_stream_that_falls_behind_loses_frames_then_gets_resync_before_the_next() {
        let (sub, _signals) = subscriber(2, SellerId::new());
        for n in ["1", "2", "3"] {
            sub.offer(vec![text_frame(n)]);
        }
        assert_eq!(take(&sub.wire), ["1", "2"], "3 was lost");
        // Room for the resync, not for both of 4 and 5 behind it: lost too.
        sub.offer(vec![text_frame("4"), text_frame("5")]);
        assert_eq!(take(&sub.wire), [RESYNC]);
        sub.offer(vec![text_frame("6")]);
        assert_eq!(take(&sub.wire), [RESYNC, "6"], "a resync before the next frame");
        sub.offer(vec![text_frame("7")]);
        assert_eq!(take(&sub.wire), ["7"]);
    }

    #[test]
    fn signals_reach_a_stream_whose_wire_is_full() {
        let (sub, mut signals) = subscriber(1, SellerId::new());
        sub.offer(vec![text_frame("1")]);
        sub.offer(vec![text_frame("2")]);
        sub.signal(Signal::Recheck);
        sub.signal(Signal::Close(Farewell::Restart));
        assert_eq!(take(&sub.wire), ["1"], "2 found no room");
        assert!(matches!(signals.try_recv(), Ok(Signal::Recheck)));
        assert!(matches!(signals.try_recv(), Ok(Signal::Close(Farewell::Restart))));
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
    async fn a_batch_reaches_each_stream_as_its_shops_frames_in_order() {
        let hub = Arc::new(StreamHub::new(Vec::new()));
        let (a, b, unseen) = (ShopId::new(), ShopId::new(), ShopId::new());
        let seller = SellerId::new();
        let of_a = hub.subscribe(HashSet::from([a]), seller, false);
        let of_both = hub.subscribe(HashSet::from([a, b]), seller, false);
        let batch = [event_of(a), event_of(unseen), event_of(b), event_of(a)];
        let (_tx, mut added) = broadcast::channel(1);
        hub.dispatch(&batch, &mut added).await;
        let frame = |e: &InboxEvent| text_frame(serde_json::to_vec(e).unwrap());
        assert_eq!(of_a.wire().queued(), [frame(&batch[0]), frame(&batch[3])]);
        let expected = [frame(&batch[0]), frame(&batch[2]), frame(&batch[3])];
        assert_eq!(of_both.wire().queued(), expected, "in order");
    }

    #[tokio::test]
    async fn the_hub_writes_an_open_streams_frames_to_its_connection_itself() {
        let hub = Arc::new(StreamHub::new(Vec::new()));
        let shop = ShopId::new();
        let stream = hub.subscribe(HashSet::from([shop]), SellerId::new(), false);
        let (ours, mut theirs) = tokio::io::duplex(4096);
        stream.wire().attach(ours);
        stream.wire().open_with(Vec::new());
        let (_tx, mut added) = broadcast::channel(1);
        let event = event_of(shop);
        hub.dispatch(std::slice::from_ref(&event), &mut added).await;
        assert!(stream.wire().queued().is_empty(), "nothing left for the stream's task");
        let expected = text_frame(serde_json::to_vec(&event).unwrap());
        let mut got = vec![0; expected.len()];
        tokio::io::AsyncReadExt::read_exact(&mut theirs, &mut got).await.unwrap();
        assert_eq!(got, expected);
    }

    #[tokio::test]
    async fn accounts_changes_reach_the_sellers_streams_and_a_shutdown_reaches_every_stream() {
        let hub = Arc::new(StreamHub::new(Vec::new()));
        let (ours, theirs) = (SellerId::new(), SellerId::new());
        let mut agent = hub.subscribe(HashSet::new(), ours, false);
        let mut other = hub.subscribe(HashSet::new(), theirs, true);
        hub.recheck(Some(ours));
        assert!(matches!(agent.signal().await, Some(Signal::Recheck)));
        hub.close_all(Farewell::GoingAway);
        let late = hub.subscribe(HashSet::new(), ours, false);
        for stream in [&mut agent, &mut other] {
            assert!(matches!(stream.signal().await, Some(Signal::Close(Farewell::GoingAway))));
        }
        let mut late = late;
        assert!(matches!(late.signal().await, Some(Signal::Close(Farewell::GoingAway))));
        assert!(other.signals.try_recv().is_err(), "the other seller's stream: no recheck");
    }
}
