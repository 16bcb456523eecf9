//! Translation in the web inbox (TT-TR-1): a Spanish buyer message shows its English
//! translation under the labelled original; with auto-translate on, the draft's
//! translation appears as the agent types, and the sent message carries both texts.
//! The demo translates with the local simulator provider.

use crate::inbox::{eventually, owner_get, world};
use crate::support::*;
use serde_json::json;
use shopmux_core::domain::ids::ShopId;
use shopmux_core::domain::inbound::InboundMessage;

const SPANISH: &str = "Hola, ¿cuándo llegará mi pedido?";
const ENGLISH: &str = "Hello, when will my order arrive?";
const DRAFT: &str = "Your order ships tomorrow.";
const SENT: &str = "Tu pedido se envía mañana.";

// rule: TT-TR-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spanish_message_shows_its_translation_and_a_translated_reply_keeps_both_texts() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.find(".rows .row").await;

    // A Spanish-speaking buyer writes to the TikTok shop.
    let shop = demo.shop("tiktok", None).expect("a TikTok shop");
    let shop_id: ShopId = shop.id.parse().unwrap();
    let ingest = demo.inbox.ingest_shop(shop_id).await.unwrap().expect("the shop");
    let message: InboundMessage = serde_json::from_value(json!({
        "buyer": {"external_id": "lucia-es", "nickname": "Lucía", "language": "es"},
        "platform_message_id": "tr-es-1",
        "content": {"type": "text", "text": SPANISH},
    }))
    .unwrap();
    let conv = demo.inbox.ingest(ingest, message).await.unwrap().conversation_id;

    page.open_row(&format!(r#".rows .row[data-id="{conv}"]"#)).await;
    let shown = page
        .until(
            "the buyer's message shows its English translation under the original",
            &format!(
                r#"const m = [...document.querySelectorAll('.msg.in')].find(m => m.textContent.includes({SPANISH:?}));
                   const tr = m && m.querySelector('.translation .translated');
                   return tr && tr.textContent === {ENGLISH:?} && m.textContent"#
            ),
        )
        .await;
    let shown = shown.as_str().unwrap();
    assert!(shown.contains("Original · es") && shown.contains("Translation · en"), "{shown}");

    // Auto-translate on: the draft's Spanish appears while typing.
    page.find("#reply:not([disabled])").await;
    page.click("#auto-translate").await;
    page.until("the languages show", "return !document.querySelector('.tr-langs').hidden").await;
    page.type_into("#reply", DRAFT).await;
    page.until(
        "the draft's translation appears as the agent types",
        &format!(
            "return document.querySelector('.translate-preview .preview-text')?.textContent === {SENT:?}"
        ),
    )
    .await;
    page.screenshot("docs/translation.png").await;

    // Sent: the translation leaves, the message shows both texts.
    page.type_into("#reply", key::ENTER).await;
    page.until(
        "the sent message shows what was sent and what the agent wrote",
        &format!(
            r#"return [...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes({SENT:?})
                && m.querySelector('.original-text')?.textContent === {DRAFT:?})"#
        ),
    )
    .await;
    let sent = eventually("the reply is stored with both texts (API)", || async {
        let page = owner_get(demo, &format!("/conversations/{conv}/messages?limit=200")).await;
        page["items"].as_array()?.iter().find(|m| m["content"]["text"] == SENT).cloned()
    })
    .await;
    assert_eq!(sent["translation"]["original_text"], DRAFT);
    assert_eq!(sent["translation"]["target"], "es");
    assert_eq!(sent["translation"]["status"], "translated");
    let detail = owner_get(demo, &format!("/conversations/{conv}/translation")).await;
    assert_eq!(detail["auto_translate"], true);
    page.close().await;
    w.stop().await;
}
