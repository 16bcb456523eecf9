//! Which webhook endpoints want the events of each shop, held in memory so the write
//! paths (the ingest group above all) ask without a query: a seller without endpoints
//! costs one atomic load per write. The snapshot is read from the database when the
//! store opens, again after every change of endpoints or shops made here, and every few
//! seconds by the webhook worker (so another daemon's changes arrive too).

use super::rows::Columns;
use crate::domain::ids::*;
use crate::domain::webhooks::{EventMask, WebhookEvent};
use crate::error::CoreResult;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// One endpoint's subscription.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sub {
    /// The endpoint.
    pub endpoint: WebhookEndpointId,
    /// Its seller.
    pub seller: SellerId,
    /// What it wants.
    pub mask: EventMask,
}

/// The subscriptions by shop.
#[derive(Debug, Default)]
pub struct WebhookSubs {
    any: AtomicBool,
    by_shop: RwLock<Arc<HashMap<ShopId, Vec<Sub>>>>,
    reloading: tokio::sync::Mutex<()>,
}

impl WebhookSubs {
    /// The endpoints of `shop`'s seller that want `event` (usually none).
    pub fn wanting(&self, shop: ShopId, event: WebhookEvent) -> Vec<Sub> {
        if !self.any.load(Ordering::Acquire) {
            return Vec::new();
        }
        let map = self.by_shop.read().unwrap_or_else(|e| e.into_inner()).clone();
        map.get(&shop)
            .map(|subs| subs.iter().filter(|s| s.mask.has(event)).copied().collect())
            .unwrap_or_default()
    }

    fn replace(&self, map: HashMap<ShopId, Vec<Sub>>) {
        self.any.store(!map.is_empty(), Ordering::Release);
        *self.by_shop.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(map);
    }
}

/// The query whose rows [`WebhookSubs::replace_rows`] reads: every endpoint with each
/// shop of its seller.
pub const QUERY: &str = "SELECT e.id, e.seller_id, e.events, s.id AS shop_id FROM webhook_endpoints e \
     JOIN shops s ON s.seller_id = e.seller_id";

impl WebhookSubs {
    /// Replaces the snapshot with the rows of [`QUERY`].
    pub fn replace_rows(&self, rows: &[sqlx::any::AnyRow]) -> CoreResult<()> {
        let mut map: HashMap<ShopId, Vec<Sub>> = HashMap::new();
        for r in rows {
            let sub = Sub {
                endpoint: r.col("id")?,
                seller: r.col("seller_id")?,
                mask: EventMask::from_text(&r.text_col("events")?),
            };
            map.entry(r.col("shop_id")?).or_default().push(sub);
        }
        self.replace(map);
        Ok(())
    }

    /// Held while reloading, so an older read never replaces a newer one.
    pub async fn reloading(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.reloading.lock().await
    }
}
