//! The policy overrides repository: which off-platform contact policies an agent
//! acknowledged when sending a message anyway (the pre-send compliance check), one row
//! per such message, read with the messages' pages.

use super::rows::{Columns, json_col};
use super::sql::{Val, list_placeholders};
use super::store::Store;
use super::write::WriteTx;
use crate::domain::compliance::PolicyOverride;
use crate::domain::ids::MessageId;
use crate::error::CoreResult;

/// Records an override.
pub async fn insert(w: &mut WriteTx<'_>, o: &PolicyOverride) -> CoreResult<()> {
    let policies = serde_json::to_string(&o.policies).unwrap_or_else(|_| "[]".into());
    w.run(
        "INSERT INTO message_policy_overrides (message_id, policies, agent_id, created_at) \
         VALUES ($1, $2, $3, $4)",
        vec![o.message_id.into(), policies.into(), o.agent_id.into(), o.created_at.into()],
    )
    .await
}

/// The overrides of these messages (those that have one).
pub async fn of_messages(store: &Store, ids: &[MessageId]) -> CoreResult<Vec<PolicyOverride>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT message_id, policies, agent_id, created_at FROM message_policy_overrides \
         WHERE message_id IN ({}) ORDER BY created_at, message_id",
        list_placeholders(ids.len(), 1)
    );
    let rows = store.rows(&sql, ids.iter().copied().map(Val::from).collect()).await?;
    rows.iter()
        .map(|row| {
            Ok(PolicyOverride {
                message_id: row.col("message_id")?,
                policies: json_col(row, "policies")?,
                agent_id: row.col("agent_id")?,
                created_at: row.col("created_at")?,
            })
        })
        .collect()
}
