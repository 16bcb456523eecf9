//! Inbox benchmark: seeds 100,000 conversations holding 1,000,000 messages (through the
//! real ingest path, so counters, name parts and the full-text index are all built),
//! then reports p50/p99 latency of the inbox's first page of 50 under several filters
//! and of search by a buyer-name part, an order id and a message word.
//!
//! With `--browser`, the web inbox is then measured in headless chromium over the same
//! data (see `browser.rs`). With `--service-data`, the shops are Douyin and TikTok shops,
//! the seeding is a 30-day history in which agents are assigned, reply and are rated, and
//! every service-data read is measured too (see `service_data.rs`). With `--cold-start`,
//! the real daemon is then started over the seeded database (see `cold_start.rs`). With
//! `--reuse`, a database (`--database`) seeded by an earlier run is measured again.
//!
//! Run: `cargo run --release --example inbox_bench [-- --conversations 100000 --messages 10 --database URL --browser --service-data --cold-start --reuse]`
//! (messages per conversation; the default database is a fresh SQLite file in a
//! temporary directory; give `postgres://...` to measure PostgreSQL).

#[path = "../bench/mod.rs"]
mod bench;
mod browser;
mod cold_start;
#[path = "../bench/daemon.rs"]
mod daemon;
mod service_data;

use rand::prelude::*;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::domain::inbound::InboundMessage;
use shopmux_core::domain::listing::{ConversationQuery, FlagFilter, ListStatus, SortOrder};
use shopmux_core::domain::model::FlagColour;
use shopmux_core::domain::shop_settings::IngestShop;
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::{Inbox, InboxOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

const FIRST: &[&str] = &[
    "Agnieszka",
    "Piotr",
    "María",
    "José",
    "Anna",
    "Tomasz",
    "Lucía",
    "Carlos",
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Zofia",
    "Jakub",
    "Sofía",
    "Mateo",
    "Mia",
    "Lucas",
    "Hanna",
    "Marek",
    "Elena",
    "Diego",
    "Chloe",
    "Ethan",
    "Julia",
];
const LAST: &[&str] = &[
    "Plebanek",
    "Kowalski",
    "García",
    "Martínez",
    "Nowak",
    "Wiśniewski",
    "López",
    "Fernández",
    "Smith",
    "Johnson",
    "Brown",
    "Wójcik",
    "Kamińska",
    "Sánchez",
    "Romero",
    "Taylor",
    "Lewandowski",
    "Zieliński",
    "Torres",
    "Díaz",
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "mi", "ta", "re", "su", "no", "pe", "zi", "da", "vo", "ru", "be", "gi", "xo", "fa",
];

fn word(rng: &mut StdRng) -> String {
    (0..3).map(|_| *SYLLABLES.choose(rng).unwrap()).collect()
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let p =
        |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1000.0;
    println!(
        "  {name:<44} p50 {:>7.2} ms   p99 {:>7.2} ms   (n={})",
        p(0.5),
        p(0.99),
        samples.len()
    );
}

/// A list query: the defaults with `set`'s changes.
fn query(set: impl FnOnce(&mut ConversationQuery)) -> ConversationQuery {
    let mut q = ConversationQuery::default();
    set(&mut q);
    q
}

/// Four shops of one owner, to ingest into: `api` shops, or with `platforms` those
/// platforms' shops in those time zones.
async fn create_shops(
    inbox: &Inbox, viewer: &Viewer, platforms: Option<&[(&str, &str)]>,
) -> Vec<IngestShop> {
    let mut shops = Vec::new();
    for i in 0..4 {
        let mut shop = serde_json::json!({"platform": "api", "external_id": format!("bench-{i}-{}", uuid::Uuid::now_v7()), "name": format!("Shop {i}")});
        if let Some((platform, zone)) = platforms.map(|p| p[i]) {
            shop["platform"] = platform.into();
            shop["settings"] = serde_json::json!({"time_zone": zone});
        }
        let s = inbox.create_shop(viewer, serde_json::from_value(shop).unwrap()).await.unwrap();
        shops.push(inbox.ingest_shop(s.shop.id).await.unwrap().unwrap());
    }
    shops
}

/// Buyer message `k` (to conversation `conv`): six random words, and the order of every
/// fifth conversation with its first message.
fn seed_message(rng: &mut StdRng, k: usize, conv: usize, n_conv: usize) -> InboundMessage {
    let name = format!("{} {}", FIRST[conv % FIRST.len()], LAST[(conv / FIRST.len()) % LAST.len()]);
    let text: Vec<String> = (0..6).map(|_| word(rng)).collect();
    let mut msg = serde_json::json!({
        "buyer": {"external_id": format!("buyer-{conv}"), "nickname": name},
        "platform_message_id": format!("m-{k}"),
        "content": {"type": "text", "text": text.join(" ")},
    });
    if conv.is_multiple_of(5) && k < n_conv {
        msg["order"] = serde_json::json!({"external_id": format!("80{conv:010}")});
    }
    serde_json::from_value(msg).unwrap()
}

/// Seeds `n_conv` conversations of `per` messages through the real ingest path: message
/// k goes to conversation k % n_conv, so conversations interleave in time.
async fn seed(inbox: &Arc<Inbox>, shops: &[IngestShop], n_conv: usize, per: usize) {
    let total = n_conv * per;
    let started = Instant::now();
    let workers = 64;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let inbox = inbox.clone();
        let shops = shops.to_vec();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(w as u64);
            let mut k = w;
            while k < total {
                let conv = k % n_conv;
                let shop = shops[conv % shops.len()].clone();
                let msg = seed_message(&mut rng, k, conv, n_conv);
                inbox.ingest(shop, msg).await.expect("ingest");
                k += workers;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let seeded = started.elapsed();
    println!(
        "  seeded in {:.1} s ({:.0} messages/s)",
        seeded.as_secs_f64(),
        total as f64 / seeded.as_secs_f64()
    );
}

/// Some state for the filters: of the first 6,000 conversations, 2% flagged, a third read.
async fn flag_and_read_some(inbox: &Inbox, viewer: &Viewer) {
    let mut cursor = None;
    let mut ids: Vec<ConversationId> = Vec::new();
    loop {
        let q = query(|q| {
            q.limit = Some(200);
            q.cursor = cursor.clone();
        });
        let page = inbox.list_conversations(viewer, &q).await.unwrap();
        ids.extend(page.items.iter().map(|c| c.id));
        match page.next_cursor {
            Some(c) if ids.len() < 6000 => cursor = Some(c),
            _ => break,
        }
    }
    for (i, id) in ids.iter().enumerate() {
        if i % 3 == 0 {
            inbox.change(viewer, *id, Change::MarkRead).await.unwrap();
        }
        if i % 50 == 0 {
            inbox.change(viewer, *id, Change::Flag(FlagColour::Red)).await.unwrap();
        }
    }
}

/// A measured query: its name, and how each run makes it.
type Case = (&'static str, Box<dyn Fn(&mut StdRng) -> ConversationQuery>);

fn case(name: &'static str, make: impl Fn(&mut StdRng) -> ConversationQuery + 'static) -> Case {
    (name, Box::new(make))
}

/// The queries measured: filters of the first page, and searches.
fn cases(one_shop: &IngestShop, n_conv: usize) -> Vec<Case> {
    let one_shop = one_shop.shop_id;
    vec![
        case("open, latest first", |_| ConversationQuery::default()),
        case("open, longest waiting first", |_| query(|q| q.sort = Some(SortOrder::Waiting))),
        case("unread", |_| query(|q| q.unread = Some(true))),
        case("unreplied, longest waiting first", |_| {
            query(|q| {
                q.unreplied = Some(true);
                q.sort = Some(SortOrder::Waiting);
            })
        }),
        case("flagged red", |_| query(|q| q.flag = Some(FlagFilter(Some(FlagColour::Red))))),
        case("has order", |_| query(|q| q.has_order = Some(true))),
        case("one shop", move |_| query(|q| q.shop_id = Some(one_shop))),
        case("search: buyer-name part", |r| {
            query(|q| q.q = Some(LAST.choose(r).unwrap().to_string()))
        }),
        case("search: order id", move |r| {
            let conv = r.random_range(0..n_conv / 5) * 5;
            query(|q| q.q = Some(format!("80{conv:010}")))
        }),
        case("search: message word", |r| query(|q| q.q = Some(word(r)))),
        // DY-HIST-1: the history filters, each page with its `total` count.
        case("all, latest first", |_| query(|q| q.status = Some(ListStatus::All))),
        case("all, with the total count", |_| {
            query(|q| {
                q.status = Some(ListStatus::All);
                q.total = Some(true);
            })
        }),
        case("filter: buyer-name part, counted", |r| {
            query(|q| {
                q.status = Some(ListStatus::All);
                q.buyer = Some(LAST.choose(r).unwrap().to_string());
            })
        }),
        case("filter: platform buyer id, counted", move |r| {
            let conv = r.random_range(0..n_conv);
            query(|q| {
                q.status = Some(ListStatus::All);
                q.buyer = Some(format!("buyer-{conv}"));
            })
        }),
        case("filter: the last hour, counted", |_| {
            query(|q| {
                q.status = Some(ListStatus::All);
                q.from = Some(chrono::Utc::now() - chrono::Duration::hours(1));
            })
        }),
        // Issue 17: by the earliest breach, on `conversations_seller_urgent`.
        case("open, most urgent first", |_| query(|q| q.sort = Some(SortOrder::Urgent))),
        case("unreplied, most urgent first", |_| {
            query(|q| {
                q.unreplied = Some(true);
                q.sort = Some(SortOrder::Urgent);
            })
        }),
    ]
}

/// Runs of each case before it is measured, not counted: a daemon's connections are
/// long-lived, and the bench's start fresh — their page caches empty, so a case's first
/// few runs (other words, other names than the measured ones) took two to five times
/// as long.
const WARM_UP: usize = 20;

/// Runs each case `runs` times, after [`WARM_UP`] runs, and reports its latency.
async fn measure(inbox: &Inbox, viewer: &Viewer, cases: Vec<Case>) {
    let mut rng = StdRng::seed_from_u64(99);
    let runs = 200;
    println!(
        "first page of 50, {runs} runs each after {WARM_UP} not counted (includes the filter counts):"
    );
    for (name, make) in cases {
        for _ in 0..WARM_UP {
            inbox.list_conversations(viewer, &make(&mut rng)).await.expect("list");
        }
        let mut samples = Vec::with_capacity(runs);
        let mut n_items = 0;
        for _ in 0..runs {
            let q = make(&mut rng);
            let t = Instant::now();
            let page = inbox.list_conversations(viewer, &q).await.expect("list");
            samples.push(t.elapsed());
            n_items += page.items.len();
        }
        report(&format!("{name} ({} rows/page avg)", n_items / runs), samples);
    }
}

/// On PostgreSQL, what autovacuum does after a bulk load (this machine's server runs
/// with autovacuum off): statistics for the planner, and the visibility map that lets
/// counts read only their index.
async fn settle(inbox: &Inbox) {
    if inbox.store().backend() == shopmux_core::storage::store::Backend::Postgres {
        inbox.store().rows("VACUUM ANALYZE", vec![]).await.expect("VACUUM ANALYZE");
    }
}

/// `--reuse`: a database an earlier run seeded (its `--database`), without seeding: the
/// bench owner signs in, and its shops are read back in the order they were created.
async fn reused(bench: &bench::Bench) -> (Viewer, Vec<IngestShop>) {
    let inbox = &bench.inbox;
    let signed = browser::sign_in(inbox).await;
    let (viewer, _) = inbox.web_session(&signed).await.unwrap().expect("the bench owner's session");
    let mut shops = inbox.list_shops(&viewer).await.unwrap();
    shops.sort_by(|a, b| a.name.cmp(&b.name));
    let mut ingest = Vec::new();
    for shop in &shops {
        ingest.push(inbox.ingest_shop(shop.id).await.unwrap().expect("a shop"));
    }
    println!(
        "inbox_bench: measuring {} again ({} shops)",
        shopmux::config::mask_url_password(&bench.url),
        ingest.len()
    );
    (viewer, ingest)
}

/// A fresh database seeded: the owner, its shops, and with `--service-data` the agents.
async fn seeded(
    bench: &bench::Bench, clock: &Arc<service_data::HistoryClock>, n_conv: usize, per: usize,
) -> (Viewer, Vec<IngestShop>, Option<service_data::Agents>) {
    let inbox = &bench.inbox;
    let with_service = bench::flag("--service-data");
    let owner = browser::owner(inbox).await;
    let platforms = with_service.then_some(service_data::SHOPS);
    let shops = create_shops(inbox, &bench::viewer(inbox, &owner.token).await, platforms).await;
    let viewer = bench::viewer(inbox, &owner.token).await;
    println!(
        "inbox_bench: seeding {n_conv} conversations / {} messages into {}",
        n_conv * per,
        shopmux::config::mask_url_password(&bench.url)
    );
    let agents = if with_service {
        let agents = service_data::create_agents(inbox, &viewer, &shops).await;
        Some(service_data::seed(inbox, clock, &viewer, agents, &shops, n_conv, per).await)
    } else {
        seed(inbox, &shops, n_conv, per).await;
        None
    };
    flag_and_read_some(inbox, &viewer).await;
    (viewer, shops, agents)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (n_conv, per, database) =
        bench::parse_args(("--conversations", 100_000), ("--messages", 10));
    let with_service = bench::flag("--service-data");
    // With replies, no outbox worker: there is no platform to deliver them to.
    let options = InboxOptions {
        max_ingest_batch: 500,
        background_delivery: !with_service,
        ..Default::default()
    };
    let clock = Arc::new(service_data::HistoryClock::default());
    let bench = if with_service {
        bench::start_with_clock(database, "inbox-bench.db", options, clock.clone()).await
    } else {
        bench::start(database, "inbox-bench.db", options).await
    };
    let inbox = bench.inbox.clone();
    let (viewer, shops, agents) = if bench::flag("--reuse") {
        let (viewer, shops) = reused(&bench).await;
        (viewer, shops, None)
    } else {
        seeded(&bench, &clock, n_conv, per).await
    };
    settle(&inbox).await;
    measure(&inbox, &viewer, cases(&shops[1], n_conv)).await;
    if let Some(agents) = &agents {
        let shops = shops.iter().map(|s| s.shop_id).collect();
        let readers = service_data::Readers { inbox: &inbox, owner: &viewer, agents, shops };
        service_data::measure(&readers).await;
    }
    if bench::flag("--browser") {
        browser::measure(&inbox).await;
    }
    inbox.shutdown().await;
    if bench::flag("--cold-start") {
        cold_start::measure(&bench.url).await;
    }
}
