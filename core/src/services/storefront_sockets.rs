//! Storefront customers' chat sockets across daemons (several daemons on one
//! PostgreSQL database): each daemon records the sockets it holds, so "in the store" is
//! true when a customer is connected to any live daemon, and a reply delivered by one
//! daemon is handed to the daemon holding the customer's socket through the live-event
//! log. With one daemon (SQLite) nothing is recorded: the daemon's own sockets are all.

use super::live::append::wall_millis;
use crate::domain::ids::ShopId;
use crate::error::CoreResult;
use crate::inbox::Inbox;
use crate::storage::storefront_sockets;

impl Inbox {
    /// This daemon's id among the daemons sharing the database.
    pub fn instance_id(&self) -> &str {
        &self.instance_id
    }

    /// Records a customer's socket for the other daemons; returns its id (none with one
    /// daemon: nothing is recorded).
    pub async fn storefront_socket_opened(
        &self, shop: ShopId, buyer: &str,
    ) -> CoreResult<Option<String>> {
        if self.live.is_none() {
            return Ok(None);
        }
        let id = uuid::Uuid::now_v7().to_string();
        storefront_sockets::open(&self.store, &id, shop, buyer, &self.instance_id, wall_millis())
            .await?;
        Ok(Some(id))
    }

    /// Forgets a socket recorded by [`Inbox::storefront_socket_opened`].
    pub async fn storefront_socket_closed(&self, id: &str) -> CoreResult<()> {
        storefront_sockets::close(&self.store, id).await
    }

    /// The other live daemons holding a socket of the customer (none with one daemon).
    pub async fn storefront_elsewhere(&self, shop: ShopId, buyer: &str) -> CoreResult<Vec<String>> {
        if self.live.is_none() {
            return Ok(Vec::new());
        }
        let alive_since = wall_millis() - self.liveness.as_millis() as i64;
        let mut holders =
            storefront_sockets::holders(&self.store, shop, buyer, alive_since).await?;
        holders.retain(|h| *h != self.instance_id);
        Ok(holders)
    }

    /// Hands a frame for a customer to daemon `instance`, which holds their socket;
    /// false when there is no other daemon to hand it to.
    pub fn storefront_hand_over(
        &self, instance: &str, shop: ShopId, buyer: &str, frame: &str,
    ) -> bool {
        self.events.relay_storefront(instance, shop, buyer, frame)
    }
}
