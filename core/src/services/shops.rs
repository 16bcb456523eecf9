//! Shops: creating them (on a loaded platform), their settings checked against the
//! platform's rules, listing what a viewer may see, the rules in force in a shop, and
//! what the inbound path needs of a shop (cached briefly: every inbound request asks).

use crate::domain::compliance::shop_compliance;
use crate::domain::deadlines::{DeadlineSpec, service_level};
use crate::domain::ids::*;
use crate::domain::model::*;
use crate::domain::shop_settings::{IngestShop, auto_reply, routing_settings, rule_overrides};
use crate::domain::viewer::Viewer;
use crate::domain::widget_settings::widget_settings;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::shops;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use shopmux_contract::rules::RuleSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a shop's ingest credentials are cached.
const INGEST_CACHE_TTL: Duration = Duration::from_secs(10);

/// New shop input.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewShop {
    /// The platform (`api`, or a loaded marketplace adapter's).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[a-z][a-z0-9_]{0,31}$"))]
    pub platform: Platform,
    /// The platform's id of the shop.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128, pattern = r"\S"))]
    pub external_id: String,
    /// Region or country code.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 16, pattern = r"\S"))]
    pub region: Option<String>,
    /// Display name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128, pattern = r"\S"))]
    pub name: String,
    /// Per-shop settings.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub settings: Option<serde_json::Value>,
}

/// A new shop and its ingest secret, shown once.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShopWithSecret {
    /// The shop.
    pub shop: Shop,
    /// The HMAC-SHA256 key for `POST /api/v1/shops/{id}/inbound`; store it now.
    pub ingest_secret: String,
}

pub(crate) fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

fn text_field(field: &str, value: &str, max: usize) -> CoreResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(CoreError::invalid(field, format!("must be 1 to {max} characters")));
    }
    Ok(v.to_owned())
}

impl Inbox {
    /// Checks a shop's settings against its platform's rules.
    fn validate_settings(
        &self, platform: &Platform, settings: &serde_json::Value,
    ) -> CoreResult<()> {
        if !settings.is_object() {
            return Err(CoreError::invalid("settings", "must be a JSON object"));
        }
        let rules = self.rule_set(platform);
        let overridden = rules
            .with_overrides(&rule_overrides(settings)?)
            .map_err(|m| CoreError::invalid("settings.rule_overrides", m))?;
        crate::domain::shop_settings::check_response_windows(&overridden)?;
        crate::domain::shop_settings::time_zone(settings)?;
        auto_reply(settings, &rules)?;
        routing_settings(settings, &rules)?;
        shop_compliance(settings, &rules.compliance)?;
        service_level(settings)?;
        widget_settings(settings)?;
        Ok(())
    }

    /// Drops a shop from the ingest cache, so a change applies at once here.
    pub(crate) fn forget_shop(&self, shop_id: ShopId) {
        self.ingest_cache.lock().unwrap_or_else(|e| e.into_inner()).remove(&shop_id);
    }

    /// Creates a shop of the owner's seller.
    pub async fn create_shop(&self, owner: &Viewer, input: NewShop) -> CoreResult<ShopWithSecret> {
        owner.require_owner()?;
        if !self.registry.contains(input.platform.as_str()) {
            let available: Vec<&str> = self.registry.platforms().map(|p| p.as_str()).collect();
            return Err(CoreError::invalid(
                "platform",
                format!(
                    "no adapter for platform `{}` is loaded (available: {})",
                    input.platform,
                    available.join(", ")
                ),
            ));
        }
        let settings = input.settings.unwrap_or_else(|| serde_json::json!({}));
        self.validate_settings(&input.platform, &settings)?;
        let shop = Shop {
            id: ShopId::new(),
            seller_id: owner.agent.seller_id,
            platform: input.platform,
            external_id: text_field("external_id", &input.external_id, 128)?,
            region: match input.region {
                Some(r) => text_field("region", &r, 16)?,
                None => "global".into(),
            },
            name: text_field("name", &input.name, 128)?,
            settings,
            created_at: self.clock.now(),
        };
        let secret = new_secret();
        let mut w = self.store.begin_write().await?;
        shops::insert(&mut w, &shop, &secret).await?;
        w.commit().await?;
        // The seller's webhook endpoints want the new shop's events too, and its main
        // account's live streams (which follow the shops their viewer sees).
        self.store.reload_webhook_subs().await?;
        self.events.shop_added(shop.seller_id, shop.id);
        Ok(ShopWithSecret { shop, ingest_secret: secret })
    }

    /// Replaces a shop's settings (owner only), validated like at creation.
    pub async fn set_shop_settings(
        &self, owner: &Viewer, shop_id: ShopId, settings: serde_json::Value,
    ) -> CoreResult<Shop> {
        owner.require_owner()?;
        let mut shop = self.shop(owner, shop_id).await?;
        self.validate_settings(&shop.platform, &settings)?;
        let mut w = self.store.begin_write().await?;
        shops::set_settings(&mut w, shop_id, &settings).await?;
        w.commit().await?;
        self.forget_shop(shop_id);
        // Durations and the target may have changed: the open conversations' deadlines too.
        self.restamp_shop(shop_id).await?;
        shop.settings = settings;
        Ok(shop)
    }

    /// Replaces a shop's ingest secret; the old one stops working at once here.
    pub async fn rotate_ingest_secret(
        &self, owner: &Viewer, shop_id: ShopId,
    ) -> CoreResult<ShopWithSecret> {
        owner.require_owner()?;
        let shop = self.shop(owner, shop_id).await?;
        let secret = new_secret();
        let mut w = self.store.begin_write().await?;
        shops::set_secret(&mut w, shop_id, &secret).await?;
        w.commit().await?;
        self.forget_shop(shop_id);
        Ok(ShopWithSecret { shop, ingest_secret: secret })
    }

    /// The rules in force in a shop: its platform's, with the shop's duration overrides.
    pub async fn shop_rules(&self, shop_id: ShopId) -> CoreResult<Arc<RuleSet>> {
        let (_, platform, settings) =
            shops::settings(&self.store, shop_id).await?.ok_or(CoreError::NotFound("shop"))?;
        let platform =
            Platform::new(&platform).map_err(|e| CoreError::invalid("platform", e.to_string()))?;
        self.rules_in_force(&platform, &settings)
    }

    /// A platform's rules with a shop's duration overrides (`settings.rule_overrides`):
    /// the one set the shop's figures, deadlines and checks all use (TT-DATA-1's window
    /// is the same number in the figures and in what a reply is worth).
    pub(crate) fn rules_in_force(
        &self, platform: &Platform, settings: &serde_json::Value,
    ) -> CoreResult<Arc<RuleSet>> {
        let base = self.rule_set(platform);
        let overrides = rule_overrides(settings)?;
        if overrides.is_empty() {
            return Ok(base);
        }
        base.with_overrides(&overrides)
            .map(Arc::new)
            .map_err(|m| CoreError::invalid("settings.rule_overrides", m))
    }

    /// One shop the viewer may see.
    pub async fn shop(&self, viewer: &Viewer, shop_id: ShopId) -> CoreResult<Shop> {
        if !viewer.can_see(shop_id) {
            return Err(CoreError::NotFound("shop"));
        }
        shops::get(&self.store, shop_id).await?.ok_or(CoreError::NotFound("shop"))
    }

    /// The shops the viewer may see.
    pub async fn list_shops(&self, viewer: &Viewer) -> CoreResult<Vec<Shop>> {
        let all = shops::of_seller(&self.store, viewer.agent.seller_id).await?;
        Ok(all.into_iter().filter(|s| viewer.can_see(s.id)).collect())
    }

    /// What the inbound path needs of a shop, from a short-lived cache.
    pub async fn ingest_shop(&self, shop_id: ShopId) -> CoreResult<Option<IngestShop>> {
        if let Some((at, shop)) =
            self.ingest_cache.lock().unwrap_or_else(|e| e.into_inner()).get(&shop_id)
            && at.elapsed() < INGEST_CACHE_TTL
        {
            return Ok(Some(shop.clone()));
        }
        let Some(row) = shops::ingest_row(&self.store, shop_id).await? else {
            return Ok(None);
        };
        let platform = Platform::new(&row.platform)
            .map_err(|e| CoreError::invalid("platform", e.to_string()))?;
        let rules = self.rule_set(&platform);
        let bot = self.compile_bot(shop_id, &rules, &row.settings).await?;
        let in_force = self.rules_in_force(&platform, &row.settings).unwrap_or(rules.clone());
        let target = service_level(&row.settings).unwrap_or(None);
        let deadlines = Arc::new(DeadlineSpec { rules: in_force, target });
        let shop = IngestShop {
            deadlines,
            auto_reply: auto_reply(&row.settings, &rules).unwrap_or(None),
            bot,
            shop_id,
            seller_id: row.seller_id,
            platform: platform.clone(),
            secret: row.secret,
            translate: self.translation.provider.is_some(),
            records_replies: self.registry.capabilities(platform.as_str()).records_replies,
            widget: Arc::new(widget_settings(&row.settings).unwrap_or_default()),
        };
        self.ingest_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(shop_id, (Instant::now(), shop.clone()));
        Ok(Some(shop))
    }
}
