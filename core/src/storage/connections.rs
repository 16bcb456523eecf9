//! The shop connections repository: a shop's API base and credentials, sealed at rest
//! with the daemon's key and the shop id as associated data (see `sealing`), and the
//! connection's status as the last platform call saw it. Credentials never leave here
//! but in a [`ShopConnection`] for an adapter call.

use super::rows::Columns;
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::ShopId;
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use shopmux_contract::adapter::{AdapterError, ShopConnection};
use std::collections::BTreeMap;

/// Named credentials.
pub type Credentials = BTreeMap<String, String>;

/// A connection as stored, with its credentials opened.
pub struct Stored {
    /// The API base URL.
    pub api_base: Option<String>,
    /// The credentials.
    pub credentials: Credentials,
    /// `unverified`, `connected`, `token_expired`, `refused` or `credentials_unreadable`.
    pub status: String,
    /// The platform's last error.
    pub status_detail: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

fn sealed(store: &Store, shop: ShopId, credentials: &Credentials) -> CoreResult<String> {
    store.seal(&shop.to_string(), &serde_json::to_string(credentials).unwrap_or_default())
}

/// The status of a connection whose authorization the platform revoked (or whose
/// refresh token it refused for good): it is never called until connected again.
pub const REVOKED: &str = "revoked";

/// The error code (and connection status) of credentials that cannot be opened.
pub const CREDENTIALS_UNREADABLE: &str = "credentials_unreadable";

/// Opens a shop's stored credentials; credentials that do not open (another key, a
/// damaged or moved value) are a permanent [`CREDENTIALS_UNREADABLE`] platform error,
/// never empty credentials.
pub fn opened(store: &Store, shop: ShopId, stored: &str) -> CoreResult<Credentials> {
    let unreadable = |why: String| {
        CoreError::Platform(AdapterError::permanent(
            CREDENTIALS_UNREADABLE,
            format!(
                "the shop's stored credentials cannot be read ({why}); set the connection again"
            ),
        ))
    };
    let plain = store.unseal(&shop.to_string(), stored).map_err(|e| unreadable(e.to_string()))?;
    serde_json::from_str(&plain).map_err(|_| unreadable("not a credentials object".into()))
}

/// Sets a shop's connection; its status starts over as `unverified`.
pub async fn put(
    w: &mut WriteTx<'_>, shop: ShopId, api_base: Option<String>, credentials: &Credentials,
    now: DateTime<Utc>,
) -> CoreResult<()> {
    let creds = sealed(w.store(), shop, credentials)?;
    w.run(
        "INSERT INTO shop_connections (shop_id, api_base, credentials, status, status_detail, updated_at) \
         VALUES ($1, $2, $3, 'unverified', NULL, $4) ON CONFLICT (shop_id) DO UPDATE SET \
         api_base = excluded.api_base, credentials = excluded.credentials, status = 'unverified', \
         status_detail = NULL, updated_at = excluded.updated_at",
        vec![shop.into(), api_base.into(), creds.into(), now.into()],
    )
    .await
}

/// A shop's connection as stored.
pub async fn get(store: &Store, shop: ShopId) -> CoreResult<Option<Stored>> {
    let sql = "SELECT api_base, credentials, status, status_detail, updated_at FROM shop_connections WHERE shop_id = $1";
    let Some(row) = store.row(sql, vec![shop.into()]).await? else {
        return Ok(None);
    };
    let mut stored = Stored {
        api_base: row.opt_text_col("api_base")?,
        credentials: Credentials::new(),
        status: row.text_col("status")?,
        status_detail: row.opt_text_col("status_detail")?,
        updated_at: crate::clock::from_millis(row.int_col("updated_at")?),
    };
    // Credentials that do not open show as such, whatever the last call saw.
    match opened(store, shop, &row.text_col("credentials")?) {
        Ok(credentials) => stored.credentials = credentials,
        Err(CoreError::Platform(e)) => {
            stored.status = CREDENTIALS_UNREADABLE.into();
            stored.status_detail = Some(e.message);
        }
        Err(e) => return Err(e),
    }
    Ok(Some(stored))
}

/// A shop's connection as its adapter needs it (with the secrets), if configured.
pub async fn for_adapter(store: &Store, shop: ShopId) -> CoreResult<Option<ShopConnection>> {
    let sql = "SELECT s.external_id, s.region, c.api_base, c.credentials FROM shops s \
               JOIN shop_connections c ON c.shop_id = s.id WHERE s.id = $1";
    let Some(row) = store.row(sql, vec![shop.into()]).await? else {
        return Ok(None);
    };
    Ok(Some(ShopConnection {
        external_id: row.text_col("external_id")?,
        region: row.text_col("region")?,
        api_base: row.opt_text_col("api_base")?,
        credentials: opened(store, shop, &row.text_col("credentials")?)?,
    }))
}

/// Merges renewed credentials over the stored ones.
pub async fn merge_credentials(
    w: &mut WriteTx<'_>, shop: ShopId, renewed: &Credentials,
) -> CoreResult<()> {
    let sql = "SELECT credentials FROM shop_connections WHERE shop_id = $1";
    let Some(row) = w.row(sql, vec![shop.into()]).await? else {
        return Ok(());
    };
    let mut creds = opened(w.store(), shop, &row.text_col("credentials")?)?;
    creds.extend(renewed.clone());
    let creds = sealed(w.store(), shop, &creds)?;
    w.run(
        "UPDATE shop_connections SET credentials = $1 WHERE shop_id = $2",
        vec![creds.into(), shop.into()],
    )
    .await
}

/// Records the connection's status, when it changed.
pub async fn set_status(
    w: &mut WriteTx<'_>, shop: ShopId, status: &str, detail: Option<String>, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "UPDATE shop_connections SET status = $1, status_detail = $2, updated_at = $3 \
         WHERE shop_id = $4 AND (status <> $1 OR COALESCE(status_detail, '') <> COALESCE($2, ''))",
        vec![status.into(), detail.into(), now.into(), shop.into()],
    )
    .await
}
