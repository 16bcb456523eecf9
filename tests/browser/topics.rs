//! Languages and topics in the web inbox (SH-TOPIC-1, SH-TOPIC-2): a storefront customer
//! asks about shipping; the conversation's row shows a shipping chip, the topic filter
//! narrows the list to conversations showing that topic, and the message shows the
//! language it was detected in, with its topic.

use crate::inbox::{eventually, owner_get};
use crate::ratings_history::{customer, demo, send};
use crate::support::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sh_topic_2_a_shipping_question_shows_a_shipping_chip_and_the_topic_filter_narrows_to_it() {
    // rule: SH-TOPIC-1, SH-TOPIC-2
    let _turn = ONE_AT_A_TIME.lock().await;
    let Some(browser) = Browser::start().await else { return };
    let tmp = tempfile::tempdir().unwrap();
    let demo = demo(tmp.path()).await;
    let shop = demo.shops.iter().find(|s| s.platform == "shopify").expect("a Shopify shop");
    let mut socket = customer(&demo, &shop.id, "Tom Topics").await;
    let question = "Do you ship to Canada? How much does shipping cost?";
    send(&mut socket, json!({"id": "q1", "content": {"type": "text", "text": question}})).await;
    let conv = eventually("the customer's conversation", || async {
        let page = owner_get(&demo, "/conversations?status=all&buyer=tom%20topics").await;
        page["items"][0]["id"].as_str().map(str::to_owned)
    })
    .await;

    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.until(
        "a shipping chip on the customer's row",
        &format!(
            r#"return document.querySelector('#row-{conv} .badge.topic[data-topic="shipping"]')"#
        ),
    )
    .await;
    page.eval(
        r#"const s = document.querySelector('.topic-filter'); s.value = 'shipping';
           s.dispatchEvent(new Event('change')); return true"#,
    )
    .await;
    page.until(
        "the list narrowed to conversations about shipping",
        &format!(
            r#"const rows = [...document.querySelectorAll('.rows .row')];
               return rows.some(r => r.id === 'row-{conv}')
                 && rows.every(r => r.querySelector('.badge.topic[data-topic="shipping"]'))"#
        ),
    )
    .await;
    let filtered = owner_get(&demo, "/conversations?status=all&topic=shipping&limit=200").await;
    let items = filtered["items"].as_array().unwrap();
    assert!(items.iter().any(|c| c["id"] == conv.as_str()), "the API filter finds it");
    assert!(
        items.iter().all(|c| c["topics"]
            .as_array()
            .unwrap()
            .iter()
            .take(2)
            .any(|t| t == "shipping"))
    );

    page.open_row(&format!("#row-{conv}")).await;
    page.until(
        "the message's language and topic",
        r#"return [...document.querySelectorAll('.msg.in')].some(m =>
             m.querySelector('.badge.lang[data-lang="en"]') && m.querySelector('.badge.topic[data-topic="shipping"]'))"#,
    )
    .await;
    page.close().await;
    demo.stop().await.expect("the demo stops");
}
