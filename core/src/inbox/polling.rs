//! The poller: asks each connected shop's platform what arrived since its stored cursor
//! and feeds it to the inbox, so what webhooks missed — the daemon was down, a delivery
//! was lost — still arrives. The first pass after a start is the catch-up; then one pass
//! per interval. Messages are deduplicated by (shop, platform message id), so overlaps
//! with webhooks are harmless. On PostgreSQL one daemon polls (advisory lock).

use super::Inbox;
use super::ingest::InboundMessage;
use crate::clock::to_millis;
use crate::error::{CoreError, CoreResult};
use crate::ids::ShopId;
use crate::store::id_col;
use sqlx::Row;
use std::time::Duration;
use tokio::sync::watch;

impl Inbox {
    /// Polls every connected shop whose platform can be polled; returns how many new
    /// messages were stored.
    pub async fn poll_now(&self) -> CoreResult<usize> {
        if self.pollers.is_empty() {
            return Ok(0);
        }
        let rows = self
            .store
            .query(
                "SELECT s.id, s.platform FROM shops s JOIN shop_connections c ON c.shop_id = s.id ORDER BY s.id",
                vec![],
            )
            .fetch_all(self.store.pool())
            .await?;
        let mut stored = 0;
        for row in &rows {
            let platform: String = row.try_get("platform")?;
            if !self.pollers.contains_key(&platform) {
                continue;
            }
            let shop: ShopId = id_col(row, "id")?;
            match self.poll_shop(shop, &platform).await {
                Ok(n) => stored += n,
                Err(error) => {
                    tracing::warn!(message = "Poll failed.", shop_id = %shop, %platform, %error);
                }
            }
        }
        Ok(stored)
    }

    async fn poll_shop(&self, shop_id: ShopId, platform: &str) -> CoreResult<usize> {
        let poller = self.pollers[platform].clone();
        let Some(connection) = super::connections::load_connection(&self.store, shop_id).await?
        else {
            return Ok(0);
        };
        let Some(ingest) = self.ingest_shop(shop_id).await? else {
            return Ok(0);
        };
        let cursor: Option<String> = self
            .store
            .query(
                "SELECT cursor FROM poll_cursors WHERE shop_id = $1",
                vec![shop_id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .map(|r| r.try_get("cursor"))
            .transpose()?;
        let now = self.clock.now();
        let page = poller.poll(&connection, cursor).await;
        super::connections::record_outcome(
            &self.store,
            shop_id,
            now,
            &page.as_ref().map(|_| ()).map_err(Clone::clone),
            None,
        )
        .await?;
        let page = page.map_err(|e| CoreError::Unavailable(leak_reason(&e.code)))?;
        let mut stored = 0;
        for event in page.events {
            let Ok(Some(message)) = InboundMessage::from_event(event) else {
                continue;
            };
            match self.ingest(ingest.clone(), message).await {
                Ok(outcome) if !outcome.duplicate => stored += 1,
                Ok(_) | Err(CoreError::RuleViolation(_) | CoreError::Invalid { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        // The cursor moves only after everything before it is stored.
        if let Some(cursor) = page.cursor {
            let mut w = self.store.begin_write().await?;
            self.store
                .query(
                    "INSERT INTO poll_cursors (shop_id, cursor, polled_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (shop_id) DO UPDATE SET cursor = excluded.cursor, polled_at = excluded.polled_at",
                    vec![
                        shop_id.to_string().into(),
                        cursor.into(),
                        to_millis(now).into(),
                    ],
                )
                .execute(&mut *w.tx)
                .await?;
            w.commit().await?;
        }
        if stored > 0 {
            tracing::info!(message = "Poll stored new messages.", shop_id = %shop_id, stored);
        }
        Ok(stored)
    }
}

/// A static reason for the error type (poll failures are logged with the full error).
fn leak_reason(code: &str) -> &'static str {
    match code {
        "token_expired" => "the platform refused the shop's token",
        "rate_limited" => "the platform asked to slow down",
        _ => "the platform could not be polled",
    }
}

/// The poller task: a catch-up pass at start, then one pass per `every`, by the daemon
/// that leads the pollers.
pub(crate) async fn run_loop(
    inbox: std::sync::Weak<Inbox>,
    every: Duration,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut leadership = super::timers::TimerLeadership::for_task("pollers");
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => break,
        }
        let Some(inbox) = inbox.upgrade() else { break };
        if inbox.pollers.is_empty() || !leadership.lead(&inbox.store).await {
            continue;
        }
        if let Err(error) = inbox.poll_now().await {
            tracing::warn!(message = "Poll pass failed.", %error);
        }
    }
}
