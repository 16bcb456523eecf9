//! The `shopmux` daemon: configuration, the HTTP API over the inbox engine of
//! `shopmux-core`, the agents' web inbox, and the wiring that starts and stops them.
//! `main.rs` is the CLI.

pub mod adapters;
pub mod api;
pub mod config;
#[cfg(feature = "demo")]
pub mod demo;
pub mod host;
pub mod mailer;
pub mod outbound;
pub mod plugins;
pub mod rate_limit;
pub mod rules_table;
pub mod secrets;
pub mod server;
pub mod sign_in_limits;
pub mod storefront;
pub mod storefront_config;
pub mod storefront_limits;
pub mod telemetry;
pub mod topic_endpoint;
pub mod translation;
pub mod web;
pub mod webhook_transport;
