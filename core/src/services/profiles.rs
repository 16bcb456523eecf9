//! The customer panel beside a conversation (SH-PROFILE-1): who the buyer is as the
//! platform's customer and order notices describe them — new or returning, contact,
//! location and local time, customer since, total spent, their recent orders — and
//! where the chat started.

use crate::domain::ids::ConversationId;
use crate::domain::model::{Buyer, EntryPoint, Order, Platform};
use crate::domain::viewer::Viewer;
use crate::error::CoreResult;
use crate::inbox::Inbox;
use crate::storage::write::Db;
use crate::storage::{buyers, conversations, storefront};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

/// The customer panel shows the orders of this many last days (SH-PROFILE-1)...
pub const PANEL_ORDER_DAYS: i64 = 60;
/// ...at most this many of them.
pub const PANEL_ORDERS: usize = 3;

/// The customer panel beside a conversation (SH-PROFILE-1).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerPanel {
    /// The buyer as the inbox knows them (name, email, language).
    pub buyer: Buyer,
    /// Returning: they ordered in this shop before, or chatted in an earlier
    /// conversation; new otherwise.
    pub returning: bool,
    /// The email a storefront visitor typed and has not confirmed: contact data,
    /// **unverified** — not who they are, and replies are not mailed to it.
    pub unverified_email: Option<String>,
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
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub platform: Platform,
    /// Where the buyer started it (ALL-SRC-1).
    pub entry_point: EntryPoint,
}

impl Inbox {
    /// The customer panel of a conversation's buyer (SH-PROFILE-1).
    pub async fn customer_panel(
        &self, viewer: &Viewer, conversation: ConversationId,
    ) -> CoreResult<CustomerPanel> {
        let conversation = self.conversation(viewer, conversation).await?;
        let buyer = self.buyer(viewer, conversation.buyer_id).await?;
        let orders = buyers::orders_of(Db::Pool(&self.store), buyer.id).await?;
        let profile = buyers::profile(&self.store, buyer.shop_id, &buyer.external_id)
            .await?
            .unwrap_or_default();
        let (session_zone, offset) =
            storefront::zone(&self.store, buyer.shop_id, &buyer.external_id).await?;
        let unverified_email =
            storefront::unverified_email(&self.store, buyer.shop_id, &buyer.external_id).await?;
        let earlier =
            conversations::count_before(&self.store, buyer.id, conversation.created_at).await?;
        let now = self.clock.now();
        // rule: SH-PROFILE-1 (new or returning; the last three orders of the last 60 days)
        let since = now - Duration::days(PANEL_ORDER_DAYS);
        let returning =
            !orders.is_empty() || profile.orders_count.is_some_and(|n| n > 0) || earlier > 0;
        let recent_orders =
            orders.iter().filter(|o| o.created_at >= since).take(PANEL_ORDERS).cloned().collect();
        let local_time = offset
            .filter(|m| m.abs() <= 14 * 60)
            .and_then(|m| chrono::FixedOffset::east_opt((m * 60) as i32))
            .map(|zone| now.with_timezone(&zone).to_rfc3339());
        Ok(CustomerPanel {
            returning,
            unverified_email,
            phone: profile.phone,
            location: profile.location,
            time_zone: profile.time_zone.or(session_zone),
            local_time,
            customer_since: profile.customer_since_ms.and_then(DateTime::from_timestamp_millis),
            total_spent: profile.total_spent,
            orders_count: profile.orders_count,
            recent_orders,
            conversation_started_at: conversation.created_at,
            platform: conversation.platform,
            entry_point: conversation.entry_point,
            buyer,
        })
    }
}
