//! Live streams at scale (issue 20): the real daemon (`shopmux serve`, default SQLite,
//! a separate process) with `--streams` agents' open streams (10,000; each agent granted
//! one of `--shops` shops, 100), while signed inbound messages arrive at `--rate` (1,000
//! a second) spread over the shops for `--seconds` (20). Reports the daemon's RSS idle,
//! with the streams open and at the end, and the delivery latency from sending a message
//! to its `message_created` frame on a stream of its shop (one measuring stream per
//! shop; every other stream reads and counts its frames, with a lean reader that leaves
//! the two cores to the daemon), p50/p99, the daemon's CPU time
//! per frame delivered (steadier than latency when the two cores are saturated), plus
//! frames and `resync`s seen and the streams the daemon ended (it drops a stalled
//! reader).
//!
//! Build the daemon first: `cargo build --release --bin shopmux`, then
//! `cargo run --release --example stream_bench [-- --streams 10000 --rate 1000]`
//! (`--bin PATH` for a daemon elsewhere). Both processes need a descriptor each per
//! stream: raise `ulimit -n` above `--streams` plus a few hundred.

#[path = "bench/daemon.rs"]
mod daemon;
#[path = "bench/ws_reader.rs"]
mod ws_reader;

use futures_util::StreamExt;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Each stream's read buffer in this client: a few frames' worth.
const READ_BUFFER: usize = 8 * 1024;

struct Args {
    streams: usize,
    shops: usize,
    rate: u64,
    seconds: u64,
    bin: std::path::PathBuf,
}

fn parse_args() -> Args {
    let default_bin = daemon::binary();
    let mut a = Args { streams: 10_000, shops: 100, rate: 1000, seconds: 20, bin: default_bin };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--streams" => a.streams = value().parse().expect("--streams N"),
            "--shops" => a.shops = value().parse().expect("--shops N"),
            "--rate" => a.rate = value().parse().expect("--rate N"),
            "--seconds" => a.seconds = value().parse().expect("--seconds N"),
            "--bin" => a.bin = value().into(),
            other => panic!("unknown option {other}"),
        }
    }
    a
}

struct Daemon {
    child: Child,
    base: String,
    _dir: tempfile::TempDir,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the daemon on a fresh SQLite database; returns it and the owner's token.
async fn start(bin: &std::path::Path) -> (Daemon, String) {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cmd = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.args(args)
            .current_dir(dir.path())
            .env("SHOPMUX_SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("SHOPMUX_ACCESS__API_REQUESTS_PER_MINUTE", "100000")
            .env("RUST_LOG", "warn");
        c
    };
    let out = cmd(&["owner", "create", "bench"]).output().expect("the daemon binary runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let child = cmd(&["serve"]).stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("serve");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{base}/readyz")).await.map_or(true, |r| !r.status().is_success()) {
        assert!(Instant::now() < deadline, "the daemon got ready");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (Daemon { child, base, _dir: dir }, token)
}

async fn post(client: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let resp = client.post(url).bearer_auth(token).json(&body).send().await.expect("request");
    assert!(resp.status().is_success(), "{}", resp.status());
    resp.json().await.unwrap()
}

/// What the streams saw: frames, `resync`s, and streams that ended (the daemon closed
/// them: a stalled reader is dropped) before the report.
#[derive(Default)]
struct Seen {
    frames: AtomicU64,
    resyncs: AtomicU64,
    ended: AtomicU64,
}

/// Opens one agent's stream; a measuring stream (tungstenite) records the latency of
/// each probe, the others only count their frames ([`ws_reader`]).
async fn stream(
    ws_base: String, token: String, measure: Option<Arc<Mutex<Vec<u32>>>>, started: Instant,
    seen: Arc<Seen>,
) {
    let path = format!("/api/v1/stream?access_token={token}");
    if measure.is_none() {
        let addr = ws_base.trim_start_matches("ws://");
        if let Some((socket, rest)) = ws_reader::open(addr, &path).await {
            ws_reader::read(socket, rest, |resync| {
                seen.frames.fetch_add(1, Ordering::Relaxed);
                seen.resyncs.fetch_add(u64::from(resync), Ordering::Relaxed);
            })
            .await;
            seen.ended.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    let url = format!("{ws_base}{path}");
    // tungstenite zero-fills the free part of its read buffer before each read: at the
    // default 128 KiB that was 40 % of this client's CPU, taken from the daemon's cores.
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER);
    let Ok((mut ws, _)) =
        tokio_tungstenite::connect_async_with_config(url, Some(config), false).await
    else {
        return;
    };
    read_frames(&mut ws, measure, started, &seen).await;
    seen.ended.fetch_add(1, Ordering::Relaxed);
}

/// Reads a stream's frames until it ends.
async fn read_frames(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    measure: Option<Arc<Mutex<Vec<u32>>>>, started: Instant, seen: &Seen,
) {
    while let Some(Ok(frame)) = ws.next().await {
        let Ok(text) = frame.into_text() else { continue };
        seen.frames.fetch_add(1, Ordering::Relaxed);
        if text.contains(r#""type":"resync""#) {
            seen.resyncs.fetch_add(1, Ordering::Relaxed);
        }
        let Some(latencies) = &measure else { continue };
        // A probe's text carries the microseconds since the start when it was sent.
        if let Some(rest) = text.split("probe t=").nth(1)
            && text.contains(r#""type":"message_created""#)
        {
            let sent: u64 = rest
                .split(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or("0")
                .parse()
                .unwrap_or(0);
            let now = started.elapsed().as_micros() as u64;
            latencies.lock().await.push(now.saturating_sub(sent) as u32);
        }
    }
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize] as f64 / 1000.0
}

fn main() {
    let args = parse_args();
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
    rt.block_on(run(args));
}

/// A shop's id and ingest secret.
type ShopKeys = (String, String);

/// Creates `n` `api` shops.
async fn create_shops(
    client: &reqwest::Client, base: &str, owner: &str, n: usize,
) -> Vec<ShopKeys> {
    let mut shops = Vec::new();
    for n in 0..n {
        let shop =
            json!({"platform": "api", "external_id": format!("s{n}"), "name": format!("s{n}")});
        let v = post(client, format!("{base}/api/v1/shops"), owner, shop).await;
        let field = |k: &str| v.pointer(k).and_then(Value::as_str).unwrap().to_owned();
        shops.push((field("/shop/id"), field("/ingest_secret")));
    }
    shops
}

/// Creates `n` agents, each granted one of `shops` in turn; their tokens.
async fn create_agents(
    client: &reqwest::Client, base: &str, owner: &str, shops: &[ShopKeys], n: usize,
) -> Vec<String> {
    let mut tokens = Vec::with_capacity(n);
    for i in 0..n {
        let shop = &shops[i % shops.len()].0;
        let agent =
            json!({"nickname": format!("a{i}"), "shops": [{"shop_id": shop, "can_chat": true}]});
        let v = post(client, format!("{base}/api/v1/agents"), owner, agent).await;
        tokens.push(v["token"].as_str().unwrap().to_owned());
    }
    tokens
}

/// Waits (at most 2 minutes) until `n` agents count as connected; how many do.
async fn wait_connected(client: &reqwest::Client, base: &str, owner: &str, n: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let team: Value = client
            .get(format!("{base}/api/v1/team/presence"))
            .bearer_auth(owner)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let connected =
            team.as_array().map_or(0, |a| a.iter().filter(|p| p["connected"] == true).count());
        if connected >= n || Instant::now() > deadline {
            return connected;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Sends `rate` signed probes a second, round-robin over `shops`, for `seconds`; returns
/// how many were sent, and the acknowledged ones' times from send to answer (µs, sorted).
async fn drive_inbound(
    client: &reqwest::Client, base: &str, shops: &[ShopKeys], args: &Args, started: Instant,
) -> (usize, Vec<u32>) {
    let stop_at = Instant::now() + Duration::from_secs(args.seconds);
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / args.rate.max(1)));
    let mut sends = Vec::new();
    while Instant::now() < stop_at {
        tick.tick().await;
        let n = sends.len();
        let (shop, secret) = &shops[n % shops.len()];
        let sent = started.elapsed().as_micros();
        let body = json!({"buyer": {"external_id": format!("b{}", n % 5000), "nickname": "b"}, "platform_message_id": format!("m{n}"),
            "content": {"type": "text", "text": format!("probe t={sent} hello, is it in stock?")}});
        let raw = serde_json::to_vec(&body).unwrap();
        let sig = shopmux_adapter_api::sign::sign(secret, &raw);
        let request = client
            .post(format!("{base}/api/v1/shops/{shop}/inbound"))
            .header("x-shopmux-signature", sig)
            .header("content-type", "application/json")
            .body(raw);
        sends.push(tokio::spawn(async move {
            let ok = request.send().await.is_ok_and(|r| r.status().is_success());
            let took = started.elapsed().as_micros().saturating_sub(sent) as u32;
            ok.then_some(took)
        }));
    }
    let n = sends.len();
    let mut acks = Vec::with_capacity(n);
    for s in sends {
        acks.extend(s.await.ok().flatten());
    }
    acks.sort_unstable();
    (n, acks)
}

async fn run(args: Args) {
    let (daemon, owner) = start(&args.bin).await;
    let (pid, base) = (daemon.child.id(), daemon.base.clone());
    let client = reqwest::Client::new();
    let shops = create_shops(&client, &base, &owner, args.shops).await;
    let idle_rss = daemon::rss_mb(pid);
    println!(
        "stream_bench: {} streams over {} shops, {} msg/s for {} s",
        args.streams, args.shops, args.rate, args.seconds
    );
    let setup = Instant::now();
    let tokens = create_agents(&client, &base, &owner, &shops, args.streams).await;
    println!("  {} agents created in {:.1} s", args.streams, setup.elapsed().as_secs_f64());
    let started = Instant::now();
    let seen = Arc::new(Seen::default());
    let latencies = Arc::new(Mutex::new(Vec::new()));
    let ws_base = base.replace("http://", "ws://");
    for (n, token) in tokens.into_iter().enumerate() {
        let measure = (n < shops.len()).then(|| latencies.clone());
        tokio::spawn(stream(ws_base.clone(), token, measure, started, seen.clone()));
        if n % 500 == 499 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let connected = wait_connected(&client, &base, &owner, args.streams).await;
    println!("  {connected} streams open after {:.1} s", started.elapsed().as_secs_f64());
    let open_rss = daemon::rss_mb(pid);
    let cpu_before = daemon::cpu_secs(pid);
    let (n, acks) = drive_inbound(&client, &base, &shops, &args, started).await;
    let acked = acks.len();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cpu = daemon::cpu_secs(pid) - cpu_before;
    let end_rss = daemon::rss_mb(pid);
    let mut lat = latencies.lock().await.clone();
    lat.sort_unstable();
    println!(
        "  inbound: {n} sent, {acked} acknowledged ({:.0} msg/s)",
        acked as f64 / args.seconds as f64
    );
    println!(
        "  acknowledged (send → answer): p50 {:.1} ms, p99 {:.1} ms",
        percentile(&acks, 0.5),
        percentile(&acks, 0.99)
    );
    println!(
        "  daemon RSS: idle {idle_rss:.0} MB, {} streams open {open_rss:.0} MB, at the end {end_rss:.0} MB",
        args.streams
    );
    println!(
        "  delivery (send → frame on a stream of its shop, {} samples): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        lat.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    let frames = seen.frames.load(Ordering::Relaxed);
    println!(
        "  daemon CPU while messages came (and 2 s after): {cpu:.1} s, {:.1} µs a frame",
        cpu * 1e6 / frames.max(1) as f64
    );
    println!(
        "  frames received: {}, resyncs: {}, streams ended by the daemon: {}",
        frames,
        seen.resyncs.load(Ordering::Relaxed),
        seen.ended.load(Ordering::Relaxed)
    );
    // `exit` runs no destructor: the daemon is stopped first, or it outlives the run and
    // takes CPU from the next one.
    drop(daemon);
    std::process::exit(0);
}
