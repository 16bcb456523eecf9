//! The domain model: sellers, shops, agents, buyers, orders, conversations, messages.
//! Plain data with typed ids; storage and HTTP map to and from these. The platform id
//! and the message content are the adapter contract's own types.

use super::ids::*;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
pub use shopmux_contract::Platform;
pub use shopmux_contract::adapter::EntryPoint;
use shopmux_contract::content::MessageContent;
use std::fmt;
use std::str::FromStr;

/// Declares `as_str` and `FromStr` for a fieldless enum stored as text.
macro_rules! text_enum {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            /// The stored and serialized name.
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    other => Err(format!(
                        "unknown {} `{other}` (expected one of: {})",
                        stringify!($name),
                        [$($text),+].join(", ")
                    )),
                }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A seller: the tenant owning shops and agent accounts.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Seller {
    /// Id.
    pub id: SellerId,
    /// Display name.
    pub name: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// A shop of one platform (rule ALL-SHOP-1: chat is managed per shop).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shop {
    /// Id.
    pub id: ShopId,
    /// The seller owning it.
    pub seller_id: SellerId,
    /// Its platform.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub platform: Platform,
    /// The platform's id of the shop.
    pub external_id: String,
    /// Region or country (one platform shop per country).
    pub region: String,
    /// Display name.
    pub name: String,
    /// Free-form per-shop settings (rule overrides, routing choices) as JSON.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub settings: serde_json::Value,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// The role of an account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The seller's main account: sees and manages every shop of the seller.
    Owner,
    /// A sub-account: sees only the shops it is granted.
    Agent,
    /// Runs the daemon: health and metrics, no conversations.
    Operator,
}
text_enum!(Role { Owner => "owner", Agent => "agent", Operator => "operator" });

/// An agent's presence status (rule DY-STATUS-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Receives new conversations.
    Online,
    /// Receives no new conversations.
    Busy,
    /// Away.
    Offline,
}
text_enum!(AgentStatus { Online => "online", Busy => "busy", Offline => "offline" });

/// The smallest and largest number of simultaneous buyers an agent may set (DY-CAP-1).
pub const CAPACITY_RANGE: std::ops::RangeInclusive<i64> = 1..=50;

/// An agent account of a seller: the main account or a sub-account.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Agent {
    /// Id.
    pub id: AgentId,
    /// The seller.
    pub seller_id: SellerId,
    /// Owner (main account), agent (sub-account) or operator.
    pub role: Role,
    /// Nickname shown to colleagues (unique per seller).
    pub nickname: String,
    /// Presence status.
    pub status: AgentStatus,
    /// Whether it takes automatic assignments.
    pub accept_assignment: bool,
    /// Whether it has a live stream open.
    pub connected: bool,
    /// Most simultaneous buyers, 1..50.
    pub capacity: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The name it signs in with (unique across the daemon); none for an account that
    /// signs in with its bearer token only.
    #[serde(default)]
    pub login: Option<String>,
    /// Whether it has a password (the hash itself never leaves the store).
    #[serde(default)]
    pub has_password: bool,
    /// False while the main account has it deactivated: it then signs in with nothing
    /// (token, web session or password) and is routed nothing.
    #[serde(default = "active_default")]
    pub active: bool,
}

fn active_default() -> bool {
    true
}

/// A shop an agent is granted, and whether it may chat there (DY-PERM-1, SH-ASSIGN-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShopGrant {
    /// The shop.
    pub shop_id: ShopId,
    /// Whether the agent may answer chats in it.
    pub can_chat: bool,
}

/// A buyer as known to one shop.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Buyer {
    /// Id.
    pub id: BuyerId,
    /// The shop.
    pub shop_id: ShopId,
    /// The platform's id of the buyer.
    pub external_id: String,
    /// Nickname as the platform shows it.
    pub nickname: String,
    /// Language tag, when known.
    pub language: Option<String>,
    /// Email, when the buyer gave one.
    pub email: Option<String>,
    /// When shopmux first saw the buyer.
    pub created_at: DateTime<Utc>,
}

/// An order of a buyer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Order {
    /// Id.
    pub id: OrderId,
    /// The shop.
    pub shop_id: ShopId,
    /// The buyer.
    pub buyer_id: BuyerId,
    /// The platform's order id.
    pub external_id: String,
    /// When the order was created on the platform.
    pub created_at: DateTime<Utc>,
    /// The platform's status name.
    pub status: String,
    /// Whether a return/refund (reverse order) is in progress.
    pub reverse_in_progress: bool,
    /// The number buyers see (`#1001`), when the platform has one besides the id.
    pub name: Option<String>,
    /// The order's total, a decimal string with currency.
    pub total: Option<String>,
    /// The parcel's tracking number, when the platform reported one.
    pub tracking_number: Option<String>,
}

/// A conversation's lifecycle state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConversationState {
    /// Waiting for an agent.
    Unassigned,
    /// Held by an agent.
    InProgress,
    /// Ended by an agent or a timer; in history.
    Ended,
    /// Closed.
    Closed,
}
text_enum!(ConversationState {
    Unassigned => "unassigned",
    InProgress => "in_progress",
    Ended => "ended",
    Closed => "closed",
});

impl ConversationState {
    /// Unassigned or in progress.
    pub fn is_open(self) -> bool {
        matches!(self, Self::Unassigned | Self::InProgress)
    }
}

/// A flag colour (AE-FILTER-1 star colours, TT-FLAG-1 flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FlagColour {
    /// Red.
    Red,
    /// Orange.
    Orange,
    /// Yellow.
    Yellow,
    /// Green.
    Green,
    /// Blue.
    Blue,
    /// Purple.
    Purple,
}
text_enum!(FlagColour {
    Red => "red",
    Orange => "orange",
    Yellow => "yellow",
    Green => "green",
    Blue => "blue",
    Purple => "purple",
});

/// A conversation between a buyer and a shop.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Conversation {
    /// Id.
    pub id: ConversationId,
    /// The shop.
    pub shop_id: ShopId,
    /// The shop's platform.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub platform: Platform,
    /// The buyer.
    pub buyer_id: BuyerId,
    /// Where the buyer started it (ALL-SRC-1).
    pub entry_point: EntryPoint,
    /// Lifecycle state.
    pub state: ConversationState,
    /// The agent holding it, if any.
    pub assignee_id: Option<AgentId>,
    /// Flag colour, if flagged.
    pub flag: Option<FlagColour>,
    /// Topic labels, latest first.
    pub topics: Vec<String>,
    /// Whether the buyer has an order in this shop linked to it.
    pub has_order: bool,
    /// Number of buyer messages not yet read (ALL-UNREAD-1).
    pub unread_count: i64,
    /// Since when the buyer waits for a human reply; none when answered.
    pub waiting_since: Option<DateTime<Utc>>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// The latest message's time.
    pub last_message_at: DateTime<Utc>,
    /// The latest buyer message's time.
    pub last_buyer_message_at: Option<DateTime<Utc>>,
    /// The latest human agent reply's time.
    pub last_agent_reply_at: Option<DateTime<Utc>>,
    /// When it was last assigned to an agent.
    pub assigned_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// A summary of the latest message.
    pub preview: String,
    /// The FAQ bot handles it: not waiting for an agent, not routed until the bot hands
    /// it over or an agent takes it (DY-BOT-3, DY-BOT-4).
    #[serde(default)]
    pub bot_active: bool,
    /// The bot's consecutive misses in it (DY-BOT-3).
    #[serde(default)]
    pub bot_misses: i64,
    /// Its earliest deadline not yet missed (the reply window, a lifecycle timer, a
    /// service figure's mark, the shop's target), kept current as it changes and as
    /// deadlines pass: the "most urgent first" order.
    #[serde(default)]
    pub next_breach_at: Option<DateTime<Utc>>,
    /// When the shop's first-reply target falls due (stored, not served).
    #[serde(skip)]
    pub sla_due_at: Option<DateTime<Utc>>,
    /// When to warn that the target is about to be missed; none once warned.
    #[serde(skip)]
    pub breach_warn_at: Option<DateTime<Utc>>,
    /// When a human agent first took it (DY-QA-2); later moves leave it.
    #[serde(default)]
    pub first_assigned_at: Option<DateTime<Utc>>,
    /// The buyer's first message since the last human reply that awaits one (a rating
    /// card awaits none; bot answers and hand-offs leave it): the wait DY-QA-1 times and
    /// counts as unreplied after 10 minutes (stored, not served).
    #[serde(skip)]
    pub reply_wait_since: Option<DateTime<Utc>>,
}

impl Conversation {
    /// Whether the buyer's latest message still awaits a human reply.
    pub fn is_unreplied(&self) -> bool {
        self.waiting_since.is_some()
    }
}

/// Inbound (from the buyer) or outbound (to the buyer).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// From the buyer.
    In,
    /// To the buyer.
    Out,
}
text_enum!(Direction { In => "in", Out => "out" });

/// Who sent a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    /// The buyer.
    Buyer,
    /// A human agent.
    Agent,
    /// An automatic reply or bot (not a human reply).
    Bot,
    /// The platform or shopmux.
    System,
}
text_enum!(SenderKind { Buyer => "buyer", Agent => "agent", Bot => "bot", System => "system" });

/// Where an outbound message is on its way to the platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Accepted, waiting in the outbox.
    Pending,
    /// Delivered to the platform.
    Delivered,
    /// Refused by the platform or out of retries; the error says why.
    Failed,
}
text_enum!(DeliveryStatus { Pending => "pending", Delivered => "delivered", Failed => "failed" });

/// A message of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Message {
    /// Id.
    pub id: MessageId,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The shop.
    pub shop_id: ShopId,
    /// In or out.
    pub direction: Direction,
    /// Who sent it.
    pub sender_kind: SenderKind,
    /// The agent who sent it, for agent messages.
    pub sender_agent_id: Option<AgentId>,
    /// The content.
    pub content: MessageContent,
    /// The translated text, when translated.
    pub translated_text: Option<String>,
    /// The platform's id of the message (unique per shop).
    pub platform_message_id: Option<String>,
    /// When it was sent.
    pub created_at: DateTime<Utc>,
    /// For outbound messages, the delivery status.
    pub delivery_status: Option<DeliveryStatus>,
    /// For failed deliveries, the platform's error.
    pub delivery_error: Option<String>,
    /// The translation's state and languages (TT-TR-1, AE-TR-2), when one applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub translation: Option<MessageTranslation>,
    /// A buyer's text: its detected language and topic (issue 18).
    #[serde(flatten)]
    pub analysis: TextAnalysis,
}

/// What shopmux read in a buyer's text, offline: its language (none when too short to
/// tell, e.g. an emoji) and its topic label, applied only at 90 % confidence
/// (SH-TOPIC-1, SH-TOPIC-2).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TextAnalysis {
    /// The language detected (ISO 639-1: `en`, `es`, `pl`, `zh`, ...).
    #[serde(default)]
    pub detected_language: Option<String>,
    /// The detector's confidence, 0 to 1.
    #[serde(default)]
    pub language_confidence: Option<f32>,
    /// The topic label.
    #[serde(default)]
    pub topic: Option<super::topics::Topic>,
    /// The label's calibrated confidence, 0.9 to 1.
    #[serde(default)]
    pub topic_confidence: Option<f32>,
}

/// Where a message's translation stands. Inbound, `translated_text` is the buyer's
/// text in the agent's language; outbound, the message's content is what was sent and
/// `original_text` what the agent wrote. The original is never replaced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageTranslation {
    /// The state.
    pub status: TranslationStatus,
    /// The language translated from (the original's), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The language translated into.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The provider that translated it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Why it is untranslated (`budget_exceeded: …`, `provider_failed: …`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Outbound: the agent's text before translation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub original_text: Option<String>,
}

/// The state of a message's translation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TranslationStatus {
    /// Waiting for the translation worker.
    #[default]
    Pending,
    /// Translated.
    Translated,
    /// Already in the reader's language.
    SameLanguage,
    /// Left untranslated; `error` says why.
    Failed,
}
text_enum!(TranslationStatus {
    Pending => "pending", Translated => "translated", SameLanguage => "same_language",
    Failed => "failed"
});

/// An internal note on a buyer, never shown to the buyer (SH-NOTE-1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuyerNote {
    /// Id.
    pub id: NoteId,
    /// The buyer.
    pub buyer_id: BuyerId,
    /// Who wrote it.
    pub author_id: AgentId,
    /// The note.
    pub body: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// When it was last edited.
    pub updated_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_enums_round_trip_and_name_the_choices() {
        for s in ConversationState::ALL {
            assert_eq!(s.as_str().parse::<ConversationState>().unwrap(), *s);
        }
        let err = "purple-ish".parse::<FlagColour>().unwrap_err();
        assert!(err.contains("red"), "{err}");
    }
}
