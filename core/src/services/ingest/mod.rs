//! Inbound messages: idempotent, group-committed ingestion.
//!
//! A message is checked and queued ([`submit`]) in its buyer's lane ([`lanes`]: one on
//! SQLite, several on PostgreSQL); the lane's writer takes what is queued and writes
//! each group in one transaction with one multi-row statement per table ([`queue`],
//! [`group`]), then answers each sender after the commit — what
//! `perf-notes.md` measured as the way to the SQLite ceiling (a statement costs ~63 µs
//! through sqlx, so per-row statements cap near 10k rows/s). Groups trigger the shops'
//! automatic replies ([`auto_reply`]), the greeting and the FAQ bot's turns ([`bot`]).
//!
//! **Invariant:** a platform message is stored once per shop (see
//! `storage::messages`); only messages actually inserted change conversation state, so
//! a duplicate (even a concurrent one, even from another process) never counts twice.

pub mod auto_reply;
pub mod bot;
pub mod group;
pub mod lanes;
pub mod queue;
pub mod submit;
