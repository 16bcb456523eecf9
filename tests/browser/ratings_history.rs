//! Ratings and history filters in the web inbox (DY-RATE-1, DY-HIST-1): the agent
//! requests a rating from a storefront customer, the customer (driven over the storefront
//! chat socket, as the widget does) receives a card with no score and rates it, the
//! thank-you names the agent, the inbox shows the rated card; then the History list's
//! filter bar narrows the list to that buyer with its count.

use crate::inbox::{eventually, owner_get, owner_send};
use crate::support::*;
use crate::widget::{ROOT, press, write};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use shopmux::config::{Config, RawConfig};
use shopmux::demo::{DemoHandle, DemoOptions, start_demo};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message as WsFrame;

pub(crate) type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The demo with direct (widget) storefront sessions allowed, on a file in `dir`.
pub(crate) async fn demo(dir: &std::path::Path) -> DemoHandle {
    let mut raw = RawConfig::default();
    raw.server.bind = "127.0.0.1:0".into();
    raw.database.url = format!("sqlite://{}/shopmux.db", dir.display());
    raw.storefront.direct_sessions = true;
    let config: Config = raw.validate().expect("a valid configuration");
    let options = DemoOptions { pace: Duration::from_millis(400), ..Default::default() };
    start_demo(&config, options).await.expect("the demo starts")
}

/// A storefront customer: a direct session in the Shopify shop and its chat socket.
pub(crate) async fn customer(demo: &DemoHandle, shop: &str, name: &str) -> Socket {
    let session: Value = reqwest::Client::new()
        .post(format!("{}/storefront/{shop}/sessions", demo.base_url))
        .json(&json!({"name": name}))
        .send()
        .await
        .expect("a session")
        .json()
        .await
        .expect("JSON");
    let token = session["token"].as_str().expect("a token");
    let url = format!(
        "{}/storefront/{shop}/chat?token={token}",
        demo.base_url.replacen("http://", "ws://", 1)
    );
    tokio_tungstenite::connect_async(url).await.expect("the chat socket").0
}

/// Sends a customer frame; the daemon's answer must be its ack.
pub(crate) async fn send(socket: &mut Socket, frame: Value) {
    socket.send(WsFrame::text(frame.to_string())).await.expect("sent");
    let answer = next_frame(socket, |f| f["type"] == "ack" || f["type"] == "error").await;
    assert_eq!(answer["type"], "ack", "{answer}");
}

/// The next frame `wanted` accepts (others are skipped).
async fn next_frame(socket: &mut Socket, wanted: impl Fn(&Value) -> bool) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let frame = tokio::time::timeout_at(deadline, socket.next())
            .await
            .expect("a frame in time")
            .expect("the socket is open")
            .expect("a frame");
        if let WsFrame::Text(text) = frame {
            let value: Value = serde_json::from_str(&text).expect("JSON frame");
            if wanted(&value) {
                return value;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_requests_a_rating_the_customer_rates_and_history_filters_find_them() {
    // rule: DY-RATE-1 (invitation with no preselected score; thank-you naming the agent)
    // rule: DY-HIST-1 (history filtered by buyer, with the count)
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start().await else { return };
    let tmp = tempfile::tempdir().unwrap();
    let demo = demo(tmp.path()).await;
    let shop = demo.shops.iter().find(|s| s.platform == "shopify").expect("a Shopify shop");
    let shop = shop.id.clone();
    let me = owner_get(&demo, "/me").await;
    let nickname = me["agent"]["nickname"].as_str().expect("a nickname").to_owned();

    // A customer writes from the storefront widget.
    let mut socket = customer(&demo, &shop, "Rita Rater").await;
    send(
        &mut socket,
        json!({"id": "q1", "content": {"type": "text", "text": "Is it waterproof?"}}),
    )
    .await;
    let conv = eventually("the customer's conversation", || async {
        let page = owner_get(&demo, "/conversations?status=all&buyer=rita%20rater").await;
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;

    // The agent opens it and requests a rating from the reply area.
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.open_row(&format!("#row-{conv}")).await;
    page.click("[data-tool=\"rating\"]:not([disabled])").await;
    page.until(
        "the invitation in the message list",
        "return [...document.querySelectorAll('.msg.out [data-card=\"rating\"]')].some(c => c.textContent.includes('Rating invitation sent'))",
    )
    .await;

    // The customer gets a rating card with no score chosen, and rates it.
    let invitation = next_frame(&mut socket, |f| f["type"] == "reply").await;
    assert_eq!(invitation["content"], json!({"type": "rating_card"}), "no preselected score");
    send(
        &mut socket,
        json!({"id": "r1", "content": {"type": "rating_card", "score": 4, "comment": "Helpful"}}),
    )
    .await;
    let thanks = next_frame(&mut socket, |f| f["type"] == "reply").await;
    assert_eq!(
        thanks["content"]["text"].as_str(),
        Some(format!("Thank you for your rating! — {nickname}").as_str()),
        "the thank-you names the agent"
    );
    page.until(
        "the rated card in the message list",
        "return document.querySelector('.msg.in [data-card=\"rating\"] [aria-label=\"Rated 4 of 5\"]')",
    )
    .await;
    let ratings = owner_get(&demo, &format!("/ratings?conversation_id={conv}")).await;
    assert_eq!(ratings["items"][0]["score"], 4);
    assert_eq!(ratings["items"][0]["agent_id"], me["agent"]["id"], "the agent rated");

    // History: the conversation ends; the filter bar finds it by the buyer's name.
    owner_send(&demo, reqwest::Method::POST, &format!("/conversations/{conv}/end"), json!({}))
        .await;
    page.click("[data-tab=\"history\"]").await;
    page.type_into("[data-history=\"buyer\"]", "rita").await;
    page.until(
        "the history narrowed to the buyer, with its count",
        &format!(
            "return document.querySelector('.history-count')?.textContent === 'Matching: 1' \
             && document.querySelectorAll('.rows .row').length === 1 \
             && !!document.getElementById('row-{conv}')"
        ),
    )
    .await;
    page.screenshot("docs/history-filters.png").await;
    page.close().await;
    demo.stop().await.expect("the demo stops");
}

/// WebDriver keys the shared `key` module does not name.
const SPACE: &str = " ";
const RIGHT: &str = "\u{E014}";
const TAB: &str = "\u{E004}";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_rating_card_has_no_score_chosen_and_is_rated_by_keyboard() {
    // rule: DY-RATE-1 (a real card in the storefront widget, no preselected score)
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start().await else { return };
    let tmp = tempfile::tempdir().unwrap();
    let demo = demo(tmp.path()).await;
    let shop = demo.shops.iter().find(|s| s.platform == "shopify").expect("a Shopify shop");
    let shop = shop.id.clone();
    let me = owner_get(&demo, "/me").await;
    let nickname = me["agent"]["nickname"].as_str().expect("a nickname").to_owned();

    // A page of the daemon's origin embeds the widget as a store's theme does.
    let page = browser.page().await;
    page.goto(&format!("{}/", demo.base_url)).await;
    page.eval(&format!(
        "const s = document.createElement('script'); s.src = '/storefront/widget.js'; \
         s.setAttribute('data-shop', '{shop}'); document.body.append(s); return true"
    ))
    .await;
    page.until("the launcher", &format!("{ROOT} return r && !!r.querySelector('.launcher')")).await;
    page.eval(&format!("{ROOT} r.querySelector('.launcher').click(); return true")).await;
    press(&page, "Wanda Widget").await;
    press(&page, key::ENTER).await;
    page.until("the message box", &format!("{ROOT} return !r.querySelector('.send').hidden")).await;
    write(&page, "Does it come in blue?").await;
    let conv = eventually("the widget customer's conversation", || async {
        let page = owner_get(&demo, "/conversations?status=all&buyer=wanda").await;
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;

    // The agent invites; the widget shows a card with five choices and none chosen.
    owner_send(
        &demo,
        reqwest::Method::POST,
        &format!("/conversations/{conv}/rating_invitation"),
        json!({}),
    )
    .await;
    let shown = page
        .until(
            "the rating card in the widget",
            &format!(
                "{ROOT} const card = r.querySelector('[data-rating-card]'); \
                 return card && [card.querySelectorAll('input[type=radio]').length, \
                     card.querySelectorAll('input:checked').length, \
                     card.querySelector('button').disabled]"
            ),
        )
        .await;
    assert_eq!(shown, json!([5, 0, true]), "five choices, none preselected, nothing to send yet");

    // By keyboard only: Space picks the first choice, → moves to 4, Tab to the comment,
    // Enter sends.
    page.eval(&format!(
        "{ROOT} r.querySelector('[data-rating-card] input[type=radio]').focus(); return true"
    ))
    .await;
    press(&page, SPACE).await;
    for _ in 0..3 {
        press(&page, RIGHT).await;
    }
    press(&page, TAB).await;
    press(&page, "Nice colours").await;
    press(&page, key::ENTER).await;
    let thanks = format!("Thank you for your rating! — {nickname}");
    page.until(
        "the thank-you naming the agent in the widget",
        &format!("{ROOT} return r.querySelector('.log').textContent.includes({thanks:?})"),
    )
    .await;
    let ratings = owner_get(&demo, &format!("/ratings?conversation_id={conv}")).await;
    let rating = &ratings["items"][0];
    assert_eq!(
        (&rating["score"], &rating["comment"], &rating["source"]),
        (&json!(4), &json!("Nice colours"), &json!("storefront"))
    );
    page.close().await;
    demo.stop().await.expect("the demo stops");
}
