//! In-process tests of the dispatch and of the exported shim, called through its C table
//! exactly as the daemon calls it, with a test host table — no `dlopen` needed.

use crate::abi::{self, CallCx, Header, HostV1, Instance, OwnedBuf, PluginV1, Slice};
use crate::*;
use std::collections::HashMap;
use std::sync::Mutex;

/// A tiny adapter: webhooks are `{"id", "text"}`; `send` posts through the host and
/// counts sends in the key-value state; `send` of the text "panic" panics.
#[derive(Default)]
struct Tiny;

static TINY: Platform = Platform::from_static("tiny");

impl Adapter for Tiny {
    fn platform(&self) -> &Platform {
        &TINY
    }
    fn capabilities(&self) -> Capabilities {
        use Capability::*;
        Capabilities::of(&[Webhooks, Sends])
    }
    fn rule_set(&self) -> RuleSet {
        RuleSet::permissive(TINY.clone())
    }
    fn parse_webhook(
        &self, _shop: &ShopConnection, request: &WebhookRequest, now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        let body: serde_json::Value = serde_json::from_slice(&request.body)
            .map_err(|e| AdapterError::permanent("bad_body", e.to_string()))?;
        Ok(vec![InboundEvent::Message(BuyerMessage {
            buyer: EventBuyer { external_id: "b1".into(), ..Default::default() },
            platform_message_id: body["id"].as_str().unwrap_or_default().into(),
            platform_conversation_id: None,
            content: MessageContent::Text {
                text: body["text"].as_str().unwrap_or_default().into(),
            },
            sent_at_ms: Some(now_unix_ms),
            order: None,
            entry_point: None,
        })])
    }
    fn send(
        &self, host: &dyn Host, _shop: &ShopConnection, message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        if message.content == (MessageContent::Text { text: "panic".into() }) {
            panic!("asked to panic");
        }
        let response = host.http(HttpRequest {
            method: "POST".into(),
            url: "https://tiny.example/send".into(),
            body: message.idempotency_key.as_bytes().to_vec(),
            ..Default::default()
        })?;
        let n: u32 = host.kv_get("sends")?.and_then(|v| v.parse().ok()).unwrap_or(0);
        host.kv_put("sends", &(n + 1).to_string())?;
        host.log("sent");
        Ok(SendReceipt::sent(format!(
            "{}-{}-{}",
            String::from_utf8_lossy(&response.body),
            n + 1,
            host.now_unix_ms()
        )))
    }
}

impl Plugin for Tiny {
    fn methods(&self) -> Vec<&'static str> {
        vec![abi::method::RULE_SET, abi::method::PARSE_WEBHOOK, abi::method::SEND]
    }
}

crate::export_plugin!(Tiny);

/// The in-process host behind the test table: key-value state and a log.
static KV: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);
static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

unsafe extern "C" fn http(_cx: *const CallCx, request: Slice, out: *mut OwnedBuf) -> u32 {
    // SAFETY: the plugin passes a live view and its own `out`.
    let request: HttpRequest = serde_json::from_slice(unsafe { request.as_bytes() }).unwrap();
    let response = HttpResponse {
        status: 200,
        headers: vec![],
        body: format!("{}:{}", request.url, String::from_utf8_lossy(&request.body)).into_bytes(),
    };
    // SAFETY: as above.
    unsafe { out.write(OwnedBuf::from_vec(serde_json::to_vec(&response).unwrap())) };
    abi::OK
}
unsafe extern "C" fn now(_cx: *const CallCx) -> i64 {
    1_700_000_000_000
}
unsafe extern "C" fn log(_cx: *const CallCx, _level: u32, message: Slice, _fields: Slice) {
    // SAFETY: a live view.
    let text = String::from_utf8_lossy(unsafe { message.as_bytes() }).into_owned();
    LOG.lock().unwrap().push(text);
}
unsafe extern "C" fn kv_get(_cx: *const CallCx, key: Slice, out: *mut OwnedBuf) -> u32 {
    // SAFETY: a live view.
    let key = String::from_utf8_lossy(unsafe { key.as_bytes() }).into_owned();
    match KV.lock().unwrap().get_or_insert_default().get(&key) {
        // SAFETY: the plugin's own `out`.
        Some(v) => unsafe {
            out.write(OwnedBuf::from_vec(v.clone().into_bytes()));
            abi::OK
        },
        None => abi::NOT_FOUND,
    }
}
unsafe extern "C" fn kv_put(_cx: *const CallCx, key: Slice, value: Slice) -> u32 {
    // SAFETY: live views.
    let (key, value) = unsafe { (key.as_bytes(), value.as_bytes()) };
    KV.lock().unwrap().get_or_insert_default().insert(
        String::from_utf8_lossy(key).into_owned(),
        String::from_utf8_lossy(value).into_owned(),
    );
    abi::OK
}

static HOST: HostV1 =
    HostV1 { header: Header::v1(size_of::<HostV1>()), http, now_unix_ms: now, log, kv_get, kv_put };

fn table() -> &'static PluginV1 {
    let header = shopmux_plugin_entry();
    assert!(!header.is_null());
    // SAFETY: the entry returns its static table.
    unsafe { &*(header as *const PluginV1) }
}

/// `create` with `host`: the status, the instance (null on failure), the error bytes.
fn create(table: &PluginV1, host: &'static HostV1) -> (u32, *mut Instance, Vec<u8>) {
    let mut inst: *mut Instance = std::ptr::null_mut();
    let mut err = OwnedBuf::EMPTY;
    // SAFETY: a static host table; `inst`/`err` are ours.
    let status =
        unsafe { (table.create)(host, std::ptr::null(), Slice::EMPTY, &mut inst, &mut err) };
    // SAFETY: filled (or left empty) by the shim.
    (status, inst, unsafe { err.take() })
}

fn call(table: &PluginV1, inst: *const Instance, method: &str, input: &[u8]) -> (u32, Vec<u8>) {
    let mut out = OwnedBuf::EMPTY;
    // SAFETY: a live instance; views outlive the call.
    let status = unsafe {
        (table.call)(
            inst,
            std::ptr::null(),
            Slice::from_bytes(method.as_bytes()),
            Slice::from_bytes(input),
            &mut out,
        )
    };
    // SAFETY: filled by the plugin's shim.
    (status, unsafe { out.take() })
}

#[test]
fn the_table_carries_a_v1_header_and_the_manifest() {
    let table = table();
    assert_eq!(table.header.magic, abi::MAGIC);
    assert_eq!((table.header.abi_major, table.header.abi_minor), (1, 0));
    assert_eq!(table.header.size as usize, size_of::<PluginV1>());
    // SAFETY: static manifest bytes.
    let manifest: Manifest = serde_json::from_slice(unsafe { table.manifest.as_bytes() }).unwrap();
    assert_eq!(manifest.platform, "tiny");
    assert_eq!(manifest.name, "shopmux-plugin");
    assert_eq!(manifest.panic, "unwind");
    assert_eq!(manifest.methods, ["rule_set", "parse_webhook", "send"]);
    assert!(manifest.sends && !manifest.polls);
    assert_eq!(manifest.capabilities, Some(Tiny.capabilities()));
    assert!(
        manifest.rustc.as_deref().is_some_and(|r| r.starts_with("rustc ")),
        "{:?}",
        manifest.rustc
    );
    // Built once: the same table every time.
    assert!(std::ptr::eq(table, self::table()));
}

#[test]
fn calls_cross_the_shim_with_json_and_reach_the_host_table() {
    let table = table();
    let (status, inst, _) = create(table, &HOST);
    assert_eq!(status, abi::OK);
    assert!(!inst.is_null());

    let input = serde_json::json!({
        "shop": {"external_id": "s1"},
        "request": {"headers": [], "body": br#"{"id":"m1","text":"hi"}"#.to_vec()},
        "now_unix_ms": 5,
    });
    let (status, out) = call(table, inst, "parse_webhook", input.to_string().as_bytes());
    assert_eq!(status, abi::OK, "{}", String::from_utf8_lossy(&out));
    let events: Vec<InboundEvent> = serde_json::from_slice(&out).unwrap();
    assert!(
        matches!(&events[0], InboundEvent::Message(BuyerMessage { platform_message_id, sent_at_ms: Some(5), .. }) if platform_message_id == "m1")
    );

    let send = serde_json::json!({
        "shop": {"external_id": "s1"},
        "message": {"idempotency_key": "k1", "buyer_external_id": "b1", "content": {"type": "text", "text": "hello"}},
    });
    let (status, out) = call(table, inst, "send", send.to_string().as_bytes());
    assert_eq!(status, abi::OK, "{}", String::from_utf8_lossy(&out));
    let receipt: SendReceipt = serde_json::from_slice(&out).unwrap();
    assert_eq!(
        receipt.platform_message_id.as_deref(),
        Some("https://tiny.example/send:k1-1-1700000000000")
    );
    assert!(LOG.lock().unwrap().contains(&"sent".to_owned()));

    // A panic comes back as PANIC with its message; the shim keeps working.
    let boom = send.to_string().replace("hello", "panic");
    let (status, out) = call(table, inst, "send", boom.as_bytes());
    assert_eq!(status, abi::PANIC);
    assert_eq!(String::from_utf8_lossy(&out), "asked to panic");

    // Unknown and unlisted methods are UNSUPPORTED; bad JSON is BAD_INPUT.
    let (status, out) = call(table, inst, "fetch_order", b"{}");
    assert_eq!(status, abi::UNSUPPORTED);
    let error: AdapterError = serde_json::from_slice(&out).unwrap();
    assert_eq!(error.code, "unsupported");
    assert_eq!(call(table, inst, "teleport", b"{}").0, abi::UNSUPPORTED);
    assert_eq!(call(table, inst, "send", b"{not json").0, abi::BAD_INPUT);
    let (status, out) = call(table, inst, "parse_webhook", br#"{"shop": {"external_id": "s"}, "request": {"headers": [], "body": []}, "now_unix_ms": 1}"#);
    assert_eq!(status, abi::ERROR);
    assert_eq!(serde_json::from_slice::<AdapterError>(&out).unwrap().code, "bad_body");

    // SAFETY: made by `create`, no call in flight.
    unsafe { (table.destroy)(inst) };
}

#[test]
fn create_refuses_a_host_of_another_major() {
    static ALIEN: HostV1 = HostV1 {
        header: Header {
            magic: abi::MAGIC,
            abi_major: 2,
            abi_minor: 0,
            size: size_of::<HostV1>() as u32,
        },
        http,
        now_unix_ms: now,
        log,
        kv_get,
        kv_put,
    };
    let (status, inst, err) = create(table(), &ALIEN);
    assert_eq!(status, abi::BAD_INPUT);
    assert!(inst.is_null());
    let error: AdapterError = serde_json::from_slice(&err).unwrap();
    assert!(error.message.contains("2.0"), "{}", error.message);
}

#[test]
fn dispatch_runs_in_process_with_any_host() {
    struct NoNet;
    impl Host for NoNet {
        fn http(&self, _: HttpRequest) -> Result<HttpResponse, AdapterError> {
            Err(AdapterError::transient("offline", "no network here"))
        }
        fn now_unix_ms(&self) -> i64 {
            0
        }
        fn log(&self, _: &str) {}
        fn kv_get(&self, _: &str) -> Result<Option<String>, AdapterError> {
            Ok(None)
        }
        fn kv_put(&self, _: &str, _: &str) -> Result<(), AdapterError> {
            Ok(())
        }
    }
    let rules: RuleSet =
        serde_json::from_slice(&dispatch(&Tiny, &NoNet, "rule_set", b"").unwrap()).unwrap();
    assert_eq!(rules, RuleSet::permissive(TINY.clone()));
    let send = serde_json::json!({
        "shop": {"external_id": "s1"},
        "message": {"idempotency_key": "k1", "buyer_external_id": "b1", "content": {"type": "text", "text": "x"}},
    });
    let failure = dispatch(&Tiny, &NoNet, "send", send.to_string().as_bytes()).unwrap_err();
    assert_eq!(failure.status(), abi::ERROR);
    assert_eq!(
        failure,
        CallFailure::Adapter(AdapterError::transient("offline", "no network here"))
    );
}

#[test]
fn the_default_methods_are_those_the_declared_capabilities_need() {
    let tiny = methods_for(&Tiny.capabilities());
    assert_eq!(tiny, ["rule_set", "parse_webhook", "send", "webhook_answer", "self_test"]);
    let everything = Capabilities {
        polls: true,
        vets_outbound: true,
        marks_read: true,
        order_look_up: true,
        product_search: true,
        buyer_look_up: true,
        authorizes: true,
        subscribes_webhooks: true,
        ..Tiny.capabilities()
    };
    assert_eq!(methods_for(&everything), abi::method::ALL);
    let connects = Capabilities { authorizes: true, ..Tiny.capabilities() };
    let listed = methods_for(&connects);
    for method in ["authorization_url", "verify_callback", "exchange_code", "authorized_shops"] {
        assert!(listed.contains(&method), "{method}");
    }
    assert!(!listed.contains(&"subscribe_webhooks"));
    let orders = Capabilities { order_look_up: true, ..Capabilities::default() };
    assert!(methods_for(&orders).contains(&"fetch_order"));
    assert!(!methods_for(&orders).contains(&"poll"));
}
