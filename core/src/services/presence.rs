//! Agent presence: status (DY-STATUS-1), the accept-assignment switch (TT-AGENT-2), the
//! maximum of simultaneous buyers that only the agent itself sets (DY-CAP-1), and the
//! connected flag driven by the agent's live streams (TT-AGENT-3).
//!
//! Each open stream is a row of `agent_sessions`, owned by the daemon serving it;
//! `agents.connected` is 1 while the agent has any. Daemons beat a heartbeat (wall
//! clock, not the rules clock: this is liveness, not a platform rule); the sessions of a
//! daemon that stopped beating are dropped by the others, so an agent whose daemon
//! crashed stops receiving assignments (within `InboxOptions::liveness`, the daemon's
//! stream ping interval). Storefront customers' sockets are kept the same way. Every change that can add capacity marks the
//! seller for the router.

use crate::clock::wall_millis;
use crate::domain::ids::*;
use crate::domain::model::*;
use crate::domain::routing::Candidate;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::{accounts, sessions, storefront_sockets, write_locks};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use tokio::sync::watch;

/// How often a daemon beats its heartbeat: a sixth of the liveness, at most every 5 s.
fn heartbeat_every(liveness: Duration) -> Duration {
    (liveness / 6).clamp(Duration::from_millis(250), Duration::from_secs(5))
}

/// How long a silent daemon still counts: the liveness less one beat, so that the
/// survivors' next beat after that drops it within the liveness of its last beat (a
/// live daemon would have to miss five beats in a row).
fn stale_after(liveness: Duration) -> Duration {
    liveness.saturating_sub(heartbeat_every(liveness))
}

/// An agent's presence and load, as the agent and its main account see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PresenceUpdate {
    /// Online, busy or offline.
    pub status: Option<AgentStatus>,
    /// The accept-assignment switch.
    pub accept_assignment: Option<bool>,
    /// The maximum of simultaneous buyers, 1 to 50.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    #[serde(default, deserialize_with = "shopmux_contract::integral::option_i64")]
    pub capacity: Option<i64>,
}

impl Inbox {
    /// The caller's presence.
    pub async fn presence(&self, viewer: &Viewer) -> CoreResult<Presence> {
        let (agent, load) = accounts::agent_with_load(&self.store, viewer.agent.id)
            .await?
            .ok_or(CoreError::NotFound("agent"))?;
        Ok(presence_of(agent, load))
    }

    /// Changes the caller's own presence. Only the agent itself changes its maximum
    /// (DY-CAP-1): there is no way for the main account to set another's.
    pub async fn set_presence(
        &self, viewer: &Viewer, update: PresenceUpdate,
    ) -> CoreResult<Presence> {
        if let Some(capacity) = update.capacity
            && !CAPACITY_RANGE.contains(&capacity)
        {
            // rule: DY-CAP-1
            return Err(CoreError::invalid("capacity", "must be between 1 and 50 (DY-CAP-1)"));
        }
        let mut w = self.store.begin_write().await?;
        write_locks::lock_seller(&mut w, viewer.agent.seller_id).await?;
        accounts::set_presence(
            &mut w,
            viewer.agent.id,
            update.status,
            update.accept_assignment,
            update.capacity,
        )
        .await?;
        w.commit().await?;
        self.route_soon(viewer.agent.seller_id);
        self.presence(viewer).await
    }

    /// Every account of the seller with its presence and load (the main account's team
    /// view; it reads maximums, it cannot change them).
    pub async fn team_presence(&self, owner: &Viewer) -> CoreResult<Vec<Presence>> {
        owner.require_owner()?;
        let agents = accounts::agents_with_load(&self.store, owner.agent.seller_id).await?;
        Ok(agents.into_iter().map(|(agent, load)| presence_of(agent, load)).collect())
    }

    /// Records a live stream of an agent (it is connected from now on); returns the
    /// session to close when the stream ends.
    pub async fn open_session(&self, agent: &Agent) -> CoreResult<String> {
        let session = uuid::Uuid::now_v7().to_string();
        let now = wall_millis();
        let mut w = self.store.begin_write().await?;
        sessions::beat(&mut w, &self.instance_id, now).await?;
        sessions::open(&mut w, &session, agent.id, &self.instance_id, now).await?;
        w.commit().await?;
        self.route_soon(agent.seller_id);
        Ok(session)
    }

    /// Ends a live stream; the agent stays connected while it has another.
    pub async fn close_session(&self, agent: &Agent, session: &str) -> CoreResult<()> {
        let mut w = self.store.begin_write().await?;
        sessions::close(&mut w, session, agent.id).await?;
        w.commit().await
    }

    /// Beats this daemon's heartbeat and drops the streams of daemons that stopped
    /// beating (`stale_after`); returns how many sessions were dropped.
    pub async fn heartbeat(&self, stale_after: Duration) -> CoreResult<usize> {
        let now = wall_millis();
        let mut w = self.store.begin_write().await?;
        sessions::beat(&mut w, &self.instance_id, now).await?;
        let cutoff = now - stale_after.as_millis() as i64;
        storefront_sockets::drop_stale(&mut w, cutoff).await?;
        let gone = sessions::drop_stale(&mut w, cutoff).await?;
        w.commit().await?;
        if gone > 0 {
            tracing::info!(
                message = "Dropped the streams of a daemon that stopped.",
                sessions = gone
            );
        }
        Ok(gone)
    }

    /// Drops this daemon's sessions and its heartbeat (at shutdown).
    pub(crate) async fn leave(&self) -> CoreResult<()> {
        let mut w = self.store.begin_write().await?;
        storefront_sockets::leave(&mut w, &self.instance_id).await?;
        sessions::leave(&mut w, &self.instance_id).await?;
        w.commit().await
    }
}

fn presence_of(agent: Agent, load: i64) -> Presence {
    let available = Candidate::of(&agent, load).available();
    Presence {
        agent_id: agent.id,
        nickname: agent.nickname,
        role: agent.role,
        status: agent.status,
        accept_assignment: agent.accept_assignment,
        connected: agent.connected,
        capacity: agent.capacity,
        load,
        available,
    }
}

/// The heartbeat task: beats every few seconds and drops stale daemons' streams.
pub(crate) async fn run_loop(inbox: std::sync::Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let Some(liveness) = inbox.upgrade().map(|i| i.liveness) else { return };
    let mut tick = tokio::time::interval(heartbeat_every(liveness));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => break,
        }
        let Some(inbox) = inbox.upgrade() else { break };
        if let Err(error) = inbox.heartbeat(stale_after(liveness)).await {
            tracing::warn!(message = "Heartbeat failed.", %error);
        }
    }
}
