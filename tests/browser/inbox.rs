//! An agent's day in the web inbox: signing in, one list over every marketplace, live
//! messages, replies with their delivery, a reply the rules refuse, a transfer between
//! two open pages, the page as the agent's connection, and a keyboard-only flow.

use crate::support::*;
use serde_json::Value;
use shopmux::config::{Config, RawConfig};
use shopmux::demo::{DemoHandle, DemoOptions, start_demo};
use shopmux_core::{Clock, ManualClock};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One browser test's world: its turn at the browser, chromedriver, and the demo on a
/// temporary SQLite file. None when the browser is not installed (the test passes).
pub struct World {
    pub browser: Browser,
    pub demo: DemoHandle,
    _tmp: tempfile::TempDir,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// The world of a test, the demo's daemon on `clock` (the system's when none).
pub async fn world(clock: Option<Arc<dyn Clock>>) -> Option<World> {
    world_configured(clock, |_| {}).await
}

/// The world of a test whose daemon's configuration `configure` adjusts first.
pub async fn world_configured(
    clock: Option<Arc<dyn Clock>>, configure: impl FnOnce(&mut Config),
) -> Option<World> {
    let turn = ONE_AT_A_TIME.lock().await;
    let browser = Browser::start().await?;
    let tmp = tempfile::tempdir().unwrap();
    let demo = demo(tmp.path(), clock, configure).await;
    Some(World { browser, demo, _tmp: tmp, _turn: turn })
}

impl World {
    /// Stops the demo (the browser and the temporary files go with the world).
    pub async fn stop(self) {
        self.demo.stop().await.expect("the demo stops");
    }
}

/// The demo on a free port and a SQLite file in `dir`, its buyers writing briskly.
async fn demo(
    dir: &std::path::Path, clock: Option<Arc<dyn Clock>>, configure: impl FnOnce(&mut Config),
) -> DemoHandle {
    let mut raw = RawConfig::default();
    raw.server.bind = "127.0.0.1:0".into();
    raw.database.url = format!("sqlite://{}/shopmux.db", dir.display());
    let mut config: Config = raw.validate().expect("a valid configuration");
    configure(&mut config);
    let mut options = DemoOptions { pace: Duration::from_millis(400), ..Default::default() };
    if let Some(clock) = clock {
        options.clock = clock;
    }
    start_demo(&config, options).await.expect("the demo starts")
}

/// A GET of the API with the owner's token.
pub async fn owner_get(demo: &DemoHandle, path: &str) -> Value {
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1{path}", demo.base_url))
        .bearer_auth(&demo.owner_token)
        .send()
        .await
        .expect("the API answers");
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.expect("JSON")
}

/// A write of the API with the owner's token.
pub async fn owner_send(
    demo: &DemoHandle, method: reqwest::Method, path: &str, body: Value,
) -> Value {
    let response = reqwest::Client::new()
        .request(method, format!("{}/api/v1{path}", demo.base_url))
        .bearer_auth(&demo.owner_token)
        .json(&body)
        .send()
        .await
        .expect("the API answers");
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    assert!(status.is_success(), "{path}: {status} {body}");
    body
}

/// Waits until `found` returns something, asking the API every 200 ms.
pub async fn eventually<T, F, Fut>(what: &str, mut found: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = found().await {
            return value;
        }
        assert!(Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn reply_in(page: &Page, row: &str, text: &str) {
    page.open_row(row).await;
    page.find("#reply:not([disabled])").await;
    page.type_into("#reply", text).await;
    page.type_into("#reply", key::ENTER).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_owner_signs_in_sees_every_marketplace_live_and_each_reply_shows_its_delivery() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.find(".rows .row").await;
    page.eval("window.__sameDocument = true; return true").await;

    // One list over every marketplace, filled live.
    page.until(
        "conversations of all four marketplaces in one list",
        r#"return ['tiktok','douyin','aliexpress','shopify'].every(p => document.querySelector(`.rows .row[data-platform="${p}"]`))"#,
    )
    .await;
    let before = page.eval("return [...document.querySelectorAll('.row')].map(r => r.id + r.textContent).join('|')").await;
    page.until(
        "a buyer's message changes the list without a reload",
        &format!("return window.__sameDocument && [...document.querySelectorAll('.row')].map(r => r.id + r.textContent).join('|') !== {before}"),
    )
    .await;
    // rule: TT-WIN-1 — an unreplied TikTok chat counts down to its automatic end.
    let timer = page
        .until(
            "an automatic close counting down",
            r#"return document.querySelector('.row[data-platform="tiktok"] .timer')?.title"#,
        )
        .await;
    assert_eq!(timer, "TT-WIN-1");
    page.screenshot("docs/inbox.png").await;

    // TikTok: the reply reaches the simulator (which checked its signature) and shows
    // delivered.
    let text = "Thanks! It ships today from the browser.";
    reply_in(&page, r#".rows .row[data-platform="tiktok"]"#, text).await;
    let open = page.eval("return document.querySelector('.row.selected').dataset.id").await;
    let open = open.as_str().unwrap().to_owned();
    eventually("the TikTok reply delivered (API)", || async {
        let page = owner_get(demo, &format!("/conversations/{open}/messages?limit=200")).await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let mine = items.iter().find(|m| m["content"]["text"] == text)?;
        eprintln!("{mine}");
        (mine["delivery_status"] == "delivered").then_some(())
    })
    .await;
    page.until("the TikTok reply shows delivered", &format!(
        r#"return [...document.querySelectorAll('.msg.out[data-delivery="delivered"]')].some(m => m.textContent.includes({text:?}))"#
    )).await;
    let sent = demo.simulators.tiktok.sent_messages();
    assert!(sent.iter().any(|m| m.content.contains(text)), "the simulator never got it: {sent:?}");
    page.find(".bench-part .orders, .bench-part .kv").await;
    page.screenshot("docs/workbench.png").await;

    // Douyin: no chat API; the reply shows failed, with the reason in words.
    reply_in(&page, r#".rows .row[data-platform="douyin"]"#, "您好，已为您安排退货。").await;
    let error = page
        .until(
            "the Douyin reply shows failed with its reason",
            r#"
            const failed = document.querySelector('.msg.out[data-delivery="failed"]');
            return failed && failed.querySelector('.delivery-error').textContent"#,
        )
        .await;
    assert!(error.as_str().unwrap().contains("Feige"), "{error}");
    assert!(
        page.eval("return !!document.querySelector('.msg.out[data-delivery=\"failed\"] button')")
            .await
            .as_bool()
            .unwrap(),
        "a retry button"
    );

    // The main account's settings: shops, connections, agents.
    page.click(r#".menu [data-view="settings"]"#).await;
    page.click(".settings-part details summary").await;
    page.find(".settings-sub textarea").await;
    page.screenshot("docs/settings.png").await;

    page.close().await;
    w.stop().await;
}

// rule: TT-WIN-2
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conversation_past_tt_win_2_shows_the_reply_box_disabled_with_the_rule_and_date() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let Some(w) = world(Some(clock.clone())).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let id = eventually("a TikTok conversation", || async {
        let page = owner_get(demo, "/conversations?platform=tiktok&limit=1").await;
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    owner_send(demo, reqwest::Method::POST, &format!("/conversations/{id}/close"), Value::Null)
        .await;
    clock.advance(chrono::Duration::days(31));

    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.click(r#".tab[data-tab="closed"]"#).await;
    page.open_row(&format!("#row-{id}")).await;
    let reply = page.find("#reply").await;
    assert!(!reply.is_enabled().await.unwrap(), "the reply box is disabled before typing");
    let notice = page.find(".reply.blocked .reply-notice").await.text().await.unwrap();
    assert!(notice.contains("TT-WIN-2"), "{notice}");
    let closed_at = page.find(".reply-notice .closed-at").await.text().await.unwrap();
    assert!(closed_at.chars().any(|c| c.is_ascii_digit()), "the date the window closed: {notice}");
    page.screenshot("docs/refused-reply.png").await;
    page.close().await;
    w.stop().await;
}

async fn presence_of(demo: &DemoHandle, nickname: &str) -> Value {
    let team = owner_get(demo, "/team/presence").await;
    team.as_array()
        .unwrap()
        .iter()
        .find(|p| p["nickname"] == nickname)
        .cloned()
        .expect("in the team")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transfer_by_nickname_reaches_the_open_page_live_and_closing_a_page_disconnects() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let (olivia, marta) = (demo.agent("olivia"), demo.agent("marta"));
    let olivia_page = browser.page().await;
    olivia_page.sign_in(&demo.base_url, &olivia.login, &olivia.password).await;
    let marta_page = browser.page().await;
    marta_page.sign_in(&demo.base_url, &marta.login, &marta.password).await;
    for nickname in ["olivia", "marta"] {
        eventually("both pages connected", || async {
            presence_of(demo, nickname).await["connected"].as_bool().filter(|c| *c)
        })
        .await;
    }

    // A conversation of a shop both may chat in, held by olivia.
    let aliexpress = demo.shop("aliexpress", None).unwrap().id.clone();
    let id = eventually("an AliExpress conversation", || async {
        let page = owner_get(demo, &format!("/conversations?shop_id={aliexpress}&limit=1")).await;
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    let olivia_id = presence_of(demo, "olivia").await["agent_id"].as_str().unwrap().to_owned();
    let state = owner_get(demo, &format!("/conversations/{id}")).await;
    if state["conversation"]["assignee_id"] != olivia_id.as_str() {
        let path = format!(
            "/conversations/{id}/{}",
            if state["conversation"]["assignee_id"].is_null() { "assign" } else { "transfer" }
        );
        owner_send(demo, reqwest::Method::POST, &path, serde_json::json!({"nickname": "olivia"}))
            .await;
    }
    olivia_page.open_row(&format!("#row-{id}")).await;
    olivia_page.type_into(".transfer input", &format!("marta{}", key::ENTER)).await;
    marta_page.find(&format!(".rows #row-{id}")).await;
    olivia_page
        .until(
            "the row leaves olivia's list",
            &format!("return !document.getElementById('row-{id}')"),
        )
        .await;

    // Closing marta's page disconnects her: automatic assignment stops picking her.
    marta_page.close().await;
    eventually("marta disconnected", || async {
        let p = presence_of(demo, "marta").await;
        (p["connected"] == false && p["available"] == false).then_some(())
    })
    .await;
    let closed_at = chrono::Utc::now();
    let spanish = demo.shop("tiktok", Some("ES")).unwrap().id.clone();
    let later = eventually("a new conversation in marta's only shop", || async {
        let page = owner_get(demo, &format!("/conversations?shop_id={spanish}&limit=50")).await;
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                c["created_at"]
                    .as_str()
                    .and_then(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok())
                    .is_some_and(|t| t > closed_at)
            })
            .cloned()
    })
    .await;
    assert!(later["assignee_id"].is_null(), "assigned to a closed page: {later}");
    olivia_page.close().await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_opens_replies_and_ends_with_the_keyboard_alone() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let olivia = demo.agent("olivia");
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &olivia.login, &olivia.password).await;
    // Olivia's page is open: the router hands her conversations, and the tab's title
    // counts their unread messages.
    page.find(".rows .row").await;
    page.until("the unread count in the title", r"return /^\(\d+\) shopmux$/.test(document.title)")
        .await;
    page.keys("i").await;
    page.keys(key::DOWN).await;
    page.keys(key::ENTER).await;
    let id = page.until("a conversation open", "return document.querySelector('.chat-head') && document.querySelector('.row.selected').dataset.id").await;
    let id = id.as_str().unwrap().to_owned();
    page.find("#reply:not([disabled])").await;
    page.keys("r").await;
    assert_eq!(page.eval("return document.activeElement.id").await, "reply");
    let text = "Typed without a mouse.";
    page.keys(text).await;
    page.keys(key::ENTER).await;
    page.until("the reply in the chat", &format!(
        "return [...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes({text:?}))"
    )).await;
    page.keys(key::ESCAPE).await;
    assert_eq!(page.eval("return document.activeElement.classList.contains('rows')").await, true);
    page.keys("E").await;
    eventually("the conversation ended", || async {
        let c = owner_get(demo, &format!("/conversations/{id}")).await;
        (c["conversation"]["state"] == "ended").then_some(())
    })
    .await;
    page.close().await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_who_chooses_chinese_keeps_it_on_the_next_visit() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let wei = demo.agent("wei");
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &wei.login, &wei.password).await;
    page.find(".rows").await;
    page.click(r#".menu [data-view="settings"]"#).await;
    page.select(".settings-part select", "zh").await;
    page.until("the page in Chinese", "return document.documentElement.lang === 'zh-CN' && document.querySelector('.menu [data-view=\"inbox\"]')?.textContent").await;
    page.goto(&format!("{}/", demo.base_url)).await;
    let inbox = page
        .until(
            "still Chinese after a new visit",
            "return document.querySelector('.menu [data-view=\"inbox\"]')?.textContent",
        )
        .await;
    assert_eq!(inbox, "收件箱");
    page.close().await;
    w.stop().await;
}

// rule: SH-DISC-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopify_chat_shows_how_the_reply_travels_and_shares_an_active_discount_code() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.open_row(r#".rows .row[data-platform="shopify"]"#).await;
    let route = page
        .until(
            "how the reply travels",
            "return document.querySelector('.chat-head .route')?.textContent",
        )
        .await;
    let route = route.as_str().unwrap();
    assert!(["chat", "email", "reach"].iter().any(|w| route.contains(w)), "{route}");
    page.find("#reply:not([disabled])").await;
    page.click(r#".reply-tools [data-tool="coupon"]"#).await;
    page.client.send_alert_text(&demo.discount_code).await.expect("the code prompt");
    page.client.accept_alert().await.expect("the code prompt closes");
    let code = demo.discount_code.clone();
    page.until("the coupon card in the chat", &format!(
        r#"return [...document.querySelectorAll('.msg.out [data-card="coupon"]')].some(c => c.textContent.includes({code:?}))"#
    )).await;
    page.close().await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_header_flags_marks_unread_closes_and_reopens() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    let id = page.open_row(r#".rows .row[data-platform="aliexpress"]"#).await;
    let state = |field: &'static str| {
        let id = id.clone();
        async move {
            owner_get(demo, &format!("/conversations/{id}")).await["conversation"][field].clone()
        }
    };
    page.select(".chat-actions select", "green").await;
    eventually("flagged green", || async { (state("flag").await == "green").then_some(()) }).await;
    page.click(r#".chat-actions [data-action="unread"]"#).await;
    eventually("marked unread", || async {
        (state("unread_count").await.as_i64() > Some(0)).then_some(())
    })
    .await;
    page.click(r#".chat-actions [data-action="close"]"#).await;
    eventually("closed", || async { (state("state").await == "closed").then_some(()) }).await;
    page.click(r#".chat-actions [data-action="reopen"]"#).await;
    eventually("reopened", || async { (state("state").await != "closed").then_some(()) }).await;
    page.close().await;
    w.stop().await;
}
