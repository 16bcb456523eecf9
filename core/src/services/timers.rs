//! Lifecycle timers: the transitions a platform's rule set schedules after a silence
//! (TT-WIN-1: unreplied 7 days → closed; DY-END-2: buyer silent 15 minutes after the
//! agent's message → ended). Nothing is kept in memory: each pass finds due
//! conversations from their stored timestamps, so a transition missed while the daemon
//! was down happens at the next pass — late, but once — and a second pass finds nothing.
//! The transition is dated at the instant it fell due, so windows that count from it
//! (DY-END-3, TT-WIN-2) are not stretched by the delay.

use crate::domain::ids::ConversationId;
use crate::domain::model::{Conversation, ConversationState};
use crate::domain::rules::timer_due_at;
use crate::error::CoreResult;
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::storage::leadership::TimerLeadership;
use crate::storage::{conversations, shops};
use shopmux_contract::rules::{Silent, Timer, Transition};
use std::time::Duration;
use tokio::sync::watch;

/// Most conversations one timer handles per pass.
const PER_PASS: i64 = 500;

/// How often the daemon looks for due timers.
const PASS_EVERY: Duration = Duration::from_secs(1);

impl Inbox {
    /// Applies every lifecycle timer due now; returns how many conversations changed.
    pub async fn run_timers(&self) -> CoreResult<usize> {
        let now = self.clock.now();
        let mut changed = 0;
        for rules in self.registry.rule_sets() {
            for timer in &rules.timers {
                // A shop may shorten the duration: look as far as the shortest one.
                let shortest = self.shortest_span(rules.platform.as_str(), timer).await?;
                let cutoff = now - chrono::Duration::seconds(shortest.as_secs() as i64);
                let agent_silent = timer.silent == Silent::Agent;
                let due = conversations::due_for_timer(
                    &self.store,
                    rules.platform.as_str(),
                    agent_silent,
                    cutoff,
                    PER_PASS,
                )
                .await?;
                for id in due {
                    if self.apply_timer(id, &timer.rule).await? {
                        changed += 1;
                    }
                }
            }
        }
        Ok(changed)
    }

    /// The shortest duration of a timer over the platform's shops (their overrides).
    async fn shortest_span(
        &self, platform: &str, timer: &Timer,
    ) -> CoreResult<shopmux_contract::Span> {
        let mut shortest = timer.after;
        for shop in shops::with_overrides(&self.store, platform).await? {
            let rules = self.shop_rules(shop).await?;
            if let Some(t) = rules.timers.iter().find(|t| t.rule == timer.rule) {
                shortest = shortest.min(t.after);
            }
        }
        Ok(shortest)
    }

    /// Applies a timer (by rule ID) to one conversation if it is still due under its
    /// shop's rules (checked under the row lock, so a concurrent reply or a second pass
    /// changes nothing).
    async fn apply_timer(&self, id: ConversationId, rule: &str) -> CoreResult<bool> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let Some((seller, before)) = conversations::lock(&mut w, id).await? else {
            return Ok(false);
        };
        let rules = self.shop_rules(before.shop_id).await?;
        let Some(timer) = rules.timers.iter().find(|t| t.rule == rule) else {
            return Ok(false);
        };
        let Some(mut after) = timer_transition(timer, &before, now) else {
            return Ok(false);
        };
        self.stamp(&mut after).await?;
        conversations::save(&mut w, &[(seller, Some(before), after.clone())]).await?;
        w.commit().await?;
        // The ended conversation's agent has room again.
        self.route_soon(seller);
        tracing::debug!(message = "Timer applied.", rule = %timer.rule, conversation_id = %id);
        self.events.publish(InboxEvent::ConversationUpdated { conversation: after });
        Ok(true)
    }
}

/// The conversation after a timer's transition, dated when it fell due, if it is due.
fn timer_transition(
    timer: &Timer, before: &Conversation, now: chrono::DateTime<chrono::Utc>,
) -> Option<Conversation> {
    let due = timer_due_at(timer, before).filter(|due| *due <= now)?;
    let mut after = before.clone();
    match timer.then {
        Transition::End => {
            after.state = ConversationState::Ended;
            after.ended_at = Some(due);
        }
        Transition::Close => {
            after.state = ConversationState::Closed;
            after.closed_at = Some(due);
        }
    }
    Some(after)
}

/// The daemon's timer loop: a pass every second until shutdown, by the daemon that
/// leads the timer passes; until the deadline backfill list is empty, each pass also
/// stamps a batch of it.
pub(crate) async fn run_loop(inbox: std::sync::Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let mut leadership = TimerLeadership::default();
    // The deadline backfill (migration 0023): a batch a pass until the list is empty.
    let mut backfilled = false;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(PASS_EVERY) => {}
            _ = shutdown.changed() => break,
        }
        let Some(inbox) = inbox.upgrade() else { break };
        if !leadership.lead(&inbox.store).await {
            continue;
        }
        if let Err(error) = inbox.run_timers().await {
            tracing::warn!(message = "Timer pass failed.", %error);
        }
        if let Err(error) = inbox.run_deadlines().await {
            tracing::warn!(message = "Deadline pass failed.", %error);
        }
        if !backfilled {
            match inbox.backfill_deadlines().await {
                Ok(n) => backfilled = n == 0,
                Err(error) => tracing::warn!(message = "Deadline backfill failed.", %error),
            }
        }
    }
}
