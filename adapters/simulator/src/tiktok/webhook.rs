//! TikTok webhooks out (§1.5): NEW_MESSAGE (14) and NEW_CONVERSATION (13) envelopes,
//! signed in `Authorization` and POSTed to the configured URL.
//!
//! A pushed buyer message is also stored, so the API lists it afterwards (unread until
//! marked read). With [`WebhookFaults::bad_signature`](crate::WebhookFaults) the header is
//! the signature under a wrong secret: well-formed, and refused by a correct receiver.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sign::{WEBHOOK_SIGNATURE_HEADER, webhook_signature};
use super::state::NewMessage;
use super::{Buyer, BuyerMessage, SimHandle};
use crate::delivery::Delivery;
use crate::poster::{Prepared, only};
use crate::{SimError, lock};

/// Webhook `type` of NEW_CONVERSATION (§1.5).
const NEW_CONVERSATION: i64 = 13;
/// Webhook `type` of NEW_MESSAGE (§1.5).
const NEW_MESSAGE: i64 = 14;

/// The §1.5 envelope.
#[derive(Serialize)]
struct Envelope<'a, D> {
    #[serde(rename = "type")]
    kind: i64,
    tts_notification_id: &'a str,
    shop_id: &'a str,
    timestamp: i64,
    data: D,
}

impl<'a, D: Serialize> Envelope<'a, D> {
    fn new(kind: i64, id: &'a str, shop_id: &'a str, now: DateTime<Utc>, data: D) -> Self {
        Envelope { kind, tts_notification_id: id, shop_id, timestamp: now.timestamp(), data }
    }

    /// The notification ready to deliver, about `subject_id`.
    fn prepared(&self, subject_id: String) -> Result<Prepared, SimError> {
        Ok(Prepared {
            id: self.tts_notification_id.to_owned(),
            subject_id,
            body: serde_json::to_vec(self)?,
        })
    }
}

/// `data` of NEW_MESSAGE.
#[derive(Serialize)]
struct NewMessageData<'a> {
    message_id: &'a str,
    index: &'a str,
    conversation_id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    content: &'a str,
    create_time: i64,
    is_visible: bool,
    sender: WebhookSender<'a>,
}

#[derive(Serialize)]
struct WebhookSender<'a> {
    im_user_id: &'a str,
    role: &'a str,
}

/// `data` of NEW_CONVERSATION.
#[derive(Serialize)]
struct NewConversationData<'a> {
    conversation_id: &'a str,
    create_time: i64,
}

impl SimHandle {
    /// The buyer sends `message` into the conversation (created with this id if the shop
    /// has none), and a NEW_MESSAGE webhook is delivered. Returns the receiver's answer.
    pub async fn push_new_message(
        &self, shop_id: &str, conversation_id: &str, buyer: &Buyer, message: BuyerMessage,
    ) -> Result<Delivery, SimError> {
        let deliveries =
            self.push_new_messages(shop_id, conversation_id, buyer, vec![message]).await?;
        only(deliveries)
    }

    /// The buyer sends `messages` in this order; their NEW_MESSAGE webhooks are delivered one
    /// POST each, in the order [`WebhookFaults::order`](crate::WebhookFaults) asks for.
    /// Returns the deliveries in delivery order.
    pub async fn push_new_messages(
        &self, shop_id: &str, conversation_id: &str, buyer: &Buyer, messages: Vec<BuyerMessage>,
    ) -> Result<Vec<Delivery>, SimError> {
        let url = self.shared.poster.url()?;
        let now = self.shared.common.now();
        let prepared: Vec<Prepared> = {
            let mut state = lock(&self.shared.state);
            state.chats.open_conversation(shop_id, buyer, Some(conversation_id), now)?;
            let mut prepared = Vec::with_capacity(messages.len());
            for message in &messages {
                let stored = state.chats.add_message(
                    shop_id,
                    conversation_id,
                    NewMessage {
                        kind: &message.kind,
                        content: &message.content,
                        sender_role: "BUYER",
                        from_buyer: true,
                    },
                    now,
                )?;
                let data = NewMessageData {
                    message_id: &stored.id,
                    index: &stored.index,
                    conversation_id,
                    kind: &stored.kind,
                    content: &stored.content,
                    create_time: stored.create_time,
                    is_visible: true,
                    sender: WebhookSender { im_user_id: &stored.sender_im_user_id, role: "BUYER" },
                };
                let id = state.chats.next_notification_id();
                let envelope = Envelope::new(NEW_MESSAGE, &id, shop_id, now, data);
                prepared.push(envelope.prepared(stored.id.clone())?);
            }
            prepared
        };
        self.deliver_all(&url, prepared).await
    }

    /// Opens (or reopens) the buyer's conversation and delivers NEW_CONVERSATION. The
    /// delivery's `subject_id` is the conversation id.
    pub async fn push_new_conversation(
        &self, shop_id: &str, buyer: &Buyer,
    ) -> Result<Delivery, SimError> {
        let url = self.shared.poster.url()?;
        let now = self.shared.common.now();
        let prepared = {
            let mut state = lock(&self.shared.state);
            let conversation_id = state.chats.open_conversation(shop_id, buyer, None, now)?;
            let data = NewConversationData {
                conversation_id: &conversation_id,
                create_time: now.timestamp(),
            };
            let id = state.chats.next_notification_id();
            let envelope = Envelope::new(NEW_CONVERSATION, &id, shop_id, now, data);
            envelope.prepared(conversation_id.clone())?
        };
        only(self.deliver_all(&url, vec![prepared]).await?)
    }

    /// Delivers a SELLER_DEAUTHORIZATION (6) or UPCOMING_AUTHORIZATION_EXPIRATION (7)
    /// notification of the shop, with `data` as given (e.g. `{"message": …}`).
    pub async fn push_authorization_event(
        &self, shop_id: &str, kind: i64, data: serde_json::Value,
    ) -> Result<Delivery, SimError> {
        let url = self.shared.poster.url()?;
        let now = self.shared.common.now();
        let prepared = {
            let mut state = lock(&self.shared.state);
            let id = state.chats.next_notification_id();
            Envelope::new(kind, &id, shop_id, now, data).prepared(id.clone())?
        };
        only(self.deliver_all(&url, vec![prepared]).await?)
    }

    /// Delivers `prepared`, signed in `Authorization`.
    async fn deliver_all(
        &self, url: &str, prepared: Vec<Prepared>,
    ) -> Result<Vec<Delivery>, SimError> {
        let app_key = &self.shared.common.app_key;
        let sign = |secret: &str, body: &[u8]| {
            let signature = webhook_signature(app_key, secret, body);
            vec![(WEBHOOK_SIGNATURE_HEADER, signature)]
        };
        let secret = &self.shared.common.app_secret;
        self.shared.poster.deliver_each(url, prepared, secret, sign).await
    }
}
