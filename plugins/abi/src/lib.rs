//! shopmux-plugin-abi: the C ABI between the shopmux daemon and a plugin library, v1.0.
//!
//! Only what is here crosses the boundary: `#[repr(C)]` structs of integers, raw
//! pointers, `(ptr, len)` views and `extern "C"` function pointers. No Rust-layout
//! type (`String`, `Vec`, `Box`, `&dyn`, enums) ever does; status codes are `u32`
//! constants so an unknown value is just a number, never undefined behaviour. Payloads are
//! UTF-8 JSON (the contract's serde forms).
//!
//! Ownership: a [`Slice`] is borrowed for the duration of one call. An [`OwnedBuf`] is
//! owned by whoever produced it and carries the producer's `free` function; the receiver
//! copies the bytes out and calls that `free` at once ([`OwnedBuf::take`]), so memory is
//! always released by the allocator that made it.
//!
//! A plugin exports one symbol, [`ENTRY_SYMBOL`], returning a pointer to a static
//! [`PluginV1`] whose first bytes are a [`Header`] frozen forever: the host reads the
//! header, checks [`MAGIC`] and the version, and only then looks at anything else. Tables
//! evolve by appending fields within a major version (the header's `size` says how much
//! of the table the other side has); nothing is ever reordered. The `const` assertions at
//! the end of this file freeze the layout: an accidental change fails the build.
//!
//! This crate has no dependencies and defines no behaviour beyond the buffer helpers.

use std::mem::{offset_of, size_of};

/// The first eight bytes of every table.
pub const MAGIC: [u8; 8] = *b"SHOPMUX\0";
/// The ABI major version: a plugin of another major is refused.
pub const ABI_MAJOR: u16 = 1;
/// The ABI minor version this crate describes: a plugin built for a higher minor than
/// the host's is refused; a lower one is accepted.
pub const ABI_MINOR: u16 = 0;
/// The one symbol a plugin exports (NUL-terminated, as `dlsym` wants it): an
/// [`EntryFn`].
pub const ENTRY_SYMBOL: &[u8] = b"shopmux_plugin_entry\0";

/// Status: success; the output buffer holds the result JSON.
pub const OK: u32 = 0;
/// Status: the call failed; the output holds an error JSON
/// `{code, message, retryable, retry_after_ms?}` (the contract's `AdapterError`).
pub const ERROR: u32 = 1;
/// Status: the callee panicked (and caught it); the output holds the panic message as
/// UTF-8 text.
pub const PANIC: u32 = 2;
/// Status: the callee does not know the method; the output may hold an error JSON.
pub const UNSUPPORTED: u32 = 3;
/// Status: the input was not what the method expects (bad UTF-8, bad JSON, a null
/// pointer); the output may hold an error JSON.
pub const BAD_INPUT: u32 = 4;
/// Status of the host's `kv_get`: the key was never set. The output is empty.
pub const NOT_FOUND: u32 = 5;
/// Status of a host service: the call's deadline has passed, nothing was done. The
/// output may hold an error JSON.
pub const DEADLINE: u32 = 6;

/// Log level of [`HostV1::log`]: an error.
pub const LOG_ERROR: u32 = 1;
/// Log level of [`HostV1::log`]: a warning.
pub const LOG_WARN: u32 = 2;
/// Log level of [`HostV1::log`]: information.
pub const LOG_INFO: u32 = 3;
/// Log level of [`HostV1::log`]: debugging detail.
pub const LOG_DEBUG: u32 = 4;
/// Log level of [`HostV1::log`]: tracing detail.
pub const LOG_TRACE: u32 = 5;

pub mod method;

/// Borrowed bytes (UTF-8 text or JSON), valid for the duration of the call only.
/// A null `ptr` is allowed when `len` is 0.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Slice {
    /// The first byte.
    pub ptr: *const u8,
    /// The number of bytes.
    pub len: usize,
}

impl Slice {
    /// No bytes.
    pub const EMPTY: Slice = Slice { ptr: std::ptr::null(), len: 0 };

    /// A view of `bytes`; the caller keeps them alive for as long as the view is used.
    pub const fn from_bytes(bytes: &[u8]) -> Slice {
        Slice { ptr: bytes.as_ptr(), len: bytes.len() }
    }

    /// The bytes.
    ///
    /// # Safety
    /// `ptr` must be null with `len == 0`, or point to `len` readable bytes that stay
    /// valid and unchanged for `'a`.
    pub unsafe fn as_bytes<'a>(&self) -> &'a [u8] {
        if self.ptr.is_null() || self.len == 0 {
            &[]
        } else {
            // SAFETY: the caller promises `len` readable bytes at `ptr` for `'a`.
            unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
        }
    }
}

/// The `free` function of an [`OwnedBuf`]: receives the buffer's own `ptr`, `len`, `cap`.
pub type FreeFn = unsafe extern "C" fn(ptr: *mut u8, len: usize, cap: usize);

/// Bytes produced by one side and handed to the other, with the producer's `free`. The
/// receiver reads (copies) them and calls `free` once; it never frees them with its own
/// allocator. `free == None` means there is nothing to free (an empty buffer).
#[repr(C)]
#[derive(Debug)]
pub struct OwnedBuf {
    /// The first byte (null when empty).
    pub ptr: *mut u8,
    /// The number of bytes.
    pub len: usize,
    /// The allocation's capacity, for the producer's `free`.
    pub cap: usize,
    /// Releases the buffer, in the producer's code and with the producer's allocator.
    pub free: Option<FreeFn>,
}

/// Frees a buffer made by [`OwnedBuf::from_vec`]. The function pointer stored in a buffer
/// is this function *as compiled into the producing binary*, so it always uses the
/// producer's global allocator.
unsafe extern "C" fn free_vec(ptr: *mut u8, len: usize, cap: usize) {
    if !ptr.is_null() {
        // SAFETY: `ptr`, `len`, `cap` come from a `Vec<u8>` of this binary that
        // `OwnedBuf::from_vec` forgot; it is rebuilt and dropped exactly once.
        drop(unsafe { Vec::from_raw_parts(ptr, len, cap) });
    }
}

impl OwnedBuf {
    /// An empty buffer (nothing to free).
    pub const EMPTY: OwnedBuf = OwnedBuf { ptr: std::ptr::null_mut(), len: 0, cap: 0, free: None };

    /// Hands over a vector: its `free` is this binary's deallocation.
    pub fn from_vec(bytes: Vec<u8>) -> OwnedBuf {
        let mut bytes = std::mem::ManuallyDrop::new(bytes);
        OwnedBuf {
            ptr: bytes.as_mut_ptr(),
            len: bytes.len(),
            cap: bytes.capacity(),
            free: Some(free_vec),
        }
    }

    /// Copies the bytes out, releases the buffer with its producer's `free`, and leaves
    /// `self` empty. Calling it again yields nothing.
    ///
    /// # Safety
    /// The buffer must have been filled by a producer that follows this ABI: `ptr`
    /// points to `len` readable bytes (or is null), and `free` releases exactly this
    /// buffer.
    pub unsafe fn take(&mut self) -> Vec<u8> {
        let buf = std::mem::replace(self, OwnedBuf::EMPTY);
        let bytes = if buf.ptr.is_null() || buf.len == 0 {
            Vec::new()
        } else {
            // SAFETY: the producer promises `len` readable bytes at `ptr`.
            unsafe { std::slice::from_raw_parts(buf.ptr, buf.len) }.to_vec()
        };
        if let Some(free) = buf.free {
            // SAFETY: released once, by its producer's function.
            unsafe { free(buf.ptr, buf.len, buf.cap) };
        }
        bytes
    }
}

/// The first bytes of every table, frozen forever: magic, version, and the size of the
/// table as its builder compiled it.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// [`MAGIC`].
    pub magic: [u8; 8],
    /// The major version the builder speaks.
    pub abi_major: u16,
    /// The minor version the builder speaks.
    pub abi_minor: u16,
    /// `size_of` the whole table (header included) as the builder compiled it.
    pub size: u32,
}

impl Header {
    /// The header of a table of `size` bytes at this crate's version.
    pub const fn v1(size: usize) -> Header {
        Header { magic: MAGIC, abi_major: ABI_MAJOR, abi_minor: ABI_MINOR, size: size as u32 }
    }
}

/// A plugin's adapter instance: opaque to the host, owned by the plugin.
#[repr(C)]
pub struct Instance {
    _opaque: [u8; 0],
}

/// The host's context of one call (its `Host`, deadline, ...): opaque to the plugin,
/// owned by the host, valid only during the call it was passed to.
#[repr(C)]
pub struct CallCx {
    _opaque: [u8; 0],
}

/// The plugin's exported entry: returns its static [`PluginV1`] (as a pointer to its
/// header), or null when it could not build it.
pub type EntryFn = unsafe extern "C" fn() -> *const Header;

/// Creates an adapter instance. `config` is JSON (`{}` in v1). On [`OK`], `*out` is the
/// instance; otherwise `*err` may hold an error JSON (or a panic message on [`PANIC`]).
pub type CreateFn = unsafe extern "C" fn(
    host: *const HostV1,
    cx: *const CallCx,
    config: Slice,
    out: *mut *mut Instance,
    err: *mut OwnedBuf,
) -> u32;

/// Calls one method by name with JSON input; `*out` receives the result JSON, an error
/// JSON, or a panic message, as the status says. May run concurrently on one instance.
pub type CallFn = unsafe extern "C" fn(
    inst: *const Instance,
    cx: *const CallCx,
    method: Slice,
    input: Slice,
    out: *mut OwnedBuf,
) -> u32;

/// Destroys an instance made by `create` (after its last call returned).
pub type DestroyFn = unsafe extern "C" fn(inst: *mut Instance);

/// What a plugin exports, v1.
#[repr(C)]
pub struct PluginV1 {
    /// `size` = `size_of::<PluginV1>()` as the plugin was built.
    pub header: Header,
    /// The manifest, static UTF-8 JSON: `{name, platform, plugin_version, sdk_version,
    /// abi: {major, minor}, rustc, panic, methods, sends, polls, capabilities}`
    /// (`capabilities`, optional, was added within v1.0: the JSON grows, the table not).
    pub manifest: Slice,
    /// See [`CreateFn`].
    pub create: CreateFn,
    /// See [`CallFn`].
    pub call: CallFn,
    /// See [`DestroyFn`].
    pub destroy: DestroyFn,
    // v1.1+ appends fields here; never reorders.
}

/// Performs an HTTP request: `request` is the contract's `HttpRequest` JSON; on [`OK`]
/// `*out` is an `HttpResponse` JSON, on [`ERROR`] or [`DEADLINE`] an error JSON.
pub type HttpFn =
    unsafe extern "C" fn(cx: *const CallCx, request: Slice, out: *mut OwnedBuf) -> u32;
/// Now, from the host's injected clock, in Unix milliseconds.
pub type NowFn = unsafe extern "C" fn(cx: *const CallCx) -> i64;
/// Writes a log line: `level` is one of the `LOG_*` constants, `message` UTF-8 text,
/// `fields` a JSON object or empty.
pub type LogFn = unsafe extern "C" fn(cx: *const CallCx, level: u32, message: Slice, fields: Slice);
/// Reads a key-value entry (`key` UTF-8 text): [`OK`] with the value's UTF-8 text in
/// `*out`, [`NOT_FOUND`], or [`ERROR`]/[`DEADLINE`] with an error JSON.
pub type KvGetFn = unsafe extern "C" fn(cx: *const CallCx, key: Slice, out: *mut OwnedBuf) -> u32;
/// Writes (replaces) a key-value entry, both UTF-8 text: [`OK`], [`ERROR`] or
/// [`DEADLINE`].
pub type KvPutFn = unsafe extern "C" fn(cx: *const CallCx, key: Slice, value: Slice) -> u32;

/// What the host lends a plugin: its services, v1. Static for the process lifetime.
#[repr(C)]
pub struct HostV1 {
    /// The host's version, so an SDK can degrade gracefully.
    pub header: Header,
    /// See [`HttpFn`].
    pub http: HttpFn,
    /// See [`NowFn`].
    pub now_unix_ms: NowFn,
    /// See [`LogFn`].
    pub log: LogFn,
    /// See [`KvGetFn`].
    pub kv_get: KvGetFn,
    /// See [`KvPutFn`].
    pub kv_put: KvPutFn,
    // v1.1+ appends fields here; never reorders.
}

/// The least `header.size` a plugin table of ABI `1.minor` can have, or `None` for a
/// minor this crate does not know (newer than [`ABI_MINOR`]).
pub const fn plugin_table_size(minor: u16) -> Option<usize> {
    match minor {
        0 => Some(size_of::<PluginV1>()),
        _ => None,
    }
}

/// The least `header.size` a host table of ABI `1.minor` can have, or `None` for a minor
/// this crate does not know.
pub const fn host_table_size(minor: u16) -> Option<usize> {
    match minor {
        0 => Some(size_of::<HostV1>()),
        _ => None,
    }
}

// The frozen layout of v1.0. `W` is the pointer width, so the assertions hold on 32- and
// 64-bit targets alike.
const W: usize = size_of::<usize>();
const _: () = {
    assert!(size_of::<Header>() == 16);
    assert!(offset_of!(Header, magic) == 0);
    assert!(offset_of!(Header, abi_major) == 8);
    assert!(offset_of!(Header, abi_minor) == 10);
    assert!(offset_of!(Header, size) == 12);

    assert!(size_of::<Slice>() == 2 * W);
    assert!(offset_of!(Slice, ptr) == 0);
    assert!(offset_of!(Slice, len) == W);

    assert!(size_of::<Option<FreeFn>>() == W);
    assert!(size_of::<OwnedBuf>() == 4 * W);
    assert!(offset_of!(OwnedBuf, ptr) == 0);
    assert!(offset_of!(OwnedBuf, len) == W);
    assert!(offset_of!(OwnedBuf, cap) == 2 * W);
    assert!(offset_of!(OwnedBuf, free) == 3 * W);

    assert!(size_of::<Instance>() == 0);
    assert!(size_of::<CallCx>() == 0);

    assert!(offset_of!(PluginV1, header) == 0);
    assert!(offset_of!(PluginV1, manifest) == 16);
    assert!(offset_of!(PluginV1, create) == 16 + 2 * W);
    assert!(offset_of!(PluginV1, call) == 16 + 3 * W);
    assert!(offset_of!(PluginV1, destroy) == 16 + 4 * W);
    assert!(size_of::<PluginV1>() == 16 + 5 * W);

    assert!(offset_of!(HostV1, header) == 0);
    assert!(offset_of!(HostV1, http) == 16);
    assert!(offset_of!(HostV1, now_unix_ms) == 16 + W);
    assert!(offset_of!(HostV1, log) == 16 + 2 * W);
    assert!(offset_of!(HostV1, kv_get) == 16 + 3 * W);
    assert!(offset_of!(HostV1, kv_put) == 16 + 4 * W);
    assert!(size_of::<HostV1>() == 16 + 5 * W);

    // The promises of the wire, checked where a typo would hide.
    assert!(ABI_MAJOR == 1);
    assert!(OK == 0 && ERROR == 1 && PANIC == 2 && UNSUPPORTED == 3);
    assert!(BAD_INPUT == 4 && NOT_FOUND == 5 && DEADLINE == 6);
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_owned_buffer_is_copied_out_and_freed_once() {
        let mut buf = OwnedBuf::from_vec(b"{\"ok\":true}".to_vec());
        assert!(buf.free.is_some());
        // SAFETY: made by `from_vec` just above.
        let bytes = unsafe { buf.take() };
        assert_eq!(bytes, b"{\"ok\":true}");
        assert!(buf.ptr.is_null() && buf.free.is_none());
        // SAFETY: now empty: nothing to read or free.
        assert!(unsafe { buf.take() }.is_empty());
    }

    #[test]
    fn empty_buffers_and_null_slices_read_as_nothing() {
        let mut empty = OwnedBuf::from_vec(Vec::new());
        // SAFETY: made by `from_vec`.
        assert!(unsafe { empty.take() }.is_empty());
        // SAFETY: a null slice of length 0 is allowed.
        assert!(unsafe { Slice::EMPTY.as_bytes() }.is_empty());
        let text = b"rule_set";
        // SAFETY: `text` outlives the view.
        assert_eq!(unsafe { Slice::from_bytes(text).as_bytes() }, b"rule_set");
    }

    #[test]
    fn table_sizes_are_known_for_v1_0_only() {
        assert_eq!(plugin_table_size(0), Some(size_of::<PluginV1>()));
        assert_eq!(host_table_size(0), Some(size_of::<HostV1>()));
        assert_eq!(plugin_table_size(1), None);
        assert_eq!(Header::v1(56).magic, MAGIC);
        assert!(method::ALL.contains(&"parse_webhook") && method::ALL.len() == 16);
        assert_eq!(ENTRY_SYMBOL.last(), Some(&0));
    }
}
