//! The shim [`export_plugin!`](crate::export_plugin) instantiates: the plugin's static
//! `PluginV1` table (manifest built once) and its `create`/`call`/`destroy` functions.
//!
//! Every function body runs inside `catch_unwind`: a panic becomes status `PANIC` with
//! its message (or a null entry, or a leaked instance in `destroy`), never an unwind
//! across `extern "C"` (which aborts the process since Rust 1.81). Outputs are
//! `OwnedBuf::from_vec`, so the daemon releases them with this library's allocator.

use crate::abi::{self, CallCx, Header, HostV1, Instance, OwnedBuf, PluginV1, Slice};
use crate::dispatch::{CallFailure, dispatch};
use crate::host::HostHandle;
use crate::{Manifest, Plugin};
use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;

/// What `export_plugin!` declares about the exported type.
pub trait Export: 'static {
    /// The adapter type.
    type Plugin: Plugin + 'static;
    /// The plugin crate's package name (`CARGO_PKG_NAME` where the macro is used).
    const CRATE_NAME: &'static str;
    /// The plugin crate's version.
    const CRATE_VERSION: &'static str;
    /// Whether the plugin crate was built with `panic = "unwind"`.
    const PANIC_UNWIND: bool;
    /// A new adapter.
    fn new() -> Self::Plugin;
}

/// The plugin's table with the manifest bytes it points to.
struct Table {
    v1: PluginV1,
    _manifest: Box<[u8]>,
}

// SAFETY: the table is immutable once built; its manifest pointer refers to the boxed
// bytes stored beside it, which live as long as the (static) table.
unsafe impl Sync for Table {}
// SAFETY: as above.
unsafe impl Send for Table {}

/// The static cell holding a plugin's table.
pub struct TableCell(OnceLock<Table>);

impl TableCell {
    /// An empty cell, for a `static`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        Self(OnceLock::new())
    }
}

/// One instance: the adapter and the host table `create` received.
struct InstanceState<P> {
    plugin: P,
    host: &'static HostV1,
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".to_owned()
    }
}

/// The body of the generated `shopmux_plugin_entry`: builds the table once (asking a
/// fresh adapter for its manifest) and returns it; null if that panicked.
pub fn entry<E: Export>(cell: &'static TableCell) -> *const Header {
    let built = catch_unwind(|| {
        let table = cell.0.get_or_init(|| {
            let probe = E::new();
            let manifest = Manifest::of(&probe, E::CRATE_NAME, E::CRATE_VERSION, E::PANIC_UNWIND);
            let manifest: Box<[u8]> =
                serde_json::to_vec(&manifest).unwrap_or_default().into_boxed_slice();
            Table {
                v1: PluginV1 {
                    header: Header::v1(size_of::<PluginV1>()),
                    manifest: Slice::from_bytes(&manifest),
                    create: create::<E>,
                    call: call::<E>,
                    destroy: destroy::<E>,
                },
                _manifest: manifest,
            }
        });
        &table.v1.header as *const Header
    });
    built.unwrap_or(std::ptr::null())
}

/// Writes an error JSON or message into a buffer the host gave.
///
/// # Safety
/// `out` must be null or writable.
unsafe fn put(out: *mut OwnedBuf, bytes: Vec<u8>) {
    if !out.is_null() {
        // SAFETY: writable, per the caller; the old value is the host's empty buffer.
        unsafe { out.write(OwnedBuf::from_vec(bytes)) };
    }
}

/// `PluginV1::create`: checks the host's table, builds an adapter.
unsafe extern "C" fn create<E: Export>(
    host: *const HostV1, _cx: *const CallCx, _config: Slice, out: *mut *mut Instance,
    err: *mut OwnedBuf,
) -> u32 {
    let made = catch_unwind(|| {
        if host.is_null() || out.is_null() {
            return Err(CallFailure::BadInput("create: a null pointer".into()));
        }
        // SAFETY: non-null; the host passes its static table. Only the header is read
        // before the version is known.
        let header = unsafe { &*(host as *const Header) };
        let big_enough = abi::host_table_size(0).is_some_and(|n| header.size as usize >= n);
        if header.magic != abi::MAGIC || header.abi_major != abi::ABI_MAJOR || !big_enough {
            return Err(CallFailure::BadInput(format!(
                "the host speaks plugin ABI {}.{}; this plugin needs {}.x",
                header.abi_major,
                header.abi_minor,
                abi::ABI_MAJOR
            )));
        }
        // SAFETY: a v1 host table of at least v1.0's size, static in the host.
        let host: &'static HostV1 = unsafe { &*host };
        let state = Box::new(InstanceState { plugin: E::new(), host });
        Ok(Box::into_raw(state) as *mut Instance)
    });
    match made {
        Ok(Ok(instance)) => {
            // SAFETY: checked non-null above.
            unsafe { out.write(instance) };
            abi::OK
        }
        Ok(Err(failure)) => {
            // SAFETY: `err` is the host's buffer.
            unsafe { put(err, failure.to_json()) };
            failure.status()
        }
        Err(panic) => {
            // SAFETY: `err` is the host's buffer.
            unsafe { put(err, panic_message(&*panic).into_bytes()) };
            abi::PANIC
        }
    }
}

/// `PluginV1::call`: one method by name, JSON in and out.
unsafe extern "C" fn call<E: Export>(
    inst: *const Instance, cx: *const CallCx, method: Slice, input: Slice, out: *mut OwnedBuf,
) -> u32 {
    if out.is_null() {
        return abi::BAD_INPUT;
    }
    let result = catch_unwind(AssertUnwindSafe(|| {
        if inst.is_null() {
            return Err(CallFailure::BadInput("call: a null instance".into()));
        }
        // SAFETY: made by `create::<E>` and not yet destroyed (the host's promise).
        let state = unsafe { &*(inst as *const InstanceState<E::Plugin>) };
        // SAFETY: borrowed from the host for this call.
        let (method, input) = unsafe { (method.as_bytes(), input.as_bytes()) };
        let method = std::str::from_utf8(method)
            .map_err(|_| CallFailure::BadInput("the method name is not UTF-8".into()))?;
        // SAFETY: the table is the host's static one; `cx` is this call's context.
        let host = unsafe { HostHandle::new(state.host, cx) };
        dispatch(&state.plugin, &host, method, input)
    }));
    let (status, bytes) = match result {
        Ok(Ok(json)) => (abi::OK, json),
        Ok(Err(failure)) => (failure.status(), failure.to_json()),
        Err(panic) => (abi::PANIC, panic_message(&*panic).into_bytes()),
    };
    // SAFETY: checked non-null above.
    unsafe { put(out, bytes) };
    status
}

/// `PluginV1::destroy`: drops an instance (a panic while dropping leaks it instead).
unsafe extern "C" fn destroy<E: Export>(inst: *mut Instance) {
    if inst.is_null() {
        return;
    }
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: made by `create::<E>`; the host destroys it once, after its last call.
        drop(unsafe { Box::from_raw(inst as *mut InstanceState<E::Plugin>) });
    }));
}
