//! An inbound buyer message as the inbox takes it, whatever its source: normalized from
//! the adapter's event (instants as times, the conversation id with the buyer), checked
//! for what no database constraint checks, and what became of it. It reads from JSON
//! too (tools and tests write messages that way).

use super::ids::{ConversationId, MessageId};
use super::model::{EntryPoint, TextAnalysis};
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shopmux_contract::adapter::BuyerMessage;
use shopmux_contract::content::MessageContent;

/// The buyer of an inbound message, as the platform knows them.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InboundBuyer {
    /// The platform's buyer id.
    pub external_id: String,
    /// Nickname; kept from earlier messages when absent.
    pub nickname: Option<String>,
    /// Language tag (`en`, `es`, `zh-CN`).
    pub language: Option<String>,
    /// Email, when the buyer gave one.
    pub email: Option<String>,
    /// The platform's conversation with this buyer, where replies are sent (set by
    /// marketplace adapters).
    pub platform_conversation_id: Option<String>,
}

/// An order an inbound message refers to.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InboundOrder {
    /// The platform's order id.
    pub external_id: String,
    /// When the order was created (defaults to now for an order first seen).
    pub created_at: Option<DateTime<Utc>>,
    /// The platform's order status.
    pub status: Option<String>,
    /// Whether a return/refund is in progress.
    pub reverse_in_progress: Option<bool>,
}

/// A normalized inbound message, whatever platform it came from.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InboundMessage {
    /// Who wrote it.
    pub buyer: InboundBuyer,
    /// The platform's message id: the idempotency key within the shop.
    pub platform_message_id: String,
    /// The content.
    pub content: MessageContent,
    /// When the platform says it was sent (defaults to now; never later than now).
    pub sent_at: Option<DateTime<Utc>>,
    /// An order the message refers to.
    pub order: Option<InboundOrder>,
    /// Where the buyer started the chat (ALL-SRC-1).
    pub entry_point: Option<EntryPoint>,
    /// Its language and topic, read by the inbox before it is queued (never given).
    #[serde(skip)]
    pub analysis: TextAnalysis,
    /// The terms its text is found by, worked out before it is queued so that the one
    /// writer only stores them (none: the writer works them out).
    #[serde(skip)]
    pub index_terms: Option<Vec<String>>,
}

impl InboundMessage {
    /// The message as the inbox takes it, from an adapter's (every source shares this).
    pub fn from_event(m: BuyerMessage) -> InboundMessage {
        let buyer = InboundBuyer {
            external_id: m.buyer.external_id,
            nickname: m.buyer.nickname,
            language: m.buyer.language,
            email: m.buyer.email,
            platform_conversation_id: m.platform_conversation_id,
        };
        let order = m.order.map(|o| InboundOrder {
            external_id: o.external_id,
            created_at: o.created_at_ms.and_then(DateTime::from_timestamp_millis),
            status: o.status,
            reverse_in_progress: o.reverse_in_progress,
        });
        InboundMessage {
            buyer,
            platform_message_id: m.platform_message_id,
            content: m.content,
            sent_at: m.sent_at_ms.and_then(DateTime::from_timestamp_millis),
            order,
            entry_point: m.entry_point,
            analysis: TextAnalysis::default(),
            index_terms: None,
        }
    }

    /// Checks the fields no database constraint checks.
    pub fn validate(&self) -> CoreResult<()> {
        let bounded = |field: &str, v: &str, max: usize| {
            if v.trim().is_empty() || v.len() > max {
                Err(CoreError::invalid(field, format!("must be 1 to {max} bytes")))
            } else {
                Ok(())
            }
        };
        bounded("buyer.external_id", &self.buyer.external_id, 256)?;
        bounded("platform_message_id", &self.platform_message_id, 256)?;
        if let Some(n) = &self.buyer.nickname {
            bounded("buyer.nickname", n, 256)?;
        }
        if let Some(o) = &self.order {
            bounded("order.external_id", &o.external_id, 256)?;
        }
        self.content.validate().map_err(|e| CoreError::invalid(e.field, e.message))
    }
}

/// A customer's own words in a message (only texts are classified: cards, images and
/// notices are not customer-initiated questions).
pub fn customer_text(content: &MessageContent) -> Option<&str> {
    match content {
        MessageContent::Text { text } => Some(text),
        _ => None,
    }
}

/// What became of an inbound message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IngestOutcome {
    /// The stored message (the earlier one, for a duplicate).
    pub message_id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Whether this delivery repeated one already stored.
    pub duplicate: bool,
}

/// The order card an order notice shows in the buyer's conversation (for platforms
/// whose order is the buyer activity shopmux sees): one message per order state, so a
/// redelivered notice stores nothing twice; it opens the conversation from the order
/// page (ALL-SRC-1).
pub fn order_card(order: &shopmux_contract::adapter::OrderInfo) -> InboundMessage {
    let reverse = order.reverse_in_progress.unwrap_or(false);
    let status = match (&order.status, reverse) {
        (Some(s), true) => Some(format!("{s} · return requested")),
        (None, true) => Some("return requested".to_owned()),
        (s, false) => s.clone(),
    };
    InboundMessage {
        buyer: InboundBuyer {
            external_id: order.buyer.external_id.clone(),
            nickname: order.buyer.nickname.clone(),
            language: None,
            email: order.buyer.email.clone(),
            platform_conversation_id: None,
        },
        platform_message_id: format!(
            "order:{}:{}",
            order.external_id,
            status.as_deref().unwrap_or("placed")
        ),
        content: MessageContent::OrderCard { order_id: order.external_id.clone(), status },
        sent_at: None,
        order: Some(InboundOrder {
            external_id: order.external_id.clone(),
            created_at: order.created_at_ms.and_then(DateTime::from_timestamp_millis),
            status: order.status.clone(),
            reverse_in_progress: order.reverse_in_progress,
        }),
        entry_point: Some(EntryPoint::OrderPage),
        analysis: TextAnalysis::default(),
        index_terms: None,
    }
}
