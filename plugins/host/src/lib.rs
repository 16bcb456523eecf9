//! shopmux-plugin-host: the daemon's side of the plugin boundary.
//!
//! [`load`] opens a plugin library (a `cdylib` built with the `shopmux-plugin` SDK),
//! checks it in the order of `plugin-abi.md` §2.3 — entry symbol, magic, ABI version and
//! table size, manifest (size-capped; `panic = "abort"` refused), instance creation, rule
//! set validated and matching the manifest's platform — and returns a [`Plugin`], which
//! implements the contract's [`Adapter`] by calling across the C ABI: the daemon drives
//! it exactly like a built-in adapter.
//!
//! [`check`] is what `shopmux plugins check PATH` runs: the same loading, then the
//! plugin's self-test. [`load_dir`] / [`load_all`] load every library of a directory
//! (only files with this system's library extension) and explicitly named files, each
//! to a plugin or to the reason it was refused, refusing platform ids already served.
//!
//! Trust model: a plugin is trusted, operator-installed code running in the daemon's
//! process. The checks catch mistakes (wrong version, wrong build, wrong rule set), not
//! malice. Calls are blocking; run them off the async runtime, as the daemon does for
//! every adapter. Libraries are never unloaded.

mod callbacks;
mod connect;
mod error;
mod events;
mod loader;
mod plugin;

pub use error::LoadError;
pub use loader::{MAX_MANIFEST_BYTES, load};
pub use plugin::{AbiVersion, DEFAULT_CALL_TIMEOUT, Plugin, PluginInfo};

use shopmux_contract::adapter::{Adapter, Capabilities, Host};
use std::path::{Path, PathBuf};

/// The ABI this host speaks.
pub const HOST_ABI: AbiVersion =
    AbiVersion { major: shopmux_plugin_abi::ABI_MAJOR, minor: shopmux_plugin_abi::ABI_MINOR };

/// What `shopmux plugins check` reports about a plugin that passed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckReport {
    /// The plugin.
    pub info: PluginInfo,
    /// What it can do (declared, or implied by the manifest of an earlier SDK).
    pub capabilities: Capabilities,
    /// The rule IDs of its (valid) rule set.
    pub rule_ids: Vec<String>,
    /// What its self-test checked, one line each (empty: it has none).
    pub self_test: Vec<String>,
}

/// Loads the plugin at `path` as the daemon would, then runs its self-test with no
/// network and no state (the self-test sees the system clock). Fails with the first
/// refusal.
pub fn check(path: &Path) -> Result<CheckReport, LoadError> {
    let host = callbacks::NoHost { now_unix_ms: None };
    check_with_host(path, &host)
}

/// [`check`], lending the self-test the daemon's `host` (HTTP, clock, state).
pub fn check_with_host(path: &Path, host: &dyn Host) -> Result<CheckReport, LoadError> {
    let plugin = load(path)?;
    let self_test = plugin
        .self_test(host)
        .map_err(|error| LoadError::SelfTest { path: plugin.info().path.clone(), error })?;
    Ok(CheckReport {
        info: plugin.info().clone(),
        capabilities: plugin.capabilities(),
        rule_ids: plugin.rule_set().rule_ids().into_iter().map(str::to_owned).collect(),
        self_test,
    })
}

/// One library of a directory scan: the plugin, or why it was refused.
#[derive(Debug)]
pub struct LoadOutcome {
    /// The file (or the directory, when it could not be read).
    pub path: PathBuf,
    /// The loaded plugin, or the refusal.
    pub result: Result<Plugin, LoadError>,
}

/// Whether `path` has this system's shared-library extension (`so`, `dylib`, `dll`).
pub fn is_library_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == std::env::consts::DLL_EXTENSION)
}

/// Loads every library in `dir` (files with this system's library extension, in name
/// order; others are ignored) and then the `explicit` files (whatever their name). A
/// second plugin of a platform id already loaded is refused. A directory that cannot be
/// read gives one refusal naming it.
pub fn load_dir(dir: &Path, explicit: &[PathBuf]) -> Vec<LoadOutcome> {
    load_all(Some(dir), explicit, &[])
}

/// [`load_dir`] with the directory optional, refusing also the platform ids in
/// `reserved` (the built-in adapters').
pub fn load_all(dir: Option<&Path>, explicit: &[PathBuf], reserved: &[&str]) -> Vec<LoadOutcome> {
    let mut outcomes = Vec::new();
    let mut files: Vec<PathBuf> = Vec::new();
    if let Some(dir) = dir {
        match std::fs::read_dir(dir) {
            Ok(entries) => {
                let mut found: Vec<PathBuf> = entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| is_library_file(p) && p.is_file())
                    .collect();
                found.sort();
                files.extend(found);
            }
            Err(error) => outcomes.push(LoadOutcome {
                path: dir.to_owned(),
                result: Err(LoadError::Unreadable { path: dir.to_owned(), error }),
            }),
        }
    }
    files.extend(explicit.iter().cloned());

    let mut seen: Vec<PathBuf> = Vec::new();
    let mut served: Vec<(String, String)> =
        reserved.iter().map(|p| ((*p).to_owned(), "a built-in adapter".to_owned())).collect();
    for file in files {
        let canonical = loader::canonical(&file);
        if seen.contains(&canonical) {
            continue;
        }
        seen.push(canonical);
        let result = load(&file).and_then(|plugin| {
            let platform = plugin.platform();
            if let Some((_, other)) = served.iter().find(|(p, _)| platform == p.as_str()) {
                return Err(LoadError::DuplicatePlatform {
                    path: plugin.info().path.clone(),
                    platform: platform.clone(),
                    other: other.clone(),
                });
            }
            served.push((platform.to_string(), plugin.info().path.display().to_string()));
            Ok(plugin)
        });
        if let Err(error) = &result {
            tracing::warn!(%error, "A plugin was refused.");
        }
        outcomes.push(LoadOutcome { path: file, result });
    }
    outcomes
}
