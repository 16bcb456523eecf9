//! The quick replies repository (AE-QUICK-1, DY-QUICK-1, ALL-SHOP-1): the sets of an
//! agent and of shops, read in one query with an optional search, written one reply at
//! a time, and reordered as a whole set.

use super::rows::{Columns, json_col};
use super::sql::{Val, list_placeholders};
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::*;
use crate::domain::quick_replies::{QuickReply, search_text};
use crate::error::CoreResult;
use sqlx::any::AnyRow;

const COLUMNS: &str = "id, shop_id, agent_id, group_name, position, title, body, translations, \
     created_at, updated_at";

/// One set: an agent's own or a shop's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Set {
    /// An agent's own (DY-QUICK-1).
    Agent(AgentId),
    /// A shop's (ALL-SHOP-1).
    Shop(ShopId),
}

impl Set {
    fn condition(self, at: usize) -> (String, Val) {
        match self {
            Set::Agent(a) => (format!("agent_id = ${at}"), a.into()),
            Set::Shop(s) => (format!("shop_id = ${at}"), s.into()),
        }
    }
}

fn from_row(row: &AnyRow) -> CoreResult<QuickReply> {
    Ok(QuickReply {
        id: row.col("id")?,
        shop_id: row.col("shop_id")?,
        agent_id: row.col("agent_id")?,
        group: row.col("group_name")?,
        position: row.col("position")?,
        title: row.col("title")?,
        text: row.col("body")?,
        translations: json_col(row, "translations")?,
        created_at: row.col("created_at")?,
        updated_at: row.col("updated_at")?,
    })
}

/// One reply of a seller.
pub async fn get(
    store: &Store, seller: SellerId, id: QuickReplyId,
) -> CoreResult<Option<QuickReply>> {
    let sql = format!("SELECT {COLUMNS} FROM quick_replies WHERE id = $1 AND seller_id = $2");
    let row = store.row(&sql, vec![id.into(), seller.into()]).await?;
    row.map(|r| from_row(&r)).transpose()
}

/// The replies of an agent's own set (when `agent` is given) and of `shops`, matching
/// the `LIKE` pattern `search` on their search text when given; unordered.
pub async fn list(
    store: &Store, seller: SellerId, agent: Option<AgentId>, shops: &[ShopId], search: Option<&str>,
) -> CoreResult<Vec<QuickReply>> {
    let mut vals: Vec<Val> = vec![seller.into()];
    let mut sets = Vec::new();
    if let Some(agent) = agent {
        vals.push(agent.into());
        sets.push(format!("agent_id = ${}", vals.len()));
    }
    if !shops.is_empty() {
        sets.push(format!("shop_id IN ({})", list_placeholders(shops.len(), vals.len() + 1)));
        vals.extend(shops.iter().map(|s| Val::from(*s)));
    }
    if sets.is_empty() {
        return Ok(Vec::new());
    }
    let mut sql = format!(
        "SELECT {COLUMNS} FROM quick_replies WHERE seller_id = $1 AND ({})",
        sets.join(" OR ")
    );
    if let Some(pattern) = search {
        vals.push(pattern.into());
        sql.push_str(&format!(" AND search_text LIKE ${} ESCAPE '\\'", vals.len()));
    }
    let rows = store.rows(&sql, vals).await?;
    rows.iter().map(from_row).collect()
}

/// The ids of a set, by position.
pub async fn ids_of(w: &mut WriteTx<'_>, set: Set) -> CoreResult<Vec<QuickReplyId>> {
    let (condition, val) = set.condition(1);
    let sql = format!("SELECT id FROM quick_replies WHERE {condition} ORDER BY position, id");
    let rows = w.rows(&sql, vec![val]).await?;
    rows.iter().map(|r| r.col("id")).collect()
}

/// The position after the last of a set.
pub async fn next_position(w: &mut WriteTx<'_>, set: Set) -> CoreResult<i64> {
    let (condition, val) = set.condition(1);
    let sql = format!(
        "SELECT COALESCE(MAX(position), -1) + 1 AS next FROM quick_replies WHERE {condition}"
    );
    let row = w.row(&sql, vec![val]).await?;
    Ok(row.map(|r| r.int_col("next")).transpose()?.unwrap_or(0))
}

/// Inserts a reply of a seller.
pub async fn insert(w: &mut WriteTx<'_>, seller: SellerId, r: &QuickReply) -> CoreResult<()> {
    let sql = format!(
        "INSERT INTO quick_replies ({COLUMNS}, seller_id, search_text) \
         VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
    );
    let mut vals = values(r)?;
    vals.extend([seller.into(), search_text(r).into()]);
    w.run(&sql, vals).await
}

/// Saves a reply's group, title and texts.
pub async fn update(w: &mut WriteTx<'_>, r: &QuickReply) -> CoreResult<()> {
    w.run(
        "UPDATE quick_replies SET group_name = $1, title = $2, body = $3, translations = $4, \
         search_text = $5, updated_at = $6 WHERE id = $7",
        vec![
            r.group.clone().into(),
            r.title.clone().into(),
            r.text.clone().into(),
            translations_json(r)?.into(),
            search_text(r).into(),
            r.updated_at.into(),
            r.id.into(),
        ],
    )
    .await
}

/// Deletes a reply.
pub async fn delete(w: &mut WriteTx<'_>, id: QuickReplyId) -> CoreResult<()> {
    w.run("DELETE FROM quick_replies WHERE id = $1", vec![id.into()]).await
}

/// Gives each reply of `ids` its index as position.
pub async fn set_positions(w: &mut WriteTx<'_>, ids: &[QuickReplyId]) -> CoreResult<()> {
    for (position, id) in ids.iter().enumerate() {
        w.run(
            "UPDATE quick_replies SET position = $1 WHERE id = $2",
            vec![Val::from(position as i64), (*id).into()],
        )
        .await?;
    }
    Ok(())
}

fn translations_json(r: &QuickReply) -> CoreResult<String> {
    serde_json::to_string(&r.translations)
        .map_err(|e| super::rows::corrupt("json", format!("translations: {e}")))
}

fn values(r: &QuickReply) -> CoreResult<Vec<Val>> {
    Ok(vec![
        r.id.into(),
        r.shop_id.into(),
        r.agent_id.into(),
        r.group.clone().into(),
        r.position.into(),
        r.title.clone().into(),
        r.text.clone().into(),
        translations_json(r)?.into(),
        r.created_at.into(),
        r.updated_at.into(),
    ])
}
