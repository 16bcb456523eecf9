//! Ratings of the service (DY-RATE-1): an agent's rating invitation (a rating card with no
//! score, sent only where the platform carries one), a buyer's rating recorded whenever a
//! rating message arrives — from the storefront widget, a platform, or the `api` channel,
//! with or without an invitation — followed by a thank-you naming the agent rated, and
//! the rating list.

use crate::clock::to_millis;
use crate::domain::ids::*;
use crate::domain::inbound::IngestOutcome;
use crate::domain::listing::{decode_cursor, encode_cursor, page_size};
use crate::domain::model::*;
use crate::domain::ratings::{self, Rating, RatingQuery, RatingSource};
use crate::domain::rules::{self, Refusal};
use crate::domain::shop_settings::IngestShop;
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::storage::ratings::{self as repo, RatingSpec};
use crate::storage::write::{Db, WriteTx};
use crate::storage::{accounts, buyers, conversations, faq, messages, outbox, shops};
use serde::Serialize;
use shopmux_contract::content::MessageContent;

/// A page of ratings, newest first.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RatingPage {
    /// The ratings.
    pub items: Vec<Rating>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// What recording a rating wrote, to publish after the commit.
struct Recorded {
    rating: Rating,
    thanks: Option<Message>,
    changed: Option<Conversation>,
}

impl Inbox {
    /// Sends a rating invitation in a conversation: a rating card with no preselected
    /// score, as the agent's reply (the platform's rules decide, like any reply). Refused
    /// naming the rule where the platform does not carry rating cards (ALL-CARD-1).
    pub async fn request_rating(&self, viewer: &Viewer, id: ConversationId) -> CoreResult<Message> {
        let conversation = self.conversation(viewer, id).await?;
        let caps = self.registry.capabilities(conversation.platform.as_str());
        if !caps.sends && !caps.storefront_chat {
            // rule: ALL-CARD-1 (a platform that cannot carry the card refuses it clearly)
            return Err(CoreError::RuleViolation(Refusal {
                rule: "ALL-CARD-1".into(),
                message: format!(
                    "{} chat cannot carry a rating invitation: shopmux cannot send there",
                    conversation.platform
                ),
                window_closed_at: None,
            }));
        }
        // rule: DY-RATE-1 (an agent may send a rating invitation, with no score chosen)
        self.reply(viewer, id, ratings::invitation()).await
    }

    /// Where a rating from this shop's channel comes from.
    fn rating_source(&self, shop: &IngestShop) -> RatingSource {
        let caps = self.registry.capabilities(shop.platform.as_str());
        if caps.storefront_chat {
            RatingSource::Storefront
        } else if caps.signed_inbound {
            RatingSource::ApiChannel
        } else {
            RatingSource::Platform
        }
    }

    /// Records the rating a buyer's message carries, if it is one (a rating card with a
    /// score), and thanks the buyer naming the agent rated. A message is a rating once: a
    /// redelivery, or a retry after a failure, changes nothing already recorded.
    pub(crate) async fn record_rating(
        &self, shop: &IngestShop, stored: &IngestOutcome, content: &MessageContent,
    ) -> CoreResult<()> {
        let Some((score, comment)) = ratings::rated(content) else {
            return Ok(());
        };
        let source = self.rating_source(shop);
        let mut w = self.store.begin_write().await?;
        let Some(recorded) =
            self.write_rating(&mut w, shop, stored, (score, comment), source).await?
        else {
            return Ok(());
        };
        w.commit().await?;
        if let Some(message) = recorded.thanks {
            self.outbox_wake.notify_one();
            self.events.publish(InboxEvent::MessageCreated { message });
        }
        if let Some(conversation) = recorded.changed {
            self.events.publish(InboxEvent::ConversationUpdated { conversation });
        }
        let r = &recorded.rating;
        self.service_data_changed(r.shop_id, r.agent_id, r.conversation_id);
        self.events.publish(InboxEvent::RatingReceived { rating: recorded.rating });
        Ok(())
    }

    /// Writes a rating and its thank-you in `w`; none when the message is a rating
    /// already.
    async fn write_rating(
        &self, w: &mut WriteTx<'_>, shop: &IngestShop, stored: &IngestOutcome,
        (score, comment): (u8, Option<String>), source: RatingSource,
    ) -> CoreResult<Option<Recorded>> {
        let Some((seller, conversation)) = conversations::lock(w, stored.conversation_id).await?
        else {
            return Ok(None);
        };
        let at = match messages::get(Db::Tx(w), stored.message_id).await? {
            Some(m) => m.created_at,
            None => self.clock.now(),
        };
        let agent_id = match conversation.assignee_id {
            Some(agent) => Some(agent),
            None => repo::last_replying_agent(w, conversation.buyer_id).await?,
        };
        let rating = Rating {
            message_id: stored.message_id,
            conversation_id: conversation.id,
            shop_id: conversation.shop_id,
            buyer_id: conversation.buyer_id,
            agent_id,
            score: i64::from(score),
            comment,
            source,
            latest: true,
            created_at: at,
        };
        if !repo::insert(w, seller, &rating).await? {
            return Ok(None);
        }
        let mut after = conversation.clone();
        if after.waiting_since == Some(at) {
            // A rating awaits no answer: when it is all the buyer is waiting on, the
            // conversation is not unreplied (nor timed) because of it.
            after.waiting_since = None;
        }
        let thanks = self.thank(w, shop, seller, &mut after, agent_id).await?;
        if after != conversation {
            self.stamp(&mut after).await?;
        }
        let changed = (after != conversation).then(|| after.clone());
        if let Some(after) = changed.clone() {
            conversations::save(w, &[(seller, Some(conversation), after)]).await?;
        }
        let rating = repo::get_in(w, rating.message_id).await?.unwrap_or(rating);
        queue_rating_webhook(w, &after, &rating).await?;
        Ok(Some(Recorded { rating, thanks, changed }))
    }

    /// Queues the thank-you naming the agent rated (the shop, with no agent), where the
    /// platform's rules let a message reach the buyer now, and shows it as the
    /// conversation's latest message; a bot message, not a human reply (unread stays).
    async fn thank(
        &self, w: &mut WriteTx<'_>, shop: &IngestShop, seller: SellerId,
        conversation: &mut Conversation, agent: Option<AgentId>,
    ) -> CoreResult<Option<Message>> {
        let name = match agent {
            Some(id) => accounts::agent(Db::Tx(w), id, Some(seller)).await?.map(|a| a.nickname),
            None => None,
        };
        let name = match name {
            Some(name) => name,
            None => {
                shops::get(&self.store, shop.shop_id).await?.map(|s| s.name).unwrap_or_default()
            }
        };
        let texts = faq::texts(Db::Tx(w), conversation.shop_id).await?;
        let buyer = buyers::get(&self.store, conversation.buyer_id).await?;
        let language = buyer.and_then(|b| b.language);
        let content = ratings::thank_you(&texts, language.as_deref(), name.trim());
        let now = self.clock.now();
        let orders = buyers::orders_of(Db::Tx(w), conversation.buyer_id).await?;
        let rule_set = self.shop_rules(conversation.shop_id).await?;
        if let Err(refusal) = rules::check_reply(&rule_set, conversation, &orders, &content, now) {
            tracing::info!(message = "Rating thank-you not sent.", rule = %refusal.rule);
            return Ok(None);
        }
        let mut message = thank_you_message(conversation, content, now);
        self.deliver_if_recorded(&conversation.platform, std::slice::from_mut(&mut message));
        outbox::queue(w, std::slice::from_ref(&message), now).await?;
        conversation.last_message_at = conversation.last_message_at.max(now);
        conversation.preview = crate::domain::conversation::preview_of(&message.content);
        Ok(Some(message))
    }

    /// The ratings the viewer may see, newest first, filtered and paged.
    pub async fn ratings(&self, viewer: &Viewer, q: &RatingQuery) -> CoreResult<RatingPage> {
        ratings::check_query(q)?;
        let limit = page_size(q.limit)?;
        let after = q.cursor.as_deref().map(|c| decode_cursor("cursor", c)).transpose()?;
        if let Some(shop) = q.shop_id
            && !viewer.can_see(shop)
        {
            return Err(CoreError::NotFound("shop"));
        }
        if let Some(id) = q.conversation_id {
            self.conversation(viewer, id).await?;
        }
        let mut scope: Vec<ShopId> = viewer
            .visible_shops
            .iter()
            .copied()
            .filter(|s| q.shop_id.is_none_or(|only| only == *s))
            .collect();
        scope.sort();
        if scope.is_empty() {
            return Ok(RatingPage { items: vec![], next_cursor: None });
        }
        let spec = RatingSpec {
            seller: viewer.agent.seller_id,
            shops: Some(&scope),
            conversation: q.conversation_id,
            agent: q.agent_id,
            source: q.source,
            score: q.score,
            from: q.from,
            to: q.to,
            latest: q.latest == Some(true),
            after,
            limit: limit + 1,
        };
        let mut items = repo::page(&self.store, &spec).await?;
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|r| encode_cursor(to_millis(r.created_at), &r.message_id.to_string()))
        } else {
            None
        };
        Ok(RatingPage { items, next_cursor })
    }
}

/// The thank-you as a bot message of the conversation, pending delivery.
fn thank_you_message(
    conversation: &Conversation, content: MessageContent, at: chrono::DateTime<chrono::Utc>,
) -> Message {
    Message {
        id: MessageId::new(),
        conversation_id: conversation.id,
        shop_id: conversation.shop_id,
        direction: Direction::Out,
        sender_kind: SenderKind::Bot,
        sender_agent_id: None,
        content,
        translated_text: None,
        platform_message_id: None,
        created_at: at,
        delivery_status: Some(DeliveryStatus::Pending),
        delivery_error: None,
        analysis: Default::default(),
        translation: None,
    }
}

/// Queues `rating.received` for the seller's subscribed endpoints, in the rating's own
/// transaction.
async fn queue_rating_webhook(
    w: &mut WriteTx<'_>, conversation: &Conversation, rating: &Rating,
) -> CoreResult<()> {
    let mut extra = serde_json::Map::new();
    extra.insert("rating".into(), serde_json::to_value(rating).unwrap_or_default());
    let event = crate::domain::webhooks::WebhookEvent::RatingReceived;
    let storage = crate::storage::webhook_queue::queue_conversation_event;
    storage(w, event, conversation, rating.created_at, extra).await
}
