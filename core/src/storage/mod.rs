//! Storage: the database ([`store`]), statements ([`sql`], [`exec`], [`rows`]), write
//! transactions ([`write`]), sealed secrets ([`sealing`]), and one repository per aggregate, each owning its SQL:
//! conversations (with the inbox counters), messages, buyers (with orders, profiles and
//! access), the ingest group's buyers, accounts, sessions, web sessions, shops, connections, the
//! outbox, messages sent despite a compliance warning, notes, the storefront chat, the adapters' state (sealed), the sealing key's
//! fingerprint, task leadership, the locks writers take first on PostgreSQL ([`write_locks`]), and the conversations whose deadlines are still to be
//! stamped (`deadline_backfill`). Beside them, for operators: the gauges `/metrics` reads
//! ([`gauges`]), `shopmux migrate` ([`migrations`]) and `shopmux backup` ([`backup`]).

pub mod accounts;
pub mod adapter_state;
pub mod backup;
pub mod buyers;
pub mod connect_states;
pub mod connections;
pub mod conversation_list;
pub mod conversations;
pub mod deadline_backfill;
pub mod exec;
pub mod faq;
pub mod gauges;
pub mod ingest_buyers;
pub mod leadership;
pub mod list_match;
pub mod live_events;
pub mod messages;
pub mod migrations;
pub mod multi_row;
pub mod notes;
pub mod outbox;
pub mod policy_overrides;
pub mod postgres_writer;
pub mod privacy;
pub mod quick_replies;
pub mod ratings;
pub mod rows;
pub mod sealing;
pub mod sealing_key;
pub mod service_levels;
pub mod service_rollups;
pub mod sessions;
pub mod shops;
pub mod sql;
pub mod store;
pub mod storefront;
pub mod storefront_history;
pub mod storefront_sockets;
pub mod translations;
pub mod web_sessions;
pub mod webhook_queue;
pub mod webhook_subs;
pub mod webhooks;
pub mod write;
pub mod write_locks;
