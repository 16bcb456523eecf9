//! Marketplace connections: a shop's API base and credentials (app key and secret,
//! access and refresh tokens, shop cipher, ...), set by the main account, and the
//! connection's status as the last platform call saw it (connected, token expired,
//! refused by the platform). Credentials are secrets: the API returns only their names,
//! nothing here logs them, and they are sealed at rest with the daemon's key (see
//! `store::sealing`). Refreshed tokens an adapter reports are stored at once.

use super::Inbox;
use super::accounts::Viewer;
use crate::clock::to_millis;
use crate::error::{CoreError, CoreResult};
use crate::ids::ShopId;
use crate::store::Store;
use serde::{Deserialize, Serialize};
use shopmux_contract::adapter::{AdapterError, ShopConnection};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// A connection as the main account sets it.
#[derive(Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    /// The platform's API base URL (the platform's default when absent).
    #[serde(default)]
    pub api_base: Option<String>,
    /// Named credentials, such as `app_key`, `app_secret`, `access_token`,
    /// `refresh_token`, `shop_cipher`.
    pub credentials: BTreeMap<String, String>,
}

impl std::fmt::Debug for ConnectionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInput")
            .field("api_base", &self.api_base)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// A connection as the API shows it: never the secrets themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct ConnectionView {
    /// The shop.
    pub shop_id: ShopId,
    /// The API base URL.
    pub api_base: Option<String>,
    /// Which credentials are set.
    pub credential_names: Vec<String>,
    /// `unverified` (not used yet), `connected`, `token_expired` or `refused`.
    pub status: String,
    /// The platform's last error, when the status is not `connected`.
    pub status_detail: Option<String>,
    /// When it last changed.
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The status a platform call's outcome implies for the connection; none when the
/// failure says nothing about it (a timeout, a refused message).
pub(crate) fn status_after(
    result: &Result<(), AdapterError>,
) -> Option<(&'static str, Option<String>)> {
    match result {
        Ok(()) => Some(("connected", None)),
        Err(e) if e.code == "token_expired" || e.code == "invalid_token" => {
            Some(("token_expired", Some(e.to_string())))
        }
        Err(e)
            if matches!(
                e.code.as_str(),
                "unauthorized" | "forbidden" | "invalid_sign"
            ) =>
        {
            Some(("refused", Some(e.to_string())))
        }
        Err(_) => None,
    }
}

impl Inbox {
    /// Sets a shop's connection (main account only); returns its view.
    pub async fn set_connection(
        &self,
        owner: &Viewer,
        shop_id: ShopId,
        input: ConnectionInput,
    ) -> CoreResult<ConnectionView> {
        owner.require_owner()?;
        let shop = self.shop(owner, shop_id).await?;
        if shop.platform.as_str() == crate::model::Platform::API {
            return Err(CoreError::invalid(
                "platform",
                "an api shop is fed through /inbound and has no connection",
            ));
        }
        if let Some(base) = &input.api_base
            && !(base.starts_with("https://") || base.starts_with("http://"))
        {
            return Err(CoreError::invalid("api_base", "must be an http(s) URL"));
        }
        for (name, value) in &input.credentials {
            if name.trim().is_empty() || name.len() > 64 {
                return Err(CoreError::invalid(
                    "credentials",
                    "credential names are 1 to 64 characters",
                ));
            }
            if value.len() > 4096 {
                return Err(CoreError::invalid(
                    format!("credentials.{name}"),
                    "at most 4096 bytes",
                ));
            }
        }
        let now = self.clock.now();
        let creds = self.store.seal(
            &shop_id.to_string(),
            &serde_json::to_string(&input.credentials).unwrap_or_default(),
        )?;
        let mut w = self.store.begin_write().await?;
        self.store
            .query(
                "INSERT INTO shop_connections (shop_id, api_base, credentials, status, status_detail, updated_at) \
                 VALUES ($1, $2, $3, 'unverified', NULL, $4) ON CONFLICT (shop_id) DO UPDATE SET \
                 api_base = excluded.api_base, credentials = excluded.credentials, status = 'unverified', \
                 status_detail = NULL, updated_at = excluded.updated_at",
                vec![
                    shop_id.to_string().into(),
                    input.api_base.clone().into(),
                    creds.into(),
                    to_millis(now).into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        self.connection(owner, shop_id).await
    }

    /// A shop's connection as the API shows it.
    pub async fn connection(&self, viewer: &Viewer, shop_id: ShopId) -> CoreResult<ConnectionView> {
        if !viewer.can_see(shop_id) {
            return Err(CoreError::NotFound("shop"));
        }
        let row = self
            .store
            .query(
                "SELECT api_base, credentials, status, status_detail, updated_at FROM shop_connections WHERE shop_id = $1",
                vec![shop_id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("connection"))?;
        let creds: String = row.try_get("credentials")?;
        let creds = self.store.unseal(&shop_id.to_string(), &creds)?;
        let creds: BTreeMap<String, String> = serde_json::from_str(&creds).unwrap_or_default();
        Ok(ConnectionView {
            shop_id,
            api_base: row.try_get("api_base")?,
            credential_names: creds.into_keys().collect(),
            status: row.try_get("status")?,
            status_detail: row.try_get("status_detail")?,
            updated_at: crate::clock::from_millis(row.try_get("updated_at")?),
        })
    }

    /// A shop's connection as its adapter needs it (with the secrets), if configured.
    pub async fn shop_connection(&self, shop_id: ShopId) -> CoreResult<Option<ShopConnection>> {
        load_connection(&self.store, shop_id).await
    }
}

/// Loads a shop's connection with its secrets.
pub(crate) async fn load_connection(
    store: &Store,
    shop_id: ShopId,
) -> CoreResult<Option<ShopConnection>> {
    let row = store
        .query(
            "SELECT s.external_id, s.region, c.api_base, c.credentials FROM shops s \
             JOIN shop_connections c ON c.shop_id = s.id WHERE s.id = $1",
            vec![shop_id.to_string().into()],
        )
        .fetch_optional(store.pool())
        .await?;
    let Some(row) = row else { return Ok(None) };
    let creds: String = row.try_get("credentials")?;
    let creds = store.unseal(&shop_id.to_string(), &creds)?;
    Ok(Some(ShopConnection {
        external_id: row.try_get("external_id")?,
        region: row.try_get("region")?,
        api_base: row.try_get("api_base")?,
        credentials: serde_json::from_str(&creds).unwrap_or_default(),
    }))
}

/// Records what a platform call showed about a connection, and stores renewed
/// credentials (merged over the old ones), in its own transaction.
pub(crate) async fn record_outcome(
    store: &Store,
    shop_id: ShopId,
    now: chrono::DateTime<chrono::Utc>,
    result: &Result<(), AdapterError>,
    refreshed: Option<&BTreeMap<String, String>>,
) -> CoreResult<()> {
    if status_after(result).is_none() && refreshed.is_none() {
        return Ok(());
    }
    let mut w = store.begin_write().await?;
    apply_outcome(store, &mut w.tx, shop_id, now, result, refreshed).await?;
    w.commit().await
}

/// [`record_outcome`] inside the caller's transaction.
pub(crate) async fn apply_outcome(
    store: &Store,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    shop_id: ShopId,
    now: chrono::DateTime<chrono::Utc>,
    result: &Result<(), AdapterError>,
    refreshed: Option<&BTreeMap<String, String>>,
) -> CoreResult<()> {
    if let Some(new) = refreshed {
        let row = store
            .query(
                "SELECT credentials FROM shop_connections WHERE shop_id = $1",
                vec![shop_id.to_string().into()],
            )
            .fetch_optional(&mut **tx)
            .await?;
        if let Some(row) = row {
            let creds: String = row.try_get("credentials")?;
            let creds = store.unseal(&shop_id.to_string(), &creds)?;
            let mut creds: BTreeMap<String, String> =
                serde_json::from_str(&creds).unwrap_or_default();
            creds.extend(new.clone());
            let creds = store.seal(
                &shop_id.to_string(),
                &serde_json::to_string(&creds).unwrap_or_default(),
            )?;
            store
                .query(
                    "UPDATE shop_connections SET credentials = $1 WHERE shop_id = $2",
                    vec![creds.into(), shop_id.to_string().into()],
                )
                .execute(&mut **tx)
                .await?;
        }
    }
    if let Some((status, detail)) = status_after(result) {
        store
            .query(
                "UPDATE shop_connections SET status = $1, status_detail = $2, updated_at = $3 \
                 WHERE shop_id = $4 AND (status <> $1 OR COALESCE(status_detail, '') <> COALESCE($2, ''))",
                vec![
                    status.into(),
                    detail.into(),
                    to_millis(now).into(),
                    shop_id.to_string().into(),
                ],
            )
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
