//! The domain: pure types and decisions, no I/O. Typed ids and the model, who is asking
//! ([`viewer`]), inbound messages as the inbox takes them, what happens to a
//! conversation, shop settings checked against rules, the rules engine, the routing
//! decision, the inbox counters' contributions, search terms, the pre-send compliance
//! check ([`compliance`]), and password sign-in
//! ([`sign_in`]: logins, the password policy and hashes, web sessions' tokens and
//! lifetimes).

pub mod backoff;
pub mod bot_texts;
pub mod carts;
pub mod compliance;
pub mod connect;
pub mod conversation;
pub mod counters;
pub mod deadlines;
pub mod faq_bot;
pub mod faq_match;
pub mod ids;
pub mod inbound;
pub mod language;
pub mod listing;
pub mod model;
pub mod quick_replies;
pub mod ratings;
pub mod routing;
pub mod rules;
pub mod search_terms;
pub mod service_data;
pub mod shop_settings;
pub mod sign_in;
pub mod topic_model;
pub mod topics;
pub mod translation;
pub mod viewer;
pub mod webhook_retry;
pub mod webhook_signing;
pub mod webhooks;
pub mod widget_settings;
