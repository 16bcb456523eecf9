//! Connecting shops in one click, for any platform whose adapter `authorizes`: the owner
//! starts ([`Inbox::start_connect`]: a signed, single-use, short-lived `state` bound to
//! them, stored, and the platform's page), the platform sends them back
//! ([`Inbox::finish_connect`]: the adapter verifies what the platform signs, the state is
//! checked and taken, the code exchanged, the covered shops listed, then created or
//! updated with their sealed connections in one transaction, and their webhooks
//! subscribed where the adapter can). A callback failing any check changes nothing and
//! comes back as a [`ConnectRefusal`] naming why. The app (its key and secret) is the
//! caller's to give ([`ConnectApp`]): the daemon's configuration.

use crate::domain::connect;
use crate::domain::ids::{SellerId, ShopId};
use crate::domain::model::{Role, Shop};
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::events::OwnerEvent;
use crate::inbox::Inbox;
use crate::storage::connect_states::{self, ConnectState};
use crate::storage::{accounts, connections, shops};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::adapter::{
    AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationRequest, AuthorizedShop,
    Platform, ShopConnection,
};

/// The app the daemon connects shops of a platform as, and its own addresses.
#[derive(Clone, Debug)]
pub struct ConnectApp {
    /// The marketplace app (key and secret, the platform's addresses).
    pub app: AuthorizationApp,
    /// The platform's callback URL at this daemon (registered with the app).
    pub callback_url: String,
    /// This daemon's public base URL (webhook addresses are built on it).
    pub public_url: String,
}

/// What the owner asks to connect.
#[derive(Clone, Debug, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// The store, on platforms whose authorization page is the store's own (a Shopify
    /// store's `{name}.myshopify.com` domain); omitted elsewhere.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 255))]
    pub shop: Option<String>,
}

/// Where to send the owner.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectStart {
    /// The platform's authorization page (the owner's browser goes there).
    pub authorize_url: String,
    /// Until when the authorization may be completed.
    pub expires_at: DateTime<Utc>,
}

/// A shop an authorization connected.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectedShop {
    /// The shop.
    pub shop_id: ShopId,
    /// Its name.
    pub name: String,
    /// Whether it was created now (else it was reconnected).
    pub created: bool,
    /// `subscribed`, `not_offered` (the platform's console does it), or why it failed.
    pub webhooks: String,
}

/// What a completed authorization connected.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectOutcome {
    /// The platform.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub platform: Platform,
    /// The shops, in the platform's order.
    pub shops: Vec<ConnectedShop>,
}

/// Why a callback was refused (nothing was changed).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectRefusal {
    /// `bad_signature`, `stale`, `invalid_shop`, `bad_state`, `wrong_shop`,
    /// `code_refused`, `no_shops`, `unknown_platform`, `unavailable`, ...
    pub code: String,
    /// Why, for the owner.
    pub message: String,
}

impl ConnectRefusal {
    /// A refusal with its code and reason.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }
}

impl From<AdapterError> for ConnectRefusal {
    fn from(e: AdapterError) -> Self {
        Self { code: e.code, message: e.message }
    }
}

impl From<CoreError> for ConnectRefusal {
    fn from(e: CoreError) -> Self {
        tracing::warn!(message = "Authorization not completed.", error = %e);
        Self::new("unavailable", "shopmux could not complete the authorization; try again")
    }
}

fn bad_state() -> ConnectRefusal {
    ConnectRefusal::new(
        "bad_state",
        "the authorization was not started here, was already used, or has expired: start again",
    )
}

impl Inbox {
    /// Starts connecting a shop of `platform` (owner only): the page to send them to.
    pub async fn start_connect(
        &self, owner: &Viewer, platform: &str, request: ConnectRequest, app: &ConnectApp,
    ) -> CoreResult<ConnectStart> {
        owner.require_owner()?;
        let platform = self.authorizing(platform).ok_or(CoreError::NotFound("platform"))?;
        let nonce: [u8; 32] = rand::random();
        let state = connect::encode(
            &nonce,
            &self.store.mac(&connect::mac_input(platform.as_str(), &nonce)),
        );
        let now = self.clock.now();
        let ask = AuthorizationRequest {
            redirect_uri: app.callback_url.clone(),
            state: state.clone(),
            shop_hint: request.shop.clone(),
        };
        let authorize_url = self
            .registry
            .authorization_url(&platform, app.app.clone(), ask)
            .await
            .map_err(|e| CoreError::invalid("shop", e.message))?;
        let started = ConnectState {
            seller_id: owner.agent.seller_id,
            agent_id: owner.agent.id,
            platform: platform.to_string(),
            shop_hint: request.shop.map(|s| s.trim().to_lowercase()),
            expires_at: now + connect::STATE_TTL,
        };
        let mut w = self.store.begin_write().await?;
        connect_states::insert(&mut w, &connect::nonce_hash(&nonce), &started, now).await?;
        w.commit().await?;
        Ok(ConnectStart { authorize_url, expires_at: started.expires_at })
    }

    /// The platform, when its adapter connects shops through an authorization page.
    fn authorizing(&self, platform: &str) -> Option<Platform> {
        let known = self.registry.platforms().find(|p| p.as_str() == platform)?;
        self.registry.capabilities(platform).authorizes.then(|| known.clone())
    }

    /// Completes an authorization from the platform's callback (see the module comment).
    pub async fn finish_connect(
        &self, platform: &str, query: Vec<(String, String)>, app: &ConnectApp,
    ) -> Result<ConnectOutcome, ConnectRefusal> {
        let platform = self
            .authorizing(platform)
            .ok_or_else(|| ConnectRefusal::new("unknown_platform", "no such platform here"))?;
        let now = self.clock.now();
        let callback = self
            .registry
            .verify_callback(&platform, app.app.clone(), query, now.timestamp_millis())
            .await?;
        let started = self.take_state(&platform, &callback).await?;
        let granted = self.registry.authorized_shops(&platform, app.app.clone(), callback).await?;
        if granted.is_empty() {
            return Err(ConnectRefusal::new("no_shops", "the authorization covers no shop"));
        }
        let shops = self.connect_shops(&started, &platform, granted).await?;
        let mut connected = Vec::new();
        for (shop, created) in shops {
            let webhooks = self.subscribe(&platform, &shop, app).await;
            connected.push(ConnectedShop { shop_id: shop.id, name: shop.name, created, webhooks });
        }
        Ok(ConnectOutcome { platform, shops: connected })
    }

    /// Checks the state's MAC, takes it (once, unexpired), and checks it is this
    /// platform's and store's, and that its owner still is one.
    async fn take_state(
        &self, platform: &Platform, callback: &AuthorizationCallback,
    ) -> Result<ConnectState, ConnectRefusal> {
        let (nonce, mac) = connect::decode(&callback.state).ok_or_else(bad_state)?;
        let expected = self.store.mac(&connect::mac_input(platform.as_str(), &nonce));
        if !connect::same_mac(&expected, &mac) {
            return Err(bad_state());
        }
        let mut w = self.store.begin_write().await?;
        let taken = connect_states::take(&mut w, &connect::nonce_hash(&nonce), self.clock.now())
            .await?
            .filter(|s| s.platform == platform.as_str())
            .ok_or_else(bad_state)?;
        w.commit().await?;
        if let (Some(asked), Some(came)) = (&taken.shop_hint, &callback.shop_hint)
            && asked != &came.to_lowercase()
        {
            return Err(ConnectRefusal::new(
                "wrong_shop",
                format!("the authorization was started for {asked}, not {came}"),
            ));
        }
        let owner = accounts::agent(
            crate::storage::write::Db::Pool(&self.store),
            taken.agent_id,
            Some(taken.seller_id),
        )
        .await?;
        if !owner.is_some_and(|a| a.active && a.role == Role::Owner) {
            return Err(bad_state());
        }
        Ok(taken)
    }

    /// Creates or updates the granted shops and their connections, in one transaction.
    async fn connect_shops(
        &self, started: &ConnectState, platform: &Platform, granted: Vec<AuthorizedShop>,
    ) -> Result<Vec<(Shop, bool)>, ConnectRefusal> {
        let existing = shops::of_seller(&self.store, started.seller_id).await?;
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let mut done = Vec::new();
        for grant in granted {
            let region = if grant.region.is_empty() { "global".to_owned() } else { grant.region };
            let found = existing.iter().find(|s| {
                s.platform == *platform && s.external_id == grant.external_id && s.region == region
            });
            let (shop, created) = match found {
                Some(shop) => (shop.clone(), false),
                None => {
                    let name =
                        if grant.name.is_empty() { grant.external_id.clone() } else { grant.name };
                    let shop = Shop {
                        id: ShopId::new(),
                        seller_id: started.seller_id,
                        platform: platform.clone(),
                        external_id: grant.external_id,
                        region,
                        name,
                        settings: serde_json::json!({}),
                        created_at: now,
                    };
                    shops::insert(&mut w, &shop, &super::shops::new_secret()).await?;
                    (shop, true)
                }
            };
            connections::put(&mut w, shop.id, grant.api_base, &grant.credentials, now).await?;
            connections::set_status(&mut w, shop.id, "connected", None, now).await?;
            done.push((shop, created));
        }
        w.commit().await?;
        self.store.reload_webhook_subs().await?;
        for (shop, created) in &done {
            self.forget_shop(shop.id);
            if *created {
                self.events.shop_added(started.seller_id, shop.id);
            }
            self.tell_connection(started.seller_id, shop.id).await;
        }
        Ok(done)
    }

    /// Subscribes a connected shop's webhooks where the adapter can; what happened.
    async fn subscribe(&self, platform: &Platform, shop: &Shop, app: &ConnectApp) -> String {
        if !self.registry.capabilities(platform.as_str()).subscribes_webhooks {
            return "not_offered".into();
        }
        let connection: Option<ShopConnection> =
            connections::for_adapter(&self.store, shop.id).await.ok().flatten();
        let Some(connection) = connection else {
            return "failed: the connection cannot be read".into();
        };
        let address =
            format!("{}/webhooks/{platform}/{}", app.public_url.trim_end_matches('/'), shop.id);
        match self.registry.subscribe_webhooks(platform, connection, address).await {
            Ok(()) => "subscribed".into(),
            Err(e) => {
                tracing::warn!(message = "Webhooks not subscribed.", %platform, shop_id = %shop.id, error = %e);
                format!("failed: {e}")
            }
        }
    }

    /// The shops (of any seller) that are `platform`'s shop `external_id`, as the inbound
    /// path reads them: whom a delivery to the platform's app-wide webhook address may
    /// be for (each is verified with its own connection).
    pub async fn shops_named(
        &self, platform: &str, external_id: &str,
    ) -> CoreResult<Vec<crate::domain::shop_settings::IngestShop>> {
        let mut found = Vec::new();
        for id in shops::ids_named(&self.store, platform, external_id).await? {
            if let Some(shop) = self.ingest_shop(id).await? {
                found.push(shop);
            }
        }
        Ok(found)
    }

    /// Tells the shop's owner its connection as it is now.
    pub(crate) async fn tell_connection(&self, seller: SellerId, shop: ShopId) {
        if let Ok(Some(view)) = self.connection_view(shop).await {
            let event = OwnerEvent::ConnectionChanged {
                shop_id: shop,
                status: view.status,
                status_detail: view.status_detail,
            };
            self.events.tell_owner(seller, event);
        }
    }
}
