//! What agents do to a conversation: read/unread, flag, end, close, reopen, assign,
//! unassign, transfer, and reply (through the outbox). Each action loads the row under
//! the write gate (SQLite) or `FOR UPDATE` (PostgreSQL), checks who may do it, writes
//! the new row and the counter changes in one transaction, then publishes the change.
//!
//! **Invariant:** nothing here deletes a message or a conversation (ALL-DEL-1); ending
//! and closing only change state. A reply is checked against the shop's rules inside
//! the write transaction, before anything is written: a refused reply never reaches the
//! outbox.

use crate::domain::conversation::{Change, agent_message, changed, replied};
use crate::domain::ids::*;
use crate::domain::model::*;
use crate::domain::rules::{self, Permission, Refusal};
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::services::compliance;
use crate::storage::write::{Db, WriteTx};
use crate::storage::{accounts, buyers, connections, conversations, outbox, write_locks};
use serde::Serialize;
use shopmux_contract::content::MessageContent;
use shopmux_contract::rules::TransferPolicy;
use std::collections::HashMap;

/// What the platform's rules allow in a conversation now.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Allowed {
    /// Replying (`allowed`, until `deadline`, or why not).
    pub reply: Permission,
    /// Starting a new chat with this buyer once this one is over (or why not).
    pub initiate: Permission,
    /// Since when the buyer's waiting timer runs, as the platform counts it (DY-TIMER-1).
    pub wait_started_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The next lifecycle timer that will end or close it by itself (TT-WIN-1, DY-END-2),
    /// when one runs.
    pub next_timer: Option<NextTimer>,
    /// Every deadline it still has, earliest first (past ones too): what answering now
    /// keeps inside the reply window, the platform's service figures (DY-QA-1,
    /// TT-DATA-1) and the shop's target.
    pub deadlines: Vec<crate::domain::deadlines::Deadline>,
}

/// A lifecycle timer due for a conversation.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NextTimer {
    /// The rule ID.
    pub rule: String,
    /// `end` or `close`.
    pub then: String,
    /// When it falls due.
    pub due_at: chrono::DateTime<chrono::Utc>,
}

/// The earliest lifecycle timer of `set` due for `c`.
fn next_timer(set: &shopmux_contract::RuleSet, c: &Conversation) -> Option<NextTimer> {
    set.timers
        .iter()
        .filter_map(|t| rules::timer_due_at(t, c).map(|at| (t, at)))
        .min_by_key(|(_, at)| *at)
        .map(|(t, due_at)| NextTimer {
            rule: t.rule.clone(),
            then: match t.then {
                shopmux_contract::rules::Transition::End => "end".into(),
                shopmux_contract::rules::Transition::Close => "close".into(),
            },
            due_at,
        })
}

impl Inbox {
    /// A conversation the viewer may see.
    pub async fn conversation(
        &self, viewer: &Viewer, id: ConversationId,
    ) -> CoreResult<Conversation> {
        match conversations::get(&self.store, id).await? {
            Some((_, c)) if viewer.can_see(c.shop_id) => Ok(c),
            _ => Err(CoreError::NotFound("conversation")),
        }
    }

    /// A conversation the viewer may see, locked for the transaction.
    async fn lock_visible(
        &self, w: &mut WriteTx<'_>, viewer: &Viewer, id: ConversationId,
    ) -> CoreResult<(SellerId, Conversation)> {
        match conversations::lock(w, id).await? {
            Some((seller, c)) if viewer.can_see(c.shop_id) => Ok((seller, c)),
            _ => Err(CoreError::NotFound("conversation")),
        }
    }

    /// The platform's transfer policy (AE-XFER-1: who may transfer to whom; AE-XFER-2:
    /// the previous sub-account loses the buyer, the main account never does).
    async fn transfer_policy(
        &self, w: &mut WriteTx<'_>, viewer: &Viewer, before: &Conversation, to: &Agent,
    ) -> CoreResult<()> {
        let rules = self.shop_rules(before.shop_id).await?;
        let Some(TransferPolicy::HolderOrOwnerToOnline { who_rule, access_rule }) = &rules.transfer
        else {
            return Ok(());
        };
        let refuse = |message: String| {
            CoreError::RuleViolation(Refusal {
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
        if let Some(previous) = before.assignee_id.filter(|p| *p != to.id)
            && accounts::role(w, previous).await? == Some(Role::Agent)
        {
            buyers::revoke(w, before.buyer_id, previous, access_rule).await?;
        }
        Ok(())
    }

    /// Fails when a transfer took this buyer away from the viewer (AE-XFER-2).
    pub(crate) async fn check_buyer_access(
        &self, w: &mut WriteTx<'_>, viewer: &Viewer, buyer: BuyerId,
    ) -> CoreResult<()> {
        if viewer.is_owner() {
            return Ok(());
        }
        match buyers::revoked_rule(w, buyer, viewer.agent.id).await? {
            Some(rule) => Err(CoreError::RuleViolation(Refusal {
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
        let mut all = self.allowed_many(std::slice::from_ref(conversation)).await?;
        Ok(all.remove(0))
    }

    /// [`Inbox::allowed`] for a page of conversations: one orders query, rules per shop.
    pub async fn allowed_many(&self, conversations: &[Conversation]) -> CoreResult<Vec<Allowed>> {
        if conversations.is_empty() {
            return Ok(Vec::new());
        }
        let buyer_ids: Vec<BuyerId> = conversations.iter().map(|c| c.buyer_id).collect();
        let orders = buyers::orders_of_buyers(&self.store, &buyer_ids).await?;
        let mut rule_sets: HashMap<ShopId, std::sync::Arc<shopmux_contract::RuleSet>> =
            HashMap::new();
        let mut specs: HashMap<ShopId, std::sync::Arc<crate::domain::deadlines::DeadlineSpec>> =
            HashMap::new();
        let now = self.clock.now();
        let mut out = Vec::with_capacity(conversations.len());
        for c in conversations {
            if let std::collections::hash_map::Entry::Vacant(slot) = rule_sets.entry(c.shop_id) {
                slot.insert(self.shop_rules(c.shop_id).await?);
                specs.insert(c.shop_id, self.deadline_spec(c.shop_id).await?);
            }
            let set = &rule_sets[&c.shop_id];
            let buyer_orders = orders.get(&c.buyer_id).map(Vec::as_slice).unwrap_or(&[]);
            out.push(Allowed {
                reply: rules::can_reply(set, c, buyer_orders, now),
                initiate: rules::can_initiate(set, Some(c), buyer_orders, now),
                wait_started_at: rules::wait_started_at(set, c),
                next_timer: next_timer(set, c),
                deadlines: crate::domain::deadlines::deadlines(&specs[&c.shop_id], c),
            });
        }
        Ok(out)
    }

    /// The agent a conversation is assigned or transferred to: of the viewer's seller,
    /// with chat permission in the shop (SH-ASSIGN-1).
    async fn target_agent(
        &self, w: &mut WriteTx<'_>, viewer: &Viewer, shop: ShopId, id: AgentId,
    ) -> CoreResult<Agent> {
        let agent =
            accounts::agent(Db::Tx(w), id, Some(viewer.agent.seller_id)).await?.ok_or_else(
                || CoreError::invalid("agent_id", format!("no agent {id} in this seller")),
            )?;
        let may_chat = match agent.role {
            Role::Owner => true,
            Role::Operator => false,
            Role::Agent => accounts::can_chat_in(w, id, shop).await?,
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

    /// The checks a change needs beyond the conversation's state: no other open
    /// conversation of the buyer for a reopen; for an assignment or a transfer, the
    /// target agent and the platform's transfer policy (and the agent gets the buyer back).
    async fn check_change(
        &self, w: &mut WriteTx<'_>, viewer: &Viewer, before: &Conversation, change: Change,
    ) -> CoreResult<()> {
        match change {
            Change::Reopen if conversations::open_count(w, before.buyer_id).await? > 0 => {
                Err(CoreError::Conflict("this buyer already has an open conversation".into()))
            }
            Change::Assign(agent_id) | Change::Transfer(agent_id) => {
                let agent = self.target_agent(w, viewer, before.shop_id, agent_id).await?;
                if matches!(change, Change::Transfer(_)) {
                    self.transfer_policy(w, viewer, before, &agent).await?;
                }
                // Handing the buyer back to an agent gives back its access.
                buyers::restore(w, before.buyer_id, agent.id).await
            }
            _ => Ok(()),
        }
    }

    /// Applies a change to a conversation and returns it afterwards.
    pub async fn change(
        &self, viewer: &Viewer, id: ConversationId, change: Change,
    ) -> CoreResult<Conversation> {
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        if change.moves() {
            // Moves change loads: they take the routing lock first (see router.rs).
            write_locks::lock_seller(&mut w, viewer.agent.seller_id).await?;
        }
        let (seller, before) = self.lock_visible(&mut w, viewer, id).await?;
        if change.moves() {
            viewer.require_chat(before.shop_id)?;
            self.check_buyer_access(&mut w, viewer, before.buyer_id).await?;
        }
        let mut after = changed(&before, change, now).map_err(CoreError::Conflict)?;
        self.check_change(&mut w, viewer, &before, change).await?;
        if after != before {
            self.stamp(&mut after).await?;
            conversations::save(&mut w, &[(seller, Some(before), after.clone())]).await?;
            w.commit().await?;
            self.events.publish(InboxEvent::ConversationUpdated { conversation: after.clone() });
            if matches!(change, Change::MarkRead) {
                self.mark_read_on_platform(&after);
            }
            if change.moves() {
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
        if !self.registry.capabilities(conversation.platform.as_str()).marks_read {
            return;
        }
        let (store, registry) = (self.store.clone(), self.registry.clone());
        let (shop_id, buyer_id) = (conversation.shop_id, conversation.buyer_id);
        let platform = conversation.platform.clone();
        tokio::spawn(async move {
            let Ok(Some(connection)) = connections::for_adapter(&store, shop_id).await else {
                return;
            };
            let Ok(Some(platform_conversation)) =
                buyers::platform_conversation(&store, buyer_id).await
            else {
                return;
            };
            if let Err(error) =
                registry.mark_read(&platform, connection, platform_conversation).await
            {
                tracing::warn!(message = "Could not mark read on the platform.", %shop_id, %error);
            }
        });
    }

    /// Sends an agent's reply: the message and its outbox entry are written in one
    /// transaction; delivery happens in the outbox worker. A reply breaking the shop's
    /// contact policies is refused (see [`Inbox::reply_acknowledging`]).
    pub async fn reply(
        &self, viewer: &Viewer, id: ConversationId, content: MessageContent,
    ) -> CoreResult<Message> {
        self.reply_acknowledging(viewer, id, content, &[]).await
    }

    /// [`Inbox::reply`], sent although it breaks the `acknowledged` contact policies of
    /// the shop ("send anyway", recorded with the message); any other finding refuses
    /// it with `PolicyWarning`.
    pub async fn reply_acknowledging(
        &self, viewer: &Viewer, id: ConversationId, content: MessageContent,
        acknowledged: &[String],
    ) -> CoreResult<Message> {
        self.reply_with(viewer, id, content, acknowledged, None).await
    }

    /// [`Inbox::reply_acknowledging`], the message carrying its translation (the agent's
    /// original beside what is sent, TT-TR-1).
    pub(crate) async fn reply_with(
        &self, viewer: &Viewer, id: ConversationId, content: MessageContent,
        acknowledged: &[String], translation: Option<crate::domain::model::MessageTranslation>,
    ) -> CoreResult<Message> {
        content.validate()?;
        crate::domain::ratings::check_agent_content(&content)?;
        // rule: AE-QUICK-1 — an unfilled quick-reply variable is never sent.
        crate::domain::quick_replies::refuse_placeholders(&content)?;
        compliance::check_acknowledged(acknowledged)?;
        let conversation = self.conversation(viewer, id).await?;
        let checker = self.shop_checker(conversation.shop_id).await?;
        self.vet(conversation.shop_id, &conversation.platform, &content).await?;
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        // Answering an unassigned conversation takes it: that changes loads.
        write_locks::lock_seller(&mut w, viewer.agent.seller_id).await?;
        let (seller, before) = self.lock_visible(&mut w, viewer, id).await?;
        viewer.require_chat(before.shop_id)?;
        self.check_buyer_access(&mut w, viewer, before.buyer_id).await?;
        // The platform's rules decide before anything is written: a refused reply never
        // reaches the outbox.
        let orders = buyers::orders_of(Db::Tx(&mut w), before.buyer_id).await?;
        let rule_set = self.shop_rules(before.shop_id).await?;
        rules::check_reply(&rule_set, &before, &orders, &content, now)
            .map_err(CoreError::RuleViolation)?;
        // rule: OFF-PHONE-1, OFF-EMAIL-1, OFF-LINK-1, OFF-MSG-1, OFF-PAY-1 (the shop's
        // contact policies: a finding not acknowledged refuses the reply, unwritten)
        let overridden = compliance::screen(&checker, &content, acknowledged)?;
        let mut message = agent_message(viewer, &before, content, now);
        message.translation = translation;
        self.deliver_if_recorded(&before.platform, std::slice::from_mut(&mut message));
        outbox::queue(&mut w, std::slice::from_ref(&message), now).await?;
        compliance::record(&mut w, &message, overridden).await?;
        let mut after = replied(&before, &message, viewer.agent.id, now);
        self.stamp(&mut after).await?;
        self.tally_reply(&mut w, &rule_set, &before, &after, viewer.agent.id, now).await?;
        conversations::save(&mut w, &[(seller, Some(before), after.clone())]).await?;
        w.commit().await?;
        self.outbox_wake.notify_one();
        self.service_data_changed(after.shop_id, Some(viewer.agent.id), after.id);
        self.events.publish(InboxEvent::MessageCreated { message: message.clone() });
        self.events.publish(InboxEvent::ConversationUpdated { conversation: after });
        Ok(message)
    }
}
