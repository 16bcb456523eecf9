//! Started authorizations (`connect_states`): the hash of a state's random part, the owner
//! who started it, its platform and the store named; taken once, before it expires.

use super::rows::Columns;
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::{AgentId, SellerId};
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

/// A started authorization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectState {
    /// The seller whose owner started it.
    pub seller_id: SellerId,
    /// The owner.
    pub agent_id: AgentId,
    /// The platform.
    pub platform: String,
    /// The store the owner named, if any.
    pub shop_hint: Option<String>,
    /// Good until then.
    pub expires_at: DateTime<Utc>,
}

/// Records a started authorization under `state_hash`; forgets expired ones.
pub async fn insert(
    w: &mut WriteTx<'_>, state_hash: &str, state: &ConnectState, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run("DELETE FROM connect_states WHERE expires_at < $1", vec![now.into()]).await?;
    w.run(
        "INSERT INTO connect_states (state_hash, seller_id, agent_id, platform, shop_hint, \
         created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
        vec![
            state_hash.into(),
            state.seller_id.into(),
            state.agent_id.into(),
            state.platform.clone().into(),
            state.shop_hint.clone().into(),
            now.into(),
            state.expires_at.into(),
        ],
    )
    .await
}

/// Takes a state: marks it used and returns it, if it exists, was never used and has
/// not expired — in one statement, so two callbacks cannot both take it.
pub async fn take(
    w: &mut WriteTx<'_>, state_hash: &str, now: DateTime<Utc>,
) -> CoreResult<Option<ConnectState>> {
    let taken = w
        .exec(
            "UPDATE connect_states SET used_at = $1 \
             WHERE state_hash = $2 AND used_at IS NULL AND expires_at >= $1",
            vec![now.into(), state_hash.into()],
        )
        .await?;
    if taken == 0 {
        return Ok(None);
    }
    let sql = "SELECT seller_id, agent_id, platform, shop_hint, expires_at FROM connect_states \
               WHERE state_hash = $1";
    let Some(row) = w.row(sql, vec![state_hash.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(ConnectState {
        seller_id: row.col("seller_id")?,
        agent_id: row.col("agent_id")?,
        platform: row.text_col("platform")?,
        shop_hint: row.opt_text_col("shop_hint")?,
        expires_at: crate::clock::from_millis(row.int_col("expires_at")?),
    }))
}

/// How many states are stored (tests).
pub async fn count(store: &Store) -> CoreResult<i64> {
    let row = store.row("SELECT COUNT(*) AS n FROM connect_states", vec![]).await?;
    row.map_or(Ok(0), |r| r.int_col("n"))
}
