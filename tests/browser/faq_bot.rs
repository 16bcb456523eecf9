//! The FAQ bot in the web inbox over the demo (DY-BOT-2, DY-BOT-3): the Spanish TikTok
//! shop's first buyer asks a question the bot recognises, then two it does not; the
//! agent sees the bot's answer and its "please rephrase" as the bot's messages, and the
//! conversation handed to the agents (no longer labelled as the bot's), in the queue.

use crate::inbox::{eventually, owner_get, world};
use serde_json::Value;

/// The bot's messages of a conversation.
async fn bot_messages(demo: &shopmux::demo::DemoHandle, id: &str) -> Vec<Value> {
    let page = owner_get(demo, &format!("/conversations/{id}/messages?limit=50")).await;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    items.into_iter().filter(|m| m["sender_kind"] == "bot").collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dy_bot_3_the_bot_answers_a_demo_buyer_and_hands_over_after_two_misses() {
    // rule: DY-BOT-2, DY-BOT-3
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let spanish = demo.shop("tiktok", Some("ES")).unwrap().id.clone();
    let id = eventually("a Spanish buyer answered by the bot, then handed over", || async {
        let page = owner_get(demo, &format!("/conversations?shop_id={spanish}&limit=50")).await;
        for c in page["items"].as_array().cloned().unwrap_or_default() {
            let id = c["id"].as_str().unwrap_or_default().to_owned();
            let bot = bot_messages(demo, &id).await;
            let answered = bot.iter().any(|m| {
                m["content"]["text"].as_str().is_some_and(|t| t.starts_with("Enviamos en 24 h"))
            });
            if answered && c["bot_active"] == false && bot.len() >= 3 {
                return Some(id);
            }
        }
        None
    })
    .await;
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.open_row(&format!("#row-{id}")).await;
    let texts = page
        .until(
            "the bot's answer and its rephrase request, from the bot",
            "const m = [...document.querySelectorAll('.msg.bot')].map(e => e.textContent); \
             return m.length >= 3 && m.some(t => t.includes('Enviamos en 24 h')) && m.some(t => t.includes('reformular')) && m",
        )
        .await;
    assert!(texts.to_string().contains("Bot"), "{texts}");
    // Handed over: no longer the bot's, waiting for an agent.
    let badge = page.eval("return !!document.querySelector('.chat-head .bot-handling')").await;
    assert_eq!(badge, false);
    let detail = owner_get(demo, &format!("/conversations/{id}")).await;
    assert_eq!(detail["conversation"]["bot_active"], false, "{detail}");
    page.close().await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_owner_edits_the_bots_spanish_rephrase_text_in_the_settings() {
    // rule: DY-BOT-3 (the shop's own "please rephrase", per language)
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let spanish = demo.shop("tiktok", Some("ES")).unwrap().id.clone();
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.click(".menu-item[data-view=settings]").await;
    page.until(
        "the Spanish shop's card opened",
        "const s = [...document.querySelectorAll('details.card > summary')].find(s => s.textContent.includes('tiktok · ES')); \
         if (s && !s.parentElement.open) s.click(); return !!s",
    )
    .await;
    let area = format!(".bot-settings[data-shop=\"{spanish}\"] textarea[name=bot-rephrase]");
    let placeholder = page
        .until(
            "the built-in texts as placeholders",
            &format!("const a = document.querySelector('{area}'); return a && a.placeholder"),
        )
        .await;
    assert!(placeholder.as_str().unwrap_or_default().contains("es: Lo siento"), "{placeholder}");
    page.type_into(&area, "es: ¿Me lo puede decir de otra manera?").await;
    page.click(&format!(".bot-settings[data-shop=\"{spanish}\"] .inline-form button[type=submit]"))
        .await;
    crate::inbox::eventually("the Spanish version saved", || async {
        let view = owner_get(demo, &format!("/shops/{spanish}/bot")).await;
        let saved = view["settings"]["texts"]["rephrase"]["es"].clone();
        (saved == "¿Me lo puede decir de otra manera?").then_some(())
    })
    .await;
    let view = owner_get(demo, &format!("/shops/{spanish}/bot")).await;
    assert_eq!(view["settings"]["enabled"], true, "the rest of the settings kept: {view}");
    assert!(!view["settings"]["faq"].as_array().unwrap().is_empty(), "{view}");
    page.close().await;
    w.stop().await;
}
