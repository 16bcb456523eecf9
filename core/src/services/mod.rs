//! The services: what the inbox does, as `impl Inbox` blocks over the storage
//! repositories and the domain's decisions, one file per area. [`apply`] is the one way
//! in for platform events (webhooks, polls, plugins, the `api` channel, the storefront
//! chat); [`ingest`] writes messages; the rest are the agents' actions, reading the
//! inbox, routing, timers, polling, delivery, presence, accounts, sign-in, shops and their
//! connections, the pre-send compliance check, notes, the customer panel and the storefront chat. [`start`] starts the
//! engine and its background tasks.

pub mod access;
pub mod accounts;
pub mod actions;
pub mod analysis;
pub mod analysis_options;
pub mod apply;
pub mod carts;
pub mod compliance;
pub mod connect;
pub mod connections;
pub mod deadlines;
pub mod delivery;
pub mod faq_bot;
pub mod ingest;
pub mod live;
pub mod notes;
pub mod notices;
pub mod operations;
pub mod outreach;
pub mod polling;
pub mod presence;
pub mod privacy;
pub mod profiles;
pub mod quick_replies;
pub mod ratings;
pub mod reading;
pub mod router;
pub mod service_data;
pub mod service_levels;
pub mod shops;
pub mod sign_in;
pub(crate) mod slots;
pub mod start;
pub mod storefront;
pub mod storefront_email;
pub mod storefront_sockets;
pub mod storefront_widget;
pub mod timers;
pub mod translation;
pub mod vetting;
pub mod webhooks;
pub mod workbench;
