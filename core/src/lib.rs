//! shopmux-core: the unified inbox of many marketplace shops. It knows no HTTP and no
//! platform by name. In layers:
//!
//! - [`domain`]: pure types and decisions (the model, rules evaluation, routing
//!   decisions, counters, search terms), no I/O;
//! - [`storage`]: the database and one repository per aggregate, each owning its SQL;
//! - [`services`]: what the inbox does (`impl Inbox` blocks) — the one way in for
//!   platform events ([`Inbox::apply`]), ingest, actions, reading, routing, timers,
//!   polling, delivery, presence, accounts and shops — using both;
//! - [`registry`]: the one place that calls adapters (blocking pool, time limit, one
//!   error vocabulary); [`events`]: the live event bus; [`inbox`]: the engine's handle;
//!   [`telemetry`]: what the engine tells the daemon's metrics (a trait, no exporter).

pub mod clock;
pub mod domain;
pub mod error;
pub mod events;
pub mod inbox;
pub mod registry;
pub mod services;
pub mod storage;
pub mod telemetry;
pub mod wake;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{CoreError, CoreResult};
pub use inbox::{DeliveryLimits, Inbox, InboxOptions};
pub use registry::Registry;
pub use storage::store::{Store, StoreOptions};
