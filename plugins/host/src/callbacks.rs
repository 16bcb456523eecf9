//! The host's side of a call: the `CallCx` each call carries (the `&dyn Host` the daemon
//! passed to the adapter method, the deadline, the plugin and method for logs) and the
//! static `HostV1` table whose `extern "C"` callbacks recover it.
//!
//! Every callback runs inside `catch_unwind` (a panicking `Host` becomes an error status,
//! never an unwind into the plugin), checks the deadline before doing anything
//! (`DEADLINE`: nothing was done), and answers in buffers this binary allocated and frees.

use shopmux_contract::adapter::{AdapterError, Host, HttpRequest, HttpResponse};
use shopmux_plugin_abi::{self as abi, CallCx, Header, HostV1, OwnedBuf, Slice};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// The context of one call, behind the opaque `CallCx` pointer the plugin receives.
pub(crate) struct HostCx<'a> {
    /// The daemon's services for this call.
    pub host: &'a dyn Host,
    /// No host service starts after this.
    pub deadline: Instant,
    /// The plugin's name, for logs.
    pub plugin: &'a str,
    /// The method being called, for logs.
    pub method: &'a str,
}

impl HostCx<'_> {
    /// The pointer handed to the plugin; valid while `self` lives.
    pub fn as_ptr(&self) -> *const CallCx {
        self as *const Self as *const CallCx
    }

    /// Milliseconds left before the deadline (none: passed).
    fn remaining_ms(&self) -> Option<u64> {
        let left = self.deadline.checked_duration_since(Instant::now())?;
        (!left.is_zero()).then(|| (left.as_millis() as u64).max(1))
    }
}

/// The host services a call without a `Host` of the daemon's gets (`rule_set`,
/// `parse_webhook`, `webhook_answer`, creating instances): no HTTP and no state — those
/// calls are pure — a clock (the webhook's `now` when there is one) and `tracing` logs.
pub(crate) struct NoHost {
    /// What `now_unix_ms` answers; the system clock when none.
    pub now_unix_ms: Option<i64>,
}

fn system_now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

impl Host for NoHost {
    fn http(&self, _request: HttpRequest) -> Result<HttpResponse, AdapterError> {
        Err(AdapterError::permanent(
            "no_host",
            "this call gets no HTTP from the host (it must be pure)",
        ))
    }
    fn now_unix_ms(&self) -> i64 {
        self.now_unix_ms.unwrap_or_else(system_now_ms)
    }
    fn log(&self, message: &str) {
        tracing::info!(target: "shopmux::plugin", message);
    }
    fn kv_get(&self, _key: &str) -> Result<Option<String>, AdapterError> {
        Err(AdapterError::permanent("no_host", "this call gets no key-value state from the host"))
    }
    fn kv_put(&self, _key: &str, _value: &str) -> Result<(), AdapterError> {
        Err(AdapterError::permanent("no_host", "this call gets no key-value state from the host"))
    }
}

/// The host table every plugin instance receives.
pub(crate) static HOST_TABLE: HostV1 =
    HostV1 { header: Header::v1(size_of::<HostV1>()), http, now_unix_ms, log, kv_get, kv_put };

/// Writes `bytes` into the plugin's `out` (made by this binary: its `free` is ours).
///
/// # Safety
/// `out` must be writable (checked non-null by the caller).
unsafe fn put(out: *mut OwnedBuf, bytes: Vec<u8>) {
    // SAFETY: per the caller.
    unsafe { out.write(OwnedBuf::from_vec(bytes)) };
}

fn error_json(error: &AdapterError) -> Vec<u8> {
    serde_json::to_vec(error).unwrap_or_default()
}

fn deadline_error(cx: &HostCx<'_>) -> AdapterError {
    AdapterError::transient(
        "deadline",
        format!("plugin {} ran past its deadline in `{}`", cx.plugin, cx.method),
    )
}

/// Runs a callback body that answers a status and bytes, turning a panic of the host's
/// own code into `ERROR` with a `host_panic` error.
///
/// # Safety
/// `cx` must be null or a live `HostCx`; `out` null or writable.
unsafe fn serve(
    cx: *const CallCx, out: *mut OwnedBuf, body: impl FnOnce(&HostCx<'_>) -> (u32, Vec<u8>),
) -> u32 {
    if cx.is_null() || out.is_null() {
        return abi::BAD_INPUT;
    }
    // SAFETY: the plugin passes back the context of the call it is inside.
    let cx = unsafe { &*(cx as *const HostCx<'_>) };
    if cx.remaining_ms().is_none() {
        // SAFETY: non-null, the plugin's buffer.
        unsafe { put(out, error_json(&deadline_error(cx))) };
        return abi::DEADLINE;
    }
    let (status, bytes) = catch_unwind(AssertUnwindSafe(|| body(cx))).unwrap_or_else(|_| {
        tracing::error!(
            plugin = cx.plugin,
            method = cx.method,
            "The host panicked serving a plugin."
        );
        let e = AdapterError::transient("host_panic", "the host failed serving this call");
        (abi::ERROR, error_json(&e))
    });
    if status != abi::NOT_FOUND {
        // SAFETY: non-null, the plugin's buffer.
        unsafe { put(out, bytes) };
    }
    status
}

/// `HostV1::http`: the contract's request JSON in; response JSON or error JSON out. A
/// request's timeout is cut to what is left of the call's deadline.
unsafe extern "C" fn http(cx: *const CallCx, request: Slice, out: *mut OwnedBuf) -> u32 {
    // SAFETY: `serve` checks the pointers; the view is the plugin's, live for this call.
    unsafe {
        serve(cx, out, |cx| {
            let mut request: HttpRequest = match serde_json::from_slice(request.as_bytes()) {
                Ok(r) => r,
                Err(e) => {
                    let e = AdapterError::permanent("bad_request", format!("not a request: {e}"));
                    return (abi::BAD_INPUT, error_json(&e));
                }
            };
            let left = cx.remaining_ms().unwrap_or(1);
            request.timeout_ms = Some(request.timeout_ms.map_or(left, |t| t.min(left)));
            match cx.host.http(request) {
                Ok(response) => match serde_json::to_vec(&response) {
                    Ok(json) => (abi::OK, json),
                    Err(e) => (
                        abi::ERROR,
                        error_json(&AdapterError::transient("host_error", e.to_string())),
                    ),
                },
                Err(e) => (abi::ERROR, error_json(&e)),
            }
        })
    }
}

/// `HostV1::now_unix_ms`: the daemon's clock.
unsafe extern "C" fn now_unix_ms(cx: *const CallCx) -> i64 {
    if cx.is_null() {
        return system_now_ms();
    }
    // SAFETY: the plugin passes back the context of the call it is inside.
    let cx = unsafe { &*(cx as *const HostCx<'_>) };
    catch_unwind(AssertUnwindSafe(|| cx.host.now_unix_ms())).unwrap_or_else(|_| system_now_ms())
}

/// `HostV1::log`: info and above go to the daemon's `Host::log` (warnings and errors
/// prefixed so), debug and trace to `tracing` only.
unsafe extern "C" fn log(cx: *const CallCx, level: u32, message: Slice, fields: Slice) {
    if cx.is_null() {
        return;
    }
    // SAFETY: the plugin passes back its call's context and live views.
    let (cx, message, fields) = unsafe {
        (
            &*(cx as *const HostCx<'_>),
            String::from_utf8_lossy(message.as_bytes()),
            String::from_utf8_lossy(fields.as_bytes()),
        )
    };
    let text =
        if fields.trim().is_empty() { message.into_owned() } else { format!("{message} {fields}") };
    let _ = catch_unwind(AssertUnwindSafe(|| match level {
        abi::LOG_ERROR => cx.host.log(&format!("error: {text}")),
        abi::LOG_WARN => cx.host.log(&format!("warning: {text}")),
        abi::LOG_DEBUG | abi::LOG_TRACE => {
            tracing::debug!(target: "shopmux::plugin", plugin = cx.plugin, method = cx.method, message = %text)
        }
        _ => cx.host.log(&text),
    }));
}

/// `HostV1::kv_get`: `OK` with the value's text, `NOT_FOUND`, or an error JSON.
unsafe extern "C" fn kv_get(cx: *const CallCx, key: Slice, out: *mut OwnedBuf) -> u32 {
    // SAFETY: `serve` checks the pointers; the view is the plugin's, live for this call.
    unsafe {
        serve(cx, out, |cx| {
            let Ok(key) = std::str::from_utf8(key.as_bytes()) else {
                let e = AdapterError::permanent("bad_key", "a key must be UTF-8");
                return (abi::BAD_INPUT, error_json(&e));
            };
            match cx.host.kv_get(key) {
                Ok(Some(value)) => (abi::OK, value.into_bytes()),
                Ok(None) => (abi::NOT_FOUND, Vec::new()),
                Err(e) => (abi::ERROR, error_json(&e)),
            }
        })
    }
}

/// `HostV1::kv_put`: `OK`, `ERROR` (the reason is logged) or `DEADLINE`.
unsafe extern "C" fn kv_put(cx: *const CallCx, key: Slice, value: Slice) -> u32 {
    if cx.is_null() {
        return abi::BAD_INPUT;
    }
    // SAFETY: the plugin passes back its call's context and live views.
    let (cx, key, value) =
        unsafe { (&*(cx as *const HostCx<'_>), key.as_bytes(), value.as_bytes()) };
    if cx.remaining_ms().is_none() {
        return abi::DEADLINE;
    }
    let (Ok(key), Ok(value)) = (std::str::from_utf8(key), std::str::from_utf8(value)) else {
        return abi::BAD_INPUT;
    };
    match catch_unwind(AssertUnwindSafe(|| cx.host.kv_put(key, value))) {
        Ok(Ok(())) => abi::OK,
        Ok(Err(error)) => {
            tracing::warn!(plugin = cx.plugin, method = cx.method, %error, "A plugin's kv_put failed.");
            abi::ERROR
        }
        Err(_) => abi::ERROR,
    }
}
