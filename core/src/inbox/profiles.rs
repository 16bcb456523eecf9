//! What the platform tells us about a buyer beyond their messages: the customer panel
//! beside a conversation (SH-PROFILE-1), fed by the platform's customer and order
//! notices, and cart changes turned into cart events in the conversation (SH-CART-1).

use super::Inbox;
use super::accounts::Viewer;
use super::ingest::{InboundBuyer, InboundMessage};
use super::shops::IngestShop;
use crate::clock::to_millis;
use crate::content::{CartAction, CartLine, MessageContent};
use crate::error::{CoreError, CoreResult};
use crate::ids::{ConversationId, ShopId};
use crate::model::{Buyer, EntryPoint, Order, Platform};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use shopmux_contract::adapter::{BuyerProfile, CartLineInfo};
use sqlx::Row;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The customer panel shows the orders of this many last days (SH-PROFILE-1)...
pub const PANEL_ORDER_DAYS: i64 = 60;
/// ...at most this many of them.
pub const PANEL_ORDERS: usize = 3;

/// The customer panel beside a conversation (SH-PROFILE-1).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CustomerPanel {
    /// The buyer as the inbox knows them (name, email, language).
    pub buyer: Buyer,
    /// Returning: they ordered in this shop before, or chatted in an earlier
    /// conversation; new otherwise.
    pub returning: bool,
    /// Phone number, when the platform shares it.
    pub phone: Option<String>,
    /// Where they are, as the platform writes it.
    pub location: Option<String>,
    /// Their time zone (IANA name), when known.
    pub time_zone: Option<String>,
    /// Their local time now, when their UTC offset is known (RFC 3339 with offset).
    pub local_time: Option<String>,
    /// A customer of the shop since.
    pub customer_since: Option<DateTime<Utc>>,
    /// Total spent in the shop.
    pub total_spent: Option<String>,
    /// Orders placed in the shop in all, when the platform says.
    pub orders_count: Option<u64>,
    /// The last three orders of the last 60 days, newest first.
    pub recent_orders: Vec<Order>,
    /// When this conversation started.
    pub conversation_started_at: DateTime<Utc>,
    /// The platform it started on.
    pub platform: Platform,
    /// Where the buyer started it (ALL-SRC-1).
    pub entry_point: EntryPoint,
}

/// What a cart notice became.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CartOutcome {
    /// Cart events stored in the customer's conversation (0 to 2: added, removed).
    pub events: usize,
    /// Whether the cart belongs to no chat customer (nothing to show).
    pub unmatched: bool,
}

/// The buyer id Shopify-style platforms use for a customer known by email: the same id
/// the storefront chat gives a customer who starts a chat with that email.
pub fn email_buyer_id(email: &str) -> String {
    format!("email:{}", email.trim().to_lowercase())
}

impl Inbox {
    /// Records what the platform knows about a buyer (a customer notice), creating the
    /// buyer when the notice comes first. The latest notice replaces the earlier one.
    pub async fn record_buyer_profile(
        &self,
        shop: &IngestShop,
        profile: &BuyerProfile,
    ) -> CoreResult<()> {
        let id = profile.external_id.trim();
        if id.is_empty() || id.len() > 256 {
            return Err(CoreError::invalid(
                "profile.external_id",
                "must be 1 to 256 bytes",
            ));
        }
        let json = serde_json::to_string(profile)
            .map_err(|e| CoreError::invalid("profile", e.to_string()))?;
        if json.len() > 64 * 1024 {
            return Err(CoreError::invalid("profile", "at most 64 KiB"));
        }
        let now = to_millis(self.clock.now());
        let mut w = self.store.begin_write().await?;
        self.store
            .query(
                "INSERT INTO buyer_profiles (shop_id, buyer_external_id, profile, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (shop_id, buyer_external_id) DO UPDATE SET profile = excluded.profile, updated_at = excluded.updated_at",
                vec![shop.shop_id.to_string().into(), id.into(), json.into(), now.into()],
            )
            .execute(&mut *w.tx)
            .await?;
        if let Some(email) = profile.email.as_deref().filter(|e| e.len() <= 254) {
            self.store
                .query(
                    "UPDATE buyers SET email = $1 WHERE shop_id = $2 AND external_id = $3 AND email IS NULL",
                    vec![
                        email.to_lowercase().into(),
                        shop.shop_id.to_string().into(),
                        id.into(),
                    ],
                )
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await
    }

    /// The customer panel of a conversation's buyer (SH-PROFILE-1).
    pub async fn customer_panel(
        &self,
        viewer: &Viewer,
        conversation: ConversationId,
    ) -> CoreResult<CustomerPanel> {
        let conversation = self.conversation(viewer, conversation).await?;
        let buyer = self.buyer(viewer, conversation.buyer_id).await?;
        let orders = super::actions::buyer_orders(&self.store, self.store.pool(), buyer.id).await?;
        let profile: Option<BuyerProfile> = self
            .store
            .query(
                "SELECT profile FROM buyer_profiles WHERE shop_id = $1 AND buyer_external_id = $2",
                vec![
                    buyer.shop_id.to_string().into(),
                    buyer.external_id.clone().into(),
                ],
            )
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| r.try_get::<String, _>("profile"))
            .transpose()?
            .and_then(|p| serde_json::from_str(&p).ok());
        let session = self
            .store
            .query(
                "SELECT time_zone, utc_offset_minutes FROM storefront_sessions \
                 WHERE shop_id = $1 AND buyer_external_id = $2 ORDER BY created_at DESC LIMIT 1",
                vec![
                    buyer.shop_id.to_string().into(),
                    buyer.external_id.clone().into(),
                ],
            )
            .fetch_optional(self.store.pool())
            .await?;
        let (session_zone, offset): (Option<String>, Option<i64>) = match &session {
            Some(row) => (
                row.try_get("time_zone")?,
                row.try_get("utc_offset_minutes")?,
            ),
            None => (None, None),
        };
        let earlier_conversations: i64 = self
            .store
            .query(
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM conversations WHERE buyer_id = $1 AND created_at < $2",
                vec![
                    buyer.id.to_string().into(),
                    to_millis(conversation.created_at).into(),
                ],
            )
            .fetch_one(self.store.pool())
            .await?
            .try_get("n")?;
        let now = self.clock.now();
        let profile = profile.unwrap_or_default();
        // rule: SH-PROFILE-1 (new or returning; the last three orders of the last 60 days)
        let since = now - Duration::days(PANEL_ORDER_DAYS);
        let returning = !orders.is_empty()
            || profile.orders_count.is_some_and(|n| n > 0)
            || earlier_conversations > 0;
        let recent_orders = orders
            .iter()
            .filter(|o| o.created_at >= since)
            .take(PANEL_ORDERS)
            .cloned()
            .collect();
        let local_time = offset
            .filter(|m| m.abs() <= 14 * 60)
            .and_then(|m| chrono::FixedOffset::east_opt((m * 60) as i32))
            .map(|zone| now.with_timezone(&zone).to_rfc3339());
        Ok(CustomerPanel {
            returning,
            phone: profile.phone,
            location: profile.location,
            time_zone: profile.time_zone.or(session_zone),
            local_time,
            customer_since: profile
                .customer_since_ms
                .and_then(DateTime::from_timestamp_millis),
            total_spent: profile.total_spent,
            orders_count: profile.orders_count,
            recent_orders,
            conversation_started_at: conversation.created_at,
            platform: conversation.platform,
            entry_point: conversation.entry_point,
            buyer,
        })
    }

    /// Ties a storefront chat customer to their shopping cart (the widget reports the
    /// cart token it reads from the store), so cart notices reach their conversation.
    pub async fn set_storefront_cart(
        &self,
        shop_id: ShopId,
        session_token: &str,
        cart_token: &str,
    ) -> CoreResult<()> {
        let cart_token = normalize_cart_token(cart_token)?;
        let mut w = self.store.begin_write().await?;
        let updated = self
            .store
            .query(
                "UPDATE storefront_sessions SET cart_token = $1 WHERE token_hash = $2 AND shop_id = $3",
                vec![
                    cart_token.into(),
                    super::accounts::hash_token(session_token).into(),
                    shop_id.to_string().into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?
            .rows_affected();
        w.commit().await?;
        if updated == 0 {
            return Err(CoreError::NotFound("session"));
        }
        Ok(())
    }

    /// Turns a cart notice into cart events in the chat customer's conversation: what was
    /// added and what was removed since the cart's last known state (SH-CART-1). A cart
    /// no chat customer reported is remembered but shows nowhere; an older notice than
    /// the last one applied changes nothing. Redeliveries store nothing twice.
    pub async fn record_cart(
        &self,
        shop: &IngestShop,
        cart_token: &str,
        lines: &[CartLineInfo],
        subtotal: Option<&str>,
        updated_at_ms: Option<i64>,
    ) -> CoreResult<CartOutcome> {
        let cart_token = normalize_cart_token(cart_token)?;
        if lines.len() > 500 {
            return Err(CoreError::invalid("lines", "at most 500 cart lines"));
        }
        let shop_id = shop.shop_id.to_string();
        let stored = self
            .store
            .query(
                "SELECT lines, updated_at FROM carts WHERE shop_id = $1 AND cart_token = $2",
                vec![shop_id.clone().into(), cart_token.clone().into()],
            )
            .fetch_optional(self.store.pool())
            .await?;
        let now = to_millis(self.clock.now());
        let at = updated_at_ms.unwrap_or(now).min(now);
        let before: BTreeMap<String, CartLineInfo> = match &stored {
            Some(row) => {
                let previous_at: i64 = row.try_get("updated_at")?;
                if at < previous_at {
                    return Ok(CartOutcome::default());
                }
                let lines: Vec<CartLineInfo> =
                    serde_json::from_str(&row.try_get::<String, _>("lines")?).unwrap_or_default();
                lines.into_iter().map(|l| (l.key.clone(), l)).collect()
            }
            None => BTreeMap::new(),
        };
        let after: BTreeMap<String, CartLineInfo> =
            lines.iter().map(|l| (l.key.clone(), l.clone())).collect();
        let added = after
            .iter()
            .any(|(k, l)| l.quantity > before.get(k).map_or(0, |b| b.quantity));
        let removed = before
            .iter()
            .any(|(k, b)| b.quantity > after.get(k).map_or(0, |l| l.quantity));
        let customer = self
            .store
            .query(
                "SELECT buyer_external_id, nickname, email FROM storefront_sessions \
                 WHERE shop_id = $1 AND cart_token = $2 ORDER BY created_at DESC LIMIT 1",
                vec![shop_id.clone().into(), cart_token.clone().into()],
            )
            .fetch_optional(self.store.pool())
            .await?;
        let mut outcome = CartOutcome {
            unmatched: customer.is_none(),
            ..Default::default()
        };
        if let Some(row) = customer {
            let buyer = InboundBuyer {
                external_id: row.try_get("buyer_external_id")?,
                nickname: row.try_get("nickname")?,
                email: row.try_get("email")?,
                language: None,
                platform_conversation_id: None,
            };
            let subtotal = subtotal.unwrap_or("").trim();
            let subtotal = if subtotal.is_empty() { "?" } else { subtotal };
            for (happened, action, tag) in [
                (added, CartAction::Add, "add"),
                (removed, CartAction::Remove, "remove"),
            ] {
                if !happened {
                    continue;
                }
                // Every line of the cart after the event; a line removed entirely shows
                // with quantity 0 so the agent sees what went.
                let mut shown: Vec<CartLine> = after
                    .values()
                    .map(|l| CartLine {
                        product_name: l.title.clone(),
                        quantity: l.quantity,
                    })
                    .collect();
                if action == CartAction::Remove {
                    shown.extend(before.iter().filter(|(k, _)| !after.contains_key(*k)).map(
                        |(_, b)| CartLine {
                            product_name: b.title.clone(),
                            quantity: 0,
                        },
                    ));
                }
                let message = InboundMessage {
                    buyer: buyer.clone(),
                    platform_message_id: format!("cart:{cart_token}:{at}:{tag}"),
                    content: MessageContent::CartEvent {
                        action,
                        subtotal: subtotal.to_owned(),
                        lines: shown,
                    },
                    sent_at: DateTime::from_timestamp_millis(at),
                    order: None,
                    entry_point: None,
                };
                if !self.ingest(shop.clone(), message).await?.duplicate {
                    outcome.events += 1;
                }
            }
        }
        // The new state is written after the events: a crash in between redelivers the
        // same events (same ids, stored once) instead of losing them.
        let json = serde_json::to_string(lines).unwrap_or_else(|_| "[]".into());
        let mut w = self.store.begin_write().await?;
        self.store
            .query(
                "INSERT INTO carts (shop_id, cart_token, lines, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (shop_id, cart_token) DO UPDATE SET lines = excluded.lines, updated_at = excluded.updated_at \
                 WHERE carts.updated_at <= excluded.updated_at",
                vec![shop_id.into(), cart_token.into(), json.into(), at.into()],
            )
            .execute(&mut *w.tx)
            .await?;
        w.commit().await?;
        Ok(outcome)
    }
}

/// A cart token as stored: what `/cart.js` reports may carry a `?key=` suffix that the
/// cart webhooks do not.
fn normalize_cart_token(token: &str) -> CoreResult<String> {
    let token = token.split('?').next().unwrap_or("").trim();
    if token.is_empty()
        || token.len() > 200
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(CoreError::invalid(
            "cart_token",
            "must be 1 to 200 letters, digits, - or _",
        ));
    }
    Ok(token.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cart_tokens_drop_the_key_suffix_and_refuse_odd_bytes() {
        assert_eq!(
            normalize_cart_token("c1-abc123?key=zzz").unwrap(),
            "c1-abc123"
        );
        assert!(normalize_cart_token("").is_err());
        assert!(normalize_cart_token("a b").is_err());
        assert!(normalize_cart_token("x'; DROP").is_err());
    }

    #[test]
    fn customers_known_by_email_share_the_storefront_buyer_id() {
        assert_eq!(email_buyer_id(" Ana@Example.com "), "email:ana@example.com");
    }
}
