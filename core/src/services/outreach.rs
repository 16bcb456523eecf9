//! Seller-initiated chats: an agent starts a conversation with a buyer, checked by the
//! platform's initiation rules (TT-INIT-1, DY-WIN-2, AE-WIN-2/3) and, where the platform
//! wants it, started from one of the buyer's orders sent as an order card (AE-INIT-1).

use crate::domain::conversation::{agent_message, preview_of};
use crate::domain::ids::*;
use crate::domain::model::*;
use crate::domain::rules::{self, Refusal, can_initiate};
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::services::compliance;
use crate::storage::write::{Db, WriteTx};
use crate::storage::{buyers, conversations, outbox};
use serde::{Deserialize, Serialize};
use shopmux_contract::content::MessageContent;

/// A seller-initiated message.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOutreach {
    /// What to say.
    pub content: MessageContent,
    /// The buyer's order to start from; sent first as an order card.
    pub order_id: Option<String>,
    /// Contact policies of the shop the message breaks and the agent sends it anyway
    /// with (see the reply's `acknowledged_policies`).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 32))]
    pub acknowledged_policies: Vec<String>,
}

/// The conversation started and its messages.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Outreach {
    /// The new conversation.
    pub conversation: Conversation,
    /// The messages sent (the order card first, when there is one).
    pub messages: Vec<Message>,
}

impl Inbox {
    /// Starts a conversation with a buyer of a shop.
    pub async fn initiate(
        &self, viewer: &Viewer, buyer_id: BuyerId, input: NewOutreach,
    ) -> CoreResult<Outreach> {
        input.content.validate()?;
        crate::domain::ratings::check_agent_content(&input.content)?;
        // rule: AE-QUICK-1 — an unfilled quick-reply variable is never sent.
        crate::domain::quick_replies::refuse_placeholders(&input.content)?;
        compliance::check_acknowledged(&input.acknowledged_policies)?;
        let buyer = self.buyer(viewer, buyer_id).await?;
        viewer.require_chat(buyer.shop_id)?;
        let shop = self.shop(viewer, buyer.shop_id).await?;
        let checker = self.shop_checker(shop.id).await?;
        self.vet(shop.id, &shop.platform, &input.content).await?;
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        self.check_buyer_access(&mut w, viewer, buyer_id).await?;
        let latest = self.latest_conversation(&mut w, buyer_id).await?;
        let (seller, platform) = match &latest {
            Some((seller, c)) => (*seller, c.platform.clone()),
            None => (shop.seller_id, shop.platform),
        };
        let orders = buyers::orders_of(Db::Tx(&mut w), buyer_id).await?;
        let order = self
            .check_outreach(
                &buyer,
                &platform,
                latest.as_ref().map(|(_, c)| c),
                &orders,
                &input,
                now,
            )
            .await?;
        // rule: OFF-PHONE-1, OFF-MSG-1 (and the shop's other contact policies)
        let overridden =
            compliance::screen(&checker, &input.content, &input.acknowledged_policies)?;
        let conversation =
            started(&buyer, platform, viewer.agent.id, !orders.is_empty(), &input.content, now);
        let mut messages = Vec::new();
        if let Some(o) = order {
            let card = MessageContent::OrderCard {
                order_id: o.external_id.clone(),
                status: Some(o.status.clone()),
            };
            messages.push(agent_message(viewer, &conversation, card, now));
        }
        messages.push(agent_message(viewer, &conversation, input.content, now));
        let mut conversation = conversation;
        self.stamp(&mut conversation).await?;
        conversations::save(&mut w, &[(seller, None, conversation.clone())]).await?;
        self.deliver_if_recorded(&conversation.platform, &mut messages);
        outbox::queue(&mut w, &messages, now).await?;
        if let Some(sent) = messages.last() {
            compliance::record(&mut w, sent, overridden).await?;
        }
        w.commit().await?;
        self.outbox_wake.notify_one();
        for m in &messages {
            self.events.publish(InboxEvent::MessageCreated { message: m.clone() });
        }
        self.events.publish(InboxEvent::ConversationUpdated { conversation: conversation.clone() });
        Ok(Outreach { conversation, messages })
    }

    /// The buyer's latest conversation (locked) with, as the windows read it, the
    /// buyer's latest message over all their conversations; none open (reply there).
    async fn latest_conversation(
        &self, w: &mut WriteTx<'_>, buyer: BuyerId,
    ) -> CoreResult<Option<(SellerId, Conversation)>> {
        let mut latest = conversations::lock_latest_of_buyer(w, buyer).await?;
        let last_buyer_message = conversations::last_buyer_message_at(w, buyer).await?;
        if let Some((_, c)) = latest.as_mut() {
            c.last_buyer_message_at = last_buyer_message;
        }
        if conversations::open_count(w, buyer).await? > 0 {
            return Err(CoreError::Conflict(
                "the buyer already has an open conversation: reply there".into(),
            ));
        }
        Ok(latest)
    }

    /// The platform's checks of a seller-initiated message: kinds and content, the
    /// initiation window, and the order it must start from (AE-INIT-1); returns that
    /// order.
    async fn check_outreach<'o>(
        &self, buyer: &Buyer, platform: &Platform, latest: Option<&Conversation>,
        orders: &'o [Order], input: &NewOutreach, now: chrono::DateTime<chrono::Utc>,
    ) -> CoreResult<Option<&'o Order>> {
        let rule_set = self.shop_rules(buyer.shop_id).await?;
        rules::check_outbound_kind(&rule_set, &input.content).map_err(CoreError::RuleViolation)?;
        rules::check_outbound_content(&rule_set, &input.content)
            .map_err(CoreError::RuleViolation)?;
        if let Some(refusal) = can_initiate(&rule_set, latest, orders, now).refusal {
            return Err(CoreError::RuleViolation(refusal));
        }
        let order = match &input.order_id {
            Some(id) => Some(orders.iter().find(|o| &o.external_id == id).ok_or_else(|| {
                CoreError::invalid("order_id", format!("{id} is not an order of this buyer"))
            })?),
            None => None,
        };
        if let (Some(rule), None) = (&rule_set.initiate_from_order, order) {
            return Err(CoreError::RuleViolation(Refusal {
                rule: rule.clone(),
                message: format!(
                    "a {platform} chat is started from one of the buyer's orders: give `order_id`"
                ),
                window_closed_at: None,
            }));
        }
        Ok(order)
    }
}

/// The conversation a seller starts, held by the agent who started it.
fn started(
    buyer: &Buyer, platform: Platform, agent: AgentId, has_order: bool, content: &MessageContent,
    now: chrono::DateTime<chrono::Utc>,
) -> Conversation {
    Conversation {
        id: ConversationId::new(),
        shop_id: buyer.shop_id,
        platform,
        buyer_id: buyer.id,
        entry_point: EntryPoint::SellerInitiated,
        state: ConversationState::InProgress,
        assignee_id: Some(agent),
        flag: None,
        topics: vec![],
        has_order,
        unread_count: 0,
        waiting_since: None,
        created_at: now,
        last_message_at: now,
        last_buyer_message_at: None,
        last_agent_reply_at: Some(now),
        assigned_at: Some(now),
        ended_at: None,
        closed_at: None,
        preview: preview_of(content),
        bot_active: false,
        bot_misses: 0,
        next_breach_at: None,
        sla_due_at: None,
        breach_warn_at: None,
        first_assigned_at: Some(now),
        reply_wait_since: None,
    }
}
