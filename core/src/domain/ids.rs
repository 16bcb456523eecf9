//! Typed identifiers. Every id is a UUIDv7 (time-ordered, so inserts append to the
//! B-tree instead of scattering: see `perf-notes.md`, random keys halve throughput),
//! stored as its hyphenated text form in both SQLite and PostgreSQL.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Declares one typed id: a newtype over `Uuid` with text conversions.
macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

typed_id!(
    /// A seller: the tenant that owns shops and agent accounts.
    SellerId
);
typed_id!(
    /// A shop of one platform, connected by a seller.
    ShopId
);
typed_id!(
    /// An agent account (main account or sub-account) of a seller.
    AgentId
);
typed_id!(
    /// A buyer, as known to one shop.
    BuyerId
);
typed_id!(
    /// An order of a buyer in a shop.
    OrderId
);
typed_id!(
    /// A conversation (one chat session between a buyer and a shop).
    ConversationId
);
typed_id!(
    /// A message of a conversation.
    MessageId
);
typed_id!(
    /// An internal note on a buyer.
    NoteId
);
typed_id!(
    /// An outbox entry: one outbound message to deliver.
    OutboxId
);
typed_id!(
    /// A quick reply (an agent's own or a shop's).
    QuickReplyId
);
typed_id!(
    /// A seller's outbound webhook endpoint.
    WebhookEndpointId
);
typed_id!(
    /// One event queued for one webhook endpoint.
    WebhookDeliveryId
);
typed_id!(
    /// A question of a shop's FAQ (DY-BOT-1).
    FaqQuestionId
);
