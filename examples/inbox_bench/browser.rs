//! The web inbox measured in the browser (Performance API, headless chromium) over the
//! benchmark's data: from submitting the sign-in form to the first list painted, from
//! clicking a conversation to its messages painted, and the JavaScript and CSS the page
//! loads.

#[allow(dead_code)]
#[path = "../../tests/browser/support.rs"]
mod support;

use shopmux::api::{AppState, router};
use shopmux_core::Inbox;
use shopmux_core::domain::sign_in::Password;
use shopmux_core::services::accounts::{AgentWithToken, NewOwner};
use std::net::SocketAddr;
use std::sync::Arc;
use support::{Browser, Page};

const LOGIN: &str = "bench";
const PASSWORD: &str = "bench-password";

/// The benchmark's main account, with a login for the browser.
pub async fn owner(inbox: &Inbox) -> AgentWithToken {
    inbox.release_login(LOGIN).await.unwrap();
    let owner = NewOwner {
        name: "bench".into(),
        login: Some(LOGIN.into()),
        password: Some(Password(PASSWORD.into())),
    };
    inbox.create_owner_with(owner).await.unwrap()
}

/// Signs the bench owner in again (`--reuse`); its web session token.
pub async fn sign_in(inbox: &Inbox) -> String {
    let signed = inbox.sign_in(LOGIN, Password(PASSWORD.into())).await.unwrap();
    signed.expect("the bench owner of an earlier run").token
}

/// Serves the API and the page on a free port; its base URL.
async fn serve(inbox: Arc<Inbox>) -> String {
    let clock = inbox.clock().clone();
    let sockets =
        shopmux::api::socket::SocketPolicy::without_shutdown(std::time::Duration::from_secs(30));
    let state = AppState {
        hub: shopmux::api::stream_hub::StreamHub::start(&inbox, &sockets),
        inbox,
        sockets,
        metrics: Arc::default(),
        storefront: Arc::new(shopmux::storefront::Storefront::new(
            None,
            Default::default(),
            Arc::new(shopmux_core::SystemClock),
        )),
        secure_cookies: shopmux::config::SecureCookies::Never,
        sign_in_limits: Arc::new(shopmux::sign_in_limits::SignInLimits::new(
            Default::default(),
            clock.clone(),
        )),
        // The benchmark measures the list, not the limit.
        api_limits: Arc::new(shopmux::rate_limit::ApiLimits::new(
            100_000,
            std::time::Duration::from_secs(60),
            clock,
        )),
        plugins: Arc::default(),
        connect: Arc::default(),
    };
    let app = router(state, 1 << 20).merge(shopmux::web::router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = app.into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await });
    format!("http://{addr}")
}

/// Milliseconds from submitting the sign-in form to the first row painted.
async fn sign_in_to_first_list(page: &Page, base: &str) -> f64 {
    page.goto(&format!("{base}/")).await;
    page.find("form.signin").await;
    page.eval(
        "document.querySelector('form.signin').addEventListener('submit', () => { window.__t0 = performance.now(); }, { capture: true });
         new MutationObserver((_, seen) => {
           if (!document.querySelector('.rows .row')) return;
           seen.disconnect();
           requestAnimationFrame(() => requestAnimationFrame(() => { window.__t1 = performance.now(); }));
         }).observe(document.body, { childList: true, subtree: true });
         return true",
    )
    .await;
    page.type_into("input[name=login]", LOGIN).await;
    page.type_into("input[name=password]", PASSWORD).await;
    page.click("form.signin button[type=submit]").await;
    let ms = page
        .until("the first list painted", "return window.__t1 && window.__t1 - window.__t0")
        .await;
    ms.as_f64().unwrap()
}

/// Milliseconds from clicking row `i` to its messages painted.
async fn open_conversation(page: &Page, i: usize) -> f64 {
    page.eval(&format!(
        "const row = document.querySelectorAll('.rows .row')[{i}];
         const before = document.querySelector('.messages');
         window.__open = null;
         const t0 = performance.now();
         new MutationObserver((_, seen) => {{
           const log = document.querySelector('.messages');
           if (!log || log === before || !log.querySelector('.msg')) return;
           seen.disconnect();
           requestAnimationFrame(() => requestAnimationFrame(() => {{ window.__open = performance.now() - t0; }}));
         }}).observe(document.querySelector('.chat-pane'), {{ childList: true, subtree: true }});
         row.click();
         return true"
    ))
    .await;
    page.until("the conversation painted", "return window.__open").await.as_f64().unwrap()
}

fn p(samples: &mut [f64], q: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() - 1) as f64 * q).round() as usize]
}

/// Measures the page over `inbox`'s data and prints the figures.
pub async fn measure(inbox: &Arc<Inbox>) {
    let Some(browser) = Browser::start().await else {
        println!("web inbox: not measured (install Debian's chromium and chromium-driver)");
        return;
    };
    let base = serve(inbox.clone()).await;
    let mut sign_ins = Vec::new();
    for _ in 0..5 {
        let page = browser.page().await;
        sign_ins.push(sign_in_to_first_list(&page, &base).await);
        page.close().await;
    }
    let page = browser.page().await;
    sign_in_to_first_list(&page, &base).await;
    let mut opens = Vec::new();
    for i in 0..30 {
        opens.push(open_conversation(&page, i % 20).await);
    }
    let shipped = page
        .eval(
            "return performance.getEntriesByType('resource').filter(e => /\\.(js|css)$/.test(e.name))
               .reduce((s, e) => [s[0] + e.encodedBodySize, s[1] + 1], [0, 0])",
        )
        .await;
    println!("web inbox in chromium (Performance API):");
    println!(
        "  sign-in to first list painted  p50 {:>7.1} ms   max {:>7.1} ms   (n={})",
        p(&mut sign_ins, 0.5),
        p(&mut sign_ins, 1.0),
        sign_ins.len()
    );
    println!(
        "  open a conversation            p50 {:>7.1} ms   p99 {:>7.1} ms   (n={})",
        p(&mut opens, 0.5),
        p(&mut opens, 0.99),
        opens.len()
    );
    println!(
        "  JavaScript and CSS loaded      {:.1} KB in {} files (uncompressed)",
        shipped[0].as_f64().unwrap_or(0.0) / 1024.0,
        shipped[1]
    );
    page.close().await;
}
