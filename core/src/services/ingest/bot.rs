//! The greeting and the FAQ bot's turns in an ingest group, in memory from each shop's
//! compiled bot (cached with the shop), with no query of their own: the messages they
//! write join the group's replies, their counts its deferred statements.
//!
//! A new conversation of a shop with a greeting gets it first, in the buyer's language,
//! where the platform's rules allow an automatic message (DY-GREET-1). In a
//! conversation the bot handles, each buyer text is answered (DY-BOT-2), met with
//! "please rephrase" (DY-BOT-3), or handed to a human: asked for (DY-BOT-4), the second
//! consecutive miss (DY-BOT-3), or a bot message the shop's rules refuse — bot messages
//! are replies and pass the same check.

use crate::domain::bot_texts::TextKind;
use crate::domain::conversation::{bot_message, handed_off, preview_of};
use crate::domain::faq_bot::{HandOffReason, ShopBot, Turn, decide, detect_language};
use crate::domain::ids::*;
use crate::domain::inbound::InboundMessage;
use crate::domain::model::{Conversation, Message};
use crate::domain::rules;
use crate::events::InboxEvent;
use crate::storage::faq::{BotAnswer, GroupCounts};
use crate::storage::ingest_buyers::Item;
use chrono::{DateTime, Duration, Utc};
use shopmux_contract::content::MessageContent;
use std::collections::{HashMap, HashSet};

/// What the bot did in a group.
#[derive(Debug, Default)]
pub struct BotOutput {
    /// Its messages (greetings, answers, rephrase requests, hand-off notices), pending delivery.
    pub messages: Vec<Message>,
    /// Its answers, for the buyer's solved/unsolved mark.
    pub answers: Vec<BotAnswer>,
    /// Counts per question.
    pub questions: HashMap<FaqQuestionId, GroupCounts>,
    /// Counts per shop.
    pub shops: HashMap<ShopId, GroupCounts>,
    /// The hand-offs, to publish after the commit.
    pub hand_offs: Vec<InboxEvent>,
    /// The hand-offs for the `bot.handoff` webhook: the conversation as handed over,
    /// when, and why.
    pub handed: Vec<(Conversation, DateTime<Utc>, HandOffReason)>,
}

/// One conversation's turn: the shop's bot, the conversation, and the next message time.
struct Turner<'a> {
    bot: &'a ShopBot,
    conv: &'a mut Conversation,
    at: DateTime<Utc>,
}

impl Turner<'_> {
    /// Writes a bot message if the shop's rules allow it as a reply now.
    fn send(&mut self, content: MessageContent, out: &mut BotOutput) -> Option<MessageId> {
        // rule: DY-BOT-2 (a bot message is a reply: the platform's windows apply)
        rules::check_reply(&self.bot.rules, self.conv, &[], &content, self.at).ok()?;
        let message = bot_message(self.conv, content, self.at);
        self.conv.last_message_at = self.conv.last_message_at.max(self.at);
        self.conv.preview = preview_of(&message.content);
        // The next message of this turn sorts after this one.
        self.at += Duration::milliseconds(1);
        let id = message.id;
        out.messages.push(message);
        Some(id)
    }

    fn hand_off(&mut self, reason: HandOffReason, out: &mut BotOutput) {
        handed_off(self.conv, self.at);
        out.handed.push((self.conv.clone(), self.at, reason));
        out.shops.entry(self.conv.shop_id).or_default().hand_offs += 1;
        out.hand_offs.push(InboxEvent::BotHandOff {
            shop_id: self.conv.shop_id,
            conversation_id: self.conv.id,
            reason,
        });
    }

    /// The bot's turn on a buyer's text.
    fn answer(&mut self, text: &str, out: &mut BotOutput) {
        let lang = detect_language(text);
        match decide(&self.bot.index, self.conv.bot_misses, text) {
            Turn::Answer(id) => {
                out.questions.entry(id).or_default().hits += 1;
                out.shops.entry(self.conv.shop_id).or_default().hits += 1;
                let sent = self.bot.answer(id, lang).and_then(|c| self.send(c, out));
                let Some(message_id) = sent else {
                    // A refused answer hands over instead of being sent.
                    return self.hand_off(HandOffReason::Refused, out);
                };
                out.questions.entry(id).or_default().answered += 1;
                out.shops.entry(self.conv.shop_id).or_default().answered += 1;
                out.answers.push(BotAnswer {
                    message_id,
                    shop_id: self.conv.shop_id,
                    conversation_id: self.conv.id,
                    question_id: id,
                });
                self.conv.bot_misses = 0;
            }
            Turn::Rephrase(misses) => {
                let content = self.bot.text(TextKind::Rephrase, lang);
                if self.send(content, out).is_none() {
                    return self.hand_off(HandOffReason::Refused, out);
                }
                self.conv.bot_misses = misses;
            }
            Turn::HandOff(reason) => {
                let _ = self.send(self.bot.text(TextKind::HandOff, lang), out);
                self.hand_off(reason, out);
            }
        }
    }
}

/// The buyer's language the greeting is picked by: the platform's, else the one read
/// from their first message.
fn greeting_language(inbound: &InboundMessage) -> Option<&str> {
    inbound.buyer.language.as_deref().or(inbound.analysis.detected_language.as_deref())
}

/// The greetings and bot turns of the group's inserted messages (see the module comment).
pub fn bot_turns(
    items: &[Item<'_>], messages: &[Message], inserted: &HashSet<MessageId>,
    by_conv: &HashMap<ConversationId, BuyerId>,
    open: &mut HashMap<BuyerId, (SellerId, Conversation)>,
    before: &HashMap<ConversationId, Conversation>, now: DateTime<Utc>,
) -> BotOutput {
    let mut out = BotOutput::default();
    let mut greeted: HashSet<ConversationId> = HashSet::new();
    for (m, (shop, inbound)) in messages.iter().zip(items) {
        let Some(bot) = &shop.bot else { continue };
        if !inserted.contains(&m.id) {
            continue;
        }
        let (_, conv) = open.get_mut(&by_conv[&m.conversation_id]).expect("conversation");
        let mut turner = Turner { bot, conv, at: now.max(m.created_at) };
        if !before.contains_key(&turner.conv.id)
            && greeted.insert(turner.conv.id)
            && let Some(greeting) = bot.first_message(greeting_language(inbound))
        {
            // rule: DY-GREET-1 (the greeting, in the buyer's language, opens a new
            // conversation where the platform allows an automatic message)
            let _ = turner.send(greeting, &mut out);
        }
        let handled = bot.answers() && turner.conv.bot_active && turner.conv.state.is_open();
        if let (true, MessageContent::Text { text }) = (handled, &m.content) {
            turner.answer(text, &mut out);
        }
    }
    out
}
