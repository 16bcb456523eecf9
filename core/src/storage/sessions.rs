//! The live-stream sessions of agents (TT-AGENT-3) and the daemons serving them: each
//! open stream is a row owned by its daemon; `agents.connected` is 1 while the agent has
//! any; daemons beat a heartbeat, and the sessions of a daemon that stopped beating are
//! dropped by the others. Times here are the wall clock in milliseconds (liveness, not
//! a platform rule).

use super::rows::Columns;
use super::write::WriteTx;
use crate::domain::ids::AgentId;
use crate::error::CoreResult;
use sqlx::any::AnyRow;
use std::collections::BTreeSet;

/// Records a daemon's heartbeat.
pub async fn beat(w: &mut WriteTx<'_>, instance: &str, now_ms: i64) -> CoreResult<()> {
    w.run(
        "INSERT INTO daemon_instances (id, started_at, heartbeat_at) VALUES ($1, $2, $2) \
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at",
        vec![instance.into(), now_ms.into()],
    )
    .await
}

/// Records an open stream of an agent served by `instance`.
pub async fn open(
    w: &mut WriteTx<'_>, session: &str, agent: AgentId, instance: &str, now_ms: i64,
) -> CoreResult<()> {
    w.run(
        "INSERT INTO agent_sessions (id, agent_id, instance_id, opened_at) VALUES ($1, $2, $3, $4)",
        vec![session.into(), agent.into(), instance.into(), now_ms.into()],
    )
    .await?;
    refresh_connected(w, agent).await
}

/// Drops a stream; the agent stays connected while it has another.
pub async fn close(w: &mut WriteTx<'_>, session: &str, agent: AgentId) -> CoreResult<()> {
    w.run("DELETE FROM agent_sessions WHERE id = $1", vec![session.into()]).await?;
    refresh_connected(w, agent).await
}

async fn refresh_connected(w: &mut WriteTx<'_>, agent: AgentId) -> CoreResult<()> {
    w.run(
        "UPDATE agents SET connected = CASE WHEN EXISTS \
         (SELECT 1 FROM agent_sessions s WHERE s.agent_id = agents.id) THEN 1 ELSE 0 END WHERE id = $1",
        vec![agent.into()],
    )
    .await
}

/// Refreshes the `connected` flag of every agent named in `rows` (an `agent_id` column).
async fn refresh_all(w: &mut WriteTx<'_>, rows: &[AnyRow]) -> CoreResult<()> {
    let agents: BTreeSet<AgentId> =
        rows.iter().map(|row| row.col("agent_id")).collect::<CoreResult<_>>()?;
    for agent in agents {
        refresh_connected(w, agent).await?;
    }
    Ok(())
}

/// Drops the sessions and heartbeats of daemons silent since `cutoff_ms`; returns how
/// many sessions went.
pub async fn drop_stale(w: &mut WriteTx<'_>, cutoff_ms: i64) -> CoreResult<usize> {
    let gone = w
        .rows(
            "SELECT s.agent_id FROM agent_sessions s LEFT JOIN daemon_instances d ON d.id = s.instance_id \
             WHERE d.id IS NULL OR d.heartbeat_at < $1",
            vec![cutoff_ms.into()],
        )
        .await?;
    if !gone.is_empty() {
        w.run(
            "DELETE FROM agent_sessions WHERE instance_id NOT IN \
             (SELECT id FROM daemon_instances WHERE heartbeat_at >= $1)",
            vec![cutoff_ms.into()],
        )
        .await?;
    }
    refresh_all(w, &gone).await?;
    w.run("DELETE FROM daemon_instances WHERE heartbeat_at < $1", vec![cutoff_ms.into()]).await?;
    Ok(gone.len())
}

/// Drops every session of a daemon and its heartbeat (at its shutdown).
pub async fn leave(w: &mut WriteTx<'_>, instance: &str) -> CoreResult<()> {
    let rows = w
        .rows(
            "SELECT DISTINCT agent_id FROM agent_sessions WHERE instance_id = $1",
            vec![instance.into()],
        )
        .await?;
    w.run("DELETE FROM agent_sessions WHERE instance_id = $1", vec![instance.into()]).await?;
    refresh_all(w, &rows).await?;
    w.run("DELETE FROM daemon_instances WHERE id = $1", vec![instance.into()]).await
}
