//! The pre-send compliance check through the inbox, on every backend: a TikTok shop's
//! reply breaking its contact policies is refused and nothing is written; acknowledged,
//! it is sent and the override recorded on the message page; the shop's overrides
//! switch policies off and add words; live checks see only the viewer's conversations.

use crate::support::*;
use shopmux_core::CoreError;
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::services::compliance::Draft;

fn policies_of(result: &Result<shopmux_core::domain::model::Message, CoreError>) -> Vec<String> {
    match result {
        Err(CoreError::PolicyWarning(findings)) => {
            let mut ids: Vec<String> = findings.iter().map(|f| f.policy.clone()).collect();
            ids.dedup();
            ids
        }
        other => panic!("expected a policy warning, got {other:?}"),
    }
}

async fn setup(t: &TestInbox) -> (Seller, ConversationId) {
    let s = seller_on(&t.inbox, "comply", "tiktok").await;
    let conv = t.conversation_of(&s.shop, text("buyer", "b-1", "is it in stock?")).await;
    (s, conv)
}

async fn stored_texts(t: &TestInbox, s: &Seller, conv: ConversationId) -> usize {
    t.inbox.messages(&s.viewer, conv, &Default::default()).await.unwrap().items.len()
}

// rule: OFF-PHONE-1, OFF-MSG-1
#[tokio::test]
async fn a_reply_with_a_phone_number_is_refused_until_acknowledged_then_recorded() {
    for t in inboxes().await {
        let (s, conv) = setup(&t).await;
        let draft = "Call me on +48 512 345 678 or WhatsApp";
        let refused = t.inbox.reply(&s.viewer, conv, say(draft)).await;
        assert_eq!(policies_of(&refused), ["OFF-PHONE-1", "OFF-MSG-1"], "{}", t.name);
        assert_eq!(stored_texts(&t, &s, conv).await, 1, "{}: nothing written", t.name);

        // One of two acknowledged: still refused, with every finding listed.
        let half =
            t.inbox.reply_acknowledging(&s.viewer, conv, say(draft), &["OFF-PHONE-1".into()]).await;
        assert_eq!(policies_of(&half), ["OFF-PHONE-1", "OFF-MSG-1"], "{}", t.name);

        let both = ["OFF-PHONE-1".to_owned(), "OFF-MSG-1".to_owned()];
        let sent = t.inbox.reply_acknowledging(&s.viewer, conv, say(draft), &both).await.unwrap();
        let page = t.inbox.messages(&s.viewer, conv, &Default::default()).await.unwrap();
        assert_eq!(page.items.len(), 2, "{}", t.name);
        assert_eq!(page.policy_overrides.len(), 1, "{}", t.name);
        let o = &page.policy_overrides[0];
        assert_eq!((o.message_id, o.agent_id), (sent.id, s.viewer.agent.id), "{}", t.name);
        assert_eq!(o.policies, ["OFF-PHONE-1", "OFF-MSG-1"], "{}", t.name);

        // A clean reply, with an order id and a price, goes through unrecorded.
        let clean = t
            .inbox
            .reply(&s.viewer, conv, say("Order 5012345678 ships today; it was $1,299.99"))
            .await
            .unwrap();
        let page = t.inbox.messages(&s.viewer, conv, &Default::default()).await.unwrap();
        assert!(page.policy_overrides.iter().all(|o| o.message_id != clean.id), "{}", t.name);
    }
}

// rule: OFF-PHONE-1, OFF-LINK-1
#[tokio::test]
async fn a_shops_overrides_switch_policies_off_allow_its_domains_and_add_words() {
    for t in inboxes().await {
        let (s, conv) = setup(&t).await;
        let settings = serde_json::json!({"compliance": {
            "disabled": ["OFF-PHONE-1"],
            "allowed_domains": ["myshop.com"],
            "extra_words": {"SHOP-WORDS-1": ["rival store"]}
        }});
        t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, settings).await.unwrap();
        t.reply_text(&s.viewer, conv, "Call me on +48 512 345 678, see myshop.com/sale").await;
        let refused = t.inbox.reply(&s.viewer, conv, say("The Rival Store is worse")).await;
        assert_eq!(policies_of(&refused), ["SHOP-WORDS-1"], "{}", t.name);
        let link = t.inbox.reply(&s.viewer, conv, say("see other-shop.com")).await;
        assert_eq!(policies_of(&link), ["OFF-LINK-1"], "{}", t.name);

        // An override naming a policy the platform lacks is refused, naming the field.
        let bad = serde_json::json!({"compliance": {"disabled": ["OFF-NOPE-1"]}});
        let refused = t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, bad).await;
        assert_invalid(refused, "settings.compliance.disabled", "OFF-NOPE-1");
    }
}

#[tokio::test]
async fn live_checks_find_what_sending_would_and_only_in_visible_conversations() {
    for t in inboxes().await {
        let (s, conv) = setup(&t).await;
        let draft = Draft { text: "加我微信 13800138000".into() };
        let check = t.inbox.check_draft(&s.viewer, conv, &draft).await.unwrap();
        let found: Vec<(&str, &str)> =
            check.findings.iter().map(|f| (f.policy.as_str(), f.text.as_str())).collect();
        assert_eq!(
            found,
            [("OFF-MSG-1", "加我"), ("OFF-MSG-1", "微信"), ("OFF-PHONE-1", "13800138000")],
            "{}",
            t.name
        );
        let other = seller(&t.inbox, "other").await;
        let hidden = t.inbox.check_draft(&other.viewer, conv, &draft).await;
        assert!(matches!(hidden, Err(CoreError::NotFound(_))), "{}: {hidden:?}", t.name);
    }
}
