//! Routing benchmark: one Douyin shop (idle-rate assignment, DY-ROUTE-1) with 1,000
//! agents online and connected. Reports
//! - the in-memory decision over 1,000 candidates (p50/p99),
//! - one assignment end to end: the router's transaction that locks the seller, reads
//!   the 1,000 agents' presence and loads, decides and writes (p50/p99),
//! - a burst: conversations queued while every agent is away, then everyone comes
//!   back and the queue drains; conversations assigned per second.
//!
//! Run: `cargo run --release --example routing_bench [-- --agents 1000 --burst 20000 --database URL]`
//! (the default database is a fresh SQLite file in a temporary directory; give
//! `postgres://...` to measure PostgreSQL).

use rand::SeedableRng;
use shopmux_core::domain::inbound::InboundMessage;
use shopmux_core::domain::model::{AgentStatus, Platform, Role, ShopGrant};
use shopmux_core::domain::routing::{Candidate, choose};
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::services::accounts::NewAgent;
use shopmux_core::services::shops::NewShop;
use shopmux_core::{Inbox, InboxOptions, Store, StoreOptions, SystemClock};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn parse_args() -> (usize, usize, Option<String>) {
    let (mut agents, mut burst, mut database) = (1000usize, 20_000usize, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--agents" => agents = value().parse().expect("--agents N"),
            "--burst" => burst = value().parse().expect("--burst N"),
            "--database" => database = Some(value()),
            other => panic!("unknown flag {other}"),
        }
    }
    (agents, burst, database)
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(label: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{label:<44} p50 {:>9.3} ms   p99 {:>9.3} ms   ({} samples)",
        pct(&samples, 0.50).as_secs_f64() * 1e3,
        pct(&samples, 0.99).as_secs_f64() * 1e3,
        samples.len()
    );
}

fn message(buyer: usize) -> InboundMessage {
    serde_json::from_value(serde_json::json!({
        "buyer": {"external_id": format!("buyer{buyer}"), "nickname": format!("Buyer {buyer}")},
        "platform_message_id": format!("m{buyer}"),
        "content": {"type": "text", "text": "hello"},
    }))
    .expect("message")
}

async fn set_everyone(inbox: &Inbox, agents: &[Viewer], status: AgentStatus) {
    for a in agents {
        inbox.set_status(a, status).await.expect("status");
    }
}

#[tokio::main]
async fn main() {
    let (n_agents, burst, database) = parse_args();
    let dir = tempfile::tempdir().unwrap();
    let url =
        database.unwrap_or_else(|| format!("sqlite://{}/routing-bench.db", dir.path().display()));
    let store = Store::open(&StoreOptions::new(url.clone()))
        .await
        .expect("store");
    let host = shopmux::host::DaemonHost::new(Arc::new(SystemClock), store.clone());
    let inbox = Inbox::start(
        store,
        Arc::new(SystemClock),
        InboxOptions {
            registry: shopmux::adapters::registry_of(shopmux::adapters::builtin_adapters(), &host),
            routing_seed: Some(1),
            ..Default::default()
        },
    );
    println!("backend: {:?}; {n_agents} agents", inbox.store().backend());

    // 1. The in-memory decision.
    let routing = shopmux_adapter_douyin::rule_set().routing.expect("routing");
    let candidates: Vec<Candidate> = (0..n_agents)
        .map(|i| Candidate {
            id: shopmux_core::domain::ids::AgentId::new(),
            role: Role::Agent,
            status: AgentStatus::Online,
            accept_assignment: true,
            connected: true,
            capacity: 10 + (i % 41) as i64,
            load: (i % 7) as i64,
        })
        .collect();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let samples = (0..2000)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(choose(&routing, &candidates, None, &mut rng));
            t.elapsed()
        })
        .collect();
    report("decision in memory (1 of N candidates)", samples);

    // 2. The shop and its team.
    let owner = inbox.create_owner("Bench").await.expect("owner");
    let owner_v = inbox
        .authenticate(&owner.token)
        .await
        .unwrap()
        .expect("viewer");
    let shop = inbox
        .create_shop(
            &owner_v,
            NewShop {
                platform: Platform::new("douyin").unwrap(),
                external_id: "bench".into(),
                region: Some("CN".into()),
                name: "Bench".into(),
                settings: None,
            },
        )
        .await
        .expect("shop")
        .shop;
    let owner_v = inbox
        .authenticate(&owner.token)
        .await
        .unwrap()
        .expect("viewer");
    let t = Instant::now();
    let mut agents = Vec::with_capacity(n_agents);
    for i in 0..n_agents {
        let created = inbox
            .create_agent(
                &owner_v,
                NewAgent {
                    nickname: format!("agent{i}"),
                    role: None,
                    capacity: Some(50),
                    shops: vec![ShopGrant {
                        shop_id: shop.id,
                        can_chat: true,
                    }],
                },
            )
            .await
            .expect("agent");
        let v = inbox
            .authenticate(&created.token)
            .await
            .unwrap()
            .expect("viewer");
        inbox.open_session(&v.agent).await.expect("session");
        agents.push(v);
    }
    println!(
        "created and connected {n_agents} agents in {:?}",
        t.elapsed()
    );
    let ingest = inbox.ingest_shop(shop.id).await.unwrap().expect("shop");

    // 3. One assignment end to end, agents online: each new conversation is routed by
    // an explicit drain (the background router may take some first; those are not timed).
    set_everyone(&inbox, &agents, AgentStatus::Online).await;
    let mut samples = Vec::new();
    for b in 0..500 {
        inbox
            .ingest(ingest.clone(), message(b))
            .await
            .expect("ingest");
        let t = Instant::now();
        let n = inbox.drain_shop(shop.id).await.expect("drain");
        if n == 1 {
            samples.push(t.elapsed());
        }
    }
    report("one assignment (lock, load N agents, write)", samples);

    // 4. The burst: everyone away, conversations queue; everyone back, the queue drains.
    set_everyone(&inbox, &agents, AgentStatus::Offline).await;
    let burst = burst.min(n_agents * 49);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..64 {
        let inbox = inbox.clone();
        let ingest = ingest.clone();
        tasks.push(tokio::spawn(async move {
            let mut b = 1000 + lane;
            while b < 1000 + burst {
                inbox
                    .ingest(ingest.clone(), message(b))
                    .await
                    .expect("ingest");
                b += 64;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    println!("queued {burst} conversations in {:?}", t.elapsed());
    let queued = inbox.queue(&owner_v, shop.id).await.unwrap().entries.len();
    let t = Instant::now();
    set_everyone(&inbox, &agents, AgentStatus::Online).await;
    let mut assigned = 0;
    loop {
        assigned += inbox.drain_shop(shop.id).await.expect("drain");
        if assigned >= queued {
            break;
        }
        let left = inbox.queue(&owner_v, shop.id).await.unwrap().entries.len();
        if left == 0 {
            break;
        }
    }
    let took = t.elapsed();
    let left = inbox.queue(&owner_v, shop.id).await.unwrap().entries.len();
    println!(
        "burst: {queued} queued conversations assigned in {took:?}: {:.0} per second ({left} left)",
        (queued - left) as f64 / took.as_secs_f64()
    );
    let team = inbox.team_presence(&owner_v).await.unwrap();
    let over = team.iter().filter(|p| p.load > p.capacity).count();
    println!("agents over their maximum: {over}");
    inbox.shutdown().await;
}
