//! Shopify (storefront chat): its chat rules as a [`RuleSet`] (seed page 002, rules SH-*).

pub mod adapter;
/// Connecting a store through Shopify's authorization page.
pub mod connect;
pub mod events;
/// The authorization-code grant's signatures and requests (sans-IO).
pub mod oauth;
/// `app/uninstalled` and the mandatory privacy webhooks.
pub mod privacy;
/// App Proxy request verification (`signature` over the query).
pub mod proxy;
/// Webhook HMAC verification (`X-Shopify-Hmac-Sha256`).
pub mod sign;
pub mod wire;

use shopmux_contract::rules::{AssignPolicy, KindRule, Limit, Limits, Routing, RuleSet};
use shopmux_contract::{ContentKind, Platform};

/// The platform id.
pub static PLATFORM: Platform = Platform::from_static("shopify");

/// Shopify's rules: no reply window; customers cannot send images (SH-IMG-1).
pub fn rule_set() -> RuleSet {
    RuleSet {
        platform: PLATFORM.clone(),
        reply: vec![],
        initiate: vec![],
        initiate_from_order: None,
        outbound_kinds: None,
        inbound_kinds: Some(KindRule {
            rule: "SH-IMG-1".into(),
            allowed: vec![
                ContentKind::Text,
                ContentKind::Emoji,
                ContentKind::CartEvent,
                ContentKind::SystemNotice,
                // DY-RATE-1: the storefront widget offers a rating card at any time.
                ContentKind::RatingCard,
            ],
        }),
        timers: vec![],
        // SH-CART-1: a cart event names a product only when the name is under 41 characters.
        expiring: None,
        automatic_greeting: None,
        auto_reply: None,
        wait_timer: None,
        transfer: None,
        // SH-ASSIGN-1: staff with chat permission are assigned and unassigned by hand.
        routing: Some(Routing::only(AssignPolicy::Manual { rule: "SH-ASSIGN-1".into() })),
        limits: Limits {
            cart_product_name_chars: Some(Limit { rule: "SH-CART-1".into(), max: 40 }),
            // SH-PROD-1: published products, at most three at a time (seed 002).
            products_per_share: Some(Limit { rule: "SH-PROD-1".into(), max: 3 }),
            published_products_only: Some("SH-PROD-1".into()),
            // SH-DISC-1: only an existing, active discount code.
            active_discount_codes_only: Some("SH-DISC-1".into()),
            ..Limits::default()
        },
        // The chat is the seller's own store's: no marketplace to keep buyers on, so no
        // off-platform contact policy (a shop's owner may add word policies).
        compliance: Default::default(),
        reply_targets: vec![],
        service_data: Default::default(),
        translation: Default::default(),
    }
}
