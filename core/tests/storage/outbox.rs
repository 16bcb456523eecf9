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

// ---------------------------------------------------------------------------------------
// Leases per row, completion by the lease holder only, order within a conversation
// ---------------------------------------------------------------------------------------

use shopmux_contract::adapter::SendReceipt;
use shopmux_core::services::delivery::{LEASE, SEND_TIMEOUT};
use shopmux_core::storage::outbox::Claimed;
use shopmux_core::{Clock, Inbox, InboxOptions, Store, StoreOptions};

/// [`LEASE`] on the injected clock.
fn lease() -> chrono::Duration {
    chrono::Duration::from_std(LEASE).unwrap()
}

/// Another engine (another daemon) on the test's PostgreSQL database, sending through
/// `channel`. A SQLite file has one daemon, its single writer: there the "other daemon"
/// is the same engine claiming again, which goes through the same claim.
async fn another_engine(t: &TestInbox, channel: &Arc<FakeChannel>) -> Arc<Inbox> {
    if t.name == "sqlite" {
        return t.inbox.clone();
    }
    let store = Store::open(&StoreOptions::new(&t.url)).await.expect("second store");
    let options = InboxOptions {
        registry: registry(vec![channel.clone() as Arc<dyn Adapter>]),
        background_delivery: false,
        ..Default::default()
    };
    Inbox::start(store, t.clock.clone() as Arc<dyn Clock>, options)
}

/// `n` more conversations of the seller, one buyer each.
async fn conversations(t: &TestInbox, s: &Seller, n: usize) -> Vec<ConversationId> {
    let mut out = Vec::new();
    for i in 0..n {
        let buyer = format!("buyer-{i}");
        out.push(t.conversation_of(&s.shop, text(&buyer, &format!("m-{i}"), "hi")).await);
    }
    out
}

async fn claim(inbox: &Inbox) -> Option<Claimed> {
    inbox.claim_delivery(&[]).await.expect("claim")
}

#[tokio::test]
async fn outbox_row_lease_is_per_row() {
    assert!(LEASE > SEND_TIMEOUT, "a lease outlasts one send");
    for (t, _channel, s, first) in setup().await {
        let mut convs = vec![first];
        convs.extend(conversations(&t, &s, 2).await);
        for conv in &convs {
            reply(&t, &s, *conv).await;
        }
        let t0 = t.clock.now();
        let a = claim(&t.inbox).await.expect("a row is due");
        assert_eq!(a.lease.until, t0 + lease(), "{}: one send's limit plus margin", t.name);
        // A claim takes one row, not a batch: the others are still there to claim, each
        // under a lease dated from its own claim.
        t.clock.advance(chrono::Duration::seconds(25));
        let b = claim(&t.inbox).await.expect("a second row");
        let c = claim(&t.inbox).await.expect("a third row");
        assert_eq!(
            (b.lease.until, c.lease.until),
            (t0 + chrono::Duration::seconds(25) + lease(), b.lease.until)
        );
        assert!(claim(&t.inbox).await.is_none(), "{}: every row is leased", t.name);
        assert_ne!(a.lease.token, b.lease.token);
        // Past a's lease but within b's and c's: only a is claimable again.
        t.clock.set(a.lease.until);
        let again = claim(&t.inbox).await.expect("a's lease ran out");
        assert_eq!((again.outbox_id, again.attempts), (a.outbox_id, 2), "{}", t.name);
        assert!(claim(&t.inbox).await.is_none(), "{}: b and c are still held", t.name);
    }
}

#[tokio::test]
async fn expired_lease_is_reclaimed_once() {
    for (t, channel, s, conv) in setup().await {
        let other = another_engine(&t, &channel).await;
        reply(&t, &s, conv).await;
        let first = claim(&t.inbox).await.expect("due");
        assert!(claim(&other).await.is_none(), "{}: leased rows are not claimed", t.name);
        t.clock.advance(lease() + chrono::Duration::seconds(1));
        // Both daemons try at once: exactly one takes the row over.
        let (mine, theirs) = tokio::join!(claim(&t.inbox), claim(&other));
        let taken: Vec<Claimed> = mine.into_iter().chain(theirs).collect();
        assert_eq!(taken.len(), 1, "{}: reclaimed exactly once", t.name);
        assert_eq!(taken[0].outbox_id, first.outbox_id);
        assert_ne!(taken[0].lease.token, first.lease.token, "{}: a new lease", t.name);
        assert!(claim(&t.inbox).await.is_none() && claim(&other).await.is_none());
    }
}

#[tokio::test]
async fn late_completion_by_old_holder_is_ignored() {
    for (t, channel, s, conv) in setup().await {
        let other = another_engine(&t, &channel).await;
        let id = reply(&t, &s, conv).await;
        // A slow daemon claims the row, and its send outlives its lease.
        let slow = claim(&t.inbox).await.expect("due");
        t.clock.advance(lease() + chrono::Duration::seconds(1));
        let fresh = claim(&other).await.expect("taken over");
        let delivered = other.perform_delivery(fresh).await.unwrap().expect("recorded");
        assert_eq!(delivered.platform_message_id.as_deref(), Some("tiktok-1"));
        // The slow daemon's answers arrive late: neither a failure nor another id
        // overwrites what the holder of the lease recorded.
        let late = t
            .inbox
            .complete_delivery(&slow, Err(AdapterError::permanent("36009001", "blocked")))
            .await
            .unwrap();
        assert!(late.is_none(), "{}: a late failure is ignored", t.name);
        let late = t.inbox.complete_delivery(&slow, Ok(SendReceipt::sent("late-id"))).await;
        assert!(late.unwrap().is_none(), "{}: a late success is ignored", t.name);
        let m = with_status(&t, &s, conv, id, DeliveryStatus::Delivered).await;
        assert_eq!(m.platform_message_id.as_deref(), Some("tiktok-1"), "{}", t.name);
        assert_eq!(m.delivery_error, None);
        assert!(claim(&t.inbox).await.is_none(), "{}: delivered, not due again", t.name);
    }
}

#[tokio::test]
async fn a_holder_whose_lease_was_taken_over_does_not_send() {
    for (t, channel, s, conv) in setup().await {
        let other = another_engine(&t, &channel).await;
        reply(&t, &s, conv).await;
        let stale = claim(&t.inbox).await.expect("due");
        t.clock.advance(lease() + chrono::Duration::seconds(1));
        let fresh = claim(&other).await.expect("taken over");
        // The lease is re-checked before sending: the stale claim sends nothing.
        assert!(t.inbox.perform_delivery(stale).await.unwrap().is_none(), "{}", t.name);
        assert!(channel.sends().is_empty(), "{}: nothing sent by the stale claim", t.name);
        other.perform_delivery(fresh).await.unwrap().expect("recorded");
        assert_eq!(channel.sends().len(), 1, "{}: sent once", t.name);
    }
}

#[tokio::test]
async fn a_batch_claim_keeps_the_platform_limit_and_conversation_order_and_records_together() {
    use shopmux_core::storage::outbox::Room;
    use std::collections::{HashMap, HashSet};
    for (t, _channel, s, first) in setup().await {
        let mut convs = vec![first];
        convs.extend(conversations(&t, &s, 2).await);
        let mut replies = Vec::new();
        for conv in &convs {
            replies.push((reply(&t, &s, *conv).await, reply(&t, &s, *conv).await));
        }
        let none = HashMap::new();
        let room = |per_platform| Room { total: 10, per_platform, in_flight: &none };
        // Six rows are pending; the platform allows two in flight: two are claimed, of
        // two conversations, under one lease.
        let a = t.inbox.claim_deliveries(room(2)).await.unwrap();
        assert_eq!(a.len(), 2, "{}: the platform's limit", t.name);
        assert_eq!(a[0].lease, a[1].lease, "{}: one lease for the batch", t.name);
        let firsts: HashSet<MessageId> = replies.iter().map(|r| r.0).collect();
        assert!(a.iter().all(|c| firsts.contains(&c.message_id)), "{}: first replies only", t.name);
        // With room for ten, only the third conversation's first reply is claimable: the
        // second replies wait for their first ones.
        let b = t.inbox.claim_deliveries(room(10)).await.unwrap();
        assert_eq!(b.len(), 1, "{}", t.name);
        assert!(firsts.contains(&b[0].message_id));
        // Their outcomes are recorded in one call; then the second replies are due.
        let attempts = (a.into_iter().chain(b).enumerate())
            .map(|(i, c)| (c, Ok(SendReceipt::sent(format!("sent-{i}")))))
            .collect();
        let recorded = t.inbox.complete_deliveries(attempts).await.unwrap();
        assert_eq!(recorded.iter().flatten().count(), 3, "{}", t.name);
        for (conv, (id, _)) in convs.iter().zip(&replies) {
            with_status(&t, &s, *conv, *id, DeliveryStatus::Delivered).await;
        }
        let c = t.inbox.claim_deliveries(room(10)).await.unwrap();
        let seconds: HashSet<MessageId> = replies.iter().map(|r| r.1).collect();
        let claimed: HashSet<MessageId> = c.iter().map(|c| c.message_id).collect();
        assert_eq!(claimed, seconds, "{}", t.name);
    }
}

/// The replies' ids in the order the channel was asked to send them, of one conversation.
fn sent_of(channel: &FakeChannel, replies: &[MessageId]) -> Vec<MessageId> {
    let keys: Vec<String> = replies.iter().map(|id| id.to_string()).collect();
    channel
        .sends()
        .iter()
        .filter_map(|k| keys.iter().position(|x| x == k).map(|i| replies[i]))
        .collect()
}

#[tokio::test]
async fn conversation_order_is_kept_under_parallel_delivery() {
    for (t, channel, s, first) in setup().await {
        let mut convs = vec![first];
        convs.extend(conversations(&t, &s, 3).await);
        let mut replies: Vec<Vec<MessageId>> = Vec::new();
        for conv in &convs {
            let mut mine = Vec::new();
            for _ in 0..3 {
                mine.push(reply(&t, &s, *conv).await);
            }
            replies.push(mine);
        }
        // The first send (of whichever conversation goes first) fails and backs off.
        channel.then([AdapterError::transient("http_503", "unavailable")]);
        t.inbox.deliver_now().await.unwrap();
        let failed: Vec<usize> =
            (0..convs.len()).filter(|i| sent_of(&channel, &replies[*i]).len() == 1).collect();
        assert_eq!(failed.len(), 1, "{}: {:?}", t.name, channel.sends());
        let stuck = failed[0];
        // Its later replies wait for it; the other conversations were all delivered.
        assert_eq!(sent_of(&channel, &replies[stuck]), vec![replies[stuck][0]], "{}", t.name);
        for (i, mine) in replies.iter().enumerate().filter(|(i, _)| *i != stuck) {
            assert_eq!(&sent_of(&channel, mine), mine, "{}: conversation {i} in order", t.name);
        }
        t.clock.advance(chrono::Duration::seconds(3));
        t.inbox.deliver_now().await.unwrap();
        let mut expected = vec![replies[stuck][0]];
        expected.extend(&replies[stuck]);
        assert_eq!(
            sent_of(&channel, &replies[stuck]),
            expected,
            "{}: retried, then in order",
            t.name
        );
        for (conv, mine) in convs.iter().zip(&replies) {
            for id in mine {
                with_status(&t, &s, *conv, *id, DeliveryStatus::Delivered).await;
            }
        }
    }
}

#[tokio::test]
async fn two_daemons_racing_claim_each_row_once() {
    // On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`; on SQLite the single writer.
    for (t, channel, s, first) in setup().await {
        let other = another_engine(&t, &channel).await;
        let mut convs = vec![first];
        convs.extend(conversations(&t, &s, 23).await);
        for conv in &convs {
            reply(&t, &s, *conv).await;
        }
        let drain = |inbox: Arc<Inbox>| async move {
            let mut ids = Vec::new();
            while let Some(c) = claim(&inbox).await {
                ids.push(c.outbox_id);
            }
            ids
        };
        let (a, b) =
            tokio::join!(tokio::spawn(drain(t.inbox.clone())), tokio::spawn(drain(other.clone())));
        let (a, b) = (a.unwrap(), b.unwrap());
        let mut all: Vec<_> = a.iter().chain(&b).copied().collect();
        all.sort();
        all.dedup();
        assert_eq!(a.len() + b.len(), convs.len(), "{}: no row claimed twice", t.name);
        assert_eq!(all.len(), convs.len(), "{}: every row claimed", t.name);
    }
}
