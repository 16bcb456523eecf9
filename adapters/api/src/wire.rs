//! The body of `POST /api/v1/shops/{shop_id}/inbound`: one buyer message as the sending
//! system writes it (instants in RFC 3339), read strictly (unknown fields are refused)
//! and turned into the contract's message event.

use chrono::{DateTime, Utc};
use serde::Deserialize;
use shopmux_contract::MessageContent;
use shopmux_contract::adapter::{BuyerMessage, EntryPoint, EventBuyer, InboundEvent, MessageOrder};

/// The buyer of an inbound message, as the sending system knows them.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InboundBuyer {
    /// The system's buyer id.
    pub external_id: String,
    /// Nickname; kept from earlier messages when absent.
    pub nickname: Option<String>,
    /// Language tag (`en`, `es`, `zh-CN`).
    pub language: Option<String>,
    /// Email, when the buyer gave one.
    pub email: Option<String>,
    /// The system's conversation with this buyer.
    pub platform_conversation_id: Option<String>,
}

/// An order an inbound message refers to.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InboundOrder {
    /// The order id.
    pub external_id: String,
    /// When the order was created (defaults to now for an order first seen).
    pub created_at: Option<DateTime<Utc>>,
    /// The order status.
    pub status: Option<String>,
    /// Whether a return/refund is in progress.
    pub reverse_in_progress: Option<bool>,
}

/// One buyer message.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InboundMessage {
    /// Who wrote it.
    pub buyer: InboundBuyer,
    /// The message id: the idempotency key within the shop.
    pub platform_message_id: String,
    /// The content.
    pub content: MessageContent,
    /// When it was sent (defaults to now; never later than now).
    pub sent_at: Option<DateTime<Utc>>,
    /// An order the message refers to.
    pub order: Option<InboundOrder>,
    /// Where the buyer started the chat (ALL-SRC-1).
    pub entry_point: Option<EntryPoint>,
}

impl InboundMessage {
    /// The contract's event for this message.
    pub fn into_event(self) -> InboundEvent {
        InboundEvent::Message(BuyerMessage {
            buyer: EventBuyer {
                external_id: self.buyer.external_id,
                nickname: self.buyer.nickname,
                email: self.buyer.email,
                language: self.buyer.language,
            },
            platform_message_id: self.platform_message_id,
            platform_conversation_id: self.buyer.platform_conversation_id,
            content: self.content,
            sent_at_ms: self.sent_at.map(|t| t.timestamp_millis()),
            order: self.order.map(|o| MessageOrder {
                external_id: o.external_id,
                created_at_ms: o.created_at.map(|t| t.timestamp_millis()),
                status: o.status,
                reverse_in_progress: o.reverse_in_progress,
            }),
            entry_point: self.entry_point,
        })
    }
}
