//! The router: assigns queued conversations to agents, as each shop's routing rules say
//! (`crate::routing::choose` decides; this module loads its inputs and records the
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
//! router task drains its shops; a sweep every few seconds catches what another daemon
//! changed.

use super::Inbox;
use super::accounts::Viewer;
use super::presence::AGENT_LOAD;
use crate::clock::to_millis;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::ids::*;
use crate::model::*;
use crate::routing::{Candidate, anyone_could_take, choose};
use crate::store::{
    CONVERSATION_COLUMNS, Val, bool_col, conversation_from_row, enum_col, id_col, list_placeholders,
};
use serde::Serialize;
use shopmux_contract::rules::{AssignPolicy, QueueOrder, Routing, RuleSet};
use sqlx::{Any, Row, Transaction};
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;
use tokio::sync::{Notify, watch};
use utoipa::ToSchema;

/// Queued conversations looked at per transaction.
const BATCH: i64 = 200;

/// How often every seller's queues are looked at, whatever was signalled.
const SWEEP_EVERY: Duration = Duration::from_secs(3);

/// Sellers whose queues may drain now, and the router task's wake-up.
#[derive(Debug, Default)]
pub(crate) struct RouterSignal {
    dirty: Mutex<HashSet<SellerId>>,
    wake: Notify,
}

impl RouterSignal {
    /// Marks a seller for draining and wakes the router.
    pub(crate) fn mark(&self, seller: SellerId) {
        self.dirty
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(seller);
        self.wake.notify_one();
    }

    fn take(&self) -> HashSet<SellerId> {
        std::mem::take(&mut *self.dirty.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// How a shop routes: its rules' routing with the shop's settings applied.
#[derive(Clone, Debug)]
pub struct ShopRouting {
    /// The shop's seller.
    pub seller_id: SellerId,
    /// The routing in force (`None`: nothing automatic).
    pub routing: Option<Routing>,
    /// Queue order (DY-QUEUE-2).
    pub order: QueueOrder,
}

/// The routing keys of a shop's settings: `routing` (a policy name) and `queue_order`.
pub fn routing_settings(
    settings: &serde_json::Value,
    rules: &RuleSet,
) -> CoreResult<(Option<Routing>, QueueOrder)> {
    let mut routing = rules.routing.clone();
    if let Some(v) = settings.get("routing") {
        let name = v.as_str().unwrap_or_default();
        let assign = AssignPolicy::by_name(name).ok_or_else(|| {
            CoreError::invalid(
                "settings.routing",
                format!("must be one of {}", AssignPolicy::NAMES.join(", ")),
            )
        })?;
        routing = Some(match routing {
            Some(r) => Routing { assign, ..r },
            None => Routing::only(assign),
        });
    }
    let order = match settings.get("queue_order") {
        None => QueueOrder::FirstCome,
        Some(v) => {
            let order: QueueOrder = serde_json::from_value(v.clone()).map_err(|_| {
                CoreError::invalid(
                    "settings.queue_order",
                    "must be \"first_come\" or \"last_come\"",
                )
            })?;
            let platform_fixes_it = rules
                .routing
                .as_ref()
                .is_some_and(|r| r.queue_order_rule.is_none());
            if platform_fixes_it && order != QueueOrder::FirstCome {
                // rule: TT-QUEUE-3 (oldest first, not a setting on this platform)
                return Err(CoreError::invalid(
                    "settings.queue_order",
                    format!("{} always serves its queue first-come", rules.platform),
                ));
            }
            order
        }
    };
    Ok((routing, order))
}

/// A queued conversation and its place in the shop's queue.
#[derive(Clone, Debug, Serialize, ToSchema)]
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
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ShopQueue {
    /// The shop.
    pub shop_id: ShopId,
    /// The assignment policy in force (`manual`: the queue is the unassigned list and
    /// drains by hand).
    pub policy: String,
    /// Its order.
    #[schema(value_type = String)]
    pub order: QueueOrder,
    /// The waiting conversations, next first.
    pub entries: Vec<QueueEntry>,
}

impl Inbox {
    /// How a shop routes now.
    pub async fn shop_routing(&self, shop_id: ShopId) -> CoreResult<ShopRouting> {
        let row = self
            .store
            .query(
                "SELECT seller_id, settings FROM shops WHERE id = $1",
                vec![shop_id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("shop"))?;
        let settings: String = row.try_get("settings")?;
        let settings: serde_json::Value = serde_json::from_str(&settings).unwrap_or_default();
        let rules = self.shop_rules(shop_id).await?;
        let (routing, order) = routing_settings(&settings, &rules)?;
        Ok(ShopRouting {
            seller_id: id_col(&row, "seller_id")?,
            routing,
            order,
        })
    }

    /// Marks a seller's queues for draining by the router task.
    pub(crate) fn route_soon(&self, seller: SellerId) {
        self.router.mark(seller);
    }

    /// Drains every shop's queue now; returns how many conversations were assigned.
    /// Only shops with a waiting conversation are looked at (the queue index answers).
    pub async fn drain_all(&self) -> CoreResult<usize> {
        let rows = self
            .store
            .query(
                "SELECT DISTINCT shop_id FROM conversations WHERE state = 'unassigned' ORDER BY shop_id",
                vec![],
            )
            .fetch_all(self.store.pool())
            .await?;
        let mut n = 0;
        for row in &rows {
            n += self.drain_shop(id_col(row, "shop_id")?).await?;
        }
        Ok(n)
    }

    /// Drains the queues of a seller's shops; returns how many were assigned.
    pub async fn drain_seller(&self, seller: SellerId) -> CoreResult<usize> {
        let rows = self
            .store
            .query(
                "SELECT id FROM shops WHERE seller_id = $1 ORDER BY created_at, id",
                vec![seller.to_string().into()],
            )
            .fetch_all(self.store.pool())
            .await?;
        let mut n = 0;
        for row in &rows {
            n += self.drain_shop(id_col(row, "id")?).await?;
        }
        Ok(n)
    }

    /// Assigns what it can of a shop's queue; returns how many were assigned.
    pub async fn drain_shop(&self, shop_id: ShopId) -> CoreResult<usize> {
        let shop = self.shop_routing(shop_id).await?;
        let Some(routing) = shop.routing.clone() else {
            return Ok(0);
        };
        if matches!(routing.assign, AssignPolicy::Manual { .. })
            && routing.single_agent_rule.is_none()
        {
            return Ok(0);
        }
        let waiting = self
            .store
            .query(
                "SELECT id FROM conversations WHERE shop_id = $1 AND state = 'unassigned' LIMIT 1",
                vec![shop_id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?;
        if waiting.is_none() {
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
        &self,
        shop_id: ShopId,
        shop: &ShopRouting,
        routing: &Routing,
    ) -> CoreResult<(usize, bool)> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        self.lock_seller(&mut w.tx, shop.seller_id).await?;
        let mut candidates = self.candidates(&mut *w.tx, shop.seller_id, shop_id).await?;
        if !anyone_could_take(routing, &candidates) {
            return Ok((0, false));
        }
        let order = match shop.order {
            QueueOrder::FirstCome => "ASC",
            QueueOrder::LastCome => "DESC",
        };
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE shop_id = $1 AND state = 'unassigned' \
                     ORDER BY created_at {order}, id {order} LIMIT $2{}",
                    self.store.for_update()
                ),
                vec![shop_id.to_string().into(), BATCH.into()],
            )
            .fetch_all(&mut *w.tx)
            .await?;
        if rows.is_empty() {
            return Ok((0, false));
        }
        let queued: Vec<(SellerId, Conversation)> = rows
            .iter()
            .map(conversation_from_row)
            .collect::<CoreResult<_>>()?;
        let buyers: Vec<BuyerId> = queued.iter().map(|(_, c)| c.buyer_id).collect();
        let revoked = self.revoked_for(&mut w.tx, &buyers).await?;
        let recent = match &routing.assign {
            AssignPolicy::Sticky { within, .. } => {
                let since = now - chrono::Duration::seconds(within.as_secs() as i64);
                self.recent_agents(&mut w.tx, &buyers, since).await?
            }
            _ => HashMap::new(),
        };
        let per_buyer = matches!(routing.assign, AssignPolicy::Sticky { .. });
        let mut changes = Vec::new();
        let mut stopped = false;
        {
            let mut rng = self.routing_rng.lock().unwrap_or_else(|e| e.into_inner());
            for (seller, before) in &queued {
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
                    stopped = true;
                    break;
                };
                if let Some(c) = candidates.iter_mut().find(|c| c.id == choice.agent) {
                    c.load += 1;
                }
                let mut after = before.clone();
                after.state = ConversationState::InProgress;
                after.assignee_id = Some(choice.agent);
                after.assigned_at = Some(now);
                tracing::debug!(message = "Assigned.", rule = %choice.rule, conversation_id = %after.id, agent_id = %choice.agent);
                changes.push((*seller, Some(before.clone()), after));
            }
        }
        if changes.is_empty() {
            return Ok((0, false));
        }
        super::actions::save_conversations(&self.store, &mut w.tx, &changes).await?;
        w.commit().await?;
        let n = changes.len();
        for (_, _, after) in changes {
            self.events.publish(InboxEvent::ConversationUpdated {
                conversation: after,
            });
        }
        let more = !stopped && n == queued.len() && queued.len() as i64 == BATCH;
        Ok((n, more))
    }

    /// Takes the seller's routing lock for the rest of the transaction. On SQLite the
    /// write gate already serializes every writer.
    pub(crate) async fn lock_seller(
        &self,
        tx: &mut Transaction<'static, Any>,
        seller: SellerId,
    ) -> CoreResult<()> {
        let lock = self.store.for_update();
        if !lock.is_empty() {
            self.store
                .query(
                    &format!("SELECT id FROM sellers WHERE id = $1{lock}"),
                    vec![seller.to_string().into()],
                )
                .fetch_optional(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// The accounts allowed to chat in a shop, with their presence and load (their
    /// conversations in progress in every shop).
    pub(crate) async fn candidates<'c, E: sqlx::Executor<'c, Database = Any>>(
        &self,
        executor: E,
        seller: SellerId,
        shop: ShopId,
    ) -> CoreResult<Vec<Candidate>> {
        // rule: DY-PERM-1 / SH-ASSIGN-1 (only accounts with chat permission are routed to)
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT id, role, status, accept_assignment, connected, capacity, {AGENT_LOAD} \
                     FROM agents WHERE seller_id = $1 AND (role = 'owner' OR (role = 'agent' AND EXISTS \
                       (SELECT 1 FROM shop_grants g WHERE g.agent_id = agents.id AND g.shop_id = $2 AND g.can_chat = 1))) \
                     ORDER BY id"
                ),
                vec![seller.to_string().into(), shop.to_string().into()],
            )
            .fetch_all(executor)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Candidate {
                    id: id_col(r, "id")?,
                    role: enum_col(r, "role")?,
                    status: enum_col(r, "status")?,
                    accept_assignment: bool_col(r, "accept_assignment")?,
                    connected: bool_col(r, "connected")?,
                    capacity: r.try_get("capacity")?,
                    load: r.try_get("load")?,
                })
            })
            .collect()
    }

    /// Sub-accounts that may no longer chat with each buyer (AE-XFER-2).
    async fn revoked_for(
        &self,
        tx: &mut Transaction<'static, Any>,
        buyers: &[BuyerId],
    ) -> CoreResult<HashMap<BuyerId, HashSet<AgentId>>> {
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT buyer_id, agent_id FROM buyer_access_revoked WHERE buyer_id IN ({})",
                    list_placeholders(buyers.len(), 1)
                ),
                buyers.iter().map(|b| Val::from(b.to_string())).collect(),
            )
            .fetch_all(&mut **tx)
            .await?;
        let mut out: HashMap<BuyerId, HashSet<AgentId>> = HashMap::new();
        for r in &rows {
            out.entry(id_col(r, "buyer_id")?)
                .or_default()
                .insert(id_col(r, "agent_id")?);
        }
        Ok(out)
    }

    /// The agent who last wrote to each buyer since `since` (AE-ROUTE-2).
    async fn recent_agents(
        &self,
        tx: &mut Transaction<'static, Any>,
        buyers: &[BuyerId],
        since: chrono::DateTime<chrono::Utc>,
    ) -> CoreResult<HashMap<BuyerId, AgentId>> {
        let mut vals: Vec<Val> = vec![to_millis(since).into()];
        vals.extend(buyers.iter().map(|b| Val::from(b.to_string())));
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT c.buyer_id, m.sender_agent_id, m.created_at FROM conversations c \
                     JOIN messages m ON m.conversation_id = c.id \
                     WHERE m.sender_kind = 'agent' AND m.sender_agent_id IS NOT NULL AND m.created_at >= $1 \
                     AND c.buyer_id IN ({})",
                    list_placeholders(buyers.len(), 2)
                ),
                vals,
            )
            .fetch_all(&mut **tx)
            .await?;
        let mut latest: HashMap<BuyerId, (i64, AgentId)> = HashMap::new();
        for r in &rows {
            let at: i64 = r.try_get("created_at")?;
            let entry = (at, id_col(r, "sender_agent_id")?);
            let slot = latest.entry(id_col(r, "buyer_id")?).or_insert(entry);
            if entry.0 > slot.0 {
                *slot = entry;
            }
        }
        Ok(latest.into_iter().map(|(b, (_, a))| (b, a)).collect())
    }

    /// A shop's queue, next first, with each buyer's position (DY-QUEUE-1, TT-QUEUE-1).
    pub async fn queue(&self, viewer: &Viewer, shop_id: ShopId) -> CoreResult<ShopQueue> {
        if !viewer.can_see(shop_id) {
            return Err(CoreError::NotFound("shop"));
        }
        let shop = self.shop_routing(shop_id).await?;
        let order = match shop.order {
            QueueOrder::FirstCome => "ASC",
            QueueOrder::LastCome => "DESC",
        };
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT id, buyer_id, created_at FROM conversations WHERE shop_id = $1 AND state = 'unassigned' \
                     ORDER BY created_at {order}, id {order}"
                ),
                vec![shop_id.to_string().into()],
            )
            .fetch_all(self.store.pool())
            .await?;
        let entries = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Ok(QueueEntry {
                    position: i + 1,
                    conversation_id: id_col(r, "id")?,
                    buyer_id: id_col(r, "buyer_id")?,
                    queued_at: crate::clock::from_millis(r.try_get("created_at")?),
                })
            })
            .collect::<CoreResult<_>>()?;
        Ok(ShopQueue {
            shop_id,
            policy: shop
                .routing
                .as_ref()
                .map_or("manual", |r| r.assign.name())
                .to_owned(),
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
            _ = signal.wake.notified() => false,
            _ = sweep.tick() => true,
            _ = shutdown.changed() => break,
        };
        let Some(inbox) = inbox.upgrade() else { break };
        let result = if sweep_now {
            inbox.drain_all().await.map(|_| ())
        } else {
            let mut result = Ok(());
            for seller in signal.take() {
                if let Err(e) = inbox.drain_seller(seller).await {
                    // Try again at the next signal or sweep.
                    signal
                        .dirty
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(seller);
                    result = Err(e);
                }
            }
            result
        };
        if let Err(error) = result {
            tracing::warn!(message = "Routing pass failed.", %error);
        }
    }
}
