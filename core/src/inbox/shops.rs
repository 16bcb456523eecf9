//! Shops: creating them, listing what a viewer may see, and the ingest credentials of
//! the `api` channel (cached briefly, since every inbound request needs them).

use super::Inbox;
use crate::clock::to_millis;
use crate::content::QuickAction;
use crate::error::{CoreError, CoreResult};
use crate::ids::*;
use crate::inbox::accounts::Viewer;
use crate::model::*;
use crate::store::{SHOP_COLUMNS, Val, shop_from_row};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use shopmux_contract::Span;
use shopmux_contract::rules::{RuleSet, SpanOverrides};
use sqlx::Row;
use std::time::{Duration, Instant};
use utoipa::ToSchema;

/// How long a shop's ingest credentials are cached.
const INGEST_CACHE_TTL: Duration = Duration::from_secs(10);

/// New shop input.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewShop {
    /// The platform (`api` until marketplace adapters are configured).
    pub platform: Platform,
    /// The platform's id of the shop.
    pub external_id: String,
    /// Region or country code.
    #[serde(default)]
    pub region: Option<String>,
    /// Display name.
    pub name: String,
    /// Per-shop settings.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

/// A new shop and its ingest secret, shown once.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShopWithSecret {
    /// The shop.
    pub shop: Shop,
    /// The HMAC-SHA256 key for `POST /api/v1/shops/{id}/inbound`; store it now.
    pub ingest_secret: String,
}

/// What the inbound path needs to know of a shop.
#[derive(Clone, Debug)]
pub struct IngestShop {
    /// The shop.
    pub shop_id: ShopId,
    /// Its seller.
    pub seller_id: SellerId,
    /// Its platform.
    pub platform: Platform,
    /// Its ingest secret.
    pub secret: String,
    /// Its automatic reply, when switched on (AE-AUTO-2).
    pub auto_reply: Option<ActiveAutoReply>,
}

/// A shop's automatic reply settings (`settings.auto_reply`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoReplySettings {
    /// Switched on.
    #[serde(default)]
    pub enabled: bool,
    /// The reply; an empty text keeps it off (AE-AUTO-2).
    #[serde(default)]
    pub text: String,
    /// Quick actions (AE-AUTO-4: 3 to 9 when there are any).
    #[serde(default)]
    pub actions: Vec<QuickAction>,
}

/// An automatic reply that is on, with when it fires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActiveAutoReply {
    /// The reply.
    pub text: String,
    /// Its quick actions.
    pub actions: Vec<QuickAction>,
    /// It fires when the buyer sent nothing for this long (AE-AUTO-1).
    pub quiet: Span,
}

/// The automatic reply of a shop's settings, checked against its platform's rules;
/// `Some` only when it is on.
pub fn auto_reply(
    settings: &serde_json::Value,
    rules: &RuleSet,
) -> CoreResult<Option<ActiveAutoReply>> {
    let Some(value) = settings.get("auto_reply") else {
        return Ok(None);
    };
    let parsed: AutoReplySettings = serde_json::from_value(value.clone())
        .map_err(|e| CoreError::invalid("settings.auto_reply", e.to_string()))?;
    let Some(rule) = &rules.auto_reply else {
        return Err(CoreError::invalid(
            "settings.auto_reply",
            format!("{} has no automatic reply", rules.platform),
        ));
    };
    let n = parsed.actions.len() as u32;
    if n > 0 && !(rule.min_actions..=rule.max_actions).contains(&n) {
        return Err(CoreError::invalid(
            "settings.auto_reply.actions",
            format!(
                "{n} actions: an automatic message carries {} to {} ({})",
                rule.min_actions, rule.max_actions, rule.actions_rule
            ),
        ));
    }
    // AE-AUTO-2: on only when enabled and the text is not empty.
    if !parsed.enabled || parsed.text.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(ActiveAutoReply {
        text: parsed.text,
        actions: parsed.actions,
        quiet: rule.quiet,
    }))
}

/// The rule-duration overrides of a shop's settings: `{"rule_overrides": {"TT-WIN-2": "45d"}}`.
pub fn rule_overrides(settings: &serde_json::Value) -> CoreResult<SpanOverrides> {
    let Some(value) = settings.get("rule_overrides") else {
        return Ok(SpanOverrides::new());
    };
    let map = value.as_object().ok_or_else(|| {
        CoreError::invalid(
            "settings.rule_overrides",
            "must be an object of rule ID → duration",
        )
    })?;
    let mut out = SpanOverrides::new();
    for (rule, span) in map {
        let field = format!("settings.rule_overrides.{rule}");
        let text = span
            .as_str()
            .ok_or_else(|| CoreError::invalid(&field, "must be a duration like \"45d\""))?;
        out.insert(
            rule.clone(),
            text.parse::<Span>()
                .map_err(|m| CoreError::invalid(&field, m))?,
        );
    }
    Ok(out)
}

impl Inbox {
    /// Checks a shop's settings against its platform's rules.
    fn validate_settings(&self, platform: &str, settings: &serde_json::Value) -> CoreResult<()> {
        if !settings.is_object() {
            return Err(CoreError::invalid("settings", "must be a JSON object"));
        }
        let rules = self.rule_set(platform);
        rules
            .with_overrides(&rule_overrides(settings)?)
            .map_err(|m| CoreError::invalid("settings.rule_overrides", m))?;
        auto_reply(settings, &rules)?;
        super::routing::routing_settings(settings, &rules)?;
        Ok(())
    }

    /// Sets one column of a shop (`sql` binds the value as `$1`, the id as `$2`) and
    /// drops the shop from the ingest cache, so the change applies at once here.
    async fn update_shop(
        &self,
        shop_id: ShopId,
        sql: &'static str,
        value: String,
    ) -> CoreResult<()> {
        let mut w = self.store.begin_write().await?;
        self.store
            .query(sql, vec![value.into(), shop_id.to_string().into()])
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        self.ingest_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&shop_id);
        Ok(())
    }

    /// Replaces a shop's settings (owner only), validated like at creation.
    pub async fn set_shop_settings(
        &self,
        owner: &Viewer,
        shop_id: ShopId,
        settings: serde_json::Value,
    ) -> CoreResult<Shop> {
        owner.require_owner()?;
        let mut shop = self.shop(owner, shop_id).await?;
        self.validate_settings(shop.platform.as_str(), &settings)?;
        self.update_shop(
            shop_id,
            "UPDATE shops SET settings = $1 WHERE id = $2",
            settings.to_string(),
        )
        .await?;
        shop.settings = settings;
        Ok(shop)
    }

    /// The rules in force in a shop: its platform's, with the shop's duration overrides.
    pub async fn shop_rules(&self, shop_id: ShopId) -> CoreResult<std::sync::Arc<RuleSet>> {
        let row = self
            .store
            .query(
                "SELECT platform, settings FROM shops WHERE id = $1",
                vec![shop_id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("shop"))?;
        let platform: String = row.try_get("platform")?;
        let settings: String = row.try_get("settings")?;
        let settings: serde_json::Value = serde_json::from_str(&settings).unwrap_or_default();
        let base = self.rule_set(&platform);
        let overrides = rule_overrides(&settings)?;
        if overrides.is_empty() {
            return Ok(base);
        }
        base.with_overrides(&overrides)
            .map(std::sync::Arc::new)
            .map_err(|m| CoreError::invalid("settings.rule_overrides", m))
    }
}

fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("whsec_{}", hex::encode(bytes))
}

fn text_field(field: &str, value: &str, max: usize) -> CoreResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(CoreError::invalid(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(v.to_owned())
}

impl Inbox {
    /// Creates a shop of the owner's seller.
    pub async fn create_shop(&self, owner: &Viewer, input: NewShop) -> CoreResult<ShopWithSecret> {
        owner.require_owner()?;
        if !self.platforms.contains(input.platform.as_str()) {
            return Err(CoreError::invalid(
                "platform",
                format!(
                    "no adapter for platform `{}` is loaded (available: {})",
                    input.platform,
                    self.platforms
                        .iter()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        let settings = input.settings.unwrap_or_else(|| serde_json::json!({}));
        if !settings.is_object() {
            return Err(CoreError::invalid("settings", "must be a JSON object"));
        }
        self.validate_settings(input.platform.as_str(), &settings)?;
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
        let vals: Vec<Val> = vec![
            shop.id.to_string().into(),
            shop.seller_id.to_string().into(),
            shop.platform.as_str().into(),
            shop.external_id.clone().into(),
            shop.region.clone().into(),
            shop.name.clone().into(),
            shop.settings.to_string().into(),
            secret.clone().into(),
            to_millis(shop.created_at).into(),
        ];
        let mut w = self.store.begin_write().await?;
        self.store.query(
            "INSERT INTO shops (id, seller_id, platform, external_id, region, name, settings, ingest_secret, \
             created_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
            vals,
        )
        .execute(&mut *w.tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => CoreError::Conflict(format!(
                "shop {} of {} in region {} is already connected",
                shop.external_id, shop.platform, shop.region
            )),
            _ => e.into(),
        })?;
        w.commit().await?;
        Ok(ShopWithSecret {
            shop,
            ingest_secret: secret,
        })
    }

    /// Replaces a shop's ingest secret; the old one stops working at once here.
    pub async fn rotate_ingest_secret(
        &self,
        owner: &Viewer,
        shop_id: ShopId,
    ) -> CoreResult<ShopWithSecret> {
        owner.require_owner()?;
        let shop = self.shop(owner, shop_id).await?;
        let secret = new_secret();
        self.update_shop(
            shop_id,
            "UPDATE shops SET ingest_secret = $1 WHERE id = $2",
            secret.clone(),
        )
        .await?;
        Ok(ShopWithSecret {
            shop,
            ingest_secret: secret,
        })
    }

    /// One shop the viewer may see.
    pub async fn shop(&self, viewer: &Viewer, shop_id: ShopId) -> CoreResult<Shop> {
        if !viewer.can_see(shop_id) {
            return Err(CoreError::NotFound("shop"));
        }
        let row = self
            .store
            .query(
                &format!("SELECT {SHOP_COLUMNS} FROM shops WHERE id = $1"),
                vec![shop_id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("shop"))?;
        shop_from_row(&row)
    }

    /// The shops the viewer may see.
    pub async fn list_shops(&self, viewer: &Viewer) -> CoreResult<Vec<Shop>> {
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT {SHOP_COLUMNS} FROM shops WHERE seller_id = $1 ORDER BY created_at, id"
                ),
                vec![viewer.agent.seller_id.to_string().into()],
            )
            .fetch_all(self.store.pool())
            .await?;
        let mut out = Vec::new();
        for row in &rows {
            let shop = shop_from_row(row)?;
            if viewer.can_see(shop.id) {
                out.push(shop);
            }
        }
        Ok(out)
    }

    /// The ingest credentials of a shop, from a short-lived cache.
    pub async fn ingest_shop(&self, shop_id: ShopId) -> CoreResult<Option<IngestShop>> {
        if let Some((at, shop)) = self
            .ingest_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&shop_id)
            && at.elapsed() < INGEST_CACHE_TTL
        {
            return Ok(Some(shop.clone()));
        }
        let row = self
            .store
            .query(
                "SELECT id, seller_id, platform, ingest_secret, settings FROM shops WHERE id = $1",
                vec![shop_id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?;
        let Some(row) = row else { return Ok(None) };
        let platform: String = row.try_get("platform")?;
        let settings: String = row.try_get("settings")?;
        let settings: serde_json::Value = serde_json::from_str(&settings).unwrap_or_default();
        let shop = IngestShop {
            auto_reply: auto_reply(&settings, &self.rule_set(&platform)).unwrap_or(None),
            shop_id,
            seller_id: crate::store::id_col(&row, "seller_id")?,
            platform: Platform::new(&platform).map_err(|e| CoreError::invalid("platform", e))?,
            secret: row.try_get("ingest_secret")?,
        };
        self.ingest_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(shop_id, (Instant::now(), shop.clone()));
        Ok(Some(shop))
    }
}
