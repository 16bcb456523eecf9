//! The accounts repository: sellers, agent accounts (found by id, nickname, login or
//! token hash), their passwords' hashes, their shop grants, their presence and load,
//! and the seller's routing lock.

use super::rows::{AGENT_COLUMNS, Columns, agent_from_row, read_row};
use super::store::Store;
use super::write::{Db, WriteTx};
use crate::domain::ids::*;
use crate::domain::model::{Agent, AgentStatus, Role, ShopGrant};
use crate::domain::routing::Candidate;
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

/// An agent's load as a select column: its conversations in progress in every shop
/// (the sum of its `in_progress` counters), for a query over `agents`.
const AGENT_LOAD: &str = "COALESCE((SELECT CAST(SUM(k.n) AS BIGINT) FROM conversation_counters k \
     WHERE k.assignee = agents.id AND k.bucket = 'in_progress'), 0) AS load";

fn unique_violation(e: &CoreError) -> bool {
    matches!(e, CoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation())
}

/// Whether a unique violation is the login's (`agents_login` on PostgreSQL,
/// `agents.login` in SQLite's message).
fn login_taken(e: &CoreError) -> bool {
    matches!(e, CoreError::Database(sqlx::Error::Database(d))
        if d.constraint() == Some("agents_login") || d.message().contains("agents.login"))
}

/// A unique violation on `agents` as the conflict it is.
fn agent_conflict(e: CoreError, agent: &Agent) -> CoreError {
    if login_taken(&e) {
        CoreError::Conflict("login: another account already signs in with this login".into())
    } else if unique_violation(&e) {
        CoreError::Conflict(format!("an agent named `{}` already exists", agent.nickname))
    } else {
        e
    }
}

/// Inserts a seller.
pub async fn insert_seller(
    w: &mut WriteTx<'_>, seller: SellerId, name: &str, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "INSERT INTO sellers (id, name, created_at) VALUES ($1, $2, $3)",
        vec![seller.into(), name.into(), now.into()],
    )
    .await
}

/// Inserts an agent with the hash of its token and of its password (if any); a taken
/// nickname or login is a conflict.
pub async fn insert_agent(
    w: &mut WriteTx<'_>, agent: &Agent, token_hash: String, password_hash: Option<String>,
) -> CoreResult<()> {
    let result = w
        .exec(
            "INSERT INTO agents (id, seller_id, role, nickname, status, accept_assignment, connected, capacity, \
             token_hash, created_at, login, password_hash) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
            vec![
                agent.id.into(),
                agent.seller_id.into(),
                agent.role.as_str().into(),
                agent.nickname.clone().into(),
                agent.status.as_str().into(),
                agent.accept_assignment.into(),
                agent.connected.into(),
                agent.capacity.into(),
                token_hash.into(),
                agent.created_at.into(),
                agent.login.clone().into(),
                password_hash.into(),
            ],
        )
        .await;
    result.map(|_| ()).map_err(|e| agent_conflict(e, agent))
}

/// Sets an agent's password hash, and its login when one is given (a taken login is a
/// conflict).
pub async fn set_password(
    w: &mut WriteTx<'_>, agent: &Agent, login: Option<String>, password_hash: String,
) -> CoreResult<()> {
    w.run(
        "UPDATE agents SET password_hash = $1, login = COALESCE($2, login) WHERE id = $3",
        vec![password_hash.into(), login.into(), agent.id.into()],
    )
    .await
    .map_err(|e| agent_conflict(e, agent))
}

/// Deactivates an account (at `at`) or reactivates it (none).
pub async fn set_deactivated(
    w: &mut WriteTx<'_>, agent: AgentId, at: Option<DateTime<Utc>>,
) -> CoreResult<()> {
    let sql = "UPDATE agents SET deactivated_at = $1 WHERE id = $2";
    w.run(sql, vec![at.into(), agent.into()]).await
}

/// Replaces an account's token (by its hash): the old token stops working at once.
pub async fn set_token_hash(w: &mut WriteTx<'_>, agent: AgentId, hash: String) -> CoreResult<()> {
    let sql = "UPDATE agents SET token_hash = $1 WHERE id = $2";
    w.run(sql, vec![hash.into(), agent.into()]).await
}

/// Takes an account's login and password away (it then signs in with its token only).
pub async fn clear_sign_in(w: &mut WriteTx<'_>, agent: AgentId) -> CoreResult<()> {
    let sql = "UPDATE agents SET login = NULL, password_hash = NULL WHERE id = $1";
    w.run(sql, vec![agent.into()]).await
}

/// The agent signing in with `login`, with its password hash (none: no password set).
pub async fn agent_by_login(
    store: &Store, login: &str,
) -> CoreResult<Option<(Agent, Option<String>)>> {
    let sql = format!("SELECT {AGENT_COLUMNS}, password_hash FROM agents WHERE login = $1");
    let row = store.row(&sql, vec![login.into()]).await?;
    row.map(|r| Ok((agent_from_row(&r)?, r.col("password_hash")?))).transpose()
}

/// Replaces the shops an agent is granted.
pub async fn replace_grants(
    w: &mut WriteTx<'_>, agent: AgentId, grants: &[ShopGrant],
) -> CoreResult<()> {
    w.run("DELETE FROM shop_grants WHERE agent_id = $1", vec![agent.into()]).await?;
    for g in grants {
        w.run(
            "INSERT INTO shop_grants (agent_id, shop_id, can_chat) VALUES ($1, $2, $3) \
             ON CONFLICT (agent_id, shop_id) DO UPDATE SET can_chat = excluded.can_chat",
            vec![agent.into(), g.shop_id.into(), g.can_chat.into()],
        )
        .await?;
    }
    Ok(())
}

/// The shops an agent is granted.
pub async fn grants(store: &Store, agent: AgentId) -> CoreResult<Vec<ShopGrant>> {
    let sql = "SELECT shop_id, can_chat FROM shop_grants WHERE agent_id = $1 ORDER BY shop_id";
    let rows = store.rows(sql, vec![agent.into()]).await?;
    rows.iter().map(|r| Ok(read_row!(r => ShopGrant { shop_id, can_chat }))).collect()
}

/// Whether the agent may chat in the shop by its grants.
pub async fn can_chat_in(w: &mut WriteTx<'_>, agent: AgentId, shop: ShopId) -> CoreResult<bool> {
    let sql =
        "SELECT 1 AS one FROM shop_grants WHERE agent_id = $1 AND shop_id = $2 AND can_chat = 1";
    Ok(w.row(sql, vec![agent.into(), shop.into()]).await?.is_some())
}

fn agent_of(row: Option<AnyRow>) -> CoreResult<Option<Agent>> {
    row.map(|r| agent_from_row(&r)).transpose()
}

/// An agent by id (within a seller, when one is given).
pub async fn agent(
    mut db: Db<'_, '_>, id: AgentId, seller: Option<SellerId>,
) -> CoreResult<Option<Agent>> {
    let row = match seller {
        Some(seller) => {
            let sql =
                format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1 AND seller_id = $2");
            db.row(&sql, vec![id.into(), seller.into()]).await?
        }
        None => {
            let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1");
            db.row(&sql, vec![id.into()]).await?
        }
    };
    agent_of(row)
}

/// The agent holding a token (by its hash).
pub async fn agent_by_token(store: &Store, token_hash: String) -> CoreResult<Option<Agent>> {
    let sql = format!("SELECT {AGENT_COLUMNS} FROM agents WHERE token_hash = $1");
    agent_of(store.row(&sql, vec![token_hash.into()]).await?)
}

/// The id of the seller's agent with this nickname.
pub async fn agent_id_by_nickname(
    store: &Store, seller: SellerId, nickname: &str,
) -> CoreResult<Option<AgentId>> {
    let sql = "SELECT id FROM agents WHERE seller_id = $1 AND nickname = $2";
    let row = store.row(sql, vec![seller.into(), nickname.into()]).await?;
    row.map(|r| r.col("id")).transpose()
}

/// The seller's agents, oldest first.
pub async fn agents_of(store: &Store, seller: SellerId) -> CoreResult<Vec<Agent>> {
    let sql =
        format!("SELECT {AGENT_COLUMNS} FROM agents WHERE seller_id = $1 ORDER BY created_at, id");
    let rows = store.rows(&sql, vec![seller.into()]).await?;
    rows.iter().map(agent_from_row).collect()
}

/// An agent's role, if the agent exists.
pub async fn role(w: &mut WriteTx<'_>, agent: AgentId) -> CoreResult<Option<Role>> {
    let row = w.row("SELECT role FROM agents WHERE id = $1", vec![agent.into()]).await?;
    row.map(|r| r.col("role")).transpose()
}

/// Changes an agent's presence; absent values stay.
pub async fn set_presence(
    w: &mut WriteTx<'_>, agent: AgentId, status: Option<AgentStatus>,
    accept_assignment: Option<bool>, capacity: Option<i64>,
) -> CoreResult<()> {
    w.run(
        "UPDATE agents SET status = COALESCE($1, status), \
         accept_assignment = COALESCE($2, accept_assignment), capacity = COALESCE($3, capacity) WHERE id = $4",
        vec![
            status.map(|s| s.as_str().to_owned()).into(),
            accept_assignment.map(i64::from).into(),
            capacity.into(),
            agent.into(),
        ],
    )
    .await
}

/// An agent with its load (conversations in progress in every shop).
pub async fn agent_with_load(store: &Store, agent: AgentId) -> CoreResult<Option<(Agent, i64)>> {
    let sql = format!("SELECT {AGENT_COLUMNS}, {AGENT_LOAD} FROM agents WHERE id = $1");
    let row = store.row(&sql, vec![agent.into()]).await?;
    row.map(|r| Ok((agent_from_row(&r)?, r.int_col("load")?))).transpose()
}

/// Every agent of a seller with its load, oldest first.
pub async fn agents_with_load(store: &Store, seller: SellerId) -> CoreResult<Vec<(Agent, i64)>> {
    let sql = format!(
        "SELECT {AGENT_COLUMNS}, {AGENT_LOAD} FROM agents WHERE seller_id = $1 ORDER BY created_at, id"
    );
    let rows = store.rows(&sql, vec![seller.into()]).await?;
    rows.iter().map(|r| Ok((agent_from_row(r)?, r.int_col("load")?))).collect()
}

/// The accounts allowed to chat in a shop, with their presence and load.
pub async fn candidates(
    w: &mut WriteTx<'_>, seller: SellerId, shop: ShopId,
) -> CoreResult<Vec<Candidate>> {
    // rule: DY-PERM-1 / SH-ASSIGN-1 (only accounts with chat permission are routed to)
    let sql = format!(
        "SELECT id, role, status, accept_assignment, connected, capacity, {AGENT_LOAD} \
         FROM agents WHERE seller_id = $1 AND deactivated_at IS NULL AND (role = 'owner' OR (role = 'agent' AND EXISTS \
           (SELECT 1 FROM shop_grants g WHERE g.agent_id = agents.id AND g.shop_id = $2 AND g.can_chat = 1))) \
         ORDER BY id"
    );
    let rows = w.rows(&sql, vec![seller.into(), shop.into()]).await?;
    rows.iter()
        .map(|r| {
            Ok(read_row!(r => Candidate {
                id, role, status, accept_assignment, connected, capacity, load
            }))
        })
        .collect()
}
