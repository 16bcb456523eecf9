//! Lazada seller chat (Lazada Open Platform's IM API and push messages) as a shopmux
//! adapter built to be loaded as a plugin. `sign` and `wire` are pure; [`Lazada`] does
//! the I/O through the host. `README.md` lists the wire facts with their sources.

/// The shopmux adapter: pushes in, replies out, polling, read marks.
pub mod adapter;
/// Connecting a seller in one click.
pub mod connect;
/// API call signing and push verification.
pub mod sign;
/// Gateways, signed requests, replies, message templates, picture sizes.
pub mod wire;

#[cfg(test)]
mod tests;

pub use adapter::Lazada;

impl shopmux_plugin::Plugin for Lazada {}

shopmux_plugin::export_plugin!(Lazada);

use shopmux_contract::rules::{Condition, KindRule, Requirement, RuleSet};
use shopmux_contract::{ContentKind, Platform, Span};

/// The platform id.
pub static PLATFORM: Platform = Platform::from_static("lazada");

/// Lazada's rules as far as its documentation states them (README "Rules"): no reply
/// window; a seller starts a chat from an order of the last 30 days (LZ-INIT-1); agents
/// send text, emoji, pictures, item, order and voucher cards, not video (LZ-MSG-1).
pub fn rule_set() -> RuleSet {
    RuleSet {
        initiate: vec![Requirement::one(
            "LZ-INIT-1",
            Condition::OrderWithin { within: Span::days(30) },
        )],
        initiate_from_order: Some("LZ-INIT-1".into()),
        outbound_kinds: Some(KindRule {
            rule: "LZ-MSG-1".into(),
            allowed: vec![
                ContentKind::Text,
                ContentKind::Emoji,
                ContentKind::Image,
                ContentKind::ProductCard,
                ContentKind::OrderCard,
                ContentKind::CouponCard,
            ],
        }),
        ..RuleSet::permissive(PLATFORM.clone())
    }
}
