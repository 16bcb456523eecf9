//! AliExpress: its chat rules as a [`RuleSet`] (seed pages 000 and 004, rules AE-*).

use shopmux_contract::Span;
use shopmux_contract::rules::{Condition, Limits, Requirement, RuleSet};

/// The platform id.
pub const PLATFORM: &str = "aliexpress";

/// AE-WIN-2 or AE-WIN-3 opens the window: the buyer's latest message is at most 30 days
/// old, or the buyer ordered in this shop at most 150 days ago.
fn seller_message_window() -> Requirement {
    Requirement::any(&[
        (
            "AE-WIN-2",
            Condition::BuyerMessageWithin {
                within: Span::days(30),
            },
        ),
        (
            "AE-WIN-3",
            Condition::OrderWithin {
                within: Span::days(150),
            },
        ),
    ])
}

/// AliExpress's rules.
pub fn rule_set() -> RuleSet {
    RuleSet {
        platform: PLATFORM.into(),
        reply: vec![seller_message_window()],
        initiate: vec![seller_message_window()],
        // AE-INIT-1: the seller starts from an order (or dispute), attached as a card.
        // AE-INIT-1: the seller starts from an order, attached as an order card.
        initiate_from_order: Some("AE-INIT-1".into()),
        outbound_kinds: None,
        inbound_kinds: None,
        timers: vec![],
        // AE-COUPON-1: only store-wide coupons can be sent in chat.
        expiring: None,
        limits: Limits {
            store_wide_coupons_only: Some("AE-COUPON-1".into()),
            ..Limits::default()
        },
    }
}
