//! Per-filter counts kept current as conversations change, so the inbox never counts by
//! scanning (Chatwoot's per-request counts over never-closed conversations became its
//! main database load, see `peers.md`). Each conversation contributes to a few
//! (shop, assignee, bucket) counters; a state change applies the difference between its
//! old and new contributions in the same transaction.

use super::ids::{AgentId, ShopId};
use super::model::{Conversation, ConversationState};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

/// The assignee key of unassigned conversations in the counters table.
pub const NO_ASSIGNEE: &str = "";

/// One counter row: a shop, an assignee key (agent id or empty) and a bucket name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CounterKey {
    /// The shop.
    pub shop_id: ShopId,
    /// The agent holding the conversations, or [`NO_ASSIGNEE`].
    pub assignee: String,
    /// What is counted.
    pub bucket: String,
}

/// What one conversation adds to the counters.
pub fn contributions(c: &Conversation) -> Vec<(CounterKey, i64)> {
    let assignee = c.assignee_id.map_or_else(|| NO_ASSIGNEE.to_owned(), |a| a.to_string());
    let key = |bucket: &str| CounterKey {
        shop_id: c.shop_id,
        assignee: assignee.clone(),
        bucket: bucket.to_owned(),
    };
    let state_bucket = match c.state {
        ConversationState::Unassigned => "unassigned",
        ConversationState::InProgress => "in_progress",
        ConversationState::Ended => "history",
        ConversationState::Closed => "closed",
    };
    if c.bot_active && c.state == ConversationState::Unassigned {
        // rule: DY-BOT-3 (a conversation the bot handles waits for no agent: neither
        // queued nor unread nor unreplied until it is handed over)
        let mut out = vec![(key("bot"), 1)];
        if c.has_order {
            out.push((key("has_order"), 1));
        }
        return out;
    }
    let mut out = vec![(key(state_bucket), 1)];
    if c.state.is_open() {
        if c.unread_count > 0 {
            out.push((key("unread"), 1));
            out.push((key("unread_messages"), c.unread_count));
        }
        if c.is_unreplied() {
            out.push((key("unreplied"), 1));
        }
        if c.has_order {
            out.push((key("has_order"), 1));
        }
        if let Some(colour) = c.flag {
            out.push((key("flagged"), 1));
            out.push((key(&format!("flag:{colour}")), 1));
        }
    }
    out
}

/// The counter changes that turn `before`'s contributions into `after`'s; zero changes
/// are left out. Sorted, so concurrent transactions lock counter rows in one order.
pub fn delta(
    before: Option<&Conversation>, after: Option<&Conversation>,
) -> Vec<(CounterKey, i64)> {
    let mut sum: HashMap<CounterKey, i64> = HashMap::new();
    for (k, n) in before.map(contributions).unwrap_or_default() {
        *sum.entry(k).or_default() -= n;
    }
    for (k, n) in after.map(contributions).unwrap_or_default() {
        *sum.entry(k).or_default() += n;
    }
    let mut out: Vec<_> = sum.into_iter().filter(|(_, n)| *n != 0).collect();
    out.sort();
    out
}

/// Adds `more` into `into`, keeping the result sorted and without zero entries.
pub fn merge(into: &mut Vec<(CounterKey, i64)>, more: Vec<(CounterKey, i64)>) {
    let mut sum: BTreeMap<CounterKey, i64> = into.drain(..).collect();
    for (k, n) in more {
        *sum.entry(k).or_default() += n;
    }
    into.extend(sum.into_iter().filter(|(_, n)| *n != 0));
}

/// The count of each inbox filter, for one scope (all visible, or mine).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FilterCounts {
    /// Open conversations (unassigned or in progress).
    pub open: i64,
    /// Open and waiting for an agent.
    pub unassigned: i64,
    /// Buyers waiting in the shop's queue for an agent, shown beside the unread figures
    /// (ALL-QUEUE-1): the unassigned conversations, which the router assigns as capacity
    /// appears (on a manual shop, by hand).
    pub queued: i64,
    /// Open and held by an agent.
    pub in_progress: i64,
    /// Open and handled by the FAQ bot: waiting for no agent (DY-BOT-3).
    pub bot: i64,
    /// Open conversations with unread buyer messages: unread buyers (ALL-UNREAD-1).
    pub unread: i64,
    /// Unread buyer messages in open conversations (ALL-UNREAD-1).
    pub unread_messages: i64,
    /// Open and awaiting a human reply.
    pub unreplied: i64,
    /// Open with an order.
    pub has_order: i64,
    /// Open and flagged (any colour).
    pub flagged: i64,
    /// Open and flagged, per colour.
    pub flags: BTreeMap<String, i64>,
    /// Open, unreplied for longer than the platform's "expiring soon" limit (TT-LIST-2);
    /// read from an index when asked, since it depends on the time.
    pub expiring: i64,
    /// Ended (history).
    pub history: i64,
    /// Closed.
    pub closed: i64,
}

impl FilterCounts {
    /// Adds one counter row.
    pub fn add(&mut self, bucket: &str, n: i64) {
        match bucket {
            "unassigned" => {
                // rule: ALL-QUEUE-1
                self.unassigned += n;
                self.queued += n;
                self.open += n;
            }
            "in_progress" => {
                self.in_progress += n;
                self.open += n;
            }
            "bot" => {
                self.bot += n;
                self.open += n;
            }
            "unread" => self.unread += n,
            "unread_messages" => self.unread_messages += n,
            "unreplied" => self.unreplied += n,
            "has_order" => self.has_order += n,
            "flagged" => self.flagged += n,
            "history" => self.history += n,
            "closed" => self.closed += n,
            other => {
                if let Some(colour) = other.strip_prefix("flag:") {
                    *self.flags.entry(colour.to_owned()).or_default() += n;
                }
            }
        }
    }
}

/// Whether a counter's assignee key is this agent.
pub fn is_assignee(key_assignee: &str, agent: AgentId) -> bool {
    key_assignee == agent.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::domain::ids::*;
    use crate::domain::model::*;

    fn conv() -> Conversation {
        let now = ManualClock::at_epoch_2026().now();
        Conversation {
            id: ConversationId::new(),
            shop_id: ShopId::new(),
            platform: Platform::new("api").unwrap(),
            buyer_id: BuyerId::new(),
            entry_point: EntryPoint::Unknown,
            state: ConversationState::Unassigned,
            assignee_id: None,
            flag: None,
            topics: vec![],
            has_order: false,
            unread_count: 3,
            waiting_since: Some(now),
            created_at: now,
            last_message_at: now,
            last_buyer_message_at: Some(now),
            last_agent_reply_at: None,
            assigned_at: None,
            ended_at: None,
            closed_at: None,
            preview: String::new(),
            bot_active: false,
            bot_misses: 0,
            next_breach_at: None,
            sla_due_at: None,
            breach_warn_at: None,
            first_assigned_at: None,
            reply_wait_since: None,
        }
    }

    #[test]
    fn unread_buyers_and_unread_messages_are_counted_apart() {
        // rule: ALL-UNREAD-1 (a buyer with 3 unread messages counts 3 messages, 1 buyer)
        let mut counts = FilterCounts::default();
        for (k, n) in contributions(&conv()) {
            counts.add(&k.bucket, n);
        }
        assert_eq!(counts.unread, 1);
        assert_eq!(counts.unread_messages, 3);
        assert_eq!(counts.unassigned, 1);
    }

    #[test]
    fn dy_bot_3_a_bot_conversation_waits_for_no_agent_until_handed_over() {
        // rule: DY-BOT-3
        let mut bot = conv();
        bot.bot_active = true;
        let mut counts = FilterCounts::default();
        for (k, n) in contributions(&bot) {
            counts.add(&k.bucket, n);
        }
        assert_eq!(
            (counts.unassigned, counts.queued, counts.unread, counts.unreplied),
            (0, 0, 0, 0)
        );
        assert_eq!((counts.bot, counts.open), (1, 1));
        let mut handed = bot.clone();
        handed.bot_active = false;
        let d = delta(Some(&bot), Some(&handed));
        let get = |b: &str| d.iter().find(|(k, _)| k.bucket == b).map(|(_, n)| *n);
        assert_eq!((get("bot"), get("unassigned"), get("unread")), (Some(-1), Some(1), Some(1)));
    }

    #[test]
    fn delta_moves_counts_between_buckets() {
        let before = conv();
        let mut after = before.clone();
        after.state = ConversationState::Closed;
        let d = delta(Some(&before), Some(&after));
        let get = |b: &str| d.iter().find(|(k, _)| k.bucket == b).map(|(_, n)| *n);
        assert_eq!(get("unassigned"), Some(-1));
        assert_eq!(get("closed"), Some(1));
        assert_eq!(get("unread_messages"), Some(-3));
        assert!(delta(Some(&before), Some(&before)).is_empty());
    }
}
