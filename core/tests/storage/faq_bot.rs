//! The FAQ bot and the greeting through ingest, on every backend: answers, "please
//! rephrase", hand-off after the second consecutive miss (not the first), on asking
//! for a human, when the rules refuse a bot message; counters and the queue while the
//! bot handles a conversation; the buyer's solved/unsolved marks and the rates; the
//! greeting as the first message where the rules allow it, in the buyer's language.

use crate::support::*;
use chrono::Duration;
use shopmux_contract::content::MessageContent;
use shopmux_core::domain::faq_bot::{BotSettings, FaqQuestion, FaqQuestionInput, HandOffReason};
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::domain::listing::MessageQuery;
use shopmux_core::domain::model::{Message, SenderKind};
use shopmux_core::events::InboxEvent;
use shopmux_core::{Clock, CoreError, Inbox};

fn question(category: &str, phrasings: &[&str], answer: &str) -> FaqQuestionInput {
    FaqQuestionInput {
        category: category.into(),
        phrasings: phrasings.iter().map(|p| p.to_string()).collect(),
        answer: answer.into(),
        answers: Default::default(),
        related: vec![],
    }
}

/// A shop FAQ of two questions (shipping related to refunds), the bot switched on as
/// `settings` says; the shop reloaded.
async fn with_bot(inbox: &Inbox, s: &mut Seller, settings: BotSettings) -> Vec<FaqQuestion> {
    let refund = question(
        "returns",
        &["Can I get a refund?", "¿Puedo pedir un reembolso?", "可以退款吗"],
        "Yes, within 30 days.",
    );
    let refund = inbox.create_faq_question(&s.viewer, s.shop.shop_id, refund).await.unwrap();
    let mut shipping = question(
        "shipping",
        &["How long does shipping take?", "Ile trwa wysyłka?", "发货要多久"],
        "Shipping takes 3 to 5 days.",
    );
    shipping.answers.insert("pl".into(), "Wysyłka trwa 3 do 5 dni.".into());
    shipping.related = vec![refund.id];
    let shipping = inbox.create_faq_question(&s.viewer, s.shop.shop_id, shipping).await.unwrap();
    inbox.set_shop_bot(&s.viewer, s.shop.shop_id, settings).await.unwrap();
    s.shop = inbox.ingest_shop(s.shop.shop_id).await.unwrap().unwrap();
    vec![shipping, refund]
}

fn on() -> BotSettings {
    BotSettings { enabled: true, ..Default::default() }
}

async fn messages(t: &TestInbox, s: &Seller, id: ConversationId) -> Vec<Message> {
    t.inbox.messages(&s.viewer, id, &MessageQuery::default()).await.unwrap().items
}

fn bot_texts(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .filter(|m| m.sender_kind == SenderKind::Bot)
        .map(|m| match &m.content {
            MessageContent::Text { text } | MessageContent::AutoReply { text, .. } => text.clone(),
            other => other.summary(),
        })
        .collect()
}

async fn counts(t: &TestInbox, s: &Seller) -> shopmux_core::domain::counters::FilterCounts {
    t.inbox.shop_counts(&s.viewer).await.unwrap().total
}

#[tokio::test]
async fn dy_bot_2_a_recognised_question_is_answered_with_related_questions() {
    // rule: DY-BOT-2, DY-BOT-1 (hit counts per question)
    for t in inboxes().await {
        let mut s = seller(&t.inbox, "bot-hit").await;
        let qs = with_bot(&t.inbox, &mut s, on()).await;
        let conv =
            t.conversation_of(&s.shop, text("b1", "m1", "how long does shiping take?")).await;
        let all = messages(&t, &s, conv).await;
        let answer = all.iter().find(|m| m.sender_kind == SenderKind::Bot).expect("a bot answer");
        match &answer.content {
            MessageContent::AutoReply { text, actions } => {
                assert_eq!(text, "Shipping takes 3 to 5 days.");
                assert_eq!(actions[0].content, "Can I get a refund?");
            }
            other => panic!("{}: {other:?}", t.name),
        }
        // The buyer's language picks the answer's version.
        let conv2 = t.conversation_of(&s.shop, text("b2", "m2", "ile trwa wysylka")).await;
        assert_eq!(bot_texts(&messages(&t, &s, conv2).await), ["Wysyłka trwa 3 do 5 dni."]);
        let c = t.conversation(&s.viewer, conv).await;
        assert!(c.bot_active, "{}", t.name);
        let listed = t.inbox.faq_questions(&s.viewer, s.shop.shop_id).await.unwrap();
        let shipping = listed.iter().find(|q| q.id == qs[0].id).unwrap();
        assert_eq!((shipping.stats.hits, shipping.stats.answers), (2, 2), "{}", t.name);
        let view = t.inbox.shop_bot(&s.viewer, s.shop.shop_id).await.unwrap();
        assert_eq!(view.stats.answers, 2, "{}", t.name);
        t.assert_counters_match(s.shop.shop_id).await;
    }
}

#[tokio::test]
async fn dy_bot_3_the_first_miss_asks_to_rephrase_and_the_second_hands_over() {
    // rule: DY-BOT-3
    for t in inboxes().await {
        let mut s = seller(&t.inbox, "bot-miss").await;
        with_bot(&t.inbox, &mut s, on()).await;
        let mut events = t.inbox.events().subscribe();
        let conv = t.conversation_of(&s.shop, text("b1", "m1", "is the blue mug in stock")).await;
        let c = t.conversation(&s.viewer, conv).await;
        assert!(c.bot_active, "{}: the first miss does not hand over", t.name);
        assert_eq!(c.bot_misses, 1);
        let n = counts(&t, &s).await;
        assert_eq!((n.bot, n.unassigned, n.queued, n.unread), (1, 0, 0, 0), "{}", t.name);
        assert!(t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap().entries.is_empty());
        t.ingest(&s.shop, text("b1", "m2", "and the red one?")).await;
        let c = t.conversation(&s.viewer, conv).await;
        assert!(!c.bot_active, "{}: the second miss hands over", t.name);
        let texts = bot_texts(&messages(&t, &s, conv).await);
        assert_eq!(texts.len(), 2, "{}: rephrase, then the hand-off notice: {texts:?}", t.name);
        assert!(texts[0].contains("rephrase"), "{texts:?}");
        let n = counts(&t, &s).await;
        assert_eq!((n.bot, n.unassigned, n.unread), (0, 1, 1), "{}", t.name);
        assert_eq!(t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap().entries.len(), 1);
        let mut handed = None;
        while let Ok(e) = events.try_recv() {
            if let InboxEvent::BotHandOff { conversation_id, reason, .. } = e {
                handed = Some((conversation_id, reason));
            }
        }
        assert_eq!(handed, Some((conv, HandOffReason::Misses)), "{}", t.name);
        // The bot is done with it: a later text is the agents' alone.
        t.ingest(&s.shop, text("b1", "m3", "how long does shipping take")).await;
        assert_eq!(bot_texts(&messages(&t, &s, conv).await).len(), 2, "{}", t.name);
        assert_eq!(t.inbox.shop_bot(&s.viewer, s.shop.shop_id).await.unwrap().hand_offs, 1);
        t.assert_counters_match(s.shop.shop_id).await;
    }
}

#[tokio::test]
async fn dy_bot_3_a_hit_between_two_misses_keeps_the_bot() {
    // rule: DY-BOT-3 (consecutive misses only)
    for t in inboxes().await {
        let mut s = seller(&t.inbox, "bot-reset").await;
        with_bot(&t.inbox, &mut s, on()).await;
        let conv = t.conversation_of(&s.shop, text("b1", "m1", "is the blue mug in stock")).await;
        t.ingest(&s.shop, text("b1", "m2", "can I get a refund")).await;
        assert_eq!(t.conversation(&s.viewer, conv).await.bot_misses, 0, "{}", t.name);
        t.ingest(&s.shop, text("b1", "m3", "and the red one?")).await;
        let c = t.conversation(&s.viewer, conv).await;
        assert!(c.bot_active && c.bot_misses == 1, "{}", t.name);
    }
}

#[tokio::test]
async fn dy_bot_4_asking_for_a_human_hands_over_at_once() {
    // rule: DY-BOT-4
    for t in inboxes().await {
        let mut s = seller(&t.inbox, "bot-human").await;
        with_bot(&t.inbox, &mut s, on()).await;
        let conv = t.conversation_of(&s.shop, text("b1", "m1", "转人工")).await;
        assert!(!t.conversation(&s.viewer, conv).await.bot_active, "{}", t.name);
        // The widget's button: the service, for a buyer the bot handles.
        let conv2 = t.conversation_of(&s.shop, text("b2", "m2", "can I get a refund")).await;
        assert!(t.conversation(&s.viewer, conv2).await.bot_active);
        assert!(t.inbox.ask_for_human(s.shop.shop_id, "b2").await.unwrap(), "{}", t.name);
        assert!(!t.conversation(&s.viewer, conv2).await.bot_active, "{}", t.name);
        assert!(!t.inbox.ask_for_human(s.shop.shop_id, "b2").await.unwrap(), "once");
        assert!(!t.inbox.ask_for_human(s.shop.shop_id, "nobody").await.unwrap());
        t.assert_counters_match(s.shop.shop_id).await;
    }
}

#[tokio::test]
async fn an_agent_reply_takes_the_conversation_from_the_bot() {
    for t in inboxes().await {
        let mut s = seller(&t.inbox, "bot-agent").await;
        with_bot(&t.inbox, &mut s, on()).await;
        let conv = t.conversation_of(&s.shop, text("b1", "m1", "can I get a refund")).await;
        t.reply_text(&s.viewer, conv, "Hello, I am here").await;
        let c = t.conversation(&s.viewer, conv).await;
        assert!(!c.bot_active && c.assignee_id.is_some(), "{}", t.name);
        t.ingest(&s.shop, text("b1", "m2", "can I get a refund")).await;
        assert_eq!(bot_texts(&messages(&t, &s, conv).await).len(), 1, "{}", t.name);
        t.assert_counters_match(s.shop.shop_id).await;
    }
}

#[tokio::test]
async fn dy_bot_2_a_bot_message_the_rules_refuse_hands_over_instead() {
    // rule: DY-BOT-2 (bot messages are replies: DY-WIN-1's 24 h window applies)
    for t in inboxes().await {
        let mut s = seller_on(&t.inbox, "bot-window", "douyin").await;
        with_bot(&t.inbox, &mut s, on()).await;
        let mut old = text("b1", "m1", "can I get a refund");
        old.sent_at = Some(t.clock.now() - Duration::hours(25));
        let conv = t.conversation_of(&s.shop, old).await;
        let c = t.conversation(&s.viewer, conv).await;
        assert!(!c.bot_active, "{}", t.name);
        assert!(bot_texts(&messages(&t, &s, conv).await).is_empty(), "{}", t.name);
    }
}

#[tokio::test]
async fn dy_bot_2_buyers_mark_answers_solved_or_unsolved_and_the_rates_follow() {
    // rule: DY-BOT-2
    for t in inboxes().await {
        let mut s = seller(&t.inbox, "bot-feedback").await;
        let qs = with_bot(&t.inbox, &mut s, on()).await;
        let conv = t.conversation_of(&s.shop, text("b1", "m1", "can I get a refund")).await;
        t.ingest(&s.shop, text("b1", "m2", "how long does shipping take")).await;
        let answers: Vec<_> = messages(&t, &s, conv)
            .await
            .into_iter()
            .filter(|m| m.sender_kind == SenderKind::Bot)
            .map(|m| m.id)
            .collect();
        let shop = s.shop.shop_id;
        t.inbox.mark_bot_answer(shop, "b1", answers[0], true).await.unwrap();
        t.inbox.mark_bot_answer(shop, "b1", answers[1], false).await.unwrap();
        let other = t.inbox.mark_bot_answer(shop, "b2", answers[0], false).await;
        assert!(matches!(other, Err(CoreError::NotFound(_))), "{}: {other:?}", t.name);
        let view = t.inbox.shop_bot(&s.viewer, shop).await.unwrap();
        assert_eq!((view.stats.solved, view.stats.unsolved, view.stats.answers), (1, 1, 2));
        assert_eq!(view.stats.resolution_rate, Some(0.5));
        assert_eq!(view.stats.feedback_resolution_rate, Some(0.5));
        // Changing one's mind moves the count.
        t.inbox.mark_bot_answer(shop, "b1", answers[1], true).await.unwrap();
        let view = t.inbox.shop_bot(&s.viewer, shop).await.unwrap();
        assert_eq!((view.stats.solved, view.stats.unsolved), (2, 0), "{}", t.name);
        let listed = t.inbox.faq_questions(&s.viewer, shop).await.unwrap();
        let refund = listed.iter().find(|q| q.id == qs[1].id).unwrap();
        assert_eq!(refund.stats.feedback_resolution_rate, Some(1.0), "{}", t.name);
    }
}

#[tokio::test]
async fn dy_greet_1_the_greeting_opens_a_conversation_only_where_the_rules_allow() {
    // rule: DY-GREET-1
    for t in inboxes().await {
        for (platform, sent) in [("douyin", true), ("api", false)] {
            let mut s = seller_on(&t.inbox, &format!("greet-{platform}"), platform).await;
            let qs = with_bot(&t.inbox, &mut s, BotSettings::default()).await;
            let greeting = BotSettings {
                enabled: false,
                greeting: "Welcome! Ask me anything.".into(),
                faq: vec![qs[0].id],
                ..Default::default()
            };
            t.inbox.set_shop_bot(&s.viewer, s.shop.shop_id, greeting).await.unwrap();
            s.shop = t.inbox.ingest_shop(s.shop.shop_id).await.unwrap().unwrap();
            let shown = t.inbox.shop_greeting(s.shop.shop_id, None).await.unwrap().unwrap();
            assert_eq!(shown.faq[0].text, "How long does shipping take?");
            let conv = t.conversation_of(&s.shop, text("b1", "m1", "hi")).await;
            t.ingest(&s.shop, text("b1", "m2", "hello?")).await;
            let texts = bot_texts(&messages(&t, &s, conv).await);
            let expected: &[&str] = if sent { &["Welcome! Ask me anything."] } else { &[] };
            assert_eq!(texts, expected, "{}: {platform}", t.name);
            let c = t.conversation(&s.viewer, conv).await;
            assert!(!c.bot_active, "the bot is off");
        }
    }
}

#[tokio::test]
async fn dy_greet_1_the_buyers_language_picks_the_greeting_else_the_default() {
    // rule: DY-GREET-1 (a greeting per buyer language; the plain greeting is the default)
    for t in inboxes().await {
        let mut s = seller_on(&t.inbox, "greet-lang", "douyin").await;
        let mut settings = BotSettings { greeting: "Welcome!".into(), ..Default::default() };
        settings.greetings.insert("es".into(), "¡Bienvenido!".into());
        settings.greetings.insert("pl".into(), "Witamy!".into());
        with_bot(&t.inbox, &mut s, settings).await;
        let shop = s.shop.shop_id;
        let shown = t.inbox.shop_greeting(shop, Some("es-MX")).await.unwrap().unwrap();
        assert_eq!(shown.text, "¡Bienvenido!", "{}", t.name);
        let shown = t.inbox.shop_greeting(shop, Some("de")).await.unwrap().unwrap();
        assert_eq!(shown.text, "Welcome!", "{}", t.name);
        // The platform's language, then the language read from the first message.
        let mut told = text("b1", "m1", "hi");
        told.buyer.language = Some("es-MX".into());
        let polish =
            text("b2", "m2", "Dzień dobry, ile trwa wysyłka do Krakowa? Czekam na paczkę.");
        let english = text("b3", "m3", "Hello, how long does the delivery to London take?");
        for (m, expected) in [(told, "¡Bienvenido!"), (polish, "Witamy!"), (english, "Welcome!")] {
            let conv = t.conversation_of(&s.shop, m).await;
            let texts = bot_texts(&messages(&t, &s, conv).await);
            assert_eq!(texts, [expected], "{}", t.name);
        }
    }
}

#[tokio::test]
async fn only_the_main_account_sets_the_bot_and_unknown_questions_are_refused() {
    for t in inboxes().await {
        let mut s = seller(&t.inbox, "bot-owner").await;
        with_bot(&t.inbox, &mut s, on()).await;
        let agent = create_agent(&t.inbox, &s.viewer, "ann", None, grant(s.shop.shop_id, true))
            .await
            .unwrap();
        let ann = t.inbox.authenticate(&agent.token).await.unwrap().unwrap();
        let refused = t.inbox.set_shop_bot(&ann, s.shop.shop_id, on()).await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))), "{refused:?}");
        let q = question("x", &["y"], "z");
        assert!(t.inbox.create_faq_question(&ann, s.shop.shop_id, q).await.is_err());
        let unknown = BotSettings { faq: vec![Default::default()], ..on() };
        assert_invalid(
            t.inbox.set_shop_bot(&s.viewer, s.shop.shop_id, unknown).await,
            "faq",
            "no question",
        );
        // The agent still reads the settings and counts.
        assert!(t.inbox.shop_bot(&ann, s.shop.shop_id).await.unwrap().settings.enabled);
    }
}

#[tokio::test]
async fn the_shops_own_bot_texts_in_the_buyers_language_are_what_the_buyer_gets() {
    // rule: DY-BOT-3 (the shop's "please rephrase" and hand-off notice, per language)
    for t in inboxes().await {
        let mut s = seller(&t.inbox, "bot-texts").await;
        let mut settings = on();
        let texts = &mut settings.texts;
        texts.rephrase.insert("en".into(), "Could you say that differently?".into());
        texts.rephrase.insert("es".into(), "¿Puede decirlo de otra forma?".into());
        texts.hand_off.insert("en".into(), "A colleague takes over now.".into());
        with_bot(&t.inbox, &mut s, settings.clone()).await;
        let view = t.inbox.shop_bot(&s.viewer, s.shop.shop_id).await.unwrap();
        assert_eq!(view.settings.texts, settings.texts, "{}: stored as set", t.name);
        assert_eq!(view.built_in_texts.hand_off.len(), 4, "{}: en, es, pl, zh", t.name);
        let en = t.conversation_of(&s.shop, text("b1", "m1", "is the blue mug in stock")).await;
        t.ingest(&s.shop, text("b1", "m2", "and the red one?")).await;
        assert_eq!(
            bot_texts(&messages(&t, &s, en).await),
            ["Could you say that differently?", "A colleague takes over now."],
            "{}",
            t.name
        );
        let es = t.conversation_of(&s.shop, text("b2", "m3", "¿dónde está la taza azul?")).await;
        assert_eq!(bot_texts(&messages(&t, &s, es).await), ["¿Puede decirlo de otra forma?"]);
        // No Polish version of its own: the built-in Polish text.
        let pl = t.conversation_of(&s.shop, text("b3", "m4", "czy jest niebieski kubek?")).await;
        let built_in = view.built_in_texts.rephrase["pl"].as_str();
        assert_eq!(bot_texts(&messages(&t, &s, pl).await), [built_in], "{}", t.name);
        // Texts are checked: a thank-you must name the agent.
        let mut bad = settings.clone();
        bad.texts.rating_thanks.insert("en".into(), "Thanks!".into());
        assert_invalid(
            t.inbox.set_shop_bot(&s.viewer, s.shop.shop_id, bad).await,
            "texts.rating_thanks.en",
            "agent_nickname",
        );
    }
}

#[tokio::test]
async fn a_search_finds_the_buyers_words_not_the_bots_canned_texts() {
    // rule: TT-SEARCH-1 (message words: the buyers' and agents'; a bot's canned answers
    // would find every conversation it answered)
    for t in inboxes().await {
        let mut s = seller(&t.inbox, "bot-search").await;
        with_bot(&t.inbox, &mut s, on()).await;
        let conv =
            t.conversation_of(&s.shop, text("b1", "m1", "how long does shipping take")).await;
        let texts = bot_texts(&messages(&t, &s, conv).await);
        assert_eq!(texts, ["Shipping takes 3 to 5 days."], "{}", t.name);
        let find = |words: &str| {
            let page = t.list(&s.viewer, query(|q| q.q = Some(words.to_owned())));
            async move { page.await.items.len() }
        };
        assert_eq!(find("shipping").await, 1, "{}: the buyer's word", t.name);
        assert_eq!(find("days").await, 0, "{}: only in the bot's answer", t.name);
    }
}
