//! Why a plugin library was refused: one variant per check of the loading sequence, each
//! naming the file, worded for the operator who installed it.

use crate::HOST_ABI;
use shopmux_contract::adapter::{AdapterError, Platform};
use std::path::PathBuf;

/// A plugin library that could not be loaded, and why.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The file (or directory) could not be read.
    #[error("cannot read {}: {error}", path.display())]
    Unreadable {
        /// The file.
        path: PathBuf,
        /// What the system said.
        error: std::io::Error,
    },
    /// The file is not a shared library the system can load.
    #[error("{} is not a loadable library: {reason}", path.display())]
    NotALibrary {
        /// The file.
        path: PathBuf,
        /// What the system's loader said.
        reason: String,
    },
    /// The library exports no `shopmux_plugin_entry`.
    #[error("{} is not a shopmux plugin: it exports no `shopmux_plugin_entry`", path.display())]
    NotAPlugin {
        /// The file.
        path: PathBuf,
    },
    /// The entry returned no table (it failed, or panicked, building it).
    #[error("{}: its plugin entry returned no table (building it failed)", path.display())]
    NoTable {
        /// The file.
        path: PathBuf,
    },
    /// The table does not start with the shopmux magic.
    #[error("{} is not a shopmux plugin: its table does not start with the shopmux magic", path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
    },
    /// Built for an ABI this host does not speak.
    #[error(
        "{} was built for plugin ABI {major}.{minor}; this shopmux speaks {HOST_ABI}",
        path.display()
    )]
    AbiMismatch {
        /// The file.
        path: PathBuf,
        /// The plugin's ABI major.
        major: u16,
        /// The plugin's ABI minor.
        minor: u16,
    },
    /// The table is smaller than its version implies.
    #[error(
        "{}: its plugin table is {size} bytes, less than the {needed} its ABI version implies",
        path.display()
    )]
    TableTooSmall {
        /// The file.
        path: PathBuf,
        /// The size the header states.
        size: u32,
        /// The least size of its version.
        needed: usize,
    },
    /// The manifest is missing, too large, not JSON, or says something refused.
    #[error("{} has a bad manifest: {reason}", path.display())]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Built with `panic = "abort"`.
    #[error(
        "{} was built with panic = \"abort\": one panic in it would stop the daemon; rebuild it with panic = \"unwind\"",
        path.display()
    )]
    PanicAbort {
        /// The file.
        path: PathBuf,
    },
    /// Creating the adapter instance failed.
    #[error("{}: creating the plugin's adapter failed: {reason}", path.display())]
    Create {
        /// The file.
        path: PathBuf,
        /// The plugin's error, or its panic message.
        reason: String,
    },
    /// A call made while loading (`rule_set`, `webhook_answer`) failed.
    #[error("{}: its `{method}` failed: {error}", path.display())]
    Call {
        /// The file.
        path: PathBuf,
        /// The method.
        method: &'static str,
        /// The failure.
        error: AdapterError,
    },
    /// The rule set is invalid or names another platform.
    #[error("{}: its rule set is refused: {reason}", path.display())]
    RuleSet {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// Another adapter already serves this platform id.
    #[error("{}: platform `{platform}` is already served by {other}", path.display())]
    DuplicatePlatform {
        /// The file.
        path: PathBuf,
        /// The platform id.
        platform: Platform,
        /// The other adapter (a plugin's path, or "a built-in adapter").
        other: String,
    },
    /// The plugin's self-test failed (`check` only).
    #[error("{}: its self-test failed: {error}", path.display())]
    SelfTest {
        /// The file.
        path: PathBuf,
        /// The failure.
        error: AdapterError,
    },
}

impl LoadError {
    /// The file this refusal is about.
    pub fn path(&self) -> &std::path::Path {
        match self {
            Self::Unreadable { path, .. }
            | Self::NotALibrary { path, .. }
            | Self::NotAPlugin { path }
            | Self::NoTable { path }
            | Self::BadMagic { path }
            | Self::AbiMismatch { path, .. }
            | Self::TableTooSmall { path, .. }
            | Self::Manifest { path, .. }
            | Self::PanicAbort { path }
            | Self::Create { path, .. }
            | Self::Call { path, .. }
            | Self::RuleSet { path, .. }
            | Self::DuplicatePlatform { path, .. }
            | Self::SelfTest { path, .. } => path,
        }
    }
}
