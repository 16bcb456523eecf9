//! Lifecycle timers: the transitions a platform's rule set schedules after a silence
//! (TT-WIN-1: unreplied 7 days → closed; DY-END-2: buyer silent 15 minutes after the
//! agent's message → ended). Nothing is kept in memory: each pass finds due
//! conversations from their stored timestamps, so a transition missed while the daemon
//! was down happens at the next pass — late, but once — and a second pass finds nothing.
//! The transition is dated at the instant it fell due, so windows that count from it
//! (DY-END-3, TT-WIN-2) are not stretched by the delay.

use super::Inbox;
use crate::clock::to_millis;
use crate::error::CoreResult;
use crate::events::InboxEvent;
use crate::ids::ConversationId;
use crate::model::ConversationState;
use crate::rules::timer_due_at;
use crate::store::{Backend, CONVERSATION_COLUMNS, conversation_from_row, id_col};
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
        let mut platforms: Vec<&String> = self.rule_sets.keys().collect();
        platforms.sort();
        for platform in platforms {
            for timer in &self.rule_sets[platform].timers {
                // A shop may shorten the duration: look as far as the shortest one.
                let shortest = self.shortest_span(platform, timer).await?;
                let cutoff = to_millis(now - chrono::Duration::seconds(shortest.as_secs() as i64));
                let (column, answered) = match timer.silent {
                    Silent::Agent => ("waiting_since", "waiting_since IS NOT NULL"),
                    Silent::Buyer => ("last_agent_reply_at", "waiting_since IS NULL"),
                };
                let rows = self
                    .store
                    .query(
                        &format!(
                            "SELECT id FROM conversations WHERE platform = $1 AND list_status = 'open' AND {answered} \
                             AND {column} <= $2 ORDER BY {column} LIMIT $3"
                        ),
                        vec![platform.clone().into(), cutoff.into(), PER_PASS.into()],
                    )
                    .fetch_all(self.store.pool())
                    .await?;
                for row in &rows {
                    if self.apply_timer(id_col(row, "id")?, &timer.rule).await? {
                        changed += 1;
                    }
                }
            }
        }
        Ok(changed)
    }

    /// The shortest duration of a timer over the platform's shops (their overrides).
    async fn shortest_span(
        &self,
        platform: &str,
        timer: &Timer,
    ) -> CoreResult<shopmux_contract::Span> {
        let rows = self
            .store
            .query(
                "SELECT id FROM shops WHERE platform = $1 AND settings LIKE '%rule_overrides%'",
                vec![platform.into()],
            )
            .fetch_all(self.store.pool())
            .await?;
        let mut shortest = timer.after;
        for row in &rows {
            let rules = self.shop_rules(id_col(row, "id")?).await?;
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
        let row = self
            .store
            .query(
                &format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1{}",
                    self.store.for_update()
                ),
                vec![id.to_string().into()],
            )
            .fetch_optional(&mut *w.tx)
            .await?;
        let Some(row) = row else { return Ok(false) };
        let (seller, before) = conversation_from_row(&row)?;
        let rules = self.shop_rules(before.shop_id).await?;
        let Some(timer) = rules.timers.iter().find(|t| t.rule == rule) else {
            return Ok(false);
        };
        let Some(due) = timer_due_at(timer, &before).filter(|due| *due <= now) else {
            return Ok(false);
        };
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
        super::actions::save_conversations(
            &self.store,
            &mut w.tx,
            &[(seller, Some(before), after.clone())],
        )
        .await?;
        w.commit().await?;
        // The ended conversation's agent has room again.
        self.route_soon(seller);
        tracing::debug!(message = "Timer applied.", rule = %timer.rule, conversation_id = %id);
        self.events.publish(InboxEvent::ConversationUpdated {
            conversation: after,
        });
        Ok(true)
    }
}

/// The daemon's timer loop: a pass every second until shutdown.
/// Leadership of the timer passes. On PostgreSQL several daemons may share a database:
/// the one holding a session advisory lock runs the passes, and when its connection
/// goes, the lock goes with it and another daemon takes over. SQLite has one daemon.
pub struct TimerLeadership {
    held: Option<sqlx::pool::PoolConnection<sqlx::Any>>,
    task: &'static str,
}

impl Default for TimerLeadership {
    fn default() -> Self {
        Self::for_task("timers")
    }
}

impl TimerLeadership {
    /// Leadership of another daemon-wide task (`pollers`), with a lock of its own.
    pub fn for_task(task: &'static str) -> Self {
        Self { held: None, task }
    }

    /// Whether this daemon leads now (taking the lead when it is free).
    pub async fn lead(&mut self, store: &crate::store::Store) -> bool {
        if store.backend() == Backend::Sqlite {
            return true;
        }
        if let Some(conn) = self.held.as_mut() {
            // Still connected, so still holding the lock.
            if sqlx::query("SELECT 1").execute(&mut **conn).await.is_ok() {
                return true;
            }
            self.held = None;
        }
        let Ok(mut conn) = store.pool().acquire().await else {
            return false;
        };
        // One lock per schema, so deployments sharing a database do not block each other.
        let got: Result<bool, _> = sqlx::query_scalar(
            "SELECT pg_try_advisory_lock(CAST(hashtext(current_schema() || ':shopmux-' || $1) AS BIGINT))",
        )
        .bind(self.task)
        .fetch_one(&mut *conn)
        .await;
        if matches!(got, Ok(true)) {
            // This connection must never go back to the pool still holding the lock.
            conn.close_on_drop();
            self.held = Some(conn);
            true
        } else {
            false
        }
    }
}

pub(crate) async fn run_loop(inbox: std::sync::Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let mut leadership = TimerLeadership::default();
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
    }
}
