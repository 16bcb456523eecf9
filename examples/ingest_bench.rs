//! Ingest benchmark: 64 concurrent HTTP/1.1 connections send distinct, correctly signed
//! buyer messages to `POST /api/v1/shops/{id}/inbound` for 10 s (after a 2 s warm-up),
//! and the example reports messages/s and p50/p99 acknowledgement latency.
//!
//! Run: `cargo run --release --example ingest_bench [-- --connections 64 --seconds 10]`
//!
//! By default it starts a daemon on a fresh SQLite file in a temporary directory, in this
//! process but on its own runtime (2 worker threads), while the load generator runs on
//! a third thread — the same 2 cores are shared, as with wrk in `perf-notes.md`. To
//! load a daemon that is already running instead:
//! `-- --url http://127.0.0.1:8080 --shop <shop id> --secret <ingest secret>`.
//! `--database postgres://...` starts the in-process daemon on PostgreSQL instead.
//! `--bot` switches the FAQ bot on for the shop, with a small FAQ in two languages (the
//! bench's question is not in it: the bot asks to rephrase, then hands over); compare
//! runs with and without it, alternated, for the bot's cost on ingest.
//! `--no-analysis` turns language detection and the topic classifier off
//! (`[languages] detect = false, topic_classifier = "off"`); compare runs with and
//! without it, alternated, for their cost on ingest.
//! `--no-topics` turns only the topic classifier off (detection stays on): its cost alone.
//! `--outbox-concurrency N` sets `outbox.per_platform_concurrency` (default 4).
//! `--writers N` sets `ingest.writers` (PostgreSQL's ingest writers, default 2).

#[path = "bench/ingest_load.rs"]
mod ingest_load;

use ingest_load::{Target, percentile, run_connection};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    url: Option<String>,
    shop: Option<String>,
    secret: Option<String>,
    database: Option<String>,
    connections: usize,
    seconds: u64,
    warmup: u64,
    bot: bool,
    no_analysis: bool,
    no_topics: bool,
    outbox_concurrency: Option<usize>,
    writers: Option<usize>,
}

fn parse_args() -> Args {
    let mut a = Args {
        url: None,
        shop: None,
        secret: None,
        database: None,
        connections: 64,
        seconds: 10,
        warmup: 2,
        bot: false,
        no_analysis: false,
        no_topics: false,
        outbox_concurrency: None,
        writers: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--url" => a.url = Some(value()),
            "--shop" => a.shop = Some(value()),
            "--secret" => a.secret = Some(value()),
            "--database" => a.database = Some(value()),
            "--connections" => a.connections = value().parse().expect("--connections N"),
            "--seconds" => a.seconds = value().parse().expect("--seconds N"),
            "--warmup" => a.warmup = value().parse().expect("--warmup N"),
            "--bot" => a.bot = true,
            "--no-analysis" => a.no_analysis = true,
            "--no-topics" => a.no_topics = true,
            "--writers" => a.writers = Some(value().parse().expect("--writers N")),
            "--outbox-concurrency" => {
                a.outbox_concurrency = Some(value().parse().expect("--outbox-concurrency N"))
            }
            other => panic!("unknown option {other}"),
        }
    }
    a
}

/// Starts a daemon on its own runtime; returns (base URL, shop id, secret).
fn start_daemon(
    database: Option<String>, bot: bool, (no_analysis, no_topics): (bool, bool),
    (outbox_concurrency, writers): (Option<usize>, Option<usize>),
) -> (String, String, String, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = database.unwrap_or_else(|| format!("sqlite://{}/bench.db", dir.path().display()));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut raw = shopmux::config::RawConfig::default();
            raw.server.bind = "127.0.0.1:0".into();
            raw.database.url = url;
            if let Some(n) = writers {
                raw.ingest.writers = n;
            }
            if let Some(n) = outbox_concurrency {
                raw.outbox.per_platform_concurrency = n;
            }
            if no_analysis {
                raw.languages.detect = false;
            }
            if no_analysis || no_topics {
                raw.languages.topic_classifier = "off".into();
            }
            let config = raw.validate().expect("a valid configuration");
            let daemon = shopmux::server::start_default(&config).await.expect("daemon");
            let owner = daemon.inbox.create_owner("bench").await.unwrap();
            let viewer = daemon.inbox.authenticate(&owner.token).await.unwrap().unwrap();
            let shop = daemon
                .inbox
                .create_shop(
                    &viewer,
                    serde_json::from_value(serde_json::json!({"platform": "api", "external_id": format!("bench-{}", uuid::Uuid::now_v7()), "name": "bench"}))
                        .unwrap(),
                )
                .await
                .unwrap();
            if bot {
                // The owner's viewer as of now, which sees the new shop.
                let viewer = daemon.inbox.authenticate(&owner.token).await.unwrap().unwrap();
                switch_bot_on(&daemon.inbox, &viewer, shop.shop.id).await;
            }
            tx.send((format!("http://{}", daemon.addr), shop.shop.id.to_string(), shop.ingest_secret)).unwrap();
            daemon.serve(std::future::pending()).await.unwrap();
        });
    });
    let (base, shop, secret) = rx.recv().expect("daemon started");
    (base, shop, secret, dir)
}

/// A small FAQ (three questions, English and Spanish) and the bot switched on.
async fn switch_bot_on(
    inbox: &shopmux_core::Inbox, owner: &shopmux_core::domain::viewer::Viewer,
    shop: shopmux_core::domain::ids::ShopId,
) {
    use shopmux_core::domain::faq_bot::{BotSettings, FaqQuestionInput};
    let faq = [
        ("shipping", ["How long does shipping take?", "¿Cuánto tarda el envío?"], "3 to 5 days."),
        ("returns", ["Can I get a refund?", "¿Puedo pedir un reembolso?"], "Within 30 days."),
        (
            "payment",
            ["Which payment methods do you accept?", "¿Qué métodos de pago aceptan?"],
            "Cards.",
        ),
    ];
    for (category, phrasings, answer) in faq {
        let input = FaqQuestionInput {
            category: category.into(),
            phrasings: phrasings.map(String::from).into(),
            answer: answer.into(),
            answers: Default::default(),
            related: vec![],
        };
        inbox.create_faq_question(owner, shop, input).await.unwrap();
    }
    let on = BotSettings { enabled: true, ..Default::default() };
    inbox.set_shop_bot(owner, shop, on).await.unwrap();
}

fn main() {
    let args = parse_args();
    let (base, shop, secret, _dir) = match (&args.url, &args.shop, &args.secret) {
        (Some(u), Some(s), Some(k)) => {
            (u.clone(), s.clone(), k.clone(), tempfile::tempdir().unwrap())
        }
        (None, None, None) => start_daemon(
            args.database.clone(),
            args.bot,
            (args.no_analysis, args.no_topics),
            (args.outbox_concurrency, args.writers),
        ),
        _ => panic!("--url, --shop and --secret go together"),
    };
    let addr = base.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let target = Target { addr, shop, secret: Arc::new(secret) };
    let start = Instant::now();
    let warm_until = start + Duration::from_secs(args.warmup);
    let stop_at = warm_until + Duration::from_secs(args.seconds);
    let results = rt.block_on(async {
        let tasks: Vec<_> = (0..args.connections)
            .map(|c| tokio::spawn(run_connection(target.clone(), c, warm_until, stop_at)))
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.expect("connection task"));
        }
        out
    });
    let ok: u64 = results.iter().map(|r| r.ok).sum();
    let failed: u64 = results.iter().map(|r| r.failed).sum();
    let mut lat: Vec<u32> = results.into_iter().flat_map(|r| r.latencies_us).collect();
    lat.sort_unstable();
    let secs = args.seconds as f64;
    println!(
        "ingest_bench: {} connections, {} s measured after {} s warm-up, target {base}, bot {}",
        args.connections,
        args.seconds,
        args.warmup,
        if args.bot { "on" } else { "off" }
    );
    println!("  acknowledged: {ok} ({:.0} messages/s), failed: {failed}", ok as f64 / secs);
    println!(
        "  ack latency: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        percentile(&lat, 0.50),
        percentile(&lat, 0.99),
        percentile(&lat, 1.0)
    );
    if args.url.is_none() && args.database.is_none() {
        let wal = std::fs::metadata(_dir.path().join("bench.db-wal")).map_or(0, |m| m.len());
        println!("  SQLite WAL file at the end: {:.1} MB", wal as f64 / 1e6);
    }
}
