//! The domain: pure types and decisions, no I/O. Typed ids and the model, who is asking
//! ([`viewer`]), inbound messages as the inbox takes them, what happens to a
//! conversation, shop settings checked against rules, the rules engine, the routing
//! decision, the inbox counters' contributions and search terms.

pub mod backoff;
pub mod carts;
pub mod conversation;
pub mod counters;
pub mod ids;
pub mod inbound;
pub mod listing;
pub mod model;
pub mod routing;
pub mod rules;
pub mod search_terms;
pub mod shop_settings;
pub mod viewer;
