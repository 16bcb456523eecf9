//! shopmux-plugin: everything a plugin author needs, in one dependency.
//!
//! A plugin is a `cdylib` crate that implements the contract's [`Adapter`] (plus the
//! small [`Plugin`] trait, whose methods all have defaults) and ends with
//! [`export_plugin!`]:
//!
//! ```no_run
//! use shopmux_plugin::*;
//!
//! static PLATFORM: Platform = Platform::from_static("hello");
//!
//! #[derive(Default)]
//! pub struct Hello;
//!
//! impl Adapter for Hello {
//!     fn platform(&self) -> &Platform {
//!         &PLATFORM
//!     }
//!     fn capabilities(&self) -> Capabilities {
//!         use Capability::*;
//!         Capabilities::of(&[Webhooks, Sends])
//!     }
//!     fn rule_set(&self) -> RuleSet {
//!         RuleSet::permissive(PLATFORM.clone())
//!     }
//!     fn parse_webhook(
//!         &self,
//!         _shop: &ShopConnection,
//!         _request: &WebhookRequest,
//!         _now_unix_ms: i64,
//!     ) -> Result<Vec<InboundEvent>, AdapterError> {
//!         Ok(vec![])
//!     }
//!     fn send(
//!         &self,
//!         host: &dyn Host,
//!         _shop: &ShopConnection,
//!         message: &OutboundMessage,
//!     ) -> Result<SendReceipt, AdapterError> {
//!         let MessageContent::Text { text } = &message.content else {
//!             return Err(AdapterError::permanent("unsupported_content", "text only"));
//!         };
//!         host.log(text);
//!         Ok(SendReceipt::sent(message.idempotency_key.clone()))
//!     }
//! }
//!
//! impl Plugin for Hello {}
//!
//! shopmux_plugin::export_plugin!(Hello);
//! ```
//!
//! The macro generates the one exported symbol, `shopmux_plugin_entry`, returning a
//! static table of the C ABI ([`abi::PluginV1`]) whose `call` decodes each method's JSON
//! input, calls the adapter with a [`HostHandle`] (the daemon's HTTP, clock, log and
//! key-value state, reached through the host's table), and encodes the result. Every
//! call runs inside `catch_unwind`: a panic comes back to the daemon as status `PANIC`
//! with its message, never as an unwind through the boundary. Outputs are
//! [`abi::OwnedBuf`]s freed by this library's own allocator.
//!
//! The plugin does no I/O of its own (no sockets, no files, no tokio runtime, no global
//! logger: the host's are not shared across a library boundary); everything goes
//! through the `&dyn Host` each method receives. See `plugins/README.md`.

mod dispatch;
mod export;
mod host;
mod manifest;
#[cfg(test)]
mod tests;

pub use dispatch::{CallFailure, dispatch, methods_for};
pub use host::HostHandle;
pub use manifest::{AbiVersion, Manifest, SDK_VERSION};

/// JSON, for a platform's own wire (message content is typed: [`MessageContent`]).
pub use serde_json;
/// The parts of typed message content (the [`MessageContent`] variants carry them).
pub use shopmux_contract::content::{
    CartAction, CartLine, ContentError, CouponScope, QuickAction, QuickActionKind, SharedProduct,
};
/// Why a text is not a [`Platform`] id.
pub use shopmux_contract::platform::InvalidPlatform;
/// The adapter contract, whole: its modules stay reachable as `shopmux_contract::…`.
pub use shopmux_contract::{self, ContentKind, RuleSet, Span, adapter::*, rules};
/// The C ABI, for those who need its constants (status codes, method names).
pub use shopmux_plugin_abi as abi;

/// What a plugin adds to the [`Adapter`] it implements: how its manifest names it, which
/// v1 methods it implements, and a self-test. Every method has a default, so
/// `impl Plugin for MyAdapter {}` is enough.
pub trait Plugin: Adapter {
    /// The manifest's `name`; `None` (the default): the plugin crate's package name.
    fn manifest_name(&self) -> Option<String> {
        None
    }

    /// The manifest's `plugin_version`; `None` (the default): the plugin crate's
    /// version.
    fn plugin_version(&self) -> Option<String> {
        None
    }

    /// The v1 methods (names of [`abi::method`]) this plugin implements. The daemon
    /// calls only these across the boundary and keeps the contract's defaults for the
    /// others (saving a round trip). Default: those its declared
    /// [`capabilities`](Adapter::capabilities) need ([`methods_for`]).
    fn methods(&self) -> Vec<&'static str> {
        methods_for(&self.capabilities())
    }

    /// Checks the plugin's own assumptions (`shopmux plugins check` runs it after
    /// loading): what it checked, one line each, or the first failure. The default
    /// checks nothing.
    fn self_test(&self, _host: &dyn Host) -> Result<Vec<String>, AdapterError> {
        Ok(Vec::new())
    }
}

#[doc(hidden)]
pub mod __private {
    //! What [`export_plugin!`](crate::export_plugin) expands to uses; not an API.
    pub use crate::export::{Export, TableCell, entry};
}

/// Exports an adapter type as a shopmux plugin: generates the `shopmux_plugin_entry`
/// symbol returning this library's static table (its manifest built once, on first
/// use).
///
/// `export_plugin!(MyAdapter)` builds instances with `Default`;
/// `export_plugin!(MyAdapter, MyAdapter::new("..."))` with the given expression. The
/// type must implement [`Plugin`] (and so [`Adapter`]); the crate must be a `cdylib`.
/// Use it once per library.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty) => {
        $crate::export_plugin!($plugin, <$plugin as ::core::default::Default>::default());
    };
    ($plugin:ty, $constructor:expr) => {
        #[doc(hidden)]
        struct __ShopmuxPluginExport;

        impl $crate::__private::Export for __ShopmuxPluginExport {
            type Plugin = $plugin;
            const CRATE_NAME: &'static str = ::core::env!("CARGO_PKG_NAME");
            const CRATE_VERSION: &'static str = ::core::env!("CARGO_PKG_VERSION");
            const PANIC_UNWIND: bool = ::core::cfg!(panic = "unwind");
            fn new() -> $plugin {
                $constructor
            }
        }

        /// The shopmux plugin entry point (generated by `export_plugin!`): this
        /// library's static plugin table, or null if it could not be built.
        #[unsafe(no_mangle)]
        pub extern "C" fn shopmux_plugin_entry() -> *const $crate::abi::Header {
            static TABLE: $crate::__private::TableCell = $crate::__private::TableCell::new();
            $crate::__private::entry::<__ShopmuxPluginExport>(&TABLE)
        }
    };
}
