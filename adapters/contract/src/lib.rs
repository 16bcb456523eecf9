//! shopmux-contract: what a marketplace adapter — built in or a plugin — hands the core:
//! its [`RuleSet`](rules::RuleSet) (the platform's contact-window, reply, lifecycle,
//! routing and limit rules as plain serde data, each entry tagged with its rule ID), and
//! the [`Adapter`](adapter::Adapter) trait with the wire values that cross it (inbound
//! events, outbound messages, errors with a `retryable` flag, the host's HTTP). The core
//! evaluates rule sets with one engine and never matches on a platform name.
//!
//! **API Boundary:** this crate is shared by core, the built-in adapters and the plugin
//! SDK; it depends on serde and serde_json only and changes additively.

pub mod adapter;
pub mod kinds;
pub mod rules;
pub mod span;
pub mod wire;

pub use kinds::ContentKind;
pub use rules::RuleSet;
pub use span::Span;
