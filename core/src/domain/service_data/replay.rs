//! The rollups of a conversation rebuilt from its stored messages (the recompute
//! command), with the same rules as the live tally: a buyer's wait starts at their first
//! message after the previous human reply; each human reply ends it; bot, automatic and
//! system messages are no replies.

use super::tally::{self, Reply, Thresholds};
use super::*;
use crate::domain::ids::AgentId;
use crate::domain::model::{Conversation, SenderKind};

/// What replay needs of a stored message.
#[derive(Clone, Debug)]
pub struct StoredMessage {
    /// Who sent it.
    pub sender_kind: SenderKind,
    /// The human agent who sent it, if one did.
    pub sender_agent_id: Option<AgentId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The rollups of one conversation and its messages, in the order they were written
/// (by time, then id).
pub fn conversation(c: &Conversation, messages: &[StoredMessage], t: &Thresholds) -> Rollups {
    let mut out = Rollups::new();
    tally::conversation_delta(None, c, &mut out);
    let mut wait = None;
    let mut first = true;
    for m in messages {
        match (m.sender_kind, m.sender_agent_id) {
            (SenderKind::Buyer, _) => {
                wait.get_or_insert(m.created_at);
            }
            (SenderKind::Agent, Some(agent)) => {
                let reply =
                    Reply { conversation: c, agent, at: m.created_at, wait_start: wait, first };
                for (k, v) in tally::reply(&reply, t) {
                    add(&mut out, k, v, 1);
                }
                first = false;
                wait = None;
            }
            _ => {}
        }
    }
    out
}
