//! TikTok Shop: its chat rules as a [`RuleSet`] (seed page 001, rules TT-*), its wire
//! layer, and the [`adapter::TikTok`] connection built on them.

pub mod adapter;
/// Request signing and webhook verification (Partner API v2).
pub mod sign;
pub mod wire;

use shopmux_contract::rules::{
    AssignPolicy, Compliance, Condition, Expiry, KindRule, ReplyCounted, ReplyTarget, Requirement,
    Routing, RuleSet, Silent, Timer, Transition,
};
use shopmux_contract::service_figures::{FigureKind, ServiceData, ServiceFigure};
use shopmux_contract::translation::TranslationRules;
use shopmux_contract::{ContentKind, Platform, Span};

/// The platform id.
pub static PLATFORM: Platform = Platform::from_static("tiktok");

/// The figures TikTok's data page shows (seed 001 §2.6).
fn service_data() -> ServiceData {
    ServiceData {
        figures: vec![
            // TT-DATA-1: replied within 24 hours over the past 7 days (24 h by default; a
            // shop overrides it, `rule_overrides: {"TT-DATA-1": "12h"}`, since TikTok's
            // store rating moved to 12 hours in 2025).
            ServiceFigure::new("TT-DATA-1", FigureKind::ResponseRate)
                .within(Span::hours(24))
                .over(Span::days(7)),
            // TT-DATA-2: today's satisfied ratings over today's rated conversations.
            ServiceFigure::new("TT-DATA-2", FigureKind::Satisfaction),
            // TT-DATA-3: conversations buyers started today, assigned to the agent.
            ServiceFigure::new("TT-DATA-3", FigureKind::Received),
        ],
    }
}

/// TikTok Shop's rules.
pub fn rule_set() -> RuleSet {
    RuleSet {
        platform: PLATFORM.clone(),
        // TT-WIN-2: 30 days after a conversation left the open lists (ended by an agent,
        // timed out by TT-WIN-1, or closed) it can no longer be replied to. Seed 001: a
        // timed-out conversation "enters the history list; after 30 days it can no longer
        // be replied to".
        reply: vec![Requirement::any(&[
            ("TT-WIN-2", Condition::Open),
            ("TT-WIN-2", Condition::EndedWithin { within: Span::days(30) }),
            ("TT-WIN-2", Condition::ClosedWithin { within: Span::days(30) }),
        ])],
        // TT-INIT-1: an order in the last 60 days, or a return/refund in progress.
        initiate: vec![Requirement::any(&[
            ("TT-INIT-1", Condition::OrderWithin { within: Span::days(60) }),
            ("TT-INIT-1", Condition::ReverseOrderInProgress),
        ])],
        // TT-MSG-1: agents send text, emoji, image and video.
        initiate_from_order: None,
        outbound_kinds: Some(KindRule {
            rule: "TT-MSG-1".into(),
            allowed: vec![
                ContentKind::Text,
                ContentKind::Emoji,
                ContentKind::Image,
                ContentKind::Video,
            ],
        }),
        inbound_kinds: None,
        // TT-WIN-1: a buyer message unreplied for 7 days times the conversation out into
        // history (seed 001: "closed automatically ... enters the history list").
        timers: vec![Timer {
            rule: "TT-WIN-1".into(),
            silent: Silent::Agent,
            after: Span::days(7),
            then: Transition::End,
        }],
        // TT-LIST-2: unreplied for more than 20 hours is "expiring soon".
        expiring: Some(Expiry { rule: "TT-LIST-2".into(), after: Span::hours(20) }),
        automatic_greeting: None,
        auto_reply: None,
        wait_timer: None,
        transfer: None,
        // TT-AGENT-1..3, TT-QUEUE-1..3: available agents with spare capacity take new
        // conversations; otherwise they wait unassigned and are back-filled oldest first
        // (seed 001 l.53-59); a shop with one chat account gives it everything (l.24).
        routing: Some(Routing {
            assign: AssignPolicy::LeastLoaded { rule: "TT-QUEUE-1".into() },
            queue_rule: Some("TT-QUEUE-1".into()),
            backfill_rule: Some("TT-QUEUE-3".into()),
            queue_order_rule: None,
            single_agent_rule: Some("TT-AGENT-1".into()),
        }),
        limits: Default::default(),
        // The shared off-platform contact policies (OFF-*), links to TikTok Shop's own
        // domains allowed.
        compliance: Compliance::standard(&["tiktok.com", "tiktokshop.com", "tiktokglobalshop.com"]),
        // TT-DATA-1: a buyer-initiated conversation counts toward the response rate when
        // its first reply comes within 24 hours (12 hours for the 2025 store rating: a
        // shop overrides the duration).
        reply_targets: vec![ReplyTarget {
            rule: "TT-DATA-1".into(),
            within: Span::hours(24),
            what: "the response rate (first replies within its window)".into(),
            counts: ReplyCounted::First,
        }],
        service_data: service_data(),
        // TT-TR-1: shopmux translates the draft live and shows every message in the
        // original and in the agent's language.
        translation: TranslationRules::Shopmux { rule: Some("TT-TR-1".into()) },
    }
}
