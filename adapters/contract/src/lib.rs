//! shopmux-contract: what a marketplace adapter — built in or a plugin — hands the core:
//! its [`RuleSet`](rules::RuleSet) (the platform's contact-window, reply, lifecycle,
//! routing and limit rules as plain serde data, each entry tagged with its rule ID), the
//! [`Adapter`](adapter::Adapter) trait with its declared capabilities, and the values that
//! cross it: the [`Platform`] id, typed [`MessageContent`], inbound events, outbound
//! messages, errors with a `retryable` flag, the host's HTTP. The core evaluates rule sets
//! with one engine and never matches on a platform name.
//!
//! **API Boundary:** this crate is shared by core, the built-in adapters and the plugin
//! SDK; it depends on serde and serde_json only (and, with the `openapi` feature, derives
//! utoipa schemas for the daemon's API document) and changes additively.

pub mod adapter;
pub mod authorize;
pub mod bounds;
pub mod compliance;
pub mod content;
pub mod error;
pub mod events;
pub mod http;
pub mod integral;
pub mod kinds;
pub mod platform;
pub mod products;
pub mod rules;
pub mod service_figures;
pub mod span;
pub mod translation;
pub mod wire;

pub use adapter::{Adapter, Capabilities, Capability, NoHost};
pub use content::MessageContent;
pub use error::AdapterError;
pub use events::InboundEvent;
pub use kinds::ContentKind;
pub use platform::Platform;
pub use rules::RuleSet;
pub use span::Span;
