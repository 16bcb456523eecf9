//! The event bus: what changed in the inbox, pushed to live streams after the change
//! is committed. In-process `tokio::sync::broadcast`; receivers that fall behind are
//! told they lagged so they can resynchronize through the API.

use crate::domain::ids::{ConversationId, ShopId};
use crate::domain::model::{Conversation, Message};
use serde::Serialize;
use tokio::sync::broadcast;

/// One change in the inbox.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum InboxEvent {
    /// A message was stored (inbound or outbound).
    MessageCreated {
        /// The message.
        message: Message,
    },
    /// A message's delivery status changed.
    MessageUpdated {
        /// The message.
        message: Message,
    },
    /// A conversation's state changed.
    ConversationUpdated {
        /// The conversation after the change.
        conversation: Conversation,
    },
}

impl InboxEvent {
    /// The shop the event belongs to (for visibility filtering).
    pub fn shop_id(&self) -> ShopId {
        match self {
            Self::MessageCreated { message } | Self::MessageUpdated { message } => message.shop_id,
            Self::ConversationUpdated { conversation } => conversation.shop_id,
        }
    }

    /// The conversation the event belongs to.
    pub fn conversation_id(&self) -> ConversationId {
        match self {
            Self::MessageCreated { message } | Self::MessageUpdated { message } => {
                message.conversation_id
            }
            Self::ConversationUpdated { conversation } => conversation.id,
        }
    }
}

/// The publishing side of the bus; clone freely.
#[derive(Clone, Debug)]
pub struct EventBus {
    tx: broadcast::Sender<InboxEvent>,
}

impl EventBus {
    /// A bus keeping up to `capacity` undelivered events per receiver.
    pub fn new(capacity: usize) -> Self {
        Self { tx: broadcast::channel(capacity).0 }
    }

    /// Publishes; nobody listening is fine.
    pub fn publish(&self, event: InboxEvent) {
        let _ = self.tx.send(event);
    }

    /// A new receiver of every later event.
    pub fn subscribe(&self) -> broadcast::Receiver<InboxEvent> {
        self.tx.subscribe()
    }
}
