//! The agent web inbox in a real browser: headless chromium driven over WebDriver
//! against the real daemon, with the marketplace simulators of `shopmux demo` feeding it.

#[cfg(feature = "demo")]
mod faq_bot;
#[cfg(feature = "demo")]
mod inbox;
#[cfg(feature = "demo")]
mod security;
mod support;
