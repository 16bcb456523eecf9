//! One way in for platform events: the same events delivered by a webhook and returned
//! by a poll leave the same stored state — orders looked up and recorded, order cards
//! shown, messages stored — on every backend.

use crate::channel::FakeChannel;
use crate::support::*;
use shopmux_contract::adapter::{
    Adapter, BuyerMessage, Capabilities, EventBuyer, InboundEvent, OrderInfo, WebhookRequest,
};
use shopmux_contract::content::MessageContent;
use shopmux_contract::{Platform, RuleSet};
use shopmux_core::domain::listing::{ConversationQuery, ListStatus, MessageQuery};
use shopmux_core::services::connections::ConnectionInput;
use std::sync::Arc;

static FAKE: Platform = Platform::from_static("fake_market");

/// A marketplace whose webhook and poll carry the same events: an order notice that
/// does not name its buyer (so it is looked up), an order with its details, and a
/// buyer message. Its order notices show as order cards.
fn fake_market() -> Vec<Arc<dyn Adapter>> {
    let capabilities = Capabilities {
        webhooks: true,
        polls: true,
        order_look_up: true,
        order_cards: true,
        ..Capabilities::default()
    };
    let looked_up = OrderInfo {
        buyer: ola(),
        status: Some("paid".into()),
        created_at_ms: Some(1_767_225_600_000),
        ..Default::default()
    };
    let market = FakeChannel::new(&FAKE, RuleSet::permissive(FAKE.clone()), capabilities)
        .bringing(events())
        .finding(looked_up);
    vec![Arc::new(market)]
}

/// The buyer of every event.
fn ola() -> EventBuyer {
    EventBuyer { external_id: "buyer-7".into(), nickname: Some("Ola".into()), ..Default::default() }
}

fn events() -> Vec<InboundEvent> {
    vec![
        InboundEvent::OrderChanged {
            order_external_id: "o-1".into(),
            buyer: None,
            reverse_in_progress: Some(true),
            updated_at_ms: None,
        },
        InboundEvent::OrderUpdated {
            order: OrderInfo {
                external_id: "o-2".into(),
                buyer: ola(),
                status: Some("shipped".into()),
                total: Some("12.00 EUR".into()),
                ..Default::default()
            },
        },
        InboundEvent::Message(BuyerMessage {
            buyer: ola(),
            platform_message_id: "m-1".into(),
            platform_conversation_id: Some("c-1".into()),
            content: MessageContent::Text { text: "Where is my order?".into() },
            sent_at_ms: None,
            order: None,
            entry_point: None,
        }),
    ]
}

/// The stored state a shop's events left, without ids: conversations (state, order
/// flag, unread, preview), each one's messages, and the buyer's orders.
async fn stored_state(t: &TestInbox, s: &Seller) -> Vec<String> {
    let all = ConversationQuery { status: Some(ListStatus::All), ..Default::default() };
    let mut state = Vec::new();
    for item in t.list(&s.viewer, all).await.items {
        let c = &item.conversation;
        state.push(format!(
            "conversation {} order={} unread={} {:?}",
            c.state, c.has_order, c.unread_count, c.preview
        ));
        let page =
            t.inbox.messages(&s.viewer, c.id, &MessageQuery::default()).await.expect("messages");
        for m in page.items {
            let content = serde_json::to_string(&m.content).expect("content");
            state.push(format!("message {:?} {content}", m.platform_message_id));
        }
        for o in t.inbox.buyer_orders(&s.viewer, c.buyer_id).await.expect("orders") {
            state.push(format!(
                "order {} {} reverse={} {:?}",
                o.external_id, o.status, o.reverse_in_progress, o.total
            ));
        }
    }
    state
}

async fn connected_shop(t: &TestInbox, name: &str) -> Seller {
    let s = seller_on(&t.inbox, name, FAKE.as_str()).await;
    let connection = ConnectionInput {
        api_base: None,
        credentials: [("token".to_owned(), "t".to_owned())].into(),
    };
    t.inbox.set_connection(&s.viewer, s.shop.shop_id, connection).await.expect("connection");
    s
}

#[tokio::test]
async fn an_order_event_by_webhook_or_by_poll_leaves_the_same_state() {
    let by_webhook = inboxes_with(fake_market).await;
    let by_poll = inboxes_with(fake_market).await;
    for (hook, poll) in by_webhook.iter().zip(&by_poll) {
        let s = connected_shop(hook, "hook").await;
        let connection = hook.inbox.inbound_connection(&s.shop).await.unwrap().expect("connected");
        let parsed = hook
            .inbox
            .registry()
            .parse_webhook(&FAKE, connection, WebhookRequest::default(), 0)
            .await
            .expect("parsed");
        let counts = hook.inbox.apply(&s.shop, parsed).await.unwrap().counts();
        assert_eq!((counts.orders, counts.stored), (2, 1), "{}", hook.name);

        let p = connected_shop(poll, "poll").await;
        assert_eq!(poll.inbox.poll_now().await.unwrap(), 1, "{}", poll.name);

        let (webhook_state, poll_state) =
            (stored_state(hook, &s).await, stored_state(poll, &p).await);
        assert!(
            webhook_state.iter().any(|l| l.contains("order o-1 paid reverse=true")),
            "{}: the notice without a buyer was looked up: {webhook_state:#?}",
            hook.name
        );
        assert!(
            webhook_state.iter().any(|l| l.contains("order_card")),
            "{}: order cards shown: {webhook_state:#?}",
            hook.name
        );
        assert_eq!(webhook_state, poll_state, "{}", hook.name);
    }
}

/// An order update of `o-1` as the platform stamped it at `at` (ms).
fn order_at(status: Option<&str>, reverse: Option<bool>, at: i64) -> InboundEvent {
    InboundEvent::OrderUpdated {
        order: OrderInfo {
            external_id: "o-1".into(),
            buyer: ola(),
            status: status.map(str::to_owned),
            reverse_in_progress: reverse,
            updated_at_ms: Some(at),
            ..Default::default()
        },
    }
}

async fn order_row(t: &TestInbox) -> (String, bool) {
    use sqlx::Row;
    let row = sqlx::query(
        "SELECT status, CAST(reverse_in_progress AS BIGINT) AS r FROM orders WHERE external_id = 'o-1'",
    )
    .fetch_one(t.inbox.store().pool())
    .await
    .unwrap();
    (row.get::<String, _>("status"), row.get::<i64, _>("r") != 0)
}

#[tokio::test]
async fn late_order_notice_does_not_roll_back() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "ordered").await;
        let apply = |events: Vec<InboundEvent>| {
            let (inbox, shop) = (t.inbox.clone(), s.shop.clone());
            async move { inbox.apply(&shop, events).await.unwrap() }
        };
        apply(vec![order_at(Some("paid"), Some(false), 1_000)]).await;
        apply(vec![order_at(Some("shipped"), None, 3_000)]).await;
        // Late: the platform's `paid` of t=2000 arrives after `shipped` of t=3000, and a
        // replay of the first notice after both.
        apply(vec![order_at(Some("paid"), None, 2_000)]).await;
        apply(vec![order_at(Some("paid"), Some(false), 1_000)]).await;
        assert_eq!(order_row(&t).await, ("shipped".into(), false), "{}", t.name);
        // A return opened at t=5000; the late end of an earlier one (t=4000) and a notice
        // silent on returns leave it open.
        apply(vec![order_at(None, Some(true), 5_000)]).await;
        apply(vec![order_at(None, Some(false), 4_000), order_at(Some("shipped"), None, 4_500)])
            .await;
        assert_eq!(order_row(&t).await, ("shipped".into(), true), "{}", t.name);
        // Newer notices apply, and a replay of the newest changes nothing.
        apply(vec![order_at(Some("delivered"), Some(false), 6_000)]).await;
        apply(vec![order_at(Some("delivered"), Some(false), 6_000)]).await;
        assert_eq!(order_row(&t).await, ("delivered".into(), false), "{}", t.name);
        // A notice without the platform's time cannot be ordered and applies as it comes.
        let mut unversioned = order_at(Some("completed"), None, 0);
        if let InboundEvent::OrderUpdated { order } = &mut unversioned {
            order.updated_at_ms = None;
        }
        apply(vec![unversioned]).await;
        assert_eq!(order_row(&t).await, ("completed".into(), false), "{}", t.name);
    }
}
