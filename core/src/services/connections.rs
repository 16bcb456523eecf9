//! Marketplace connections: a shop's API base and credentials (app key and secret,
//! access and refresh tokens, shop cipher, ...), set by the main account, and the
//! connection's status as the last platform call saw it (connected, token expired,
//! refused by the platform). Credentials are secrets: the API returns only their names,
//! nothing here logs them, and they are sealed at rest (see `storage::connections`).
//! Refreshed tokens an adapter reports are stored at once.

use crate::domain::ids::ShopId;
use crate::domain::shop_settings::IngestShop;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
/// The error code and connection status of stored credentials that do not open.
pub use crate::storage::connections::CREDENTIALS_UNREADABLE;
use crate::storage::connections::{self, Credentials};
use crate::storage::store::Store;
use crate::storage::write::WriteTx;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::adapter::{
    AUTHORIZATION_EXPIRED, AdapterError, AuthorizationChange, INGEST_SECRET, ShopConnection,
};

pub use crate::storage::connections::REVOKED;

/// A connection as the main account sets it.
#[derive(Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectionInput {
    /// The platform's API base URL (the platform's default when absent).
    #[cfg_attr(feature = "openapi", schema(pattern = "^https?://"))]
    pub api_base: Option<String>,
    /// Named credentials, such as `app_key`, `app_secret`, `access_token`,
    /// `refresh_token`, `shop_cipher`.
    pub credentials: Credentials,
}

impl std::fmt::Debug for ConnectionInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectionInput")
            .field("api_base", &self.api_base)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ConnectionInput {
    fn validate(&self) -> CoreResult<()> {
        if let Some(base) = &self.api_base
            && !(base.starts_with("https://") || base.starts_with("http://"))
        {
            return Err(CoreError::invalid("api_base", "must be an http(s) URL"));
        }
        for (name, value) in &self.credentials {
            if name.trim().is_empty() || name.chars().count() > 64 {
                return Err(CoreError::invalid(
                    "credentials",
                    "credential names are 1 to 64 characters",
                ));
            }
            if value.chars().count() > 4096 {
                return Err(CoreError::invalid(
                    format!("credentials.{name}"),
                    "at most 4096 characters",
                ));
            }
        }
        Ok(())
    }
}

/// A connection as the API shows it: never the secrets themselves.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionView {
    /// The shop.
    pub shop_id: ShopId,
    /// The API base URL.
    pub api_base: Option<String>,
    /// Which credentials are set.
    pub credential_names: Vec<String>,
    /// `unverified` (not used yet), `connected`, `token_expired`, `refused`, `revoked`
    /// (the seller revoked access or uninstalled the app, or the platform refused the
    /// refresh token for good: reconnect), `expiring` (the
    /// authorization ends soon: reconnect), or
    /// `credentials_unreadable` (the stored credentials do not open with this daemon's
    /// key: set the connection again; no platform is called meanwhile).
    pub status: String,
    /// The platform's last error, when the status is not `connected`.
    pub status_detail: Option<String>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// The status a platform call's outcome implies for the connection; none when the
/// failure says nothing about it (a timeout, a refused message).
fn status_after(result: &Result<(), AdapterError>) -> Option<(&'static str, Option<String>)> {
    match result {
        Ok(()) => Some(("connected", None)),
        Err(e) if e.code == AUTHORIZATION_EXPIRED => {
            let detail = reconnect_detail("the authorization expired", "", Some(&e.message));
            Some((REVOKED, Some(detail)))
        }
        Err(e) if e.code == "token_expired" || e.code == "invalid_token" => {
            Some(("token_expired", Some(e.to_string())))
        }
        Err(e) if matches!(e.code.as_str(), "unauthorized" | "forbidden" | "invalid_sign") => {
            Some(("refused", Some(e.to_string())))
        }
        Err(e) if e.code == connections::CREDENTIALS_UNREADABLE => {
            Some((connections::CREDENTIALS_UNREADABLE, Some(e.message.clone())))
        }
        Err(_) => None,
    }
}

/// A status detail telling the owner why the seller must connect the shop again.
fn reconnect_detail(why: &str, when: &str, detail: Option<&str>) -> String {
    let detail = detail.map(|d| format!(": {d}")).unwrap_or_default();
    format!("{why}{when}{detail}: reconnect the shop in Settings")
}

/// Whether a platform call's outcome ended the seller's authorization (the platform
/// refused the refresh token for good): the connection is then revoked.
fn ended_authorization(result: &Result<(), AdapterError>) -> bool {
    matches!(result, Err(e) if e.code == AUTHORIZATION_EXPIRED)
}

/// Records what a platform call showed about a connection, and stores renewed
/// credentials (merged over the old ones), in its own transaction.
pub(crate) async fn record(
    store: &Store, shop: ShopId, now: DateTime<Utc>, result: &Result<(), AdapterError>,
    refreshed: Option<&Credentials>,
) -> CoreResult<()> {
    if status_after(result).is_none() && refreshed.is_none() {
        return Ok(());
    }
    let mut w = store.begin_write().await?;
    record_in(&mut w, shop, now, result, refreshed).await?;
    w.commit().await
}

/// [`record`] inside the caller's transaction.
pub(crate) async fn record_in(
    w: &mut WriteTx<'_>, shop: ShopId, now: DateTime<Utc>, result: &Result<(), AdapterError>,
    refreshed: Option<&Credentials>,
) -> CoreResult<()> {
    if let Some(renewed) = refreshed {
        connections::merge_credentials(w, shop, renewed).await?;
    }
    if let Some((status, detail)) = status_after(result) {
        connections::set_status(w, shop, status, detail, now).await?;
    }
    Ok(())
}

impl Inbox {
    /// Sets a shop's connection (main account only); returns its view.
    pub async fn set_connection(
        &self, owner: &Viewer, shop_id: ShopId, input: ConnectionInput,
    ) -> CoreResult<ConnectionView> {
        owner.require_owner()?;
        let shop = self.shop(owner, shop_id).await?;
        if self.registry.capabilities(shop.platform.as_str()).signed_inbound {
            // The shop's state, not the body's: 409.
            return Err(CoreError::Conflict(format!(
                "a {} shop is fed through /inbound and has no connection",
                shop.platform
            )));
        }
        input.validate()?;
        let mut w = self.store.begin_write().await?;
        let now = self.clock.now();
        connections::put(&mut w, shop_id, input.api_base, &input.credentials, now).await?;
        w.commit().await?;
        self.connection(owner, shop_id).await
    }

    /// A shop's connection as the API shows it.
    pub async fn connection(&self, viewer: &Viewer, shop_id: ShopId) -> CoreResult<ConnectionView> {
        if !viewer.can_see(shop_id) {
            return Err(CoreError::NotFound("shop"));
        }
        self.connection_view(shop_id).await?.ok_or(CoreError::NotFound("connection"))
    }

    /// A shop's connection as the API shows it, if it has one (no access check).
    pub(crate) async fn connection_view(
        &self, shop_id: ShopId,
    ) -> CoreResult<Option<ConnectionView>> {
        let Some(stored) = connections::get(&self.store, shop_id).await? else {
            return Ok(None);
        };
        Ok(Some(ConnectionView {
            shop_id,
            api_base: stored.api_base,
            credential_names: stored.credentials.into_keys().collect(),
            status: stored.status,
            status_detail: stored.status_detail,
            updated_at: stored.updated_at,
        }))
    }

    /// What the platform said of the seller's authorization (a deauthorization, an
    /// uninstall, an upcoming expiry), recorded on the shop's connection and told to the
    /// owner. A revoked connection sends nothing (`connection_revoked`) and is not
    /// polled until the owner connects the shop again; nothing stored is dropped.
    pub(crate) async fn authorization_changed(
        &self, shop: &IngestShop, change: AuthorizationChange, detail: Option<String>,
        expires_at_ms: Option<i64>,
    ) -> CoreResult<()> {
        let (status, why) = match change {
            AuthorizationChange::Revoked => (REVOKED, "the platform revoked shopmux's access"),
            AuthorizationChange::Expiring => ("expiring", "the authorization expires soon"),
        };
        let when = expires_at_ms
            .map(|ms| format!(" (at {})", crate::clock::from_millis(ms).to_rfc3339()))
            .unwrap_or_default();
        let detail = reconnect_detail(why, &when, detail.as_deref());
        let mut w = self.store.begin_write().await?;
        connections::set_status(&mut w, shop.shop_id, status, Some(detail), self.clock.now())
            .await?;
        w.commit().await?;
        tracing::warn!(message = "Shop authorization changed.", shop_id = %shop.shop_id, %status);
        self.tell_connection(shop.seller_id, shop.shop_id).await;
        Ok(())
    }

    /// After a platform call that ended the shop's authorization (recorded as revoked by
    /// [`record`]), tells the owner, as a deauthorization does.
    pub(crate) async fn tell_if_authorization_ended(
        &self, shop: ShopId, result: &Result<(), AdapterError>,
    ) {
        if !ended_authorization(result) {
            return;
        }
        tracing::warn!(message = "Shop authorization expired.", shop_id = %shop, status = REVOKED);
        if let Ok(Some(ingest)) = self.ingest_shop(shop).await {
            self.tell_connection(ingest.seller_id, shop).await;
        }
    }

    /// A shop's connection as its adapter needs it (with the secrets), if configured.
    /// Credentials that cannot be opened fail the call (no platform is called with
    /// empty ones) and are recorded on the connection's status.
    pub async fn shop_connection(&self, shop_id: ShopId) -> CoreResult<Option<ShopConnection>> {
        match connections::for_adapter(&self.store, shop_id).await {
            Err(CoreError::Platform(e)) if e.code == connections::CREDENTIALS_UNREADABLE => {
                tracing::warn!(message = "Shop credentials cannot be opened.", %shop_id, error = %e);
                let result = Err(e.clone());
                record(&self.store, shop_id, self.clock.now(), &result, None).await?;
                Err(CoreError::Platform(e))
            }
            other => other,
        }
    }

    /// What a shop's adapter verifies its inbound with: the marketplace connection, or,
    /// for platforms fed through the signed inbound endpoint, the shop's ingest secret.
    pub async fn inbound_connection(
        &self, shop: &IngestShop,
    ) -> CoreResult<Option<ShopConnection>> {
        if self.registry.capabilities(shop.platform.as_str()).signed_inbound {
            return Ok(Some(ShopConnection {
                credentials: [(INGEST_SECRET.to_owned(), shop.secret.clone())].into(),
                ..Default::default()
            }));
        }
        self.shop_connection(shop.shop_id).await
    }
}
