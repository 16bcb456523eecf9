//! The event bus: what changed in the inbox, pushed to live streams after the change
//! is committed. In-process `tokio::sync::broadcast`; receivers that fall behind are
//! told they lagged so they can resynchronize through the API. Beside it, the accounts
//! bus: a seller whose accounts, grants or tokens changed, so every live stream of that
//! seller re-reads who it serves (a revoked grant or a deactivated agent bites at once).
//!
//! Several daemons on one PostgreSQL database: once [`EventBus::relay_to`] is set (by
//! `services::live`), everything published here is also handed to the relay as a
//! [`Relayed`] record, which appends it to the database's event log for the other
//! daemons; what they appended comes back through the `*_local` methods, which do not
//! relay again.

use crate::domain::faq_bot::HandOffReason;
use crate::domain::ids::{AgentId, ConversationId, MessageId, SellerId, ShopId};
use crate::domain::model::{Conversation, Message};
use crate::domain::ratings::Rating;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use tokio::sync::{Notify, broadcast, mpsc};

/// One change in the inbox.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxEvent {
    /// A message was stored (inbound or outbound).
    MessageCreated {
        /// The message.
        message: Message,
    },
    /// A message's delivery status changed.
    MessageUpdated {
        /// The message.
        message: Message,
    },
    /// A conversation's state changed.
    ConversationUpdated {
        /// The conversation after the change.
        conversation: Conversation,
    },
    /// A buyer rated the service (DY-RATE-1).
    RatingReceived {
        /// The rating.
        rating: Rating,
    },
    /// The FAQ bot handed a conversation to a human: it now waits for routing
    /// (DY-BOT-3, DY-BOT-4).
    BotHandOff {
        /// The shop.
        shop_id: ShopId,
        /// The conversation.
        conversation_id: ConversationId,
        /// Why.
        reason: HandOffReason,
    },
    /// A conversation's first reply is about to miss its shop's service-level target
    /// (told once per due time, the shop's lead time ahead).
    BreachSoon {
        /// The shop.
        shop_id: ShopId,
        /// The conversation.
        conversation_id: ConversationId,
        /// The agent holding it (none: unassigned).
        assignee_id: Option<AgentId>,
        /// When the target falls due.
        due_at: chrono::DateTime<chrono::Utc>,
    },
    /// A shop's service figures changed (issue 17): for the agent named, or for the
    /// shop alone. Sent at most once a second per shop and agent; clients re-read the
    /// figures they show.
    ServiceDataChanged {
        /// The shop.
        shop_id: ShopId,
        /// The agent whose figures changed (none: the shop's only). A change inside the
        /// second after a push is pushed once at that second's end.
        agent_id: Option<AgentId>,
        /// The conversation whose event changed them.
        conversation_id: ConversationId,
    },
}

impl InboxEvent {
    /// The shop the event belongs to (for visibility filtering).
    pub fn shop_id(&self) -> ShopId {
        match self {
            Self::MessageCreated { message } | Self::MessageUpdated { message } => message.shop_id,
            Self::ConversationUpdated { conversation } => conversation.shop_id,
            Self::RatingReceived { rating } => rating.shop_id,
            Self::BotHandOff { shop_id, .. }
            | Self::BreachSoon { shop_id, .. }
            | Self::ServiceDataChanged { shop_id, .. } => *shop_id,
        }
    }

    /// The conversation the event belongs to.
    pub fn conversation_id(&self) -> ConversationId {
        match self {
            Self::MessageCreated { message } | Self::MessageUpdated { message } => {
                message.conversation_id
            }
            Self::ConversationUpdated { conversation } => conversation.id,
            Self::RatingReceived { rating } => rating.conversation_id,
            Self::BotHandOff { conversation_id, .. }
            | Self::BreachSoon { conversation_id, .. }
            | Self::ServiceDataChanged { conversation_id, .. } => *conversation_id,
        }
    }
}

/// A change only a seller's main account is told about, on its live stream.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OwnerEvent {
    /// A webhook endpoint failed for the whole `webhooks.pause_after_secs` and was
    /// paused: nothing more is attempted until the owner resumes it.
    WebhookEndpointPaused {
        /// The endpoint, paused.
        endpoint: crate::domain::webhooks::WebhookEndpoint,
    },
    /// A shop's connection changed: connected through the platform's authorization page,
    /// revoked or about to expire (reconnect from Settings).
    ConnectionChanged {
        /// The shop.
        shop_id: ShopId,
        /// Its connection's status now (`connected`, `revoked`, `expiring`, ...).
        status: String,
        /// Why, when it is not `connected`.
        status_detail: Option<String>,
    },
    /// A privacy request a platform forwarded was carried out.
    PrivacyRequestDone {
        /// The shop.
        shop_id: ShopId,
        /// The request's id (`GET /api/v1/privacy-requests/{id}`).
        request_id: String,
        /// `export`, `redact_buyers` or `redact_shop`.
        kind: String,
    },
}

/// What one daemon tells the others through the event log: ids where the rest can be
/// read on demand (messages, conversations), small events whole.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "k", rename_all = "snake_case")]
pub enum Relayed {
    /// A message was stored (`updated`: its delivery status changed).
    Message {
        /// The message.
        id: MessageId,
        /// Whether it is an update rather than a new message.
        #[serde(default)]
        updated: bool,
    },
    /// A conversation changed.
    Conversation {
        /// The conversation.
        id: ConversationId,
    },
    /// Any other inbox event, whole.
    Event {
        /// The event.
        event: Box<InboxEvent>,
    },
    /// A seller's accounts changed.
    Accounts,
    /// An event for a seller's main account.
    Owner {
        /// The event.
        event: Box<OwnerEvent>,
    },
    /// A frame for a storefront customer whose chat socket is on daemon `instance`.
    Storefront {
        /// The daemon holding the socket.
        instance: String,
        /// The customer (the buyer's id on the platform).
        buyer: String,
        /// The frame, JSON text.
        frame: String,
    },
    /// Several inbox events of one commit (an ingest group), in order, each with its
    /// shop: one record instead of one per event.
    Group {
        /// The events.
        entries: Vec<GroupEntry>,
    },
}

/// One event of a [`Relayed::Group`]: its shop and what it says (never a group).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GroupEntry(pub ShopId, pub Relayed);

/// A record for the event log: the shop and seller it concerns, and what it says.
#[derive(Clone, Debug)]
pub struct RelayRecord {
    /// The shop, when it concerns one.
    pub shop_id: Option<ShopId>,
    /// The seller, when it concerns one.
    pub seller_id: Option<SellerId>,
    /// What it says.
    pub body: Relayed,
}

impl RelayRecord {
    /// The record of an inbox event.
    pub fn of_event(event: &InboxEvent) -> Self {
        let body = match event {
            InboxEvent::MessageCreated { message } => {
                Relayed::Message { id: message.id, updated: false }
            }
            InboxEvent::MessageUpdated { message } => {
                Relayed::Message { id: message.id, updated: true }
            }
            InboxEvent::ConversationUpdated { conversation } => {
                Relayed::Conversation { id: conversation.id }
            }
            other => Relayed::Event { event: Box::new(other.clone()) },
        };
        Self { shop_id: Some(event.shop_id()), seller_id: None, body }
    }

    /// One record of several inbox events (one commit's): a group, under their shop
    /// when they share one; a single event's own record.
    pub fn of_events(events: &[InboxEvent]) -> Option<Self> {
        let (first, rest) = events.split_first()?;
        if rest.is_empty() {
            return Some(Self::of_event(first));
        }
        let shop = first.shop_id();
        let entries =
            events.iter().map(|e| GroupEntry(e.shop_id(), Self::of_event(e).body)).collect();
        Some(Self {
            shop_id: rest.iter().all(|e| e.shop_id() == shop).then_some(shop),
            seller_id: None,
            body: Relayed::Group { entries },
        })
    }
}

/// A frame for a storefront customer: (shop, customer, frame).
pub type StorefrontFrame = (ShopId, String, String);

/// The publishing side of the bus; clone freely.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<InboxEvent>,
    accounts: broadcast::Sender<SellerId>,
    owners: broadcast::Sender<(SellerId, OwnerEvent)>,
    storefront: broadcast::Sender<StorefrontFrame>,
    shops: broadcast::Sender<(SellerId, ShopId)>,
    relay: Arc<OnceLock<Relay>>,
}

/// Where this daemon's events go for the others: its id in the log, the appender's
/// channel, and the signal that records were appended with a commit of their own.
#[derive(Debug)]
struct Relay {
    origin: String,
    records: mpsc::UnboundedSender<RelayRecord>,
    appended: Arc<Notify>,
}

impl EventBus {
    /// A bus keeping up to `capacity` undelivered events per receiver.
    pub fn new(capacity: usize) -> Self {
        Self {
            tx: broadcast::channel(capacity).0,
            accounts: broadcast::channel(256).0,
            owners: broadcast::channel(64).0,
            storefront: broadcast::channel(1024).0,
            shops: broadcast::channel(256).0,
            relay: Arc::default(),
        }
    }

    /// From now on, hands every published event to `records` too, for the other
    /// daemons, and [`logged`](Self::logged) signals `appended`; `origin` is this
    /// daemon's id in the log.
    pub fn relay_to(
        &self, origin: String, records: mpsc::UnboundedSender<RelayRecord>, appended: Arc<Notify>,
    ) {
        let _ = self.relay.set(Relay { origin, records, appended });
    }

    /// This daemon's id in the log, when events are relayed to other daemons.
    pub fn relay_origin(&self) -> Option<&str> {
        self.relay.get().map(|relay| relay.origin.as_str())
    }

    /// Says, after the commit, that a transaction of this daemon appended records to the
    /// log itself (an ingest group's): the relay announces them to the other daemons.
    pub fn logged(&self) {
        if let Some(relay) = self.relay.get() {
            relay.appended.notify_one();
        }
    }

    fn relay(&self, record: impl FnOnce() -> RelayRecord) {
        if let Some(relay) = self.relay.get() {
            let _ = relay.records.send(record());
        }
    }

    /// Tells a seller's main account, after the commit; nobody listening is fine.
    pub fn tell_owner(&self, seller: SellerId, event: OwnerEvent) {
        self.relay(|| RelayRecord {
            shop_id: None,
            seller_id: Some(seller),
            body: Relayed::Owner { event: Box::new(event.clone()) },
        });
        self.tell_owner_local(seller, event);
    }

    /// Tells this daemon's streams of an owner event (another daemon's, from the log).
    pub fn tell_owner_local(&self, seller: SellerId, event: OwnerEvent) {
        let _ = self.owners.send((seller, event));
    }

    /// A new receiver of every later owner event (of every seller: filter by seller).
    pub fn subscribe_owners(&self) -> broadcast::Receiver<(SellerId, OwnerEvent)> {
        self.owners.subscribe()
    }

    /// Says, after the commit, that accounts of a seller changed (grants, chat
    /// permission, activation, tokens); nobody listening is fine.
    pub fn accounts_changed(&self, seller: SellerId) {
        self.relay(|| RelayRecord {
            shop_id: None,
            seller_id: Some(seller),
            body: Relayed::Accounts,
        });
        self.accounts_changed_local(seller);
    }

    /// Tells this daemon's streams that a seller's accounts changed (on another daemon).
    pub fn accounts_changed_local(&self, seller: SellerId) {
        let _ = self.accounts.send(seller);
    }

    /// A new receiver of every later accounts change (a receiver that lagged should
    /// re-read its viewer: it may have missed its own seller).
    pub fn subscribe_accounts(&self) -> broadcast::Receiver<SellerId> {
        self.accounts.subscribe()
    }

    /// Publishes; nobody listening is fine.
    pub fn publish(&self, event: InboxEvent) {
        self.relay(|| RelayRecord::of_event(&event));
        self.publish_local(event);
    }

    /// Publishes to this daemon's streams only: the event is in the log already (written
    /// with its change, or read from another daemon).
    pub fn publish_local(&self, event: InboxEvent) {
        let _ = self.tx.send(event);
    }

    /// Says, after the commit, that a seller has a new shop: its main account's streams
    /// follow it from now on (on this daemon at once, before the shop can have events;
    /// on the others through the accounts change).
    pub fn shop_added(&self, seller: SellerId, shop: ShopId) {
        let _ = self.shops.send((seller, shop));
        self.accounts_changed(seller);
    }

    /// A new receiver of the shops added from now on.
    pub fn subscribe_shops(&self) -> broadcast::Receiver<(SellerId, ShopId)> {
        self.shops.subscribe()
    }

    /// A new receiver of every later event.
    pub fn subscribe(&self) -> broadcast::Receiver<InboxEvent> {
        self.tx.subscribe()
    }

    /// Whether any stream of this daemon listens to inbox events.
    pub fn has_subscribers(&self) -> bool {
        self.tx.receiver_count() > 0
    }

    /// Hands a storefront frame to daemon `instance`, whose socket the customer holds.
    pub fn relay_storefront(&self, instance: &str, shop: ShopId, buyer: &str, frame: &str) -> bool {
        let Some(relay) = self.relay.get() else { return false };
        let body = Relayed::Storefront {
            instance: instance.to_owned(),
            buyer: buyer.to_owned(),
            frame: frame.to_owned(),
        };
        relay.records.send(RelayRecord { shop_id: Some(shop), seller_id: None, body }).is_ok()
    }

    /// Passes a storefront frame another daemon handed over to this daemon's sockets.
    pub fn storefront_local(&self, frame: StorefrontFrame) {
        let _ = self.storefront.send(frame);
    }

    /// A new receiver of the storefront frames other daemons hand over.
    pub fn subscribe_storefront(&self) -> broadcast::Receiver<StorefrontFrame> {
        self.storefront.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(shop: ShopId) -> InboxEvent {
        InboxEvent::ServiceDataChanged {
            shop_id: shop,
            agent_id: None,
            conversation_id: ConversationId::new(),
        }
    }

    #[test]
    fn one_commits_events_make_one_record_under_their_shop_when_they_share_it() {
        let (a, b) = (ShopId::new(), ShopId::new());
        assert!(RelayRecord::of_events(&[]).is_none());
        let single = RelayRecord::of_events(&[changed(a)]).expect("a record");
        assert!(matches!(single.body, Relayed::Event { .. }) && single.shop_id == Some(a));
        let same = RelayRecord::of_events(&[changed(a), changed(a)]).expect("a record");
        assert_eq!(same.shop_id, Some(a));
        let mixed = RelayRecord::of_events(&[changed(a), changed(b)]).expect("a record");
        assert_eq!(mixed.shop_id, None);
        // What the log stores reads back with each entry's shop, in order.
        let text = serde_json::to_string(&mixed.body).unwrap();
        let Relayed::Group { entries } = serde_json::from_str(&text).unwrap() else {
            panic!("a group: {text}")
        };
        let shops: Vec<ShopId> = entries.iter().map(|GroupEntry(shop, _)| *shop).collect();
        assert_eq!(shops, vec![a, b]);
    }
}
