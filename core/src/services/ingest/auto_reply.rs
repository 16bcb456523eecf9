//! The automatic replies an ingest group triggers (AE-AUTO-1): one for each buyer whose
//! first new message comes after the platform's quiet time without a message from them,
//! in shops whose automatic reply is on (AE-AUTO-2). They update the conversation's
//! latest message but leave it unread and unreplied (AE-AUTO-3).

use crate::domain::conversation::{auto_reply_message, preview_of};
use crate::domain::ids::*;
use crate::domain::model::{Conversation, Message};
use crate::storage::ingest_buyers::Item;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// The automatic replies of the group's inserted messages (see the module comment).
pub fn auto_replies(
    items: &[Item<'_>], messages: &[Message], inserted: &HashSet<MessageId>,
    last_message: &HashMap<BuyerId, DateTime<Utc>>, by_conv: &HashMap<ConversationId, BuyerId>,
    open: &mut HashMap<BuyerId, (SellerId, Conversation)>, now: DateTime<Utc>,
) -> Vec<Message> {
    let mut out = Vec::new();
    let mut seen: HashSet<BuyerId> = HashSet::new();
    for (m, (shop, _)) in messages.iter().zip(items) {
        let buyer = by_conv[&m.conversation_id];
        if !inserted.contains(&m.id) || !seen.insert(buyer) {
            continue;
        }
        let Some(auto) = &shop.auto_reply else {
            continue;
        };
        let quiet = chrono::Duration::seconds(auto.quiet.as_secs() as i64);
        if last_message.get(&buyer).is_some_and(|last| m.created_at - *last <= quiet) {
            continue;
        }
        let (_, conv) = open.get_mut(&buyer).expect("conversation of the message");
        let reply = auto_reply_message(auto, conv, m.created_at, now);
        // AE-AUTO-3: not a human reply: unread count and waiting time stay.
        conv.last_message_at = conv.last_message_at.max(reply.created_at);
        conv.preview = preview_of(&reply.content);
        out.push(reply);
    }
    out
}
