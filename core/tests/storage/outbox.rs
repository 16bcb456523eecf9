//! The outbox against a scripted channel, on every backend: transient failures retried
//! with backoff (never before `retry-after`), permanent failures shown and retried by
//! hand, the attempt budget, and one idempotency key across attempts.

use crate::channel::FakeChannel;
use crate::support::*;
use shopmux_contract::adapter::{Adapter, AdapterError, Capabilities};
use shopmux_core::CoreError;
use shopmux_core::domain::ids::{ConversationId, MessageId};
use shopmux_core::domain::model::{DeliveryStatus, Message};
use shopmux_core::services::delivery::MAX_ATTEMPTS;
use std::sync::{Arc, Mutex};

/// A channel standing in for the TikTok adapter (its rules), sending from a script.
fn scripted() -> FakeChannel {
    let capabilities = Capabilities { sends: true, ..Capabilities::default() };
    let tiktok = &shopmux_adapter_tiktok::PLATFORM;
    FakeChannel::new(tiktok, shopmux_adapter_tiktok::rule_set(), capabilities)
}

async fn setup() -> Vec<(TestInbox, Arc<FakeChannel>, Seller, ConversationId)> {
    let channels: Arc<Mutex<Vec<Arc<FakeChannel>>>> = Arc::default();
    let made = channels.clone();
    let tests = inboxes_with(move || {
        let c = Arc::new(scripted());
        made.lock().unwrap().push(c.clone());
        vec![c as Arc<dyn Adapter>]
    })
    .await;
    let mut out = Vec::new();
    let made: Vec<Arc<FakeChannel>> = channels.lock().unwrap().clone();
    for (t, channel) in tests.into_iter().zip(made) {
        let s = seller_on(&t.inbox, "outbox", "tiktok").await;
        let conv = t.conversation_of(&s.shop, text("buyer", "b-1", "hello")).await;
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
    let page = t.inbox.messages(&s.viewer, conv, &Default::default()).await.unwrap();
    page.items.into_iter().find(|m| m.id == id).unwrap()
}

/// The reply `id` as it stands, asserting its delivery status.
async fn with_status(
    t: &TestInbox, s: &Seller, conv: ConversationId, id: MessageId, status: DeliveryStatus,
) -> Message {
    let m = message(t, s, conv, id).await;
    assert_eq!(m.delivery_status, Some(status), "{}", t.name);
    m
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
        let m = with_status(&t, &s, conv, id, DeliveryStatus::Pending).await;
        let shown = m.delivery_error.unwrap_or_default();
        assert!(shown.contains("http_503") && shown.contains("retrying"), "{shown}");
        // Not due before the backoff (1–2 s after the first failure).
        t.inbox.deliver_now().await.unwrap();
        assert_eq!(channel.sends().len(), 1, "{}", t.name);
        t.clock.advance(chrono::Duration::seconds(2));
        t.inbox.deliver_now().await.unwrap();
        assert_eq!(channel.sends().len(), 2, "{}", t.name);
        t.clock.advance(chrono::Duration::seconds(4));
        t.inbox.deliver_now().await.unwrap();
        let m = with_status(&t, &s, conv, id, DeliveryStatus::Delivered).await;
        assert_eq!(m.platform_message_id.as_deref(), Some("tiktok-3"));
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
        assert_eq!(channel.sends().len(), 1, "{}: retried before retry-after", t.name);
        t.clock.advance(chrono::Duration::seconds(2));
        t.inbox.deliver_now().await.unwrap();
        with_status(&t, &s, conv, id, DeliveryStatus::Delivered).await;
    }
}

#[tokio::test]
async fn a_permanent_failure_is_shown_and_an_agents_retry_really_sends_again() {
    for (t, channel, s, conv) in setup().await {
        channel.then([AdapterError::permanent("36009001", "buyer blocked the shop")]);
        let id = reply(&t, &s, conv).await;
        t.inbox.deliver_now().await.unwrap();
        let m = with_status(&t, &s, conv, id, DeliveryStatus::Failed).await;
        assert!(m.delivery_error.unwrap().contains("buyer blocked the shop"));
        // Time alone never retries a failed message.
        t.clock.advance(chrono::Duration::hours(1));
        t.inbox.deliver_now().await.unwrap();
        assert_eq!(channel.sends().len(), 1);
        let retried = t.inbox.retry_delivery(&s.viewer, conv, id).await.unwrap();
        assert_eq!(retried.delivery_status, Some(DeliveryStatus::Pending));
        t.inbox.deliver_now().await.unwrap();
        with_status(&t, &s, conv, id, DeliveryStatus::Delivered).await;
        assert_eq!(channel.sends().len(), 2, "{}: the retry sent it again", t.name);
        let err = t.inbox.retry_delivery(&s.viewer, conv, id).await.unwrap_err();
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
        assert_eq!(m.delivery_status, Some(DeliveryStatus::Failed), "{}", t.name);
        assert!(m.delivery_error.unwrap().contains("http_502"));
    }
}
