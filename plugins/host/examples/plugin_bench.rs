//! The cost of the plugin boundary: p50/p99 per call of `parse_webhook` (and of `send`,
//! whose host callbacks cross back) on the echo fixture loaded as a plugin, against the
//! same adapter linked in-process.
//!
//! ```sh
//! cargo run --release -p shopmux-plugin-host --example plugin_bench [-- ITERATIONS]
//! ```
//!
//! The echo plugin is built in release with the running cargo into
//! `<target>/plugin-fixtures` first.

#[path = "../tests/support/fixtures.rs"]
mod fixtures;

use shopmux_contract::adapter::{
    Adapter, AdapterError, Host, HttpRequest, HttpResponse, MessageContent, OutboundMessage,
    ShopConnection, WebhookRequest,
};
use shopmux_plugin_fixture_echo::Echo;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A host that answers every request at once and keeps no state.
struct InstantHost;

impl Host for InstantHost {
    fn http(&self, _request: HttpRequest) -> Result<HttpResponse, AdapterError> {
        Ok(HttpResponse { status: 200, headers: vec![], body: br#"{"id": "m-1"}"#.to_vec() })
    }
    fn now_unix_ms(&self) -> i64 {
        1_750_000_000_000
    }
    fn log(&self, _message: &str) {}
    fn kv_get(&self, _key: &str) -> Result<Option<String>, AdapterError> {
        Ok(Some("41".into()))
    }
    fn kv_put(&self, _key: &str, _value: &str) -> Result<(), AdapterError> {
        Ok(())
    }
}

/// Times `f` `n` times after a warm-up; returns (p50, p99, mean).
fn measure(n: usize, mut f: impl FnMut()) -> (Duration, Duration, Duration) {
    for _ in 0..n / 10 {
        f();
    }
    let mut samples = Vec::with_capacity(n);
    let start = Instant::now();
    for _ in 0..n {
        let t = Instant::now();
        f();
        samples.push(t.elapsed());
    }
    let total = start.elapsed();
    samples.sort();
    let at = |q: f64| samples[((n as f64 * q) as usize).min(n - 1)];
    (at(0.50), at(0.99), total / n as u32)
}

fn report(label: &str, (p50, p99, mean): (Duration, Duration, Duration)) {
    println!(
        "{label:<42} p50 {:>7.2} µs   p99 {:>7.2} µs   mean {:>7.2} µs",
        p50.as_secs_f64() * 1e6,
        p99.as_secs_f64() * 1e6,
        mean.as_secs_f64() * 1e6
    );
}

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20_000);
    let target = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("plugin-fixtures")))
        .unwrap_or_else(|| PathBuf::from("target/plugin-fixtures"));
    let built = fixtures::build(&["shopmux-plugin-fixture-echo"], true, &target);
    let path = &built["shopmux-plugin-fixture-echo"];
    let plugin = match shopmux_plugin_host::load(path) {
        Ok(plugin) => plugin,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let local = Echo;

    let shop = ShopConnection {
        api_base: Some("http://127.0.0.1:9".into()),
        ..ShopConnection::with_credentials("shop-1", &[("secret", "s3cr3t")])
    };
    let request = WebhookRequest {
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-echo-secret".into(), "s3cr3t".into()),
        ],
        body: br#"{"buyer": "buyer-7", "id": "msg-1", "text": "Hello, is this still in stock? I would like two of them in blue.", "conversation": "c-9"}"#.to_vec(),
    };
    let message = OutboundMessage {
        idempotency_key: "0190f3a0-7b7e-7000-8000-000000000001".into(),
        buyer_external_id: "buyer-7".into(),
        buyer_email: None,
        platform_conversation_id: Some("c-9".into()),
        content: MessageContent::Text { text: "Yes, two in blue are on their way.".into() },
    };
    assert_eq!(
        plugin.parse_webhook(&shop, &request, 1).unwrap(),
        local.parse_webhook(&shop, &request, 1).unwrap(),
        "the plugin and the in-process adapter must agree"
    );

    println!("{n} calls each, {} ({}), release build", path.display(), plugin.info().version);
    report(
        "parse_webhook, in-process",
        measure(n, || {
            std::hint::black_box(local.parse_webhook(&shop, &request, 1).unwrap());
        }),
    );
    report(
        "parse_webhook, across the ABI",
        measure(n, || {
            std::hint::black_box(plugin.parse_webhook(&shop, &request, 1).unwrap());
        }),
    );
    let host = InstantHost;
    report(
        "send (1 http, 1 get, 2 puts), in-process",
        measure(n, || {
            std::hint::black_box(local.send(&host, &shop, &message).unwrap());
        }),
    );
    report(
        "send (1 http, 1 get, 2 puts), across",
        measure(n, || {
            std::hint::black_box(plugin.send(&host, &shop, &message).unwrap());
        }),
    );
}
