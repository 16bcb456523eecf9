//! The FAQ bot and the greeting as services: the main account's settings and questions
//! (DY-GREET-1, DY-BOT-1), their counts and rates (DY-BOT-2), the buyer's solved/unsolved
//! mark on an answer (DY-BOT-2), the buyer asking for a human (DY-BOT-4), and compiling
//! a shop's bot for the inbound path (cached with the shop; every change here drops the
//! cache at once, and the cache's short lifetime carries changes between daemons).

use crate::domain::conversation::handed_off;
use crate::domain::faq_bot::{
    BotSettings, FaqQuestion, FaqQuestionInput, Greeting, HandOffReason, MAX_QUESTIONS, ShopBot,
    ShopBotView, checked_question, checked_settings,
};
use crate::domain::ids::*;
use crate::domain::shop_settings::rule_overrides;
use crate::domain::viewer::Viewer;
use crate::domain::webhooks::WebhookEvent;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::storage::write::{Db, WriteTx};
use crate::storage::{conversations, faq, webhook_queue};
use shopmux_contract::rules::RuleSet;
use std::collections::HashSet;
use std::sync::Arc;

impl Inbox {
    /// A shop's bot settings and totals (anyone who sees the shop).
    pub async fn shop_bot(&self, viewer: &Viewer, shop_id: ShopId) -> CoreResult<ShopBotView> {
        self.shop(viewer, shop_id).await?;
        let view = faq::view(Db::Pool(&self.store), shop_id).await?;
        Ok(view.unwrap_or_else(|| ShopBotView {
            settings: BotSettings::default(),
            stats: Default::default(),
            hand_offs: 0,
            built_in_texts: crate::domain::bot_texts::built_ins(),
        }))
    }

    /// Sets a shop's bot switch, greeting and FAQ list (main account only).
    pub async fn set_shop_bot(
        &self, owner: &Viewer, shop_id: ShopId, settings: BotSettings,
    ) -> CoreResult<ShopBotView> {
        owner.require_owner()?;
        self.shop(owner, shop_id).await?;
        let settings = checked_settings(settings)?;
        let mut w = self.store.begin_write().await?;
        check_known(&mut w, shop_id, &settings.faq, "faq").await?;
        faq::put_settings(&mut w, shop_id, &settings, self.clock.now()).await?;
        let view = faq::view(Db::Tx(&mut w), shop_id).await?.ok_or(CoreError::NotFound("shop"))?;
        w.commit().await?;
        self.forget_shop(shop_id);
        Ok(view)
    }

    /// A shop's questions with their counts, oldest first.
    pub async fn faq_questions(
        &self, viewer: &Viewer, shop_id: ShopId,
    ) -> CoreResult<Vec<FaqQuestion>> {
        self.shop(viewer, shop_id).await?;
        faq::questions(Db::Pool(&self.store), shop_id).await
    }

    /// Adds a question to a shop's FAQ (main account only).
    pub async fn create_faq_question(
        &self, owner: &Viewer, shop_id: ShopId, input: FaqQuestionInput,
    ) -> CoreResult<FaqQuestion> {
        owner.require_owner()?;
        self.shop(owner, shop_id).await?;
        let input = checked_question(input)?;
        let mut w = self.store.begin_write().await?;
        if faq::question_count(&mut w, shop_id).await? >= MAX_QUESTIONS as i64 {
            return Err(CoreError::invalid(
                "question",
                format!("a shop has at most {MAX_QUESTIONS} questions"),
            ));
        }
        check_known(&mut w, shop_id, &input.related, "related").await?;
        let question = FaqQuestion {
            id: FaqQuestionId::new(),
            shop_id,
            input,
            stats: Default::default(),
            created_at: self.clock.now(),
        };
        faq::insert_question(&mut w, &question).await?;
        w.commit().await?;
        self.forget_shop(shop_id);
        Ok(question)
    }

    /// Replaces a question's text, answers and related questions (main account only).
    pub async fn update_faq_question(
        &self, owner: &Viewer, shop_id: ShopId, id: FaqQuestionId, input: FaqQuestionInput,
    ) -> CoreResult<FaqQuestion> {
        owner.require_owner()?;
        self.shop(owner, shop_id).await?;
        let input = checked_question(input)?;
        if input.related.contains(&id) {
            return Err(CoreError::invalid("related", "a question is not related to itself"));
        }
        let mut w = self.store.begin_write().await?;
        if !faq::update_question(&mut w, shop_id, id, &input).await? {
            return Err(CoreError::NotFound("question"));
        }
        check_known(&mut w, shop_id, &input.related, "related").await?;
        let question = faq::question(Db::Tx(&mut w), shop_id, id)
            .await?
            .ok_or(CoreError::NotFound("question"))?;
        w.commit().await?;
        self.forget_shop(shop_id);
        Ok(question)
    }

    /// Deletes a question (main account only); lists naming it skip it from then on.
    pub async fn delete_faq_question(
        &self, owner: &Viewer, shop_id: ShopId, id: FaqQuestionId,
    ) -> CoreResult<()> {
        owner.require_owner()?;
        self.shop(owner, shop_id).await?;
        let mut w = self.store.begin_write().await?;
        if !faq::delete_question(&mut w, shop_id, id).await? {
            return Err(CoreError::NotFound("question"));
        }
        w.commit().await?;
        self.forget_shop(shop_id);
        Ok(())
    }

    /// The greeting in the buyer's language and the FAQ list a chat surface shows a
    /// buyer of the shop (DY-GREET-1).
    pub async fn shop_greeting(
        &self, shop_id: ShopId, buyer_language: Option<&str>,
    ) -> CoreResult<Option<Greeting>> {
        // rule: DY-GREET-1 (shown when the buyer opens the chat)
        let shop = self.ingest_shop(shop_id).await?;
        Ok(shop.and_then(|s| s.bot).and_then(|b| b.greeting(buyer_language)))
    }

    /// A buyer's mark on one of the bot's answers to them: solved or not (DY-BOT-2). An
    /// answer of another buyer, or none, is not found; marking again changes the mark.
    pub async fn mark_bot_answer(
        &self, shop_id: ShopId, buyer_external_id: &str, message: MessageId, solved: bool,
    ) -> CoreResult<()> {
        // rule: DY-BOT-2 (the buyer may mark an answer solved or unsolved)
        let mut w = self.store.begin_write().await?;
        let buyer = faq::buyer_of(&mut w, shop_id, buyer_external_id).await?;
        let Some(buyer) = buyer else {
            return Err(CoreError::NotFound("message"));
        };
        let Some((question, before)) =
            faq::answer_of_buyer(&mut w, shop_id, buyer, message).await?
        else {
            return Err(CoreError::NotFound("message"));
        };
        if before != Some(solved) {
            faq::set_feedback(&mut w, shop_id, message, question, before, solved).await?;
        }
        w.commit().await
    }

    /// The buyer asks for a human (DY-BOT-4): their open conversation leaves the bot at
    /// once and goes to routing. Whether the bot was handling it.
    pub async fn ask_for_human(
        &self, shop_id: ShopId, buyer_external_id: &str,
    ) -> CoreResult<bool> {
        // rule: DY-BOT-4 (the buyer may ask for a human at any time)
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let Some(buyer) = faq::buyer_of(&mut w, shop_id, buyer_external_id).await? else {
            return Ok(false);
        };
        let Some((seller, before)) = conversations::lock_latest_of_buyer(&mut w, buyer).await?
        else {
            return Ok(false);
        };
        if !before.bot_active || !before.state.is_open() {
            return Ok(false);
        }
        let mut after = before.clone();
        handed_off(&mut after, now);
        self.stamp(&mut after).await?;
        conversations::save(&mut w, &[(seller, Some(before), after.clone())]).await?;
        faq::count_hand_off(&mut w, shop_id).await?;
        let (event, reason) = (WebhookEvent::BotHandoff, HandOffReason::Asked);
        webhook_queue::queue_conversation_event(&mut w, event, &after, now, reason.webhook_extra())
            .await?;
        w.commit().await?;
        self.events.publish(InboxEvent::ConversationUpdated { conversation: after.clone() });
        self.events.publish(InboxEvent::BotHandOff {
            shop_id,
            conversation_id: after.id,
            reason: HandOffReason::Asked,
        });
        self.route_soon(seller);
        Ok(true)
    }

    /// A shop's bot compiled for the inbound path, when it has a bot or a greeting.
    pub(crate) async fn compile_bot(
        &self, shop_id: ShopId, rules: &Arc<RuleSet>, settings: &serde_json::Value,
    ) -> CoreResult<Option<Arc<ShopBot>>> {
        let Some((bot, questions)) = faq::for_ingest(&self.store, shop_id).await? else {
            return Ok(None);
        };
        // Bot messages are replies: the shop's rules in force, with its overrides.
        let overrides = rule_overrides(settings).unwrap_or_default();
        let rules = match overrides.is_empty() {
            true => rules.clone(),
            false => {
                rules.with_overrides(&overrides).map(Arc::new).unwrap_or_else(|_| rules.clone())
            }
        };
        Ok(Some(Arc::new(ShopBot::compile(bot, questions, rules))))
    }
}

/// Checks that every id is a question of the shop.
async fn check_known(
    w: &mut WriteTx<'_>, shop_id: ShopId, ids: &[FaqQuestionId], field: &str,
) -> CoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let known: HashSet<FaqQuestionId> =
        faq::questions(Db::Tx(w), shop_id).await?.into_iter().map(|q| q.id).collect();
    match ids.iter().find(|id| !known.contains(id)) {
        Some(id) => Err(CoreError::invalid(field, format!("no question {id} in this shop"))),
        None => Ok(()),
    }
}
