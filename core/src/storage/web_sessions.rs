//! The web sessions repository: browser sign-ins, one row per session keyed by the
//! SHA-256 of its cookie's token (the token itself is never stored), with its CSRF
//! token and its times; ended by sign-out, by a password change, or by expiry.

use super::rows::read_row;
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::AgentId;
use crate::domain::sign_in::{IDLE_LIFETIME, WebSession};
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

const COLUMNS: &str = "token_hash, agent_id, csrf_token, created_at, last_seen_at, expires_at";

/// Records a new session.
pub async fn insert(w: &mut WriteTx<'_>, s: &WebSession) -> CoreResult<()> {
    w.run(
        &format!("INSERT INTO web_sessions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
        vec![
            s.token_hash.clone().into(),
            s.agent_id.into(),
            s.csrf_token.clone().into(),
            s.created_at.into(),
            s.last_seen_at.into(),
            s.expires_at.into(),
        ],
    )
    .await
}

/// The session of a token hash, live or not.
pub async fn find(store: &Store, token_hash: &str) -> CoreResult<Option<WebSession>> {
    let sql = format!("SELECT {COLUMNS} FROM web_sessions WHERE token_hash = $1");
    let row = store.row(&sql, vec![token_hash.into()]).await?;
    row.map(|row| {
        let r = &row;
        Ok(read_row!(r => WebSession {
            token_hash, agent_id, csrf_token, created_at, last_seen_at, expires_at
        }))
    })
    .transpose()
}

/// Records a use of the session at `now`.
pub async fn touch(w: &mut WriteTx<'_>, token_hash: &str, now: DateTime<Utc>) -> CoreResult<()> {
    w.run(
        "UPDATE web_sessions SET last_seen_at = $1 WHERE token_hash = $2",
        vec![now.into(), token_hash.into()],
    )
    .await
}

/// Ends one session; how many rows went (0 or 1).
pub async fn delete(w: &mut WriteTx<'_>, token_hash: &str) -> CoreResult<u64> {
    w.exec("DELETE FROM web_sessions WHERE token_hash = $1", vec![token_hash.into()]).await
}

/// Ends every session of an agent; how many went.
pub async fn delete_of_agent(w: &mut WriteTx<'_>, agent: AgentId) -> CoreResult<u64> {
    w.exec("DELETE FROM web_sessions WHERE agent_id = $1", vec![agent.into()]).await
}

/// Deletes the sessions no longer live at `now` (past their end, or idle too long);
/// how many went.
pub async fn purge_expired(w: &mut WriteTx<'_>, now: DateTime<Utc>) -> CoreResult<u64> {
    w.exec(
        "DELETE FROM web_sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
        vec![now.into(), (now - IDLE_LIFETIME).into()],
    )
    .await
}

/// How many sessions an agent has, live or not (for tests and operators).
pub async fn count_of_agent(store: &Store, agent: AgentId) -> CoreResult<i64> {
    let sql = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM web_sessions WHERE agent_id = $1";
    match store.row(sql, vec![agent.into()]).await? {
        Some(row) => super::rows::Columns::int_col(&row, "n"),
        None => Ok(0),
    }
}
