//! The storefront widget as a shop's customers use it, in headless chromium: a sample
//! store page served from another origin (a second local HTTP server) embeds
//! `widget.js` from the daemon. The launcher follows the shop's settings and opens the
//! panel (keyboard too); the customer starts a chat, writes, and sees the agent's reply
//! with the agent's name and time; the conversation survives navigation to another
//! store page, including a reply sent while the customer was away; the network to the
//! daemon is cut and restored, and (with a daemon of the test's own) the daemon is
//! stopped and started again on the same files, while the panel is open: the widget
//! reconnects with nothing lost or doubled. Failures are shown in words with a retry: a
//! refused session, an unreachable daemon (a store origin nobody allowed: CORS refuses
//! it), too many attempts. A session also starts through a simulated app proxy.

use crate::inbox::{eventually, owner_get, owner_send};
use crate::support::*;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use serde_json::json;
use shopmux::config::{Config, RawConfig};
use shopmux::demo::{DemoHandle, DemoOptions, start_demo};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The widget's shadow root, in page scripts.
pub(crate) const ROOT: &str =
    "const r = document.querySelector('[data-shopmux-chat]')?.shadowRoot;";

/// The simulated app proxy of the store: `/apps/shopmux/{rest}` is forwarded to the
/// daemon's `/storefront/{shop}/proxy/{rest}` with the query the platform signs.
#[derive(Clone)]
struct AppProxy {
    daemon: String,
    domain: String,
    secret: String,
    forwarded: Arc<std::sync::atomic::AtomicUsize>,
}

impl AppProxy {
    /// The demo's Shopify shop's proxy (its client secret follows the store's domain).
    fn of(demo: &DemoHandle) -> AppProxy {
        let shop = demo.shops.iter().find(|s| s.platform == "shopify").unwrap();
        let tag =
            shop.external_id.trim_start_matches("lumen-oak-").trim_end_matches(".myshopify.com");
        AppProxy {
            daemon: demo.base_url.clone(),
            domain: shop.external_id.clone(),
            secret: format!("demo_shopify_client_secret_{tag}"),
            forwarded: Arc::default(),
        }
    }

    /// Forwards `{prefix}/{rest}` (with its own query) to the daemon's proxy endpoint.
    async fn forward(&self, shop: &str, method: &str, rest: &str, body: Vec<u8>) -> (u16, String) {
        use shopmux_simulator::shopify::proxy::{ProxiedRequest, signed_query};
        let (endpoint, own) = rest.split_once('?').unwrap_or((rest, ""));
        let extra: Vec<(&str, &str)> =
            own.split('&').filter_map(|pair| pair.split_once('=')).collect();
        let request = ProxiedRequest {
            shop: &self.domain,
            logged_in_customer_id: None,
            path_prefix: "/apps/shopmux",
            timestamp: chrono::Utc::now().timestamp(),
            extra: &extra,
        };
        self.forwarded.fetch_add(1, Ordering::SeqCst);
        let method = if method == "POST" { reqwest::Method::POST } else { reqwest::Method::GET };
        let mut forwarded = reqwest::Client::new()
            .request(method, format!("{}/storefront/{shop}/proxy/{endpoint}", self.daemon))
            .query(&signed_query(&self.secret, &request));
        if !body.is_empty() {
            forwarded = forwarded.header("content-type", "application/json").body(body);
        }
        let resp = forwarded.send().await.expect("the daemon answers the proxy");
        (resp.status().as_u16(), resp.text().await.unwrap_or_default())
    }
}

/// A request's method, path and body.
async fn read_request(conn: &mut TcpStream) -> Option<(String, String, Vec<u8>)> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = conn.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        data.extend_from_slice(&buf[..n]);
        let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
        let head = String::from_utf8_lossy(&data[..end]).to_string();
        let length = head
            .lines()
            .find_map(|l| {
                l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned())
            })
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        if data.len() >= end + 4 + length {
            let mut words = head.split_whitespace();
            let (method, path) = (words.next()?.to_owned(), words.next()?.to_owned());
            return Some((method, path, data[end + 4..end + 4 + length].to_vec()));
        }
    }
}

/// The sample store: every path is a product page embedding the widget from `daemon`
/// for `shop`; `/refused` embeds it for a shop that does not exist; `/es` in Spanish;
/// `/proxied` goes through the app proxy.
async fn store(listener: TcpListener, daemon: String, shop: String, proxy: Option<AppProxy>) {
    loop {
        let Ok((mut conn, _)) = listener.accept().await else { return };
        let (daemon, shop, proxy) = (daemon.clone(), shop.clone(), proxy.clone());
        tokio::spawn(async move {
            let Some((method, path, body)) = read_request(&mut conn).await else { return };
            let (status, kind, page) = match (method.as_str(), path.as_str(), proxy) {
                (_, p, Some(proxy)) if p.starts_with("/apps/shopmux/") => {
                    let rest = p.trim_start_matches("/apps/shopmux/");
                    let (status, body) = proxy.forward(&shop, &method, rest, body).await;
                    (status, "application/json", body)
                }
                (_, "/favicon.ico", _) => (404, "text/plain", String::new()),
                (_, "/mug.svg", _) => (200, "image/svg+xml", MUG.to_owned()),
                _ => (200, "text/html; charset=utf-8", store_page(&daemon, &shop, &path)),
            };
            let answer = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
            let _ = conn.write_all(answer.as_bytes()).await;
        });
    }
}

/// The sample store's product photo.
const MUG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="160" viewBox="0 0 320 160"><rect width="320" height="160" fill="#dfe8f2"/><rect x="120" y="40" width="70" height="84" rx="8" fill="#23395b"/><path d="M190 60 h14 a16 16 0 0 1 0 40 h-14" fill="none" stroke="#23395b" stroke-width="9"/></svg>"##;

fn store_page(daemon: &str, shop: &str, path: &str) -> String {
    let shop = if path == "/refused" { "01a20000-0000-7000-8000-000000000000" } else { shop };
    let lang = match path {
        "/es" => r#" data-lang="es""#,
        "/proxied" => r#" data-proxy="/apps/shopmux""#,
        _ => "",
    };
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Blue Harbour Ceramics</title>
<style>body{{margin:0;font-family:Georgia,serif;background:#fbf8f3;color:#2b2b2b}}
header{{padding:18px 40px;background:#23395b;color:#fff;font-size:24px}} nav a{{color:#fff;margin-left:24px;font-size:15px}}
main{{display:grid;grid-template-columns:1fr 1fr;gap:40px;padding:40px}} .photo{{height:420px;border-radius:8px;background:linear-gradient(135deg,#8fb3d9,#23395b)}}
h1{{font-size:34px;margin:0 0 10px}} .price{{font-size:24px;color:#23395b}} button.buy{{padding:14px 30px;background:#23395b;color:#fff;border:0;font-size:16px}}</style></head>
<body><header>Blue Harbour Ceramics <nav><a href="/">Shop</a><a href="/other">About</a></nav></header>
<main id="content"><div class="photo"></div><div><h1>Harbour Mug, 350 ml</h1><p class="price">€24.00</p>
<p>Hand-glazed stoneware, dishwasher safe. Made in small batches in our studio.</p><button class="buy">Add to cart</button></div></main>
<script async src="{daemon}/storefront/widget.js" data-shop="{shop}"{lang}></script></body></html>"#
    )
}

/// A cut-able line between the browser and the daemon: while it is down, every open
/// connection is dropped and new ones are refused, as when the daemon stops.
struct Line {
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
}

impl Line {
    fn start(listener: TcpListener, daemon: String) -> Line {
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = tokio::sync::watch::channel(0u64);
        let (flag, cuts) = (up.clone(), cut.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else { return };
                if !flag.load(Ordering::SeqCst) {
                    continue;
                }
                let mut cut = cuts.subscribe();
                let daemon = daemon.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(daemon).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Line { up, cut }
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

/// The demo (direct sessions on; `origin` allowed by the daemon's own configuration).
async fn demo(dir: &std::path::Path, origin: &str) -> DemoHandle {
    let mut raw = RawConfig::default();
    raw.server.bind = "127.0.0.1:0".into();
    raw.database.url = format!("sqlite://{}/shopmux.db", dir.display());
    raw.storefront.direct_sessions = true;
    raw.storefront.allowed_origins = vec![origin.to_owned()];
    let config: Config = raw.validate().expect("a valid configuration");
    let options = DemoOptions { pace: Duration::from_millis(400), ..Default::default() };
    start_demo(&config, options).await.expect("the demo starts")
}

/// The Shopify shop, with the widget's settings (its store origin allowed), a greeting
/// and one FAQ question.
async fn shopify_shop(demo: &DemoHandle, store_origin: &str) -> String {
    let shop = demo.shops.iter().find(|s| s.platform == "shopify").expect("a Shopify shop");
    let shop = shop.id.clone();
    let mut settings = owner_get(demo, &format!("/shops/{shop}")).await["settings"].clone();
    settings["widget"] = json!({"position": "bottom_right", "color": "#0a7d55",
        "label": "Ask Blue Harbour", "allowed_origins": [store_origin]});
    owner_send(demo, reqwest::Method::PUT, &format!("/shops/{shop}/settings"), settings).await;
    let question = json!({"category": "shipping", "phrasings": ["How long does shipping take?"],
        "answer": "2 to 4 working days."});
    let q =
        owner_send(demo, reqwest::Method::POST, &format!("/shops/{shop}/bot/questions"), question)
            .await;
    let bot = json!({"enabled": false, "greeting": "Hi! Ask us about glazes, sizes or shipping.",
        "faq": [q["id"]]});
    owner_send(demo, reqwest::Method::PUT, &format!("/shops/{shop}/bot"), bot).await;
    shop
}

async fn reply(demo: &DemoHandle, conversation: &str, text: &str) {
    let body = json!({"content": {"type": "text", "text": text}});
    let path = format!("/conversations/{conversation}/messages");
    owner_send(demo, reqwest::Method::POST, &path, body).await;
}

/// A script counting the messages of the panel whose text is `text`.
fn count(text: &str) -> String {
    format!(
        "{ROOT} return [...r.querySelectorAll('.msg .b')].filter(b => b.textContent === {text:?}).length"
    )
}

/// Waits until the panel shows `text` exactly once.
async fn shown_once(page: &Page, what: &str, text: &str) {
    page.until(what, &format!("{} === 1", count(text))).await;
}

/// Presses keys on whatever has the focus (inside the widget's shadow root too).
pub(crate) async fn press(page: &Page, keys: &str) {
    let mut actions = KeyActions::new("keyboard".into());
    for value in keys.chars() {
        actions = actions.then(KeyAction::Down { value }).then(KeyAction::Up { value });
    }
    page.client.perform_actions(actions).await.expect("keys pressed");
}

/// The customer types a message and presses Enter (a textarea inside the shadow root).
pub(crate) async fn write(page: &Page, text: &str) {
    let script = format!(
        "{ROOT} const t = r.querySelector('#smx-text'); t.value = {text:?}; \
         t.dispatchEvent(new KeyboardEvent('keydown', {{key: 'Enter', bubbles: true}})); return true"
    );
    page.eval(&script).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_chats_from_a_store_on_another_origin_across_reloads_and_an_outage() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start().await else { return };
    let tmp = tempfile::tempdir().unwrap();
    let store_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let store_port = store_listener.local_addr().unwrap().port();
    let store_origin = format!("http://127.0.0.1:{store_port}");
    let demo = demo(tmp.path(), "http://localhost:1").await;
    let shop = shopify_shop(&demo, &store_origin).await;
    let line_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let line_base = format!("http://{}", line_listener.local_addr().unwrap());
    let line = Line::start(line_listener, demo.base_url.trim_start_matches("http://").to_owned());
    tokio::spawn(store(store_listener, line_base.clone(), shop.clone(), None));
    let nickname = owner_get(&demo, "/me").await["agent"]["nickname"].as_str().unwrap().to_owned();

    // Closed by default, styled by the shop's settings, taking no room on the page.
    let page = browser.page().await;
    page.goto(&format!("{store_origin}/")).await;
    let launcher = page
        .until(
            "the launcher with the shop's label",
            &format!("{ROOT} const l = r && r.querySelector('.launcher'); \
                return l && l.textContent.includes('Ask Blue Harbour') && [getComputedStyle(l).backgroundColor, \
                r.querySelector('.panel').hidden, document.querySelector('[data-shopmux-chat]').getBoundingClientRect().height]"),
        )
        .await;
    assert_eq!(launcher, json!(["rgb(10, 125, 85)", true, 0]), "{launcher}");
    // No third-party requests: everything the page loaded came from the store or the daemon.
    let foreign = page
        .eval(&format!(
            "return performance.getEntriesByType('resource').map(e => new URL(e.name).origin) \
             .filter(o => o !== location.origin && o !== {line_base:?})"
        ))
        .await;
    assert_eq!(foreign, json!([]));
    page.until(
        "the shop's greeting and FAQ list",
        &format!(
            "{ROOT} return r.querySelector('.greeting').textContent.includes('Ask us about glazes')"
        ),
    )
    .await;

    // Opens in well under 100 ms, focus in the form; Escape closes it, Enter reopens it.
    let opened = page
        .eval(&format!(
            "{ROOT} const t0 = performance.now(); r.querySelector('.launcher').click(); \
             const p = r.querySelector('.panel'); const shown = !p.hidden && p.getBoundingClientRect().height > 300; \
             return [shown, performance.now() - t0, r.activeElement && r.activeElement.id, \
                     r.querySelector('.launcher').getAttribute('aria-expanded')]"
        ))
        .await;
    assert_eq!(
        (opened[0].clone(), opened[2].clone(), opened[3].clone()),
        (json!(true), json!("smx-name"), json!("true"))
    );
    assert!(opened[1].as_f64().unwrap() < 100.0, "opened in {} ms", opened[1]);
    press(&page, key::ESCAPE).await;
    let closed = page
        .eval(&format!(
            "{ROOT} return [r.querySelector('.panel').hidden, r.activeElement.className]"
        ))
        .await;
    assert_eq!(closed, json!([true, "launcher"]));
    press(&page, key::ENTER).await;
    page.until(
        "reopened from the keyboard",
        &format!("{ROOT} return !r.querySelector('.panel').hidden"),
    )
    .await;

    // Start a chat and write; the message goes from sending to sent.
    press(&page, "Wanda Widget").await;
    press(&page, key::ENTER).await;
    page.until("the message box", &format!("{ROOT} return !r.querySelector('.send').hidden")).await;
    write(&page, "Is the harbour mug dishwasher safe?").await;
    page.until(
        "the message sent",
        &format!("{ROOT} return r.querySelector('.msg.customer .state[data-state=sent]')"),
    )
    .await;

    // The agent replies through the API: the customer sees it with the agent's name and time.
    let conversation = eventually("the customer's conversation", || async {
        let page = owner_get(&demo, "/conversations?status=all&buyer=wanda%20widget").await;
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    reply(&demo, &conversation, "Yes, it is dishwasher safe.").await;
    let meta = page
        .until(
            "the agent's reply with name and time",
            &format!("{ROOT} const m = [...r.querySelectorAll('.msg.agent')].find(m => m.textContent.includes('dishwasher safe.')); \
                return m && m.querySelector('.who').textContent === {nickname:?} && \
                [m.querySelector('.who').textContent, m.querySelector('time').textContent, m.querySelector('time').dateTime]"),
        )
        .await;
    assert!(!meta[1].as_str().unwrap().is_empty(), "{meta}");
    assert!(meta[2].as_str().unwrap().starts_with("20"), "{meta}");

    // With the panel closed, a reply shows on the launcher (and to screen readers).
    page.eval(&format!("{ROOT} r.querySelector('.x').click(); return true")).await;
    reply(&demo, &conversation, "Anything else I can help with?").await;
    let badge = page
        .until(
            "the unread badge",
            &format!("{ROOT} const b = r.querySelector('.badge'); \
                return !b.hidden && [b.textContent, r.querySelector('.launcher').getAttribute('aria-label')]"),
        )
        .await;
    assert_eq!(badge, json!(["1", "Ask Blue Harbour, 1 new message"]));
    page.eval(&format!("{ROOT} r.querySelector('.launcher').click(); return true")).await;
    let cleared = page
        .eval(&format!("{ROOT} return [r.querySelector('.badge').hidden, r.querySelector('.launcher').hasAttribute('aria-label')]"))
        .await;
    assert_eq!(cleared, json!([true, false]));

    // Another store page: the panel is still open with the whole conversation, once.
    page.goto(&format!("{store_origin}/other")).await;
    shown_once(&page, "the history after navigating", "Is the harbour mug dishwasher safe?").await;
    shown_once(&page, "the reply after navigating", "Yes, it is dishwasher safe.").await;
    let focus = page.eval("return document.activeElement === document.body").await;
    assert_eq!(focus, true, "reopened after navigation, the panel leaves the focus on the page");

    // Away (another site): a reply arrives; back in the store, it is there.
    page.goto("about:blank").await;
    reply(&demo, &conversation, "It ships tomorrow from our studio.").await;
    page.goto(&format!("{store_origin}/")).await;
    shown_once(&page, "the reply sent while away", "It ships tomorrow from our studio.").await;

    // Rich replies: a product card (image, price, link) and a discount code (copy button,
    // applied at checkout).
    let mug = json!({"type": "product_card", "product_id": "gid://shopify/Product/8102",
        "title": "Stoneware mug", "url": format!("{store_origin}/products/mug"),
        "image_url": format!("{store_origin}/mug.svg"), "price": "€18.00"});
    let code =
        json!({"type": "coupon_card", "code": demo.discount_code, "title": "10% off your order"});
    for content in [mug, code] {
        let path = format!("/conversations/{conversation}/messages");
        owner_send(&demo, reqwest::Method::POST, &path, json!({"content": content})).await;
    }
    let product = page
        .until(
            "the product card with its image, price and link",
            &format!("{ROOT} const c = r.querySelector('[data-card=product]'); const i = c && c.querySelector('img'); \
                return i && i.complete && i.naturalWidth > 0 && [c.querySelector('strong').textContent, \
                c.querySelector('.price').textContent, c.querySelector('a').href]"),
        )
        .await;
    assert_eq!(product, json!(["Stoneware mug", "€18.00", format!("{store_origin}/products/mug")]));
    let discount = page
        .until(
            "the discount card with a copy button",
            &format!("{ROOT} const c = r.querySelector('[data-card=discount]'); \
                return c && [c.querySelector('.code').textContent, c.querySelector('button').getAttribute('aria-label'), \
                c.querySelector('.applied').textContent]"),
        )
        .await;
    let copy_label = format!("Copy code {}", demo.discount_code);
    assert_eq!(discount, json!([demo.discount_code, copy_label, "Applied at checkout"]));
    page.screenshot("docs/widget.png").await;

    // The daemon becomes unreachable with the panel open, then comes back.
    line.down();
    page.until(
        "the outage shown in words",
        &format!("{ROOT} const n = r.querySelector('.notice'); return !n.hidden && n.textContent.includes('Reconnecting')"),
    )
    .await;
    write(&page, "Can I get it gift-wrapped?").await;
    reply(&demo, &conversation, "Sent while you were offline.").await;
    let sending = page
        .eval(&format!(
            "{ROOT} return r.querySelector('.msg.customer:last-of-type .state').dataset.state"
        ))
        .await;
    assert_eq!(sending, "sending");
    line.restore();
    page.eval(&format!("{ROOT} r.querySelector('.notice .retry').click(); return true")).await;
    shown_once(&page, "the reply sent during the outage", "Sent while you were offline.").await;
    page.until(
        "the message written during the outage, sent",
        &format!("{ROOT} return [...r.querySelectorAll('.msg.customer')].some(m => m.textContent.includes('gift-wrapped') && m.querySelector('[data-state=sent]'))"),
    )
    .await;
    for text in [
        "Is the harbour mug dishwasher safe?",
        "Yes, it is dishwasher safe.",
        "It ships tomorrow from our studio.",
    ] {
        let n = page.eval(&count(text)).await;
        assert_eq!(n, 1, "{text} shown once");
    }
    let stored = eventually("the outage message stored once", || async {
        let page =
            owner_get(&demo, &format!("/conversations/{conversation}/messages?limit=50")).await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        let n =
            items.iter().filter(|m| m["content"]["text"] == "Can I get it gift-wrapped?").count();
        (n > 0).then_some(n)
    })
    .await;
    assert_eq!(stored, 1, "stored once, not doubled by the resend");

    // On a phone the panel fills the screen.
    page.client.set_window_size(390, 844).await.expect("a phone-sized window");
    let full = page
        .until(
            "the panel full screen",
            &format!("{ROOT} const b = r.querySelector('.panel').getBoundingClientRect(); \
                const d = document.documentElement; \
                return b.left === 0 && b.top === 0 && b.width === d.clientWidth && b.height === d.clientHeight && [b.width, b.height]"),
        )
        .await;
    assert!(full[0].as_f64().unwrap() > 300.0, "{full}");
    page.close().await;
    demo.stop().await.expect("the demo stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_shown_in_words_with_a_retry_and_unlisted_origins_are_refused() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start().await else { return };
    let tmp = tempfile::tempdir().unwrap();
    let store_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let store_port = store_listener.local_addr().unwrap().port();
    // `localhost` is allowed by the daemon's configuration; `127.0.0.1` by nobody.
    let demo = demo(tmp.path(), &format!("http://localhost:{store_port}")).await;
    let shop = demo.shops.iter().find(|s| s.platform == "shopify").unwrap().id.clone();
    let proxy = AppProxy::of(&demo);
    tokio::spawn(store(store_listener, demo.base_url.clone(), shop.clone(), Some(proxy.clone())));
    let page = browser.page().await;
    let open_and_start = format!(
        "{ROOT} if (!r) return false; r.querySelector('.launcher').click(); \
         r.querySelector('.start').requestSubmit(); return true"
    );
    let notice = |text: &str| {
        format!(
            "{ROOT} const n = r.querySelector('.notice'); \
            return !n.hidden && n.textContent.includes({text:?}) && !r.querySelector('.retry').hidden"
        )
    };

    // A session refused (no such shop): said in words, with a retry.
    page.goto(&format!("http://localhost:{store_port}/refused")).await;
    page.until("the widget", &open_and_start).await;
    page.until("the refusal in words", &notice("Chat isn't available on this store right now."))
        .await;
    // Retrying until the daemon's limit: too many attempts, also in words.
    page.until(
        "the rate limit in words",
        &format!("{ROOT} const n = r.querySelector('.notice'); \
            if (n.textContent.includes('Too many attempts')) return true; r.querySelector('.retry').click(); return false"),
    )
    .await;

    // A store origin nobody allowed: CORS refuses it; the customer is told, with a retry.
    page.goto(&format!("http://127.0.0.1:{store_port}/")).await;
    page.until("the widget", &open_and_start).await;
    page.until("unreachable in words", &notice("We can't reach the chat right now.")).await;
    let blocked = page
        .client
        .execute_async(
            &format!("const done = arguments[0]; fetch('{}/storefront/{shop}/widget').then(() => done('read'), () => done('blocked'))", demo.base_url),
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(blocked, "blocked", "the browser refuses the daemon's answer to an unlisted origin");

    // The widget's own texts in the customer's language (Spanish here).
    page.goto(&format!("http://localhost:{store_port}/es")).await;
    page.until(
        "the Spanish launcher",
        &format!("{ROOT} return r && r.querySelector('.launcher').textContent.includes('Chatea con nosotros')"),
    )
    .await;
    let start =
        page.eval(&format!("{ROOT} return r.querySelector('.start button').textContent")).await;
    assert_eq!(start, "Iniciar chat");

    // Through the store's app proxy, on the origin nobody allowed: the session, the
    // settings and the history need no CORS (the chat socket needs none either).
    page.goto(&format!("http://127.0.0.1:{store_port}/proxied")).await;
    page.until(
        "the widget",
        &format!("{ROOT} if (!r) return false; r.querySelector('.launcher').click(); \
            r.querySelector('#smx-name').value = 'Pablo Proxy'; r.querySelector('.start').requestSubmit(); return true"),
    )
    .await;
    page.until("the message box", &format!("{ROOT} return !r.querySelector('.send').hidden")).await;
    write(&page, "Hello through the proxy").await;
    page.until(
        "the proxied customer's message sent",
        &format!("{ROOT} return r.querySelector('.msg.customer .state[data-state=sent]')"),
    )
    .await;
    let conversation = eventually("the proxied customer's conversation", || async {
        let page = owner_get(&demo, "/conversations?status=all&buyer=pablo%20proxy").await;
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;
    let body = json!({"content": {"type": "text", "text": "Hola Pablo, here to help."}});
    let path = format!("/conversations/{conversation}/messages");
    owner_send(&demo, reqwest::Method::POST, &path, body).await;
    let nickname = owner_get(&demo, "/me").await["agent"]["nickname"].as_str().unwrap().to_owned();
    page.until(
        "the reply with the agent's name, read through the proxy",
        &format!("{ROOT} const m = [...r.querySelectorAll('.msg.agent')].find(m => m.textContent.includes('Hola Pablo')); \
            return m && m.querySelector('.who').textContent === {nickname:?}"),
    )
    .await;
    // The settings, the session and the history pages all went through the proxy.
    assert!(proxy.forwarded.load(Ordering::SeqCst) >= 3, "{:?}", proxy.forwarded);
    page.close().await;
    demo.stop().await.expect("the demo stops");
}

/// A daemon of the test's own (not the demo) on `port`, over the SQLite file in `dir`,
/// letting `origin` call it cross-origin; stopped by the sender it returns.
async fn daemon(
    dir: &std::path::Path, port: u16, origin: &str,
) -> (Arc<shopmux_core::inbox::Inbox>, tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>)
{
    let mut raw = RawConfig::default();
    raw.server.bind = format!("127.0.0.1:{port}");
    raw.database.url = format!("sqlite://{}/shopmux.db", dir.display());
    raw.secrets.key_file = dir.join("secret.key").display().to_string();
    raw.storefront.direct_sessions = true;
    raw.storefront.allowed_origins = vec![origin.to_owned()];
    let config: Config = raw.validate().expect("a valid configuration");
    let clock: Arc<dyn shopmux_core::Clock> = Arc::new(shopmux_core::SystemClock);
    let daemon = shopmux::server::start(&config, clock).await.expect("the daemon starts");
    let inbox = daemon.inbox.clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.await;
        };
        daemon.serve(shutdown).await.expect("the daemon serves");
    });
    (inbox, stop, task)
}

/// The API as `token`, for the restart test's own daemon.
async fn api(
    base: &str, token: &str, method: reqwest::Method, path: &str, body: Option<serde_json::Value>,
) -> serde_json::Value {
    let mut request =
        reqwest::Client::new().request(method, format!("{base}/api/v1{path}")).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("the API answers");
    let status = response.status();
    let value: serde_json::Value = response.json().await.unwrap_or_default();
    assert!(status.is_success(), "{path}: {status} {value}");
    value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daemon_restarts_while_the_panel_is_open_and_nothing_is_lost_or_doubled() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start().await else { return };
    let tmp = tempfile::tempdir().unwrap();
    let store_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let store_origin = format!("http://127.0.0.1:{}", store_listener.local_addr().unwrap().port());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let base = format!("http://127.0.0.1:{port}");
    let (inbox, stop, task) = daemon(tmp.path(), port, &store_origin).await;
    let owner = inbox.create_owner("Rosa Restart").await.expect("an owner").token;
    let shop = json!({"platform": "shopify", "external_id": "restart.myshopify.com", "name": "Restart Shop"});
    let created = api(&base, &owner, reqwest::Method::POST, "/shops", Some(shop)).await;
    let shop = created["shop"]["id"].as_str().unwrap().to_owned();
    tokio::spawn(store(store_listener, base.clone(), shop.clone(), None));

    let page = browser.page().await;
    page.goto(&format!("{store_origin}/")).await;
    page.until("the launcher", &format!("{ROOT} return r && !!r.querySelector('.launcher')")).await;
    page.eval(&format!("{ROOT} r.querySelector('.launcher').click(); return true")).await;
    press(&page, "Rosa Customer").await;
    press(&page, key::ENTER).await;
    page.until("the message box", &format!("{ROOT} return !r.querySelector('.send').hidden")).await;
    write(&page, "Before the restart").await;
    page.until(
        "sent",
        &format!("{ROOT} return r.querySelector('.msg.customer .state[data-state=sent]')"),
    )
    .await;

    // The daemon stops: the widget says so and keeps what the customer writes.
    let _ = stop.send(());
    task.await.expect("the daemon stopped");
    drop(inbox);
    page.until(
        "the outage in words",
        &format!("{ROOT} const n = r.querySelector('.notice'); return !n.hidden && n.textContent.includes('Reconnecting')"),
    )
    .await;
    write(&page, "Written while it was down").await;
    let state = page.eval(&format!("{ROOT} return [...r.querySelectorAll('.msg.customer')].pop().querySelector('.state').dataset.state")).await;
    assert_eq!(state, "sending");

    // It starts again on the same files and port; the agent replies at once.
    let (_inbox, stop, task) = daemon(tmp.path(), port, &store_origin).await;
    let conversations =
        api(&base, &owner, reqwest::Method::GET, "/conversations?status=all", None).await;
    let conversation = conversations["items"][0]["id"].as_str().unwrap().to_owned();
    let body = json!({"content": {"type": "text", "text": "Back after the restart"}});
    api(
        &base,
        &owner,
        reqwest::Method::POST,
        &format!("/conversations/{conversation}/messages"),
        Some(body),
    )
    .await;
    // The widget reconnects by itself (growing waits, at most 15 s apart).
    shown_once(&page, "the reply after the restart", "Back after the restart").await;
    page.until(
        "the message written while down, sent",
        &format!("{ROOT} return [...r.querySelectorAll('.msg.customer')].some(m => m.textContent.includes('while it was down') && m.querySelector('[data-state=sent]'))"),
    )
    .await;
    for text in ["Before the restart", "Written while it was down", "Back after the restart"] {
        assert_eq!(page.eval(&count(text)).await, 1, "{text} shown once");
    }
    let messages = api(
        &base,
        &owner,
        reqwest::Method::GET,
        &format!("/conversations/{conversation}/messages?limit=50"),
        None,
    )
    .await;
    let texts: Vec<&str> = messages["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["content"]["text"].as_str())
        .collect();
    let stored = |t: &str| texts.iter().filter(|x| **x == t).count();
    assert_eq!(
        (
            stored("Before the restart"),
            stored("Written while it was down"),
            stored("Back after the restart")
        ),
        (1, 1, 1),
        "{texts:?}"
    );
    page.close().await;
    let _ = stop.send(());
    task.await.expect("the daemon stopped");
}
