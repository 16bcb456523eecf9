//! TikTok webhooks out (§1.5): NEW_MESSAGE (14) and NEW_CONVERSATION (13) envelopes,
//! signed in `Authorization` and POSTed to the configured URL.
//!
//! A pushed buyer message is also stored, so the API lists it afterwards (unread until
//! marked read). With [`WebhookFaults::bad_signature`](crate::WebhookFaults) the header is
//! the signature under a wrong secret: well-formed, and refused by a correct receiver.

use serde::Serialize;

use super::sign::{WEBHOOK_SIGNATURE_HEADER, webhook_signature};
use super::state::NewMessage;
use super::{Buyer, BuyerMessage, SimHandle};
use crate::delivery::Delivery;
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

/// One notification ready to deliver: id, subject id, body.
type Prepared = (String, String, Vec<u8>);

impl SimHandle {
    /// The buyer sends `message` into the conversation (created with this id if the shop
    /// has none), and a NEW_MESSAGE webhook is delivered. Returns the receiver's answer.
    pub async fn push_new_message(
        &self,
        shop_id: &str,
        conversation_id: &str,
        buyer: &Buyer,
        message: BuyerMessage,
    ) -> Result<Delivery, SimError> {
        let mut deliveries = self
            .push_new_messages(shop_id, conversation_id, buyer, vec![message])
            .await?;
        deliveries
            .pop()
            .ok_or_else(|| SimError::Delivery("nothing was delivered".to_owned()))
    }

    /// The buyer sends `messages` in this order; their NEW_MESSAGE webhooks are delivered one
    /// POST each, in the order [`WebhookFaults::order`](crate::WebhookFaults) asks for.
    /// Returns the deliveries in delivery order.
    pub async fn push_new_messages(
        &self,
        shop_id: &str,
        conversation_id: &str,
        buyer: &Buyer,
        messages: Vec<BuyerMessage>,
    ) -> Result<Vec<Delivery>, SimError> {
        let url = self.shared.poster.url()?;
        let now = self.shared.common.now();
        let prepared: Vec<Prepared> = {
            let mut state = lock(&self.shared.state);
            state
                .chats
                .open_conversation(shop_id, buyer, Some(conversation_id), now)?;
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
                let notification_id = state.chats.next_notification_id();
                let body = serde_json::to_vec(&Envelope {
                    kind: NEW_MESSAGE,
                    tts_notification_id: &notification_id,
                    shop_id,
                    timestamp: now.timestamp(),
                    data: NewMessageData {
                        message_id: &stored.id,
                        index: &stored.index,
                        conversation_id,
                        kind: &stored.kind,
                        content: &stored.content,
                        create_time: stored.create_time,
                        is_visible: true,
                        sender: WebhookSender {
                            im_user_id: &stored.sender_im_user_id,
                            role: "BUYER",
                        },
                    },
                })?;
                prepared.push((notification_id, stored.id, body));
            }
            prepared
        };
        self.deliver_all(&url, prepared).await
    }

    /// Opens (or reopens) the buyer's conversation and delivers NEW_CONVERSATION. The
    /// delivery's `subject_id` is the conversation id.
    pub async fn push_new_conversation(
        &self,
        shop_id: &str,
        buyer: &Buyer,
    ) -> Result<Delivery, SimError> {
        let url = self.shared.poster.url()?;
        let now = self.shared.common.now();
        let prepared = {
            let mut state = lock(&self.shared.state);
            let conversation_id = state.chats.open_conversation(shop_id, buyer, None, now)?;
            let notification_id = state.chats.next_notification_id();
            let body = serde_json::to_vec(&Envelope {
                kind: NEW_CONVERSATION,
                tts_notification_id: &notification_id,
                shop_id,
                timestamp: now.timestamp(),
                data: NewConversationData {
                    conversation_id: &conversation_id,
                    create_time: now.timestamp(),
                },
            })?;
            (notification_id, conversation_id, body)
        };
        let mut deliveries = self.deliver_all(&url, vec![prepared]).await?;
        deliveries
            .pop()
            .ok_or_else(|| SimError::Delivery("nothing was delivered".to_owned()))
    }

    async fn deliver_all(
        &self,
        url: &str,
        prepared: Vec<Prepared>,
    ) -> Result<Vec<Delivery>, SimError> {
        let poster = &self.shared.poster;
        let mut deliveries = Vec::with_capacity(prepared.len());
        for (id, subject_id, body) in poster.order(prepared) {
            let secret = if poster.faults().bad_signature {
                format!("{}-wrong", self.shared.app_secret)
            } else {
                self.shared.app_secret.clone()
            };
            let signature = webhook_signature(&self.shared.app_key, &secret, &body);
            let statuses = poster
                .post(url, &body, &[(WEBHOOK_SIGNATURE_HEADER, signature)])
                .await?;
            deliveries.push(Delivery {
                id,
                subject_id,
                statuses,
                body,
            });
        }
        Ok(deliveries)
    }
}
