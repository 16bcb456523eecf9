//! The AliExpress simulator's message centre: relations (one per seller and buyer) with
//! their messages, the sellers' orders, and the log of accepted `addmsg` calls. Relations
//! and messages are stored as the handle shows them ([`RelationSnapshot`]).
//!
//! Ids are deterministic digit strings: relations `1157900000NN`, messages
//! `70000000NNNNN`, growing with insertion, so a later message has a larger id.

use chrono::{DateTime, Utc};

use super::{Buyer, BuyerMessage, MessageSnapshot, Order, RelationSnapshot, SentMessage};

impl RelationSnapshot {
    /// The latest message, if any.
    pub(crate) fn last(&self) -> Option<&MessageSnapshot> {
        self.messages.last()
    }

    /// When the latest message was sent (relations always hold one).
    pub(crate) fn message_time(&self) -> Option<DateTime<Utc>> {
        self.last().map(|m| m.sent_at)
    }
}

/// Every relation, order and accepted send.
#[derive(Debug)]
pub(crate) struct MessageStore {
    relations: Vec<RelationSnapshot>,
    orders: Vec<(String, Order)>,
    sent: Vec<SentMessage>,
    next_channel: u64,
    next_message: u64,
}

impl MessageStore {
    /// An empty store.
    pub(crate) fn new() -> Self {
        MessageStore {
            relations: Vec::new(),
            orders: Vec::new(),
            sent: Vec::new(),
            next_channel: 1,
            next_message: 1,
        }
    }

    /// Adds a message from (or to) a buyer, creating the relation if needed; returns the
    /// channel and message ids.
    pub(crate) fn add(
        &mut self, seller: &str, buyer: &Buyer, message: &BuyerMessage, from_buyer: bool,
        now: DateTime<Utc>,
    ) -> (String, String) {
        let id = format!("{}", 70_000_000_000_000u64 + self.next_message);
        self.next_message += 1;
        let index = match self
            .relations
            .iter()
            .position(|r| r.seller == seller && r.buyer.login_id == buyer.login_id)
        {
            Some(index) => index,
            None => {
                let channel_id = format!("{}", 115_790_000_000u64 + self.next_channel);
                self.next_channel += 1;
                self.relations.push(RelationSnapshot {
                    channel_id,
                    seller: seller.to_owned(),
                    buyer: buyer.clone(),
                    read: true,
                    unread_count: 0,
                    messages: Vec::new(),
                });
                self.relations.len() - 1
            }
        };
        let relation = &mut self.relations[index];
        relation.messages.push(MessageSnapshot {
            id: id.clone(),
            from_buyer,
            content: message.content.clone(),
            message_type: message.message_type.clone(),
            extern_id: message.extern_id.clone(),
            images: message.images.clone(),
            sent_at: now,
        });
        if from_buyer {
            relation.read = false;
            relation.unread_count += 1;
        }
        (relation.channel_id.clone(), id)
    }

    /// Adds an order to a seller's shop.
    pub(crate) fn add_order(&mut self, seller: &str, order: Order) {
        self.orders.push((seller.to_owned(), order));
    }

    /// A seller's order.
    pub(crate) fn order(&self, seller: &str, order_id: &str) -> Option<&Order> {
        self.orders.iter().find(|(s, o)| s == seller && o.id == order_id).map(|(_, o)| o)
    }

    /// A seller's orders.
    pub(crate) fn orders(&self, seller: &str) -> impl Iterator<Item = &Order> {
        self.orders.iter().filter(move |(s, _)| s == seller).map(|(_, o)| o)
    }

    /// The buyer, by login id, known to the seller from a relation or an order.
    pub(crate) fn known_buyer(&self, seller: &str, login_id: &str) -> Option<Buyer> {
        self.relations
            .iter()
            .find(|r| r.seller == seller && r.buyer.login_id == login_id)
            .map(|r| r.buyer.clone())
            .or_else(|| {
                self.orders(seller).find(|o| o.buyer.login_id == login_id).map(|o| o.buyer.clone())
            })
    }

    /// A seller's relations, most recently active first.
    pub(crate) fn relations(&self, seller: &str) -> Vec<&RelationSnapshot> {
        let mut list: Vec<&RelationSnapshot> =
            self.relations.iter().filter(|r| r.seller == seller).collect();
        list.sort_by_key(|r| std::cmp::Reverse(r.message_time()));
        list
    }

    /// A seller's relation by id.
    pub(crate) fn relation(&self, seller: &str, channel_id: &str) -> Option<&RelationSnapshot> {
        self.relations.iter().find(|r| r.seller == seller && r.channel_id == channel_id)
    }

    /// Marks a seller's relation read; false when there is no such relation.
    pub(crate) fn mark_read(&mut self, seller: &str, channel_id: &str) -> bool {
        match self.relations.iter_mut().find(|r| r.seller == seller && r.channel_id == channel_id) {
            Some(relation) => {
                relation.read = true;
                relation.unread_count = 0;
                true
            }
            None => false,
        }
    }

    /// The relation of a seller with a buyer.
    pub(crate) fn channel_of(&self, seller: &str, buyer_login_id: &str) -> Option<String> {
        self.relations
            .iter()
            .find(|r| r.seller == seller && r.buyer.login_id == buyer_login_id)
            .map(|r| r.channel_id.clone())
    }

    /// Records an accepted send.
    pub(crate) fn record_send(&mut self, sent: SentMessage) {
        self.sent.push(sent);
    }

    /// Every accepted send.
    pub(crate) fn sent(&self) -> Vec<SentMessage> {
        self.sent.clone()
    }

    /// A copy of one relation.
    pub(crate) fn snapshot(&self, channel_id: &str) -> Option<RelationSnapshot> {
        let relation = self.relations.iter().find(|r| r.channel_id == channel_id);
        relation.cloned()
    }
}
