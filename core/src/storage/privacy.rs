//! Privacy requests: what shopmux holds on a buyer (the export), redacting it, and the
//! record of each request. Redaction never deletes a message or a conversation
//! (ALL-DEL-1): it replaces what identifies the buyer or what they (and agents) wrote —
//! each message's content becomes a notice, its translation and original text go, the
//! conversation's preview empties, the search index forgets the words — and removes
//! the buyer's name and email, profile, storefront identity, rating comments and notes
//! (SH-NOTE-1 notes may be deleted), and the translation cache's entries holding their
//! translated words (keyed by a hash of the source text, so the translation is what
//! would tell). Ids, times, directions and delivery states stay, so counters, deadlines
//! and service figures are unchanged.

use super::rows::Columns;
use super::sql::list_placeholders;
use super::store::{Backend, Store};
use super::write::WriteTx;
use crate::domain::ids::{BuyerId, SellerId, ShopId};
use crate::error::CoreResult;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use shopmux_contract::MessageContent;

/// A buyer named by a request: shopmux's id and the platform's.
pub type NamedBuyer = (BuyerId, String);

/// The buyers of `shop` among `external_ids`; every buyer of the shop when `all`.
pub async fn buyers(
    w: &mut WriteTx<'_>, shop: ShopId, external_ids: &[String], all: bool,
) -> CoreResult<Vec<NamedBuyer>> {
    let rows = w
        .rows(
            "SELECT id, external_id FROM buyers WHERE shop_id = $1 ORDER BY created_at, id",
            vec![shop.into()],
        )
        .await?;
    let mut found = Vec::new();
    for row in rows {
        let external: String = row.text_col("external_id")?;
        if all || external_ids.contains(&external) {
            found.push((row.col("id")?, external));
        }
    }
    Ok(found)
}

/// Everything stored on one buyer: who they are, their profile, orders and
/// conversations with every message.
pub async fn export(w: &mut WriteTx<'_>, buyer: &NamedBuyer) -> CoreResult<Value> {
    let id = buyer.0;
    let who = w
        .row(
            "SELECT nickname, email, language, created_at FROM buyers WHERE id = $1",
            vec![id.into()],
        )
        .await?;
    let messages = w
        .rows(
            "SELECT m.conversation_id, m.direction, m.sender_kind, m.content, m.created_at \
             FROM messages m JOIN conversations c ON c.id = m.conversation_id \
             WHERE c.buyer_id = $1 ORDER BY m.created_at, m.id",
            vec![id.into()],
        )
        .await?;
    let orders = w
        .rows(
            "SELECT external_id, status, created_at FROM orders WHERE buyer_id = $1",
            vec![id.into()],
        )
        .await?;
    let mut listed = Vec::new();
    for m in &messages {
        let content: Value = serde_json::from_str(&m.text_col("content")?).unwrap_or(Value::Null);
        listed.push(json!({
            "conversation_id": m.text_col("conversation_id")?,
            "direction": m.text_col("direction")?,
            "sender": m.text_col("sender_kind")?,
            "content": content,
            "at": crate::clock::from_millis(m.int_col("created_at")?),
        }));
    }
    let mut order_list = Vec::new();
    for o in &orders {
        order_list
            .push(json!({"order": o.text_col("external_id")?, "status": o.text_col("status")?}));
    }
    Ok(json!({
        "buyer": buyer.1,
        "nickname": who.as_ref().map(|r| r.text_col("nickname")).transpose()?,
        "email": who.as_ref().map(|r| r.opt_text_col("email")).transpose()?.flatten(),
        "orders": order_list,
        "messages": listed,
    }))
}

/// The content a redacted message keeps.
fn redacted_content(why: &str) -> String {
    let notice = MessageContent::SystemNotice { text: format!("Content removed: {why}") };
    serde_json::to_string(&notice).unwrap_or_default()
}

/// Redacts one buyer of `shop` (see the module comment); returns how many messages.
pub async fn redact(
    w: &mut WriteTx<'_>, shop: ShopId, buyer: &NamedBuyer, why: &str,
) -> CoreResult<u64> {
    let (id, external) = (buyer.0, buyer.1.clone());
    let in_conversations = "conversation_id IN (SELECT id FROM conversations WHERE buyer_id = $1)";
    forget_translations(w, in_conversations, id).await?;
    let n = w
        .exec(
            &format!(
                "UPDATE messages SET content = $2, translated_text = NULL, original_text = NULL \
                 WHERE {in_conversations}"
            ),
            vec![id.into(), redacted_content(why).into()],
        )
        .await?;
    if w.store().backend() == Backend::Postgres {
        let sql = format!(
            "UPDATE messages SET search_vec = CAST('' AS tsvector) WHERE {in_conversations}"
        );
        w.run(&sql, vec![id.into()]).await?;
    } else {
        w.run(&format!("DELETE FROM message_fts WHERE {in_conversations}"), vec![id.into()])
            .await?;
    }
    let statements = [
        "UPDATE conversations SET preview = '' WHERE buyer_id = $1",
        "UPDATE buyers SET nickname = 'Redacted buyer', email = NULL WHERE id = $1",
        "DELETE FROM buyer_name_parts WHERE buyer_id = $1",
        "DELETE FROM buyer_notes WHERE buyer_id = $1",
        "UPDATE ratings SET comment = NULL WHERE buyer_id = $1",
    ];
    for sql in statements {
        w.run(sql, vec![id.into()]).await?;
    }
    let by_external = [
        "DELETE FROM buyer_profiles WHERE shop_id = $1 AND buyer_external_id = $2",
        "UPDATE storefront_sessions SET nickname = NULL, email = NULL, code_email = NULL \
         WHERE shop_id = $1 AND buyer_external_id = $2",
    ];
    for sql in by_external {
        w.run(sql, vec![shop.into(), external.clone().into()]).await?;
    }
    Ok(n)
}

/// Deletes the translation cache's entries for the texts of a buyer's messages: an
/// inbound message's translation, and a translated reply's sent text (its original is
/// what the agent wrote).
async fn forget_translations(
    w: &mut WriteTx<'_>, in_conversations: &str, buyer: BuyerId,
) -> CoreResult<()> {
    let sql = format!(
        "SELECT translated_text, original_text, content FROM messages WHERE {in_conversations} \
         AND (translated_text IS NOT NULL OR original_text IS NOT NULL)"
    );
    let mut texts = Vec::new();
    for row in w.rows(&sql, vec![buyer.into()]).await? {
        texts.extend(row.opt_text_col("translated_text")?);
        if row.opt_text_col("original_text")?.is_some() {
            let content = serde_json::from_str(&row.text_col("content")?).ok();
            if let Some(MessageContent::Text { text }) = content {
                texts.push(text);
            }
        }
    }
    for chunk in texts.chunks(200) {
        let sql = format!(
            "DELETE FROM translation_cache WHERE translated IN ({})",
            list_placeholders(chunk.len(), 1)
        );
        w.run(&sql, chunk.iter().map(|t| t.clone().into()).collect()).await?;
    }
    Ok(())
}

/// A privacy request as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// shopmux's id of it.
    pub id: String,
    /// The seller.
    pub seller_id: SellerId,
    /// The shop.
    pub shop_id: ShopId,
    /// `export`, `redact_buyers` or `redact_shop`.
    pub kind: String,
    /// The platform's id of it.
    pub platform_request_id: Option<String>,
    /// The buyers it named.
    pub buyers: Vec<String>,
    /// The orders it named.
    pub orders: Vec<String>,
    /// How many of them shopmux knew.
    pub buyers_found: i64,
    /// How many messages were redacted.
    pub messages_redacted: i64,
    /// The export, sealed (exports only).
    pub export: Option<String>,
    /// When it arrived (and was done: requests are carried out when they arrive).
    pub received_at: DateTime<Utc>,
}

/// Records a request; false when the platform's id was recorded before (a redelivery).
pub async fn insert(w: &mut WriteTx<'_>, r: &Record) -> CoreResult<bool> {
    let to_json = |list: &Vec<String>| serde_json::to_string(list).unwrap_or_default();
    let n = w
        .exec(
            "INSERT INTO privacy_requests (id, seller_id, shop_id, kind, platform_request_id, \
             buyers, orders, buyers_found, messages_redacted, export, received_at, completed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             ON CONFLICT (shop_id, kind, platform_request_id) DO NOTHING",
            vec![
                r.id.clone().into(),
                r.seller_id.into(),
                r.shop_id.into(),
                r.kind.clone().into(),
                r.platform_request_id.clone().into(),
                to_json(&r.buyers).into(),
                to_json(&r.orders).into(),
                r.buyers_found.into(),
                r.messages_redacted.into(),
                r.export.clone().into(),
                r.received_at.into(),
            ],
        )
        .await?;
    Ok(n > 0)
}

const COLUMNS: &str = "id, seller_id, shop_id, kind, platform_request_id, buyers, orders, \
                       buyers_found, messages_redacted, export, received_at";

fn from_row(row: &sqlx::any::AnyRow) -> CoreResult<Record> {
    let list = |col: &str| -> CoreResult<Vec<String>> {
        Ok(serde_json::from_str(&row.text_col(col)?).unwrap_or_default())
    };
    Ok(Record {
        id: row.text_col("id")?,
        seller_id: row.col("seller_id")?,
        shop_id: row.col("shop_id")?,
        kind: row.text_col("kind")?,
        platform_request_id: row.opt_text_col("platform_request_id")?,
        buyers: list("buyers")?,
        orders: list("orders")?,
        buyers_found: row.int_col("buyers_found")?,
        messages_redacted: row.int_col("messages_redacted")?,
        export: row.opt_text_col("export")?,
        received_at: crate::clock::from_millis(row.int_col("received_at")?),
    })
}

/// A seller's requests, newest first (at most 200).
pub async fn of_seller(store: &Store, seller: SellerId) -> CoreResult<Vec<Record>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM privacy_requests WHERE seller_id = $1 \
         ORDER BY received_at DESC, id DESC LIMIT 200"
    );
    store.rows(&sql, vec![seller.into()]).await?.iter().map(from_row).collect()
}

/// One request of a seller.
pub async fn get(store: &Store, seller: SellerId, id: &str) -> CoreResult<Option<Record>> {
    let sql = format!("SELECT {COLUMNS} FROM privacy_requests WHERE seller_id = $1 AND id = $2");
    store.row(&sql, vec![seller.into(), id.into()]).await?.as_ref().map(from_row).transpose()
}
