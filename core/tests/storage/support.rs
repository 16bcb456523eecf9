//! Test support: a fresh store per test on every backend available — a SQLite file in
//! a temporary directory always, and a PostgreSQL schema of its own when
//! `SHOPMUX_TEST_POSTGRES_URL` is set (tests never share a database, so they run in
//! parallel). Without that variable the PostgreSQL half prints a notice and is skipped.

use chrono::{DateTime, Utc};
use shopmux_contract::adapter::Adapter;
use shopmux_contract::content::MessageContent;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::{ConversationId, ShopId};
use shopmux_core::domain::inbound::{InboundBuyer, InboundMessage, IngestOutcome};
use shopmux_core::domain::listing::ConversationQuery;
use shopmux_core::domain::model::{Conversation, Message, Platform, ShopGrant};
use shopmux_core::domain::shop_settings::IngestShop;
use shopmux_core::domain::translation::TranslationSettings;
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::services::accounts::{AgentWithToken, NewAgent};
use shopmux_core::services::reading::ConversationPage;
use shopmux_core::services::shops::NewShop;
use shopmux_core::services::translation::simulator::SimulatorProvider;
use shopmux_core::services::translation::{TranslationOptions, TranslationProvider};
use shopmux_core::{
    Clock, CoreError, CoreResult, Inbox, InboxOptions, ManualClock, Registry, Store, StoreOptions,
};
use std::sync::Arc;

/// One backend's fresh inbox for a test.
pub struct TestInbox {
    pub name: &'static str,
    #[allow(dead_code)]
    pub url: String,
    pub inbox: Arc<Inbox>,
    pub clock: Arc<ManualClock>,
    _dir: Option<tempfile::TempDir>,
}

impl TestInbox {
    /// A page of the conversation list.
    pub async fn list(&self, viewer: &Viewer, q: ConversationQuery) -> ConversationPage {
        self.inbox.list_conversations(viewer, &q).await.expect("list")
    }

    /// What a call accepted (`what` names the call, should it have been refused).
    fn accepted<T>(&self, what: &str, result: CoreResult<T>) -> T {
        result.unwrap_or_else(|e| panic!("{}: {what}: {e}", self.name))
    }

    /// Ingests a buyer message, which must be accepted.
    pub async fn ingest(&self, shop: &IngestShop, message: InboundMessage) -> IngestOutcome {
        let outcome = self.inbox.ingest(shop.clone(), message).await;
        self.accepted("ingest", outcome)
    }

    /// The conversation an accepted buyer message lands in.
    pub async fn conversation_of(
        &self, shop: &IngestShop, message: InboundMessage,
    ) -> ConversationId {
        self.ingest(shop, message).await.conversation_id
    }

    /// A conversation as `viewer` sees it, which must be visible to them.
    pub async fn conversation(&self, viewer: &Viewer, id: ConversationId) -> Conversation {
        let seen = self.inbox.conversation(viewer, id).await;
        self.accepted("conversation", seen)
    }

    /// Applies a change to a conversation, which must be accepted.
    pub async fn change(
        &self, viewer: &Viewer, id: ConversationId, change: Change,
    ) -> Conversation {
        let changed = self.inbox.change(viewer, id, change).await;
        self.accepted("change", changed)
    }

    /// Replies with a text, which must be accepted.
    pub async fn reply_text(&self, viewer: &Viewer, id: ConversationId, text: &str) -> Message {
        let reply = self.inbox.reply(viewer, id, say(text)).await;
        self.accepted("reply", reply)
    }

    /// Sets the clock to `at` and runs the timers due by then; how many changed a
    /// conversation.
    pub async fn run_timers_at(&self, at: DateTime<Utc>) -> usize {
        self.clock.set(at);
        let ran = self.inbox.run_timers().await;
        self.accepted("run timers", ran)
    }

    /// Asserts that the counters kept for a shop equal a full recount. The two are read
    /// apart: a background change (the router assigning) landing between them moves the
    /// kept counters too, so the pair is read again until the kept ones stood still.
    pub async fn assert_counters_match(&self, shop: ShopId) {
        for _ in 0..20 {
            let kept = self.inbox.stored_counters(shop).await.unwrap();
            let recount = self.inbox.recount(shop).await.unwrap();
            if kept == recount {
                return;
            }
            if kept == self.inbox.stored_counters(shop).await.unwrap() {
                break; // nothing moved meanwhile: a real drift
            }
        }
        assert_eq!(
            self.inbox.stored_counters(shop).await.unwrap(),
            self.inbox.recount(shop).await.unwrap(),
            "{}: maintained counters drifted from the conversations",
            self.name
        );
    }
}

/// Asserts that `result` was refused as invalid at `field`, saying `says`.
pub fn assert_invalid<T: std::fmt::Debug>(result: CoreResult<T>, field: &str, says: &str) {
    match result {
        Err(CoreError::Invalid { field: f, message }) if f == field => {
            assert!(message.contains(says), "{field}: {message}");
        }
        other => panic!("expected {field} refused as invalid: {other:?}"),
    }
}

/// Asserts that `result` was refused by the platform rule `rule` (`why`: the case).
pub fn assert_rule<T: std::fmt::Debug>(result: CoreResult<T>, rule: &str, why: &str) {
    match result {
        Err(CoreError::RuleViolation(r)) => assert_eq!(r.rule, rule, "{why}"),
        other => panic!("{why}: expected a refusal by {rule}: {other:?}"),
    }
}

/// A list query: the defaults with `set`'s changes.
pub fn query(set: impl FnOnce(&mut ConversationQuery)) -> ConversationQuery {
    let mut q = ConversationQuery::default();
    set(&mut q);
    q
}

/// A text reply's content.
pub fn say(text: &str) -> MessageContent {
    MessageContent::Text { text: text.into() }
}

/// A new sub-account of `owner` (capacity `None`: the default) with `shops`.
pub async fn create_agent(
    inbox: &Inbox, owner: &Viewer, nickname: &str, capacity: Option<i64>, shops: Vec<ShopGrant>,
) -> CoreResult<AgentWithToken> {
    let agent = NewAgent {
        nickname: nickname.into(),
        role: None,
        capacity,
        shops,
        login: None,
        password: None,
    };
    inbox.create_agent(owner, agent).await
}

/// A grant of `shop`, with or without chat permission.
pub fn grant(shop: ShopId, can_chat: bool) -> Vec<ShopGrant> {
    vec![ShopGrant { shop_id: shop, can_chat }]
}

/// The PostgreSQL URL for tests, if configured.
pub fn postgres_url() -> Option<String> {
    std::env::var("SHOPMUX_TEST_POSTGRES_URL").ok().filter(|u| !u.is_empty())
}

/// A fresh schema on the test PostgreSQL, as a URL selecting it.
pub async fn postgres_schema_url(base: &str) -> String {
    use sqlx::Connection;
    let schema = format!("t_{}", uuid::Uuid::now_v7().simple());
    let mut conn = sqlx::PgConnection::connect(base).await.unwrap_or_else(|e| {
        panic!("SHOPMUX_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {e}")
    });
    drop_stale_schemas(&mut conn).await;
    sqlx::Executor::execute(&mut conn, sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .await
        .expect("create schema");
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

/// Drops test schemas left by runs more than an hour ago (their names carry a UUIDv7,
/// so their age is known), so the test database does not grow run after run.
async fn drop_stale_schemas(conn: &mut sqlx::PgConnection) {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT nspname::text FROM pg_namespace WHERE nspname LIKE 't\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for name in names {
        let Ok(id) = uuid::Uuid::parse_str(&name[2..]) else {
            continue;
        };
        let Some(ts) = id.get_timestamp() else {
            continue;
        };
        let (secs, nanos) = ts.to_unix();
        let created = std::time::UNIX_EPOCH + std::time::Duration::new(secs, nanos);
        if created < hour_ago {
            let _ = sqlx::Executor::execute(
                &mut *conn,
                sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {name} CASCADE")),
            )
            .await;
        }
    }
}

/// A fresh inbox on every available backend.
pub async fn inboxes() -> Vec<TestInbox> {
    on_every_backend(Vec::new, true).await
}

/// A host for adapters in tests: no network, no state.
pub use shopmux_contract::NoHost;

/// The built-in adapters, with `replacing` standing in for those of their platforms.
pub fn registry(replacing: Vec<Arc<dyn Adapter>>) -> Registry {
    let builtin: Vec<Arc<dyn Adapter>> = vec![
        Arc::new(shopmux_adapter_api::ApiChannel),
        Arc::new(shopmux_adapter_tiktok::adapter::TikTok),
        Arc::new(shopmux_adapter_douyin::adapter::Douyin),
        Arc::new(shopmux_adapter_aliexpress::AliExpress),
        Arc::new(shopmux_adapter_shopify::adapter::Shopify),
    ];
    let mut registry = Registry::default();
    let replaced: Vec<String> = replacing.iter().map(|a| a.platform().to_string()).collect();
    let kept = builtin.into_iter().filter(|a| !replaced.contains(&a.platform().to_string()));
    for adapter in replacing.into_iter().chain(kept) {
        registry.register(adapter, Arc::new(NoHost)).expect("one adapter per platform");
    }
    registry
}

/// A fresh inbox on every available backend, each with the adapters `adapters` makes
/// standing in for the built-in ones of their platforms, and no background delivery
/// (the test runs the outbox passes itself).
pub async fn inboxes_with(adapters: impl Fn() -> Vec<Arc<dyn Adapter>>) -> Vec<TestInbox> {
    on_every_backend(adapters, false).await
}

async fn on_every_backend(
    adapters: impl Fn() -> Vec<Arc<dyn Adapter>>, background_delivery: bool,
) -> Vec<TestInbox> {
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let none = TranslationOptions::default;
    out.push(open("sqlite", &url, Some(dir), adapters(), background_delivery, none()).await);
    match postgres_url() {
        Some(base) => {
            let url = postgres_schema_url(&base).await;
            out.push(open("postgres", &url, None, adapters(), background_delivery, none()).await);
        }
        None => eprintln!("notice: SHOPMUX_TEST_POSTGRES_URL is not set; PostgreSQL cases skipped"),
    }
    out
}

async fn open(
    name: &'static str, url: &str, dir: Option<tempfile::TempDir>, adapters: Vec<Arc<dyn Adapter>>,
    background_delivery: bool, translation: TranslationOptions,
) -> TestInbox {
    let store = Store::open(&StoreOptions::new(url))
        .await
        .unwrap_or_else(|e| panic!("{name}: open store: {e}"));
    let clock = Arc::new(ManualClock::at_epoch_2026());
    let options = InboxOptions {
        registry: registry(adapters),
        routing_seed: Some(7),
        background_delivery,
        translation,
        ..Default::default()
    };
    let inbox = Inbox::start(store, clock.clone() as Arc<dyn Clock>, options);
    TestInbox { name, url: url.to_owned(), inbox, clock, _dir: dir }
}

/// Two daemons' inboxes on one fresh PostgreSQL schema (none without PostgreSQL).
#[allow(dead_code)]
pub async fn postgres_pair() -> Option<(TestInbox, TestInbox)> {
    let Some(base) = postgres_url() else {
        eprintln!("notice: SHOPMUX_TEST_POSTGRES_URL is not set; PostgreSQL case skipped");
        return None;
    };
    let url = postgres_schema_url(&base).await;
    let none = TranslationOptions::default;
    let a = open("postgres A", &url, None, vec![], true, none()).await;
    let b = open("postgres B", &url, None, vec![], true, none()).await;
    // Each hears the other from its listener's first read of the log on: what was
    // appended before is not delivered (a daemon starting does not replay the log).
    for t in [&a, &b] {
        let mut listening = t.inbox.live_listening().expect("a listener on PostgreSQL");
        tokio::time::timeout(std::time::Duration::from_secs(10), listening.wait_for(|on| *on))
            .await
            .expect("the live-event listener starts")
            .expect("listening");
    }
    Some((a, b))
}

/// A fresh inbox on every backend translating with a simulator of its own (beside it,
/// to count its calls) within `budget` characters per seller and month; no background
/// workers: the test runs the translation passes itself.
pub async fn inboxes_translating(budget: Option<u64>) -> Vec<(TestInbox, Arc<SimulatorProvider>)> {
    let options = |sim: &Arc<SimulatorProvider>| TranslationOptions {
        settings: TranslationSettings { seller_monthly_chars: budget, ..Default::default() },
        provider: Some(sim.clone() as Arc<dyn TranslationProvider>),
    };
    let mut out = Vec::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}/test.db", dir.path().display());
    let sim = Arc::new(SimulatorProvider::new());
    out.push((open("sqlite", &url, Some(dir), vec![], false, options(&sim)).await, sim));
    if let Some(base) = postgres_url() {
        let url = postgres_schema_url(&base).await;
        let sim = Arc::new(SimulatorProvider::new());
        out.push((open("postgres", &url, None, vec![], false, options(&sim)).await, sim));
    }
    out
}

/// An owner with one `api` shop.
pub struct Seller {
    #[allow(dead_code)]
    pub owner: AgentWithToken,
    pub viewer: Viewer,
    pub shop: IngestShop,
}

pub async fn seller(inbox: &Inbox, name: &str) -> Seller {
    seller_on(inbox, name, "api").await
}

/// An owner with one shop of `platform`.
pub async fn seller_on(inbox: &Inbox, name: &str, platform: &str) -> Seller {
    let owner = inbox.create_owner(name).await.expect("owner");
    let shop = inbox
        .create_shop(
            &viewer(inbox, &owner.token).await,
            NewShop {
                platform: Platform::new(platform).unwrap(),
                external_id: format!("{name}-shop"),
                region: Some("PL".into()),
                name: format!("{name} shop"),
                settings: None,
            },
        )
        .await
        .expect("shop");
    let viewer = viewer(inbox, &owner.token).await;
    let shop = inbox.ingest_shop(shop.shop.id).await.expect("ingest shop").expect("exists");
    Seller { owner, viewer, shop }
}

/// A text message from a buyer (whose nickname is its id).
pub fn text(buyer: &str, id: &str, text: &str) -> InboundMessage {
    let mut m = text_without_nickname(buyer, id, text);
    m.buyer.nickname = Some(buyer.to_owned());
    m
}

/// A buyer with a nickname.
pub fn buyer(external_id: &str, nickname: &str) -> InboundBuyer {
    InboundBuyer {
        external_id: external_id.into(),
        nickname: Some(nickname.into()),
        language: None,
        email: None,
        platform_conversation_id: None,
    }
}

/// A text message from a buyer whose nickname the platform did not send.
pub fn text_without_nickname(buyer: &str, id: &str, text: &str) -> InboundMessage {
    serde_json::from_value(serde_json::json!({
        "buyer": {"external_id": buyer},
        "platform_message_id": id,
        "content": {"type": "text", "text": text},
    }))
    .expect("valid message")
}

/// A second engine on the same database (PostgreSQL: another daemon sharing it).
#[allow(dead_code)]
pub async fn second_engine(t: &TestInbox) -> Arc<Inbox> {
    let store = Store::open(&StoreOptions::new(&t.url)).await.expect("second store");
    let options = InboxOptions {
        registry: registry(Vec::new()),
        routing_seed: Some(8),
        ..Default::default()
    };
    Inbox::start(store, t.clock.clone() as Arc<dyn Clock>, options)
}

/// A sub-account with chat permission in `shops`, and its viewer.
#[allow(dead_code)]
pub async fn sub_account(
    inbox: &Inbox, owner: &Viewer, nickname: &str, capacity: i64, shops: &[ShopId],
) -> Viewer {
    let grants = shops.iter().flat_map(|s| grant(*s, true)).collect();
    let created =
        create_agent(inbox, owner, nickname, Some(capacity), grants).await.expect("sub-account");
    viewer(inbox, &created.token).await
}

/// The viewer a token authenticates.
pub async fn viewer(inbox: &Inbox, token: &str) -> Viewer {
    inbox.authenticate(token).await.expect("auth").expect("viewer")
}

/// Puts an account online with a live stream open (available for assignment).
#[allow(dead_code)]
pub async fn go_online(inbox: &Inbox, viewer: &Viewer) -> String {
    let session = inbox.open_session(&viewer.agent).await.expect("session");
    inbox
        .set_status(viewer, shopmux_core::domain::model::AgentStatus::Online)
        .await
        .expect("online");
    session
}
