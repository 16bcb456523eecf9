//! The Lazada simulator's chat state: sessions (one per buyer) with their messages, the
//! seller's orders, and logs of accepted sends and read marks.
//!
//! Ids: a session is `{seller}_2_{buyer}_1_103`, shaped like the API reference's sample
//! (`100094063_2_1011822749_1_103`: seller account type 2, buyer account type 1); message ids
//! are `sim` and a zero-padded counter, so their text order is their creation order.
//! Messages are stored as the handle shows them ([`MessageSnapshot`]). Listing is newest
//! first, by (time, id) descending, paged backwards from a start time.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Buyer, MessageSnapshot, ReadMark, SentMessage, SessionSnapshot};
use crate::SimError;

/// One conversation.
#[derive(Debug, Clone)]
pub(crate) struct StoredSession {
    pub(crate) id: String,
    pub(crate) buyer: Buyer,
    pub(crate) opened_at: i64,
    pub(crate) messages: Vec<MessageSnapshot>,
    pub(crate) last_read: Option<String>,
}

impl StoredSession {
    /// When the newest message was sent, or when the session was opened.
    pub(crate) fn last_time(&self) -> i64 {
        self.messages.last().map_or(self.opened_at, |m| m.send_time_ms)
    }

    /// Buyer messages after the seller's read mark.
    pub(crate) fn unread(&self) -> usize {
        let after = match &self.last_read {
            Some(id) => self.messages.iter().position(|m| &m.id == id).map_or(0, |i| i + 1),
            None => 0,
        };
        self.messages[after..].iter().filter(|m| m.from_buyer).count()
    }

    /// The session as `/im/session/list` and `/im/session/get` show it.
    pub(crate) fn view(&self, site: &str) -> Value {
        let last = self.messages.last();
        let summary = last.map(|m| card_summary(&m.content)).unwrap_or_default();
        let read_at = |id: &Option<String>| {
            let found = id.as_ref().and_then(|id| self.messages.iter().find(|m| &m.id == id));
            found.map_or(0, |m| m.send_time_ms)
        };
        json!({
            "session_id": self.id,
            "buyer_id": crate::id_value(&self.buyer.user_id),
            "title": self.buyer.name,
            "summary": summary,
            "head_url": "",
            "unread_count": self.unread(),
            "last_message_id": last.map(|m| m.id.as_str()).unwrap_or_default(),
            "last_message_time": self.last_time(),
            "self_position": read_at(&self.last_read),
            "to_position": 0,
            "tags": [],
            "site_id": site,
        })
    }
}

fn card_summary(card: &str) -> String {
    let parsed: Value = serde_json::from_str(card).unwrap_or(Value::Null);
    parsed["txt"].as_str().unwrap_or("[card]").to_owned()
}

/// A message record as `/im/message/list` and IM pushes show it.
pub(crate) fn message_view(
    message: &MessageSnapshot, session: &StoredSession, seller_id: &str, site: &str,
) -> Value {
    let (from, to) = if message.from_buyer {
        ((1, session.buyer.user_id.as_str()), (2, seller_id))
    } else {
        ((2, seller_id), (1, session.buyer.user_id.as_str()))
    };
    json!({
        "message_id": message.id,
        "session_id": session.id,
        "from_account_type": from.0,
        "from_account_id": from.1,
        "to_account_type": to.0,
        "to_account_id": to.1,
        "template_id": message.template_id,
        "type": 1,
        "content": message.content,
        "send_time": message.send_time_ms,
        "status": 0,
        "auto_reply": false,
        "site_id": site,
    })
}

/// An order of the seller's shop, for OpenSession.
#[derive(Debug, Clone)]
pub(crate) struct StoredOrder {
    pub(crate) id: String,
    pub(crate) buyer: Buyer,
    pub(crate) created_at: DateTime<Utc>,
}

/// All chat state of one simulator.
#[derive(Debug, Default)]
pub(crate) struct Chats {
    pub(crate) sessions: Vec<StoredSession>,
    pub(crate) orders: Vec<StoredOrder>,
    pub(crate) sent: Vec<SentMessage>,
    pub(crate) reads: Vec<ReadMark>,
    next_message: u64,
}

impl Chats {
    /// The buyer's session, opened at `now_ms` if there is none.
    pub(crate) fn open(
        &mut self, seller_id: &str, buyer: &Buyer, now_ms: i64,
    ) -> &mut StoredSession {
        let id = format!("{seller_id}_2_{}_1_103", buyer.user_id);
        let index = match self.sessions.iter().position(|s| s.id == id) {
            Some(index) => index,
            None => {
                self.sessions.push(StoredSession {
                    id,
                    buyer: buyer.clone(),
                    opened_at: now_ms,
                    messages: Vec::new(),
                    last_read: None,
                });
                self.sessions.len() - 1
            }
        };
        &mut self.sessions[index]
    }

    /// A session by id.
    pub(crate) fn session(&self, id: &str) -> Option<&StoredSession> {
        self.sessions.iter().find(|s| s.id == id)
    }

    /// Appends a message to a session; returns it.
    pub(crate) fn add(
        &mut self, session_id: &str, from_buyer: bool, template_id: i64, content: String,
        send_time_ms: i64,
    ) -> Result<MessageSnapshot, SimError> {
        self.next_message += 1;
        let message = MessageSnapshot {
            id: format!("sim{:012}", self.next_message),
            from_buyer,
            template_id,
            content,
            send_time_ms,
        };
        let session = self.sessions.iter_mut().find(|s| s.id == session_id);
        let session =
            session.ok_or_else(|| SimError::UnknownConversation(session_id.to_owned()))?;
        session.messages.push(message.clone());
        Ok(message)
    }

    /// A copy of a session.
    pub(crate) fn snapshot(&self, id: &str) -> Option<SessionSnapshot> {
        let session = self.session(id)?;
        Some(SessionSnapshot {
            id: session.id.clone(),
            buyer: session.buyer.clone(),
            unread_count: session.unread(),
            last_read_message_id: session.last_read.clone(),
            messages: session.messages.clone(),
        })
    }
}

/// One page of items sorted newest first by (time, id): those strictly before the
/// `(start_time, last_id)` position (all at or before `start_time` without `last_id`).
/// Returns the page and whether more remain.
pub(crate) fn page_back<'a, T>(
    mut items: Vec<&'a T>, key: impl Fn(&T) -> (i64, String), start_time: i64,
    last_id: Option<&str>, page_size: usize,
) -> (Vec<&'a T>, bool) {
    items.sort_by_key(|item| std::cmp::Reverse(key(item)));
    let before = |item: &&T| {
        let (time, id) = key(item);
        match last_id {
            Some(last) => time < start_time || (time == start_time && id.as_str() < last),
            None => time <= start_time,
        }
    };
    let mut older: Vec<&T> = items.into_iter().filter(before).collect();
    let more = older.len() > page_size;
    older.truncate(page_size);
    (older, more)
}
