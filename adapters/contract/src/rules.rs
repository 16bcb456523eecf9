//! A platform's rules as data. The core's one evaluator reads these; nothing here
//! decides anything.
//!
//! Windows are **requirements**: each is satisfied when any of its clauses holds, and an
//! action needs every requirement of its list satisfied. That expresses "either one
//! opens the window" (AE-WIN-2 or AE-WIN-3: one requirement, two clauses) as well as
//! "the stricter limit wins" (DY-WIN-1 and DY-END-3: two requirements).

pub use crate::compliance::{Compliance, ContactPolicy, PolicyKind};
use crate::kinds::ContentKind;
use crate::platform::Platform;
use crate::span::Span;
pub use crate::translation::TranslationRules;
use serde::{Deserialize, Serialize};

/// A rule ID of `platform-rules.md`, such as `TT-WIN-2`.
pub type RuleId = String;

/// A fact about a conversation, its buyer or the buyer's orders, true or false at an
/// instant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "when", rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    /// Always true: the action is allowed whatever the state.
    Always,
    /// The conversation is open (unassigned or in progress).
    Open,
    /// The conversation is not closed (open, or ended and in history).
    NotClosed,
    /// The buyer's latest message in this conversation is at most `within` old.
    BuyerMessageWithin {
        /// How old it may be.
        within: Span,
    },
    /// The conversation ended at most `within` ago.
    EndedWithin {
        /// How long ago.
        within: Span,
    },
    /// The conversation was closed at most `within` ago.
    ClosedWithin {
        /// How long ago.
        within: Span,
    },
    /// The buyer has an order in this shop created at most `within` ago.
    OrderWithin {
        /// How old it may be.
        within: Span,
    },
    /// The buyer has a return/refund (reverse) order in progress.
    ReverseOrderInProgress,
}

/// A condition with the rule that states it. (No `deny_unknown_fields` here: serde
/// cannot combine it with `flatten`; the flattened condition refuses unknown fields.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clause {
    /// The rule ID.
    pub rule: RuleId,
    /// The condition.
    #[serde(flatten)]
    pub condition: Condition,
}

/// Satisfied when any of its clauses holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requirement {
    /// The alternatives.
    pub any_of: Vec<Clause>,
}

impl Requirement {
    /// A requirement of one clause.
    pub fn one(rule: &str, condition: Condition) -> Self {
        Self { any_of: vec![Clause { rule: rule.into(), condition }] }
    }

    /// A requirement met by any of the clauses.
    pub fn any(clauses: &[(&str, Condition)]) -> Self {
        Self {
            any_of: clauses
                .iter()
                .map(|(r, c)| Clause { rule: (*r).into(), condition: c.clone() })
                .collect(),
        }
    }
}

/// Which message kinds may go one way, and the rule that says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KindRule {
    /// The rule ID.
    pub rule: RuleId,
    /// The kinds allowed.
    pub allowed: Vec<ContentKind>,
}

/// Who has been silent, for a lifecycle timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Silent {
    /// The buyer waits and no agent has answered (the conversation is unreplied).
    Agent,
    /// The agent's message was the last and the buyer has not answered.
    Buyer,
}

/// What a timer does to the conversation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Transition {
    /// End it (to history).
    End,
    /// Close it.
    Close,
}

/// After `after` of silence by one party, a transition (TT-WIN-1, DY-END-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timer {
    /// The rule ID.
    pub rule: RuleId,
    /// Whose silence counts.
    pub silent: Silent,
    /// How long.
    pub after: Span,
    /// What happens then.
    pub then: Transition,
}

/// After how long an unreplied conversation is flagged as expiring soon (TT-LIST-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expiry {
    /// The rule ID.
    pub rule: RuleId,
    /// Unreplied for more than this: expiring soon.
    pub after: Span,
}

/// The platform's automatic reply (AliExpress: AE-AUTO-1..4); the shop configures its
/// text and actions, the platform says when it fires and what it may carry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoReplyRule {
    /// Fires on a buyer message when the buyer sent none for `quiet` before (AE-AUTO-1).
    pub trigger_rule: RuleId,
    /// How long the buyer must have been quiet.
    pub quiet: Span,
    /// On only when enabled and its text is non-empty (AE-AUTO-2).
    pub switch_rule: RuleId,
    /// The conversation stays unread and unreplied after it (AE-AUTO-3).
    pub stays_unread_rule: RuleId,
    /// How many quick actions it may carry (AE-AUTO-4).
    pub actions_rule: RuleId,
    /// At least this many actions, when it carries any.
    pub min_actions: u32,
    /// At most this many actions.
    pub max_actions: u32,
}

/// Who may hand a conversation to another agent, and what the previous holder keeps: a
/// procedure rather than a window, implemented once in core and chosen here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
pub enum TransferPolicy {
    /// Only the holder or the main account transfers, only to an online account
    /// (`who_rule`, AE-XFER-1); the previous sub-account can no longer chat with that
    /// buyer, the main account never loses access (`access_rule`, AE-XFER-2).
    HolderOrOwnerToOnline {
        /// The rule on who may transfer to whom.
        who_rule: RuleId,
        /// The rule on the previous holder's access.
        access_rule: RuleId,
    },
}

/// How a new or queued conversation finds an agent: a procedure implemented once in
/// core, chosen here. Every automatic policy only picks agents that are *available*:
/// status online (DY-STATUS-1), accepting assignments (TT-AGENT-2), connected through a
/// live stream (TT-AGENT-3), allowed to chat in the shop (DY-PERM-1) and under their
/// own maximum (DY-CAP-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case", deny_unknown_fields)]
pub enum AssignPolicy {
    /// Nothing is assigned automatically; staff assign by hand (SH-ASSIGN-1).
    Manual {
        /// The rule ID.
        rule: RuleId,
    },
    /// The available agent with the highest idle rate (maximum − current) / maximum;
    /// ties at random (DY-ROUTE-1).
    IdleRate {
        /// The rule ID.
        rule: RuleId,
    },
    /// The available agent with the fewest current conversations; ties at random
    /// (TT-QUEUE-1: "available with spare capacity").
    LeastLoaded {
        /// The rule ID.
        rule: RuleId,
    },
    /// The agent who talked with this buyer within `within`, if available
    /// (`returning_rule`, AE-ROUTE-2); else a random available sub-account; else the
    /// main account (`new_rule`, AE-ROUTE-1).
    Sticky {
        /// The rule for a buyer nobody talked with recently.
        new_rule: RuleId,
        /// The rule for a buyer an agent talked with recently.
        returning_rule: RuleId,
        /// How recent "recently" is.
        within: Span,
    },
}

impl AssignPolicy {
    /// The policy an operator names in a shop's settings (`manual`, `idle_rate`,
    /// `least_loaded`, `sticky`), with the rule IDs of the platform that defines it.
    pub fn by_name(name: &str) -> Option<Self> {
        Some(match name {
            "manual" => Self::Manual { rule: "SH-ASSIGN-1".into() },
            "idle_rate" => Self::IdleRate { rule: "DY-ROUTE-1".into() },
            "least_loaded" => Self::LeastLoaded { rule: "TT-QUEUE-1".into() },
            "sticky" => Self::Sticky {
                new_rule: "AE-ROUTE-1".into(),
                returning_rule: "AE-ROUTE-2".into(),
                within: Span::hours(72),
            },
            _ => return None,
        })
    }

    /// The names [`AssignPolicy::by_name`] knows.
    pub const NAMES: &'static [&'static str] = &["manual", "idle_rate", "least_loaded", "sticky"];

    /// The policy's name.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Manual { .. } => "manual",
            Self::IdleRate { .. } => "idle_rate",
            Self::LeastLoaded { .. } => "least_loaded",
            Self::Sticky { .. } => "sticky",
        }
    }

    /// Its rule IDs.
    pub fn rule_ids(&self) -> Vec<&str> {
        match self {
            Self::Manual { rule } | Self::IdleRate { rule } | Self::LeastLoaded { rule } => {
                vec![rule]
            }
            Self::Sticky { new_rule, returning_rule, .. } => vec![new_rule, returning_rule],
        }
    }
}

/// Which queued conversation is assigned first.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueOrder {
    /// The one that has waited longest (TT-QUEUE-3; DY-QUEUE-2's default).
    #[default]
    FirstCome,
    /// The newest (DY-QUEUE-2, for shops with many abandoned old chats).
    LastCome,
}

/// Assignment and queueing: the policy, and the rules that say when conversations
/// queue and how the queue drains.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Routing {
    /// Who gets a conversation.
    pub assign: AssignPolicy,
    /// A conversation nobody can take waits in the shop's queue (TT-QUEUE-1,
    /// DY-QUEUE-1); it is assigned automatically when capacity appears (TT-QUEUE-3).
    pub queue_rule: Option<RuleId>,
    /// The rule on draining the queue when capacity appears.
    pub backfill_rule: Option<RuleId>,
    /// The shop's main account may choose the queue order (DY-QUEUE-2); without this
    /// rule the queue is always first-come first-served.
    pub queue_order_rule: Option<RuleId>,
    /// A shop whose only account allowed to chat is one account gives it everything,
    /// whatever its status (TT-AGENT-1).
    pub single_agent_rule: Option<RuleId>,
}

impl Routing {
    /// Routing by `assign` with no queue rules.
    pub fn only(assign: AssignPolicy) -> Self {
        Self {
            assign,
            queue_rule: None,
            backfill_rule: None,
            queue_order_rule: None,
            single_agent_rule: None,
        }
    }

    /// Its rule IDs.
    pub fn rule_ids(&self) -> Vec<&str> {
        let mut out = self.assign.rule_ids();
        for r in
            [&self.queue_rule, &self.backfill_rule, &self.queue_order_rule, &self.single_agent_rule]
                .into_iter()
                .flatten()
        {
            out.push(r);
        }
        out
    }
}

/// A waiting timer that starts at assignment to a human agent and restarts at each new
/// buyer message (DY-TIMER-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitTimer {
    /// The rule ID.
    pub rule: RuleId,
}

/// Which replies a platform's service figure counts against a reply target.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyCounted {
    /// Every human reply to a waiting buyer, timed from the buyer's first unreplied
    /// message (DY-QA-1: replies within 30 seconds, messages unreplied for 10 minutes).
    #[default]
    Each,
    /// Only the conversation's first human reply, timed from the buyer's message that
    /// opened the wait (TT-DATA-1: replied within 24 hours).
    First,
}

/// A deadline a platform's service figure sets on a human reply: a reply within
/// `within` counts toward the figure, a later one (or none) against it. Bot and
/// automatic replies never meet it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyTarget {
    /// The rule ID of the figure (`DY-QA-1`).
    pub rule: RuleId,
    /// How long a reply may take and still count.
    pub within: Span,
    /// The figure, in words (`replies within 30 seconds`).
    pub what: String,
    /// Which replies it counts.
    #[serde(default)]
    pub counts: ReplyCounted,
}

/// A number limit with the rule that sets it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// The rule ID.
    pub rule: RuleId,
    /// The most allowed.
    pub max: u32,
}

/// Limits on what messages carry.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// A cart event names a product only when the name has at most this many
    /// characters (SH-CART-1: shorter than 41).
    pub cart_product_name_chars: Option<Limit>,
    /// Only store-wide coupons may be sent; targeted ones are refused (AE-COUPON-1).
    pub store_wide_coupons_only: Option<RuleId>,
    /// At most this many products in one share (SH-PROD-1: three).
    pub products_per_share: Option<Limit>,
    /// Shared products must be published to the online store, as the platform says at
    /// sending time (SH-PROD-1).
    pub published_products_only: Option<RuleId>,
    /// A shared discount code must exist and be active, as the platform says at sending
    /// time (SH-DISC-1).
    pub active_discount_codes_only: Option<RuleId>,
}

/// A platform's rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// The platform id (`tiktok`).
    pub platform: Platform,
    /// What a reply to the buyer needs: every requirement satisfied.
    #[serde(default)]
    pub reply: Vec<Requirement>,
    /// What a seller-initiated message needs: every requirement satisfied. An empty
    /// list allows it.
    #[serde(default)]
    pub initiate: Vec<Requirement>,
    /// A seller-initiated chat must start from one of the buyer's orders, attached as an
    /// order card (AE-INIT-1); the rule ID, or none when any start is fine.
    pub initiate_from_order: Option<RuleId>,
    /// The kinds an agent may send; none means every kind.
    pub outbound_kinds: Option<KindRule>,
    /// The kinds a buyer may send; none means every kind.
    pub inbound_kinds: Option<KindRule>,
    /// Lifecycle timers.
    #[serde(default)]
    pub timers: Vec<Timer>,
    /// When an unreplied conversation counts as expiring soon.
    pub expiring: Option<Expiry>,
    /// The automatic reply the platform offers, if any.
    pub auto_reply: Option<AutoReplyRule>,
    /// The rule that lets the shop's greeting go out as a new conversation's first,
    /// automatic message (DY-GREET-1); none: the greeting is only shown where shopmux
    /// draws the chat (the storefront widget).
    #[serde(default)]
    pub automatic_greeting: Option<RuleId>,
    /// How the buyer's waiting timer runs; none: from the buyer's first unreplied message.
    pub wait_timer: Option<WaitTimer>,
    /// The transfer policy; none lets any agent with chat permission transfer.
    pub transfer: Option<TransferPolicy>,
    /// Assignment and queueing; none: nothing is assigned automatically.
    pub routing: Option<Routing>,
    /// Limits on content.
    #[serde(default)]
    pub limits: Limits,
    /// What an agent's reply must not carry (off-platform contact); none: nothing.
    #[serde(default)]
    pub compliance: Compliance,
    /// The reply deadlines the platform's service figures set (DY-QA-1, TT-DATA-1).
    #[serde(default)]
    pub reply_targets: Vec<ReplyTarget>,
    /// The service figures the platform reports (TT-DATA-*, DY-QA-*); none: generic ones.
    #[serde(default)]
    pub service_data: crate::service_figures::ServiceData,
    /// Who translates between buyer and seller (TT-TR-1, AE-TR-1, AE-TR-2); default:
    /// shopmux.
    #[serde(default)]
    pub translation: TranslationRules,
}

impl RuleSet {
    /// Rules that allow everything (the built-in `api` channel's; a starting point).
    pub fn permissive(platform: Platform) -> Self {
        Self {
            platform,
            reply: vec![],
            initiate: vec![],
            initiate_from_order: None,
            outbound_kinds: None,
            inbound_kinds: None,
            timers: vec![],
            expiring: None,
            auto_reply: None,
            automatic_greeting: None,
            wait_timer: None,
            transfer: None,
            routing: None,
            limits: Limits::default(),
            compliance: Compliance::default(),
            reply_targets: vec![],
            service_data: Default::default(),
            translation: TranslationRules::default(),
        }
    }

    /// Every rule ID the set names, in order of appearance, without repeats.
    pub fn rule_ids(&self) -> Vec<&str> {
        let clauses = self
            .reply
            .iter()
            .chain(&self.initiate)
            .flat_map(|req| req.any_of.iter().map(|c| c.rule.as_str()));
        let kinds = self.outbound_kinds.iter().chain(&self.inbound_kinds).map(|k| k.rule.as_str());
        let timers = self.timers.iter().map(|t| t.rule.as_str());
        let limits = self.limits.cart_product_name_chars.iter().map(|l| l.rule.as_str());
        let coupons = self
            .limits
            .store_wide_coupons_only
            .iter()
            .chain(&self.limits.published_products_only)
            .chain(&self.limits.active_discount_codes_only)
            .map(String::as_str)
            .chain(self.limits.products_per_share.iter().map(|l| l.rule.as_str()));
        let from_order = self.initiate_from_order.iter().map(String::as_str);
        let greeting = self.automatic_greeting.iter().map(String::as_str);
        let wait = self.wait_timer.iter().map(|w| w.rule.as_str());
        let expiring = self.expiring.iter().map(|e| e.rule.as_str());
        let auto = self.auto_reply.iter().flat_map(|a| {
            [
                a.trigger_rule.as_str(),
                a.switch_rule.as_str(),
                a.stays_unread_rule.as_str(),
                a.actions_rule.as_str(),
            ]
        });
        let transfer = self.transfer.iter().flat_map(|t| match t {
            TransferPolicy::HolderOrOwnerToOnline { who_rule, access_rule } => {
                [who_rule.as_str(), access_rule.as_str()]
            }
        });
        let routing = self.routing.iter().flat_map(Routing::rule_ids);
        let targets = self.reply_targets.iter().map(|t| t.rule.as_str());
        let figures = self.service_data.figures.iter().map(|f| f.rule.as_str());
        let mut out: Vec<&str> = Vec::new();
        for r in clauses
            .chain(kinds)
            .chain(timers)
            .chain(limits)
            .chain(coupons)
            .chain(from_order)
            .chain(greeting)
            .chain(expiring)
            .chain(auto)
            .chain(transfer)
            .chain(wait)
            .chain(routing)
            .chain(figures)
            .chain(self.compliance.rule_ids())
            .chain(targets)
            .chain(self.translation.rule_ids())
        {
            if !out.contains(&r) {
                out.push(r);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_set_is_plain_json_data() {
        let json = r#"{
            "platform": "example",
            "reply": [{"any_of": [{"rule": "EX-WIN-1", "when": "buyer_message_within", "within": "24h"}]}],
            "timers": [{"rule": "EX-END-1", "silent": "buyer", "after": "15m", "then": "end"}]
        }"#;
        let set: RuleSet = serde_json::from_str(json).unwrap();
        assert_eq!(
            set.reply[0].any_of[0].condition,
            Condition::BuyerMessageWithin { within: Span::hours(24) }
        );
        assert_eq!(set.rule_ids(), vec!["EX-WIN-1", "EX-END-1"]);
        let back: RuleSet = serde_json::from_str(&serde_json::to_string(&set).unwrap()).unwrap();
        assert_eq!(back, set);
    }

    #[test]
    fn reply_targets_are_data_with_durations_a_shop_may_override() {
        // rule: DY-QA-1 (the 30-second mark is data, not code)
        let json = r#"{
            "platform": "example",
            "reply_targets": [{"rule": "EX-QA-1", "within": "30s", "what": "replies within 30 seconds"},
                              {"rule": "EX-DATA-1", "within": "24h", "what": "24-hour response rate", "counts": "first"}]
        }"#;
        let set: RuleSet = serde_json::from_str(json).unwrap();
        assert_eq!(set.reply_targets[0].counts, ReplyCounted::Each);
        assert_eq!(set.reply_targets[1].counts, ReplyCounted::First);
        assert_eq!(set.rule_ids(), vec!["EX-QA-1", "EX-DATA-1"]);
        assert_eq!(set.validate(), Ok(()));
        let twelve = SpanOverrides::from([("EX-DATA-1".into(), Span::hours(12))]);
        assert_eq!(set.with_overrides(&twelve).unwrap().reply_targets[1].within, Span::hours(12));
        let mut blank = set.clone();
        blank.reply_targets[0].what = " ".into();
        assert!(blank.validate().unwrap_err().contains("reply_targets[0]"));
    }

    #[test]
    fn unknown_conditions_are_refused() {
        let json =
            r#"{"platform": "x", "reply": [{"any_of": [{"rule": "X-1", "when": "full_moon"}]}]}"#;
        assert!(serde_json::from_str::<RuleSet>(json).is_err());
    }
}

/// Durations of a rule set replaced per shop: rule ID → new span.
pub type SpanOverrides = std::collections::BTreeMap<String, Span>;

impl RuleSet {
    /// This set with the durations of the named rules replaced (a platform changed its
    /// policy before shopmux did). Fails naming a rule the set lacks or one without a
    /// duration.
    pub fn with_overrides(&self, overrides: &SpanOverrides) -> Result<RuleSet, String> {
        let mut out = self.clone();
        for (rule, span) in overrides {
            let mut found = false;
            let mut set = |r: &str, target: &mut Span| {
                if r == rule {
                    *target = *span;
                    found = true;
                }
            };
            for req in out.reply.iter_mut().chain(out.initiate.iter_mut()) {
                for clause in &mut req.any_of {
                    match &mut clause.condition {
                        Condition::BuyerMessageWithin { within }
                        | Condition::EndedWithin { within }
                        | Condition::ClosedWithin { within }
                        | Condition::OrderWithin { within } => set(&clause.rule, within),
                        Condition::Always
                        | Condition::Open
                        | Condition::NotClosed
                        | Condition::ReverseOrderInProgress => {}
                    }
                }
            }
            for timer in &mut out.timers {
                set(&timer.rule, &mut timer.after);
            }
            for target in &mut out.reply_targets {
                set(&target.rule, &mut target.within);
            }
            if let Some(e) = &mut out.expiring {
                set(&e.rule, &mut e.after);
            }
            if let Some(Routing {
                assign: AssignPolicy::Sticky { new_rule, returning_rule, within },
                ..
            }) = &mut out.routing
            {
                set(returning_rule, within);
                set(new_rule, within);
            }
            found |= out.service_data.override_window(rule, *span);
            if !found {
                return Err(format!(
                    "{} has no rule {rule} with a duration to override",
                    self.platform
                ));
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod override_tests {
    use super::*;

    #[test]
    fn overrides_replace_the_named_durations_only() {
        let set = RuleSet {
            reply: vec![Requirement::any(&[
                ("X-WIN-1", Condition::NotClosed),
                ("X-WIN-1", Condition::ClosedWithin { within: Span::days(30) }),
            ])],
            timers: vec![Timer {
                rule: "X-END-1".into(),
                silent: Silent::Buyer,
                after: Span::minutes(15),
                then: Transition::End,
            }],
            ..RuleSet::permissive(Platform::from_static("x"))
        };
        let overridden =
            set.with_overrides(&SpanOverrides::from([("X-WIN-1".into(), Span::days(45))])).unwrap();
        assert_eq!(
            overridden.reply[0].any_of[1].condition,
            Condition::ClosedWithin { within: Span::days(45) }
        );
        assert_eq!(overridden.timers, set.timers);
        let err = set
            .with_overrides(&SpanOverrides::from([("X-NOPE-1".into(), Span::days(1))]))
            .unwrap_err();
        assert!(err.contains("X-NOPE-1"), "{err}");
    }
}

/// The longest duration a rule set may name: ten years (longer is a typo, and would
/// overflow millisecond arithmetic soon enough).
pub const MAX_RULE_SPAN: Span = Span::days(3650);

impl RuleSet {
    /// Checks that the set is sane before the core uses it (a plugin's rule set is
    /// checked at load; its platform id was checked when read): every rule ID is 1 to 64
    /// characters of letters, digits, `-`, `_`, `.`; every requirement has a clause;
    /// every duration is between 1 s and [`MAX_RULE_SPAN`]; kind lists are not empty;
    /// number limits are at least 1; the automatic reply's action bounds are ordered.
    /// Fails with the first problem, naming where it is.
    pub fn validate(&self) -> Result<(), String> {
        for rule in self.rule_ids() {
            let ok = (1..=64).contains(&rule.len())
                && rule
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if !ok {
                return Err(format!(
                    "rule ID `{rule}` is not 1 to 64 characters of letters, digits, `-`, `_`, `.`"
                ));
            }
        }
        let span = |at: String, span: &Span| {
            if span.as_secs() == 0 || *span > MAX_RULE_SPAN {
                Err(format!("{at}: the duration {span} is not between 1s and {MAX_RULE_SPAN}"))
            } else {
                Ok(())
            }
        };
        for (name, list) in [("reply", &self.reply), ("initiate", &self.initiate)] {
            for (i, req) in list.iter().enumerate() {
                if req.any_of.is_empty() {
                    return Err(format!(
                        "{name}[{i}] has no clause, so nothing could ever satisfy it"
                    ));
                }
                for (j, clause) in req.any_of.iter().enumerate() {
                    let at = || format!("{name}[{i}].any_of[{j}] ({})", clause.rule);
                    match &clause.condition {
                        Condition::BuyerMessageWithin { within }
                        | Condition::EndedWithin { within }
                        | Condition::ClosedWithin { within }
                        | Condition::OrderWithin { within } => span(at(), within)?,
                        Condition::Always
                        | Condition::Open
                        | Condition::NotClosed
                        | Condition::ReverseOrderInProgress => {}
                    }
                }
            }
        }
        for (name, kinds) in
            [("outbound_kinds", &self.outbound_kinds), ("inbound_kinds", &self.inbound_kinds)]
        {
            if let Some(k) = kinds
                && k.allowed.is_empty()
            {
                return Err(format!(
                    "{name} ({}) allows no kind at all; leave it out to allow every kind",
                    k.rule
                ));
            }
        }
        for (i, timer) in self.timers.iter().enumerate() {
            span(format!("timers[{i}] ({})", timer.rule), &timer.after)?;
        }
        if let Some(e) = &self.expiring {
            span(format!("expiring ({})", e.rule), &e.after)?;
        }
        for (i, target) in self.reply_targets.iter().enumerate() {
            span(format!("reply_targets[{i}] ({})", target.rule), &target.within)?;
            if target.what.trim().is_empty() || target.what.chars().count() > 200 {
                return Err(format!(
                    "reply_targets[{i}] ({}): `what` must be 1 to 200 characters",
                    target.rule
                ));
            }
        }
        if let Some(a) = &self.auto_reply {
            span(format!("auto_reply ({})", a.trigger_rule), &a.quiet)?;
            if a.min_actions > a.max_actions {
                return Err(format!(
                    "auto_reply ({}): min_actions {} is above max_actions {}",
                    a.actions_rule, a.min_actions, a.max_actions
                ));
            }
        }
        if let Some(Routing {
            assign: AssignPolicy::Sticky { returning_rule, within, .. }, ..
        }) = &self.routing
        {
            span(format!("routing.assign ({returning_rule})"), within)?;
        }
        for (name, limit) in [
            ("limits.cart_product_name_chars", &self.limits.cart_product_name_chars),
            ("limits.products_per_share", &self.limits.products_per_share),
        ] {
            if let Some(l) = limit
                && l.max == 0
            {
                return Err(format!("{name} ({}): max must be at least 1", l.rule));
            }
        }
        self.compliance.validate()
    }
}

#[cfg(test)]
mod validate_tests {
    use super::*;

    #[test]
    fn rule_sets_with_invalid_platform_ids_do_not_read() {
        let permissive = RuleSet::permissive(Platform::new("shop_2").unwrap());
        assert_eq!(permissive.validate(), Ok(()));
        for id in ["", "TikTok", "bad id", "x/y", "é", "shop-2"] {
            let text = format!(r#"{{"platform": {id:?}}}"#);
            let err = serde_json::from_str::<RuleSet>(&text).unwrap_err();
            assert!(err.to_string().contains("not a valid id"), "{id}: {err}");
        }
    }

    #[test]
    fn insane_numbers_and_empty_lists_are_refused_naming_the_place() {
        let base = RuleSet::permissive(Platform::from_static("x"));
        let zero_window = RuleSet {
            reply: vec![Requirement::one(
                "X-WIN-1",
                Condition::BuyerMessageWithin { within: Span::seconds(0) },
            )],
            ..base.clone()
        };
        let err = zero_window.validate().unwrap_err();
        assert!(err.contains("reply[0].any_of[0] (X-WIN-1)"), "{err}");

        let huge_timer = RuleSet {
            timers: vec![Timer {
                rule: "X-END-1".into(),
                silent: Silent::Buyer,
                after: Span::days(3651),
                then: Transition::End,
            }],
            ..base.clone()
        };
        assert!(huge_timer.validate().unwrap_err().contains("timers[0]"));

        let no_clause = RuleSet { initiate: vec![Requirement { any_of: vec![] }], ..base.clone() };
        assert!(no_clause.validate().unwrap_err().contains("initiate[0]"));

        let no_kinds = RuleSet {
            outbound_kinds: Some(KindRule { rule: "X-KIND-1".into(), allowed: vec![] }),
            ..base.clone()
        };
        assert!(no_kinds.validate().unwrap_err().contains("outbound_kinds"));

        let zero_limit = RuleSet {
            limits: Limits {
                products_per_share: Some(Limit { rule: "X-PROD-1".into(), max: 0 }),
                ..Limits::default()
            },
            ..base.clone()
        };
        assert!(zero_limit.validate().unwrap_err().contains("products_per_share"));

        let bad_rule_id =
            RuleSet { reply: vec![Requirement::one("X WIN", Condition::Open)], ..base.clone() };
        assert!(bad_rule_id.validate().unwrap_err().contains("`X WIN`"));

        let sticky_zero = RuleSet {
            routing: Some(Routing::only(AssignPolicy::Sticky {
                new_rule: "X-R-1".into(),
                returning_rule: "X-R-2".into(),
                within: Span::seconds(0),
            })),
            ..base
        };
        assert!(sticky_zero.validate().unwrap_err().contains("X-R-2"));
    }
}
