//! The router: assigns queued conversations to agents, as each shop's routing rules say
//! (`domain::routing::choose` decides; this module loads its inputs and records the
//! result). A conversation nobody can take stays unassigned: that is the shop's queue.
//!
//! **Invariant (race-freedom):** every assignment is decided and written in one
//! transaction that holds the seller's lock (the write gate on SQLite, a `FOR UPDATE`
//! lock on the seller's row on PostgreSQL) and reads the agents' loads inside it, so
//! concurrent arrivals, manual moves, presence changes and other daemons sharing the
//! database never give a conversation two agents nor push an agent over its maximum by
//! automatic assignment. Manual moves take the same lock first. Lock order is always
//! seller, then conversations.
//!
//! The queue drains whenever capacity may have appeared: the events that can free or
//! add capacity (a new conversation, an end, a close, a transfer, an unassign, an agent
//! coming online, connecting or raising its maximum, a timer) mark the seller, and the
//! router task drains its shops with a queue; a new conversation marks its shop alone. A
//! sweep every few seconds catches what another daemon changed.

use crate::domain::ids::*;
use crate::domain::model::*;
use crate::domain::routing::{Candidate, anyone_could_take, choose};
use crate::domain::shop_settings::{ShopRouting, routing_settings};
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::storage::conversations::{self, Change};
use crate::storage::write::WriteTx;
use crate::storage::{accounts, buyers, messages, shops, write_locks};
use crate::wake::RouterSignal;
use serde::Serialize;
use shopmux_contract::Platform;
use shopmux_contract::rules::{AssignPolicy, QueueOrder, Routing};
use std::collections::HashMap;
use std::time::Duration;
use tokio::sync::watch;

/// Queued conversations looked at per transaction.
const BATCH: i64 = 200;

/// How often every seller's queues are looked at, whatever was signalled.
const SWEEP_EVERY: Duration = Duration::from_secs(3);

/// A queued conversation and its place in the shop's queue.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueEntry {
    /// 1 for the next to be assigned.
    pub position: usize,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The buyer.
    pub buyer_id: BuyerId,
    /// Since when it waits.
    pub queued_at: chrono::DateTime<chrono::Utc>,
}

/// A shop's queue.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShopQueue {
    /// The shop.
    pub shop_id: ShopId,
    /// The assignment policy in force (`manual`: the queue is the unassigned list and
    /// drains by hand).
    pub policy: String,
    /// Its order.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub order: QueueOrder,
    /// The waiting conversations, next first.
    pub entries: Vec<QueueEntry>,
}

impl Inbox {
    /// How a shop routes now.
    pub async fn shop_routing(&self, shop_id: ShopId) -> CoreResult<ShopRouting> {
        let (seller_id, platform, settings) =
            shops::settings(&self.store, shop_id).await?.ok_or(CoreError::NotFound("shop"))?;
        let platform =
            Platform::new(&platform).map_err(|e| CoreError::invalid("platform", e.to_string()))?;
        let rules = self.rules_in_force(&platform, &settings)?;
        let (routing, order) = routing_settings(&settings, &rules)?;
        Ok(ShopRouting { seller_id, routing, order })
    }

    /// Drains every shop's queue now; returns how many conversations were assigned.
    /// Only shops with a waiting conversation are looked at (the queue index answers).
    pub async fn drain_all(&self) -> CoreResult<usize> {
        let mut n = 0;
        for shop in conversations::shops_with_queue(&self.store, None).await? {
            n += self.drain_shop(shop).await?;
        }
        Ok(n)
    }

    /// Drains the queues of a seller's shops; returns how many were assigned. Only
    /// shops with a waiting conversation are looked at.
    pub async fn drain_seller(&self, seller: SellerId) -> CoreResult<usize> {
        let mut n = 0;
        for shop in conversations::shops_with_queue(&self.store, Some(seller)).await? {
            n += self.drain_shop(shop).await?;
        }
        Ok(n)
    }

    /// Drains what `signal` marked: the marked sellers' shops, then the marked shops (a
    /// shop drained with its seller costs one look at its queue's index). What fails is
    /// marked again, for the next wake-up or sweep.
    async fn drain_marked(&self, signal: &RouterSignal) -> CoreResult<()> {
        let marked = signal.take();
        let mut result = Ok(());
        for seller in marked.sellers {
            if let Err(e) = self.drain_seller(seller).await {
                signal.keep(seller);
                result = Err(e);
            }
        }
        for shop in marked.shops {
            if let Err(e) = self.drain_shop(shop).await {
                signal.keep_shop(shop);
                result = Err(e);
            }
        }
        result
    }

    /// Assigns what it can of a shop's queue; returns how many were assigned.
    pub async fn drain_shop(&self, shop_id: ShopId) -> CoreResult<usize> {
        // The queue's index first: cheaper than the shop's settings, and most wake-ups
        // of a shop find its queue drained already.
        if !conversations::has_queue(&self.store, shop_id).await? {
            return Ok(0);
        }
        let shop = self.shop_routing(shop_id).await?;
        let Some(routing) = shop.routing.clone() else {
            return Ok(0);
        };
        if matches!(routing.assign, AssignPolicy::Manual { .. })
            && routing.single_agent_rule.is_none()
        {
            return Ok(0);
        }
        let mut total = 0;
        loop {
            let (assigned, more) = self.drain_batch(shop_id, &shop, &routing).await?;
            total += assigned;
            if !more {
                return Ok(total);
            }
        }
    }

    /// One transaction of draining: lock the seller, read the loads, assign up to
    /// [`BATCH`] queued conversations. Returns how many were assigned and whether more
    /// may be assignable.
    async fn drain_batch(
        &self, shop_id: ShopId, shop: &ShopRouting, routing: &Routing,
    ) -> CoreResult<(usize, bool)> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        write_locks::lock_seller(&mut w, shop.seller_id).await?;
        let mut candidates = accounts::candidates(&mut w, shop.seller_id, shop_id).await?;
        if !anyone_could_take(routing, &candidates) {
            return Ok((0, false));
        }
        let queued = conversations::lock_queued(&mut w, shop_id, shop.order, BATCH).await?;
        if queued.is_empty() {
            return Ok((0, false));
        }
        let (changes, stopped) =
            self.assign_queued(&mut w, routing, &queued, &mut candidates, now).await?;
        if changes.is_empty() {
            return Ok((0, false));
        }
        conversations::save(&mut w, &changes).await?;
        w.commit().await?;
        let n = changes.len();
        for (_, _, conversation) in changes {
            // TT-DATA-3: a conversation assigned counts as received by its agent.
            self.service_data_changed(
                conversation.shop_id,
                conversation.assignee_id,
                conversation.id,
            );
            self.events.publish(InboxEvent::ConversationUpdated { conversation });
        }
        let more = !stopped && n == queued.len() && queued.len() as i64 == BATCH;
        Ok((n, more))
    }

    /// Chooses an agent for each queued conversation, in queue order, counting each
    /// choice in the agent's load; stops at the first conversation nobody can take
    /// (unless the choice is per buyer). Returns the changes and whether it stopped.
    async fn assign_queued(
        &self, w: &mut WriteTx<'_>, routing: &Routing, queued: &[(SellerId, Conversation)],
        candidates: &mut [Candidate], now: chrono::DateTime<chrono::Utc>,
    ) -> CoreResult<(Vec<Change>, bool)> {
        let buyer_ids: Vec<BuyerId> = queued.iter().map(|(_, c)| c.buyer_id).collect();
        let revoked = buyers::revoked_for(w, &buyer_ids).await?;
        let recent = match &routing.assign {
            AssignPolicy::Sticky { within, .. } => {
                let since = now - chrono::Duration::seconds(within.as_secs() as i64);
                messages::recent_agents(w, &buyer_ids, since).await?
            }
            _ => HashMap::new(),
        };
        let per_buyer = matches!(routing.assign, AssignPolicy::Sticky { .. });
        let mut changes = Vec::new();
        let mut rng = self.routing_rng.lock().unwrap_or_else(|e| e.into_inner());
        for (seller, before) in queued {
            let barred = revoked.get(&before.buyer_id);
            let allowed: Vec<Candidate> = candidates
                .iter()
                .filter(|c| barred.is_none_or(|b| !b.contains(&c.id)))
                .cloned()
                .collect();
            let recent_agent = recent.get(&before.buyer_id).copied();
            let Some(choice) = choose(routing, &allowed, recent_agent, &mut *rng) else {
                if per_buyer || barred.is_some() {
                    continue;
                }
                return Ok((changes, true));
            };
            if let Some(c) = candidates.iter_mut().find(|c| c.id == choice.agent) {
                c.load += 1;
            }
            let mut after = before.clone();
            after.state = ConversationState::InProgress;
            after.assignee_id = Some(choice.agent);
            after.assigned_at = Some(now);
            after.first_assigned_at.get_or_insert(now);
            tracing::debug!(message = "Assigned.", rule = %choice.rule, conversation_id = %after.id, agent_id = %choice.agent);
            changes.push((*seller, Some(before.clone()), after));
        }
        Ok((changes, false))
    }

    /// A shop's queue, next first, with each buyer's position (DY-QUEUE-1, TT-QUEUE-1).
    pub async fn queue(&self, viewer: &Viewer, shop_id: ShopId) -> CoreResult<ShopQueue> {
        if !viewer.can_see(shop_id) {
            return Err(CoreError::NotFound("shop"));
        }
        let shop = self.shop_routing(shop_id).await?;
        let entries = conversations::queue(&self.store, shop_id, shop.order)
            .await?
            .into_iter()
            .enumerate()
            .map(|(i, (conversation_id, buyer_id, queued_at))| QueueEntry {
                position: i + 1,
                conversation_id,
                buyer_id,
                queued_at,
            })
            .collect();
        Ok(ShopQueue {
            shop_id,
            policy: shop.routing.as_ref().map_or("manual", |r| r.assign.name()).to_owned(),
            order: shop.order,
            entries,
        })
    }
}

/// The router task: drains marked sellers at once, and every seller each sweep.
pub(crate) async fn run_loop(inbox: std::sync::Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let Some(signal) = inbox.upgrade().map(|i| i.router.clone()) else {
        return;
    };
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    loop {
        let sweep_now = tokio::select! {
            _ = signal.notified() => false,
            _ = sweep.tick() => true,
            _ = shutdown.changed() => break,
        };
        let Some(inbox) = inbox.upgrade() else { break };
        let result = if sweep_now {
            inbox.drain_all().await.map(|_| ())
        } else {
            inbox.drain_marked(&signal).await
        };
        if let Err(error) = result {
            tracing::warn!(message = "Routing pass failed.", %error);
        }
    }
}
