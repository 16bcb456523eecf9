//! Outbound safety through the daemon's adapter host (the one client every adapter and
//! plugin request takes): under the default policy no request reaches a loopback,
//! private, link-local or otherwise non-global address — by literal, by a name that
//! resolves there, or by a redirect — nor a plain http URL; answers are cut off while
//! they stream once past the cap.

use shopmux::host::DaemonHost;
use shopmux::outbound::{self, OutboundPolicy};
use shopmux_contract::adapter::{AdapterError, Host, HttpRequest, HttpResponse};
use shopmux_core::{Store, StoreOptions, SystemClock};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const STRICT: OutboundPolicy =
    OutboundPolicy { allow_private_networks: false, max_response_bytes: 64 * 1024 };

/// A local server answering every connection with `answer` (then, when `endless`, an
/// endless body); counts connections and body bytes written.
struct Local {
    port: u16,
    connections: Arc<AtomicUsize>,
    written: Arc<AtomicUsize>,
}

async fn local(answer: String, endless: bool) -> Local {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (connections, written) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, w) = (connections.clone(), written.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let (answer, w) = (answer.clone(), w.clone());
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                if socket.write_all(answer.as_bytes()).await.is_err() || !endless {
                    return;
                }
                let chunk = format!("{:x}\r\n{}\r\n", 8192, "x".repeat(8192));
                while socket.write_all(chunk.as_bytes()).await.is_ok() {
                    w.fetch_add(8192, Ordering::SeqCst);
                }
            });
        }
    });
    Local { port, connections, written }
}

/// A host under `policy` (its state unused here).
async fn host(policy: OutboundPolicy) -> (DaemonHost, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/o.db", dir.path().display());
    let store = Store::open(&StoreOptions::new(url)).await.unwrap();
    (DaemonHost::new(Arc::new(SystemClock), store, policy), dir)
}

/// `GET url` through the host, on the blocking pool as adapter calls run.
async fn get(host: &DaemonHost, url: String) -> Result<HttpResponse, AdapterError> {
    let host = host.clone();
    let request = HttpRequest {
        method: "GET".into(),
        url,
        timeout_ms: Some(5_000),
        ..HttpRequest::default()
    };
    tokio::task::spawn_blocking(move || host.http(request)).await.unwrap()
}

fn code(result: Result<HttpResponse, AdapterError>) -> String {
    let e = result.expect_err("refused");
    assert!(!e.retryable, "a refused destination is permanent: {e}");
    e.code
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssrf_literal_non_global_addresses_are_refused_before_connecting() {
    let server = local("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".into(), false).await;
    let (host, _dir) = host(STRICT).await;
    let port = server.port;
    for url in [
        format!("https://127.0.0.1:{port}/"),
        format!("https://[::1]:{port}/"),
        format!("https://[::ffff:127.0.0.1]:{port}/"),
        format!("https://2130706433:{port}/"), // 127.0.0.1 as one number
        "https://10.0.0.1/".into(),
        "https://10.20.30.40:8443/orders".into(),
        "https://169.254.169.254/latest/meta-data/".into(),
        "https://192.168.1.1/".into(),
        "https://100.64.0.1/".into(),
        "https://[fd00::1]/".into(),
        "https://0.0.0.0/".into(),
    ] {
        assert_eq!(code(get(&host, url.clone()).await), "blocked_address", "{url}");
    }
    assert_eq!(server.connections.load(Ordering::SeqCst), 0, "no connection was made");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssrf_a_hostname_resolving_to_loopback_is_refused_after_resolution() {
    let server = local("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok".into(), false).await;
    let (host, _dir) = host(STRICT).await;
    // `localhost` resolves to 127.0.0.1 (and ::1): the name passes the URL check; the
    // resolver refuses its addresses.
    let refused = get(&host, format!("https://localhost:{}/", server.port)).await;
    let e = refused.expect_err("refused");
    assert_eq!(e.code, "blocked_address", "{e}");
    assert!(e.message.contains("localhost"), "{e}");
    assert_eq!(server.connections.load(Ordering::SeqCst), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssrf_plain_http_is_refused_outside_the_allowance() {
    let (host, _dir) = host(STRICT).await;
    assert_eq!(code(get(&host, "http://example.com/image.png".into()).await), "insecure_url");
    assert_eq!(code(get(&host, "file:///etc/passwd".into()).await), "insecure_url");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ssrf_redirects_to_private_addresses_are_refused() {
    // The target a redirect points at, which must never be reached.
    let target = local("HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nsecret".into(), false).await;
    let client = outbound::client(STRICT);
    for location in [
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        format!("https://127.0.0.1:{}/", target.port),
        format!("https://localhost:{}/", target.port),
        format!("http://127.0.0.1:{}/", target.port),
    ] {
        let redirect =
            format!("HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-length: 0\r\n\r\n");
        let first = local(redirect, false).await;
        // The first hop is a literal address (the client alone, past the host's URL
        // check), so only the redirect policy and the resolver stand in the way.
        let sent = client.get(format!("http://127.0.0.1:{}/", first.port)).send().await;
        let e = outbound::send_error(sent.expect_err("the redirect is refused"));
        assert!(matches!(e.code.as_str(), "blocked_address" | "insecure_url"), "{location}: {e}");
        assert_eq!(first.connections.load(Ordering::SeqCst), 1);
    }
    assert_eq!(target.connections.load(Ordering::SeqCst), 0, "no redirect reached the target");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_response_is_stopped_while_streaming() {
    let allowed = OutboundPolicy { allow_private_networks: true, max_response_bytes: 64 * 1024 };
    let (host, _dir) = host(allowed).await;
    // An endless chunked body: reading it whole first would never end.
    let endless = local("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".into(), true).await;
    let started = std::time::Instant::now();
    let result = tokio::time::timeout(
        Duration::from_secs(10),
        get(&host, format!("http://127.0.0.1:{}/big", endless.port)),
    )
    .await
    .expect("stopped, not read to the end");
    assert_eq!(code(result), "response_too_large");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A declared length over the cap is refused before its body is read.
    let declared =
        local(format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", 1 << 30), true).await;
    assert_eq!(
        code(get(&host, format!("http://127.0.0.1:{}/", declared.port)).await),
        "response_too_large"
    );
    // Under the cap, the whole body arrives.
    let small = local("HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello".into(), false).await;
    let ok = get(&host, format!("http://127.0.0.1:{}/", small.port)).await.unwrap();
    assert_eq!(ok.body, b"hello");
    assert!(endless.written.load(Ordering::SeqCst) < 1 << 30);
}
