//! Integration tests of the simulators, over real HTTP: requests are built and signed by the
//! adapters' sans-IO builders and sent with reqwest; webhooks land in a small axum receiver
//! that checks them with the adapters' verify functions. Time rules move a `ManualClock`.
//!
//! The simulators sign and check signatures with their own code, never the adapters', so
//! every accepted request and verified webhook here is an adapter and a simulator agreeing.

mod douyin;
mod lazada;
mod shopify;
mod support;
mod tiktok;
