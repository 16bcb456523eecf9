//! The plugin boundary end to end: real fixture libraries built with cargo, loaded with
//! `dlopen`, driven as adapters with an in-process test `Host`; and the refusals of
//! libraries that must not load, each naming its reason.

#[path = "support/fixtures.rs"]
mod fixtures;

use shopmux_contract::adapter::{
    Adapter, AdapterError, Host, HttpRequest, HttpResponse, InboundEvent, MessageContent,
    OutboundMessage, ShopConnection, WebhookRequest,
};
use shopmux_plugin_fixture_echo::Echo;
use shopmux_plugin_host::{LoadError, Plugin, check, load, load_all, load_dir};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The fixture packages.
const FIXTURES: &[&str] = &[
    "shopmux-plugin-fixture-echo",
    "shopmux-plugin-fixture-abi-mismatch",
    "shopmux-plugin-fixture-panicky",
    "shopmux-plugin-fixture-bad-manifest",
    "shopmux-plugin-fixture-no-entry",
];

/// The fixtures, built once per test binary.
fn fixture(package: &str) -> PathBuf {
    static BUILT: OnceLock<HashMap<String, PathBuf>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../plugin-fixtures");
        fixtures::build(FIXTURES, false, &target)
    });
    built[&format!("shopmux-plugin-fixture-{package}")].clone()
}

/// An in-process host: records requests and logs, answers every request with the
/// configured status and `{"id": "m-N"}`, keeps key-value state in a map, reads a fixed
/// clock.
#[derive(Default)]
struct TestHost {
    requests: Mutex<Vec<HttpRequest>>,
    logs: Mutex<Vec<String>>,
    kv: Mutex<HashMap<String, String>>,
    status: Mutex<Option<u16>>,
}

impl Host for TestHost {
    fn http(&self, request: HttpRequest) -> Result<HttpResponse, AdapterError> {
        let mut requests = self.requests.lock().unwrap();
        requests.push(request);
        Ok(HttpResponse {
            status: self.status.lock().unwrap().unwrap_or(200),
            headers: vec![("retry-after".into(), "3".into())],
            body: format!(r#"{{"id": "m-{}"}}"#, requests.len()).into_bytes(),
        })
    }
    fn now_unix_ms(&self) -> i64 {
        1_750_000_000_000
    }
    fn log(&self, message: &str) {
        self.logs.lock().unwrap().push(message.to_owned());
    }
    fn kv_get(&self, key: &str) -> Result<Option<String>, AdapterError> {
        Ok(self.kv.lock().unwrap().get(key).cloned())
    }
    fn kv_put(&self, key: &str, value: &str) -> Result<(), AdapterError> {
        self.kv.lock().unwrap().insert(key.to_owned(), value.to_owned());
        Ok(())
    }
}

fn shop() -> ShopConnection {
    ShopConnection {
        api_base: Some("http://127.0.0.1:9/echo/".into()),
        ..ShopConnection::with_credentials("shop-1", &[("secret", "s3cr3t")])
    }
}

fn message(key: &str) -> OutboundMessage {
    OutboundMessage {
        idempotency_key: key.into(),
        buyer_external_id: "buyer-7".into(),
        buyer_email: None,
        platform_conversation_id: None,
        content: MessageContent::Text { text: "hello".into() },
    }
}

fn webhook(secret: &str, body: &str) -> WebhookRequest {
    WebhookRequest {
        headers: vec![("x-echo-secret".into(), secret.into())],
        body: body.as_bytes().to_vec(),
    }
}

fn echo() -> Plugin {
    load(&fixture("echo")).expect("the echo plugin loads")
}

#[test]
fn echo_loads_with_its_manifest_rule_set_and_webhook_answer() {
    let plugin = echo();
    let info = plugin.info();
    assert_eq!(info.name, "shopmux-plugin-fixture-echo");
    assert_eq!(info.platform, "echo");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.abi.to_string(), "1.0");
    assert_eq!(info.sdk_version.as_deref(), Some(env!("CARGO_PKG_VERSION")));
    assert!(info.rustc.as_deref().is_some_and(|r| r.starts_with("rustc ")));
    assert!(info.path.is_absolute());
    assert!(plugin.implements("send") && !plugin.implements("fetch_order"));
    assert_eq!(plugin.platform(), "echo");
    // The capabilities the adapter declares reach the host through the manifest.
    assert_eq!(plugin.capabilities(), Echo.capabilities());
    assert!(plugin.capabilities().polls && !plugin.capabilities().order_look_up);
    assert_eq!(plugin.rule_set().platform, "echo");
    let answer = plugin.webhook_answer().expect("echo answers webhooks");
    assert_eq!(
        (answer.content_type.as_str(), answer.body.as_slice()),
        ("text/plain", &b"echo ok"[..])
    );
}

#[test]
fn parse_webhook_round_trips_across_the_boundary() {
    let plugin = echo();
    let body = r#"{"buyer": "buyer-7", "id": "msg-1", "text": "where is my parcel?", "conversation": "c-9"}"#;
    let events = plugin.parse_webhook(&shop(), &webhook("s3cr3t", body), 1_234).unwrap();
    assert_eq!(events.len(), 1);
    let message = events[0].as_message().expect("a message");
    assert_eq!(message.buyer.external_id, "buyer-7");
    assert_eq!(message.platform_message_id, "msg-1");
    assert_eq!(message.platform_conversation_id.as_deref(), Some("c-9"));
    assert_eq!(message.content, MessageContent::Text { text: "where is my parcel?".into() });
    assert_eq!(message.sent_at_ms, Some(1_234));

    // The plugin's own errors come back as they were raised.
    let error = plugin.parse_webhook(&shop(), &webhook("wrong", body), 1).unwrap_err();
    assert_eq!((error.code.as_str(), error.retryable), ("bad_signature", false));
    let error = plugin.parse_webhook(&shop(), &webhook("s3cr3t", "{not json"), 1).unwrap_err();
    assert_eq!(error.code, "bad_body");
}

#[test]
fn send_goes_through_the_host_with_its_http_and_key_value_state() {
    let plugin = echo();
    let host = TestHost::default();
    let receipt = plugin.send(&host, &shop(), &message("k-1")).unwrap();
    assert_eq!(receipt.platform_message_id.as_deref(), Some("m-1"));
    let receipt = plugin.send(&host, &shop(), &message("k-2")).unwrap();
    assert_eq!(receipt.platform_message_id.as_deref(), Some("m-2"));

    let requests = host.requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "POST");
    assert_eq!(requests[0].url, "http://127.0.0.1:9/echo/messages");
    let sent: serde_json::Value = serde_json::from_slice(&requests[1].body).unwrap();
    assert_eq!(sent["key"], "k-2");
    assert_eq!(sent["to"], "buyer-7");
    assert_eq!(sent["content"]["text"], "hello");
    // The host cut the request's timeout to the call's deadline (20 s by default).
    assert!(requests[0].timeout_ms.is_some_and(|t| t > 0 && t <= 20_000));
    drop(requests);

    let kv = host.kv.lock().unwrap();
    assert_eq!(kv.get("sent").map(String::as_str), Some("2"));
    assert_eq!(kv.get("last_id").map(String::as_str), Some("m-2"));
    drop(kv);
    assert!(host.logs.lock().unwrap().contains(&"echo sent m-2".to_owned()));

    // The host's clock reaches the plugin.
    let page = plugin.poll(&host, &shop(), None).unwrap();
    assert_eq!(page.cursor.as_deref(), Some("1750000000000"));

    // A platform failure is the plugin's error, classified by the plugin.
    *host.status.lock().unwrap() = Some(503);
    let error = plugin.send(&host, &shop(), &message("k-3")).unwrap_err();
    assert_eq!(error.code, "http_503");
    assert!(error.retryable);
    assert_eq!(error.retry_after_ms, Some(3_000));
}

#[test]
fn methods_the_manifest_does_not_list_keep_the_contract_defaults() {
    let plugin = echo();
    let host = TestHost::default();
    let error = plugin.fetch_order(&host, &shop(), "o-1").unwrap_err();
    assert_eq!(error.code, "unsupported");
    assert!(error.message.contains("order look-up"), "{error}");
    assert!(plugin.fetch_buyer(&host, &shop(), "b").is_err());
    // Listed but not overridden: the plugin's own default answers.
    let vetted = plugin
        .vet_outbound(
            &host,
            &shop(),
            &MessageContent::Text { text: "x".into() },
            &plugin.rule_set(),
        )
        .unwrap();
    assert_eq!(vetted, None);
    plugin.mark_read(&host, &shop(), "c-1").unwrap();
    assert!(host.logs.lock().unwrap().contains(&"echo read c-1".to_owned()));
    assert!(host.requests.lock().unwrap().is_empty());
}

#[test]
fn host_services_after_the_deadline_answer_deadline_and_do_nothing() {
    let plugin = echo().with_call_timeout(Duration::ZERO);
    let host = TestHost::default();
    let error = plugin.send(&host, &shop(), &message("k-1")).unwrap_err();
    assert_eq!(error.code, "deadline");
    assert!(error.retryable);
    assert!(error.message.contains("send"), "{error}");
    assert!(host.requests.lock().unwrap().is_empty());
    // Pure calls need no host service and still work.
    let body = r#"{"buyer": "b", "id": "m", "text": "t"}"#;
    assert!(plugin.parse_webhook(&shop(), &webhook("s3cr3t", body), 1).is_ok());
}

#[test]
fn concurrent_calls_share_one_instance() {
    let plugin = echo();
    let host = TestHost::default();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (plugin, host) = (&plugin, &host);
            s.spawn(move || {
                for i in 0..25 {
                    let key = format!("k-{t}-{i}");
                    plugin.send(host, &shop(), &message(&key)).unwrap();
                }
            });
        }
    });
    assert_eq!(host.requests.lock().unwrap().len(), 100);
}

#[test]
fn a_panic_is_a_retryable_plugin_panic_and_the_instance_is_recreated() {
    let plugin = load(&fixture("panicky")).unwrap();
    let instance = |plugin: &Plugin| match &plugin
        .parse_webhook(&shop(), &WebhookRequest::default(), 1)
        .unwrap()[0]
    {
        InboundEvent::Ignored { reason } => reason.clone(),
        other => panic!("unexpected {other:?}"),
    };
    let before = instance(&plugin);
    let host = TestHost::default();
    let error = plugin.send(&host, &shop(), &message("k-9")).unwrap_err();
    assert_eq!(error.code, "plugin_panic");
    assert!(error.retryable);
    assert!(error.message.contains("panicky cannot send k-9"), "{error}");
    assert!(error.message.contains("`send`"), "{error}");
    assert_eq!(plugin.panic_count(), 1);

    // The next call works, on a fresh instance.
    let after = instance(&plugin);
    assert_ne!(before, after, "the instance was not re-created");
    assert!(plugin.send(&host, &shop(), &message("k-10")).is_err());
    assert_eq!(plugin.panic_count(), 2);
    assert_ne!(instance(&plugin), after);
}

#[test]
fn a_plugin_of_another_abi_is_refused_naming_both_versions() {
    let error = load(&fixture("abi-mismatch")).unwrap_err();
    assert!(matches!(error, LoadError::AbiMismatch { major: 99, minor: 0, .. }), "{error:?}");
    let text = error.to_string();
    assert!(text.contains("built for plugin ABI 99.0; this shopmux speaks 1.0"), "{text}");
    assert!(text.contains("abi_mismatch"), "{text}");
}

#[test]
fn a_rule_set_of_another_platform_is_refused_with_the_reason() {
    let error = load(&fixture("bad-manifest")).unwrap_err();
    assert!(matches!(error, LoadError::RuleSet { .. }), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("names platform `lazada` but the manifest says `bad_manifest`"),
        "{text}"
    );
}

#[test]
fn files_that_are_not_plugins_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join(format!("garbage.{}", std::env::consts::DLL_EXTENSION));
    std::fs::write(&garbage, b"\x7fELF? no, just bytes that are not a library").unwrap();
    let error = load(&garbage).unwrap_err();
    assert!(matches!(error, LoadError::NotALibrary { .. }), "{error:?}");
    assert!(error.to_string().contains("is not a loadable library"), "{error}");

    let error = load(&fixture("no-entry")).unwrap_err();
    assert!(matches!(error, LoadError::NotAPlugin { .. }), "{error:?}");
    assert!(
        error.to_string().contains("is not a shopmux plugin: it exports no `shopmux_plugin_entry`"),
        "{error}"
    );

    let error = load(&dir.path().join("missing.so")).unwrap_err();
    assert!(matches!(error, LoadError::Unreadable { .. }), "{error:?}");
    let error = load(dir.path()).unwrap_err();
    assert!(error.to_string().contains("not a file"), "{error}");
}

#[test]
fn a_directory_loads_libraries_only_and_refuses_duplicate_platforms() {
    let dir = tempfile::tempdir().unwrap();
    let ext = std::env::consts::DLL_EXTENSION;
    let copy = |package: &str, name: &str| {
        let to = dir.path().join(format!("{name}.{ext}"));
        std::fs::copy(fixture(package), &to).unwrap();
        to
    };
    let first = copy("echo", "a-echo");
    let second = copy("echo", "b-echo-again");
    copy("abi-mismatch", "c-future");
    std::fs::write(dir.path().join("README.txt"), "not a plugin").unwrap();
    let panicky = fixture("panicky");

    let outcomes = load_dir(dir.path(), std::slice::from_ref(&panicky));
    let names: Vec<String> = outcomes
        .iter()
        .map(|o| o.path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}");
    assert_eq!(outcomes[0].path, first);
    assert_eq!(outcomes[0].result.as_ref().unwrap().platform(), "echo");
    assert_eq!(outcomes[1].path, second);
    let error = outcomes[1].result.as_ref().unwrap_err();
    assert!(matches!(error, LoadError::DuplicatePlatform { .. }), "{error:?}");
    assert!(error.to_string().contains("a-echo"), "{error}");
    assert!(matches!(outcomes[2].result, Err(LoadError::AbiMismatch { .. })));
    assert_eq!(outcomes[3].path, panicky);
    assert_eq!(outcomes[3].result.as_ref().unwrap().platform(), "panicky");

    // Platforms of built-in adapters are reserved.
    let outcomes = load_all(None, &[fixture("echo")], &["tiktok", "echo"]);
    let error = outcomes[0].result.as_ref().unwrap_err();
    assert!(error.to_string().contains("already served by a built-in adapter"), "{error}");

    // A directory that cannot be read is reported, not skipped.
    let outcomes = load_dir(&dir.path().join("nope"), &[]);
    assert!(matches!(outcomes[0].result, Err(LoadError::Unreadable { .. })));
}

#[test]
fn check_loads_validates_and_runs_the_self_test() {
    let report = check(&fixture("echo")).unwrap();
    assert_eq!(report.info.platform, "echo");
    assert!(report.capabilities.sends && report.capabilities.polls);
    assert_eq!(report.self_test.len(), 2, "{:?}", report.self_test);
    assert_eq!(report.self_test[0], "rule set names the echo platform");
    let report =
        shopmux_plugin_host::check_with_host(&fixture("echo"), &TestHost::default()).unwrap();
    assert_eq!(report.self_test[1], "host clock reads 1750000000000");
    // A plugin without a self-test passes with nothing to report.
    assert!(check(&fixture("panicky")).unwrap().self_test.is_empty());
    assert!(matches!(check(&fixture("abi-mismatch")), Err(LoadError::AbiMismatch { .. })));
}
