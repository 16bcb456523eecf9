//! The web inbox over a long day: the demo's buyers writing for an hour into an open
//! inbox tab (the main account, its list open on "All open" with a conversation open),
//! sampling the tab's JavaScript heap after a garbage collection every minute. The
//! heap at the end should be no more than twice the heap after five minutes.
//!
//! Run: `cargo run --release --example web_soak [-- --minutes 60]` (needs Debian's
//! `chromium` and `chromium-driver`).

#[allow(dead_code)]
#[path = "../tests/browser/support.rs"]
mod support;

use shopmux::config::RawConfig;
use shopmux::demo::{DemoOptions, start_demo};
use std::time::{Duration, Instant};
use support::{Browser, Page};

fn minutes() -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.windows(2).find(|w| w[0] == "--minutes").and_then(|w| w[1].parse().ok()).unwrap_or(60)
}

/// The live heap after a full collection, in bytes; and how many rows and bubbles the
/// page holds.
async fn sample(page: &Page) -> (f64, u64, u64) {
    let v = page
        .eval(
            "window.gc && window.gc(); return [performance.memory.usedJSHeapSize, \
             document.querySelectorAll('.row').length, document.querySelectorAll('.msg').length]",
        )
        .await;
    (v[0].as_f64().unwrap_or(0.0), v[1].as_u64().unwrap_or(0), v[2].as_u64().unwrap_or(0))
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let total = minutes();
    let Some(browser) = Browser::start().await else {
        anyhow::bail!("install Debian's chromium and chromium-driver first");
    };
    let tmp = tempfile::tempdir()?;
    let mut raw = RawConfig::default();
    raw.server.bind = "127.0.0.1:0".into();
    raw.database.url = format!("sqlite://{}/shopmux.db", tmp.path().display());
    let config = raw.validate().map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let demo = start_demo(&config, DemoOptions::default()).await?;
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.click(".rows .row").await;
    let started = Instant::now();
    let mut at_five = None;
    println!("minute  heap (MB)  rows  messages");
    for minute in 1..=total {
        tokio::time::sleep_until((started + Duration::from_secs(60 * minute)).into()).await;
        let (heap, rows, messages) = sample(&page).await;
        println!("{minute:>6}  {:>9.1}  {rows:>4}  {messages:>8}", heap / 1e6);
        if minute == 5.min(total) {
            at_five = Some(heap);
        }
    }
    let (end, _, _) = sample(&page).await;
    if let Some(five) = at_five {
        println!("heap at the end / after 5 minutes: ×{:.2} (goal: at most ×2)", end / five);
    }
    page.close().await;
    demo.stop().await?;
    Ok(())
}
