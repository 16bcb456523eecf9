//! Inbox benchmark: seeds 100,000 conversations holding 1,000,000 messages (through the
//! real ingest path, so counters, name parts and the full-text index are all built),
//! then reports p50/p99 latency of the inbox's first page of 50 under several filters
//! and of search by a buyer-name part, an order id and a message word.
//!
//! Run: `cargo run --release --example inbox_bench [-- --conversations 100000 --messages 10 --database URL]`
//! (messages per conversation; the default database is a fresh SQLite file in a
//! temporary directory; give `postgres://...` to measure PostgreSQL).

use rand::prelude::*;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::inbound::InboundMessage;
use shopmux_core::domain::listing::{ConversationQuery, FlagFilter, SortOrder};
use shopmux_core::domain::model::FlagColour;
use shopmux_core::{Inbox, InboxOptions, Store, StoreOptions, SystemClock};
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

fn parse_args() -> (usize, usize, Option<String>) {
    let (mut conversations, mut per, mut database) = (100_000usize, 10usize, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--conversations" => conversations = value().parse().expect("N"),
            "--messages" => per = value().parse().expect("N"),
            "--database" => database = Some(value()),
            other => panic!("unknown option {other}"),
        }
    }
    (conversations, per, database)
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

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let (n_conv, per, database) = parse_args();
    let dir = tempfile::tempdir().unwrap();
    let url =
        database.unwrap_or_else(|| format!("sqlite://{}/inbox-bench.db", dir.path().display()));
    let store = Store::open(&StoreOptions::new(url.clone()))
        .await
        .expect("store");
    let host = shopmux::host::DaemonHost::new(Arc::new(SystemClock), store.clone());
    let inbox = Inbox::start(
        store,
        Arc::new(SystemClock),
        InboxOptions {
            registry: shopmux::adapters::registry_of(shopmux::adapters::builtin_adapters(), &host),
            max_ingest_batch: 500,
            ..Default::default()
        },
    );
    let owner = inbox.create_owner("bench").await.unwrap();
    let viewer = inbox.authenticate(&owner.token).await.unwrap().unwrap();
    let mut shops = Vec::new();
    for i in 0..4 {
        let s = inbox
            .create_shop(
                &viewer,
                serde_json::from_value(serde_json::json!({"platform": "api", "external_id": format!("bench-{i}-{}", uuid::Uuid::now_v7()), "name": format!("Shop {i}")}))
                    .unwrap(),
            )
            .await
            .unwrap();
        shops.push(inbox.ingest_shop(s.shop.id).await.unwrap().unwrap());
    }
    let viewer = inbox.authenticate(&owner.token).await.unwrap().unwrap();

    // Seed: message k goes to conversation k % n_conv, so conversations interleave in time.
    let total = n_conv * per;
    println!(
        "inbox_bench: seeding {n_conv} conversations / {total} messages into {}",
        shopmux::config::mask_url_password(&url)
    );
    let started = Instant::now();
    let workers = 64;
    let mut tasks = Vec::new();
    for w in 0..workers {
        let inbox = inbox.clone();
        let shops = shops.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(w as u64);
            let mut k = w;
            while k < total {
                let conv = k % n_conv;
                let shop = shops[conv % shops.len()].clone();
                let name = format!(
                    "{} {}",
                    FIRST[conv % FIRST.len()],
                    LAST[(conv / FIRST.len()) % LAST.len()]
                );
                let text: Vec<String> = (0..6).map(|_| word(&mut rng)).collect();
                let mut msg = serde_json::json!({
                    "buyer": {"external_id": format!("buyer-{conv}"), "nickname": name},
                    "platform_message_id": format!("m-{k}"),
                    "content": {"type": "text", "text": text.join(" ")},
                });
                if conv % 5 == 0 && k < n_conv {
                    msg["order"] = serde_json::json!({"external_id": format!("80{conv:010}")});
                }
                let msg: InboundMessage = serde_json::from_value(msg).unwrap();
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

    // Some state for the filters: 2% flagged, a third read.
    let mut cursor = None;
    let mut ids = Vec::new();
    loop {
        let page = inbox
            .list_conversations(
                &viewer,
                &ConversationQuery {
                    limit: Some(200),
                    cursor: cursor.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        ids.extend(page.items.iter().map(|c| c.id));
        match page.next_cursor {
            Some(c) if ids.len() < 6000 => cursor = Some(c),
            _ => break,
        }
    }
    for (i, id) in ids.iter().enumerate() {
        if i % 3 == 0 {
            inbox.change(&viewer, *id, Change::MarkRead).await.unwrap();
        }
        if i % 50 == 0 {
            inbox
                .change(&viewer, *id, Change::Flag(FlagColour::Red))
                .await
                .unwrap();
        }
    }

    let mut rng = StdRng::seed_from_u64(99);
    let runs = 200;
    let mut measure = async |name: &str, make: &mut dyn FnMut(&mut StdRng) -> ConversationQuery| {
        let mut samples = Vec::with_capacity(runs);
        let mut n_items = 0;
        for _ in 0..runs {
            let q = make(&mut rng);
            let t = Instant::now();
            let page = inbox.list_conversations(&viewer, &q).await.expect("list");
            samples.push(t.elapsed());
            n_items += page.items.len();
        }
        report(
            &format!("{name} ({} rows/page avg)", n_items / runs),
            samples,
        );
    };
    println!("first page of 50, {runs} runs each (includes the filter counts):");
    measure("open, latest first", &mut |_| ConversationQuery::default()).await;
    measure("open, longest waiting first", &mut |_| ConversationQuery {
        sort: Some(SortOrder::Waiting),
        ..Default::default()
    })
    .await;
    measure("unread", &mut |_| ConversationQuery {
        unread: Some(true),
        ..Default::default()
    })
    .await;
    measure("unreplied, longest waiting first", &mut |_| {
        ConversationQuery {
            unreplied: Some(true),
            sort: Some(SortOrder::Waiting),
            ..Default::default()
        }
    })
    .await;
    measure("flagged red", &mut |_| ConversationQuery {
        flag: Some(FlagFilter(Some(FlagColour::Red))),
        ..Default::default()
    })
    .await;
    measure("has order", &mut |_| ConversationQuery {
        has_order: Some(true),
        ..Default::default()
    })
    .await;
    let shop = shops[1].shop_id;
    measure("one shop", &mut |_| ConversationQuery {
        shop_id: Some(shop),
        ..Default::default()
    })
    .await;
    measure("search: buyer-name part", &mut |r| ConversationQuery {
        q: Some(LAST.choose(r).unwrap().to_string()),
        ..Default::default()
    })
    .await;
    measure("search: order id", &mut |r| {
        let conv = r.random_range(0..n_conv / 5) * 5;
        ConversationQuery {
            q: Some(format!("80{conv:010}")),
            ..Default::default()
        }
    })
    .await;
    measure("search: message word", &mut |r| ConversationQuery {
        q: Some(word(r)),
        ..Default::default()
    })
    .await;
    inbox.shutdown().await;
}
