//! The agent web inbox in a real browser: headless chromium driven over WebDriver
//! against the real daemon, with the marketplace simulators of `shopmux demo` feeding it.

#[cfg(feature = "demo")]
mod compliance;
#[cfg(feature = "demo")]
mod connect;
mod faq_bot;
#[cfg(feature = "demo")]
mod inbox;
mod quick_replies;
#[cfg(feature = "demo")]
mod ratings_history;
#[cfg(feature = "demo")]
mod security;
#[cfg(feature = "demo")]
mod service_data;
mod support;
mod topics;
mod translation;
#[cfg(feature = "demo")]
mod urgency;
#[cfg(feature = "demo")]
mod webhooks;
#[cfg(feature = "demo")]
mod widget;
