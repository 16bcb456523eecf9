//! Seller-initiated chats: an agent starts a conversation with a buyer, checked by the
//! platform's initiation rules (TT-INIT-1, DY-WIN-2, AE-WIN-2/3) and, where the platform
//! wants it, started from one of the buyer's orders sent as an order card (AE-INIT-1).

use super::Inbox;
use super::accounts::Viewer;
use super::actions::{agent_message, buyer_orders, queue_outbound, save_conversations};
use crate::content::MessageContent;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::ids::*;
use crate::model::*;
use crate::rules::{Refusal, can_initiate};
use crate::store::{CONVERSATION_COLUMNS, conversation_from_row};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A seller-initiated message.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOutreach {
    /// What to say.
    pub content: MessageContent,
    /// The buyer's order to start from; sent first as an order card.
    #[serde(default)]
    pub order_id: Option<String>,
}

/// The conversation started and its messages.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Outreach {
    /// The new conversation.
    pub conversation: Conversation,
    /// The messages sent (the order card first, when there is one).
    pub messages: Vec<Message>,
}

impl Inbox {
    /// Starts a conversation with a buyer of a shop.
    pub async fn initiate(
        &self,
        viewer: &Viewer,
        buyer_id: BuyerId,
        input: NewOutreach,
    ) -> CoreResult<Outreach> {
        input.content.validate()?;
        let buyer = self.buyer(viewer, buyer_id).await?;
        if !viewer.can_chat(buyer.shop_id) {
            // rule: DY-PERM-1
            return Err(CoreError::Forbidden(
                "no chat permission in this shop".into(),
            ));
        }
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        self.check_buyer_access(&mut w.tx, viewer, buyer_id).await?;
        let rows = self
            .store
            .query(
                &format!(
                    "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE buyer_id = $1 \
                     ORDER BY created_at DESC, id DESC LIMIT 1{}",
                    self.store.for_update()
                ),
                vec![buyer_id.to_string().into()],
            )
            .fetch_all(&mut *w.tx)
            .await?;
        let mut latest = rows.first().map(conversation_from_row).transpose()?;
        // The facts the windows read: the buyer's latest message over all conversations.
        let last_buyer_message: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(last_buyer_message_at) FROM conversations WHERE buyer_id = $1",
        )
        .bind(buyer_id.to_string())
        .fetch_one(&mut *w.tx)
        .await?;
        let n_open: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM conversations WHERE buyer_id = $1 AND list_status = 'open'",
        )
        .bind(buyer_id.to_string())
        .fetch_one(&mut *w.tx)
        .await?;
        if let Some((_, c)) = latest.as_mut() {
            c.last_buyer_message_at = last_buyer_message.map(crate::clock::from_millis);
        }
        if n_open > 0 {
            return Err(CoreError::Conflict(
                "the buyer already has an open conversation: reply there".into(),
            ));
        }
        let (seller, platform) = match &latest {
            Some((seller, c)) => (*seller, c.platform.clone()),
            None => {
                let shop = self.shop(viewer, buyer.shop_id).await?;
                (shop.seller_id, shop.platform)
            }
        };
        let orders = buyer_orders(&self.store, &mut *w.tx, buyer_id).await?;
        let rules = self.shop_rules(buyer.shop_id).await?;
        crate::rules::check_outbound_kind(&rules, &input.content)
            .map_err(CoreError::RuleViolation)?;
        crate::rules::check_outbound_content(&rules, &input.content)
            .map_err(CoreError::RuleViolation)?;
        let permission = can_initiate(&rules, latest.as_ref().map(|(_, c)| c), &orders, now);
        if let Some(refusal) = permission.refusal {
            return Err(CoreError::RuleViolation(refusal));
        }
        let order =
            match &input.order_id {
                Some(id) => Some(orders.iter().find(|o| &o.external_id == id).ok_or_else(
                    || {
                        CoreError::invalid(
                            "order_id",
                            format!("{id} is not an order of this buyer"),
                        )
                    },
                )?),
                None => None,
            };
        if let (Some(rule), None) = (&rules.initiate_from_order, order) {
            return Err(CoreError::RuleViolation(Refusal {
                rule: rule.clone(),
                message: format!(
                    "a {} chat is started from one of the buyer's orders: give `order_id`",
                    platform
                ),
                window_closed_at: None,
            }));
        }
        let conversation = Conversation {
            id: ConversationId::new(),
            shop_id: buyer.shop_id,
            platform,
            buyer_id,
            entry_point: EntryPoint::SellerInitiated,
            state: ConversationState::InProgress,
            assignee_id: Some(viewer.agent.id),
            flag: None,
            topics: vec![],
            has_order: !orders.is_empty(),
            unread_count: 0,
            waiting_since: None,
            created_at: now,
            last_message_at: now,
            last_buyer_message_at: None,
            last_agent_reply_at: Some(now),
            assigned_at: Some(now),
            ended_at: None,
            closed_at: None,
            preview: super::ingest::preview_of(&input.content),
        };
        let mut messages = Vec::new();
        if let Some(o) = order {
            let card = MessageContent::OrderCard {
                order_id: o.external_id.clone(),
                status: Some(o.status.clone()),
            };
            messages.push(agent_message(viewer, &conversation, card, now));
        }
        messages.push(agent_message(viewer, &conversation, input.content, now));
        save_conversations(
            &self.store,
            &mut w.tx,
            &[(seller, None, conversation.clone())],
        )
        .await?;
        queue_outbound(&self.store, &mut w.tx, &messages, now).await?;
        w.commit().await?;
        self.outbox_wake.notify_one();
        for m in &messages {
            self.events
                .publish(InboxEvent::MessageCreated { message: m.clone() });
        }
        self.events.publish(InboxEvent::ConversationUpdated {
            conversation: conversation.clone(),
        });
        Ok(Outreach {
            conversation,
            messages,
        })
    }
}
