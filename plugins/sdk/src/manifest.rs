//! The plugin manifest: the static JSON a plugin's table points to, which the daemon
//! reads right after the ABI header and before creating anything. It names the plugin
//! and its platform, the ABI it was built for, how it panics (the daemon refuses
//! `"abort"`: such a panic would kill the daemon), which v1 methods it implements, and
//! its declared [`Capabilities`]. `sdk_version` and `rustc` are diagnostics only.
//!
//! `capabilities` was added within ABI 1.0 (an optional field: older daemons ignore it);
//! `sends` and `polls` repeat two of them for those daemons. A manifest without
//! `capabilities` (a plugin of an earlier SDK) is read by the daemon as
//! [`Capabilities`] derived from `sends`, `polls` and its `methods`.

use crate::Plugin;
use serde::{Deserialize, Serialize};
use shopmux_contract::adapter::{Capabilities, Platform};

/// This SDK's version.
pub const SDK_VERSION: &str = env!("CARGO_PKG_VERSION");

/// An ABI version, `major.minor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AbiVersion {
    /// Plugins of another major are refused.
    pub major: u16,
    /// Plugins of a higher minor than the daemon's are refused.
    pub minor: u16,
}

/// What a plugin says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The plugin's name (its crate's, by default).
    pub name: String,
    /// The platform id it connects (`acme`), unique among the daemon's adapters.
    pub platform: Platform,
    /// The plugin's own version.
    pub plugin_version: String,
    /// The SDK version it was built with.
    pub sdk_version: String,
    /// The ABI it was built for.
    pub abi: AbiVersion,
    /// The compiler that built it, when known.
    pub rustc: Option<String>,
    /// `"unwind"` or `"abort"`: the panic strategy it was built with.
    pub panic: String,
    /// The v1 methods it implements.
    pub methods: Vec<String>,
    /// Whether it delivers replies (`capabilities.sends`, for daemons that predate
    /// `capabilities`).
    #[serde(default = "yes")]
    pub sends: bool,
    /// Whether it can list messages (`capabilities.polls`, likewise).
    #[serde(default)]
    pub polls: bool,
    /// What it declares it can do ([`Adapter::capabilities`](crate::Adapter::capabilities));
    /// none in the manifest of a plugin built before the field existed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
}

fn yes() -> bool {
    true
}

impl Manifest {
    /// The manifest of `plugin`, from crate `crate_name` at `crate_version`, built with
    /// the given panic strategy.
    pub fn of<P: Plugin + ?Sized>(
        plugin: &P, crate_name: &str, crate_version: &str, panic_unwind: bool,
    ) -> Manifest {
        let rustc =
            option_env!("SHOPMUX_PLUGIN_RUSTC").filter(|v| !v.is_empty()).map(str::to_owned);
        let capabilities = plugin.capabilities();
        Manifest {
            name: plugin.manifest_name().unwrap_or_else(|| crate_name.to_owned()),
            platform: plugin.platform().clone(),
            plugin_version: plugin.plugin_version().unwrap_or_else(|| crate_version.to_owned()),
            sdk_version: SDK_VERSION.to_owned(),
            abi: AbiVersion { major: crate::abi::ABI_MAJOR, minor: crate::abi::ABI_MINOR },
            rustc,
            panic: if panic_unwind { "unwind" } else { "abort" }.to_owned(),
            methods: plugin.methods().into_iter().map(str::to_owned).collect(),
            sends: capabilities.sends,
            polls: capabilities.polls,
            capabilities: Some(capabilities),
        }
    }
}
