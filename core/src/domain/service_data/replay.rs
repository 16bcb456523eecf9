//! The rollups of a conversation rebuilt from its stored messages (the recompute
//! command), with the same rules as the live tally: a buyer's wait starts at their first
//! message after the previous human reply (a rating awaits no reply); each human reply
//! ends it; bot, automatic and system messages are no replies. A wait still unanswered
//! is replayed apart (`Replayed::pending`): the live figures count those from the
//! conversations, not from rollups.

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
    /// Whether a buyer's message awaits a reply (a rating does not).
    pub awaits_reply: bool,
}

/// A conversation replayed: what the rollups hold, and its wait still unanswered at the
/// replay's `now` (DY-QA-1's unreplied messages, counted live from the conversation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replayed {
    /// The rollups of its events.
    pub settled: Rollups,
    /// Its unanswered wait's counts.
    pub pending: Rollups,
}

/// The rollups of one conversation and its messages, in the order they were written
/// (by time, then id), as of `now`.
pub fn conversation(
    c: &Conversation, messages: &[StoredMessage], t: &Thresholds, now: DateTime<Utc>,
) -> Replayed {
    let mut out = Rollups::new();
    tally::conversation_delta(None, c, &mut out);
    let mut wait = None;
    let mut first = true;
    for m in messages {
        match (m.sender_kind, m.sender_agent_id) {
            (SenderKind::Buyer, _) if m.awaits_reply => {
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
    let pending = wait.map(|w| tally::unanswered(c, w, now, t)).unwrap_or_default();
    Replayed { settled: out, pending }
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
            awaits_reply: true,
        }
    }

    fn assigned_at(t0: DateTime<Utc>) -> Conversation {
        let shop = IngestShop {
            shop_id: ShopId::new(),
            seller_id: SellerId::new(),
            platform: shopmux_contract::Platform::from_static("x"),
            secret: String::new(),
            auto_reply: None,
            bot: None,
            translate: false,
            records_replies: false,
            widget: Default::default(),
            deadlines: std::sync::Arc::new(crate::domain::deadlines::DeadlineSpec {
                rules: std::sync::Arc::new(shopmux_contract::RuleSet::permissive(
                    shopmux_contract::Platform::from_static("x"),
                )),
                target: None,
            }),
        };
        let mut c = new_conversation(&shop, BuyerId::new(), Default::default(), t0, false);
        c.first_assigned_at = Some(t0);
        c
    }

    // rule: DY-QA-1
    // rule: DY-QA-2
    #[test]
    fn bot_and_automatic_replies_are_not_human_replies() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let c = assigned_at(t0);
        let agent = AgentId::new();
        let messages = [
            msg(SenderKind::Buyer, None, 0),
            msg(SenderKind::Bot, None, 1),
            msg(SenderKind::System, None, 2),
            msg(SenderKind::Agent, Some(agent), 45),
        ];
        let t = Thresholds { within_secs: vec![30], unreplied_secs: vec![600] };
        let out = conversation(&c, &messages, &t, t0 + chrono::Duration::hours(1)).settled;
        let get = |m: &str| {
            out.iter().filter(|(k, _)| k.metric == m).map(|(_, v)| *v).next().unwrap_or_default()
        };
        // The bot's answer at 1 s did not end the wait: the human answered after 45 s.
        assert_eq!(get(RESPONSE), Tally::one(45_000));
        assert_eq!(get(SERVED), Tally::one(45_000));
        assert_eq!(get(&within(30)), Tally::default());
        assert_eq!(get(STARTED).n, 1);
    }

    // rule: DY-QA-1 (a wait still unanswered counts by its start once 10 minutes passed;
    // a rating starts none; a late answer counts it by the same slot, once)
    #[test]
    fn an_unanswered_wait_is_pending_by_its_start_and_a_rating_waits_for_nothing() {
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let mut c = assigned_at(t0);
        let agent = AgentId::new();
        c.assignee_id = Some(agent);
        let t = Thresholds { within_secs: vec![30], unreplied_secs: vec![600] };
        let rating = StoredMessage { awaits_reply: false, ..msg(SenderKind::Buyer, None, 0) };
        let waiting = [rating.clone(), msg(SenderKind::Buyer, None, 1000)];
        let at = |secs| t0 + chrono::Duration::seconds(secs);
        assert!(conversation(&c, &waiting, &t, at(1599)).pending.is_empty());
        let pending = conversation(&c, &waiting, &t, at(1600)).pending;
        let key = RollupKey {
            shop_id: c.shop_id,
            slot: slot_of(at(1000)),
            agent: agent.to_string(),
            metric: unreplied(600),
        };
        assert_eq!(pending.into_iter().collect::<Vec<_>>(), vec![(key.clone(), Tally::one(0))]);
        let answered =
            [rating, msg(SenderKind::Buyer, None, 1000), msg(SenderKind::Agent, Some(agent), 2000)];
        let out = conversation(&c, &answered, &t, at(3000));
        assert!(out.pending.is_empty());
        assert_eq!(out.settled.get(&key), Some(&Tally::one(0)), "by the wait's slot");
    }
}
