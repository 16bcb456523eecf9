//! The ratings repository (DY-RATE-1): a buyer's rating stored once per rating message,
//! the conversation's latest rating marked, and the rating list with its filters and
//! keyset pages (newest first).

use super::rows::{Columns, corrupt, read_row};
use super::sql::Val;
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::*;
use crate::domain::ratings::{Rating, RatingSource};
use crate::domain::service_data;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;

const COLUMNS: &str = "message_id, seller_id, shop_id, conversation_id, buyer_id, agent_id, \
     score, comment, source, latest, created_at";

fn rating_from_row(row: &AnyRow) -> CoreResult<Rating> {
    let source = row.text_col("source")?;
    let source: RatingSource = source.parse().map_err(|e| corrupt("source", e))?;
    Ok(read_row!(row => Rating {
        message_id, conversation_id, shop_id, buyer_id, agent_id, score, comment, latest,
        created_at; source: source
    }))
}

/// Stores a rating unless its message is a rating already; marks the conversation's
/// latest rating. Returns whether it was stored now.
pub async fn insert(w: &mut WriteTx<'_>, seller: SellerId, r: &Rating) -> CoreResult<bool> {
    let sql = format!(
        "INSERT INTO ratings ({COLUMNS}) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) \
         ON CONFLICT (message_id) DO NOTHING"
    );
    let vals: Vec<Val> = vec![
        r.message_id.into(),
        seller.into(),
        r.shop_id.into(),
        r.conversation_id.into(),
        r.buyer_id.into(),
        r.agent_id.into(),
        r.score.into(),
        r.comment.clone().into(),
        r.source.as_str().into(),
        false.into(),
        r.created_at.into(),
    ];
    if w.exec(&sql, vals).await? == 0 {
        return Ok(false);
    }
    let before = latest_of(w, r.conversation_id).await?;
    // The newest rating of the conversation counts; ratings arriving out of order
    // still leave the newest one latest.
    w.run(
        "UPDATE ratings SET latest = CASE WHEN message_id = (SELECT l.message_id FROM ratings l \
           WHERE l.conversation_id = $1 ORDER BY l.created_at DESC, l.message_id DESC LIMIT 1) \
         THEN 1 ELSE 0 END WHERE conversation_id = $1",
        vec![r.conversation_id.into()],
    )
    .await?;
    // rule: TT-DATA-2, DY-QA-3 (the rollups count each conversation's latest rating)
    let after = latest_of(w, r.conversation_id).await?;
    if before.as_ref().map(|b| b.message_id) != after.as_ref().map(|a| a.message_id) {
        let mut delta = service_data::Rollups::new();
        for (rating, sign) in [(before, -1), (after, 1)] {
            if let Some(rating) = rating {
                service_data::tally::rating(&rating, sign, &mut delta);
            }
        }
        super::service_rollups::add(w, &delta).await?;
    }
    Ok(true)
}

/// The latest rating of a conversation, in a write transaction.
async fn latest_of(
    w: &mut WriteTx<'_>, conversation: ConversationId,
) -> CoreResult<Option<Rating>> {
    let sql = format!("SELECT {COLUMNS} FROM ratings WHERE conversation_id = $1 AND latest = 1");
    w.row(&sql, vec![conversation.into()]).await?.map(|r| rating_from_row(&r)).transpose()
}

/// A shop's latest ratings given in [from, to) (what the recompute command counts).
pub async fn latest_in(
    store: &Store, shop: ShopId, from: DateTime<Utc>, to: DateTime<Utc>,
) -> CoreResult<Vec<Rating>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM ratings WHERE shop_id = $1 AND latest = 1 \
         AND created_at >= $2 AND created_at < $3"
    );
    store
        .rows(&sql, vec![shop.into(), from.into(), to.into()])
        .await?
        .iter()
        .map(rating_from_row)
        .collect()
}

/// One rating by its message.
pub async fn get(store: &Store, message: MessageId) -> CoreResult<Option<Rating>> {
    let sql = format!("SELECT {COLUMNS} FROM ratings WHERE message_id = $1");
    store.row(&sql, vec![message.into()]).await?.map(|r| rating_from_row(&r)).transpose()
}

/// What one page of the rating list asks for (the domain query, checked, and resolved
/// to the shops in the viewer's scope).
pub struct RatingSpec<'a> {
    /// The seller.
    pub seller: SellerId,
    /// Only these shops (none: all of the seller's).
    pub shops: Option<&'a [ShopId]>,
    /// Only this conversation.
    pub conversation: Option<ConversationId>,
    /// Only this agent's.
    pub agent: Option<AgentId>,
    /// Only from this source.
    pub source: Option<RatingSource>,
    /// Only this score.
    pub score: Option<i64>,
    /// Given at or after.
    pub from: Option<DateTime<Utc>>,
    /// Given before.
    pub to: Option<DateTime<Utc>>,
    /// Only the latest of each conversation.
    pub latest: bool,
    /// After this (created_at in ms, message id), from a cursor.
    pub after: Option<(i64, String)>,
    /// At most this many.
    pub limit: usize,
}

/// One page of ratings, newest first.
pub async fn page(store: &Store, spec: &RatingSpec<'_>) -> CoreResult<Vec<Rating>> {
    let mut vals: Vec<Val> = Vec::new();
    let mut arg = |v: Val| {
        vals.push(v);
        format!("${}", vals.len())
    };
    let mut conditions = vec![format!("seller_id = {}", arg(spec.seller.into()))];
    if let Some(shops) = spec.shops {
        let list: Vec<String> = shops.iter().map(|s| arg((*s).into())).collect();
        conditions.push(format!("shop_id IN ({})", list.join(",")));
    }
    if let Some(c) = spec.conversation {
        conditions.push(format!("conversation_id = {}", arg(c.into())));
    }
    if let Some(a) = spec.agent {
        conditions.push(format!("agent_id = {}", arg(a.into())));
    }
    if let Some(s) = spec.source {
        conditions.push(format!("source = {}", arg(s.as_str().into())));
    }
    if let Some(s) = spec.score {
        conditions.push(format!("score = {}", arg(s.into())));
    }
    if let Some(t) = spec.from {
        conditions.push(format!("created_at >= {}", arg(t.into())));
    }
    if let Some(t) = spec.to {
        conditions.push(format!("created_at < {}", arg(t.into())));
    }
    if spec.latest {
        conditions.push("latest = 1".into());
    }
    if let Some((key, id)) = &spec.after {
        let (k, i) = (arg((*key).into()), arg(id.clone().into()));
        conditions.push(format!("(created_at < {k} OR (created_at = {k} AND message_id < {i}))"));
    }
    let sql = format!(
        "SELECT {COLUMNS} FROM ratings WHERE {} ORDER BY created_at DESC, message_id DESC LIMIT {}",
        conditions.join(" AND "),
        spec.limit
    );
    store.rows(&sql, vals).await?.iter().map(rating_from_row).collect()
}

/// One rating by its message, in a write transaction.
pub async fn get_in(w: &mut WriteTx<'_>, message: MessageId) -> CoreResult<Option<Rating>> {
    let sql = format!("SELECT {COLUMNS} FROM ratings WHERE message_id = $1");
    w.row(&sql, vec![message.into()]).await?.map(|r| rating_from_row(&r)).transpose()
}

/// The agent who last replied to a buyer, in any of their conversations (the agent a
/// rating names when its conversation has no assignee: a buyer may rate after the chat
/// ended, and their rating then opens a new conversation).
pub async fn last_replying_agent(
    w: &mut WriteTx<'_>, buyer: BuyerId,
) -> CoreResult<Option<AgentId>> {
    let row = w
        .row(
            "SELECT m.sender_agent_id FROM conversations c \
             JOIN messages m ON m.conversation_id = c.id \
             WHERE c.buyer_id = $1 AND m.sender_kind = 'agent' AND m.sender_agent_id IS NOT NULL \
             ORDER BY m.created_at DESC, m.id DESC LIMIT 1",
            vec![buyer.into()],
        )
        .await?;
    row.map(|r| r.col("sender_agent_id")).transpose()
}
