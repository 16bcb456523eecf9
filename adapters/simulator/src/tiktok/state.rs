//! The TikTok simulator's chat state: conversations and messages per shop, and the log of
//! accepted sends.
//!
//! Ids are deterministic digit strings (conversation ids pass as URL path segments).
//! A message's `index` is `create_time` followed by a six-digit sequence number, so it grows
//! with time as TikTok's does.

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::{Buyer, ConversationSnapshot, MessageSnapshot, SentMessage};
use crate::SimError;

/// One stored conversation.
#[derive(Debug, Clone)]
pub(crate) struct StoredConversation {
    pub(crate) id: String,
    pub(crate) buyer: Buyer,
    pub(crate) create_time: i64,
    pub(crate) unread_count: u32,
    pub(crate) can_send_message: bool,
    pub(crate) messages: Vec<StoredMessage>,
}

impl StoredConversation {
    /// Time of the latest message, or creation.
    pub(crate) fn last_activity(&self) -> i64 {
        self.messages.last().map_or(self.create_time, |message| message.create_time)
    }
}

/// One stored message.
#[derive(Debug, Clone)]
pub(crate) struct StoredMessage {
    pub(crate) id: String,
    pub(crate) index: String,
    pub(crate) kind: String,
    pub(crate) content: String,
    pub(crate) create_time: i64,
    pub(crate) sender_role: String,
    pub(crate) sender_im_user_id: String,
    pub(crate) sender_nickname: String,
}

/// One shop's chats.
#[derive(Debug, Default)]
struct ShopChats {
    name: String,
    im_user_id: String,
    conversations: Vec<StoredConversation>,
}

/// All shops' chats and the send log.
#[derive(Debug)]
pub(crate) struct ChatStore {
    shops: HashMap<String, ShopChats>,
    sent: Vec<SentMessage>,
    next_conversation: u64,
    next_message: u64,
    next_notification: u64,
}

/// A message to add.
pub(crate) struct NewMessage<'a> {
    pub(crate) kind: &'a str,
    pub(crate) content: &'a str,
    pub(crate) sender_role: &'a str,
    pub(crate) from_buyer: bool,
}

impl ChatStore {
    /// An empty store for `shops` (`(shop_id, shop_name)`).
    pub(crate) fn new<'a>(shops: impl IntoIterator<Item = (&'a str, &'a str)>) -> ChatStore {
        let mut map = HashMap::new();
        for (idx, (id, name)) in shops.into_iter().enumerate() {
            map.insert(
                id.to_owned(),
                ShopChats {
                    name: name.to_owned(),
                    im_user_id: format!("7494{:012}", idx + 1),
                    conversations: Vec::new(),
                },
            );
        }
        ChatStore {
            shops: map,
            sent: Vec::new(),
            next_conversation: 576_460_752_324_045_000,
            next_message: 7_327_112_393_057_372_000,
            next_notification: 7_327_112_393_057_371_000,
        }
    }

    /// Whether `shop_id` is configured.
    pub(crate) fn has_shop(&self, shop_id: &str) -> bool {
        self.shops.contains_key(shop_id)
    }

    /// The shop's display name and IM user id.
    pub(crate) fn shop_identity(&self, shop_id: &str) -> Option<(&str, &str)> {
        self.shops.get(shop_id).map(|shop| (shop.name.as_str(), shop.im_user_id.as_str()))
    }

    /// A fresh `tts_notification_id`.
    pub(crate) fn next_notification_id(&mut self) -> String {
        self.next_notification += 1;
        self.next_notification.to_string()
    }

    /// The shop's conversations, most recently active first.
    pub(crate) fn conversations(&self, shop_id: &str) -> Vec<&StoredConversation> {
        let mut list: Vec<&StoredConversation> = self
            .shops
            .get(shop_id)
            .map(|shop| shop.conversations.iter().collect())
            .unwrap_or_default();
        list.sort_by(|a, b| {
            b.last_activity().cmp(&a.last_activity()).then_with(|| b.id.cmp(&a.id))
        });
        list
    }

    pub(crate) fn conversation(
        &self, shop_id: &str, conversation_id: &str,
    ) -> Option<&StoredConversation> {
        self.shops
            .get(shop_id)?
            .conversations
            .iter()
            .find(|conversation| conversation.id == conversation_id)
    }

    fn conversation_mut(
        &mut self, shop_id: &str, conversation_id: &str,
    ) -> Option<&mut StoredConversation> {
        self.shops
            .get_mut(shop_id)?
            .conversations
            .iter_mut()
            .find(|conversation| conversation.id == conversation_id)
    }

    /// The buyer's conversation in the shop, created if there is none (TikTok's create
    /// conversation reopens an existing one with the same id). `id` forces the id of a new
    /// conversation.
    pub(crate) fn open_conversation(
        &mut self, shop_id: &str, buyer: &Buyer, id: Option<&str>, now: DateTime<Utc>,
    ) -> Result<String, SimError> {
        let shop =
            self.shops.get(shop_id).ok_or_else(|| SimError::UnknownShop(shop_id.to_owned()))?;
        if let Some(id) = id {
            if shop.conversations.iter().any(|c| c.id == id) {
                return Ok(id.to_owned());
            }
        } else if let Some(existing) =
            shop.conversations.iter().find(|c| c.buyer.user_id == buyer.user_id)
        {
            return Ok(existing.id.clone());
        }
        let id = match id {
            Some(id) => id.to_owned(),
            None => {
                self.next_conversation += 1;
                self.next_conversation.to_string()
            }
        };
        let shop =
            self.shops.get_mut(shop_id).ok_or_else(|| SimError::UnknownShop(shop_id.to_owned()))?;
        shop.conversations.push(StoredConversation {
            id: id.clone(),
            buyer: buyer.clone(),
            create_time: now.timestamp(),
            unread_count: 0,
            can_send_message: true,
            messages: Vec::new(),
        });
        Ok(id)
    }

    /// Appends a message; a buyer's message counts as unread.
    pub(crate) fn add_message(
        &mut self, shop_id: &str, conversation_id: &str, message: NewMessage<'_>,
        now: DateTime<Utc>,
    ) -> Result<StoredMessage, SimError> {
        self.next_message += 1;
        let id = self.next_message.to_string();
        let (shop_name, shop_im) = self
            .shop_identity(shop_id)
            .map(|(name, im)| (name.to_owned(), im.to_owned()))
            .ok_or_else(|| SimError::UnknownShop(shop_id.to_owned()))?;
        let conversation = self
            .conversation_mut(shop_id, conversation_id)
            .ok_or_else(|| SimError::UnknownConversation(conversation_id.to_owned()))?;
        let sequence = conversation.messages.len() + 1;
        let (sender_im_user_id, sender_nickname) = if message.from_buyer {
            (conversation.buyer.im_user_id.clone(), conversation.buyer.nickname.clone())
        } else {
            (shop_im, shop_name)
        };
        let stored = StoredMessage {
            id,
            index: format!("{}{sequence:06}", now.timestamp()),
            kind: message.kind.to_owned(),
            content: message.content.to_owned(),
            create_time: now.timestamp(),
            sender_role: message.sender_role.to_owned(),
            sender_im_user_id,
            sender_nickname,
        };
        if message.from_buyer {
            conversation.unread_count += 1;
        }
        conversation.messages.push(stored.clone());
        Ok(stored)
    }

    /// Sets the buyer's messages read.
    pub(crate) fn mark_read(&mut self, shop_id: &str, conversation_id: &str) -> bool {
        match self.conversation_mut(shop_id, conversation_id) {
            Some(conversation) => {
                conversation.unread_count = 0;
                true
            }
            None => false,
        }
    }

    pub(crate) fn set_can_send_message(
        &mut self, shop_id: &str, conversation_id: &str, can_send: bool,
    ) -> Result<(), SimError> {
        if !self.has_shop(shop_id) {
            return Err(SimError::UnknownShop(shop_id.to_owned()));
        }
        let conversation = self
            .conversation_mut(shop_id, conversation_id)
            .ok_or_else(|| SimError::UnknownConversation(conversation_id.to_owned()))?;
        conversation.can_send_message = can_send;
        Ok(())
    }

    /// Records an accepted send.
    pub(crate) fn record_send(&mut self, sent: SentMessage) {
        self.sent.push(sent);
    }

    pub(crate) fn sent(&self) -> Vec<SentMessage> {
        self.sent.clone()
    }

    /// A copy of one conversation for inspection.
    pub(crate) fn snapshot(
        &self, shop_id: &str, conversation_id: &str,
    ) -> Option<ConversationSnapshot> {
        let conversation = self.conversation(shop_id, conversation_id)?;
        Some(ConversationSnapshot {
            id: conversation.id.clone(),
            shop_id: shop_id.to_owned(),
            buyer: conversation.buyer.clone(),
            unread_count: conversation.unread_count,
            can_send_message: conversation.can_send_message,
            messages: conversation
                .messages
                .iter()
                .map(|message| MessageSnapshot {
                    id: message.id.clone(),
                    kind: message.kind.clone(),
                    content: message.content.clone(),
                    create_time: message.create_time,
                    sender_role: message.sender_role.clone(),
                })
                .collect(),
        })
    }
}
