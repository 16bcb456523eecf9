//! Reply deadlines kept current: every conversation write is stamped with its next
//! breach and its service-level due time ([`Inbox::stamp`]); the timer pass moves
//! conversations whose next deadline just passed on to their next one (so "most urgent
//! first" stays right as time goes by) and warns, once per due time, of a first-reply
//! target about to be missed ([`InboxEvent::BreachSoon`]); conversations written before
//! deadlines existed are stamped in batches by the timer leader ([`Inbox::backfill_deadlines`]).
//! Like the lifecycle timers, nothing is kept in memory: each pass finds its work from
//! stored timestamps and re-checks it under the row lock.

use crate::domain::deadlines::{self, DeadlineSpec};
use crate::domain::ids::{ConversationId, ShopId};
use crate::domain::model::Conversation;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::storage::{conversations, deadline_backfill};
use std::sync::Arc;

/// Most conversations one pass moves or warns of.
const PER_PASS: i64 = 500;

impl Inbox {
    /// What a shop's deadlines come from (cached with the shop's ingest view).
    pub(crate) async fn deadline_spec(&self, shop: ShopId) -> CoreResult<Arc<DeadlineSpec>> {
        let shop = self.ingest_shop(shop).await?.ok_or(CoreError::NotFound("shop"))?;
        Ok(shop.deadlines)
    }

    /// Stamps a conversation about to be written with its deadlines as of now.
    pub(crate) async fn stamp(&self, c: &mut Conversation) -> CoreResult<()> {
        let spec = self.deadline_spec(c.shop_id).await?;
        deadlines::stamp(&spec, c, self.clock.now());
        Ok(())
    }

    /// One pass: conversations whose next deadline passed move on to their next one,
    /// and due warnings are given. Returns how many conversations it changed.
    pub async fn run_deadlines(&self) -> CoreResult<usize> {
        let now = self.clock.now();
        let mut changed = 0;
        for id in conversations::breach_passed(&self.store, now, PER_PASS).await? {
            changed += usize::from(self.move_on(id).await?);
        }
        for id in conversations::warning_due(&self.store, now, PER_PASS).await? {
            changed += usize::from(self.warn(id).await?);
        }
        Ok(changed)
    }

    /// Moves a conversation whose next deadline passed on to its next one.
    async fn move_on(&self, id: ConversationId) -> CoreResult<bool> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let Some((seller, before)) = conversations::lock(&mut w, id).await? else {
            return Ok(false);
        };
        if before.next_breach_at.is_none_or(|t| t >= now) {
            return Ok(false);
        }
        let mut after = before.clone();
        deadlines::stamp(&*self.deadline_spec(before.shop_id).await?, &mut after, now);
        conversations::save(&mut w, &[(seller, Some(before), after.clone())]).await?;
        w.commit().await?;
        if after.reply_wait_since.is_some() {
            // A reply target passed unanswered: the unreplied count may have grown (DY-QA-1).
            self.service_data_changed(after.shop_id, after.assignee_id, after.id);
        }
        self.events.publish(InboxEvent::ConversationUpdated { conversation: after });
        Ok(true)
    }

    /// Warns that a conversation's first-reply target is about to be missed, once: the
    /// warning is cleared in the same transaction, and given only while the target is
    /// still ahead and the conversation open.
    async fn warn(&self, id: ConversationId) -> CoreResult<bool> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let Some((seller, before)) = conversations::lock(&mut w, id).await? else {
            return Ok(false);
        };
        let Some(warn_at) = before.breach_warn_at.filter(|t| *t <= now) else {
            return Ok(false);
        };
        let mut after = before.clone();
        after.breach_warn_at = None;
        let due = before.sla_due_at.filter(|d| *d >= now && before.state.is_open());
        conversations::save(&mut w, &[(seller, Some(before), after.clone())]).await?;
        w.commit().await?;
        let Some(due_at) = due else { return Ok(false) };
        tracing::debug!(message = "Service-level target about to be missed.", conversation_id = %id, %warn_at);
        self.events.publish(InboxEvent::BreachSoon {
            shop_id: after.shop_id,
            conversation_id: after.id,
            assignee_id: after.assignee_id,
            due_at,
        });
        Ok(true)
    }

    /// Stamps every open conversation of a shop again (its rules or target changed).
    pub(crate) async fn restamp_shop(&self, shop: ShopId) -> CoreResult<()> {
        for id in conversations::open_of_shop(&self.store, shop).await? {
            self.restamp(id, false).await?;
        }
        Ok(())
    }

    /// One batch of the deadline backfill (migration 0023): open conversations written
    /// before reply deadlines existed get theirs, each taken off the list in the same
    /// transaction. Returns how many it took (0: the list is empty).
    pub async fn backfill_deadlines(&self) -> CoreResult<usize> {
        let batch = deadline_backfill::batch(&self.store, PER_PASS).await?;
        for id in &batch {
            self.restamp(*id, true).await?;
        }
        Ok(batch.len())
    }

    /// Stamps one conversation's deadlines as of now, writing only a change (and, for
    /// the backfill, taking it off the backfill list).
    async fn restamp(&self, id: ConversationId, backfill: bool) -> CoreResult<()> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        if backfill {
            deadline_backfill::done(&mut w, id).await?;
        }
        let Some((seller, before)) = conversations::lock(&mut w, id).await? else {
            return w.commit().await;
        };
        let mut after = before.clone();
        deadlines::stamp(&*self.deadline_spec(before.shop_id).await?, &mut after, now);
        if (after.next_breach_at, after.sla_due_at, after.breach_warn_at)
            == (before.next_breach_at, before.sla_due_at, before.breach_warn_at)
        {
            return w.commit().await;
        }
        conversations::save(&mut w, &[(seller, Some(before), after.clone())]).await?;
        w.commit().await?;
        self.events.publish(InboxEvent::ConversationUpdated { conversation: after });
        Ok(())
    }
}
