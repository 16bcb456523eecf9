//! Integration tests of the simulators, over real HTTP: requests are built and signed by the
//! adapters' sans-IO builders and sent with reqwest; webhooks land in a small axum receiver
//! that checks them with the adapters' verify functions. Time rules move a `ManualClock`.

mod douyin;
mod lazada;
mod support;
mod tiktok;
