//! A platform's notices beside the chat: an order reported outside a message, recorded
//! with its buyer (created when new) and the buyer's open conversation marked as having
//! an order, so windows that count from orders (DY-WIN-2, TT-INIT-1, AE-WIN-3) see it at
//! once; and what the platform knows about a buyer (a customer notice, SH-PROFILE-1),
//! the latest replacing the earlier one.

use crate::domain::shop_settings::IngestShop;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::storage::{buyers, conversations};
use chrono::DateTime;
use shopmux_contract::adapter::{BuyerProfile, OrderInfo};

fn bounded(field: &str, value: &str) -> CoreResult<()> {
    if value.trim().is_empty() || value.len() > 256 {
        Err(CoreError::invalid(field, "must be 1 to 256 bytes"))
    } else {
        Ok(())
    }
}

impl Inbox {
    /// Records an order notice (see the module comment).
    pub(crate) async fn record_order(
        &self, shop: &IngestShop, order: &OrderInfo,
    ) -> CoreResult<()> {
        bounded("order.external_id", &order.external_id)?;
        bounded("order.buyer.external_id", &order.buyer.external_id)?;
        let now = self.clock.now();
        let created_at = order
            .created_at_ms
            .and_then(DateTime::from_timestamp_millis)
            .map_or(now, |t| t.min(now));
        let buyer_ext = &order.buyer.external_id;
        let nickname = order.buyer.nickname.as_deref().unwrap_or(buyer_ext);
        let mut w = self.store.begin_write().await?;
        let buyer = buyers::find_or_create(&mut w, shop.shop_id, buyer_ext, nickname, now).await?;
        buyers::upsert_order(&mut w, shop.shop_id, buyer, order, created_at).await?;
        if let Some(email) = order.buyer.email.as_deref().filter(|e| e.len() <= 254) {
            buyers::set_email_if_unknown(&mut w, shop.shop_id, buyer_ext, email).await?;
        }
        let mut changed = None;
        if let Some((seller, before)) =
            conversations::lock_open_without_order(&mut w, buyer).await?
        {
            let mut after = before.clone();
            after.has_order = true;
            conversations::save(&mut w, &[(seller, Some(before), after.clone())]).await?;
            changed = Some(after);
        }
        w.commit().await?;
        if let Some(conversation) = changed {
            self.events.publish(InboxEvent::ConversationUpdated { conversation });
        }
        Ok(())
    }

    /// Records what the platform knows about a buyer (a customer notice).
    pub(crate) async fn record_buyer_profile(
        &self, shop: &IngestShop, profile: &BuyerProfile,
    ) -> CoreResult<()> {
        let id = profile.external_id.trim();
        if id.is_empty() || id.len() > 256 {
            return Err(CoreError::invalid("profile.external_id", "must be 1 to 256 bytes"));
        }
        let json = serde_json::to_string(profile)
            .map_err(|e| CoreError::invalid("profile", e.to_string()))?;
        if json.len() > 64 * 1024 {
            return Err(CoreError::invalid("profile", "at most 64 KiB"));
        }
        let mut w = self.store.begin_write().await?;
        buyers::put_profile(&mut w, shop.shop_id, id, json, self.clock.now()).await?;
        if let Some(email) = profile.email.as_deref().filter(|e| e.len() <= 254) {
            buyers::set_email_if_unknown(&mut w, shop.shop_id, id, email).await?;
        }
        w.commit().await
    }
}
