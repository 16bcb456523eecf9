//! The outbox against a scripted channel, on every backend: transient failures retried
//! with backoff (never before `retry-after`), permanent failures shown and retried by
//! hand, the attempt budget, and one idempotency key across attempts.

use crate::support::*;
use shopmux_contract::adapter::{
    Adapter, AdapterError, Capabilities, Host, InboundEvent, OutboundMessage, SendReceipt,
    ShopConnection, WebhookRequest,
};
use shopmux_contract::{Platform, RuleSet};
use shopmux_core::CoreError;
use shopmux_core::domain::ids::{ConversationId, MessageId};
use shopmux_core::domain::model::{DeliveryStatus, Message};
use shopmux_core::services::delivery::MAX_ATTEMPTS;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

/// Answers sends from a script; once the script is used up, every send succeeds.
#[derive(Default)]
struct Scripted {
    script: Mutex<VecDeque<AdapterError>>,
    keys: Mutex<Vec<String>>,
}

impl Scripted {
    fn then(&self, errors: impl IntoIterator<Item = AdapterError>) {
        self.script.lock().unwrap().extend(errors);
    }
    fn sends(&self) -> Vec<String> {
        self.keys.lock().unwrap().clone()
    }
}

/// It stands in for the TikTok adapter (its rules), sending from the script.
impl Adapter for Scripted {
    fn platform(&self) -> &Platform {
        &shopmux_adapter_tiktok::PLATFORM
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            sends: true,
            ..Capabilities::default()
        }
    }
    fn rule_set(&self) -> RuleSet {
        shopmux_adapter_tiktok::rule_set()
    }
    fn parse_webhook(
        &self,
        _: &ShopConnection,
        _: &WebhookRequest,
        _: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        Err(AdapterError::permanent("unsupported", "scripted"))
    }
    fn send(
        &self,
        _: &dyn Host,
        _: &ShopConnection,
        message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        let mut keys = self.keys.lock().unwrap();
        keys.push(message.idempotency_key.clone());
        match self.script.lock().unwrap().pop_front() {
            Some(e) => Err(e),
            None => Ok(SendReceipt::sent(format!("tt-{}", keys.len()))),
        }
    }
}

async fn setup() -> Vec<(TestInbox, Arc<Scripted>, Seller, ConversationId)> {
    let channels: Arc<Mutex<Vec<Arc<Scripted>>>> = Arc::default();
    let made = channels.clone();
    let tests = inboxes_with(move || {
        let c = Arc::new(Scripted::default());
        made.lock().unwrap().push(c.clone());
        vec![c as Arc<dyn Adapter>]
    })
    .await;
    let mut out = Vec::new();
    let made: Vec<Arc<Scripted>> = channels.lock().unwrap().clone();
    for (t, channel) in tests.into_iter().zip(made) {
        let s = seller_on(&t.inbox, "outbox", "tiktok").await;
        let conv = t
            .inbox
            .ingest(s.shop.clone(), text("buyer", "b-1", "hello"))
            .await
            .unwrap()
            .conversation_id;
        out.push((t, channel, s, conv));
    }
    out
}

async fn reply(t: &TestInbox, s: &Seller, conv: ConversationId) -> MessageId {
    t.inbox
        .reply(
            &s.viewer,
            conv,
            serde_json::from_value(serde_json::json!({"type": "text", "text": "on its way"}))
                .unwrap(),
        )
        .await
        .unwrap()
        .id
}

async fn message(t: &TestInbox, s: &Seller, conv: ConversationId, id: MessageId) -> Message {
    let page = t
        .inbox
        .messages(&s.viewer, conv, &Default::default())
        .await
        .unwrap();
    page.items.into_iter().find(|m| m.id == id).unwrap()
}

#[tokio::test]
async fn transient_failures_are_retried_with_backoff_until_delivered_with_one_key() {
    for (t, channel, s, conv) in setup().await {
        channel.then([
            AdapterError::transient("http_503", "unavailable"),
            AdapterError::transient("timeout", "no answer"),
        ]);
        let id = reply(&t, &s, conv).await;
        t.inbox.deliver_now().await.unwrap();
        let m = message(&t, &s, conv, id).await;
        assert_eq!(
            m.delivery_status,
            Some(DeliveryStatus::Pending),
            "{}",
            t.name
        );
        let shown = m.delivery_error.unwrap_or_default();
        assert!(
            shown.contains("http_503") && shown.contains("retrying"),
            "{shown}"
        );
        // Not due before the backoff (1–2 s after the first failure).
        t.inbox.deliver_now().await.unwrap();
        assert_eq!(channel.sends().len(), 1, "{}", t.name);
        t.clock.advance(chrono::Duration::seconds(2));
        t.inbox.deliver_now().await.unwrap();
        assert_eq!(channel.sends().len(), 2, "{}", t.name);
        t.clock.advance(chrono::Duration::seconds(4));
        t.inbox.deliver_now().await.unwrap();
        let m = message(&t, &s, conv, id).await;
        assert_eq!(
            m.delivery_status,
            Some(DeliveryStatus::Delivered),
            "{}",
            t.name
        );
        assert_eq!(m.platform_message_id.as_deref(), Some("tt-3"));
        assert_eq!(m.delivery_error, None);
        // Every attempt carried the same idempotency key: the message id.
        assert_eq!(channel.sends(), vec![id.to_string(); 3], "{}", t.name);
    }
}

#[tokio::test]
async fn a_rate_limit_is_never_retried_before_its_retry_after() {
    for (t, channel, s, conv) in setup().await {
        channel.then([AdapterError {
            retry_after_ms: Some(30_000),
            ..AdapterError::transient("rate_limited", "429")
        }]);
        let id = reply(&t, &s, conv).await;
        t.inbox.deliver_now().await.unwrap();
        t.clock.advance(chrono::Duration::seconds(29));
        t.inbox.deliver_now().await.unwrap();
        assert_eq!(
            channel.sends().len(),
            1,
            "{}: retried before retry-after",
            t.name
        );
        t.clock.advance(chrono::Duration::seconds(2));
        t.inbox.deliver_now().await.unwrap();
        let m = message(&t, &s, conv, id).await;
        assert_eq!(
            m.delivery_status,
            Some(DeliveryStatus::Delivered),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn a_permanent_failure_is_shown_and_an_agents_retry_really_sends_again() {
    for (t, channel, s, conv) in setup().await {
        channel.then([AdapterError::permanent(
            "36009001",
            "buyer blocked the shop",
        )]);
        let id = reply(&t, &s, conv).await;
        t.inbox.deliver_now().await.unwrap();
        let m = message(&t, &s, conv, id).await;
        assert_eq!(
            m.delivery_status,
            Some(DeliveryStatus::Failed),
            "{}",
            t.name
        );
        assert!(m.delivery_error.unwrap().contains("buyer blocked the shop"));
        // Time alone never retries a failed message.
        t.clock.advance(chrono::Duration::hours(1));
        t.inbox.deliver_now().await.unwrap();
        assert_eq!(channel.sends().len(), 1);
        let retried = t.inbox.retry_delivery(&s.viewer, conv, id).await.unwrap();
        assert_eq!(retried.delivery_status, Some(DeliveryStatus::Pending));
        t.inbox.deliver_now().await.unwrap();
        let m = message(&t, &s, conv, id).await;
        assert_eq!(
            m.delivery_status,
            Some(DeliveryStatus::Delivered),
            "{}",
            t.name
        );
        assert_eq!(
            channel.sends().len(),
            2,
            "{}: the retry sent it again",
            t.name
        );
        let err = t
            .inbox
            .retry_delivery(&s.viewer, conv, id)
            .await
            .unwrap_err();
        assert!(matches!(err, CoreError::Conflict(_)), "{err}");
    }
}

#[tokio::test]
async fn a_transient_failure_past_the_attempt_budget_is_marked_failed() {
    for (t, channel, s, conv) in setup().await {
        channel.then((0..MAX_ATTEMPTS).map(|_| AdapterError::transient("http_502", "bad gateway")));
        let id = reply(&t, &s, conv).await;
        for _ in 0..MAX_ATTEMPTS {
            t.inbox.deliver_now().await.unwrap();
            t.clock.advance(chrono::Duration::minutes(10));
        }
        let m = message(&t, &s, conv, id).await;
        assert_eq!(channel.sends().len() as i64, MAX_ATTEMPTS, "{}", t.name);
        assert_eq!(
            m.delivery_status,
            Some(DeliveryStatus::Failed),
            "{}",
            t.name
        );
        assert!(m.delivery_error.unwrap().contains("http_502"));
    }
}
