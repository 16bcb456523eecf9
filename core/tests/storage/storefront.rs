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
