//! Outbound webhooks, the pure part: the event kinds a seller's endpoint may subscribe
//! to, which of them a conversation change raises, the JSON body each delivery carries,
//! and the endpoint and delivery as the API shows them. Signing is
//! `webhook_signing.rs`, the retry decision `webhook_retry.rs`.

use super::ids::*;
use super::model::{Conversation, ConversationState, Message};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What an endpoint can subscribe to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WebhookEvent {
    /// A message was stored in a conversation (buyer, agent, automatic or bot).
    #[serde(rename = "message.created")]
    MessageCreated,
    /// A conversation was assigned to an agent (by the router or by hand).
    #[serde(rename = "conversation.assigned")]
    ConversationAssigned,
    /// A conversation ended (an agent or a timer).
    #[serde(rename = "conversation.ended")]
    ConversationEnded,
    /// A conversation was closed.
    #[serde(rename = "conversation.closed")]
    ConversationClosed,
    /// A buyer rated a conversation (`data.rating`, `data.conversation`).
    #[serde(rename = "rating.received")]
    RatingReceived,
    /// The FAQ bot handed a conversation to a human (`data.conversation`, `data.reason`).
    #[serde(rename = "bot.handoff")]
    BotHandoff,
    /// A test ping asked for by the owner (not subscribable).
    #[serde(rename = "ping")]
    Ping,
}

impl WebhookEvent {
    /// Every event an endpoint may subscribe to.
    pub const SUBSCRIBABLE: [Self; 6] = [
        Self::MessageCreated,
        Self::ConversationAssigned,
        Self::ConversationEnded,
        Self::ConversationClosed,
        Self::RatingReceived,
        Self::BotHandoff,
    ];

    /// Its name on the wire (`Shopmux-Event`, the body's `type`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MessageCreated => "message.created",
            Self::ConversationAssigned => "conversation.assigned",
            Self::ConversationEnded => "conversation.ended",
            Self::ConversationClosed => "conversation.closed",
            Self::RatingReceived => "rating.received",
            Self::BotHandoff => "bot.handoff",
            Self::Ping => "ping",
        }
    }

    /// The event a name stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Self::SUBSCRIBABLE.into_iter().chain([Self::Ping]).find(|e| e.as_str() == name)
    }

    /// Its bit in an [`EventMask`].
    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of subscribed events, as bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventMask(u8);

impl EventMask {
    /// The set of `events`.
    pub fn of(events: &[WebhookEvent]) -> Self {
        Self(events.iter().fold(0, |m, e| m | e.bit()))
    }

    /// Whether it holds `event`.
    pub fn has(self, event: WebhookEvent) -> bool {
        self.0 & event.bit() != 0
    }

    /// The stored form: names, comma-separated, in [`WebhookEvent::SUBSCRIBABLE`] order.
    pub fn to_text(self) -> String {
        self.events().iter().map(|e| e.as_str()).collect::<Vec<_>>().join(",")
    }

    /// Reads the stored form (unknown names are skipped: written by a newer version).
    pub fn from_text(text: &str) -> Self {
        let events: Vec<_> = text.split(',').filter_map(WebhookEvent::parse).collect();
        Self::of(&events)
    }

    /// The events, in [`WebhookEvent::SUBSCRIBABLE`] order.
    pub fn events(self) -> Vec<WebhookEvent> {
        WebhookEvent::SUBSCRIBABLE.into_iter().filter(|e| self.has(*e)).collect()
    }
}

/// The events a conversation change raises: `conversation.assigned` when it gets an
/// assignee it did not have, `conversation.ended` / `conversation.closed` when it enters
/// that state. A new conversation raises only its assignment, if it has one.
pub fn conversation_events(
    before: Option<&Conversation>, after: &Conversation,
) -> Vec<WebhookEvent> {
    let mut events = Vec::new();
    let entered =
        |state: ConversationState| after.state == state && before.is_none_or(|b| b.state != state);
    if after.assignee_id.is_some() && before.is_none_or(|b| b.assignee_id != after.assignee_id) {
        events.push(WebhookEvent::ConversationAssigned);
    }
    if entered(ConversationState::Ended) {
        events.push(WebhookEvent::ConversationEnded);
    }
    if entered(ConversationState::Closed) {
        events.push(WebhookEvent::ConversationClosed);
    }
    events
}

/// The body of one event, exactly as it is signed and sent: `{"id", "type",
/// "created_at", "seller_id", "shop_id", "conversation_id", "data"}`. `id` names the
/// event (the same for every endpoint it goes to); `data` holds `message` or
/// `conversation` (and, for the events other parts raise, what they add).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookPayload {
    /// The event's id (one per event; the same on every endpoint and every attempt).
    pub id: String,
    /// The event's name.
    #[serde(rename = "type")]
    pub kind: WebhookEvent,
    /// When it happened.
    pub created_at: DateTime<Utc>,
    /// The seller.
    pub seller_id: SellerId,
    /// The shop, when the event belongs to one.
    pub shop_id: Option<ShopId>,
    /// The conversation, when the event belongs to one.
    pub conversation_id: Option<ConversationId>,
    /// What the event is about.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

impl WebhookPayload {
    /// The `message.created` body of a message.
    pub fn message(seller: SellerId, message: &Message, at: DateTime<Utc>) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            kind: WebhookEvent::MessageCreated,
            created_at: at,
            seller_id: seller,
            shop_id: Some(message.shop_id),
            conversation_id: Some(message.conversation_id),
            data: serde_json::json!({ "message": message }),
        }
    }

    /// The body of a conversation event; `extra` fields join `data.conversation`
    /// (`rating`, `reason`: for the events other parts raise).
    pub fn conversation(
        kind: WebhookEvent, seller: SellerId, conversation: &Conversation, at: DateTime<Utc>,
        extra: serde_json::Map<String, serde_json::Value>,
    ) -> Self {
        let mut data = serde_json::Map::new();
        data.insert("conversation".into(), serde_json::json!(conversation));
        data.extend(extra);
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            kind,
            created_at: at,
            seller_id: seller,
            shop_id: Some(conversation.shop_id),
            conversation_id: Some(conversation.id),
            data: serde_json::Value::Object(data),
        }
    }

    /// A test ping's body.
    pub fn ping(seller: SellerId, endpoint: WebhookEndpointId, at: DateTime<Utc>) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            kind: WebhookEvent::Ping,
            created_at: at,
            seller_id: seller,
            shop_id: None,
            conversation_id: None,
            data: serde_json::json!({ "endpoint_id": endpoint }),
        }
    }

    /// The body as sent.
    pub fn to_body(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Whether an endpoint is sent to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EndpointStatus {
    /// Deliveries are attempted.
    Active,
    /// No attempts; new events are still queued and go out, in order, on resume.
    Paused,
}

/// A seller's webhook endpoint as the API shows it (never its secret).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookEndpoint {
    /// Id.
    pub id: WebhookEndpointId,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The owner's note on it.
    pub description: String,
    /// The subscribed events.
    pub events: Vec<WebhookEvent>,
    /// Who is mailed when it is paused for failing (with `[smtp]`).
    pub notify_email: Option<String>,
    /// Active or paused.
    pub status: EndpointStatus,
    /// Why it is paused: `manual` (the owner) or `failing` (it failed for the whole
    /// `webhooks.pause_after_secs`).
    pub pause_reason: Option<String>,
    /// When it was paused.
    pub paused_at: Option<DateTime<Utc>>,
    /// Failed attempts since the last success.
    pub consecutive_failures: i64,
    /// When the current run of failures began.
    pub failing_since: Option<DateTime<Utc>>,
    /// The last successful delivery.
    pub last_success_at: Option<DateTime<Utc>>,
    /// The last failed attempt.
    pub last_failure_at: Option<DateTime<Utc>>,
    /// Deliveries waiting (due, backing off, or held while paused).
    pub pending: i64,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
}

/// A delivery's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WebhookDeliveryStatus {
    /// Waiting for its (next) attempt.
    Pending,
    /// Answered with a 2xx.
    Delivered,
    /// Given up after `webhooks.retry_for_secs` of failures.
    Failed,
}

impl WebhookDeliveryStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    /// The status of a stored form.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Delivered, Self::Failed].into_iter().find(|s| s.as_str() == text)
    }
}

/// One event queued for one endpoint, with its last attempt.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookDelivery {
    /// Id (the `Shopmux-Delivery` header: the same on every attempt).
    pub id: WebhookDeliveryId,
    /// The endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// The event's name.
    pub event: String,
    /// The event's id (the body's `id`).
    pub event_id: String,
    /// The conversation, when the event belongs to one.
    pub conversation_id: Option<ConversationId>,
    /// Its state.
    pub status: WebhookDeliveryStatus,
    /// Attempts made.
    pub attempts: i64,
    /// When the last attempt started.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// The last answer's HTTP status (none: no answer — a timeout or a refused address).
    pub last_status_code: Option<i64>,
    /// What went wrong with the last attempt.
    pub last_error: Option<String>,
    /// When the next attempt may start (pending only).
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// When it was delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::model::ConversationState::*;

    fn conversation(state: ConversationState, assignee: Option<AgentId>) -> Conversation {
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
        Conversation {
            id: ConversationId::new(),
            shop_id: ShopId::new(),
            platform: shopmux_contract::Platform::from_static("api"),
            buyer_id: BuyerId::new(),
            entry_point: Default::default(),
            state,
            assignee_id: assignee,
            flag: None,
            topics: vec![],
            has_order: false,
            unread_count: 0,
            waiting_since: None,
            created_at: now,
            last_message_at: now,
            last_buyer_message_at: None,
            last_agent_reply_at: None,
            assigned_at: None,
            ended_at: None,
            closed_at: None,
            preview: String::new(),
            bot_active: false,
            bot_misses: 0,
            next_breach_at: None,
            sla_due_at: None,
            breach_warn_at: None,
            first_assigned_at: None,
            reply_wait_since: None,
        }
    }

    #[test]
    fn a_change_raises_assigned_ended_and_closed_once() {
        let agent = Some(AgentId::new());
        let queued = conversation(Unassigned, None);
        let held = Conversation { state: InProgress, assignee_id: agent, ..queued.clone() };
        assert_eq!(conversation_events(None, &queued), vec![]);
        assert_eq!(
            conversation_events(Some(&queued), &held),
            vec![WebhookEvent::ConversationAssigned]
        );
        // The same assignee again (another column changed) raises nothing.
        assert_eq!(conversation_events(Some(&held), &held), vec![]);
        let moved = Conversation { assignee_id: Some(AgentId::new()), ..held.clone() };
        assert_eq!(
            conversation_events(Some(&held), &moved),
            vec![WebhookEvent::ConversationAssigned]
        );
        let ended = Conversation { state: Ended, ..held.clone() };
        assert_eq!(conversation_events(Some(&held), &ended), vec![WebhookEvent::ConversationEnded]);
        assert_eq!(conversation_events(Some(&ended), &ended), vec![]);
        let closed = Conversation { state: Closed, ..ended.clone() };
        assert_eq!(
            conversation_events(Some(&ended), &closed),
            vec![WebhookEvent::ConversationClosed]
        );
    }

    #[test]
    fn masks_round_trip_through_their_stored_form() {
        let mask = EventMask::of(&[WebhookEvent::ConversationClosed, WebhookEvent::MessageCreated]);
        assert_eq!(mask.to_text(), "message.created,conversation.closed");
        assert_eq!(EventMask::from_text(&mask.to_text()), mask);
        assert!(!mask.has(WebhookEvent::BotHandoff));
        assert_eq!(
            EventMask::from_text("message.created,later.kind"),
            EventMask::of(&[WebhookEvent::MessageCreated])
        );
    }
}
