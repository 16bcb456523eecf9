//! End-to-end tests of the daemon over HTTP and WebSocket.

mod access;
mod aliexpress;
mod api_flow;
mod cluster;
mod connect;
#[cfg(feature = "demo")]
mod demo;
mod douyin;
mod faq_bot;
mod kill;
mod operations;
mod outbound;
mod outbox;
mod plugin;
mod process;
mod restart;
mod routing;
mod rules;
mod secrets;
mod shutdown;
mod sign_in;
mod smtp;
mod storefront;
mod storefront_identity;
mod storefront_widget;
mod stream_backpressure;
mod support;
mod tiktok;
mod webhooks;
