//! AliExpress: its chat rules as a [`RuleSet`] (seed pages 000 and 004, rules AE-*), the
//! sans-IO wire layer of its open platform, and the [`AliExpress`] adapter built on them.

pub mod adapter;
pub mod sign;
pub mod wire;

pub use adapter::AliExpress;

use shopmux_contract::rules::{
    AssignPolicy, AutoReplyRule, Compliance, Condition, KindRule, Limits, Requirement, Routing,
    RuleSet, TransferPolicy,
};
use shopmux_contract::translation::TranslationRules;
use shopmux_contract::{ContentKind, Platform, Span};

/// The platform id.
pub static PLATFORM: Platform = Platform::from_static("aliexpress");

/// AE-WIN-2 or AE-WIN-3 opens the window: the buyer's latest message is at most 30 days
/// old, or the buyer ordered in this shop at most 150 days ago.
fn seller_message_window() -> Requirement {
    Requirement::any(&[
        ("AE-WIN-2", Condition::BuyerMessageWithin { within: Span::days(30) }),
        ("AE-WIN-3", Condition::OrderWithin { within: Span::days(150) }),
    ])
}

/// AliExpress's rules.
///
/// AE-WIN-1: a buyer may start a chat at any time, at any stage, so nothing limits
/// inbound messages.
pub fn rule_set() -> RuleSet {
    RuleSet {
        platform: PLATFORM.clone(),
        reply: vec![seller_message_window()],
        initiate: vec![seller_message_window()],
        // AE-INIT-1: the seller starts from an order (or dispute), attached as a card.
        // AE-INIT-1: the seller starts from an order, attached as an order card.
        initiate_from_order: Some("AE-INIT-1".into()),
        // ALL-CARD-1: the message centre carries text, emoji, images, product, order and
        // coupon cards (and automatic replies as text); anything else — a video, a
        // rating invitation (DY-RATE-1 is not AliExpress's) — is refused before sending.
        outbound_kinds: Some(KindRule {
            rule: "ALL-CARD-1".into(),
            allowed: vec![
                ContentKind::Text,
                ContentKind::Emoji,
                ContentKind::Image,
                ContentKind::ProductCard,
                ContentKind::OrderCard,
                ContentKind::CouponCard,
                ContentKind::AutoReply,
            ],
        }),
        inbound_kinds: None,
        timers: vec![],
        // AE-COUPON-1: only store-wide coupons can be sent in chat.
        expiring: None,
        automatic_greeting: None,
        // AE-AUTO-1..4: the shop's automatic reply fires on a buyer's first message in
        // 24 hours, only when switched on with a text, leaves the chat unread and
        // unreplied, and carries 3 to 9 quick actions.
        auto_reply: Some(AutoReplyRule {
            trigger_rule: "AE-AUTO-1".into(),
            quiet: Span::hours(24),
            switch_rule: "AE-AUTO-2".into(),
            stays_unread_rule: "AE-AUTO-3".into(),
            actions_rule: "AE-AUTO-4".into(),
            min_actions: 3,
            max_actions: 9,
        }),
        // AE-XFER-1/2: holder or main account transfers to an online account; the previous
        // sub-account loses that buyer, the main account never does.
        wait_timer: None,
        transfer: Some(TransferPolicy::HolderOrOwnerToOnline {
            who_rule: "AE-XFER-1".into(),
            access_rule: "AE-XFER-2".into(),
        }),
        // AE-ROUTE-1/2: the agent of the last 72 hours if online, else a random online
        // sub-account, else the main account (seed 000 l.152-154).
        routing: Some(Routing::only(AssignPolicy::Sticky {
            new_rule: "AE-ROUTE-1".into(),
            returning_rule: "AE-ROUTE-2".into(),
            within: Span::hours(72),
        })),
        limits: Limits { store_wide_coupons_only: Some("AE-COUPON-1".into()), ..Limits::default() },
        // The shared off-platform contact policies (OFF-*), links to AliExpress's own
        // domains allowed.
        compliance: Compliance::standard(&["aliexpress.com", "aliexpress.us", "aliexpress.ru"]),
        reply_targets: vec![],
        service_data: Default::default(),
        // AE-TR-1: AliExpress shows the buyer what the seller sends in the buyer's
        // language (English where unsupported), so replies leave untranslated; AE-TR-2:
        // the seller reads in their language and may choose source and target.
        translation: TranslationRules::PlatformTranslates {
            rule: "AE-TR-1".into(),
            choice_rule: Some("AE-TR-2".into()),
            fallback_language: "en".into(),
        },
    }
}
