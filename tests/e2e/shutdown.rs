//! Ctrl-C: the real binary, `serve` and `demo`, stops within two seconds of SIGINT
//! with live streams open — each stream is told "going away" (1001) — and what it
//! accepted before the signal is stored.

use crate::support::{assert_success, client, decode, free_port, message, signed_inbound};
use futures_util::StreamExt;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// What the issue asks: stopped within this long of Ctrl-C.
const STOPS_WITHIN: Duration = Duration::from_secs(2);

fn spawn(dir: &Path, port: u16, command: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .arg(command)
        .current_dir(dir)
        .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the daemon starts")
}

async fn wait_ready(base: &str) {
    for _ in 0..200 {
        if let Ok(resp) = client().get(format!("{base}/healthz")).send().await
            && resp.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the daemon did not answer /healthz");
}

/// Sends SIGINT (what Ctrl-C sends) to the child.
fn interrupt(child: &Child) {
    let status = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success(), "kill -INT");
}

/// How long the child took to exit after the signal, and whether it exited cleanly.
async fn exit_time(child: &mut Child) -> (Duration, bool) {
    let signalled = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return (signalled.elapsed(), status.success());
        }
        assert!(signalled.elapsed() < Duration::from_secs(30), "the daemon never stopped");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

type Stream =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn open_stream(port: u16, token: &str) -> Stream {
    let url = format!("ws://127.0.0.1:{port}/api/v1/stream?access_token={token}");
    tokio_tungstenite::connect_async(url).await.expect("the stream opens").0
}

/// The close code the server ended the stream with, if it sent one.
async fn close_code(stream: &mut Stream) -> Option<CloseCode> {
    while let Ok(Some(frame)) = tokio::time::timeout(Duration::from_secs(5), stream.next()).await {
        match frame {
            Ok(Message::Close(frame)) => return frame.map(|f| f.code),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
    None
}

fn create_owner(dir: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .args(["owner", "create", "Acme"])
        .current_dir(dir)
        .output()
        .unwrap();
    assert_success(&out);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Creates an `api` shop; returns (shop id, ingest secret).
async fn api_shop(base: &str, token: &str) -> (String, String) {
    let shop = json!({"platform": "api", "external_id": "acme", "name": "Acme"});
    let resp = client()
        .post(format!("{base}/api/v1/shops"))
        .bearer_auth(token)
        .json(&shop)
        .send()
        .await
        .unwrap();
    let (status, body) = decode(resp).await;
    assert_eq!(status, 201, "{body}");
    let field = |v: &Value| v.as_str().unwrap().to_owned();
    (field(&body["shop"]["id"]), field(&body["ingest_secret"]))
}

async fn n_conversations(base: &str, token: &str) -> usize {
    let resp = client()
        .get(format!("{base}/api/v1/conversations?status=all"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let (status, page) = decode(resp).await;
    assert_eq!(status, 200, "{page}");
    page["items"].as_array().map_or(0, Vec::len)
}

#[tokio::test]
async fn ctrl_c_stops_serve_within_two_seconds_with_streams_open_and_keeps_what_it_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let token = create_owner(dir.path());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(dir.path(), port, "serve");
    wait_ready(&base).await;
    let (shop, secret) = api_shop(&base, &token).await;
    let mut streams = vec![open_stream(port, &token).await, open_stream(port, &token).await];
    let url = format!("{base}/api/v1/shops/{shop}/inbound");
    for i in 0..5 {
        let body = message(&format!("buyer-{i}"), &format!("m-{i}"), "Where is my parcel?");
        let (status, out) = signed_inbound(url.clone(), &secret, &body).await;
        assert_eq!(status, 200, "{out}");
    }

    interrupt(&child);
    let (took, clean) = exit_time(&mut child).await;
    assert!(clean, "the daemon exits 0 on Ctrl-C");
    assert!(took <= STOPS_WITHIN, "stopped {took:?} after Ctrl-C");
    for stream in &mut streams {
        assert_eq!(close_code(stream).await, Some(CloseCode::Away), "the stream is told why");
    }

    let mut child = spawn(dir.path(), port, "serve");
    wait_ready(&base).await;
    assert_eq!(n_conversations(&base, &token).await, 5, "every accepted message is stored");
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(feature = "demo")]
/// The demo's owner token, from the summary it prints (read on a thread that keeps
/// draining the demo's output).
fn demo_token(child: &mut Child) -> String {
    use std::io::{BufRead, BufReader};
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(token) = line.trim().strip_prefix("owner token") {
                let _ = tx.send(token.trim().to_owned());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("the demo prints its owner token")
}

#[cfg(feature = "demo")]
#[tokio::test]
async fn ctrl_c_stops_the_demo_within_two_seconds_with_streams_open() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = spawn(dir.path(), port, "demo");
    let token = demo_token(&mut child);
    wait_ready(&format!("http://127.0.0.1:{port}")).await;
    let mut stream = open_stream(port, &token).await;

    interrupt(&child);
    let (took, clean) = exit_time(&mut child).await;
    assert!(clean, "the demo exits 0 on Ctrl-C");
    assert!(took <= STOPS_WITHIN, "stopped {took:?} after Ctrl-C");
    assert_eq!(close_code(&mut stream).await, Some(CloseCode::Away));
}
