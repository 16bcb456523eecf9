//! Storefront email confirmation on every backend: a mailed code expires by the injected
//! clock, allows five guesses (then none, even the right one), and only a confirmed
//! address becomes the session's; a direct session is an anonymous visitor, continued
//! only by its own previous token.

use crate::support::*;
use chrono::Duration;
use shopmux_core::CoreError;
use shopmux_core::services::storefront::{StorefrontProof, StorefrontStart};

fn start(email: &str, previous: Option<&str>) -> StorefrontStart {
    StorefrontStart {
        email: Some(email.into()),
        previous_token: previous.map(str::to_owned),
        ..Default::default()
    }
}

#[tokio::test]
async fn storefront_email_codes_expire_by_the_clock_and_allow_five_guesses() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "sf", "shopify").await;
        let shop = s.shop.shop_id;
        let session = t
            .inbox
            .start_storefront_session(shop, StorefrontProof::Direct, start("ana@example.com", None))
            .await
            .unwrap();
        assert!(!session.verified && !session.email_verified, "{}", t.name);
        let token = session.token.clone();
        // A code that expired (15 minutes by the injected clock) is refused.
        let code = t.inbox.request_storefront_email_code(shop, &token, "ana@example.com").await;
        let code = code.unwrap().code;
        t.clock.advance(Duration::minutes(16));
        assert_invalid(
            t.inbox.confirm_storefront_email(shop, &token, &code).await,
            "code",
            "expired",
        );
        // A new code: five wrong guesses, then even the right code is refused.
        let code = t.inbox.request_storefront_email_code(shop, &token, "ana@example.com").await;
        let code = code.unwrap().code;
        let wrong = if code == "000000" { "000001" } else { "000000" };
        for _ in 0..5 {
            assert_invalid(
                t.inbox.confirm_storefront_email(shop, &token, wrong).await,
                "code",
                "wrong",
            );
        }
        let exhausted = t.inbox.confirm_storefront_email(shop, &token, &code).await;
        assert_invalid(exhausted, "code", "too many");
        // A fresh code confirms; the same visitor continues with the previous token only.
        let code = t.inbox.request_storefront_email_code(shop, &token, "ana@example.com").await;
        let email = t.inbox.confirm_storefront_email(shop, &token, &code.unwrap().code).await;
        assert_eq!(email.unwrap(), "ana@example.com", "{}", t.name);
        let again = t
            .inbox
            .start_storefront_session(
                shop,
                StorefrontProof::Direct,
                start("ana@example.com", Some(&token)),
            )
            .await
            .unwrap();
        assert_eq!(again.buyer_external_id, session.buyer_external_id, "{}", t.name);
        assert!(again.email_verified, "{}: the same visitor keeps the confirmed address", t.name);
        let stranger = t
            .inbox
            .start_storefront_session(
                shop,
                StorefrontProof::Direct,
                start("ana@example.com", Some("smx_guess")),
            )
            .await
            .unwrap();
        assert_ne!(stranger.buyer_external_id, session.buyer_external_id, "{}", t.name);
        assert!(!stranger.email_verified, "{}", t.name);
        // No code pending any more.
        let none = t.inbox.confirm_storefront_email(shop, &token, "123456").await;
        assert!(matches!(none, Err(CoreError::Conflict(_))), "{}: {none:?}", t.name);
    }
}

#[tokio::test]
async fn storefront_history_is_the_sessions_own_buyers_paged_both_ways_by_cursor() {
    use shopmux_core::services::storefront_widget::HistorySender;
    // No background delivery: the agent's reply stays pending, as it is while on its way.
    for t in inboxes_with(Vec::new).await {
        let s = seller_on(&t.inbox, "sfh", "shopify").await;
        let shop = s.shop.shop_id;
        let direct = StorefrontProof::Direct;
        let session = t
            .inbox
            .start_storefront_session(shop, direct, StorefrontStart::default())
            .await
            .unwrap();
        let buyer = session.buyer_external_id.clone();
        let own = |id: &str, words: &str| text(&buyer, &format!("sf:{buyer}:{id}"), words);
        let conversation = t.conversation_of(&s.shop, own("c1", "first")).await;
        t.clock.advance(Duration::seconds(1));
        t.reply_text(&s.viewer, conversation, "second").await;
        t.clock.advance(Duration::seconds(1));
        t.ingest(&s.shop, own("c2", "third")).await;
        t.ingest(&s.shop, text("visitor:other", "sf:visitor:other:x", "not yours")).await;
        let history = |before: Option<String>, after: Option<String>, limit: u32| {
            let (inbox, token) = (t.inbox.clone(), session.token.clone());
            async move {
                let page = inbox
                    .storefront_history(shop, &token, before.as_deref(), after.as_deref(), limit)
                    .await
                    .unwrap();
                let texts: Vec<String> = page.items.iter().map(|m| m.content.summary()).collect();
                (page, texts)
            }
        };
        let (all, texts) = history(None, None, 50).await;
        let cursors: Vec<&str> = all.items.iter().map(|m| m.cursor.as_str()).collect();
        assert_eq!(texts, ["first", "second", "third"], "{}: {cursors:?}", t.name);
        assert!(!all.more, "{}", t.name);
        assert_eq!(all.items[0].from, HistorySender::Customer);
        assert_eq!(all.items[0].client_id.as_deref(), Some("c1"), "{}", t.name);
        assert_eq!(all.items[1].from, HistorySender::Agent);
        assert_eq!(all.items[1].sender_name.as_deref(), Some(s.owner.agent.nickname.as_str()));
        // The latest two, then the one before them; after the first, one at a time.
        let (latest, texts) = history(None, None, 2).await;
        assert_eq!((texts, latest.more), (vec!["second".to_owned(), "third".to_owned()], true));
        let (older, texts) = history(Some(latest.items[0].cursor.clone()), None, 2).await;
        assert_eq!((texts, older.more), (vec!["first".to_owned()], false), "{}", t.name);
        let (next, texts) = history(None, Some(all.items[0].cursor.clone()), 1).await;
        assert_eq!(
            (texts, next.more),
            (vec!["second".to_owned()], true),
            "{}: {cursors:?}",
            t.name
        );
        let (last, texts) = history(None, Some(all.items[2].cursor.clone()), 10).await;
        assert_eq!((texts.len(), last.more), (0, false), "{}", t.name);
        // An unknown token reads nothing.
        let unknown = t.inbox.storefront_history(shop, "smx_nope", None, None, 10).await;
        assert!(matches!(unknown, Err(CoreError::NotFound(_))), "{}: {unknown:?}", t.name);
    }
}
