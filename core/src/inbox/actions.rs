//! What agents do to a conversation: read/unread, flag, end, close, reopen, assign,
//! unassign, transfer, and reply (through the outbox). Each action loads the row under
//! the write gate (SQLite) or `FOR UPDATE` (PostgreSQL), checks who may do it, writes
//! the new row and the counter changes in one transaction, then publishes the change.
//!
//! **Invariant:** nothing here deletes a message or a conversation (ALL-DEL-1); ending
//! and closing only change state.

use super::Inbox;
use super::accounts::Viewer;
use crate::clock::to_millis;
use crate::content::MessageContent;
use crate::counters;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::ids::*;
use crate::model::*;
use crate::store::{
    AGENT_COLUMNS, CONVERSATION_COLUMNS, CONVERSATION_N_COLUMNS, Deferred, ORDER_COLUMNS, Val,
    agent_from_row, conversation_from_row, conversation_values, order_from_row,
    values_placeholders,
};
use serde::Deserialize;
use shopmux_contract::rules::TransferPolicy;
use sqlx::{Any, Transaction};
use std::collections::HashMap;
use utoipa::ToSchema;

/// Writes conversations (insert or update) and applies their counter changes.
pub(crate) async fn save_conversations(
    store: &crate::store::Store,
    tx: &mut Transaction<'static, Any>,
    changes: &[(SellerId, Option<Conversation>, Conversation)],
) -> CoreResult<()> {
    let mut deferred = Deferred::default();
    defer_conversation_columns(changes, &ALL_MUTABLE, &mut deferred);
    deferred.run(store, tx).await
}

/// The columns a buyer message changes; updating only these leaves the indexes on the
/// others (state, assignee, flag) untouched.
pub(crate) const INGEST_MUTABLE: &[&str] = &[
    "has_order",
    "unread_count",
    "waiting_since",
    "wait_rank",
    "last_message_at",
    "last_buyer_message_at",
    "preview",
];

/// Queues the writes of conversations (insert, or update of `columns` only) and of
/// their counter changes, to run later in the transaction.
pub(crate) fn defer_conversation_columns(
    changes: &[(SellerId, Option<Conversation>, Conversation)],
    columns: &[&str],
    deferred: &mut Deferred,
) {
    let set = columns
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    for chunk in changes.chunks(150) {
        let sql = format!(
            "INSERT INTO conversations ({CONVERSATION_COLUMNS}) VALUES {} ON CONFLICT (id) DO UPDATE SET {set}",
            values_placeholders(chunk.len(), CONVERSATION_N_COLUMNS, 1)
        );
        let vals = chunk
            .iter()
            .flat_map(|(seller, _, after)| conversation_values(*seller, after))
            .collect();
        deferred.push(sql, vals);
    }
    let mut delta = Vec::new();
    for (_, before, after) in changes {
        counters::merge(&mut delta, counters::delta(before.as_ref(), Some(after)));
    }
    for chunk in delta.chunks(300) {
        let sql = format!(
            "INSERT INTO conversation_counters (shop_id, assignee, bucket, n) VALUES {} \
             ON CONFLICT (shop_id, assignee, bucket) DO UPDATE SET n = conversation_counters.n + excluded.n",
            values_placeholders(chunk.len(), 4, 1)
        );
        let vals = chunk
            .iter()
            .flat_map(|(k, n)| {
                [
                    Val::from(k.shop_id.to_string()),
                    k.assignee.clone().into(),
                    k.bucket.clone().into(),
                    (*n).into(),
                ]
            })
            .collect();
        deferred.push(sql, vals);
    }
}

/// The columns a conversation never changes; every other column is updated on save.
const IMMUTABLE: &[&str] = &[
    "id",
    "seller_id",
    "shop_id",
    "platform",
    "buyer_id",
    "created_at",
];

/// Every column of [`CONVERSATION_COLUMNS`] but the immutable ones.
static ALL_MUTABLE: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
    CONVERSATION_COLUMNS
        .split(", ")
        .map(str::trim)
        .filter(|c| !IMMUTABLE.contains(c))
        .collect()
});

/// A new agent message of a conversation, pending delivery.
pub(crate) fn agent_message(
    viewer: &Viewer,
    conversation: &Conversation,
    content: MessageContent,
    now: chrono::DateTime<chrono::Utc>,
) -> Message {
    Message {
        id: MessageId::new(),
        conversation_id: conversation.id,
        shop_id: conversation.shop_id,
        direction: Direction::Out,
        sender_kind: SenderKind::Agent,
        sender_agent_id: Some(viewer.agent.id),
        content,
        translated_text: None,
        platform_message_id: None,
        created_at: now,
        delivery_status: Some(DeliveryStatus::Pending),
        delivery_error: None,
    }
}

/// Stores outbound messages and their outbox entries, in the caller's transaction.
pub(crate) async fn queue_outbound(
    store: &crate::store::Store,
    tx: &mut Transaction<'static, Any>,
    messages: &[Message],
    now: chrono::DateTime<chrono::Utc>,
) -> CoreResult<()> {
    let mut deferred = Deferred::default();
    defer_outbound(
        store,
        &mut crate::store::Tx::Sqlx(tx),
        messages,
        now,
        &mut deferred,
    )
    .await?;
    deferred.run(store, tx).await
}

/// Stores outbound messages and their outbox entries, queuing what it can in `deferred`.
pub(crate) async fn defer_outbound(
    store: &crate::store::Store,
    tx: &mut crate::store::Tx<'_>,
    messages: &[Message],
    now: chrono::DateTime<chrono::Utc>,
    deferred: &mut Deferred,
) -> CoreResult<()> {
    super::ingest::insert_messages(store, tx, messages, deferred).await?;
    for m in messages {
        deferred.push(
            "INSERT INTO outbox (id, message_id, shop_id, conversation_id, status, attempts, next_attempt_at, \
             created_at, updated_at) VALUES ($1,$2,$3,$4,'pending',0,$5,$5,$5)"
                .into(),
            vec![
                OutboxId::new().to_string().into(),
                m.id.to_string().into(),
                m.shop_id.to_string().into(),
                m.conversation_id.to_string().into(),
                to_millis(now).into(),
            ],
        );
    }
    Ok(())
}

/// The orders of a buyer, read in the transaction.
pub(crate) async fn buyer_orders<'c, E: sqlx::Executor<'c, Database = Any>>(
    store: &crate::store::Store,
    executor: E,
    buyer: BuyerId,
) -> CoreResult<Vec<Order>> {
    let rows = store
        .query(
            &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE buyer_id = $1 ORDER BY created_at DESC, id DESC"),
            vec![buyer.to_string().into()],
        )
        .fetch_all(executor)
        .await?;
    rows.iter().map(order_from_row).collect()
}

/// What the platform's rules allow in a conversation now.
#[derive(Clone, Debug, serde::Serialize, ToSchema)]
pub struct Allowed {
    /// Replying (`allowed`, until `deadline`, or why not).
    pub reply: crate::rules::Permission,
    /// Starting a new chat with this buyer once this one is over (or why not).
    pub initiate: crate::rules::Permission,
    /// Since when the buyer's waiting timer runs, as the platform counts it (DY-TIMER-1).
    pub wait_started_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A reply an agent sends.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    /// The content.
    pub content: MessageContent,
}

/// A change of a conversation, applied by [`Inbox::change`].
#[derive(Clone, Copy, Debug)]
pub enum Change {
    /// Mark every buyer message read.
    MarkRead,
    /// Mark unread again (SH-STATUS-1).
    MarkUnread,
    /// Flag with a colour (TT-FLAG-1, AE-FILTER-1 star colours).
    Flag(FlagColour),
    /// Remove the flag.
    Unflag,
    /// End: move to history (TT-END-1, DY-END-1).
    End,
    /// Close (SH-STATUS-1).
    Close,
    /// Reopen an ended or closed conversation.
    Reopen,
    /// Assign to an agent (TT-QUEUE-2).
    Assign(AgentId),
    /// Back to the unassigned list (SH-ASSIGN-1).
    Unassign,
    /// Hand over from the current holder to another agent (TT-XFER-1, DY-XFER-1).
    Transfer(AgentId),
}

impl Inbox {
    /// A conversation the viewer may see.
    pub async fn conversation(
        &self,
        viewer: &Viewer,
        id: ConversationId,
    ) -> CoreResult<Conversation> {
        let row = self
            .store
            .query(
                &format!("SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1"),
                vec![id.to_string().into()],
            )
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CoreError::NotFound("conversation"))?;
        let (_, c) = conversation_from_row(&row)?;
        if !viewer.can_see(c.shop_id) {
            return Err(CoreError::NotFound("conversation"));
        }
        Ok(c)
    }

    /// The platform's transfer policy (AE-XFER-1: who may transfer to whom; AE-XFER-2:
    /// the previous sub-account loses the buyer, the main account never does).
    async fn transfer_policy(
        &self,
        tx: &mut Transaction<'static, Any>,
        viewer: &Viewer,
        before: &Conversation,
        to: &Agent,
    ) -> CoreResult<()> {
        let rules = self.shop_rules(before.shop_id).await?;
        let Some(TransferPolicy::HolderOrOwnerToOnline {
            who_rule,
            access_rule,
        }) = &rules.transfer
        else {
            return Ok(());
        };
        let refuse = |message: String| {
            CoreError::RuleViolation(crate::rules::Refusal {
                rule: who_rule.clone(),
                message,
                window_closed_at: None,
            })
        };
        if !viewer.is_owner() && before.assignee_id != Some(viewer.agent.id) {
            return Err(refuse(
                "only the agent holding the conversation or the main account may transfer it"
                    .into(),
            ));
        }
        if to.status != AgentStatus::Online {
            return Err(refuse(format!(
                "{} is {}; a conversation is transferred only to an online account",
                to.nickname, to.status
            )));
        }
        if let Some(previous) = before.assignee_id.filter(|p| *p != to.id) {
            let role: Option<String> = sqlx::query_scalar("SELECT role FROM agents WHERE id = $1")
                .bind(previous.to_string())
                .fetch_optional(&mut **tx)
                .await?;
            if role.as_deref() == Some(Role::Agent.as_str()) {
                self.store
                    .query(
                        "INSERT INTO buyer_access_revoked (buyer_id, agent_id, rule) VALUES ($1, $2, $3) \
                         ON CONFLICT (buyer_id, agent_id) DO NOTHING",
                        vec![before.buyer_id.to_string().into(), previous.to_string().into(), access_rule.clone().into()],
                    )
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// Fails when a transfer took this buyer away from the viewer (AE-XFER-2).
    pub(crate) async fn check_buyer_access(
        &self,
        tx: &mut Transaction<'static, Any>,
        viewer: &Viewer,
        buyer: BuyerId,
    ) -> CoreResult<()> {
        if viewer.is_owner() {
            return Ok(());
        }
        let rule: Option<String> = sqlx::query_scalar(
            "SELECT rule FROM buyer_access_revoked WHERE buyer_id = $1 AND agent_id = $2",
        )
        .bind(buyer.to_string())
        .bind(viewer.agent.id.to_string())
        .fetch_optional(&mut **tx)
        .await?;
        match rule {
            Some(rule) => Err(CoreError::RuleViolation(crate::rules::Refusal {
                rule,
                message:
                    "this buyer was transferred to another agent; you can no longer chat with them"
                        .into(),
                window_closed_at: None,
            })),
            None => Ok(()),
        }
    }

    /// What the rules allow in this conversation now (for greying out a reply box).
    pub async fn allowed(&self, conversation: &Conversation) -> CoreResult<Allowed> {
        let mut all = self
            .allowed_many(std::slice::from_ref(conversation))
            .await?;
        Ok(all.remove(0))
    }

    /// [`Inbox::allowed`] for a page of conversations: one orders query, rules per shop.
    pub async fn allowed_many(&self, conversations: &[Conversation]) -> CoreResult<Vec<Allowed>> {
        if conversations.is_empty() {
            return Ok(Vec::new());
        }
        let mut buyers: Vec<String> = conversations
            .iter()
            .map(|c| c.buyer_id.to_string())
            .collect();
        buyers.sort();
        buyers.dedup();
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT {ORDER_COLUMNS} FROM orders WHERE buyer_id IN ({})",
                    crate::store::list_placeholders(buyers.len(), 1)
                ),
                buyers.into_iter().map(Val::from).collect(),
            )
            .fetch_all(self.store.pool())
            .await?;
        let mut orders: HashMap<BuyerId, Vec<Order>> = HashMap::new();
        for row in &rows {
            let order = order_from_row(row)?;
            orders.entry(order.buyer_id).or_default().push(order);
        }
        let mut rules: HashMap<ShopId, std::sync::Arc<shopmux_contract::RuleSet>> = HashMap::new();
        let now = self.clock.now();
        let mut out = Vec::with_capacity(conversations.len());
        for c in conversations {
            if let std::collections::hash_map::Entry::Vacant(slot) = rules.entry(c.shop_id) {
                slot.insert(self.shop_rules(c.shop_id).await?);
            }
            let set = &rules[&c.shop_id];
            let buyer_orders = orders.get(&c.buyer_id).map(Vec::as_slice).unwrap_or(&[]);
            out.push(Allowed {
                reply: crate::rules::can_reply(set, c, buyer_orders, now),
                initiate: crate::rules::can_initiate(set, Some(c), buyer_orders, now),
                wait_started_at: crate::rules::wait_started_at(set, c),
            });
        }
        Ok(out)
    }

    async fn load_for_update(
        &self,
        tx: &mut Transaction<'static, Any>,
        viewer: &Viewer,
        id: ConversationId,
    ) -> CoreResult<(SellerId, Conversation)> {
        let row = self
            .store
            .query(
                &format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = $1{}",
                    self.store.for_update()
                ),
                vec![id.to_string().into()],
            )
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CoreError::NotFound("conversation"))?;
        let (seller, c) = conversation_from_row(&row)?;
        if !viewer.can_see(c.shop_id) {
            return Err(CoreError::NotFound("conversation"));
        }
        Ok((seller, c))
    }

    async fn target_agent(
        &self,
        tx: &mut Transaction<'static, Any>,
        viewer: &Viewer,
        shop: ShopId,
        id: AgentId,
    ) -> CoreResult<Agent> {
        let row = self
            .store
            .query(
                &format!("SELECT {AGENT_COLUMNS} FROM agents WHERE id = $1 AND seller_id = $2"),
                vec![
                    id.to_string().into(),
                    viewer.agent.seller_id.to_string().into(),
                ],
            )
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| {
                CoreError::invalid("agent_id", format!("no agent {id} in this seller"))
            })?;
        let agent = agent_from_row(&row)?;
        let may_chat = match agent.role {
            Role::Owner => true,
            Role::Operator => false,
            Role::Agent => {
                let n: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM shop_grants WHERE agent_id = $1 AND shop_id = $2 AND can_chat = 1",
                )
                .bind(id.to_string())
                .bind(shop.to_string())
                .fetch_one(&mut **tx)
                .await?;
                n > 0
            }
        };
        if !may_chat {
            // rule: SH-ASSIGN-1 (only staff with chat permission are offered)
            return Err(CoreError::invalid(
                "agent_id",
                format!("{} has no chat permission in this shop", agent.nickname),
            ));
        }
        Ok(agent)
    }

    /// Applies a change to a conversation and returns it afterwards.
    pub async fn change(
        &self,
        viewer: &Viewer,
        id: ConversationId,
        change: Change,
    ) -> CoreResult<Conversation> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        let moves = !matches!(
            change,
            Change::MarkRead | Change::MarkUnread | Change::Flag(_) | Change::Unflag
        );
        if moves {
            // Moves change loads: they take the routing lock first (see routing.rs).
            self.lock_seller(&mut w.tx, viewer.agent.seller_id).await?;
        }
        let (seller, before) = self.load_for_update(&mut w.tx, viewer, id).await?;
        let needs_chat = !matches!(
            change,
            Change::MarkRead | Change::MarkUnread | Change::Flag(_) | Change::Unflag
        );
        if needs_chat && !viewer.can_chat(before.shop_id) {
            // rule: DY-PERM-1
            return Err(CoreError::Forbidden(
                "no chat permission in this shop".into(),
            ));
        }
        if needs_chat {
            self.check_buyer_access(&mut w.tx, viewer, before.buyer_id)
                .await?;
        }
        let mut after = before.clone();
        match change {
            Change::MarkRead => after.unread_count = 0,
            Change::MarkUnread => after.unread_count = after.unread_count.max(1),
            Change::Flag(colour) => after.flag = Some(colour),
            Change::Unflag => after.flag = None,
            Change::End => {
                if !before.state.is_open() {
                    return Err(CoreError::Conflict(format!(
                        "the conversation is {}, not open",
                        before.state
                    )));
                }
                after.state = ConversationState::Ended;
                after.ended_at = Some(now);
            }
            Change::Close => {
                if before.state == ConversationState::Closed {
                    return Err(CoreError::Conflict(
                        "the conversation is already closed".into(),
                    ));
                }
                after.state = ConversationState::Closed;
                after.closed_at = Some(now);
            }
            Change::Reopen => {
                if before.state.is_open() {
                    return Err(CoreError::Conflict(
                        "the conversation is already open".into(),
                    ));
                }
                let n_open: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM conversations WHERE buyer_id = $1 AND list_status = 'open'",
                )
                .bind(before.buyer_id.to_string())
                .fetch_one(&mut *w.tx)
                .await?;
                if n_open > 0 {
                    return Err(CoreError::Conflict(
                        "this buyer already has an open conversation".into(),
                    ));
                }
                after.state = if after.assignee_id.is_some() {
                    ConversationState::InProgress
                } else {
                    ConversationState::Unassigned
                };
                after.ended_at = None;
                after.closed_at = None;
            }
            Change::Assign(agent_id) | Change::Transfer(agent_id) => {
                if !before.state.is_open() {
                    return Err(CoreError::Conflict(format!(
                        "the conversation is {}, not open",
                        before.state
                    )));
                }
                if matches!(change, Change::Transfer(_)) && before.assignee_id.is_none() {
                    return Err(CoreError::Conflict(
                        "the conversation is unassigned: assign it instead".into(),
                    ));
                }
                let agent = self
                    .target_agent(&mut w.tx, viewer, before.shop_id, agent_id)
                    .await?;
                if matches!(change, Change::Transfer(_)) {
                    self.transfer_policy(&mut w.tx, viewer, &before, &agent)
                        .await?;
                }
                // Handing the buyer back to an agent gives back its access.
                self.store
                    .query(
                        "DELETE FROM buyer_access_revoked WHERE buyer_id = $1 AND agent_id = $2",
                        vec![
                            before.buyer_id.to_string().into(),
                            agent.id.to_string().into(),
                        ],
                    )
                    .execute(&mut *w.tx)
                    .await?;
                after.state = ConversationState::InProgress;
                after.assignee_id = Some(agent.id);
                after.assigned_at = Some(now);
            }
            Change::Unassign => {
                if before.state != ConversationState::InProgress {
                    return Err(CoreError::Conflict(
                        "the conversation is not assigned".into(),
                    ));
                }
                after.state = ConversationState::Unassigned;
                after.assignee_id = None;
                after.assigned_at = None;
            }
        }
        if after != before {
            save_conversations(
                &self.store,
                &mut w.tx,
                &[(seller, Some(before), after.clone())],
            )
            .await?;
            w.commit().await?;
            self.events.publish(InboxEvent::ConversationUpdated {
                conversation: after.clone(),
            });
            if matches!(change, Change::MarkRead) {
                self.mark_read_on_platform(&after);
            }
            if moves {
                // rule: TT-END-1, DY-END-1 (ending or handing over frees capacity; an
                // unassigned or reopened conversation joins the queue)
                self.route_soon(seller);
            }
        }
        Ok(after)
    }

    /// Tells the conversation's platform its buyer messages were read (best effort, in
    /// the background: a failure is logged, the inbox state is already right).
    fn mark_read_on_platform(&self, conversation: &Conversation) {
        let Some(channel) = self.channels.get(conversation.platform.as_str()).cloned() else {
            return;
        };
        let store = self.store.clone();
        let (shop_id, buyer_id) = (conversation.shop_id, conversation.buyer_id);
        tokio::spawn(async move {
            let Ok(Some(connection)) = super::connections::load_connection(&store, shop_id).await
            else {
                return;
            };
            let platform_conversation: Option<Option<String>> = store
                .query(
                    "SELECT platform_conversation_id FROM buyers WHERE id = $1",
                    vec![buyer_id.to_string().into()],
                )
                .fetch_optional(store.pool())
                .await
                .ok()
                .flatten()
                .map(|row| sqlx::Row::try_get(&row, "platform_conversation_id").unwrap_or(None));
            let Some(Some(platform_conversation)) = platform_conversation else {
                return;
            };
            if let Err(error) = channel.mark_read(&connection, &platform_conversation).await {
                tracing::warn!(message = "Could not mark read on the platform.", %shop_id, %error);
            }
        });
    }

    /// Sends an agent's reply: the message and its outbox entry are written in one
    /// transaction; delivery happens in the outbox worker.
    pub async fn reply(
        &self,
        viewer: &Viewer,
        id: ConversationId,
        reply: NewReply,
    ) -> CoreResult<Message> {
        reply.content.validate()?;
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        // Answering an unassigned conversation takes it: that changes loads.
        self.lock_seller(&mut w.tx, viewer.agent.seller_id).await?;
        let (seller, before) = self.load_for_update(&mut w.tx, viewer, id).await?;
        if !viewer.can_chat(before.shop_id) {
            // rule: DY-PERM-1
            return Err(CoreError::Forbidden(
                "no chat permission in this shop".into(),
            ));
        }
        self.check_buyer_access(&mut w.tx, viewer, before.buyer_id)
            .await?;
        // The platform's rules decide before anything is written: a refused reply never
        // reaches the outbox.
        let orders = buyer_orders(&self.store, &mut *w.tx, before.buyer_id).await?;
        let rules = self.shop_rules(before.shop_id).await?;
        crate::rules::check_reply(&rules, &before, &orders, &reply.content, now)
            .map_err(CoreError::RuleViolation)?;
        let message = agent_message(viewer, &before, reply.content, now);
        queue_outbound(&self.store, &mut w.tx, std::slice::from_ref(&message), now).await?;
        let mut after = before.clone();
        after.last_message_at = now;
        after.last_agent_reply_at = Some(now);
        after.waiting_since = None;
        after.unread_count = 0;
        after.preview = super::ingest::preview_of(&message.content);
        if after.state == ConversationState::Unassigned {
            // Answering an unassigned conversation takes it.
            after.state = ConversationState::InProgress;
            after.assignee_id = Some(viewer.agent.id);
            after.assigned_at = Some(now);
        }
        save_conversations(
            &self.store,
            &mut w.tx,
            &[(seller, Some(before), after.clone())],
        )
        .await?;
        w.commit().await?;
        self.outbox_wake.notify_one();
        self.events.publish(InboxEvent::MessageCreated {
            message: message.clone(),
        });
        self.events.publish(InboxEvent::ConversationUpdated {
            conversation: after,
        });
        Ok(message)
    }
}
