//! The buyers repository: a buyer, their orders (read, and recorded from an order
//! notice), what the platform says about them (profiles), where replies go on the
//! platform, and the sub-accounts a transfer took them away from (AE-XFER-2).

use super::ingest_buyers::defer_name_parts;
use super::rows::{BUYER_COLUMNS, Columns, ORDER_COLUMNS, buyer_from_row, order_from_row};
use super::sql::{Val, list_placeholders};
use super::store::Store;
use super::write::Deferred;
use super::write::{Db, WriteTx};
use crate::domain::ids::*;
use crate::domain::model::{Buyer, Order};
use crate::domain::search_terms;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};
use shopmux_contract::adapter::{BuyerProfile, OrderInfo};
use std::collections::{HashMap, HashSet};

/// One buyer.
pub async fn get(store: &Store, id: BuyerId) -> CoreResult<Option<Buyer>> {
    let sql = format!("SELECT {BUYER_COLUMNS} FROM buyers WHERE id = $1");
    let row = store.row(&sql, vec![id.into()]).await?;
    row.map(|r| buyer_from_row(&r)).transpose()
}

/// The platform's conversation with the buyer, where replies and read marks go.
pub async fn platform_conversation(store: &Store, id: BuyerId) -> CoreResult<Option<String>> {
    let sql = "SELECT platform_conversation_id FROM buyers WHERE id = $1";
    let row = store.row(sql, vec![id.into()]).await?;
    Ok(row.map(|r| r.opt_text_col("platform_conversation_id")).transpose()?.flatten())
}

/// The buyer's orders, newest first.
pub async fn orders_of(mut db: Db<'_, '_>, buyer: BuyerId) -> CoreResult<Vec<Order>> {
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE buyer_id = $1 ORDER BY created_at DESC, id DESC"
    );
    let rows = db.rows(&sql, vec![buyer.into()]).await?;
    rows.iter().map(order_from_row).collect()
}

/// The orders of several buyers, by buyer.
pub async fn orders_of_buyers(
    store: &Store, buyers: &[BuyerId],
) -> CoreResult<HashMap<BuyerId, Vec<Order>>> {
    let mut ids: Vec<BuyerId> = buyers.to_vec();
    ids.sort();
    ids.dedup();
    let sql = format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE buyer_id IN ({})",
        list_placeholders(ids.len(), 1)
    );
    let rows = store.rows(&sql, ids.into_iter().map(Val::from).collect()).await?;
    let mut orders: HashMap<BuyerId, Vec<Order>> = HashMap::new();
    for row in &rows {
        let order = order_from_row(row)?;
        orders.entry(order.buyer_id).or_default().push(order);
    }
    Ok(orders)
}

/// The buyer an order notice names, created when new (with its search name parts).
pub async fn find_or_create(
    w: &mut WriteTx<'_>, shop: ShopId, external_id: &str, nickname: &str, now: DateTime<Utc>,
) -> CoreResult<BuyerId> {
    let inserted = w
        .row(
            "INSERT INTO buyers (id, shop_id, external_id, nickname, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (shop_id, external_id) DO NOTHING RETURNING id",
            vec![
                BuyerId::new().into(),
                shop.into(),
                external_id.into(),
                nickname.into(),
                now.into(),
            ],
        )
        .await?;
    if let Some(row) = inserted {
        let id: BuyerId = row.col("id")?;
        let parts = search_terms::name_parts(nickname).into_iter().map(|p| (p, id)).collect();
        let mut deferred = Deferred::default();
        defer_name_parts(parts, &mut deferred);
        deferred.run(w).await?;
        return Ok(id);
    }
    let sql = "SELECT id FROM buyers WHERE shop_id = $1 AND external_id = $2";
    let row = w.row(sql, vec![shop.into(), external_id.into()]).await?;
    row.ok_or(crate::error::CoreError::NotFound("buyer"))?.col("id")
}

/// Records an order as a notice reports it: inserted, or its status, return flag, name,
/// total and tracking number updated (a status `unknown`, or a notice silent on returns, keeps the stored
/// one). Status and return flag
/// each keep the platform's time of their last change (`status_version`,
/// `reverse_version`): a notice older than it changes neither, so a late or replayed
/// notice never rolls the order back (a notice without a time applies as it comes).
pub async fn upsert_order(
    w: &mut WriteTx<'_>, shop: ShopId, buyer: BuyerId, order: &OrderInfo, created_at: DateTime<Utc>,
) -> CoreResult<()> {
    let status = order.status.clone().unwrap_or_else(|| "unknown".into());
    let status_version = order.updated_at_ms.filter(|_| status != "unknown");
    w.run(
        &format!(
            "INSERT INTO orders (id, shop_id, buyer_id, external_id, created_at, status, reverse_in_progress, \
             name, total, status_version, reverse_version, tracking_number) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$13) \
             ON CONFLICT (shop_id, external_id) DO UPDATE SET \
             status = CASE WHEN excluded.status = 'unknown' OR {stale_status} THEN orders.status ELSE excluded.status END, \
             status_version = CASE WHEN excluded.status = 'unknown' OR {stale_status} THEN orders.status_version \
               ELSE COALESCE(excluded.status_version, orders.status_version) END, \
             reverse_in_progress = CASE WHEN $12 = 0 OR {stale_reverse} THEN orders.reverse_in_progress ELSE excluded.reverse_in_progress END, \
             reverse_version = CASE WHEN $12 = 0 OR {stale_reverse} THEN orders.reverse_version \
               ELSE COALESCE(excluded.reverse_version, orders.reverse_version) END, \
             name = COALESCE(excluded.name, orders.name), total = COALESCE(excluded.total, orders.total), \
             tracking_number = COALESCE(excluded.tracking_number, orders.tracking_number)",
            stale_status = older("status_version"),
            stale_reverse = older("reverse_version"),
        ),
        vec![
            OrderId::new().into(),
            shop.into(),
            buyer.into(),
            order.external_id.clone().into(),
            created_at.into(),
            status.into(),
            order.reverse_in_progress.unwrap_or(false).into(),
            order.name.clone().into(),
            order.total.clone().into(),
            status_version.into(),
            order.updated_at_ms.filter(|_| order.reverse_in_progress.is_some()).into(),
            order.reverse_in_progress.is_some().into(),
            order.tracking_number.clone().filter(|t| !t.trim().is_empty()).into(),
        ],
    )
    .await
}

/// Whether the notice's `column` is older than the stored one (both known).
fn older(column: &str) -> String {
    format!(
        "(excluded.{column} IS NOT NULL AND orders.{column} IS NOT NULL AND excluded.{column} < orders.{column})"
    )
}

/// Sets the buyer's email when none is known yet.
pub async fn set_email_if_unknown(
    w: &mut WriteTx<'_>, shop: ShopId, external_id: &str, email: &str,
) -> CoreResult<()> {
    w.run(
        "UPDATE buyers SET email = $1 WHERE shop_id = $2 AND external_id = $3 AND email IS NULL",
        vec![email.to_lowercase().into(), shop.into(), external_id.into()],
    )
    .await
}

/// Replaces what the platform says about a buyer (a customer notice).
pub async fn put_profile(
    w: &mut WriteTx<'_>, shop: ShopId, external_id: &str, profile_json: String, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "INSERT INTO buyer_profiles (shop_id, buyer_external_id, profile, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (shop_id, buyer_external_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at",
        vec![shop.into(), external_id.into(), profile_json.into(), now.into()],
    )
    .await
}

/// What the platform last said about a buyer, if anything readable.
pub async fn profile(
    store: &Store, shop: ShopId, external_id: &str,
) -> CoreResult<Option<BuyerProfile>> {
    let sql = "SELECT profile FROM buyer_profiles WHERE shop_id = $1 AND buyer_external_id = $2";
    let row = store.row(sql, vec![shop.into(), external_id.into()]).await?;
    Ok(row.map(|r| r.text_col("profile")).transpose()?.and_then(|p| serde_json::from_str(&p).ok()))
}

/// The rule under which a transfer took this buyer away from the agent, if it did.
pub async fn revoked_rule(
    w: &mut WriteTx<'_>, buyer: BuyerId, agent: AgentId,
) -> CoreResult<Option<String>> {
    let sql = "SELECT rule FROM buyer_access_revoked WHERE buyer_id = $1 AND agent_id = $2";
    let row = w.row(sql, vec![buyer.into(), agent.into()]).await?;
    row.map(|r| r.text_col("rule")).transpose()
}

/// Takes the buyer away from a sub-account after a transfer (AE-XFER-2).
pub async fn revoke(
    w: &mut WriteTx<'_>, buyer: BuyerId, agent: AgentId, rule: &str,
) -> CoreResult<()> {
    w.run(
        "INSERT INTO buyer_access_revoked (buyer_id, agent_id, rule) VALUES ($1, $2, $3) \
         ON CONFLICT (buyer_id, agent_id) DO NOTHING",
        vec![buyer.into(), agent.into(), rule.into()],
    )
    .await
}

/// Gives the buyer back to an agent (handing the buyer to them again).
pub async fn restore(w: &mut WriteTx<'_>, buyer: BuyerId, agent: AgentId) -> CoreResult<()> {
    w.run(
        "DELETE FROM buyer_access_revoked WHERE buyer_id = $1 AND agent_id = $2",
        vec![buyer.into(), agent.into()],
    )
    .await
}

/// The sub-accounts that may no longer chat with each buyer (AE-XFER-2).
pub async fn revoked_for(
    w: &mut WriteTx<'_>, buyers: &[BuyerId],
) -> CoreResult<HashMap<BuyerId, HashSet<AgentId>>> {
    let sql = format!(
        "SELECT buyer_id, agent_id FROM buyer_access_revoked WHERE buyer_id IN ({})",
        list_placeholders(buyers.len(), 1)
    );
    let rows = w.rows(&sql, buyers.iter().map(|b| Val::from(*b)).collect()).await?;
    let mut out: HashMap<BuyerId, HashSet<AgentId>> = HashMap::new();
    for r in &rows {
        out.entry(r.col("buyer_id")?).or_default().insert(r.col("agent_id")?);
    }
    Ok(out)
}
