//! What a reply is worth: the deadlines a conversation still has — the reply window
//! closing, a lifecycle timer ending or closing it by itself, each reply target of the
//! platform's service figures (DY-QA-1, TT-DATA-1) and the shop's own service-level
//! target — and the derived values stored on the conversation row so the list can sort
//! by the earliest breach and the timer pass can warn before the target is missed.
//! Pure: a function of the rules, the shop's target and the conversation.
//!
//! A deadline falls at an instant `at`: a reply at `at` still meets it, one a second
//! later does not. Only human replies meet reply deadlines: bot and automatic messages
//! leave the buyer waiting (`waiting_since`) and the conversation unreplied.

use super::model::Conversation;
use super::rules::timer_due_at;
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::rules::{Condition, ReplyCounted, RuleSet, Silent};
use shopmux_contract::span::Span;
use std::sync::Arc;

/// The kinds of deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    /// The reply window closes (DY-WIN-1): after it the buyer cannot be answered.
    WindowClose,
    /// A lifecycle timer closes or times it out while the buyer waits (TT-WIN-1).
    AutoClose,
    /// A lifecycle timer ends it while the buyer stays silent (DY-END-2).
    AutoEnd,
    /// A reply after this counts against a platform's service figure (DY-QA-1, TT-DATA-1).
    ReplyTarget,
    /// The shop's own first-reply target.
    ServiceLevel,
}

/// One deadline of a conversation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deadline {
    /// What falls due.
    pub kind: DeadlineKind,
    /// The rule ID (none for the shop's own target).
    pub rule: Option<String>,
    /// When: a reply at this instant still meets it.
    pub at: DateTime<Utc>,
    /// The span it measures from its start (the figure's mark, the target's minutes).
    pub within_seconds: Option<u64>,
    /// The figure, in words, for reply targets (`replies within 30 seconds`).
    pub what: Option<String>,
}

/// A shop's service-level target: its first reply within `first_reply_minutes` of the
/// buyer's message (`settings.service_level`), warned `warn_before_seconds` ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceLevel {
    /// The first human reply within this many minutes (1 to 1440).
    pub first_reply_minutes: u32,
    /// The about-to-breach event fires this long before (0 to 3600; default 120).
    #[serde(default = "default_warn_before")]
    pub warn_before_seconds: u32,
}

fn default_warn_before() -> u32 {
    120
}

/// The most minutes a first-reply target may be (a day).
pub const MAX_TARGET_MINUTES: u32 = 1440;
/// The longest warning lead (an hour).
pub const MAX_WARN_SECONDS: u32 = 3600;

/// The service-level target of a shop's settings (`settings.service_level`), checked.
pub fn service_level(settings: &serde_json::Value) -> CoreResult<Option<ServiceLevel>> {
    let Some(value) = settings.get("service_level").filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let target: ServiceLevel = serde_json::from_value(value.clone())
        .map_err(|e| CoreError::invalid("settings.service_level", e.to_string()))?;
    if !(1..=MAX_TARGET_MINUTES).contains(&target.first_reply_minutes) {
        return Err(CoreError::invalid(
            "settings.service_level.first_reply_minutes",
            format!("must be 1 to {MAX_TARGET_MINUTES}"),
        ));
    }
    if target.warn_before_seconds > MAX_WARN_SECONDS {
        return Err(CoreError::invalid(
            "settings.service_level.warn_before_seconds",
            format!("must be 0 to {MAX_WARN_SECONDS}"),
        ));
    }
    Ok(Some(target))
}

/// What the deadlines of a shop's conversations come from: its rules in force and its
/// target.
#[derive(Clone, Debug)]
pub struct DeadlineSpec {
    /// The shop's rules (with its overrides).
    pub rules: Arc<RuleSet>,
    /// Its service-level target.
    pub target: Option<ServiceLevel>,
}

fn span(s: Span) -> Duration {
    Duration::seconds(s.as_secs().min(i64::MAX as u64 / 1000) as i64)
}

/// The reply window's close while the buyer waits: the earliest limit of the reply
/// requirements made of conversation facts only (a requirement an order may satisfy
/// closes with the buyer's orders, which change on their own, and is left out).
fn window_close(rules: &RuleSet, c: &Conversation) -> Option<Deadline> {
    let mut best: Option<(DateTime<Utc>, &str)> = None;
    for req in &rules.reply {
        let order_free = req.any_of.iter().all(|cl| {
            !matches!(
                cl.condition,
                Condition::OrderWithin { .. } | Condition::ReverseOrderInProgress
            )
        });
        if !order_free {
            continue;
        }
        // The requirement's limit: unlimited if a holding clause has none, else the latest.
        let mut limit: Option<(DateTime<Utc>, &str)> = None;
        let mut unlimited = false;
        for clause in &req.any_of {
            match &clause.condition {
                Condition::BuyerMessageWithin { within } => {
                    if let Some(t) = c.last_buyer_message_at {
                        let at = t + span(*within);
                        if limit.is_none_or(|(l, _)| at > l) {
                            limit = Some((at, &clause.rule));
                        }
                    }
                }
                Condition::Always | Condition::Open | Condition::NotClosed => unlimited = true,
                // Not open, or an order clause (skipped above): no limit while waiting.
                _ => {}
            }
        }
        if unlimited {
            continue;
        }
        if let Some((at, rule)) = limit
            && best.is_none_or(|(b, _)| at < b)
        {
            best = Some((at, rule));
        }
    }
    best.map(|(at, rule)| Deadline {
        kind: DeadlineKind::WindowClose,
        rule: Some(rule.to_owned()),
        at,
        within_seconds: None,
        what: None,
    })
}

/// Every deadline the conversation still has (past ones too), earliest first. A closed
/// or ended conversation has none; the reply deadlines run while the buyer waits.
pub fn deadlines(spec: &DeadlineSpec, c: &Conversation) -> Vec<Deadline> {
    let mut out = Vec::new();
    if !c.state.is_open() {
        return out;
    }
    for timer in &spec.rules.timers {
        if let Some(at) = timer_due_at(timer, c) {
            // The unreplied timeout (TT-WIN-1) closes; the buyer's silence (DY-END-2) ends.
            let kind = match timer.silent {
                Silent::Agent => DeadlineKind::AutoClose,
                Silent::Buyer => DeadlineKind::AutoEnd,
            };
            let within_seconds = Some(timer.after.as_secs());
            out.push(Deadline {
                kind,
                rule: Some(timer.rule.clone()),
                at,
                within_seconds,
                what: None,
            });
        }
    }
    if let Some(waiting) = c.waiting_since {
        out.extend(window_close(&spec.rules, c));
        let never_replied = c.last_agent_reply_at.is_none();
        for target in &spec.rules.reply_targets {
            // rule: DY-QA-1, TT-DATA-1 (a human reply after the mark counts against them)
            if target.counts == ReplyCounted::First && !never_replied {
                continue;
            }
            out.push(Deadline {
                kind: DeadlineKind::ReplyTarget,
                rule: Some(target.rule.clone()),
                at: waiting + span(target.within),
                within_seconds: Some(target.within.as_secs()),
                what: Some(target.what.clone()),
            });
        }
        if let Some(at) = service_level_due(spec, c) {
            let within_seconds = spec.target.map(|t| u64::from(t.first_reply_minutes) * 60);
            out.push(Deadline {
                kind: DeadlineKind::ServiceLevel,
                rule: None,
                at,
                within_seconds,
                what: None,
            });
        }
    }
    out.sort_by_key(|d| d.at);
    out
}

/// When the shop's first-reply target falls due: while nobody has answered the buyer
/// (kept when the conversation ends unanswered, so the miss still counts).
pub fn service_level_due(spec: &DeadlineSpec, c: &Conversation) -> Option<DateTime<Utc>> {
    let target = spec.target?;
    if c.last_agent_reply_at.is_some() {
        return None;
    }
    Some(c.waiting_since? + Duration::minutes(i64::from(target.first_reply_minutes)))
}

/// The earliest deadline not yet missed at `now` (one at `now` is still ahead).
pub fn next_breach(spec: &DeadlineSpec, c: &Conversation, now: DateTime<Utc>) -> Option<Deadline> {
    deadlines(spec, c).into_iter().find(|d| d.at >= now)
}

/// Sets the conversation's stored deadline values before it is written: its next breach
/// at `now`, its service-level due time, and — when that due time changed — when to
/// warn of it (a warning already given for the same due time is not given again).
pub fn stamp(spec: &DeadlineSpec, c: &mut Conversation, now: DateTime<Utc>) {
    c.next_breach_at = next_breach(spec, c, now).map(|d| d.at);
    let due = service_level_due(spec, c);
    if due != c.sla_due_at {
        let lead = spec.target.map_or(0, |t| i64::from(t.warn_before_seconds));
        c.breach_warn_at = due.map(|d| d - Duration::seconds(lead));
        c.sla_due_at = due;
    }
}
