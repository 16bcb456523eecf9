//! The shops repository: shops with their settings and ingest secret, the shops a
//! seller has (all, of one platform), and each shop's poll cursor.

use super::rows::{Columns, SHOP_COLUMNS, shop_from_row};
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::*;
use crate::domain::model::Shop;
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};

/// A shop's row as the inbound path reads it.
pub struct IngestRow {
    /// The seller.
    pub seller_id: SellerId,
    /// The platform id as stored.
    pub platform: String,
    /// The ingest secret.
    pub secret: String,
    /// The settings JSON.
    pub settings: serde_json::Value,
}

fn settings_of(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_default()
}

/// Inserts a shop with its ingest secret; a shop already connected is a conflict.
pub async fn insert(w: &mut WriteTx<'_>, shop: &Shop, secret: &str) -> CoreResult<()> {
    let result = w
        .exec(
            "INSERT INTO shops (id, seller_id, platform, external_id, region, name, settings, ingest_secret, \
             created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
            vec![
                shop.id.into(),
                shop.seller_id.into(),
                shop.platform.as_str().into(),
                shop.external_id.clone().into(),
                shop.region.clone().into(),
                shop.name.clone().into(),
                shop.settings.to_string().into(),
                secret.into(),
                shop.created_at.into(),
            ],
        )
        .await;
    match result {
        Err(CoreError::Database(sqlx::Error::Database(d))) if d.is_unique_violation() => {
            Err(CoreError::Conflict(format!(
                "shop {} of {} in region {} is already connected",
                shop.external_id, shop.platform, shop.region
            )))
        }
        other => other.map(|_| ()),
    }
}

/// Replaces a shop's settings.
pub async fn set_settings(
    w: &mut WriteTx<'_>, shop: ShopId, settings: &serde_json::Value,
) -> CoreResult<()> {
    w.run(
        "UPDATE shops SET settings = $1 WHERE id = $2",
        vec![settings.to_string().into(), shop.into()],
    )
    .await
}

/// Replaces a shop's ingest secret.
pub async fn set_secret(w: &mut WriteTx<'_>, shop: ShopId, secret: &str) -> CoreResult<()> {
    w.run("UPDATE shops SET ingest_secret = $1 WHERE id = $2", vec![secret.into(), shop.into()])
        .await
}

/// One shop.
pub async fn get(store: &Store, shop: ShopId) -> CoreResult<Option<Shop>> {
    let sql = format!("SELECT {SHOP_COLUMNS} FROM shops WHERE id = $1");
    let row = store.row(&sql, vec![shop.into()]).await?;
    row.map(|r| shop_from_row(&r)).transpose()
}

/// The shops of a seller, oldest first.
pub async fn of_seller(store: &Store, seller: SellerId) -> CoreResult<Vec<Shop>> {
    let sql =
        format!("SELECT {SHOP_COLUMNS} FROM shops WHERE seller_id = $1 ORDER BY created_at, id");
    let rows = store.rows(&sql, vec![seller.into()]).await?;
    rows.iter().map(shop_from_row).collect()
}

fn shop_ids(rows: &[sqlx::any::AnyRow]) -> CoreResult<Vec<ShopId>> {
    rows.iter().map(|r| r.col("id")).collect()
}

/// The ids of a seller's shops, of one platform when given.
pub async fn ids_of_seller(
    store: &Store, seller: SellerId, platform: Option<&str>,
) -> CoreResult<Vec<ShopId>> {
    let rows = match platform {
        Some(p) => {
            let sql = "SELECT id FROM shops WHERE seller_id = $1 AND platform = $2";
            store.rows(sql, vec![seller.into(), p.into()]).await?
        }
        None => {
            let sql = "SELECT id FROM shops WHERE seller_id = $1 ORDER BY created_at, id";
            store.rows(sql, vec![seller.into()]).await?
        }
    };
    shop_ids(&rows)
}

/// The shops of a platform whose settings override rule durations.
pub async fn with_overrides(store: &Store, platform: &str) -> CoreResult<Vec<ShopId>> {
    let sql = "SELECT id FROM shops WHERE platform = $1 AND settings LIKE '%rule_overrides%'";
    shop_ids(&store.rows(sql, vec![platform.into()]).await?)
}

/// The shops with a marketplace connection that was not revoked, with their platform.
pub async fn connected(store: &Store) -> CoreResult<Vec<(ShopId, String)>> {
    let sql = "SELECT s.id, s.platform FROM shops s JOIN shop_connections c ON c.shop_id = s.id \
               WHERE c.status <> 'revoked' ORDER BY s.id";
    let rows = store.rows(sql, vec![]).await?;
    rows.iter().map(|r| Ok((r.col("id")?, r.text_col("platform")?))).collect()
}

/// The shops of every seller that are `platform`'s shop `external_id` (a delivery to a
/// platform's app-wide webhook address names the shop only so), oldest first, at most 16.
pub async fn ids_named(
    store: &Store, platform: &str, external_id: &str,
) -> CoreResult<Vec<ShopId>> {
    let sql = "SELECT id FROM shops WHERE platform = $1 AND external_id = $2 \
               ORDER BY created_at, id LIMIT 16";
    shop_ids(&store.rows(sql, vec![platform.into(), external_id.into()]).await?)
}

/// What the inbound path reads of a shop.
pub async fn ingest_row(store: &Store, shop: ShopId) -> CoreResult<Option<IngestRow>> {
    let sql = "SELECT seller_id, platform, ingest_secret, settings FROM shops WHERE id = $1";
    let Some(row) = store.row(sql, vec![shop.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(IngestRow {
        seller_id: row.col("seller_id")?,
        platform: row.text_col("platform")?,
        secret: row.text_col("ingest_secret")?,
        settings: settings_of(&row.text_col("settings")?),
    }))
}

/// A shop's seller, platform and settings.
pub async fn settings(
    store: &Store, shop: ShopId,
) -> CoreResult<Option<(SellerId, String, serde_json::Value)>> {
    let sql = "SELECT seller_id, platform, settings FROM shops WHERE id = $1";
    let Some(row) = store.row(sql, vec![shop.into()]).await? else {
        return Ok(None);
    };
    Ok(Some((
        row.col("seller_id")?,
        row.text_col("platform")?,
        settings_of(&row.text_col("settings")?),
    )))
}

/// Where a shop's next poll starts.
pub async fn poll_cursor(store: &Store, shop: ShopId) -> CoreResult<Option<String>> {
    let sql = "SELECT cursor FROM poll_cursors WHERE shop_id = $1";
    let row = store.row(sql, vec![shop.into()]).await?;
    row.map(|r| r.text_col("cursor")).transpose()
}

/// Moves a shop's poll cursor.
pub async fn set_poll_cursor(
    w: &mut WriteTx<'_>, shop: ShopId, cursor: String, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "INSERT INTO poll_cursors (shop_id, cursor, polled_at) VALUES ($1, $2, $3) \
         ON CONFLICT (shop_id) DO UPDATE SET cursor = excluded.cursor, polled_at = excluded.polled_at",
        vec![shop.into(), cursor.into(), now.into()],
    )
    .await
}
