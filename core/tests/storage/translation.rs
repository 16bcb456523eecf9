//! Translation (TT-TR-1, AE-TR-1, AE-TR-2) against the simulator provider: buyer
//! messages get their translation into the agent's language beside the original, off
//! the ingest path; the same text and pair is translated once (the provider's calls
//! counted); the monthly budget per seller (the configured default, or the seller's own
//! set by the main account); a failing provider leaves messages
//! untranslated with the reason; replies send the translation and keep the original;
//! where the platform translates, nothing is translated twice; daemons sharing the
//! database claim each pending message under a lease, so each is translated (and paid
//! for) once, and a lease that ran out is taken over.

use crate::support::*;
use chrono::Duration;
use shopmux_contract::content::MessageContent;
use shopmux_core::CoreError;
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::domain::listing::MessageQuery;
use shopmux_core::domain::model::{Direction, Message, TranslationStatus};
use shopmux_core::events::InboxEvent;
use shopmux_core::services::translation::budget::BudgetInput;
use shopmux_core::services::translation::inbound::LEASE;
use shopmux_core::services::translation::outbound::{
    DraftRequest, ReplyTranslation, TranslationChoice,
};
use shopmux_core::services::translation::simulator::SimulatorProvider;
use shopmux_core::services::translation::{TranslationOptions, TranslationProvider};
use shopmux_core::storage::translations::{Claimed, Pick};
use shopmux_core::{Clock, Inbox, InboxOptions, Store, StoreOptions};
use std::sync::Arc;

const SPANISH: &str = "Hola, ¿cuándo llegará mi pedido?";
const ENGLISH: &str = "Hello, when will my order arrive?";

async fn messages(t: &TestInbox, s: &Seller, id: ConversationId) -> Vec<Message> {
    t.inbox.messages(&s.viewer, id, &MessageQuery::default()).await.expect("messages").items
}

async fn inbound(t: &TestInbox, s: &Seller, id: ConversationId) -> Vec<Message> {
    messages(t, s, id).await.into_iter().filter(|m| m.direction == Direction::In).collect()
}

fn text_of(m: &Message) -> &str {
    match &m.content {
        MessageContent::Text { text } => text,
        other => panic!("not text: {other:?}"),
    }
}

#[tokio::test]
async fn a_spanish_buyer_message_gets_its_english_translation_and_keeps_the_original() {
    // rule: TT-TR-1 (every message shown in the original and in the agent's language)
    for (t, sim) in inboxes_translating(None).await {
        let s = seller(&t.inbox, "Tr").await;
        let mut events = t.inbox.events().subscribe();
        let conv = t.conversation_of(&s.shop, text("b1", "m1", SPANISH)).await;
        let before = &inbound(&t, &s, conv).await[0];
        assert_eq!(before.translation.as_ref().map(|x| x.status), Some(TranslationStatus::Pending));
        assert_eq!(before.translated_text, None, "{}: not translated on the ingest path", t.name);
        assert_eq!(t.inbox.translate_pending_now().await.unwrap(), 1);
        let m = &inbound(&t, &s, conv).await[0];
        assert_eq!(text_of(m), SPANISH, "{}: the original is never replaced", t.name);
        assert_eq!(m.translated_text.as_deref(), Some(ENGLISH), "{}", t.name);
        let tr = m.translation.as_ref().unwrap();
        assert_eq!(tr.status, TranslationStatus::Translated);
        assert_eq!((tr.source.as_deref(), tr.target.as_deref()), (Some("es"), Some("en")));
        assert_eq!(tr.provider.as_deref(), Some("simulator"));
        assert_eq!(sim.calls(), 1);
        // Pushed to the live streams when ready.
        let mut updated = None;
        while let Ok(e) = events.try_recv() {
            if let InboxEvent::MessageUpdated { message } = e {
                updated = Some(message);
            }
        }
        assert_eq!(updated.and_then(|m| m.translated_text).as_deref(), Some(ENGLISH), "{}", t.name);
        assert_eq!(t.inbox.translate_pending_now().await.unwrap(), 0, "settled once");
    }
}

#[tokio::test]
async fn a_message_in_the_agents_language_is_not_sent_to_the_provider() {
    for (t, sim) in inboxes_translating(None).await {
        let s = seller(&t.inbox, "Same").await;
        let conv = t.conversation_of(&s.shop, text("b1", "m1", "When does my order arrive?")).await;
        t.inbox.translate_pending_now().await.unwrap();
        let m = &inbound(&t, &s, conv).await[0];
        assert_eq!(m.translation.as_ref().unwrap().status, TranslationStatus::SameLanguage);
        assert_eq!(m.translated_text, None);
        assert_eq!(sim.calls(), 0, "{}", t.name);
    }
}

#[tokio::test]
async fn the_agents_interface_language_is_the_target() {
    // rule: AE-TR-2 (what the seller receives is shown in the seller's language)
    for (t, _) in inboxes_translating(None).await {
        let s = seller(&t.inbox, "Lang").await;
        assert_eq!(t.inbox.set_agent_language(&s.viewer, "pl-PL").await.unwrap(), "pl");
        assert!(matches!(
            t.inbox.set_agent_language(&s.viewer, "klingon!").await,
            Err(CoreError::Invalid { .. })
        ));
        let conv = t.conversation_of(&s.shop, text("b1", "m1", SPANISH)).await;
        t.inbox.translate_pending_now().await.unwrap();
        let m = &inbound(&t, &s, conv).await[0];
        assert_eq!(
            m.translated_text.as_deref(),
            Some("Dzień dobry, kiedy przyjdzie moje zamówienie?")
        );
        assert_eq!(m.translation.as_ref().unwrap().target.as_deref(), Some("pl"), "{}", t.name);
    }
}

#[tokio::test]
async fn the_same_text_and_pair_is_translated_once() {
    for (t, sim) in inboxes_translating(None).await {
        let s = seller(&t.inbox, "Cache").await;
        let a = t.conversation_of(&s.shop, text("b1", "m1", SPANISH)).await;
        t.inbox.translate_pending_now().await.unwrap();
        let b = t.conversation_of(&s.shop, text("b2", "m2", SPANISH)).await;
        t.inbox.translate_pending_now().await.unwrap();
        assert_eq!(sim.calls(), 1, "{}: the second identical request hit the cache", t.name);
        for conv in [a, b] {
            assert_eq!(inbound(&t, &s, conv).await[0].translated_text.as_deref(), Some(ENGLISH));
        }
        let usage = t.inbox.translation_usage(&s.viewer).await.unwrap();
        assert_eq!(usage.providers.len(), 1);
        assert_eq!(usage.providers[0].provider, "simulator");
        assert_eq!(usage.providers[0].characters, SPANISH.chars().count() as i64);
        assert_eq!(usage.providers[0].requests, 1);
        // Another pair is another translation.
        let other =
            t.inbox.translate_text(s.viewer.agent.seller_id, SPANISH, Some("es"), "pl").await;
        assert!(!other.unwrap().from_cache);
        assert_eq!(sim.calls(), 2, "{}", t.name);
    }
}

#[tokio::test]
async fn past_the_monthly_budget_messages_stay_untranslated_with_the_reason() {
    let budget = SPANISH.chars().count() as u64 + 5;
    for (t, sim) in inboxes_translating(Some(budget)).await {
        let s = seller(&t.inbox, "Budget").await;
        let first = t.conversation_of(&s.shop, text("b1", "m1", SPANISH)).await;
        t.inbox.translate_pending_now().await.unwrap();
        // Translated at once (in parallel, each checked under the seller's lock).
        let second = t.conversation_of(&s.shop, text("b2", "m2", "¡Gracias!")).await;
        let third =
            t.conversation_of(&s.shop, text("b3", "m3", "¿Puedo devolver este artículo?")).await;
        t.inbox.translate_pending_now().await.unwrap();
        assert!(inbound(&t, &s, first).await[0].translated_text.is_some());
        // "¡Gracias!" (9) does not fit the 5 left; the third does not either.
        for conv in [second, third] {
            let m = &inbound(&t, &s, conv).await[0];
            let tr = m.translation.as_ref().unwrap();
            assert_eq!(tr.status, TranslationStatus::Failed, "{}", t.name);
            assert!(tr.error.as_deref().unwrap().starts_with("budget_exceeded"), "{tr:?}");
            assert_eq!(m.translated_text, None);
        }
        assert_eq!(sim.calls(), 1, "{}: nothing sent past the budget", t.name);
        // A cached translation costs nothing, even past the budget.
        let again = t.inbox.translate_text(s.viewer.agent.seller_id, SPANISH, Some("es"), "en");
        assert!(again.await.unwrap().result.is_ok());
        // The next month starts afresh.
        t.clock.advance(Duration::days(32));
        let later = t.conversation_of(&s.shop, text("b4", "m4", "¡Gracias!")).await;
        t.inbox.translate_pending_now().await.unwrap();
        assert_eq!(
            inbound(&t, &s, later).await.last().unwrap().translated_text.as_deref(),
            Some("Thank you!")
        );
    }
}

#[tokio::test]
async fn a_sellers_own_budget_replaces_the_default_for_that_seller_only() {
    // The configured default (10 characters) holds for sellers without their own.
    for (t, sim) in inboxes_translating(Some(10)).await {
        let (a, b) = (seller(&t.inbox, "OwnBudget").await, seller(&t.inbox, "Default").await);
        let translate = |s: &Seller, text: &'static str| {
            t.inbox.translate_text(s.viewer.agent.seller_id, text, Some("es"), "en")
        };
        let why = |r: shopmux_core::services::translation::Translated| r.result.err();
        let refused = why(translate(&b, SPANISH).await.unwrap()).unwrap();
        assert!(refused.starts_with("budget_exceeded: this month's 10 "), "{}: {refused}", t.name);
        // The main account lifts its seller's limit: the same text is translated.
        let none = BudgetInput { monthly_chars: None };
        let view = t.inbox.set_translation_budget(&a.viewer, &none).await.unwrap();
        assert_eq!(
            (view.monthly_chars, view.own, view.default_monthly_chars),
            (None, true, Some(10))
        );
        assert!(translate(&a, SPANISH).await.unwrap().result.is_ok(), "{}", t.name);
        assert!(why(translate(&b, "¡Muchas gracias!").await.unwrap()).is_some(), "{}", t.name);
        // Its own 40: 32 are spent, "¡Muchas gracias!" (16) does not fit.
        let forty = BudgetInput { monthly_chars: Some(40) };
        t.inbox.set_translation_budget(&a.viewer, &forty).await.unwrap();
        let refused = why(translate(&a, "¡Muchas gracias!").await.unwrap()).unwrap();
        assert!(refused.starts_with("budget_exceeded: this month's 40 "), "{}: {refused}", t.name);
        let usage = t.inbox.translation_usage(&a.viewer).await.unwrap();
        assert_eq!(usage.monthly_budget, Some(40), "{}", t.name);
        assert_eq!(t.inbox.translation_budget(&b.viewer).await.unwrap().monthly_chars, Some(10));
        // Back to the default.
        let view = t.inbox.reset_translation_budget(&a.viewer).await.unwrap();
        assert_eq!((view.monthly_chars, view.own), (Some(10), false), "{}", t.name);
        assert_eq!(sim.calls(), 1, "{}", t.name);
        // Only the main account sets it, and only to a number of characters or none.
        let shops = grant(a.shop.shop_id, true);
        let agent = create_agent(&t.inbox, &a.viewer, "ann", None, shops).await.unwrap();
        let ann = t.inbox.authenticate(&agent.token).await.unwrap().unwrap();
        let refused = t.inbox.set_translation_budget(&ann, &forty).await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))), "{refused:?}");
        assert!(t.inbox.translation_budget(&ann).await.is_ok(), "an agent reads it");
        let negative = BudgetInput { monthly_chars: Some(-1) };
        assert_invalid(
            t.inbox.set_translation_budget(&a.viewer, &negative).await,
            "monthly_chars",
            "0 to",
        );
    }
}

#[tokio::test]
async fn a_failing_provider_leaves_the_message_untranslated_with_the_reason() {
    for (t, sim) in inboxes_translating(None).await {
        let s = seller(&t.inbox, "Fail").await;
        sim.set_failing(true);
        let conv = t.conversation_of(&s.shop, text("b1", "m1", SPANISH)).await;
        assert_eq!(t.inbox.translate_pending_now().await.unwrap(), 1);
        let m = &inbound(&t, &s, conv).await[0];
        assert_eq!(text_of(m), SPANISH, "{}: the message is shown", t.name);
        let tr = m.translation.as_ref().unwrap();
        assert_eq!(tr.status, TranslationStatus::Failed);
        assert_eq!(
            tr.error.as_deref(),
            Some("provider_failed: unavailable: the simulator was told to fail")
        );
        // Nothing is cached or counted for a failure: once the provider is back, it works.
        sim.set_failing(false);
        let usage = t.inbox.translation_usage(&s.viewer).await.unwrap();
        let counted: i64 = usage.providers.iter().map(|u| u.characters + u.requests).sum();
        assert_eq!(counted, 0, "{}: a failed request is not counted", t.name);
        let draft = DraftRequest {
            text: SPANISH.into(),
            source: Some("es".into()),
            target: Some("en".into()),
        };
        let d = t.inbox.translate_draft(&s.viewer, conv, &draft).await.unwrap();
        assert_eq!(d.text.as_deref(), Some(ENGLISH));
    }
}

#[tokio::test]
async fn a_translated_reply_sends_the_translation_and_keeps_the_original() {
    // rule: TT-TR-1 (the draft translated live before sending)
    // rule: AE-TR-2 (the agent chooses source and target)
    for (t, sim) in inboxes_translating(None).await {
        let s = seller(&t.inbox, "Out").await;
        let conv = t.conversation_of(&s.shop, text("b1", "m1", SPANISH)).await;
        let choice = TranslationChoice {
            auto_translate: true,
            source: Some("en".into()),
            target: Some("es".into()),
        };
        let view = t.inbox.set_conversation_translation(&s.viewer, conv, &choice).await.unwrap();
        assert!(view.auto_translate && view.platform_translates.is_none());
        assert_eq!(t.inbox.conversation_translation(&s.viewer, conv).await.unwrap(), view);
        let draft =
            DraftRequest { text: "Your order ships tomorrow.".into(), ..Default::default() };
        let preview = t.inbox.translate_draft(&s.viewer, conv, &draft).await.unwrap();
        assert_eq!(preview.text.as_deref(), Some("Tu pedido se envía mañana."));
        assert_eq!((preview.source.as_deref(), preview.target.as_str()), (Some("en"), "es"));
        let sent = t
            .inbox
            .reply_translated(
                &s.viewer,
                conv,
                say("Your order ships tomorrow."),
                &[],
                &ReplyTranslation::default(),
            )
            .await
            .unwrap();
        assert_eq!(text_of(&sent), "Tu pedido se envía mañana.", "{}: what is sent", t.name);
        let tr = sent.translation.clone().unwrap();
        assert_eq!(tr.original_text.as_deref(), Some("Your order ships tomorrow."));
        assert_eq!((tr.source.as_deref(), tr.target.as_deref()), (Some("en"), Some("es")));
        assert_eq!(sim.calls(), 1, "{}: the preview's translation was reused", t.name);
        let stored = messages(&t, &s, conv).await.into_iter().find(|m| m.id == sent.id).unwrap();
        assert_eq!(stored, sent, "{}: both texts are stored", t.name);
        // A failure never blocks the reply: it leaves as written, with the reason.
        sim.set_failing(true);
        let plain = t
            .inbox
            .reply_translated(
                &s.viewer,
                conv,
                say("See you soon"),
                &[],
                &ReplyTranslation::default(),
            )
            .await
            .unwrap();
        assert_eq!(text_of(&plain), "See you soon");
        let tr = plain.translation.unwrap();
        assert_eq!(tr.status, TranslationStatus::Failed);
        assert!(tr.error.unwrap().starts_with("provider_failed"), "{}", t.name);
        // Bad languages are refused before anything happens.
        let bad =
            DraftRequest { text: "hi".into(), target: Some("??".into()), ..Default::default() };
        assert_invalid(t.inbox.translate_draft(&s.viewer, conv, &bad).await, "target", "language");
    }
}

#[tokio::test]
async fn where_the_platform_translates_replies_leave_as_written() {
    // rule: AE-TR-1 (the platform shows the buyer replies in their language: not twice)
    for (t, sim) in inboxes_translating(None).await {
        let s = seller_on(&t.inbox, "Ae", "aliexpress").await;
        let conv = t.conversation_of(&s.shop, text("b1", "m1", SPANISH)).await;
        let view = t.inbox.conversation_translation(&s.viewer, conv).await.unwrap();
        assert_eq!(view.platform_translates.as_deref(), Some("AE-TR-1"));
        let on = TranslationChoice { auto_translate: true, ..Default::default() };
        match t.inbox.set_conversation_translation(&s.viewer, conv, &on).await {
            Err(CoreError::Unprocessable { code, message, .. }) => {
                assert_eq!(code, "platform_translates");
                assert!(message.starts_with("AE-TR-1"), "{message}");
            }
            other => panic!("{}: {other:?}", t.name),
        }
        // Buyer messages are still shown in the agent's language (AE-TR-2).
        t.inbox.translate_pending_now().await.unwrap();
        assert_eq!(inbound(&t, &s, conv).await[0].translated_text.as_deref(), Some(ENGLISH));
        let calls = sim.calls();
        let reply = t
            .inbox
            .reply_translated(
                &s.viewer,
                conv,
                say("Your order ships tomorrow."),
                &[],
                &ReplyTranslation::default(),
            )
            .await;
        // The reply may be refused by AliExpress's own window rules; if sent, as written.
        if let Ok(m) = reply {
            assert_eq!(text_of(&m), "Your order ships tomorrow.");
            assert_eq!(m.translation, None);
        }
        assert_eq!(sim.calls(), calls, "{}: nothing translated for the reply", t.name);
    }
}

/// Another daemon on the test's PostgreSQL database translating with `sim` on the same
/// clock. A SQLite file has one daemon, its single writer: there the "other daemon" is
/// the same engine claiming again, which goes through the same claim.
async fn another_daemon(t: &TestInbox, sim: &Arc<SimulatorProvider>) -> Arc<Inbox> {
    if t.name == "sqlite" {
        return t.inbox.clone();
    }
    let store = Store::open(&StoreOptions::new(&t.url)).await.expect("second store");
    let provider = Some(sim.clone() as Arc<dyn TranslationProvider>);
    let translation = TranslationOptions { provider, ..Default::default() };
    let options = InboxOptions { background_delivery: false, translation, ..Default::default() };
    Inbox::start(store, t.clock.clone() as Arc<dyn Clock>, options)
}

/// `n` Spanish buyer messages of the seller, each of its own buyer, pending translation.
async fn spanish_messages(t: &TestInbox, s: &Seller, n: usize) -> Vec<ConversationId> {
    let mut out = Vec::new();
    for i in 0..n {
        let body = format!("Hola, ¿cuándo llegará mi pedido número {i}? Gracias.");
        out.push(t.conversation_of(&s.shop, text(&format!("b{i}"), &format!("m{i}"), &body)).await);
    }
    out
}

#[tokio::test]
async fn two_daemons_never_claim_the_same_translation_and_an_expired_lease_is_taken_over() {
    for (t, sim) in inboxes_translating(None).await {
        let other = another_daemon(&t, &sim).await;
        let s = seller(&t.inbox, "Lease").await;
        let convs = spanish_messages(&t, &s, 24).await;
        let drain = |inbox: Arc<Inbox>| async move {
            let mut claims = Vec::new();
            loop {
                let wave = inbox.claim_translations(Pick::Oldest(3)).await.expect("claim");
                if wave.is_empty() {
                    return claims;
                }
                claims.extend(wave);
            }
        };
        let (a, b) =
            tokio::join!(tokio::spawn(drain(t.inbox.clone())), tokio::spawn(drain(other.clone())));
        let claims: Vec<Claimed> = a.unwrap().into_iter().chain(b.unwrap()).collect();
        let mut ids: Vec<_> = claims.iter().map(|c| c.message.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!((claims.len(), ids.len()), (convs.len(), convs.len()), "{}: each once", t.name);
        // Held: nothing to claim on either daemon until the leases run out.
        assert!(t.inbox.claim_translations(Pick::Oldest(100)).await.unwrap().is_empty());
        assert!(other.claim_translations(Pick::Ids(&ids)).await.unwrap().is_empty());
        t.clock.advance(Duration::from_std(LEASE).unwrap() + Duration::seconds(1));
        let (mine, theirs) = tokio::join!(
            t.inbox.claim_translations(Pick::Ids(&ids[..1])),
            other.claim_translations(Pick::Ids(&ids[..1]))
        );
        let taken: Vec<Claimed> = mine.unwrap().into_iter().chain(theirs.unwrap()).collect();
        assert_eq!(taken.len(), 1, "{}: taken over exactly once", t.name);
        let old = claims.iter().find(|c| c.message.id == ids[0]).unwrap().clone();
        assert_ne!(taken[0].lease_token, old.lease_token, "{}: a new lease", t.name);
        // The old holder's late answer is not recorded; the new holder's is.
        t.inbox.translate_message(old).await.unwrap();
        let conv = claims.iter().find(|c| c.message.id == ids[0]).unwrap().message.conversation_id;
        let m = inbound(&t, &s, conv).await.remove(0);
        assert_eq!(m.translation.unwrap().status, TranslationStatus::Pending, "{}", t.name);
        other.translate_message(taken.into_iter().next().unwrap()).await.unwrap();
        let m = inbound(&t, &s, conv).await.remove(0);
        assert_eq!(m.translation.unwrap().status, TranslationStatus::Translated, "{}", t.name);
    }
}

#[tokio::test]
async fn two_daemons_translating_at_once_pay_for_each_message_once() {
    for (t, sim) in inboxes_translating(None).await {
        let other = another_daemon(&t, &sim).await;
        let s = seller(&t.inbox, "Once").await;
        let convs = spanish_messages(&t, &s, 12).await;
        let (a, b) = tokio::join!(t.inbox.translate_pending_now(), other.translate_pending_now());
        assert_eq!(a.unwrap() + b.unwrap(), convs.len(), "{}: each settled once", t.name);
        assert_eq!(sim.calls(), convs.len(), "{}: each sent to the provider once", t.name);
        for conv in convs {
            let m = inbound(&t, &s, conv).await.remove(0);
            assert!(m.translated_text.unwrap().starts_with("[en]"), "{}", t.name);
        }
    }
}
