//! A storefront customer's conversation as their widget shows it: the messages of one
//! buyer of one shop (theirs, the agents' and the bot's; never system notices, never a
//! reply that was refused on its way), a page at a time by a `(created_at, id)` cursor.

use super::rows::Columns;
use super::sql::Val;
use super::store::Store;
use crate::error::CoreResult;

/// A position in a customer's history: a message's time (ms) and id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The message's time (Unix ms).
    pub at_ms: i64,
    /// Its id.
    pub id: String,
}

/// Which page.
#[derive(Clone, Debug)]
pub enum Page {
    /// The latest messages, or those before a cursor (scrolling back).
    Before(Option<Cursor>),
    /// The messages after a cursor (catching up).
    After(Cursor),
}

/// One message as stored.
#[derive(Clone, Debug)]
pub struct HistoryRow {
    /// The message id.
    pub id: String,
    /// `buyer`, `agent` or `bot`.
    pub sender_kind: String,
    /// The agent's nickname, for an agent's message.
    pub agent_nickname: Option<String>,
    /// The content (JSON).
    pub content: serde_json::Value,
    /// The platform's id (`sf:{buyer}:{client id}` for the customer's own).
    pub platform_message_id: Option<String>,
    /// When (Unix ms).
    pub at_ms: i64,
    /// Delivery status of a reply.
    pub delivery_status: Option<String>,
}

const SELECT: &str = "SELECT m.id, m.sender_kind, m.content, m.platform_message_id, m.created_at, \
    m.delivery_status, a.nickname AS agent_nickname FROM messages m \
    JOIN conversations c ON c.id = m.conversation_id \
    JOIN buyers b ON b.id = c.buyer_id \
    LEFT JOIN agents a ON a.id = m.sender_agent_id \
    WHERE m.shop_id = $1 AND b.shop_id = $2 AND b.external_id = $3 \
    AND m.sender_kind IN ('buyer', 'agent', 'bot') \
    AND (m.delivery_status IS NULL OR m.delivery_status <> 'failed' \
      OR m.delivery_error LIKE '%customer_unreachable%' OR m.delivery_error LIKE '%email_off%')";

fn row_of(r: &sqlx::any::AnyRow) -> CoreResult<HistoryRow> {
    let content = serde_json::from_str(&r.text_col("content")?).unwrap_or_default();
    Ok(HistoryRow {
        id: r.text_col("id")?,
        sender_kind: r.text_col("sender_kind")?,
        agent_nickname: r.opt_text_col("agent_nickname")?,
        content,
        platform_message_id: r.opt_text_col("platform_message_id")?,
        at_ms: r.int_col("created_at")?,
        delivery_status: r.opt_text_col("delivery_status")?,
    })
}

/// Up to `limit` messages of the buyer's conversations in the shop, oldest first.
pub async fn page(
    store: &Store, shop: &str, buyer: &str, page: &Page, limit: i64,
) -> CoreResult<Vec<HistoryRow>> {
    let mut vals: Vec<Val> = vec![shop.into(), shop.into(), buyer.into()];
    let (condition, dir) = match page {
        Page::After(c) => {
            vals.extend([c.at_ms.into(), c.at_ms.into(), c.id.clone().into()]);
            (" AND (m.created_at > $4 OR (m.created_at = $5 AND m.id > $6))", "ASC")
        }
        Page::Before(Some(c)) => {
            vals.extend([c.at_ms.into(), c.at_ms.into(), c.id.clone().into()]);
            (" AND (m.created_at < $4 OR (m.created_at = $5 AND m.id < $6))", "DESC")
        }
        Page::Before(None) => ("", "DESC"),
    };
    let sql = format!(
        "{SELECT}{condition} ORDER BY m.created_at {dir}, m.id {dir} LIMIT {}",
        limit.clamp(1, 1000)
    );
    let rows = store.rows(&sql, vals).await?;
    let mut out = rows.iter().map(row_of).collect::<CoreResult<Vec<_>>>()?;
    if dir == "DESC" {
        out.reverse();
    }
    Ok(out)
}
