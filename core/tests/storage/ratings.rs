//! Ratings (DY-RATE-1): a buyer's rating card arriving the one way in is recorded with
//! the agent rated and thanked naming that agent, once per message; re-rating keeps the
//! earlier ratings and marks the latest; the invitation goes only where the platform
//! carries rating cards; the list filters and pages within what the viewer sees.

use crate::support::*;
use chrono::Duration;
use shopmux_contract::adapter::{BuyerMessage, EventBuyer, InboundEvent};
use shopmux_contract::content::MessageContent;
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::domain::listing::MessageQuery;
use shopmux_core::domain::model::{Message, SenderKind};
use shopmux_core::domain::ratings::{RatingQuery, RatingSource};
use shopmux_core::events::InboxEvent;
use shopmux_core::services::apply::EventOutcome;
use shopmux_core::{Clock, CoreError};

/// A buyer's message through `Inbox::apply`, as any channel hands it.
fn event(buyer: &str, id: &str, content: MessageContent) -> InboundEvent {
    InboundEvent::Message(BuyerMessage {
        buyer: EventBuyer {
            external_id: buyer.into(),
            nickname: Some(buyer.into()),
            email: None,
            language: None,
        },
        platform_message_id: id.into(),
        platform_conversation_id: None,
        content,
        sent_at_ms: None,
        order: None,
        entry_point: None,
    })
}

fn rating(score: u8, comment: Option<&str>) -> MessageContent {
    MessageContent::RatingCard { score: Some(score), comment: comment.map(str::to_owned) }
}

/// Applies one buyer message; it must be stored (or be a duplicate).
async fn apply(t: &TestInbox, s: &Seller, e: InboundEvent) -> ConversationId {
    let applied = t.inbox.apply(&s.shop, vec![e]).await.expect("apply");
    match applied.outcomes.into_iter().next() {
        Some(EventOutcome::Stored(o) | EventOutcome::Duplicate(o)) => o.conversation_id,
        other => panic!("{}: not stored: {other:?}", t.name),
    }
}

async fn all_messages(t: &TestInbox, s: &Seller, id: ConversationId) -> Vec<Message> {
    t.inbox.messages(&s.viewer, id, &MessageQuery::default()).await.expect("messages").items
}

fn by_conversation(id: ConversationId) -> RatingQuery {
    RatingQuery { conversation_id: Some(id), ..Default::default() }
}

#[tokio::test]
async fn a_buyer_rating_is_recorded_for_the_agent_and_thanked_naming_them() {
    // rule: DY-RATE-1 (the buyer may rate at any time; the thank-you names the agent)
    for t in inboxes().await {
        let s = seller(&t.inbox, "Mia").await;
        let mut events = t.inbox.events().subscribe();
        let conv = apply(&t, &s, event("ola", "m-1", say("hi"))).await;
        t.reply_text(&s.viewer, conv, "Hello, how can I help?").await;
        t.clock.advance(Duration::minutes(2));
        // Rated without any invitation.
        let rated = apply(&t, &s, event("ola", "m-2", rating(4, Some(" quick and kind ")))).await;
        assert_eq!(rated, conv);
        let page = t.inbox.ratings(&s.viewer, &by_conversation(conv)).await.expect("ratings");
        assert_eq!(page.items.len(), 1, "{}", t.name);
        let r = &page.items[0];
        assert_eq!((r.score, r.comment.as_deref()), (4, Some("quick and kind")));
        assert_eq!(r.agent_id, Some(s.viewer.agent.id), "{}: the agent rated", t.name);
        assert_eq!((r.source, r.latest), (RatingSource::ApiChannel, true));
        let messages = all_messages(&t, &s, conv).await;
        let last = messages.last().expect("thank-you");
        assert_eq!(last.sender_kind, SenderKind::Bot, "{}", t.name);
        assert_eq!(last.content, say("Thank you for your rating! — Mia"), "{}", t.name);
        // A redelivery of the rating records nothing and thanks nobody again.
        apply(&t, &s, event("ola", "m-2", rating(4, Some(" quick and kind ")))).await;
        let again = t.inbox.ratings(&s.viewer, &by_conversation(conv)).await.expect("ratings");
        assert_eq!(again.items.len(), 1, "{}: one rating per message", t.name);
        assert_eq!(all_messages(&t, &s, conv).await.len(), messages.len(), "{}", t.name);
        // The rating was published for live streams (and webhooks).
        let mut seen = false;
        while let Ok(e) = events.try_recv() {
            if let InboxEvent::RatingReceived { rating } = e {
                seen = rating.message_id == r.message_id && rating.score == 4;
            }
        }
        assert!(seen, "{}: RatingReceived published", t.name);
        t.assert_counters_match(s.shop.shop_id).await;
    }
}

#[tokio::test]
async fn rating_again_keeps_the_earlier_rating_and_the_latest_counts() {
    // rule: DY-RATE-1 (a buyer may rate at any time, again too)
    for t in inboxes().await {
        let s = seller(&t.inbox, "Leo").await;
        let conv = apply(&t, &s, event("ola", "m-1", say("hi"))).await;
        t.reply_text(&s.viewer, conv, "Hi!").await;
        apply(&t, &s, event("ola", "r-1", rating(5, None))).await;
        t.clock.advance(Duration::minutes(1));
        apply(&t, &s, event("ola", "r-2", rating(2, Some("changed my mind")))).await;
        let all = t.inbox.ratings(&s.viewer, &by_conversation(conv)).await.unwrap().items;
        let scores: Vec<(i64, bool)> = all.iter().map(|r| (r.score, r.latest)).collect();
        assert_eq!(scores, vec![(2, true), (5, false)], "{}: newest first, latest marked", t.name);
        let latest = RatingQuery { latest: Some(true), ..by_conversation(conv) };
        let counted = t.inbox.ratings(&s.viewer, &latest).await.unwrap().items;
        assert_eq!(counted.iter().map(|r| r.score).collect::<Vec<_>>(), vec![2]);
    }
}

#[tokio::test]
async fn with_no_agent_the_thank_you_names_the_shop_and_the_rating_names_no_agent() {
    // rule: DY-RATE-1
    for t in inboxes().await {
        let s = seller(&t.inbox, "Zoe").await;
        let conv = apply(&t, &s, event("ola", "r-1", rating(3, None))).await;
        let r = &t.inbox.ratings(&s.viewer, &by_conversation(conv)).await.unwrap().items[0];
        assert_eq!(r.agent_id, None, "{}", t.name);
        let last = all_messages(&t, &s, conv).await.pop().unwrap();
        assert_eq!(last.content, say("Thank you for your rating! — Zoe shop"), "{}", t.name);
        // A rating awaits no answer: the conversation is not unreplied because of it.
        assert_eq!(t.conversation(&s.viewer, conv).await.waiting_since, None, "{}", t.name);
        // A question before the rating still waits for its answer.
        let asked = apply(&t, &s, event("eva", "q-1", say("does it fit?"))).await;
        t.clock.advance(Duration::minutes(1));
        apply(&t, &s, event("eva", "r-2", rating(2, None))).await;
        assert!(t.conversation(&s.viewer, asked).await.waiting_since.is_some(), "{}", t.name);
    }
}

#[tokio::test]
async fn a_rating_after_the_chat_ended_names_the_agent_who_last_replied() {
    // rule: DY-RATE-1 (the buyer may rate at any time: after the end too)
    for t in inboxes().await {
        let s = seller(&t.inbox, "Ada").await;
        let conv = apply(&t, &s, event("ola", "m-1", say("hi"))).await;
        t.reply_text(&s.viewer, conv, "Done!").await;
        t.change(&s.viewer, conv, shopmux_core::domain::conversation::Change::End).await;
        let later = apply(&t, &s, event("ola", "r-1", rating(5, None))).await;
        let r = &t.inbox.ratings(&s.viewer, &by_conversation(later)).await.unwrap().items[0];
        assert_eq!(r.agent_id, Some(s.viewer.agent.id), "{}", t.name);
    }
}

#[tokio::test]
async fn the_invitation_has_no_score_and_goes_only_where_the_platform_carries_it() {
    // rule: DY-RATE-1 (an agent may send a rating invitation; no preselected score)
    // rule: ALL-CARD-1 (a platform that lacks the kind refuses it with a clear error)
    for t in inboxes().await {
        let s = seller(&t.inbox, "Ivy").await;
        let conv = apply(&t, &s, event("ola", "m-1", say("hi"))).await;
        let invite = t.inbox.request_rating(&s.viewer, conv).await.expect("invitation");
        assert_eq!(invite.content, MessageContent::RatingCard { score: None, comment: None });
        assert_eq!(invite.sender_kind, SenderKind::Agent);
        for (platform, rule) in [("tiktok", "TT-MSG-1"), ("aliexpress", "ALL-CARD-1")] {
            let m = seller_on(&t.inbox, &format!("{platform}-rater"), platform).await;
            let c = t.conversation_of(&m.shop, text("ola", "m-1", "hi")).await;
            let refused = t.inbox.request_rating(&m.viewer, c).await;
            assert_rule(refused, rule, platform);
            let page = t.inbox.messages(&m.viewer, c, &MessageQuery::default()).await.unwrap();
            assert_eq!(page.items.len(), 1, "{}: {platform}: nothing written", t.name);
        }
    }
}

#[tokio::test]
async fn ratings_are_listed_with_filters_and_pages_within_what_the_viewer_sees() {
    // rule: DY-RATE-1
    for t in inboxes().await {
        let s = seller(&t.inbox, "Kim").await;
        let start = t.clock.now();
        for (i, (buyer, score)) in [("ann", 5u8), ("bob", 3), ("cat", 5)].into_iter().enumerate() {
            let conv = apply(&t, &s, event(buyer, &format!("m-{i}"), say("hi"))).await;
            t.reply_text(&s.viewer, conv, "hello").await;
            t.clock.advance(Duration::hours(1));
            apply(&t, &s, event(buyer, &format!("r-{i}"), rating(score, None))).await;
        }
        let fives = RatingQuery { score: Some(5), ..Default::default() };
        assert_eq!(t.inbox.ratings(&s.viewer, &fives).await.unwrap().items.len(), 2, "{}", t.name);
        let mine = RatingQuery { agent_id: Some(s.viewer.agent.id), ..Default::default() };
        assert_eq!(t.inbox.ratings(&s.viewer, &mine).await.unwrap().items.len(), 3);
        let source = RatingQuery { source: Some(RatingSource::Storefront), ..Default::default() };
        assert!(t.inbox.ratings(&s.viewer, &source).await.unwrap().items.is_empty());
        // The second hour only: [start + 2 h, start + 3 h) holds bob's rating.
        let window = RatingQuery {
            from: Some(start + Duration::hours(2)),
            to: Some(start + Duration::hours(3)),
            ..Default::default()
        };
        let hits = t.inbox.ratings(&s.viewer, &window).await.unwrap().items;
        assert_eq!(hits.iter().map(|r| r.score).collect::<Vec<_>>(), vec![3], "{}", t.name);
        // Pages.
        let first = RatingQuery { limit: Some(2), ..Default::default() };
        let page = t.inbox.ratings(&s.viewer, &first).await.unwrap();
        assert_eq!(page.items.len(), 2);
        let next = RatingQuery { limit: Some(2), cursor: page.next_cursor, ..Default::default() };
        let rest = t.inbox.ratings(&s.viewer, &next).await.unwrap();
        assert_eq!((rest.items.len(), rest.next_cursor), (1, None), "{}", t.name);
        // Bad values are refused; another seller sees nothing of these.
        assert_invalid(
            t.inbox.ratings(&s.viewer, &RatingQuery { score: Some(0), ..Default::default() }).await,
            "score",
            "1 to 5",
        );
        let other = seller(&t.inbox, "Other").await;
        assert!(
            t.inbox.ratings(&other.viewer, &RatingQuery::default()).await.unwrap().items.is_empty()
        );
        let theirs = by_conversation(page.items[0].conversation_id);
        assert!(matches!(
            t.inbox.ratings(&other.viewer, &theirs).await,
            Err(CoreError::NotFound(_))
        ));
        let shop = RatingQuery { shop_id: Some(s.shop.shop_id), ..Default::default() };
        assert!(matches!(t.inbox.ratings(&other.viewer, &shop).await, Err(CoreError::NotFound(_))));
    }
}

/// A buyer's message naming their language.
fn event_in(buyer: &str, language: &str, id: &str, content: MessageContent) -> InboundEvent {
    let mut e = event(buyer, id, content);
    if let InboundEvent::Message(m) = &mut e {
        m.buyer.language = Some(language.into());
    }
    e
}

#[tokio::test]
async fn the_shops_own_thank_you_in_the_buyers_language_names_the_agent() {
    // rule: DY-RATE-1 (the thank-you names the agent; the shop edits it per language)
    use shopmux_core::domain::faq_bot::BotSettings;
    for t in inboxes().await {
        let s = seller(&t.inbox, "Mia").await;
        let mut settings = BotSettings::default();
        let thanks = &mut settings.texts.rating_thanks;
        thanks.insert("en".into(), "Thanks from {agent_nickname}!".into());
        thanks.insert("es".into(), "¡Gracias! Le atendió {agent_nickname}.".into());
        // A sub-account cannot edit the shop's texts.
        let agent = create_agent(&t.inbox, &s.viewer, "ann", None, grant(s.shop.shop_id, true))
            .await
            .unwrap();
        let ann = t.inbox.authenticate(&agent.token).await.unwrap().unwrap();
        let refused = t.inbox.set_shop_bot(&ann, s.shop.shop_id, settings.clone()).await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))), "{}: {refused:?}", t.name);
        t.inbox.set_shop_bot(&s.viewer, s.shop.shop_id, settings).await.unwrap();
        for (buyer, language, expected) in [
            ("ana", "es-ES", "¡Gracias! Le atendió Mia."),
            ("ola", "en", "Thanks from Mia!"),
            ("jan", "pl", "Dziękujemy za ocenę! — Mia"),
        ] {
            let conv =
                apply(&t, &s, event_in(buyer, language, &format!("{buyer}-1"), say("hi"))).await;
            t.reply_text(&s.viewer, conv, "Hello!").await;
            apply(&t, &s, event_in(buyer, language, &format!("{buyer}-2"), rating(5, None))).await;
            let last = all_messages(&t, &s, conv).await.pop().unwrap();
            assert_eq!(last.content, say(expected), "{}: {language}", t.name);
        }
    }
}
