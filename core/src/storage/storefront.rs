//! The storefront chat repository: customer sessions (a token hash, the customer as the
//! shop's buyer, their browser's time zone, the cart they reported) and the last known
//! state of each cart (SH-CART-1).

use super::rows::Columns;
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::ShopId;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};
use shopmux_contract::adapter::CartLineInfo;

/// A new session.
pub struct NewSession {
    /// The hash of its token.
    pub token_hash: String,
    /// The shop.
    pub shop_id: ShopId,
    /// The customer as the shop's buyer.
    pub buyer_external_id: String,
    /// Their name.
    pub nickname: Option<String>,
    /// Their email.
    pub email: Option<String>,
    /// Their time zone.
    pub time_zone: Option<String>,
    /// Their UTC offset in minutes.
    pub utc_offset_minutes: Option<i64>,
}

/// The customer of a session: buyer id, name, email.
pub type Customer = (String, Option<String>, Option<String>);

/// Records a new session.
pub async fn insert(w: &mut WriteTx<'_>, s: NewSession, now: DateTime<Utc>) -> CoreResult<()> {
    w.run(
        "INSERT INTO storefront_sessions (token_hash, shop_id, buyer_external_id, nickname, email, created_at, \
         time_zone, utc_offset_minutes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        vec![
            s.token_hash.into(),
            s.shop_id.into(),
            s.buyer_external_id.into(),
            s.nickname.into(),
            s.email.into(),
            now.into(),
            s.time_zone.into(),
            s.utc_offset_minutes.into(),
        ],
    )
    .await
}

fn customer_of(row: Option<sqlx::any::AnyRow>) -> CoreResult<Option<Customer>> {
    row.map(|r| {
        Ok((
            r.text_col("buyer_external_id")?,
            r.opt_text_col("nickname")?,
            r.opt_text_col("email")?,
        ))
    })
    .transpose()
}

/// The customer of a session token (by its hash) in a shop.
pub async fn customer(
    store: &Store, shop: ShopId, token_hash: String,
) -> CoreResult<Option<Customer>> {
    let sql = "SELECT buyer_external_id, nickname, email FROM storefront_sessions \
               WHERE token_hash = $1 AND shop_id = $2";
    customer_of(store.row(sql, vec![token_hash.into(), shop.into()]).await?)
}

/// The latest customer who reported this cart.
pub async fn customer_of_cart(
    store: &Store, shop: ShopId, cart: &str,
) -> CoreResult<Option<Customer>> {
    let sql = "SELECT buyer_external_id, nickname, email FROM storefront_sessions \
               WHERE shop_id = $1 AND cart_token = $2 ORDER BY created_at DESC LIMIT 1";
    customer_of(store.row(sql, vec![shop.into(), cart.into()]).await?)
}

/// Ties a session to a cart; returns whether the session exists.
pub async fn set_cart(
    w: &mut WriteTx<'_>, shop: ShopId, token_hash: String, cart: &str,
) -> CoreResult<bool> {
    let n = w
        .exec(
            "UPDATE storefront_sessions SET cart_token = $1 WHERE token_hash = $2 AND shop_id = $3",
            vec![cart.into(), token_hash.into(), shop.into()],
        )
        .await?;
    Ok(n > 0)
}

/// The time zone and UTC offset the customer's latest session reported.
pub async fn zone(
    store: &Store, shop: ShopId, buyer_external_id: &str,
) -> CoreResult<(Option<String>, Option<i64>)> {
    let sql = "SELECT time_zone, utc_offset_minutes FROM storefront_sessions \
               WHERE shop_id = $1 AND buyer_external_id = $2 ORDER BY created_at DESC LIMIT 1";
    match store.row(sql, vec![shop.into(), buyer_external_id.into()]).await? {
        Some(row) => Ok((row.opt_text_col("time_zone")?, row.opt_int_col("utc_offset_minutes")?)),
        None => Ok((None, None)),
    }
}

/// A cart's last known lines and when they were reported (ms).
pub async fn cart(
    store: &Store, shop: ShopId, cart: &str,
) -> CoreResult<Option<(Vec<CartLineInfo>, i64)>> {
    let sql = "SELECT lines, updated_at FROM carts WHERE shop_id = $1 AND cart_token = $2";
    let Some(row) = store.row(sql, vec![shop.into(), cart.into()]).await? else {
        return Ok(None);
    };
    let lines = serde_json::from_str(&row.text_col("lines")?).unwrap_or_default();
    Ok(Some((lines, row.int_col("updated_at")?)))
}

/// Stores a cart's new state unless a later one is stored already.
pub async fn put_cart(
    w: &mut WriteTx<'_>, shop: ShopId, cart: &str, lines: &[CartLineInfo], at_ms: i64,
) -> CoreResult<()> {
    let json = serde_json::to_string(lines).unwrap_or_else(|_| "[]".into());
    w.run(
        "INSERT INTO carts (shop_id, cart_token, lines, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (shop_id, cart_token) DO UPDATE SET lines = excluded.lines, updated_at = excluded.updated_at \
         WHERE carts.updated_at <= excluded.updated_at",
        vec![shop.into(), cart.into(), json.into(), at_ms.into()],
    )
    .await
}
