//! Several daemons on one PostgreSQL database under inbound load (issue 19): starts
//! `--daemons` daemons (3) in this process, each on a runtime of its own, on a fresh
//! schema of `--database` (a PostgreSQL URL; required), with one `api` shop; then
//! `--connections` HTTP/1.1 connections (64), spread evenly over the daemons, send
//! distinct signed buyer messages for `--seconds` (10) after a 2 s warm-up. Reports
//! messages/s and p50/p99 acknowledgement latency, in all and per daemon, and how long
//! a message ingested by the last daemon takes to reach a live stream on the first
//! (through the live-event log).
//!
//! Run: `cargo run --release --example cluster_bench -- --database postgres://postgres@127.0.0.1:5432/test`

#[path = "bench/ingest_load.rs"]
mod ingest_load;

use ingest_load::{ConnResult, Target, percentile, run_connection};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    database: String,
    daemons: usize,
    connections: usize,
    seconds: u64,
}

fn parse_args() -> Args {
    let (mut database, mut daemons, mut connections, mut seconds) = (None, 3, 64, 10);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--database" => database = Some(value()),
            "--daemons" => daemons = value().parse().expect("--daemons N"),
            "--connections" => connections = value().parse().expect("--connections N"),
            "--seconds" => seconds = value().parse().expect("--seconds N"),
            other => panic!("unknown option {other}"),
        }
    }
    let database = database.expect("--database postgres://... is required");
    assert!(database.starts_with("postgres"), "--database must be a PostgreSQL URL");
    Args { database, daemons: daemons.max(1), connections, seconds }
}

/// A fresh schema of `base`, as a URL selecting it.
fn fresh_schema(base: &str) -> String {
    let schema = format!("bench_{}", uuid::Uuid::now_v7().simple());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(base).await.expect("PostgreSQL is reachable");
        let create = sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}"));
        sqlx::Executor::execute(&mut conn, create).await.expect("create schema");
    });
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// Starts a daemon on a runtime of its own; returns its `host:port` and engine.
fn start_daemon(url: &str) -> (String, Arc<shopmux_core::Inbox>) {
    let (tx, rx) = std::sync::mpsc::channel();
    let url = url.to_owned();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut raw = shopmux::config::RawConfig::default();
            raw.server.bind = "127.0.0.1:0".into();
            raw.database.url = url;
            raw.secrets.key = "ab".repeat(32);
            let config = raw.validate().expect("a valid configuration");
            let daemon = shopmux::server::start_default(&config).await.expect("daemon");
            tx.send((daemon.addr.to_string(), daemon.inbox.clone())).unwrap();
            daemon.serve(std::future::pending()).await.unwrap();
        });
    });
    rx.recv().expect("daemon started")
}

/// The bench's shop, created through the first daemon: (shop id, ingest secret, owner token).
fn create_shop(inbox: &Arc<shopmux_core::Inbox>) -> (String, String, String) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let owner = inbox.create_owner("bench").await.unwrap();
        let viewer = inbox.authenticate(&owner.token).await.unwrap().unwrap();
        let new =
            serde_json::json!({"platform": "api", "external_id": "cluster-bench", "name": "bench"});
        let shop = inbox.create_shop(&viewer, serde_json::from_value(new).unwrap()).await.unwrap();
        (shop.shop.id.to_string(), shop.ingest_secret, owner.token)
    })
}

/// Latencies from an ingest on the last daemon to its event on the first's stream, one
/// probe at a time, 50 ms apart.
async fn cross_daemon_latency(first: &str, last: &Target, token: &str, samples: usize) -> Vec<u32> {
    use futures_util::StreamExt;
    let url = format!("ws://{first}/api/v1/stream?access_token={token}");
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("stream");
    let mut out = Vec::with_capacity(samples);
    let client = reqwest::Client::new();
    let inbound = format!("http://{}/api/v1/shops/{}/inbound", last.addr, last.shop);
    for n in 0..samples {
        let id = format!("probe-{}-{n}", uuid::Uuid::now_v7().simple());
        let body = serde_json::json!({"buyer": {"external_id": "probe", "nickname": "probe"},
            "platform_message_id": id, "content": {"type": "text", "text": "probe"}});
        let raw = serde_json::to_vec(&body).unwrap();
        let sig = shopmux_adapter_api::sign::sign(&last.secret, &raw);
        let started = Instant::now();
        let sent = client.post(&inbound).header("x-shopmux-signature", sig).body(raw).send().await;
        assert!(sent.is_ok_and(|r| r.status().is_success()), "the probe is accepted");
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
                .await
                .expect("the probe reaches the first daemon's stream")
                .expect("stream open")
                .expect("frame");
            if frame.into_text().is_ok_and(|t| t.contains(&id)) {
                break;
            }
        }
        out.push(started.elapsed().as_micros() as u32);
        // Idle: a daemon under a steady flow sends one notification per 20 ms at most
        // (`services::live::announce`), so the probes keep apart.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    out
}

fn main() {
    let args = parse_args();
    let url = fresh_schema(&args.database);
    let daemons: Vec<(String, Arc<shopmux_core::Inbox>)> =
        (0..args.daemons).map(|_| start_daemon(&url)).collect();
    let (shop, secret, token) = create_shop(&daemons[0].1);
    let secret = Arc::new(secret);
    let targets: Vec<Target> = daemons
        .iter()
        .map(|(addr, _)| Target { addr: addr.clone(), shop: shop.clone(), secret: secret.clone() })
        .collect();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let warm_until = Instant::now() + Duration::from_secs(2);
    let stop_at = warm_until + Duration::from_secs(args.seconds);
    let results: Vec<(usize, ConnResult)> = rt.block_on(async {
        let tasks: Vec<_> = (0..args.connections)
            .map(|c| {
                let d = c % targets.len();
                let task = tokio::spawn(run_connection(targets[d].clone(), c, warm_until, stop_at));
                (d, task)
            })
            .collect();
        let mut out = Vec::new();
        for (d, t) in tasks {
            out.push((d, t.await.expect("connection task")));
        }
        out
    });
    let secs = args.seconds as f64;
    println!(
        "cluster_bench: {} daemons on one PostgreSQL, {} connections, {} s measured after 2 s warm-up",
        args.daemons, args.connections, args.seconds
    );
    let report = |label: &str, rs: Vec<&ConnResult>| {
        let ok: u64 = rs.iter().map(|r| r.ok).sum();
        let failed: u64 = rs.iter().map(|r| r.failed).sum();
        let mut lat: Vec<u32> = rs.iter().flat_map(|r| r.latencies_us.iter().copied()).collect();
        lat.sort_unstable();
        println!(
            "  {label}: {:.0} messages/s ({ok} acknowledged, {failed} failed), p50 {:.2} ms, p99 {:.2} ms",
            ok as f64 / secs,
            percentile(&lat, 0.50),
            percentile(&lat, 0.99)
        );
    };
    report("all", results.iter().map(|(_, r)| r).collect());
    for d in 0..targets.len() {
        report(
            &format!("daemon {d}"),
            results.iter().filter(|(i, _)| *i == d).map(|(_, r)| r).collect(),
        );
    }
    let last = targets.last().expect("a daemon");
    let mut probe = rt.block_on(cross_daemon_latency(&targets[0].addr, last, &token, 50));
    probe.sort_unstable();
    println!(
        "  from an ingest on daemon {} to a stream on daemon 0 (idle, 50 probes): p50 {:.2} ms, p99 {:.2} ms",
        targets.len() - 1,
        percentile(&probe, 0.50),
        percentile(&probe, 0.99)
    );
    std::process::exit(0);
}
