//! Loading one plugin library, with the checks of `plugin-abi.md` §2.3 "Loading" in
//! order: open it by its canonical path (never a bare name the system would search
//! for), resolve `shopmux_plugin_entry`, check the header (magic, ABI major, minor and
//! table size) before reading anything else, read and check the size-capped manifest
//! (refusing `panic = "abort"`), create an instance, fetch and validate the rule set.
//!
//! Loading runs the library's initialisers and then its code in this process: plugins
//! are trusted, operator-installed code. Libraries are never unloaded (a refused one
//! included): unloading is unsound with thread-locals and a no-op on some systems.

use crate::error::LoadError;
use crate::plugin::{AbiVersion, DEFAULT_CALL_TIMEOUT, Plugin, PluginInfo, Table, create_instance};
use serde::Deserialize;
use shopmux_contract::rules::is_valid_platform_id;
use shopmux_plugin_abi::{self as abi, EntryFn, Header, PluginV1};
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::sync::atomic::AtomicU64;

/// The largest manifest accepted.
pub const MAX_MANIFEST_BYTES: usize = 64 * 1024;

#[derive(Deserialize)]
struct RawAbi {
    major: u16,
    minor: u16,
}

/// The manifest as this host reads it: unknown fields are ignored (a later minor may
/// add some).
#[derive(Deserialize)]
struct RawManifest {
    name: String,
    platform: String,
    plugin_version: String,
    #[serde(default)]
    sdk_version: Option<String>,
    abi: RawAbi,
    #[serde(default)]
    rustc: Option<String>,
    #[serde(default)]
    panic: Option<String>,
    methods: Vec<String>,
    #[serde(default = "yes")]
    sends: bool,
    #[serde(default)]
    polls: bool,
}

fn yes() -> bool {
    true
}

/// Opens a library by path, binding every symbol now (a missing one fails here, not in
/// the middle of a call) and keeping its symbols local.
fn open(path: &Path) -> Result<libloading::Library, libloading::Error> {
    #[cfg(unix)]
    {
        use libloading::os::unix::{Library, RTLD_LOCAL, RTLD_NOW};
        // SAFETY: loading runs the library's initialisers: plugins are trusted,
        // operator-installed code (see the module doc).
        unsafe { Library::open(Some(path), RTLD_NOW | RTLD_LOCAL) }.map(Into::into)
    }
    #[cfg(not(unix))]
    {
        // SAFETY: as above.
        unsafe { libloading::Library::new(path) }
    }
}

/// Loads the plugin library at `path` and checks it; see the module doc.
pub fn load(path: &Path) -> Result<Plugin, LoadError> {
    let path = std::fs::canonicalize(path).map_err(|error| LoadError::Unreadable {
        path: path.to_owned(),
        error,
    })?;
    let metadata = std::fs::metadata(&path).map_err(|error| LoadError::Unreadable {
        path: path.clone(),
        error,
    })?;
    if !metadata.is_file() {
        return Err(LoadError::NotALibrary {
            path,
            reason: "not a file".into(),
        });
    }
    let library = open(&path).map_err(|e| LoadError::NotALibrary {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    // Never unloaded, so the table and functions it hands out stay valid for the process.
    let library: &'static libloading::Library = Box::leak(Box::new(library));

    // SAFETY: the symbol's type is the ABI's entry type; a library that exports this
    // name is expected to follow the ABI (the header check below catches others).
    let entry: EntryFn = match unsafe { library.get::<EntryFn>(abi::ENTRY_SYMBOL) } {
        Ok(symbol) => *symbol,
        Err(_) => return Err(LoadError::NotAPlugin { path }),
    };
    // SAFETY: the plugin's entry, a plain `extern "C"` function without arguments.
    let header_ptr = unsafe { entry() };
    if header_ptr.is_null() || !header_ptr.is_aligned() {
        return Err(LoadError::NoTable { path });
    }
    // SAFETY: non-null and aligned; every table starts with a header.
    let header: Header = unsafe { header_ptr.read() };
    check_header(&path, &header)?;
    let table_ptr = header_ptr as *const PluginV1;
    if !table_ptr.is_aligned() {
        return Err(LoadError::NoTable { path });
    }
    // SAFETY: a v1 table of at least v1.0's size (checked), static in a never-unloaded
    // library.
    let table: &'static PluginV1 = unsafe { &*table_ptr };

    let manifest = read_manifest(&path, table, &header)?;
    let info = PluginInfo {
        name: manifest.name,
        platform: manifest.platform,
        version: manifest.plugin_version,
        abi: AbiVersion {
            major: header.abi_major,
            minor: header.abi_minor,
        },
        path: path.clone(),
        sdk_version: manifest.sdk_version,
        rustc: manifest.rustc,
        methods: manifest.methods,
    };
    let instance =
        create_instance(Table(table), &info.name).map_err(|reason| LoadError::Create {
            path: path.clone(),
            reason,
        })?;
    let mut plugin = Plugin {
        info,
        table: Table(table),
        sends: manifest.sends,
        polls: manifest.polls,
        rule_set: shopmux_contract::RuleSet::permissive("unknown"),
        webhook_answer: None,
        instance: RwLock::new(Some(instance)),
        call_timeout: DEFAULT_CALL_TIMEOUT,
        panics: AtomicU64::new(0),
    };

    let rule_set = plugin.fetch_rule_set().map_err(|error| LoadError::Call {
        path: path.clone(),
        method: abi::method::RULE_SET,
        error,
    })?;
    rule_set.validate().map_err(|reason| LoadError::RuleSet {
        path: path.clone(),
        reason,
    })?;
    if rule_set.platform != plugin.info.platform {
        return Err(LoadError::RuleSet {
            path,
            reason: format!(
                "it names platform `{}` but the manifest says `{}`",
                rule_set.platform, plugin.info.platform
            ),
        });
    }
    plugin.rule_set = rule_set;
    plugin.webhook_answer = plugin
        .fetch_webhook_answer()
        .map_err(|error| LoadError::Call {
            path: path.clone(),
            method: abi::method::WEBHOOK_ANSWER,
            error,
        })?;
    tracing::info!(
        plugin = %plugin.info.name,
        platform = %plugin.info.platform,
        version = %plugin.info.version,
        path = %path.display(),
        "Plugin loaded."
    );
    Ok(plugin)
}

/// Magic, ABI major, minor and size, before anything else is read.
fn check_header(path: &Path, header: &Header) -> Result<(), LoadError> {
    if header.magic != abi::MAGIC {
        return Err(LoadError::BadMagic {
            path: path.to_owned(),
        });
    }
    if header.abi_major != abi::ABI_MAJOR || header.abi_minor > abi::ABI_MINOR {
        return Err(LoadError::AbiMismatch {
            path: path.to_owned(),
            major: header.abi_major,
            minor: header.abi_minor,
        });
    }
    let needed = abi::plugin_table_size(header.abi_minor).unwrap_or(usize::MAX);
    if (header.size as usize) < needed {
        return Err(LoadError::TableTooSmall {
            path: path.to_owned(),
            size: header.size,
            needed,
        });
    }
    Ok(())
}

/// Reads the manifest (size-capped) and checks what it says.
fn read_manifest(path: &Path, table: &PluginV1, header: &Header) -> Result<RawManifest, LoadError> {
    let bad = |reason: String| LoadError::Manifest {
        path: path.to_owned(),
        reason,
    };
    if table.manifest.ptr.is_null() || table.manifest.len == 0 {
        return Err(bad("it is empty".into()));
    }
    if table.manifest.len > MAX_MANIFEST_BYTES {
        return Err(bad(format!(
            "it is {} bytes, more than the {MAX_MANIFEST_BYTES} allowed",
            table.manifest.len
        )));
    }
    // SAFETY: the plugin's static manifest bytes, of the stated (capped) length.
    let bytes = unsafe { table.manifest.as_bytes() };
    let manifest: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not the expected JSON: {e}")))?;
    if !is_valid_platform_id(&manifest.platform) {
        return Err(bad(format!(
            "platform id `{}` is not 1 to 32 characters of a-z, 0-9, `_`, `-`",
            manifest.platform
        )));
    }
    if manifest.name.trim().is_empty() {
        return Err(bad("the name is empty".into()));
    }
    if (manifest.abi.major, manifest.abi.minor) != (header.abi_major, header.abi_minor) {
        return Err(bad(format!(
            "it says ABI {}.{} but the table's header says {}.{}",
            manifest.abi.major, manifest.abi.minor, header.abi_major, header.abi_minor
        )));
    }
    match manifest.panic.as_deref() {
        Some("unwind") => {}
        Some("abort") => {
            return Err(LoadError::PanicAbort {
                path: path.to_owned(),
            });
        }
        Some(other) => return Err(bad(format!("unknown panic strategy `{other}`"))),
        None => return Err(bad("it does not say how the plugin panics (`panic`)".into())),
    }
    Ok(manifest)
}

/// A path, canonical when it can be (to recognise one file named twice).
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}
