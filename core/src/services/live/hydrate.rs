//! Turning log records back into what the local bus carries, a group record event by
//! event: messages and conversations read by id in one query each (their state now,
//! which is never older than the record's), small events as they were written.

use crate::domain::ids::{ConversationId, MessageId, SellerId};
use crate::error::CoreResult;
use crate::events::{InboxEvent, OwnerEvent, Relayed, StorefrontFrame};
use crate::inbox::Inbox;
use crate::storage::live_events::{Entry, LiveRow};
use crate::storage::store::Store;
use crate::storage::write::Db;
use crate::storage::{conversations, messages};
use std::collections::HashMap;

/// What one record says, read back.
#[derive(Debug)]
pub enum Item {
    /// An inbox event for the streams.
    Inbox(Box<InboxEvent>),
    /// A seller's accounts changed.
    Accounts(SellerId),
    /// An event for a seller's main account.
    Owner(SellerId, Box<OwnerEvent>),
    /// A frame for a storefront customer on daemon `.0`.
    Storefront(String, StorefrontFrame),
}

/// The entries' items in order; inbox events only when `inbox_events` (reading them
/// costs a query per kind). An entry whose message or conversation is gone gives
/// nothing.
pub async fn resolve(
    store: &Store, entries: &[Entry<'_>], inbox_events: bool,
) -> CoreResult<Vec<Item>> {
    let (mut msgs, mut convs) = (Vec::new(), Vec::new());
    for entry in entries {
        match entry.body {
            Relayed::Message { id, .. } if inbox_events => msgs.push(*id),
            Relayed::Conversation { id } if inbox_events => convs.push(*id),
            _ => {}
        }
    }
    let msgs: HashMap<MessageId, _> =
        messages::get_many(Db::Pool(store), &msgs).await?.into_iter().map(|m| (m.id, m)).collect();
    let convs: HashMap<ConversationId, _> =
        conversations::get_many(store, &convs).await?.into_iter().map(|(_, c)| (c.id, c)).collect();
    Ok(entries.iter().filter_map(|entry| item(entry, inbox_events, &msgs, &convs)).collect())
}

fn item(
    entry: &Entry<'_>, inbox_events: bool,
    msgs: &HashMap<MessageId, crate::domain::model::Message>,
    convs: &HashMap<ConversationId, crate::domain::model::Conversation>,
) -> Option<Item> {
    let inbox = |e: InboxEvent| inbox_events.then(|| Item::Inbox(Box::new(e)));
    match entry.body {
        Relayed::Message { id, updated: false } => {
            inbox(InboxEvent::MessageCreated { message: msgs.get(id)?.clone() })
        }
        Relayed::Message { id, updated: true } => {
            inbox(InboxEvent::MessageUpdated { message: msgs.get(id)?.clone() })
        }
        Relayed::Conversation { id } => {
            inbox(InboxEvent::ConversationUpdated { conversation: convs.get(id)?.clone() })
        }
        Relayed::Event { event } => inbox((**event).clone()),
        Relayed::Accounts => Some(Item::Accounts(entry.seller_id?)),
        Relayed::Owner { event } => Some(Item::Owner(entry.seller_id?, event.clone())),
        Relayed::Storefront { instance, buyer, frame } => {
            Some(Item::Storefront(instance.clone(), (entry.shop_id?, buyer.clone(), frame.clone())))
        }
        // Groups are flattened into their entries (`LiveRow::entries`), never nested.
        Relayed::Group { .. } => None,
    }
}

/// Hands other daemons' records to this daemon's bus (inbox events only when a stream
/// listens; storefront frames only those for this daemon).
pub async fn publish(inbox: &Inbox, rows: &[&LiveRow]) -> CoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let bus = &inbox.events;
    let entries: Vec<Entry<'_>> = rows.iter().flat_map(|row| row.entries()).collect();
    for item in resolve(&inbox.store, &entries, bus.has_subscribers()).await? {
        match item {
            Item::Inbox(event) => bus.publish_local(*event),
            Item::Accounts(seller) => bus.accounts_changed_local(seller),
            Item::Owner(seller, event) => bus.tell_owner_local(seller, *event),
            Item::Storefront(instance, frame) if instance == inbox.instance_id => {
                bus.storefront_local(frame)
            }
            Item::Storefront(..) => {}
        }
    }
    Ok(())
}
