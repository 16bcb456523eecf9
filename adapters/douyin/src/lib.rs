//! Douyin shop ("Feige"): its chat rules as a [`RuleSet`] (seed page 003, rules DY-*).

pub mod adapter;
pub mod connect;
pub mod sign;
pub mod wire;

use shopmux_contract::rules::{
    AssignPolicy, Compliance, Condition, ReplyCounted, ReplyTarget, Requirement, Routing, RuleSet,
    Silent, Timer, Transition, WaitTimer,
};
use shopmux_contract::service_figures::{FigureKind, ServiceData, ServiceFigure};
use shopmux_contract::{Platform, Span};

/// The platform id.
pub static PLATFORM: Platform = Platform::from_static("douyin");

/// The figures of Feige's monitoring and rating analysis (seed 003).
fn service_data() -> ServiceData {
    ServiceData {
        figures: vec![
            // DY-QA-1: per day, week and month, per shop and per agent.
            ServiceFigure::new("DY-QA-1", FigureKind::BuyersServed),
            ServiceFigure::new("DY-QA-1", FigureKind::Consultations),
            ServiceFigure::new("DY-QA-1", FigureKind::AverageResponseTime),
            // DY-QA-2: first human reply − human assignment, averaged over conversations.
            ServiceFigure::new("DY-QA-2", FigureKind::FirstResponseTime),
            ServiceFigure::new("DY-QA-1", FigureKind::RepliesWithin).within(Span::seconds(30)),
            ServiceFigure::new("DY-QA-1", FigureKind::UnrepliedFor).within(Span::minutes(10)),
            // DY-QA-3: ratings and rating rate per agent (periods of at most 30 days).
            ServiceFigure::new("DY-QA-3", FigureKind::Ratings).longest(Span::days(30)),
            ServiceFigure::new("DY-QA-3", FigureKind::RatingRate).longest(Span::days(30)),
        ],
    }
}

/// Douyin's rules.
pub fn rule_set() -> RuleSet {
    RuleSet {
        platform: PLATFORM.clone(),
        // DY-WIN-1 and DY-END-3 both apply and the stricter wins (the spec's resolution):
        // a buyer message in the last 24 h, and the conversation open or ended < 72 h ago.
        reply: vec![
            Requirement::one("DY-WIN-1", Condition::BuyerMessageWithin { within: Span::hours(24) }),
            Requirement::any(&[
                ("DY-END-3", Condition::Open),
                ("DY-END-3", Condition::EndedWithin { within: Span::hours(72) }),
            ]),
        ],
        // DY-WIN-2: only a buyer who ordered in this shop in the last 30 days.
        initiate: vec![Requirement::one(
            "DY-WIN-2",
            Condition::OrderWithin { within: Span::days(30) },
        )],
        initiate_from_order: None,
        outbound_kinds: None,
        inbound_kinds: None,
        // DY-END-2: the agent spoke last and the buyer stayed silent 15 minutes: ended.
        timers: vec![Timer {
            rule: "DY-END-2".into(),
            silent: Silent::Buyer,
            after: Span::minutes(15),
            then: Transition::End,
        }],
        expiring: None,
        auto_reply: None,
        // DY-GREET-1: the shop's greeting opens a new conversation.
        automatic_greeting: Some("DY-GREET-1".into()),
        // DY-TIMER-1: the waiting timer starts at assignment to a human agent, stops at the
        // agent's reply and restarts at each new buyer message.
        wait_timer: Some(WaitTimer { rule: "DY-TIMER-1".into() }),
        transfer: None,
        // DY-ROUTE-1 idle rate; DY-QUEUE-1 queue when capacity or online agents run out;
        // DY-QUEUE-2 first-come or last-come order, the main account's choice (seed 003
        // §4.1.2-4.1.3).
        routing: Some(Routing {
            assign: AssignPolicy::IdleRate { rule: "DY-ROUTE-1".into() },
            queue_rule: Some("DY-QUEUE-1".into()),
            backfill_rule: Some("DY-QUEUE-1".into()),
            queue_order_rule: Some("DY-QUEUE-2".into()),
            single_agent_rule: None,
        }),
        limits: Default::default(),
        // The shared off-platform contact policies (OFF-*), links to Douyin's and its
        // shops' (jinritemai.com) domains allowed.
        compliance: Compliance::standard(&["douyin.com", "iesdouyin.com", "jinritemai.com"]),
        // DY-QA-1: the monitoring counts replies within 30 seconds and buyer messages
        // left unreplied for 10 minutes, each timed from the buyer's waiting message.
        reply_targets: vec![
            ReplyTarget {
                rule: "DY-QA-1".into(),
                within: Span::seconds(30),
                what: "replies within 30 seconds".into(),
                counts: ReplyCounted::Each,
            },
            ReplyTarget {
                rule: "DY-QA-1".into(),
                within: Span::minutes(10),
                what: "buyer messages left unreplied for 10 minutes".into(),
                counts: ReplyCounted::Each,
            },
        ],
        service_data: service_data(),
        translation: Default::default(),
    }
}
