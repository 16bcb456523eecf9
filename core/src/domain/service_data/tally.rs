//! What each event adds to the service rollups, as pure functions of the event: a
//! conversation's start and its holder (a difference between its old and new rows, like
//! the inbox counters), a human reply, a rating becoming or ceasing to be the latest.
//! Bot and automatic replies are not human replies and add nothing.

use super::*;
use crate::domain::ids::AgentId;
use crate::domain::model::Conversation;
use crate::domain::ratings::Rating;
use shopmux_contract::events::EntryPoint;
use shopmux_contract::rules::RuleSet;
use shopmux_contract::service_figures::FigureKind;

/// The thresholds counted as replies happen: the durations the shop's rules declare.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Thresholds {
    /// Replies within these many seconds (DY-QA-1: 30).
    pub within_secs: Vec<u64>,
    /// Waits answered only after these many seconds (DY-QA-1: 600).
    pub unreplied_secs: Vec<u64>,
}

impl Thresholds {
    /// The thresholds a rule set's figures declare.
    pub fn of(rules: &RuleSet) -> Self {
        let secs = |k| rules.service_data.durations(k).iter().map(|s| s.as_secs()).collect();
        Self {
            within_secs: secs(FigureKind::RepliesWithin),
            unreplied_secs: secs(FigureKind::UnrepliedFor),
        }
    }
}

/// Whether a buyer started the conversation (the seller's own chats are not measured).
pub fn buyer_started(c: &Conversation) -> bool {
    c.entry_point != EntryPoint::SellerInitiated
}

fn agent_key(agent: Option<AgentId>) -> String {
    agent.map_or_else(|| NO_AGENT.to_owned(), |a| a.to_string())
}

/// What a conversation row contributes: a buyer-started conversation counts once, by its
/// start, for the agent holding it (TT-DATA-3: a transfer moves it).
pub fn contributions(c: &Conversation) -> Vec<(RollupKey, Tally)> {
    if !buyer_started(c) {
        return vec![];
    }
    let key = RollupKey {
        shop_id: c.shop_id,
        slot: slot_of(c.created_at),
        agent: agent_key(c.assignee_id),
        metric: STARTED.into(),
    };
    vec![(key, Tally::one(0))]
}

/// The rollup changes that turn `before`'s contributions into `after`'s.
pub fn conversation_delta(before: Option<&Conversation>, after: &Conversation, out: &mut Rollups) {
    for (k, t) in before.map(contributions).unwrap_or_default() {
        add(out, k, t, -1);
    }
    for (k, t) in contributions(after) {
        add(out, k, t, 1);
    }
}

/// A human agent's reply, as the rollups see it.
#[derive(Clone, Debug)]
pub struct Reply<'a> {
    /// The conversation after the reply (holder and first assignment set).
    pub conversation: &'a Conversation,
    /// The agent who replied.
    pub agent: AgentId,
    /// When.
    pub at: DateTime<Utc>,
    /// The buyer's first message since the previous human reply: the wait it ends.
    pub wait_start: Option<DateTime<Utc>>,
    /// Whether it is the conversation's first human reply.
    pub first: bool,
}

/// What a human reply adds: a response (DY-QA-1 average response time, replies within,
/// waits left unreplied) when it ends a wait; a served conversation with its first
/// response time (DY-QA-1, DY-QA-2) and its reply-hour class (TT-DATA-1) when first.
pub fn reply(r: &Reply<'_>, thresholds: &Thresholds) -> Rollups {
    let c = r.conversation;
    let mut out = Rollups::new();
    if !buyer_started(c) {
        return out;
    }
    let assigned = c.first_assigned_at.unwrap_or(r.at);
    let key = |slot: i64, metric: String| RollupKey {
        shop_id: c.shop_id,
        slot,
        agent: r.agent.to_string(),
        metric,
    };
    let slot = slot_of(r.at);
    if let Some(wait) = r.wait_start {
        // rule: DY-QA-1 (response time: from the buyer's wait, not before a human had it)
        let response = (r.at - wait.max(assigned)).num_milliseconds().max(0);
        add(&mut out, key(slot, RESPONSE.into()), Tally::one(response), 1);
        for &s in &thresholds.within_secs {
            if response <= (s as i64) * 1000 {
                add(&mut out, key(slot, within(s)), Tally::one(0), 1);
            }
        }
        // rule: DY-QA-1 (a wait answered 10 minutes or more after it began counts, by
        // its start, as answered ones and those still unanswered do: see `unanswered`)
        let waited = (r.at - wait).num_milliseconds();
        for &s in &thresholds.unreplied_secs {
            if waited >= (s as i64) * 1000 {
                add(&mut out, key(slot_of(wait), unreplied(s)), Tally::one(0), 1);
            }
        }
    }
    if r.first {
        // rule: DY-QA-2 (first human reply − human assignment)
        let first = (r.at - assigned).num_milliseconds().max(0);
        add(&mut out, key(slot, SERVED.into()), Tally::one(first), 1);
        // rule: TT-DATA-1 (kept by whole hours, rounded up: 24 h counts as 24, 24 h 1 s as 25)
        let ms = (r.at - c.created_at).num_milliseconds().max(0);
        let hours = (ms + 3_599_999) / 3_600_000;
        add(&mut out, key(slot_of(c.created_at), first_reply_hours(hours)), Tally::one(0), 1);
    }
    out
}

/// A buyer's wait still unanswered at `now` (DY-QA-1's messages left unreplied for 10
/// minutes): it counts, by the slot its wait began, for the agent holding the
/// conversation, once each threshold has passed. Not a rollup: the live figures count
/// these from the conversations' stored waits (an indexed read), and a human reply
/// turns them into the reply's own count (`reply`), by the same slot.
pub fn unanswered(
    c: &Conversation, wait: DateTime<Utc>, now: DateTime<Utc>, thresholds: &Thresholds,
) -> Rollups {
    let mut out = Rollups::new();
    if !buyer_started(c) {
        return out;
    }
    for &s in &thresholds.unreplied_secs {
        if (now - wait).num_milliseconds() >= (s as i64) * 1000 {
            let key = RollupKey {
                shop_id: c.shop_id,
                slot: slot_of(wait),
                agent: agent_key(c.assignee_id),
                metric: unreplied(s),
            };
            add(&mut out, key, Tally::one(0), 1);
        }
    }
    out
}

/// What a latest rating contributes (TT-DATA-2, DY-QA-3): rated, and satisfied at 4 or 5.
pub fn rating(r: &Rating, sign: i64, out: &mut Rollups) {
    let key = |metric: &str| RollupKey {
        shop_id: r.shop_id,
        slot: slot_of(r.created_at),
        agent: agent_key(r.agent_id),
        metric: metric.into(),
    };
    add(out, key(RATED), Tally::one(r.score), sign);
    if r.score >= SATISFIED_FROM {
        add(out, key(SATISFIED), Tally::one(0), sign);
    }
}
