//! Service data under load (`--service-data`; issue 17: "with 100k conversations / 1M
//! messages on SQLite: any figure for any period under 50 ms p99").
//!
//! The shops are then Douyin and TikTok shops (their platforms define the figures), and
//! the seeding writes a 30-day history instead of one burst: conversation `c` starts
//! at `c / n` of the way through the past 30 days, its buyer messages 20 s apart (their
//! `sent_at`); 30 % of the conversations are assigned by the main account to one of 20
//! agents (each may chat in every shop; conversation `c` goes to agent `c mod 20` in shop
//! `c mod 4`, so five agents serve each shop), who replies one to three times
//! through [`Inbox::reply`] (the HTTP reply route's service, which adds the reply to the
//! service rollups in its transaction) after 3 s to 40 min; a quarter of the
//! replied conversations get a buyer rating (a rating card through [`Inbox::apply`], as
//! a platform delivers it), before the agent's last reply. The replies stay in the
//! outbox (no outbox worker runs: there is no platform to deliver them to).
//!
//! Time: the engine's clock is a [`HistoryClock`]. A worker's assignment, replies and
//! rating run at their own instants (a task-local time); everything else (the ingest
//! writer, which never dates a message later than its `now`, and the lifecycle timers)
//! sees the latest instant any worker has reached. So a conversation still being
//! written is never ended under it (TT-WIN-1's 7 days, DY-END-2's 15 minutes), and the
//! timers fire as the history moves on; at the end the clock is the wall clock again
//! and the timers' remaining catch-up is run before anything is measured.
//!
//! Then every service-data read of the API is timed, 200 calls each with random
//! choices: figures per shop, agent and platform for a day, week, month and 30-day
//! range, an agent's own figures, the rating analysis and the rating list with and
//! without filters, and the chart series.

use super::{FIRST, LAST, report, word};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::prelude::*;
use shopmux_contract::adapter::{BuyerMessage, EventBuyer, InboundEvent};
use shopmux_contract::content::MessageContent;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::{AgentId, ConversationId, ShopId};
use shopmux_core::domain::inbound::InboundMessage;
use shopmux_core::domain::model::ShopGrant;
use shopmux_core::domain::ratings::{RatingQuery, RatingSource};
use shopmux_core::domain::shop_settings::IngestShop;
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::services::accounts::NewAgent;
use shopmux_core::services::service_data::{FigureQuery, Grouping, SeriesQuery};
use shopmux_core::{Clock, CoreResult, Inbox};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration as Wall, Instant};

/// Agents of the seller.
const AGENTS: usize = 20;
/// The share of conversations a human serves.
const SERVED: f64 = 0.30;
/// The share of served conversations the buyer rates.
const RATED: f64 = 0.25;
/// Days of history.
const DAYS: i64 = 30;
/// Conversations written at once.
const WORKERS: usize = 96;
/// Calls per measured read…
const RUNS: usize = 200;
/// … or fewer, when they take longer than this in all.
const RUN_FOR: Wall = Wall::from_secs(20);

tokio::task_local! {
    /// The instant of the actor running in this task (an agent's reply, a buyer's rating).
    static AT: DateTime<Utc>;
}

/// The clock of a run with a history: a task's own instant when it runs inside
/// [`at`]; otherwise the latest instant the history has reached ([`HistoryClock::reach`]),
/// or the wall clock once [`HistoryClock::release`]d (and before any history).
#[derive(Debug, Default)]
pub struct HistoryClock {
    /// Milliseconds since the epoch; 0: the wall clock.
    reached: AtomicI64,
}

impl HistoryClock {
    /// The history has reached `t` (it never moves back).
    fn reach(&self, t: DateTime<Utc>) {
        self.reached.fetch_max(t.timestamp_millis(), Ordering::SeqCst);
    }

    /// Back to the wall clock.
    fn release(&self) {
        self.reached.store(0, Ordering::SeqCst);
    }
}

impl Clock for HistoryClock {
    fn now(&self) -> DateTime<Utc> {
        if let Ok(t) = AT.try_with(|t| *t) {
            return t;
        }
        match self.reached.load(Ordering::SeqCst) {
            0 => Utc::now(),
            ms => DateTime::from_timestamp_millis(ms).unwrap_or_else(Utc::now),
        }
    }
}

/// Runs `f` at the instant `t` (for the engine's clock).
async fn at<F: std::future::Future>(t: DateTime<Utc>, f: F) -> F::Output {
    AT.scope(t, f).await
}

/// The shops' platforms and time zones: Douyin's figures (DY-QA-1..3) and TikTok's
/// (TT-DATA-1..3), two shops each.
pub const SHOPS: &[(&str, &str)] = &[
    ("douyin", "Asia/Shanghai"),
    ("tiktok", "UTC"),
    ("douyin", "Asia/Shanghai"),
    ("tiktok", "UTC"),
];

/// The seller's agents: each may chat in every shop.
pub struct Agents {
    pub viewers: Vec<Viewer>,
}

/// Creates the agents.
pub async fn create_agents(inbox: &Inbox, owner: &Viewer, shops: &[IngestShop]) -> Agents {
    let grants: Vec<ShopGrant> =
        shops.iter().map(|s| ShopGrant { shop_id: s.shop_id, can_chat: true }).collect();
    let mut viewers = Vec::new();
    for i in 0..AGENTS {
        let input = NewAgent {
            nickname: format!("agent-{i:02}"),
            role: None,
            capacity: Some(50),
            shops: grants.clone(),
            login: None,
            password: None,
        };
        let created = inbox.create_agent(owner, input).await.expect("agent");
        viewers.push(super::bench::viewer(inbox, &created.token).await);
    }
    Agents { viewers }
}

/// What happens in one conversation, at which instants.
struct Plan {
    /// The buyer messages' instants.
    messages: Vec<DateTime<Utc>>,
    /// Served: the agent, when it is assigned, its replies (each after the buyer message
    /// of that index), and the rating (score, instant) if any.
    served: Option<Served>,
}

struct Served {
    agent: usize,
    assigned: DateTime<Utc>,
    replies: Vec<DateTime<Utc>>,
    rating: Option<(u8, DateTime<Utc>)>,
}

/// A reply's delay after the wait began: mostly under 30 s, some minutes, a few long.
fn delay(rng: &mut StdRng) -> Duration {
    let x: f64 = rng.random();
    let secs = if x < 0.6 {
        rng.random_range(3..=30)
    } else if x < 0.9 {
        rng.random_range(31..=480)
    } else {
        rng.random_range(600..=2400)
    };
    Duration::seconds(secs)
}

fn plan(c: usize, n_conv: usize, per: usize, start: DateTime<Utc>) -> Plan {
    let mut rng = StdRng::seed_from_u64(c as u64 ^ 0x5eed);
    let span = Duration::days(DAYS).num_milliseconds();
    let t0 = start + Duration::milliseconds(span * c as i64 / n_conv as i64);
    let messages: Vec<_> = (0..per).map(|j| t0 + Duration::seconds(20 * j as i64)).collect();
    if !rng.random_bool(SERVED) {
        return Plan { messages, served: None };
    }
    let assigned = t0 + Duration::seconds(rng.random_range(1..=10));
    let k = rng.random_range(1..=3usize).min(per);
    let mut replies: Vec<DateTime<Utc>> = Vec::new();
    for r in 0..k {
        // After the buyer message of this index (the last one after the last message).
        let after = messages[(r + 1) * per / k - 1].max(assigned);
        let after = replies.last().map_or(after, |p| after.max(*p + Duration::seconds(1)));
        replies.push(after + delay(&mut rng));
    }
    let rating = rng.random_bool(RATED).then(|| {
        let score = *[5u8, 5, 5, 5, 5, 4, 4, 4, 3, 2, 1].choose(&mut rng).unwrap();
        // Before the agent's last reply (the buyer rates, the agent says goodbye).
        let last = *replies.last().unwrap();
        let before = replies
            .len()
            .checked_sub(2)
            .map_or(*messages.last().unwrap(), |i| replies[i].max(*messages.last().unwrap()));
        (score, before + (last - before) / 2)
    });
    Plan { messages, served: Some(Served { agent: c % AGENTS, assigned, replies, rating }) }
}

/// Buyer message `j` of conversation `c`, sent at `sent`.
fn buyer_message(rng: &mut StdRng, c: usize, j: usize, sent: DateTime<Utc>) -> InboundMessage {
    let name = format!("{} {}", FIRST[c % FIRST.len()], LAST[(c / FIRST.len()) % LAST.len()]);
    let text: Vec<String> = (0..6).map(|_| word(rng)).collect();
    let mut msg = serde_json::json!({
        "buyer": {"external_id": format!("buyer-{c}"), "nickname": name},
        "platform_message_id": format!("m-{c}-{j}"),
        "content": {"type": "text", "text": text.join(" ")},
        "sent_at": sent,
    });
    if c.is_multiple_of(5) && j == 0 {
        msg["order"] = serde_json::json!({"external_id": format!("80{c:010}")});
    }
    serde_json::from_value(msg).unwrap()
}

/// The rating card a platform delivers.
fn rating_event(c: usize, score: u8, sent: DateTime<Utc>) -> InboundEvent {
    let comment = (score <= 3).then(|| "took a while".to_owned());
    InboundEvent::Message(BuyerMessage {
        buyer: EventBuyer {
            external_id: format!("buyer-{c}"),
            nickname: None,
            email: None,
            language: None,
        },
        platform_message_id: format!("r-{c}"),
        platform_conversation_id: None,
        content: MessageContent::RatingCard { score: Some(score), comment },
        sent_at_ms: Some(sent.timestamp_millis()),
        order: None,
        entry_point: None,
    })
}

/// What the seeding counted and timed.
#[derive(Default)]
struct Tally {
    assignments: AtomicUsize,
    replies: AtomicUsize,
    ratings: AtomicUsize,
    /// Failed calls by what failed.
    failures: Mutex<BTreeMap<String, usize>>,
    /// Each reply call's and each assignment's wall time.
    reply_times: Mutex<Vec<Wall>>,
    assign_times: Mutex<Vec<Wall>>,
    /// Wall time spent in the served part (assignments, replies, ratings), all workers.
    served_wall: Mutex<Wall>,
}

impl Tally {
    fn failed(&self, what: &str, e: impl std::fmt::Display) {
        let key = format!("{what}: {e}");
        *self.failures.lock().unwrap().entry(key).or_default() += 1;
    }
}

/// What a seeding worker needs.
#[derive(Clone)]
struct Seeder {
    inbox: Arc<Inbox>,
    owner: Viewer,
    agents: Arc<Agents>,
    tally: Arc<Tally>,
}

impl Seeder {
    /// The served part of conversation `c`: assignment, replies, rating.
    async fn serve(&self, shop: &IngestShop, c: usize, conversation: ConversationId, s: &Served) {
        let (inbox, tally) = (&self.inbox, &self.tally);
        let started = Instant::now();
        let agent = &self.agents.viewers[s.agent];
        let assign = inbox.change(&self.owner, conversation, Change::Assign(agent.agent.id));
        let t = Instant::now();
        match at(s.assigned, assign).await {
            Ok(_) => {
                tally.assign_times.lock().unwrap().push(t.elapsed());
                tally.assignments.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => tally.failed("assign", e),
        }
        for (i, when) in s.replies.iter().enumerate() {
            if i + 1 == s.replies.len()
                && let Some((score, rated)) = s.rating
            {
                match at(rated, inbox.apply(shop, vec![rating_event(c, score, rated)])).await {
                    Ok(_) => {
                        tally.ratings.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => tally.failed("rating", e),
                }
            }
            let text = "Thanks for waiting, let me check that for you.".to_owned();
            let t = Instant::now();
            match at(*when, inbox.reply(agent, conversation, MessageContent::Text { text })).await {
                Ok(_) => {
                    tally.reply_times.lock().unwrap().push(t.elapsed());
                    tally.replies.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => tally.failed("reply", e),
            }
        }
        *tally.served_wall.lock().unwrap() += started.elapsed();
    }
}

/// Seeds `n_conv` conversations of `per` buyer messages over the past 30 days, with the
/// served share's assignments, replies and ratings; prints what it wrote and how long
/// it took.
pub async fn seed(
    inbox: &Arc<Inbox>, clock: &Arc<HistoryClock>, owner: &Viewer, agents: Agents,
    shops: &[IngestShop], n_conv: usize, per: usize,
) -> Agents {
    let start = Utc::now() - Duration::days(DAYS);
    let tally = Arc::new(Tally::default());
    let agents = Arc::new(agents);
    let seeder = Seeder {
        inbox: inbox.clone(),
        owner: owner.clone(),
        agents: agents.clone(),
        tally: tally.clone(),
    };
    let next = Arc::new(AtomicUsize::new(0));
    let began = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..WORKERS {
        let (seeder, clock, shops, next) =
            (seeder.clone(), clock.clone(), shops.to_vec(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(w as u64);
            loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= n_conv {
                    break;
                }
                let p = plan(c, n_conv, per, start);
                let shop = &shops[c % shops.len()];
                let mut last = *p.messages.last().unwrap();
                if let Some(s) = &p.served {
                    last = last.max(s.rating.map_or(last, |r| r.1));
                }
                clock.reach(last);
                let mut conversation = None;
                for (j, sent) in p.messages.iter().enumerate() {
                    let msg = buyer_message(&mut rng, c, j, *sent);
                    let out = seeder.inbox.ingest(shop.clone(), msg).await.expect("ingest");
                    conversation = Some(out.conversation_id);
                }
                if let (Some(s), Some(id)) = (&p.served, conversation) {
                    seeder.serve(shop, c, id, s).await;
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let seeded = began.elapsed();
    clock.release();
    let t = Instant::now();
    let mut timed = 0;
    loop {
        let changed = inbox.run_timers().await.expect("timers");
        if changed == 0 {
            break;
        }
        timed += changed;
    }
    let replies = tally.replies.load(Ordering::Relaxed);
    println!(
        "  seeded a {DAYS}-day history in {:.1} s: {} buyer messages, {} assignments, {replies} replies, {} ratings ({:.0} buyer messages/s)",
        seeded.as_secs_f64(),
        n_conv * per,
        tally.assignments.load(Ordering::Relaxed),
        tally.ratings.load(Ordering::Relaxed),
        (n_conv * per) as f64 / seeded.as_secs_f64()
    );
    let served = *tally.served_wall.lock().unwrap();
    println!(
        "  of which assigning, replying and rating: {:.1} s of {WORKERS} workers' time ({:.1} s of the run's {:.1} s if spread evenly)",
        served.as_secs_f64(),
        served.as_secs_f64() / WORKERS as f64,
        seeded.as_secs_f64()
    );
    report(
        "reply (Inbox::reply, rollups in its transaction)",
        tally.reply_times.lock().unwrap().clone(),
    );
    report("assignment (Inbox::change)", tally.assign_times.lock().unwrap().clone());
    println!(
        "  then the lifecycle timers caught up: {timed} conversations ended in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    for (what, n) in tally.failures.lock().unwrap().iter() {
        println!("  FAILED {n}×: {what}");
    }
    drop(seeder);
    Arc::into_inner(agents).expect("the workers are done")
}

/// The period a figure read asks for.
#[derive(Clone, Copy)]
enum Period {
    /// Today (no date given).
    Today,
    /// The day, week or month containing one of the past 30 days.
    Day,
    Week,
    Month,
    /// 30 local days ending on one of the past 3 days.
    Range30,
}

/// Whose figures.
#[derive(Clone, Copy)]
enum Scope {
    All,
    OneShop,
    OneAgent,
}

/// A measured service-data read.
#[derive(Clone, Copy)]
enum Read {
    /// `service_figures` (the main account).
    Figures(Grouping, Period, Scope),
    /// `my_service_figures` (an agent).
    Mine(Period),
    /// `rating_analysis` over 30 days: the main account's (all, one agent's, one shop's)
    /// or an agent's own (`Scope::OneAgent` as the agent).
    Analysis(Scope, bool),
    /// The rating list (`Inbox::ratings`) with its filters.
    Ratings(RatingFilter),
    /// `service_series` of one shop (or one agent in it) over this many days.
    Series(bool, i64),
}

#[derive(Clone, Copy)]
enum RatingFilter {
    None,
    Agent,
    AgentScoreWeek,
    ShopSourceLatest,
}

/// What the reads need.
pub struct Readers<'a> {
    pub inbox: &'a Inbox,
    pub owner: &'a Viewer,
    pub agents: &'a Agents,
    pub shops: Vec<ShopId>,
}

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn figure_query(period: Period, rng: &mut StdRng) -> FigureQuery {
    let date = today() - Duration::days(rng.random_range(0..DAYS));
    let dated = |p: &str| FigureQuery {
        period: Some(p.to_owned()),
        date: Some(date),
        ..Default::default()
    };
    match period {
        Period::Today => FigureQuery::default(),
        Period::Day => dated("day"),
        Period::Week => dated("week"),
        Period::Month => dated("month"),
        Period::Range30 => {
            let to = today() - Duration::days(rng.random_range(0..3));
            FigureQuery { from: Some(to - Duration::days(29)), to: Some(to), ..Default::default() }
        }
    }
}

impl Readers<'_> {
    fn agent(&self, rng: &mut StdRng) -> &Viewer {
        self.agents.viewers.choose(rng).unwrap()
    }

    fn agent_id(&self, rng: &mut StdRng) -> AgentId {
        self.agent(rng).agent.id
    }

    fn shop(&self, rng: &mut StdRng) -> ShopId {
        *self.shops.choose(rng).unwrap()
    }

    /// One call of `read` with random choices; the rows (or days) it returned.
    async fn run(&self, read: Read, rng: &mut StdRng) -> CoreResult<usize> {
        let inbox = self.inbox;
        match read {
            Read::Figures(group, period, scope) => {
                let mut q = figure_query(period, rng);
                q.group = Some(group);
                match scope {
                    Scope::All => {}
                    Scope::OneShop => q.shop_id = Some(self.shop(rng)),
                    Scope::OneAgent => q.agent_id = Some(self.agent_id(rng)),
                }
                Ok(inbox.service_figures(self.owner, &q).await?.rows.len())
            }
            Read::Mine(period) => {
                let q = figure_query(period, rng);
                Ok(inbox.my_service_figures(self.agent(rng), &q).await?.rows.len())
            }
            Read::Analysis(scope, own) => {
                let mut q = figure_query(Period::Range30, rng);
                let viewer = if own { self.agent(rng) } else { self.owner };
                match scope {
                    Scope::All => {}
                    Scope::OneShop => q.shop_id = Some(self.shop(rng)),
                    Scope::OneAgent if !own => q.agent_id = Some(self.agent_id(rng)),
                    Scope::OneAgent => {}
                }
                Ok(inbox.rating_analysis(viewer, &q).await?.rows.len())
            }
            Read::Ratings(filter) => {
                let mut q = RatingQuery::default();
                match filter {
                    RatingFilter::None => {}
                    RatingFilter::Agent => q.agent_id = Some(self.agent_id(rng)),
                    RatingFilter::AgentScoreWeek => {
                        q.agent_id = Some(self.agent_id(rng));
                        q.score = Some(1);
                        q.from = Some(Utc::now() - Duration::days(7));
                    }
                    RatingFilter::ShopSourceLatest => {
                        q.shop_id = Some(self.shop(rng));
                        q.source = Some(RatingSource::Platform);
                        q.latest = Some(true);
                    }
                }
                Ok(inbox.ratings(self.owner, &q).await?.items.len())
            }
            Read::Series(of_agent, days) => {
                let to = today() - Duration::days(rng.random_range(0..3));
                let q = SeriesQuery {
                    shop_id: self.shop(rng),
                    agent_id: of_agent.then(|| self.agent_id(rng)),
                    from: to - Duration::days(days - 1),
                    to,
                };
                Ok(inbox.service_series(self.owner, &q).await?.days.len())
            }
        }
    }
}

/// The reads measured: every service-data read the API offers.
fn reads() -> Vec<(&'static str, Read)> {
    use Grouping::{Agent, Platform, Shop};
    use Period::*;
    vec![
        ("figures per shop, a day", Read::Figures(Shop, Day, Scope::All)),
        ("figures per shop, a week", Read::Figures(Shop, Week, Scope::All)),
        ("figures per shop, a month", Read::Figures(Shop, Month, Scope::All)),
        ("figures per shop, 30 days", Read::Figures(Shop, Range30, Scope::All)),
        ("figures of one shop, today", Read::Figures(Shop, Today, Scope::OneShop)),
        ("figures per platform, a month", Read::Figures(Platform, Month, Scope::All)),
        ("figures per agent (all shops), a day", Read::Figures(Agent, Day, Scope::All)),
        ("figures per agent (all shops), a week", Read::Figures(Agent, Week, Scope::All)),
        ("figures per agent (all shops), a month", Read::Figures(Agent, Month, Scope::All)),
        ("figures per agent (all shops), 30 days", Read::Figures(Agent, Range30, Scope::All)),
        ("figures per agent of one shop, a month", Read::Figures(Agent, Month, Scope::OneShop)),
        ("figures of one agent, a month", Read::Figures(Agent, Month, Scope::OneAgent)),
        ("figures of one agent, 30 days", Read::Figures(Agent, Range30, Scope::OneAgent)),
        ("my figures (an agent), today", Read::Mine(Today)),
        ("my figures (an agent), a month", Read::Mine(Month)),
        ("rating analysis, 30 days", Read::Analysis(Scope::All, false)),
        ("rating analysis, 30 days, one agent", Read::Analysis(Scope::OneAgent, false)),
        ("rating analysis, 30 days, one shop", Read::Analysis(Scope::OneShop, false)),
        ("rating analysis, an agent's own", Read::Analysis(Scope::OneAgent, true)),
        ("rating list, newest first", Read::Ratings(RatingFilter::None)),
        ("rating list: one agent", Read::Ratings(RatingFilter::Agent)),
        ("rating list: agent, score 1, 7 days", Read::Ratings(RatingFilter::AgentScoreWeek)),
        ("rating list: shop, source, latest", Read::Ratings(RatingFilter::ShopSourceLatest)),
        ("chart series: one shop, 30 days", Read::Series(false, 30)),
        ("chart series: one agent in a shop, 30 days", Read::Series(true, 30)),
        ("chart series: one shop, 92 days", Read::Series(false, 92)),
    ]
}

/// Times each read `RUNS` times and reports its latency.
pub async fn measure(readers: &Readers<'_>) {
    let mut rng = StdRng::seed_from_u64(17);
    println!(
        "service data, {RUNS} calls each (fewer if over {} s; random dates, shops and agents):",
        RUN_FOR.as_secs()
    );
    for (name, read) in reads() {
        let mut samples = Vec::with_capacity(RUNS);
        let mut rows = 0;
        let began = Instant::now();
        while samples.len() < RUNS && began.elapsed() < RUN_FOR {
            let t = Instant::now();
            rows += readers.run(read, &mut rng).await.unwrap_or_else(|e| panic!("{name}: {e}"));
            samples.push(t.elapsed());
        }
        report(&format!("{name} ({} rows avg)", rows / samples.len()), samples);
    }
}
