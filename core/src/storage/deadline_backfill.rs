//! The deadline backfill list (migration 0023): open conversations written before reply
//! deadlines existed (migration 0020), whose deadline columns are empty until stamped.
//! The timer leader takes them in batches; each is stamped and taken off the list in
//! one transaction, so a crash repeats at most a stamp, which changes nothing.

use super::rows::Columns;
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::ConversationId;
use crate::error::CoreResult;

/// Up to `limit` conversations still to stamp.
pub async fn batch(store: &Store, limit: i64) -> CoreResult<Vec<ConversationId>> {
    let sql = "SELECT conversation_id FROM deadline_backfill ORDER BY conversation_id LIMIT $1";
    let rows = store.rows(sql, vec![limit.into()]).await?;
    rows.iter().map(|r| r.col("conversation_id")).collect()
}

/// Takes a conversation off the list, in the transaction that stamps it.
pub async fn done(w: &mut WriteTx<'_>, id: ConversationId) -> CoreResult<()> {
    w.run("DELETE FROM deadline_backfill WHERE conversation_id = $1", vec![id.into()]).await
}
