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

mod bench;

use rand::SeedableRng;
use shopmux_core::domain::ids::ShopId;
use shopmux_core::domain::inbound::InboundMessage;
use shopmux_core::domain::model::{AgentStatus, Platform, Role, ShopGrant};
use shopmux_core::domain::routing::{Candidate, choose};
use shopmux_core::domain::shop_settings::IngestShop;
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::services::accounts::NewAgent;
use shopmux_core::services::shops::NewShop;
use shopmux_core::{Inbox, InboxOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// Step 1: the in-memory decision over `n_agents` candidates.
fn decision_in_memory(n_agents: usize) {
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
}

/// The Douyin shop under test and its team.
struct Team {
    owner: Viewer,
    shop: ShopId,
    ingest: IngestShop,
    agents: Vec<Viewer>,
}

/// Step 2: the shop and its team: `n_agents` sub-accounts (maximum 50 each), connected.
async fn shop_and_team(inbox: &Inbox, n_agents: usize) -> Team {
    let owner = inbox.create_owner("Bench").await.expect("owner");
    let new_shop = NewShop {
        platform: Platform::new("douyin").unwrap(),
        external_id: "bench".into(),
        region: Some("CN".into()),
        name: "Bench".into(),
        settings: None,
    };
    let shop = inbox
        .create_shop(&bench::viewer(inbox, &owner.token).await, new_shop)
        .await
        .expect("shop")
        .shop;
    let owner_v = bench::viewer(inbox, &owner.token).await;
    let t = Instant::now();
    let mut agents = Vec::with_capacity(n_agents);
    for i in 0..n_agents {
        let agent = NewAgent {
            nickname: format!("agent{i}"),
            role: None,
            capacity: Some(50),
            shops: vec![ShopGrant { shop_id: shop.id, can_chat: true }],
            login: None,
            password: None,
        };
        let created = inbox.create_agent(&owner_v, agent).await.expect("agent");
        let v = bench::viewer(inbox, &created.token).await;
        inbox.open_session(&v.agent).await.expect("session");
        agents.push(v);
    }
    println!("created and connected {n_agents} agents in {:?}", t.elapsed());
    let ingest = inbox.ingest_shop(shop.id).await.unwrap().expect("shop");
    Team { owner: owner_v, shop: shop.id, ingest, agents }
}

/// Step 3: one assignment end to end, agents online: each new conversation is routed by an
/// explicit drain (the background router may take some first; those are not timed).
async fn one_assignment(inbox: &Inbox, team: &Team) {
    set_everyone(inbox, &team.agents, AgentStatus::Online).await;
    let mut samples = Vec::new();
    for b in 0..500 {
        inbox.ingest(team.ingest.clone(), message(b)).await.expect("ingest");
        let t = Instant::now();
        let n = inbox.drain_shop(team.shop).await.expect("drain");
        if n == 1 {
            samples.push(t.elapsed());
        }
    }
    report("one assignment (lock, load N agents, write)", samples);
}

/// Step 4: the burst: everyone away, `burst` conversations queue; everyone back, the queue
/// drains.
async fn burst_drains(inbox: &Arc<Inbox>, team: &Team, burst: usize) {
    set_everyone(inbox, &team.agents, AgentStatus::Offline).await;
    let burst = burst.min(team.agents.len() * 49);
    let t = Instant::now();
    let mut tasks = Vec::new();
    for lane in 0..64 {
        let inbox = inbox.clone();
        let ingest = team.ingest.clone();
        tasks.push(tokio::spawn(async move {
            let mut b = 1000 + lane;
            while b < 1000 + burst {
                inbox.ingest(ingest.clone(), message(b)).await.expect("ingest");
                b += 64;
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    println!("queued {burst} conversations in {:?}", t.elapsed());
    let queue_len = async || inbox.queue(&team.owner, team.shop).await.unwrap().entries.len();
    let queued = queue_len().await;
    let t = Instant::now();
    set_everyone(inbox, &team.agents, AgentStatus::Online).await;
    let mut assigned = 0;
    loop {
        assigned += inbox.drain_shop(team.shop).await.expect("drain");
        if assigned >= queued || queue_len().await == 0 {
            break;
        }
    }
    let took = t.elapsed();
    let left = queue_len().await;
    println!(
        "burst: {queued} queued conversations assigned in {took:?}: {:.0} per second ({left} left)",
        (queued - left) as f64 / took.as_secs_f64()
    );
    let team = inbox.team_presence(&team.owner).await.unwrap();
    let over = team.iter().filter(|p| p.load > p.capacity).count();
    println!("agents over their maximum: {over}");
}

#[tokio::main]
async fn main() {
    let (n_agents, burst, database) = bench::parse_args(("--agents", 1000), ("--burst", 20_000));
    let options = InboxOptions { routing_seed: Some(1), ..Default::default() };
    let bench = bench::start(database, "routing-bench.db", options).await;
    let inbox = bench.inbox.clone();
    println!("backend: {:?}; {n_agents} agents", inbox.store().backend());
    decision_in_memory(n_agents);
    let team = shop_and_team(&inbox, n_agents).await;
    one_assignment(&inbox, &team).await;
    burst_drains(&inbox, &team, burst).await;
    inbox.shutdown().await;
}
