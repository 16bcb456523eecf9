//! shopmux-core: the unified inbox of many marketplace shops. It holds the domain
//! model, the storage (SQLite or PostgreSQL through sqlx), and the inbox engine:
//! idempotent group-committed ingest, conversation state and counters, listing and
//! search, agent actions, notes and the outbox. It knows no HTTP and no platform by name.

pub mod adapter_state;
pub mod channel;
pub mod clock;
pub mod content;
pub mod counters;
pub mod error;
pub mod events;
pub mod ids;
pub mod inbox;
pub mod model;
pub mod routing;
pub mod rules;
pub mod search_terms;
pub mod signature;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{CoreError, CoreResult};
pub use inbox::{Inbox, InboxOptions};
pub use store::{Store, StoreOptions};
