//! End-to-end tests of the daemon over HTTP and WebSocket.

mod api_flow;
#[cfg(feature = "demo")]
mod demo;
mod douyin;
mod kill;
mod plugin;
mod process;
mod restart;
mod routing;
mod rules;
mod sign_in;
mod smtp;
mod storefront;
mod storefront_identity;
mod support;
mod tiktok;
