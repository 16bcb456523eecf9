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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::conversation::new_conversation;
    use crate::domain::ids::{BuyerId, SellerId};
    use crate::domain::shop_settings::IngestShop;
    use chrono::TimeZone;

    fn msg(kind: SenderKind, agent: Option<AgentId>, secs: i64) -> StoredMessage {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        StoredMessage {
            sender_kind: kind,
            sender_agent_id: agent,
            created_at: t0 + chrono::Duration::seconds(secs),
        }
    }

    // rule: DY-QA-1
    // rule: DY-QA-2
    #[test]
    fn bot_and_automatic_replies_are_not_human_replies() {
        let shop = IngestShop {
            shop_id: ShopId::new(),
            seller_id: SellerId::new(),
            platform: shopmux_contract::Platform::from_static("x"),
            secret: String::new(),
            auto_reply: None,
            bot: None,
            translate: false,
            deadlines: std::sync::Arc::new(crate::domain::deadlines::DeadlineSpec {
                rules: std::sync::Arc::new(shopmux_contract::RuleSet::permissive(
                    shopmux_contract::Platform::from_static("x"),
                )),
                target: None,
            }),
        };
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut c = new_conversation(&shop, BuyerId::new(), Default::default(), t0, false);
        c.first_assigned_at = Some(t0);
        let agent = AgentId::new();
        let messages = [
            msg(SenderKind::Buyer, None, 0),
            msg(SenderKind::Bot, None, 1),
            msg(SenderKind::System, None, 2),
            msg(SenderKind::Agent, Some(agent), 45),
        ];
        let t = Thresholds { within_secs: vec![30], unreplied_secs: vec![600] };
        let out = conversation(&c, &messages, &t);
        let get = |m: &str| {
            out.iter().filter(|(k, _)| k.metric == m).map(|(_, v)| *v).next().unwrap_or_default()
        };
        // The bot's answer at 1 s did not end the wait: the human answered after 45 s.
        assert_eq!(get(RESPONSE), Tally::one(45_000));
        assert_eq!(get(SERVED), Tally::one(45_000));
        assert_eq!(get(&within(30)), Tally::default());
        assert_eq!(get(STARTED).n, 1);
    }
}
