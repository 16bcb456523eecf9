//! The poller: asks each connected shop's platform what arrived since its stored cursor
//! and applies it like any other delivery ([`Inbox::apply`]), so what webhooks missed —
//! the daemon was down, a delivery was lost — still arrives, orders and carts as well
//! as messages. The first pass after a start is the catch-up; then one pass per
//! interval. Re-reads are harmless (messages are stored once). On PostgreSQL one daemon
//! polls (advisory lock). A shop's cursor moves only after everything before it is
//! applied, so a crash re-reads rather than skips.

use super::connections;
use crate::domain::ids::ShopId;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::leadership::TimerLeadership;
use crate::storage::shops;
use std::time::Duration;
use tokio::sync::watch;

impl Inbox {
    /// Polls every connected shop whose platform can be polled; returns how many new
    /// messages were stored.
    pub async fn poll_now(&self) -> CoreResult<usize> {
        let mut stored = 0;
        for (shop, platform) in shops::connected(&self.store).await? {
            if !self.registry.capabilities(&platform).polls {
                continue;
            }
            match self.poll_shop(shop).await {
                Ok(n) => stored += n,
                Err(error) => {
                    tracing::warn!(message = "Poll failed.", shop_id = %shop, %platform, %error);
                }
            }
        }
        Ok(stored)
    }

    async fn poll_shop(&self, shop_id: ShopId) -> CoreResult<usize> {
        let Some(connection) = self.shop_connection(shop_id).await? else {
            return Ok(0);
        };
        let Some(shop) = self.ingest_shop(shop_id).await? else {
            return Ok(0);
        };
        let cursor = shops::poll_cursor(&self.store, shop_id).await?;
        let now = self.clock.now();
        let page = self.registry.poll(&shop.platform, connection, cursor).await;
        let outcome = page.as_ref().map(|_| ()).map_err(Clone::clone);
        connections::record(&self.store, shop_id, now, &outcome, None).await?;
        self.tell_if_authorization_ended(shop_id, &outcome).await;
        let page = page.map_err(CoreError::Platform)?;
        let stored = self.apply(&shop, page.events).await?.counts().stored;
        // The cursor moves only after everything before it is applied.
        if let Some(cursor) = page.cursor {
            let mut w = self.store.begin_write().await?;
            shops::set_poll_cursor(&mut w, shop_id, cursor, now).await?;
            w.commit().await?;
        }
        if stored > 0 {
            tracing::info!(message = "Poll stored new messages.", shop_id = %shop_id, stored);
        }
        Ok(stored)
    }
}

/// How often a daemon that does not lead the pollers checks whether the leader is gone.
const TAKE_OVER_EVERY: Duration = Duration::from_secs(2);

/// The poller task: a catch-up pass at start, then one pass per `every`, by the daemon
/// that leads the pollers. The others check every [`TAKE_OVER_EVERY`] whether the lead
/// is free; the one taking it over starts with a catch-up pass.
pub(crate) async fn run_loop(
    inbox: std::sync::Weak<Inbox>, every: Duration, mut shutdown: watch::Receiver<bool>,
) {
    let mut leadership = TimerLeadership::for_task("pollers");
    let mut tick = tokio::time::interval(every.min(TAKE_OVER_EVERY));
    let mut last_pass: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => break,
        }
        let Some(inbox) = inbox.upgrade() else { break };
        let polls =
            inbox.registry.platforms().any(|p| inbox.registry.capabilities(p.as_str()).polls);
        if !polls || !leadership.lead(&inbox.store).await {
            last_pass = None;
            continue;
        }
        if last_pass.is_some_and(|at| at.elapsed() < every) {
            continue;
        }
        last_pass = Some(tokio::time::Instant::now());
        if let Err(error) = inbox.poll_now().await {
            tracing::warn!(message = "Poll pass failed.", %error);
        }
    }
}
