//! What platforms tell shopmux, normalized: the [`InboundEvent`]s an adapter's webhook
//! parse or poll produces — buyer messages, order and after-sale changes, carts and
//! customer profiles — with the values they carry. The core applies every event the same
//! way whatever its source (webhook, poll, plugin, the `api` channel).

use crate::content::MessageContent;
use serde::{Deserialize, Serialize};

/// A buyer as a platform event names it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventBuyer {
    /// The buyer's id on the platform.
    pub external_id: String,
    /// Display name, when sent.
    pub nickname: Option<String>,
    /// Email, when the platform shares it.
    pub email: Option<String>,
    /// Language tag (`en`, `es`, `zh-CN`), when the platform says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// Where the buyer started a conversation (rule ALL-SRC-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EntryPoint {
    /// A product page (pre-sale).
    ProductPage,
    /// An order page (after-sale).
    OrderPage,
    /// An after-sale or return page.
    AfterSale,
    /// A dispute page.
    Dispute,
    /// A storefront chat widget.
    Storefront,
    /// The seller started it.
    SellerInitiated,
    /// The platform did not say.
    #[default]
    Unknown,
}

impl EntryPoint {
    /// Every entry point with its stored and serialized name.
    pub const ALL: &'static [(EntryPoint, &'static str)] = &[
        (Self::ProductPage, "product_page"),
        (Self::OrderPage, "order_page"),
        (Self::AfterSale, "after_sale"),
        (Self::Dispute, "dispute"),
        (Self::Storefront, "storefront"),
        (Self::SellerInitiated, "seller_initiated"),
        (Self::Unknown, "unknown"),
    ];

    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        Self::ALL.iter().find(|(e, _)| *e == self).map_or("unknown", |(_, name)| name)
    }
}

impl std::str::FromStr for EntryPoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(_, name)| *name == s)
            .map(|(e, _)| *e)
            .ok_or_else(|| format!("unknown entry point `{s}`"))
    }
}

impl std::fmt::Display for EntryPoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order a buyer message refers to.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageOrder {
    /// The platform's order id.
    pub external_id: String,
    /// When the order was created, Unix milliseconds (now, for an order first seen).
    pub created_at_ms: Option<i64>,
    /// The platform's order status.
    pub status: Option<String>,
    /// Whether a return/refund is in progress.
    pub reverse_in_progress: Option<bool>,
}

/// A buyer message as a platform reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerMessage {
    /// The buyer.
    pub buyer: EventBuyer,
    /// The platform's message id (the deduplication key).
    pub platform_message_id: String,
    /// The platform's conversation id.
    pub platform_conversation_id: Option<String>,
    /// The content.
    pub content: MessageContent,
    /// When the platform says it was sent, Unix milliseconds.
    pub sent_at_ms: Option<i64>,
    /// An order the message refers to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<MessageOrder>,
    /// Where the buyer started the chat (ALL-SRC-1), when the platform says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entry_point: Option<EntryPoint>,
}

/// Something a platform told us, normalized.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum InboundEvent {
    /// A buyer message.
    Message(BuyerMessage),
    /// An order of the shop was created or changed. Platforms whose notices do not name
    /// the buyer leave `buyer` empty; the host then asks
    /// [`Adapter::fetch_order`](crate::adapter::Adapter::fetch_order).
    OrderChanged {
        /// The platform's order id.
        order_external_id: String,
        /// The buyer, when the notice names them.
        buyer: Option<EventBuyer>,
        /// Whether a return or refund is now under way, when the notice says.
        reverse_in_progress: Option<bool>,
        /// When the platform made the change the notice reports (its update time or
        /// version, Unix milliseconds), so a late or replayed notice never rolls the
        /// order back. Absent: the notice cannot be ordered and applies as it comes.
        #[serde(default)]
        updated_at_ms: Option<i64>,
    },
    /// An order with its details, as the platform's notice carries them (recorded as
    /// is, no look-up).
    OrderUpdated {
        /// The order.
        order: OrderInfo,
    },
    /// A shopping cart changed (Shopify's cart webhooks; SH-CART-1). The host matches the
    /// cart to the customer's chat by its token and adds a cart event to the conversation
    /// with what was added or removed since the cart's last state.
    CartChanged {
        /// The cart's token (what the storefront's `/cart.js` reports).
        cart_token: String,
        /// Every line of the cart now.
        lines: Vec<CartLineInfo>,
        /// The subtotal now, a decimal string with currency (`"59.80 USD"`).
        subtotal: Option<String>,
        /// When the cart changed, Unix milliseconds (orders redeliveries).
        updated_at_ms: Option<i64>,
    },
    /// What the platform knows about a buyer changed (Shopify's customer webhooks,
    /// SH-PROFILE-1).
    BuyerProfileChanged {
        /// The buyer's profile now.
        profile: BuyerProfile,
    },
    /// The platform says the seller's authorization changed: revoked (the app was
    /// uninstalled, the seller deauthorized it) or about to expire. The host records it
    /// on the shop's connection; nothing stored is dropped.
    AuthorizationChanged {
        /// What happened.
        change: AuthorizationChange,
        /// The platform's words, for the owner.
        #[serde(default)]
        detail: Option<String>,
        /// When the authorization expires (Unix milliseconds), when the platform says.
        #[serde(default)]
        expires_at_ms: Option<i64>,
    },
    /// A privacy request the platform forwards on a buyer's or the shop's behalf (a
    /// Shopify app's mandatory `customers/data_request`, `customers/redact`,
    /// `shop/redact`): the host exports or redacts that data and records it was done.
    PrivacyRequest {
        /// The request.
        request: PrivacyRequest,
    },
    /// An event shopmux does not act on (kept for logs).
    Ignored {
        /// Why.
        reason: String,
    },
    /// An event of a newer contract than this daemon knows (a plugin built later): not
    /// acted on. Keeps the event list additive across versions.
    #[serde(other)]
    Unknown,
}

impl InboundEvent {
    /// The buyer message this event is, if it is one.
    pub fn as_message(&self) -> Option<&BuyerMessage> {
        match self {
            InboundEvent::Message(message) => Some(message),
            _ => None,
        }
    }
}

/// A change of a seller's authorization ([`InboundEvent::AuthorizationChanged`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorizationChange {
    /// Access is gone: calls fail until the seller connects again.
    Revoked,
    /// Access ends soon (at `expires_at_ms`): the seller should connect again.
    Expiring,
}

/// What a privacy request asks ([`InboundEvent::PrivacyRequest`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyKind {
    /// Give the shop the data shopmux holds on the buyers named.
    Export,
    /// Erase the personal data of the buyers named.
    RedactBuyers,
    /// Erase the personal data of every buyer of the shop.
    RedactShop,
}

/// A privacy request: its kind, the platform's id of it, and the buyers it names (as the
/// adapter's events name buyers; every form the platform gives, such as a customer id and
/// an email).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyRequest {
    /// What is asked.
    pub kind: PrivacyKind,
    /// The platform's id of the request (deduplicates redeliveries), when it gives one.
    #[serde(default)]
    pub request_id: Option<String>,
    /// The buyers it names (none for [`PrivacyKind::RedactShop`]).
    #[serde(default)]
    pub buyer_external_ids: Vec<String>,
    /// The orders it names, as the platform lists them.
    #[serde(default)]
    pub order_external_ids: Vec<String>,
}

/// One line of a cart.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLineInfo {
    /// The line's identity across updates (the variant id, else the product id).
    pub key: String,
    /// The product's name.
    pub title: Option<String>,
    /// How many are in the cart.
    pub quantity: u32,
}

/// An order as the platform reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// The platform's order id.
    pub external_id: String,
    /// Who bought.
    pub buyer: EventBuyer,
    /// When it was placed, Unix milliseconds.
    pub created_at_ms: Option<i64>,
    /// The platform's status, as text.
    pub status: Option<String>,
    /// Whether a return or refund is in progress.
    pub reverse_in_progress: Option<bool>,
    /// The number buyers and agents see (`#1001`), when it differs from the id.
    pub name: Option<String>,
    /// The order's total, a decimal string with currency.
    pub total: Option<String>,
    /// When the platform last changed the order (its update time or version, Unix
    /// milliseconds): the host applies an order's updates in this order, so a late or
    /// replayed notice never rolls its status back. Absent: applied as it comes.
    #[serde(default)]
    pub updated_at_ms: Option<i64>,
    /// The parcel's tracking number, when the platform's order carries one (the
    /// latest shipment's). Absent: unknown, and a stored one stays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
}

/// What the platform knows about a buyer (the workbench's buyer panel).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerProfile {
    /// The buyer's id on the platform.
    pub external_id: String,
    /// Display name.
    pub nickname: Option<String>,
    /// Email, when the platform shares it.
    pub email: Option<String>,
    /// The buyer's orders in this shop, newest first (as many as the platform returns
    /// in one call).
    #[serde(default)]
    pub orders: Vec<OrderInfo>,
    /// Phone number.
    pub phone: Option<String>,
    /// Where they are (city, country), as the platform writes it.
    pub location: Option<String>,
    /// Their IANA time zone, for their local time.
    pub time_zone: Option<String>,
    /// A customer of the shop since, Unix milliseconds.
    pub customer_since_ms: Option<i64>,
    /// Total spent in the shop, a decimal string with currency.
    pub total_spent: Option<String>,
    /// How many orders they placed in the shop in all.
    pub orders_count: Option<u64>,
}

/// What one poll found: the events since the cursor, and the cursor to pass next time.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PollPage {
    /// The events, oldest first (redeliveries are harmless: messages are deduplicated).
    pub events: Vec<InboundEvent>,
    /// Where the next poll starts; keep the old one when absent.
    pub cursor: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_of_a_newer_contract_read_as_unknown() {
        let newer: Vec<InboundEvent> = serde_json::from_str(
            r#"[{"event": "buyer_typing", "since_ms": 1}, {"event": "ignored", "reason": "x"}]"#,
        )
        .unwrap();
        assert_eq!(newer, [InboundEvent::Unknown, InboundEvent::Ignored { reason: "x".into() }]);
    }

    #[test]
    fn entry_points_round_trip_through_their_names() {
        for (entry, name) in EntryPoint::ALL {
            assert_eq!(entry.as_str(), *name);
            assert_eq!(name.parse::<EntryPoint>().unwrap(), *entry);
            assert_eq!(serde_json::to_value(entry).unwrap(), *name);
        }
        assert!("lobby".parse::<EntryPoint>().is_err());
    }

    #[test]
    fn message_content_crosses_typed() {
        let event: InboundEvent = serde_json::from_str(
            r#"{"event": "message", "buyer": {"external_id": "b1"}, "platform_message_id": "m1",
                "content": {"type": "text", "text": "hi"}}"#,
        )
        .unwrap();
        let message = event.as_message().expect("a message");
        assert_eq!(message.content, MessageContent::Text { text: "hi".into() });
    }
}
