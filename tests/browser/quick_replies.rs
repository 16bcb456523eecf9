//! Quick replies in the web inbox (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1): `/` in the reply
//! box opens the picker with the shop's set, the keyboard chooses one, the box holds the
//! text with the order's id filled from the conversation and nothing is sent until the
//! agent edits and sends it; a variable the conversation cannot fill is shown to the
//! agent and the box does not send it.

use crate::inbox::{eventually, owner_get, world};
use crate::support::*;
use serde_json::Value;

/// Arrow up and Tab, as WebDriver key codes.
const UP: &str = "\u{E013}";
const TAB: &str = "\u{E004}";

/// A conversation listed on the page whose replies reach the platform (not Douyin's,
/// which has no chat API), open for replies, whose order the `order` reply fills: its id
/// and the rendered text. Each listed conversation is tried every five seconds at most: the
/// page and the test share the account's request rate.
async fn conversation_with_an_order(
    demo: &shopmux::demo::DemoHandle, page: &Page,
) -> (String, Value) {
    let sets = owner_get(demo, "/quick_replies?scope=shop").await;
    let order_reply = |shop: &Value| {
        let found = sets
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["title"] == "order" && &r["shop_id"] == shop);
        found.map(|r| r["id"].as_str().unwrap().to_owned())
    };
    let deadline = std::time::Instant::now() + 3 * PATIENCE;
    let mut tried = std::collections::HashSet::new();
    for pass in 0.. {
        if std::time::Instant::now() > deadline {
            break;
        }
        let listed = owner_get(demo, "/conversations?limit=100").await;
        let rows = page
            .eval(r#"return [...document.querySelectorAll('.rows .row')].filter(r => r.dataset.platform !== 'douyin').map(r => r.dataset.id)"#)
            .await;
        for c in listed["items"].as_array().cloned().unwrap_or_default() {
            let id = c["id"].as_str().unwrap_or_default().to_owned();
            let on_page = rows.as_array().is_some_and(|r| r.iter().any(|r| r == id.as_str()));
            let Some(reply) = order_reply(&c["shop_id"]) else { continue };
            if !on_page || !tried.insert(id.clone()) {
                continue;
            }
            let rendered =
                owner_get(demo, &format!("/conversations/{id}/quick_replies/{reply}/render")).await;
            if rendered["unfilled"] != serde_json::json!([]) {
                continue;
            }
            let detail = owner_get(demo, &format!("/conversations/{id}")).await;
            if detail["allowed"]["reply"]["allowed"] == true {
                return (id, rendered);
            }
        }
        // Retry a conversation every five passes: its order card may come later.
        if pass % 5 == 4 {
            tried.clear();
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    panic!("never: a conversation with an order, open for replies");
}

/// The texts the agents sent in a conversation (the demo's buyers keep writing, so
/// only the agents' messages tell what the box sent).
async fn agent_texts(demo: &shopmux::demo::DemoHandle, conversation: &str) -> Vec<String> {
    let page = owner_get(demo, &format!("/conversations/{conversation}/messages?limit=100")).await;
    let items = page["items"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter(|m| m["sender_kind"] == "agent")
        .filter_map(|m| m["content"]["text"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_picks_a_quick_reply_that_fills_the_order_and_an_unfilled_variable_is_not_sent() {
    // rule: AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.find(".rows .row").await;
    let (id, rendered) = conversation_with_an_order(demo, &page).await;
    let expected = rendered["text"].as_str().unwrap().to_owned();
    // The conversation's orders: recorded ones and those its order cards name.
    let detail = owner_get(demo, &format!("/conversations/{id}")).await;
    let messages = owner_get(demo, &format!("/conversations/{id}/messages?limit=100")).await;
    let mut order_ids: Vec<String> = Vec::new();
    for o in detail["orders"].as_array().into_iter().flatten() {
        order_ids.extend(
            [&o["external_id"], &o["name"]].iter().filter_map(|v| v.as_str().map(str::to_owned)),
        );
    }
    for m in messages["items"].as_array().into_iter().flatten() {
        order_ids.extend(m["content"]["order_id"].as_str().map(str::to_owned));
    }
    assert!(
        order_ids.iter().any(|o| expected.contains(o.as_str())),
        "the text names the conversation's order: {expected} / {order_ids:?}"
    );

    page.open_row(&format!(r#".rows .row[data-id="{id}"]"#)).await;
    page.find("#reply:not([disabled])").await;
    let sent_before = agent_texts(demo, &id).await;

    // `/` opens the picker with the shop's set, grouped.
    page.type_into("#reply", "/").await;
    page.until(
        "the picker lists the shop's four quick replies in their three groups",
        "const l = document.querySelector('.qr-picker:not([hidden])'); \
         return l && l.querySelectorAll('.qr-option').length === 4 && l.querySelectorAll('.qr-group').length === 3",
    )
    .await;
    page.keys(key::DOWN).await;
    page.until(
        "↓ moves to the second",
        "return document.querySelector('#qr-option-1[aria-selected=true]')",
    )
    .await;
    page.keys(UP).await;
    page.until("↑ moves back", "return document.querySelector('#qr-option-0[aria-selected=true]')")
        .await;
    page.screenshot("docs/quick-replies.png").await;
    // Typing filters (title, group and texts).
    page.keys("ord").await;
    page.until(
        "typing filters the picker to the Orders group",
        "const o = [...document.querySelectorAll('.qr-picker:not([hidden]) .qr-option strong')]; \
         return o.map(e => e.textContent).join() === 'order,status'",
    )
    .await;
    // Enter chooses: the box holds the rendered text, editable, and nothing is sent.
    page.keys(key::ENTER).await;
    let value = page
        .until(
            "the reply box holds the rendered quick reply",
            "const v = document.querySelector('#reply').value; return v.includes('{') || v.length < 5 ? null : v",
        )
        .await;
    assert_eq!(value.as_str(), Some(expected.as_str()));
    assert!(page.eval("return document.querySelector('.qr-picker').hidden").await == true);
    assert_eq!(agent_texts(demo, &id).await, sent_before, "choosing sent nothing");

    // The agent edits it, then sends it.
    page.keys(" See you soon!").await;
    page.keys(key::ENTER).await;
    let edited = format!("{expected} See you soon!");
    eventually("the edited quick reply sent", || async {
        let page = owner_get(demo, &format!("/conversations/{id}/messages?limit=100")).await;
        let items = page["items"].as_array().cloned().unwrap_or_default();
        items.iter().any(|m| m["content"]["text"] == edited.as_str()).then_some(())
    })
    .await;
    page.until("the box is empty again", "return document.querySelector('#reply').value === ''")
        .await;

    // A variable the conversation cannot fill is shown and not sent.
    page.type_into("#reply", "/track").await;
    page.until(
        "the tracking reply in the picker",
        "return document.querySelectorAll('.qr-picker:not([hidden]) .qr-option').length === 1",
    )
    .await;
    page.keys(TAB).await;
    let warning = page
        .until(
            "the unfilled variable is shown",
            "const w = document.querySelector('.qr-unfilled:not([hidden])'); return w && w.textContent",
        )
        .await;
    assert!(warning.as_str().unwrap().contains("{tracking_number}"), "{warning}");
    let selected = page
        .eval("const t = document.querySelector('#reply'); return t.value.slice(t.selectionStart, t.selectionEnd)")
        .await;
    assert_eq!(selected, "{tracking_number}", "the placeholder is selected for the agent");
    let count = agent_texts(demo, &id).await;
    page.keys(key::ENTER).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(agent_texts(demo, &id).await, count, "a placeholder is never sent");
    let still = page.eval("return document.querySelector('#reply').value").await;
    assert!(still.as_str().unwrap().contains("{tracking_number}"), "{still}");
    // Typing over the selected placeholder fills it; the warning goes away.
    page.keys("LX123456789CN").await;
    page.until("the warning goes", "return document.querySelector('.qr-unfilled').hidden").await;
    page.close().await;
    w.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_manage_ones_own_quick_replies_and_the_owner_the_shops_sets() {
    // rule: ALL-SHOP-1, DY-QUICK-1
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    page.find(".rows .row").await;
    page.click(r#".menu-item[data-view="settings"]"#).await;
    // Every shop's set, as seeded, in its groups.
    let shop = &demo.shops[0].id;
    let set = format!(r#".qr-settings details[data-set="{shop}"]"#);
    page.click(&format!("{set} summary")).await;
    page.until(
        "the shop's four quick replies",
        &format!("return document.querySelectorAll('{set} .qr-item').length === 4"),
    )
    .await;
    // One's own: an unknown variable is refused with the daemon's words, then saved.
    let own = r#".qr-settings details[data-set="own"]"#;
    page.type_into(&format!("{own} input[name=title]"), "later").await;
    page.type_into(&format!("{own} textarea[name=text]"), "Back soon {buyer}").await;
    page.click(&format!("{own} button[type=submit]")).await;
    page.until(
        "the unknown variable is refused",
        &format!("return document.querySelector('{own} [role=status]:last-child')?.textContent.includes('not a variable')"),
    )
    .await;
    page.eval(&format!(
        "document.querySelector('{own} textarea[name=text]').value = ''; return true"
    ))
    .await;
    page.type_into(&format!("{own} textarea[name=text]"), "Back soon, ").await;
    page.click(&format!(r#"{own} .qr-var"#)).await;
    page.click(&format!("{own} button[type=submit]")).await;
    let text = page
        .until(
            "the new reply listed",
            &format!("return document.querySelector('{own} .qr-item .qr-text')?.textContent"),
        )
        .await;
    assert_eq!(text, "Back soon, {buyer_name}");
    let mine = owner_get(demo, "/quick_replies?scope=own").await;
    assert_eq!(mine[0]["title"], "later", "{mine}");
    // ↓ moves a shop reply down: the set's order changes for everyone.
    page.click(&format!(r#"{set} .qr-item .qr-actions button:nth-child(2)"#)).await;
    eventually("the shop set reordered", || async {
        let set = owner_get(demo, &format!("/quick_replies?scope=shop&shop_id={shop}")).await;
        (set[0]["title"] == "status").then_some(())
    })
    .await;
    page.close().await;
    w.stop().await;
}
