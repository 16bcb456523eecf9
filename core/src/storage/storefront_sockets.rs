//! Storefront customers' open chat sockets, per daemon, for several daemons on one
//! database: a customer is in the store while a live daemon (one whose heartbeat in
//! `daemon_instances` is recent) holds a socket of theirs. The sockets of a daemon that
//! stopped beating are dropped with its agent sessions.

use super::rows::Columns;
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::ShopId;
use crate::error::CoreResult;

/// Records a socket of a customer held by `instance`.
pub async fn open(
    store: &Store, id: &str, shop: ShopId, buyer: &str, instance: &str, now_ms: i64,
) -> CoreResult<()> {
    let mut w = store.begin_write().await?;
    w.run(
        "INSERT INTO storefront_sockets (id, shop_id, buyer, instance_id, opened_at) \
         VALUES ($1, $2, $3, $4, $5)",
        vec![id.into(), shop.into(), buyer.into(), instance.into(), now_ms.into()],
    )
    .await?;
    w.commit().await
}

/// Forgets a socket.
pub async fn close(store: &Store, id: &str) -> CoreResult<()> {
    let mut w = store.begin_write().await?;
    w.run("DELETE FROM storefront_sockets WHERE id = $1", vec![id.into()]).await?;
    w.commit().await
}

/// The live daemons (heartbeat at or after `alive_since_ms`) holding a socket of the
/// customer.
pub async fn holders(
    store: &Store, shop: ShopId, buyer: &str, alive_since_ms: i64,
) -> CoreResult<Vec<String>> {
    let rows = store
        .rows(
            "SELECT DISTINCT s.instance_id FROM storefront_sockets s \
             JOIN daemon_instances d ON d.id = s.instance_id \
             WHERE s.shop_id = $1 AND s.buyer = $2 AND d.heartbeat_at >= $3",
            vec![shop.into(), buyer.into(), alive_since_ms.into()],
        )
        .await?;
    rows.iter().map(|r| r.col("instance_id")).collect()
}

/// Drops the sockets of daemons that are gone (not beating since `cutoff_ms`).
pub async fn drop_stale(w: &mut WriteTx<'_>, cutoff_ms: i64) -> CoreResult<()> {
    w.run(
        "DELETE FROM storefront_sockets WHERE instance_id NOT IN \
         (SELECT id FROM daemon_instances WHERE heartbeat_at >= $1)",
        vec![cutoff_ms.into()],
    )
    .await
}

/// Drops every socket of a daemon (at its shutdown).
pub async fn leave(w: &mut WriteTx<'_>, instance: &str) -> CoreResult<()> {
    w.run("DELETE FROM storefront_sockets WHERE instance_id = $1", vec![instance.into()]).await
}
