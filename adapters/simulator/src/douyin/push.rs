//! Douyin message pushes out (§4.3): a JSON array of `{tag, msg_id, data}` with `data` a
//! JSON string, headers `app-id` and `event-sign`, POSTed to the configured URL.
//!
//! With [`WebhookFaults::bad_signature`](crate::WebhookFaults) `event-sign` is the MD5 under
//! a wrong secret: well-formed, and refused by a correct receiver.

use serde::Serialize;

use super::sign::{PUSH_APP_ID_HEADER, PUSH_SIGN_HEADER, push_sign};
use super::wire::push_tag;
use super::{PushEvent, SimHandle};
use crate::delivery::Delivery;
use crate::{SimError, lock};

/// One message of a push body.
#[derive(Serialize)]
struct WireMessage<'a> {
    tag: &'a str,
    msg_id: &'a str,
    data: String,
}

/// A message with its assigned id, ready to serialize.
struct Numbered {
    msg_id: String,
    tag: String,
    data: String,
    subject_id: String,
}

impl SimHandle {
    /// Delivers one push holding `event`.
    pub async fn push(&self, event: PushEvent) -> Result<Delivery, SimError> {
        let mut deliveries = self.push_batch(vec![event]).await?;
        deliveries
            .pop()
            .ok_or_else(|| SimError::Delivery("nothing was delivered".to_owned()))
    }

    /// Delivers each event as its own push (one POST each), in the order
    /// [`WebhookFaults::order`](crate::WebhookFaults) asks for. Returns the deliveries in
    /// delivery order.
    pub async fn push_batch(&self, events: Vec<PushEvent>) -> Result<Vec<Delivery>, SimError> {
        let url = self.shared.poster.url()?;
        let numbered = self.number(events);
        let mut deliveries = Vec::with_capacity(numbered.len());
        for message in self.shared.poster.order(numbered) {
            let id = message.msg_id.clone();
            let subject_id = message.subject_id.clone();
            let body = body_of(&[message])?;
            let statuses = self.deliver(&url, &body).await?;
            deliveries.push(Delivery {
                id,
                subject_id,
                statuses,
                body,
            });
        }
        Ok(deliveries)
    }

    /// Delivers all events in one push body (one POST), the array in the order
    /// [`WebhookFaults::order`](crate::WebhookFaults) asks for.
    pub async fn push_in_one_body(&self, events: Vec<PushEvent>) -> Result<Delivery, SimError> {
        let url = self.shared.poster.url()?;
        let ordered = self.shared.poster.order(self.number(events));
        let first = ordered
            .first()
            .map(|message| (message.msg_id.clone(), message.subject_id.clone()))
            .unwrap_or_default();
        let body = body_of(&ordered)?;
        let statuses = self.deliver(&url, &body).await?;
        Ok(Delivery {
            id: first.0,
            subject_id: first.1,
            statuses,
            body,
        })
    }

    /// Delivers tag 100 (trade created) for one of the shop's orders.
    pub async fn push_trade_create(
        &self,
        shop_id: &str,
        order_id: &str,
    ) -> Result<Delivery, SimError> {
        let event = {
            let state = lock(&self.shared.state);
            let orders = state
                .orders
                .get(shop_id)
                .ok_or_else(|| SimError::UnknownShop(shop_id.to_owned()))?;
            let order = orders
                .iter()
                .find(|order| order.order_id == order_id)
                .ok_or_else(|| SimError::UnknownOrder(order_id.to_owned()))?;
            PushEvent::trade_create(shop_id, order)
        };
        self.push(event).await
    }

    /// Delivers the test message (tag `"0"`) the platform sends when the push URL is set.
    pub async fn push_test_message(&self) -> Result<Delivery, SimError> {
        self.push(PushEvent::new(push_tag::TEST, serde_json::json!({})))
            .await
    }

    /// Assigns `msg_id`s in event order.
    fn number(&self, events: Vec<PushEvent>) -> Vec<Numbered> {
        let mut state = lock(&self.shared.state);
        events
            .into_iter()
            .map(|event| {
                state.next_msg_id += 1;
                let msg_id = state.next_msg_id.to_string();
                let subject_id = event
                    .data
                    .get("p_id")
                    .map(|id| match id {
                        serde_json::Value::String(text) => text.clone(),
                        other => other.to_string(),
                    })
                    .unwrap_or_else(|| msg_id.clone());
                Numbered {
                    msg_id,
                    tag: event.tag,
                    data: event.data.to_string(),
                    subject_id,
                }
            })
            .collect()
    }

    async fn deliver(&self, url: &str, body: &[u8]) -> Result<Vec<u16>, SimError> {
        let poster = &self.shared.poster;
        let secret = if poster.faults().bad_signature {
            format!("{}-wrong", self.shared.app_secret)
        } else {
            self.shared.app_secret.clone()
        };
        let signature = push_sign(&self.shared.app_key, &secret, body);
        poster
            .post(
                url,
                body,
                &[
                    (PUSH_APP_ID_HEADER, self.shared.app_key.clone()),
                    (PUSH_SIGN_HEADER, signature),
                ],
            )
            .await
    }
}

fn body_of(messages: &[Numbered]) -> Result<Vec<u8>, SimError> {
    let wire: Vec<WireMessage<'_>> = messages
        .iter()
        .map(|message| WireMessage {
            tag: &message.tag,
            msg_id: &message.msg_id,
            data: message.data.clone(),
        })
        .collect();
    Ok(serde_json::to_vec(&wire)?)
}
