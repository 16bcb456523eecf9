//! The storefront chat repository: customer sessions (a token hash, the customer as the
//! shop's buyer — proven by the platform or an anonymous visitor —, the contact email
//! they typed and whether they confirmed it, a pending confirmation code's hash, their
//! browser's time zone, the cart they reported) and the last known state of each cart
//! (SH-CART-1).

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
    /// The email they typed (contact data).
    pub email: Option<String>,
    /// Whether they confirmed `email` (with a code mailed to it).
    pub email_verified: bool,
    /// Whether the platform proved who the customer is (its signed proxy request).
    pub verified: bool,
    /// Their time zone.
    pub time_zone: Option<String>,
    /// Their UTC offset in minutes.
    pub utc_offset_minutes: Option<i64>,
}

/// The customer of a session.
#[derive(Clone, Debug)]
pub struct Customer {
    /// The customer as the shop's buyer.
    pub buyer_external_id: String,
    /// Their name.
    pub nickname: Option<String>,
    /// The email they typed.
    pub email: Option<String>,
    /// Whether they confirmed it.
    pub email_verified: bool,
    /// Whether the platform proved who they are.
    pub verified: bool,
}

impl Customer {
    /// Their email if they confirmed it; none otherwise (an unconfirmed address is never
    /// the buyer's).
    pub fn confirmed_email(&self) -> Option<String> {
        self.email.clone().filter(|_| self.email_verified)
    }
}

/// Records a new session.
pub async fn insert(w: &mut WriteTx<'_>, s: NewSession, now: DateTime<Utc>) -> CoreResult<()> {
    w.run(
        "INSERT INTO storefront_sessions (token_hash, shop_id, buyer_external_id, nickname, email, created_at, \
         time_zone, utc_offset_minutes, email_verified, verified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        vec![
            s.token_hash.into(),
            s.shop_id.into(),
            s.buyer_external_id.into(),
            s.nickname.into(),
            s.email.into(),
            now.into(),
            s.time_zone.into(),
            s.utc_offset_minutes.into(),
            s.email_verified.into(),
            s.verified.into(),
        ],
    )
    .await
}

const CUSTOMER_COLUMNS: &str = "buyer_external_id, nickname, email, email_verified, verified";

fn customer_of(row: Option<sqlx::any::AnyRow>) -> CoreResult<Option<Customer>> {
    row.map(|r| {
        Ok(Customer {
            buyer_external_id: r.text_col("buyer_external_id")?,
            nickname: r.opt_text_col("nickname")?,
            email: r.opt_text_col("email")?,
            email_verified: r.int_col("email_verified")? != 0,
            verified: r.int_col("verified")? != 0,
        })
    })
    .transpose()
}

/// The customer of a session token (by its hash) in a shop.
pub async fn customer(
    store: &Store, shop: ShopId, token_hash: String,
) -> CoreResult<Option<Customer>> {
    let sql = format!(
        "SELECT {CUSTOMER_COLUMNS} FROM storefront_sessions WHERE token_hash = $1 AND shop_id = $2"
    );
    customer_of(store.row(&sql, vec![token_hash.into(), shop.into()]).await?)
}

/// The latest customer who reported this cart (only proven customers report carts).
pub async fn customer_of_cart(
    store: &Store, shop: ShopId, cart: &str,
) -> CoreResult<Option<Customer>> {
    let sql = format!(
        "SELECT {CUSTOMER_COLUMNS} FROM storefront_sessions \
         WHERE shop_id = $1 AND cart_token = $2 AND verified = 1 ORDER BY created_at DESC LIMIT 1"
    );
    customer_of(store.row(&sql, vec![shop.into(), cart.into()]).await?)
}

/// Ties a proven session to a cart; returns whether such a session exists.
pub async fn set_cart(
    w: &mut WriteTx<'_>, shop: ShopId, token_hash: String, cart: &str,
) -> CoreResult<bool> {
    let n = w
        .exec(
            "UPDATE storefront_sessions SET cart_token = $1 \
             WHERE token_hash = $2 AND shop_id = $3 AND verified = 1",
            vec![cart.into(), token_hash.into(), shop.into()],
        )
        .await?;
    Ok(n > 0)
}

/// A pending email confirmation: the address, the code's hash, expiry (ms), wrong tries.
#[derive(Clone, Debug)]
pub struct PendingCode {
    /// The address the code was mailed to.
    pub email: String,
    /// The code's salted hash (`salt$sha256hex`).
    pub code_hash: String,
    /// When it expires (Unix ms).
    pub expires_at_ms: i64,
    /// Wrong guesses so far.
    pub attempts: i64,
}

/// Starts a confirmation of `code.email` for a session (replacing any pending one).
pub async fn put_code(
    w: &mut WriteTx<'_>, shop: ShopId, token_hash: String, code: &PendingCode,
) -> CoreResult<bool> {
    let n = w
        .exec(
            "UPDATE storefront_sessions SET code_email = $1, code_hash = $2, code_expires_at = $3, \
             code_attempts = 0 WHERE token_hash = $4 AND shop_id = $5",
            vec![
                code.email.clone().into(),
                code.code_hash.clone().into(),
                code.expires_at_ms.into(),
                token_hash.into(),
                shop.into(),
            ],
        )
        .await?;
    Ok(n > 0)
}

/// A session's pending confirmation, if any.
pub async fn pending_code(
    store: &Store, shop: ShopId, token_hash: String,
) -> CoreResult<Option<PendingCode>> {
    let sql = "SELECT code_email, code_hash, code_expires_at, code_attempts FROM storefront_sessions \
               WHERE token_hash = $1 AND shop_id = $2 AND code_hash IS NOT NULL";
    let Some(r) = store.row(sql, vec![token_hash.into(), shop.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(PendingCode {
        email: r.text_col("code_email")?,
        code_hash: r.text_col("code_hash")?,
        expires_at_ms: r.int_col("code_expires_at")?,
        attempts: r.int_col("code_attempts")?,
    }))
}

/// Takes one of the `max` guesses at a session's pending code, before the guess is
/// compared (so concurrent guesses cannot pass the bound); false when none is left.
pub async fn take_attempt(
    w: &mut WriteTx<'_>, shop: ShopId, token_hash: String, max: i64,
) -> CoreResult<bool> {
    let n = w
        .exec(
            "UPDATE storefront_sessions SET code_attempts = code_attempts + 1 \
             WHERE token_hash = $1 AND shop_id = $2 AND code_hash IS NOT NULL AND code_attempts < $3",
            vec![token_hash.into(), shop.into(), max.into()],
        )
        .await?;
    Ok(n > 0)
}

/// The session's email is confirmed: it becomes the session's email (and the buyer's,
/// where replies by email go), and the pending code is gone.
pub async fn confirm_email(
    w: &mut WriteTx<'_>, shop: ShopId, token_hash: String, buyer: &str, email: &str,
) -> CoreResult<()> {
    w.run(
        "UPDATE storefront_sessions SET email = $1, email_verified = 1, code_email = NULL, \
         code_hash = NULL, code_expires_at = NULL, code_attempts = 0 WHERE token_hash = $2 AND shop_id = $3",
        vec![email.into(), token_hash.into(), shop.into()],
    )
    .await?;
    w.run(
        "UPDATE buyers SET email = $1 WHERE shop_id = $2 AND external_id = $3",
        vec![email.into(), shop.into(), buyer.into()],
    )
    .await
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

/// The email the buyer's latest session typed, while it is unconfirmed.
pub async fn unverified_email(
    store: &Store, shop: ShopId, buyer_external_id: &str,
) -> CoreResult<Option<String>> {
    let sql = "SELECT email, email_verified FROM storefront_sessions \
               WHERE shop_id = $1 AND buyer_external_id = $2 ORDER BY created_at DESC LIMIT 1";
    match store.row(sql, vec![shop.into(), buyer_external_id.into()]).await? {
        Some(row) if row.int_col("email_verified")? == 0 => row.opt_text_col("email"),
        _ => Ok(None),
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
