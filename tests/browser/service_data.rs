//! Service data in the web inbox (issue 17): the reception data panel shows the agent's
//! own figures and changes after the agent replies (pushed on the live stream); the main
//! account's Service data page draws a chart from the daily series and lists ratings
//! filtered by agent (the demo's customer rates the agent who answered them).

use crate::inbox::{eventually, owner_get, owner_send};
use crate::support::*;
use serde_json::json;
use shopmux::config::{Config, RawConfig};
use shopmux::demo::{DemoOptions, start_demo};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reception_panel_changes_after_a_reply_and_the_page_charts_and_filters_ratings() {
    // rule: DY-QA-1 (the agent's figures, per day, in the reception data panel)
    // rule: DY-QA-3 (every rating listed, filtered by agent)
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start().await else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut raw = RawConfig::default();
    raw.server.bind = "127.0.0.1:0".into();
    raw.database.url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let config: Config = raw.validate().expect("a valid configuration");
    let options = DemoOptions { pace: Duration::from_millis(400), ..Default::default() };
    let demo = start_demo(&config, options).await.expect("the demo starts");
    let douyin = demo.shops.iter().find(|s| s.platform == "douyin").expect("a Douyin shop");
    let douyin = douyin.id.clone();

    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.click(".menu [data-view=\"data\"]").await;
    let panel = format!(
        ".my-service-data tr[data-kind=\"average_response_time\"][data-shop=\"{douyin}\"] \
         td:nth-child(5)"
    );
    let before = page
        .until(
            "the agent's own figures",
            &format!("return document.querySelector('{panel}')?.textContent"),
        )
        .await;

    // A Douyin buyer waits; the main account answers through the API. The daemon's
    // figure changes (asked through the API); the panel shows the new one, pushed. (A
    // buyer listed as waiting whose wait is no reply's to end — the list and the reply
    // race with the demo — is reported, and another is tried.)
    let mine = || async {
        let report = owner_get(&demo, "/me/service-data?period=day").await;
        fraction(&report, &douyin)
    };
    let at_first = mine().await;
    let mut answered = None;
    for _ in 0..3 {
        let waiting = eventually("a waiting Douyin buyer", || async {
            let list = owner_get(&demo, "/conversations?status=open&limit=100").await;
            list["items"].as_array()?.iter().find_map(|c| {
                (c["shop_id"] == douyin.as_str() && !c["waiting_since"].is_null())
                    .then(|| c["id"].as_str().map(str::to_owned))
                    .flatten()
            })
        })
        .await;
        owner_send(
            &demo,
            reqwest::Method::POST,
            &format!("/conversations/{waiting}/messages"),
            json!({"content": {"type": "text", "text": "Here to help!"}}),
        )
        .await;
        let conversation = owner_get(&demo, &format!("/conversations/{waiting}")).await;
        let now = mine().await;
        if now != at_first {
            answered = Some(now);
            break;
        }
        eprintln!("a reply left the figure at {now:?}: {conversation}");
    }
    let now = answered.expect("a reply to a waiting buyer changes the agent's response count");
    assert_ne!(now, before.as_str().map(str::to_owned), "the panel showed the figure before");
    let shown = format!(
        "const v = document.querySelector('{panel}')?.textContent; return v === {} ? v : null",
        json!(now)
    );
    page.until("the panel showing the new response count, pushed", &shown).await;

    // The main account's page: a chart drawn from the data, and the rating list filtered
    // by agent.
    page.until(
        "the chart of the daily series",
        "return document.querySelector('svg.service-chart polyline')?.getAttribute('points')",
    )
    .await;
    // A demo customer rated the store's agent who answered them (the demo's script);
    // the list filtered by that agent shows their rating, and only that agent's.
    let rated = eventually("a demo rating naming an agent", || async {
        let ratings = owner_get(&demo, "/ratings?limit=50").await;
        ratings["items"].as_array()?.iter().find_map(|r| r["agent_id"].as_str().map(str::to_owned))
    })
    .await;
    page.until(
        "the agent among the filter's choices",
        &format!(
            "return document.querySelector('select[name=rating_agent] option[value=\"{rated}\"]')"
        ),
    )
    .await;
    page.eval(&format!(
        "const s = document.querySelector('select[name=rating_agent]'); s.value = '{rated}'; \
         s.dispatchEvent(new Event('change')); return true"
    ))
    .await;
    page.until(
        "the rating list filtered by the agent, with their rating",
        &format!(
            "const rows = [...document.querySelectorAll('.rating-list tbody tr')]; \
             return rows.length > 0 && rows.every(r => r.dataset.agent === '{rated}')"
        ),
    )
    .await;
    page.close().await;
    demo.stop().await.expect("the demo stops");
}

/// The numerator / denominator of a shop's average response time in a report, as the
/// panel writes it.
fn fraction(report: &serde_json::Value, shop: &str) -> Option<String> {
    let row = report["rows"].as_array()?.iter().find(|r| r["shop_id"] == shop)?;
    let f = row["figures"].as_array()?.iter().find(|f| f["kind"] == "average_response_time")?;
    Some(format!("{} / {}", f["numerator"], f["denominator"]))
}
