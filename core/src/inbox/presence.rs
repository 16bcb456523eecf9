//! Agent presence: status (DY-STATUS-1), the accept-assignment switch (TT-AGENT-2), the
//! maximum of simultaneous buyers that only the agent itself sets (DY-CAP-1), and the
//! connected flag driven by the agent's live streams (TT-AGENT-3).
//!
//! Each open stream is a row of `agent_sessions`, owned by the daemon serving it;
//! `agents.connected` is 1 while the agent has any. Daemons beat a heartbeat (wall
//! clock, not the rules clock: this is liveness, not a platform rule); the sessions of a
//! daemon that stopped beating are dropped by the others, so an agent whose daemon
//! crashed stops receiving assignments. Every change that can add capacity marks the
//! seller for the router.

use super::Inbox;
use super::accounts::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::ids::*;
use crate::model::*;
use crate::store::{AGENT_COLUMNS, agent_from_row, id_col};
use serde::{Deserialize, Serialize};
use sqlx::{Any, Transaction};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::watch;
use utoipa::ToSchema;

/// An agent's load as a select column: its conversations in progress in every shop
/// (the sum of its `in_progress` counters), for a query over `agents`.
pub(crate) const AGENT_LOAD: &str = "COALESCE((SELECT CAST(SUM(k.n) AS BIGINT) FROM conversation_counters k \
     WHERE k.assignee = agents.id AND k.bucket = 'in_progress'), 0) AS load";

/// How often a daemon beats its heartbeat.
const HEARTBEAT_EVERY: Duration = Duration::from_secs(5);

/// A daemon silent this long is gone; its streams no longer count.
const DAEMON_STALE_AFTER: Duration = Duration::from_secs(30);

/// An agent's presence and load, as the agent and its main account see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct Presence {
    /// The account.
    pub agent_id: AgentId,
    /// Its nickname.
    pub nickname: String,
    /// Main account, sub-account or operator.
    pub role: Role,
    /// Online, busy or offline (DY-STATUS-1).
    pub status: AgentStatus,
    /// Takes automatic assignments (TT-AGENT-2).
    pub accept_assignment: bool,
    /// Has a live stream open (TT-AGENT-3).
    pub connected: bool,
    /// Its maximum of simultaneous buyers (DY-CAP-1).
    pub capacity: i64,
    /// Conversations it holds now.
    pub load: i64,
    /// Whether automatic assignment can pick it now.
    pub available: bool,
}

/// A change of the caller's own presence; absent fields stay as they are.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceUpdate {
    /// Online, busy or offline.
    #[serde(default)]
    pub status: Option<AgentStatus>,
    /// The accept-assignment switch.
    #[serde(default)]
    pub accept_assignment: Option<bool>,
    /// The maximum of simultaneous buyers, 1 to 50.
    #[serde(default)]
    pub capacity: Option<i64>,
}

fn wall_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Inbox {
    /// The caller's presence.
    pub async fn presence(&self, viewer: &Viewer) -> CoreResult<Presence> {
        self.presence_of(viewer.agent.id).await
    }

    async fn presence_of(&self, agent_id: AgentId) -> CoreResult<Presence> {
        let row = self
            .store
            .query(
                &format!("SELECT {AGENT_COLUMNS}, {AGENT_LOAD} FROM agents WHERE id = $1"),
                vec![agent_id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("agent"))?;
        presence_from_row(&row)
    }

    /// Changes the caller's own presence. Only the agent itself changes its maximum
    /// (DY-CAP-1): there is no way for the main account to set another's.
    pub async fn set_presence(
        &self,
        viewer: &Viewer,
        update: PresenceUpdate,
    ) -> CoreResult<Presence> {
        if let Some(capacity) = update.capacity
            && !CAPACITY_RANGE.contains(&capacity)
        {
            // rule: DY-CAP-1
            return Err(CoreError::invalid(
                "capacity",
                "must be between 1 and 50 (DY-CAP-1)",
            ));
        }
        let me = viewer.agent.id.to_string();
        let mut w = self.store.begin_write().await?;
        self.lock_seller(&mut w.tx, viewer.agent.seller_id).await?;
        if let Some(status) = update.status {
            self.store
                .query(
                    "UPDATE agents SET status = $1 WHERE id = $2",
                    vec![status.as_str().into(), me.clone().into()],
                )
                .execute(&mut *w.tx)
                .await?;
        }
        if let Some(accept) = update.accept_assignment {
            self.store
                .query(
                    "UPDATE agents SET accept_assignment = $1 WHERE id = $2",
                    vec![accept.into(), me.clone().into()],
                )
                .execute(&mut *w.tx)
                .await?;
        }
        if let Some(capacity) = update.capacity {
            self.store
                .query(
                    "UPDATE agents SET capacity = $1 WHERE id = $2",
                    vec![capacity.into(), me.into()],
                )
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        self.route_soon(viewer.agent.seller_id);
        self.presence(viewer).await
    }

    /// Every account of the seller with its presence and load (the main account's team
    /// view; it reads maximums, it cannot change them).
    pub async fn team_presence(&self, owner: &Viewer) -> CoreResult<Vec<Presence>> {
        owner.require_owner()?;
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT {AGENT_COLUMNS}, {AGENT_LOAD} FROM agents \
                     WHERE seller_id = $1 ORDER BY created_at, id"
                ),
                vec![owner.agent.seller_id.to_string().into()],
            )
            .fetch_all(self.store.pool())
            .await?;
        rows.iter().map(presence_from_row).collect()
    }

    /// Records a live stream of an agent (it is connected from now on); returns the
    /// session to close when the stream ends.
    pub async fn open_session(&self, agent: &Agent) -> CoreResult<String> {
        let session = uuid::Uuid::now_v7().to_string();
        let mut w = self.store.begin_write().await?;
        self.beat(&mut w.tx).await?;
        self.store
            .query(
                "INSERT INTO agent_sessions (id, agent_id, instance_id, opened_at) VALUES ($1, $2, $3, $4)",
                vec![
                    session.clone().into(),
                    agent.id.to_string().into(),
                    self.instance_id.clone().into(),
                    wall_millis().into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        self.refresh_connected(&mut w.tx, agent.id).await?;
        w.commit().await?;
        self.route_soon(agent.seller_id);
        Ok(session)
    }

    /// Ends a live stream; the agent stays connected while it has another.
    pub async fn close_session(&self, agent: &Agent, session: &str) -> CoreResult<()> {
        let mut w = self.store.begin_write().await?;
        self.store
            .query(
                "DELETE FROM agent_sessions WHERE id = $1",
                vec![session.to_owned().into()],
            )
            .execute(&mut *w.tx)
            .await?;
        self.refresh_connected(&mut w.tx, agent.id).await?;
        w.commit().await
    }

    async fn refresh_connected(
        &self,
        tx: &mut Transaction<'static, Any>,
        agent: AgentId,
    ) -> CoreResult<()> {
        self.store
            .query(
                "UPDATE agents SET connected = CASE WHEN EXISTS \
                 (SELECT 1 FROM agent_sessions s WHERE s.agent_id = agents.id) THEN 1 ELSE 0 END WHERE id = $1",
                vec![agent.to_string().into()],
            )
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    async fn beat(&self, tx: &mut Transaction<'static, Any>) -> CoreResult<()> {
        let now = wall_millis();
        self.store
            .query(
                "INSERT INTO daemon_instances (id, started_at, heartbeat_at) VALUES ($1, $2, $2) \
                 ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
                vec![self.instance_id.clone().into(), now.into()],
            )
            .execute(&mut **tx)
            .await?;
        Ok(())
    }

    /// Beats this daemon's heartbeat and drops the streams of daemons that stopped
    /// beating (`stale_after`); returns how many sessions were dropped.
    pub async fn heartbeat(&self, stale_after: Duration) -> CoreResult<usize> {
        let cutoff = wall_millis() - stale_after.as_millis() as i64;
        let mut w = self.store.begin_write().await?;
        self.beat(&mut w.tx).await?;
        let gone = self
            .store
            .query(
                "SELECT s.agent_id FROM agent_sessions s LEFT JOIN daemon_instances d ON d.id = s.instance_id \
                 WHERE d.id IS NULL OR d.heartbeat_at < $1",
                vec![cutoff.into()],
            )
            .fetch_all(&mut *w.tx)
            .await?;
        if !gone.is_empty() {
            self.store
                .query(
                    "DELETE FROM agent_sessions WHERE instance_id NOT IN \
                     (SELECT id FROM daemon_instances WHERE heartbeat_at >= $1)",
                    vec![cutoff.into()],
                )
                .execute(&mut *w.tx)
                .await?;
        }
        let agents: std::collections::BTreeSet<AgentId> = gone
            .iter()
            .map(|row| id_col(row, "agent_id"))
            .collect::<CoreResult<_>>()?;
        for agent in &agents {
            self.refresh_connected(&mut w.tx, *agent).await?;
        }
        self.store
            .query(
                "DELETE FROM daemon_instances WHERE heartbeat_at < $1",
                vec![cutoff.into()],
            )
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        if !gone.is_empty() {
            tracing::info!(
                message = "Dropped the streams of a daemon that stopped.",
                sessions = gone.len()
            );
        }
        Ok(gone.len())
    }

    /// Drops this daemon's sessions and its heartbeat (at shutdown).
    pub(crate) async fn leave(&self) -> CoreResult<()> {
        let mut w = self.store.begin_write().await?;
        let rows = self
            .store
            .query(
                "SELECT DISTINCT agent_id FROM agent_sessions WHERE instance_id = $1",
                vec![self.instance_id.clone().into()],
            )
            .fetch_all(&mut *w.tx)
            .await?;
        self.store
            .query(
                "DELETE FROM agent_sessions WHERE instance_id = $1",
                vec![self.instance_id.clone().into()],
            )
            .execute(&mut *w.tx)
            .await?;
        for row in &rows {
            self.refresh_connected(&mut w.tx, id_col(row, "agent_id")?)
                .await?;
        }
        self.store
            .query(
                "DELETE FROM daemon_instances WHERE id = $1",
                vec![self.instance_id.clone().into()],
            )
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }
}

fn presence_from_row(row: &sqlx::any::AnyRow) -> CoreResult<Presence> {
    let agent = agent_from_row(row)?;
    let load: i64 = sqlx::Row::try_get(row, "load")?;
    let available = crate::routing::Candidate {
        id: agent.id,
        role: agent.role,
        status: agent.status,
        accept_assignment: agent.accept_assignment,
        connected: agent.connected,
        capacity: agent.capacity,
        load,
    }
    .available();
    Ok(Presence {
        agent_id: agent.id,
        nickname: agent.nickname,
        role: agent.role,
        status: agent.status,
        accept_assignment: agent.accept_assignment,
        connected: agent.connected,
        capacity: agent.capacity,
        load,
        available,
    })
}

/// The heartbeat task: beats every few seconds and drops stale daemons' streams.
pub(crate) async fn run_loop(inbox: std::sync::Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => break,
        }
        let Some(inbox) = inbox.upgrade() else { break };
        if let Err(error) = inbox.heartbeat(DAEMON_STALE_AFTER).await {
            tracing::warn!(message = "Heartbeat failed.", %error);
        }
    }
}
