//! The guest side of the host's services: [`HostHandle`] implements the contract's
//! [`Host`] over the daemon's `HostV1` table and the current call's context, so adapter
//! code written against `&dyn Host` runs unchanged in a plugin.
//!
//! Requests and responses cross as the contract's JSON (`HttpRequest`, `HttpResponse`);
//! failures come back as `AdapterError` JSON; key-value keys and values as UTF-8 text.
//! Buffers the host fills are copied and released at once with the host's own `free`.

use crate::abi::{self, CallCx, HostV1, OwnedBuf, Slice};
use shopmux_contract::adapter::{AdapterError, Host, HttpRequest, HttpResponse};

/// The daemon's services, for the duration of one call.
pub struct HostHandle<'a> {
    table: &'a HostV1,
    cx: *const CallCx,
}

// SAFETY: the host's table is static and its callbacks are thread-safe (the `Host` they
// reach is `Send + Sync`); the context pointer is only passed back to them, never
// dereferenced here.
unsafe impl Send for HostHandle<'_> {}
// SAFETY: as above.
unsafe impl Sync for HostHandle<'_> {}

impl std::fmt::Debug for HostHandle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostHandle").finish_non_exhaustive()
    }
}

/// Reads the status and buffer of a host service that answers JSON or an error JSON.
fn answer(status: u32, out: &mut OwnedBuf, service: &str) -> Result<Vec<u8>, AdapterError> {
    // SAFETY: the host filled `out` following the ABI (or left it empty).
    let bytes = unsafe { out.take() };
    match status {
        abi::OK => Ok(bytes),
        abi::DEADLINE => Err(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            AdapterError::transient("deadline", "the call ran past its deadline")
        })),
        other => Err(serde_json::from_slice(&bytes).unwrap_or_else(|_| {
            AdapterError::transient(
                "host_error",
                format!("the host's {service} failed with status {other}"),
            )
        })),
    }
}

impl<'a> HostHandle<'a> {
    /// A handle over the host's table and the context of the current call.
    ///
    /// # Safety
    /// `table` must be a live `HostV1` of ABI 1 (at least as large as v1.0) for `'a`, and
    /// `cx` the context the host passed to the current call (used only during it).
    pub unsafe fn new(table: &'a HostV1, cx: *const CallCx) -> Self {
        Self { table, cx }
    }

    /// Writes a log line at a level (`abi::LOG_*`) with structured fields (a JSON
    /// object, or `null` for none).
    pub fn log_at(&self, level: u32, message: &str, fields: &serde_json::Value) {
        let fields = if fields.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(fields).unwrap_or_default()
        };
        // SAFETY: both views outlive the call; the table is live (see `new`).
        unsafe {
            (self.table.log)(
                self.cx,
                level,
                Slice::from_bytes(message.as_bytes()),
                Slice::from_bytes(&fields),
            )
        }
    }
}

impl Host for HostHandle<'_> {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, AdapterError> {
        let body = serde_json::to_vec(&request)
            .map_err(|e| AdapterError::permanent("bad_request", e.to_string()))?;
        let mut out = OwnedBuf::EMPTY;
        // SAFETY: the view outlives the call; `out` is ours to fill.
        let status = unsafe { (self.table.http)(self.cx, Slice::from_bytes(&body), &mut out) };
        let bytes = answer(status, &mut out, "http")?;
        serde_json::from_slice(&bytes).map_err(|e| {
            AdapterError::transient("host_error", format!("the host's http answer: {e}"))
        })
    }

    fn now_unix_ms(&self) -> i64 {
        // SAFETY: the table is live (see `new`).
        unsafe { (self.table.now_unix_ms)(self.cx) }
    }

    fn log(&self, message: &str) {
        self.log_at(abi::LOG_INFO, message, &serde_json::Value::Null);
    }

    fn kv_get(&self, key: &str) -> Result<Option<String>, AdapterError> {
        let mut out = OwnedBuf::EMPTY;
        // SAFETY: the view outlives the call; `out` is ours to fill.
        let status =
            unsafe { (self.table.kv_get)(self.cx, Slice::from_bytes(key.as_bytes()), &mut out) };
        if status == abi::NOT_FOUND {
            // SAFETY: filled (or left empty) by the host.
            unsafe { out.take() };
            return Ok(None);
        }
        let bytes = answer(status, &mut out, "kv_get")?;
        String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| AdapterError::permanent("bad_state", "a stored value is not UTF-8"))
    }

    fn kv_put(&self, key: &str, value: &str) -> Result<(), AdapterError> {
        // SAFETY: both views outlive the call.
        let status = unsafe {
            (self.table.kv_put)(
                self.cx,
                Slice::from_bytes(key.as_bytes()),
                Slice::from_bytes(value.as_bytes()),
            )
        };
        match status {
            abi::OK => Ok(()),
            abi::DEADLINE => {
                Err(AdapterError::transient("deadline", "the call ran past its deadline"))
            }
            other => Err(AdapterError::transient(
                "state_unavailable",
                format!("the host's kv_put failed with status {other}"),
            )),
        }
    }
}
