//! Douyin message pushes out (§4.3): a JSON array of `{tag, msg_id, data}` with `data` a
//! JSON string, headers `app-id` and `event-sign`, POSTed to the configured URL.
//!
//! With [`WebhookFaults::bad_signature`](crate::WebhookFaults) `event-sign` is the MD5 under
//! a wrong secret: well-formed, and refused by a correct receiver.

use serde::Serialize;

use super::sign::{PUSH_APP_ID_HEADER, PUSH_SIGN_HEADER, push_sign};
use super::wire::push_tag;
use super::{PushEvent, Shared, SimHandle};
use crate::delivery::Delivery;
use crate::poster::{Prepared, only};
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
        only(self.push_batch(vec![event]).await?)
    }

    /// Delivers each event as its own push (one POST each), in the order
    /// [`WebhookFaults::order`](crate::WebhookFaults) asks for. Returns the deliveries in
    /// delivery order.
    pub async fn push_batch(&self, events: Vec<PushEvent>) -> Result<Vec<Delivery>, SimError> {
        let url = self.shared.poster.url()?;
        let batch = self
            .number(events)
            .into_iter()
            .map(|message| {
                Ok(Prepared {
                    id: message.msg_id.clone(),
                    subject_id: message.subject_id.clone(),
                    body: body_of(&[message])?,
                })
            })
            .collect::<Result<Vec<_>, SimError>>()?;
        let shared = &self.shared;
        let secret = &shared.common.app_secret;
        let sign = |secret: &str, body: &[u8]| shared.push_headers(secret, body);
        shared.poster.deliver_each(&url, batch, secret, sign).await
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
        let prepared = Prepared { id: first.0, subject_id: first.1, body: body_of(&ordered)? };
        let shared = &self.shared;
        let secret = &shared.common.app_secret;
        let sign = |secret: &str, body: &[u8]| shared.push_headers(secret, body);
        shared.poster.deliver_one(&url, prepared, secret, sign).await
    }

    /// Delivers tag 100 (trade created) for one of the shop's orders.
    pub async fn push_trade_create(
        &self, shop_id: &str, order_id: &str,
    ) -> Result<Delivery, SimError> {
        let event = {
            self.shared.known_shop(shop_id)?;
            let state = lock(&self.shared.state);
            let order = state.orders.find(shop_id, order_id);
            let order = order.ok_or_else(|| SimError::UnknownOrder(order_id.to_owned()))?;
            PushEvent::trade_create(shop_id, order)
        };
        self.push(event).await
    }

    /// Delivers the test message (tag `"0"`) the platform sends when the push URL is set.
    pub async fn push_test_message(&self) -> Result<Delivery, SimError> {
        self.push(PushEvent::new(push_tag::TEST, serde_json::json!({}))).await
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
                Numbered { msg_id, tag: event.tag, data: event.data.to_string(), subject_id }
            })
            .collect()
    }
}

impl Shared {
    /// The headers of a push of `body`: `app-id`, and `event-sign` under `secret`.
    fn push_headers(&self, secret: &str, body: &[u8]) -> Vec<(&'static str, String)> {
        let app_key = &self.common.app_key;
        let signature = push_sign(app_key, secret, body);
        vec![(PUSH_APP_ID_HEADER, app_key.clone()), (PUSH_SIGN_HEADER, signature)]
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
