//! The pre-send compliance check in the web inbox: typing a phone number into a TikTok
//! reply shows the warning with its policy ID while the agent types; sending is refused
//! until the agent chooses "Send anyway", which sends it, records the override, and
//! badges the message; the main account switches the policy off in the shop's settings.

use crate::inbox::{eventually, owner_get, world};
use crate::support::*;

// rule: OFF-PHONE-1
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typing_a_phone_number_warns_with_off_phone_1_and_send_anyway_sends_it_with_a_badge() {
    let Some(w) = world(None).await else { return };
    let (browser, demo) = (&w.browser, &w.demo);
    let page = browser.page().await;
    page.sign_in(&demo.base_url, &demo.owner_login, &demo.owner_password).await;
    let open = page.open_row(r#".rows .row[data-platform="tiktok"]"#).await;
    page.find("#reply:not([disabled])").await;

    // While typing: the warning names the policy and marks the number.
    let text = "Call me on +1 415 555 2671 and we sort it out";
    page.type_into("#reply", text).await;
    let warned = page
        .until(
            "the warning under the reply box names OFF-PHONE-1",
            r#"const w = document.querySelector('.compliance-warning:not([hidden])');
               return w && w.querySelector('li[data-policy="OFF-PHONE-1"]') && w.textContent"#,
        )
        .await;
    assert!(warned.as_str().unwrap().contains("OFF-PHONE-1"), "{warned}");
    page.until(
        "the number is marked in the warning",
        r#"return [...document.querySelectorAll('.compliance-warning li[data-policy="OFF-PHONE-1"] mark')]
               .some(m => m.textContent === '+1 415 555 2671')"#,
    )
    .await;

    // Enter: refused, nothing sent; "Send anyway" appears.
    page.type_into("#reply", key::ENTER).await;
    page.find(".compliance-warning.confirming .send-anyway").await;
    let sent_before = owner_get(demo, &format!("/conversations/{open}/messages?limit=200")).await;
    let count = |page: &serde_json::Value| {
        page["items"].as_array().unwrap().iter().filter(|m| m["content"]["text"] == text).count()
    };
    assert_eq!(count(&sent_before), 0, "a refused reply is not stored");
    page.screenshot("docs/compliance.png").await;

    // Send anyway: stored with the override, and the message shows its badge.
    page.click(".compliance-warning .send-anyway").await;
    page.until(
        "the sent message shows the badge",
        &format!(
            r#"return [...document.querySelectorAll('.msg.out')].some(m => m.textContent.includes({text:?})
                && m.querySelector('.policy-badge[data-policies~="OFF-PHONE-1"]'))"#
        ),
    )
    .await;
    eventually("the override is on the message page (API)", || async {
        let page = owner_get(demo, &format!("/conversations/{open}/messages?limit=200")).await;
        let mine = page["items"].as_array()?.iter().find(|m| m["content"]["text"] == text)?.clone();
        let overrides = page["policy_overrides"].as_array()?;
        overrides
            .iter()
            .any(|o| o["message_id"] == mine["id"] && o["policies"][0] == "OFF-PHONE-1")
            .then_some(())
    })
    .await;
    // The warning is gone with the sent text.
    page.until("the warning clears", "return document.querySelector('.compliance-warning').hidden")
        .await;

    // A reload shows the badge from the message page.
    page.goto(&format!("{}/", demo.base_url)).await;
    page.open_row(&format!(r#".rows .row[data-id="{open}"]"#)).await;
    page.find(".msg.out .policy-badge").await;

    // The main account switches OFF-PHONE-1 off for this shop in the settings.
    let detail = owner_get(demo, &format!("/conversations/{open}")).await;
    let shop = detail["conversation"]["shop_id"].as_str().unwrap().to_owned();
    let shop_name = owner_get(demo, &format!("/shops/{shop}")).await["name"].clone();
    page.click(r#".menu [data-view="settings"]"#).await;
    page.find(".settings-part details summary").await;
    page.eval(&format!(
        r#"const d = [...document.querySelectorAll('.settings-part details')]
               .find(d => d.querySelector('summary').textContent.startsWith({shop_name} + ' · '));
           d.open = true; return true"#
    ))
    .await;
    page.click(r#".compliance-settings input[data-policy="OFF-PHONE-1"]"#).await;
    page.click(".compliance-settings button").await;
    eventually("the shop's settings switch OFF-PHONE-1 off (API)", || async {
        let shop = owner_get(demo, &format!("/shops/{shop}")).await;
        (shop["settings"]["compliance"]["disabled"] == serde_json::json!(["OFF-PHONE-1"]))
            .then_some(())
    })
    .await;

    page.close().await;
    w.stop().await;
}
