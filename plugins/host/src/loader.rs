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
use shopmux_contract::adapter::{Capabilities, Platform};
use shopmux_contract::rules::RuleSet;
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
    sdk_version: Option<String>,
    abi: RawAbi,
    rustc: Option<String>,
    panic: Option<String>,
    methods: Vec<String>,
    #[serde(default = "yes")]
    sends: bool,
    #[serde(default)]
    polls: bool,
    /// Absent from the manifests of plugins built before capabilities were declared.
    capabilities: Option<Capabilities>,
}

fn yes() -> bool {
    true
}

impl RawManifest {
    /// What the plugin can do, as the daemon will use it: the declared capabilities (a
    /// plugin of an earlier SDK declares none: its `sends` and `polls`, and every
    /// capability a listed method provides, as the daemon of that SDK called them),
    /// each method-backed one kept only when the manifest lists its method, since the
    /// host crosses for nothing else.
    fn capabilities(&self) -> Capabilities {
        let declared = self.capabilities.unwrap_or(Capabilities {
            webhooks: true,
            sends: self.sends,
            polls: self.polls,
            marks_read: true,
            vets_outbound: true,
            order_look_up: true,
            buyer_look_up: true,
            product_search: true,
            ..Capabilities::default()
        });
        let lists = |method: &str| self.methods.iter().any(|m| m == method);
        use abi::method::*;
        Capabilities {
            webhooks: declared.webhooks && lists(PARSE_WEBHOOK),
            signed_inbound: declared.signed_inbound && lists(PARSE_WEBHOOK),
            sends: declared.sends && lists(SEND),
            polls: declared.polls && lists(POLL),
            marks_read: declared.marks_read && lists(MARK_READ),
            vets_outbound: declared.vets_outbound && lists(VET_OUTBOUND),
            order_look_up: declared.order_look_up && lists(FETCH_ORDER),
            buyer_look_up: declared.buyer_look_up && lists(FETCH_BUYER),
            product_search: declared.product_search && lists(SEARCH_PRODUCTS),
            authorizes: declared.authorizes
                && [AUTHORIZATION_URL, VERIFY_CALLBACK, EXCHANGE_CODE, AUTHORIZED_SHOPS]
                    .iter()
                    .all(|m| lists(m)),
            subscribes_webhooks: declared.subscribes_webhooks && lists(SUBSCRIBE_WEBHOOKS),
            ..declared
        }
    }
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

/// Opens the library at its canonical `path`, never to be unloaded, and returns its
/// table once its header passed [`check_header`].
fn open_table(path: &Path) -> Result<(&'static PluginV1, Header), LoadError> {
    let metadata = std::fs::metadata(path)
        .map_err(|error| LoadError::Unreadable { path: path.to_owned(), error })?;
    if !metadata.is_file() {
        return Err(LoadError::NotALibrary { path: path.to_owned(), reason: "not a file".into() });
    }
    let library = open(path)
        .map_err(|e| LoadError::NotALibrary { path: path.to_owned(), reason: e.to_string() })?;
    // Never unloaded, so the table and functions it hands out stay valid for the process.
    let library: &'static libloading::Library = Box::leak(Box::new(library));
    let path = path.to_owned();

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
    Ok((unsafe { &*table_ptr }, header))
}

/// Loads the plugin library at `path` and checks it; see the module doc.
pub fn load(path: &Path) -> Result<Plugin, LoadError> {
    let path = std::fs::canonicalize(path)
        .map_err(|error| LoadError::Unreadable { path: path.to_owned(), error })?;
    let (table, header) = open_table(&path)?;
    let (manifest, platform) = read_manifest(&path, table, &header)?;
    let capabilities = manifest.capabilities();
    let info = PluginInfo {
        name: manifest.name,
        platform: platform.clone(),
        version: manifest.plugin_version,
        abi: AbiVersion { major: header.abi_major, minor: header.abi_minor },
        path: path.clone(),
        sdk_version: manifest.sdk_version,
        rustc: manifest.rustc,
        methods: manifest.methods,
    };
    let instance = create_instance(Table(table), &info.name)
        .map_err(|reason| LoadError::Create { path: path.clone(), reason })?;
    let mut plugin = Plugin {
        info,
        table: Table(table),
        capabilities,
        rule_set: RuleSet::permissive(platform),
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
    rule_set.validate().map_err(|reason| LoadError::RuleSet { path: path.clone(), reason })?;
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
    plugin.webhook_answer = plugin.fetch_webhook_answer().map_err(|error| LoadError::Call {
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
        return Err(LoadError::BadMagic { path: path.to_owned() });
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
        return Err(LoadError::TableTooSmall { path: path.to_owned(), size: header.size, needed });
    }
    Ok(())
}

/// Reads the manifest (size-capped) and checks what it says.
fn read_manifest(
    path: &Path, table: &PluginV1, header: &Header,
) -> Result<(RawManifest, Platform), LoadError> {
    let bad = |reason: String| LoadError::Manifest { path: path.to_owned(), reason };
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
    parse_manifest(path, unsafe { table.manifest.as_bytes() }, header)
}

/// Parses the manifest's JSON and checks it: a valid platform id (returned), a name, the
/// header's ABI, `panic: "unwind"`.
fn parse_manifest(
    path: &Path, bytes: &[u8], header: &Header,
) -> Result<(RawManifest, Platform), LoadError> {
    let bad = |reason: String| LoadError::Manifest { path: path.to_owned(), reason };
    let manifest: RawManifest =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not the expected JSON: {e}")))?;
    let platform = Platform::new(&manifest.platform).map_err(|e| bad(e.to_string()))?;
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
        Some("unwind") => Ok((manifest, platform)),
        Some("abort") => Err(LoadError::PanicAbort { path: path.to_owned() }),
        Some(other) => Err(bad(format!("unknown panic strategy `{other}`"))),
        None => Err(bad("it does not say how the plugin panics (`panic`)".into())),
    }
}

/// A path, canonical when it can be (to recognise one file named twice).
pub(crate) fn canonical(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATH: &str = "/plugins/libacme.so";

    fn parse(json: &str) -> Result<(RawManifest, Platform), LoadError> {
        parse_manifest(Path::new(PATH), json.as_bytes(), &Header::v1(0))
    }

    /// A manifest as the SDK before capabilities wrote it, with `extra` fields.
    fn manifest(platform: &str, methods: &[&str], extra: &str) -> String {
        format!(
            r#"{{"name": "acme", "platform": "{platform}", "plugin_version": "1.2.0",
                "sdk_version": "0.1.0", "abi": {{"major": 1, "minor": 0}}, "panic": "unwind",
                "methods": {methods:?}{extra}}}"#
        )
    }

    #[test]
    fn a_platform_id_outside_the_one_rule_is_refused_by_name() {
        let error = parse(&manifest("acme-mall", &[], "")).err().unwrap();
        let text = error.to_string();
        assert!(matches!(error, LoadError::Manifest { .. }), "{error:?}");
        assert!(text.contains("bad manifest: platform `acme-mall` is not a valid id"), "{text}");
        let (_, platform) = parse(&manifest("acme_mall", &[], "")).unwrap();
        assert_eq!(platform, "acme_mall");
    }

    #[test]
    fn a_manifest_of_an_earlier_sdk_has_the_capabilities_its_fields_and_methods_imply() {
        use abi::method::*;
        let (old, _) = parse(&manifest("acme", abi::method::ALL, r#", "polls": true"#)).unwrap();
        let caps = old.capabilities();
        assert!(caps.webhooks && caps.sends && caps.polls && caps.marks_read);
        assert!(caps.vets_outbound && caps.order_look_up && caps.buyer_look_up);
        assert!(caps.product_search);
        assert!(!caps.signed_inbound && !caps.storefront_chat && !caps.order_cards);
        let narrow = manifest("acme", &[RULE_SET, PARSE_WEBHOOK, SEND], r#", "sends": false"#);
        let caps = parse(&narrow).unwrap().0.capabilities();
        assert_eq!(caps, Capabilities { webhooks: true, ..Capabilities::default() });
    }

    #[test]
    fn declared_capabilities_are_kept_where_the_manifest_lists_their_methods() {
        use abi::method::*;
        let declared = r#", "sends": false, "capabilities": {"webhooks": true,
            "storefront_chat": true, "order_look_up": true, "product_search": true,
            "order_cards": true, "hologram_calls": true}"#;
        let methods = [RULE_SET, PARSE_WEBHOOK, SEND, FETCH_ORDER];
        let caps = parse(&manifest("acme", &methods, declared)).unwrap().0.capabilities();
        assert_eq!(
            caps,
            Capabilities {
                webhooks: true,
                storefront_chat: true,
                order_look_up: true,
                order_cards: true,
                ..Capabilities::default()
            }
        );
    }

    #[test]
    fn connecting_is_a_capability_only_with_all_four_authorization_methods() {
        use abi::method::*;
        let declared = r#", "capabilities": {"webhooks": true, "authorizes": true,
            "subscribes_webhooks": true}"#;
        let some = [RULE_SET, PARSE_WEBHOOK, AUTHORIZATION_URL, VERIFY_CALLBACK, EXCHANGE_CODE];
        let caps = parse(&manifest("acme", &some, declared)).unwrap().0.capabilities();
        assert!(!caps.authorizes && !caps.subscribes_webhooks, "{caps:?}");
        let all = [
            RULE_SET,
            PARSE_WEBHOOK,
            AUTHORIZATION_URL,
            VERIFY_CALLBACK,
            EXCHANGE_CODE,
            AUTHORIZED_SHOPS,
            SUBSCRIBE_WEBHOOKS,
        ];
        let caps = parse(&manifest("acme", &all, declared)).unwrap().0.capabilities();
        assert!(caps.authorizes && caps.subscribes_webhooks, "{caps:?}");
        // A manifest of an earlier SDK declares neither.
        let old = parse(&manifest("acme", &all, "")).unwrap().0.capabilities();
        assert!(!old.authorizes && !old.subscribes_webhooks);
    }
}
