//! The rules engine: one evaluator for every platform's [`RuleSet`]. It is a pure
//! function of (rule set, conversation, the buyer's orders, the action, `now`) and
//! never looks at the platform's name. A refusal names the rule, says why in plain
//! words, and gives the instant the window closed when there is one.

use super::model::{Conversation, ConversationState, Order};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use shopmux_contract::content::{CouponScope, MessageContent};
use shopmux_contract::rules::{Clause, Condition, KindRule, Requirement, RuleSet, Silent, Timer};
use shopmux_contract::span::Span;

/// Why an action is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Refusal {
    /// The rule ID (several joined by `/` when any of them would have allowed it).
    pub rule: String,
    /// A plain-language reason.
    pub message: String,
    /// When the window closed, if it was open before.
    pub window_closed_at: Option<DateTime<Utc>>,
}

/// What the rules say about an action now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Permission {
    /// Whether it is allowed now.
    pub allowed: bool,
    /// Until when it stays allowed, when a window limits it.
    pub deadline: Option<DateTime<Utc>>,
    /// Why not, when refused.
    pub refusal: Option<Refusal>,
}

impl Permission {
    fn from(result: Result<Option<DateTime<Utc>>, Refusal>) -> Self {
        match result {
            Ok(deadline) => Self { allowed: true, deadline, refusal: None },
            Err(refusal) => Self { allowed: false, deadline: None, refusal: Some(refusal) },
        }
    }
}

fn span(s: Span) -> Duration {
    Duration::seconds(s.as_secs().min(i64::MAX as u64 / 1000) as i64)
}

/// Whether a clause holds at `now`, and until when (none: no time limit).
type ClauseState = (bool, Option<DateTime<Utc>>);

/// The [`ClauseState`] of a condition.
fn clause_state(
    condition: &Condition, conversation: Option<&Conversation>, orders: &[Order],
    now: DateTime<Utc>,
) -> ClauseState {
    let timed = |since: Option<DateTime<Utc>>, within: Span| match since {
        Some(t) => {
            let closes = t + span(within);
            (now <= closes, Some(closes))
        }
        None => (false, None),
    };
    match condition {
        Condition::Always => (true, None),
        Condition::Open => (conversation.is_some_and(|c| c.state.is_open()), None),
        Condition::NotClosed => {
            (conversation.is_some_and(|c| c.state != ConversationState::Closed), None)
        }
        Condition::BuyerMessageWithin { within } => {
            timed(conversation.and_then(|c| c.last_buyer_message_at), *within)
        }
        Condition::EndedWithin { within } => timed(
            conversation.filter(|c| c.state == ConversationState::Ended).and_then(|c| c.ended_at),
            *within,
        ),
        Condition::ClosedWithin { within } => timed(
            conversation.filter(|c| c.state == ConversationState::Closed).and_then(|c| c.closed_at),
            *within,
        ),
        Condition::OrderWithin { within } => {
            timed(orders.iter().map(|o| o.created_at).max(), *within)
        }
        Condition::ReverseOrderInProgress => (orders.iter().any(|o| o.reverse_in_progress), None),
    }
}

/// The plain-language need a condition expresses.
pub fn describe(condition: &Condition) -> String {
    match condition {
        Condition::Always => "nothing".into(),
        Condition::Open => "the conversation to be open".into(),
        Condition::NotClosed => "the conversation not to be closed".into(),
        Condition::BuyerMessageWithin { within } => format!("a buyer message in the last {within}"),
        Condition::EndedWithin { within } => {
            format!("the conversation to have ended less than {within} ago")
        }
        Condition::ClosedWithin { within } => {
            format!("the conversation to have been closed less than {within} ago")
        }
        Condition::OrderWithin { within } => {
            format!("an order of this buyer placed in the last {within}")
        }
        Condition::ReverseOrderInProgress => "a return or refund in progress".into(),
    }
}

fn requirement(
    req: &Requirement, what: &str, conversation: Option<&Conversation>, orders: &[Order],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Refusal> {
    let states: Vec<(&Clause, ClauseState)> = req
        .any_of
        .iter()
        .map(|c| (c, clause_state(&c.condition, conversation, orders, now)))
        .collect();
    let holding: Vec<Option<DateTime<Utc>>> =
        states.iter().filter(|(_, (ok, _))| *ok).map(|(_, (_, t))| *t).collect();
    if !holding.is_empty() {
        // Unlimited if any holding clause has no limit, else the latest limit.
        return Ok(if holding.iter().any(Option::is_none) {
            None
        } else {
            holding.into_iter().flatten().max()
        });
    }
    let mut rules: Vec<&str> = Vec::new();
    for (c, _) in &states {
        if !rules.contains(&c.rule.as_str()) {
            rules.push(&c.rule);
        }
    }
    let rule = rules.join("/");
    let needs = states
        .iter()
        .map(|(c, _)| format!("{} ({})", describe(&c.condition), c.rule))
        .collect::<Vec<_>>();
    let window_closed_at = states.iter().filter_map(|(_, (_, t))| *t).filter(|t| *t < now).max();
    Err(Refusal { rule, message: format!("{what} needs {}", needs.join(" or ")), window_closed_at })
}

fn all(
    reqs: &[Requirement], what: &str, conversation: Option<&Conversation>, orders: &[Order],
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Refusal> {
    let mut deadline: Option<DateTime<Utc>> = None;
    for req in reqs {
        if let Some(t) = requirement(req, what, conversation, orders, now)? {
            deadline = Some(deadline.map_or(t, |d| d.min(t)));
        }
    }
    Ok(deadline)
}

/// Whether an agent may reply in this conversation now, and until when.
pub fn can_reply(
    rules: &RuleSet, conversation: &Conversation, orders: &[Order], now: DateTime<Utc>,
) -> Permission {
    Permission::from(all(&rules.reply, "A reply", Some(conversation), orders, now))
}

/// Whether the seller may start a conversation with this buyer now (the buyer's latest
/// conversation, if any, and orders are the facts).
pub fn can_initiate(
    rules: &RuleSet, latest: Option<&Conversation>, orders: &[Order], now: DateTime<Utc>,
) -> Permission {
    Permission::from(all(&rules.initiate, "Starting a chat", latest, orders, now))
}

fn check_kind(
    rules: &RuleSet, kinds: Option<&KindRule>, from: &str, content: &MessageContent,
) -> Result<(), Refusal> {
    let Some(kinds) = kinds else { return Ok(()) };
    let kind = content.kind();
    if kinds.allowed.contains(&kind) {
        return Ok(());
    }
    let name = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    Err(Refusal {
        rule: kinds.rule.clone(),
        message: format!("{} chat does not carry `{name}` messages from {from}", rules.platform),
        window_closed_at: None,
    })
}

/// Checks that the platform carries this kind of content from agents (ALL-CARD-1: a
/// platform that lacks a type refuses it with a clear error).
pub fn check_outbound_kind(rules: &RuleSet, content: &MessageContent) -> Result<(), Refusal> {
    check_kind(rules, rules.outbound_kinds.as_ref(), "agents", content)
}

/// Checks that buyers may send this kind of content on the platform (SH-IMG-1: a
/// customer's image is refused, never stored as if allowed).
pub fn check_inbound_kind(rules: &RuleSet, content: &MessageContent) -> Result<(), Refusal> {
    check_kind(rules, rules.inbound_kinds.as_ref(), "buyers", content)
}

/// Checks what an agent's message carries against the platform's limits
/// (AE-COUPON-1: only store-wide coupons).
pub fn check_outbound_content(rules: &RuleSet, content: &MessageContent) -> Result<(), Refusal> {
    if let (Some(limit), MessageContent::ProductList { products, .. }) =
        (&rules.limits.products_per_share, content)
        && products.len() > limit.max as usize
    {
        // rule: SH-PROD-1 (at most three products at a time)
        return Err(Refusal {
            rule: limit.rule.clone(),
            message: format!(
                "{} products in one share: {} takes at most {}",
                products.len(),
                rules.platform,
                limit.max
            ),
            window_closed_at: None,
        });
    }
    if let (Some(rule), MessageContent::CouponCard { code, scope, .. }) =
        (&rules.limits.store_wide_coupons_only, content)
        && *scope != Some(CouponScope::Store)
    {
        return Err(Refusal {
            rule: rule.clone(),
            message: format!(
                "only store-wide coupons can be sent in {} chat; `{code}` is not one",
                rules.platform
            ),
            window_closed_at: None,
        });
    }
    Ok(())
}

/// Brings an inbound message's content within the platform's display rules
/// (SH-CART-1: a cart event names a product only when the name is short enough).
pub fn normalize_inbound(rules: &RuleSet, content: &mut MessageContent) {
    if let (Some(limit), MessageContent::CartEvent { lines, .. }) =
        (&rules.limits.cart_product_name_chars, content)
    {
        for line in lines {
            if line.product_name.as_ref().is_some_and(|n| n.chars().count() > limit.max as usize) {
                line.product_name = None;
            }
        }
    }
}

/// Checks an agent's reply: its kind, then the reply windows.
pub fn check_reply(
    rules: &RuleSet, conversation: &Conversation, orders: &[Order], content: &MessageContent,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, Refusal> {
    check_outbound_kind(rules, content)?;
    check_outbound_content(rules, content)?;
    all(&rules.reply, "A reply", Some(conversation), orders, now)
}

/// The instant a lifecycle timer falls due for this conversation, if it applies to its
/// current state: TT-WIN-1 counts from the buyer's unreplied message, DY-END-2 from the
/// agent's last message while the buyer stays silent.
pub fn timer_due_at(timer: &Timer, conversation: &Conversation) -> Option<DateTime<Utc>> {
    if !conversation.state.is_open() {
        return None;
    }
    let since = match timer.silent {
        Silent::Agent => conversation.waiting_since?,
        Silent::Buyer => {
            if conversation.waiting_since.is_some() {
                // The buyer is the one waiting: never ends by itself (DY-END-2).
                return None;
            }
            conversation.last_agent_reply_at?
        }
    };
    Some(since + span(timer.after))
}

/// Since when the buyer's waiting timer runs, if it runs: by default from the buyer's
/// first unreplied message; under DY-TIMER-1 from the later of the assignment to a human
/// agent and the buyer's latest message (it restarts at each one), and only once assigned.
pub fn wait_started_at(rules: &RuleSet, conversation: &Conversation) -> Option<DateTime<Utc>> {
    let waiting = conversation.waiting_since?;
    match &rules.wait_timer {
        None => Some(waiting),
        Some(_) => {
            let assigned = conversation.assigned_at?;
            let latest = conversation.last_buyer_message_at.unwrap_or(waiting);
            Some(assigned.max(latest))
        }
    }
}
