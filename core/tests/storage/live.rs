//! Live events across daemons: two inboxes on one PostgreSQL schema stand for two
//! daemons. What one publishes reaches the other's bus through the log; a client's
//! cursor replays what it missed; storefront sockets count on every daemon. With one
//! daemon (SQLite) there is no log: a cursor gets a reload.

use crate::support::*;
use shopmux_core::events::{GroupEntry, InboxEvent, RelayRecord, Relayed};
use shopmux_core::services::live::replay::Replay;
use shopmux_core::storage::live_events;
use std::time::Duration;
use tokio::sync::broadcast::Receiver;

/// Waits (at most 10 s) for an event `wanted` accepts on `rx`.
async fn wait_for(
    rx: &mut Receiver<InboxEvent>, wanted: impl Fn(&InboxEvent) -> bool,
) -> InboxEvent {
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match rx.recv().await {
                Ok(e) if wanted(&e) => return e,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(e) => panic!("bus closed: {e}"),
            }
        }
    })
    .await;
    found.expect("the event reaches the other daemon within 10 s")
}

/// The ids of the messages created among `events`, in order.
fn created_ids(events: &[InboxEvent]) -> Vec<shopmux_core::domain::ids::MessageId> {
    events
        .iter()
        .filter_map(|e| match e {
            InboxEvent::MessageCreated { message } => Some(message.id),
            _ => None,
        })
        .collect()
}

fn created(e: &InboxEvent, id: shopmux_core::domain::ids::MessageId) -> bool {
    matches!(e, InboxEvent::MessageCreated { message } if message.id == id)
}

#[tokio::test]
async fn a_message_ingested_by_one_daemon_reaches_the_other_daemons_streams() {
    let Some((a, b)) = postgres_pair().await else { return };
    let s = seller(&a.inbox, "relay").await;
    let mut on_b = b.inbox.events().subscribe();
    let outcome = a.ingest(&s.shop, text("buyer-1", "m-1", "hello from A")).await;
    let event = wait_for(&mut on_b, |e| created(e, outcome.message_id)).await;
    let InboxEvent::MessageCreated { message } = event else { unreachable!() };
    assert_eq!(message.conversation_id, outcome.conversation_id, "read back whole");
    // The conversation's change comes too, in the same record as the message (one
    // record a group), and B's cursor moves past it.
    wait_for(&mut on_b, |e| {
        matches!(e, InboxEvent::ConversationUpdated { conversation } if conversation.id == outcome.conversation_id)
    })
    .await;
    let (message, conversation) =
        (outcome.message_id.to_string(), outcome.conversation_id.to_string());
    let records = records_naming(&a, &message, &message).await;
    let with_both = records_naming(&a, &message, &conversation).await;
    assert_eq!((records.len(), &with_both), (1, &records), "one record for the group's events");
    let mut cursor = b.inbox.live_cursor().expect("a cursor on PostgreSQL");
    tokio::time::timeout(Duration::from_secs(10), cursor.wait_for(|c| *c >= records[0]))
        .await
        .expect("the watermark moves")
        .unwrap();
}

/// The sequence numbers of the log's records whose body names both `one` and `two`.
async fn records_naming(t: &TestInbox, one: &str, two: &str) -> Vec<i64> {
    sqlx::query_scalar(
        "SELECT seq FROM live_events WHERE body LIKE '%' || $1 || '%' AND body LIKE '%' || $2 || '%'",
    )
    .bind(one)
    .bind(two)
    .fetch_all(t.inbox.store().pool())
    .await
    .unwrap()
}

#[tokio::test]
async fn a_group_record_reaches_every_shop_and_replays_only_the_viewers_entries() {
    let Some((a, b)) = postgres_pair().await else { return };
    let s = seller(&a.inbox, "grouped").await;
    let other = seller(&a.inbox, "elsewhere").await;
    let mine = a.ingest(&s.shop, text("buyer-1", "m-1", "mine")).await;
    let theirs = a.ingest(&other.shop, text("buyer-2", "m-2", "theirs")).await;
    let mut cursor = b.inbox.live_cursor().unwrap();
    let (_, last) = live_events::bounds(a.inbox.store()).await.unwrap().expect("records");
    tokio::time::timeout(Duration::from_secs(10), cursor.wait_for(|c| *c >= last))
        .await
        .unwrap()
        .unwrap();
    // A commit of both shops' messages, as one ingest group of another daemon logs it.
    let mut on_b = b.inbox.events().subscribe();
    let entry = |shop, id| GroupEntry(shop, Relayed::Message { id, updated: false });
    let record = RelayRecord {
        shop_id: None,
        seller_id: None,
        body: Relayed::Group {
            entries: vec![
                entry(other.shop.shop_id, theirs.message_id),
                entry(s.shop.shop_id, mine.message_id),
            ],
        },
    };
    live_events::append(a.inbox.store(), "another daemon", &[record], 0).await.unwrap();
    live_events::announce(a.inbox.store()).await.unwrap();
    // B's bus hears both, in the record's order.
    wait_for(&mut on_b, |e| created(e, theirs.message_id)).await;
    wait_for(&mut on_b, |e| created(e, mine.message_id)).await;
    // A client of the first seller replaying from before it gets its own entry only.
    let Replay::Events { events, .. } = b.inbox.live_replay(&s.viewer, last).await.unwrap() else {
        panic!("the log covers the cursor")
    };
    let ids = created_ids(&events);
    assert_eq!(ids, vec![mine.message_id]);
}

#[tokio::test]
async fn an_agent_action_on_one_daemon_reaches_the_other_and_accounts_changes_too() {
    let Some((a, b)) = postgres_pair().await else { return };
    let s = seller(&a.inbox, "actions").await;
    let outcome = a.ingest(&s.shop, text("buyer-1", "m-1", "hi")).await;
    let mut on_a = a.inbox.events().subscribe();
    let mut accounts_on_a = a.inbox.events().subscribe_accounts();
    // A reply through B (B's outbox row, B's event) reaches A.
    let reply = b.reply_text(&s.viewer, outcome.conversation_id, "answer from B").await;
    wait_for(&mut on_a, |e| created(e, reply.id)).await;
    // An agent deactivated through B: A's streams hear of it (and close its streams).
    let helper = create_agent(&b.inbox, &s.viewer, "helper", None, grant(s.shop.shop_id, true))
        .await
        .unwrap();
    b.inbox.deactivate_agent(&s.viewer, helper.agent.id).await.unwrap();
    let seller = tokio::time::timeout(Duration::from_secs(10), accounts_on_a.recv())
        .await
        .expect("the accounts change reaches A")
        .unwrap();
    assert_eq!(seller, s.viewer.agent.seller_id);
}

#[tokio::test]
async fn a_cursor_replays_what_was_missed_on_any_daemon_and_only_the_viewers_shops() {
    let Some((a, b)) = postgres_pair().await else { return };
    let s = seller(&a.inbox, "replay").await;
    let other = seller(&a.inbox, "stranger").await;
    // B's stream is open (subscribed) before the first message arrives.
    let mut on_b = b.inbox.events().subscribe();
    let first = a.ingest(&s.shop, text("buyer-1", "m-1", "one")).await;
    let mut cursor = b.inbox.live_cursor().unwrap();
    wait_for(&mut on_b, |e| created(e, first.message_id)).await;
    tokio::time::timeout(Duration::from_secs(10), cursor.wait_for(|c| *c > 0))
        .await
        .unwrap()
        .unwrap();
    let at = *cursor.borrow();
    // The client is away: two messages of its shop and one of another seller's.
    let missed = a.ingest(&s.shop, text("buyer-2", "m-2", "two")).await;
    a.ingest(&other.shop, text("buyer-3", "m-3", "not yours")).await;
    let again = a.ingest(&s.shop, text("buyer-1", "m-4", "three")).await;
    // It reconnects to B with its cursor.
    let Replay::Events { events, owner } = b.inbox.live_replay(&s.viewer, at).await.unwrap() else {
        panic!("the log covers the cursor")
    };
    let ids = created_ids(&events);
    assert!(ids.contains(&missed.message_id) && ids.contains(&again.message_id), "{ids:?}");
    assert!(
        events.iter().all(|e| e.shop_id() == s.shop.shop_id),
        "another seller's events are never replayed"
    );
    assert!(owner.is_empty());
    // A cursor the log no longer covers (or from another database) is a reload.
    assert!(matches!(
        b.inbox.live_replay(&s.viewer, at + 1_000_000).await.unwrap(),
        Replay::Reload
    ));
    assert!(matches!(b.inbox.live_replay(&s.viewer, -1).await.unwrap(), Replay::Reload));
}

#[tokio::test]
async fn one_daemon_has_no_log_and_a_cursor_gets_a_reload() {
    for t in inboxes().await {
        if t.name != "sqlite" {
            continue;
        }
        let s = seller(&t.inbox, "solo").await;
        t.ingest(&s.shop, text("buyer-1", "m-1", "hi")).await;
        assert!(t.inbox.live_cursor().is_none());
        assert!(matches!(t.inbox.live_replay(&s.viewer, 0).await.unwrap(), Replay::Reload));
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM live_events")
            .fetch_one(t.inbox.store().pool())
            .await
            .unwrap();
        assert_eq!(n, 0, "nothing is logged with one daemon");
    }
}

#[tokio::test]
async fn a_storefront_customer_on_one_daemon_is_in_the_store_for_the_other() {
    let Some((a, b)) = postgres_pair().await else { return };
    let s = seller(&a.inbox, "front").await;
    let shop = s.shop.shop_id;
    let mut frames_on_a = a.inbox.events().subscribe_storefront();
    let socket = a.inbox.storefront_socket_opened(shop, "cust-1").await.unwrap().expect("recorded");
    a.inbox.heartbeat(Duration::from_secs(30)).await.unwrap();
    let holders = b.inbox.storefront_elsewhere(shop, "cust-1").await.unwrap();
    assert_eq!(holders, vec![a.inbox.instance_id().to_owned()]);
    assert!(
        a.inbox.storefront_elsewhere(shop, "cust-1").await.unwrap().is_empty(),
        "not elsewhere for A"
    );
    // B hands A a frame for the customer.
    assert!(b.inbox.storefront_hand_over(&holders[0], shop, "cust-1", r#"{"type":"reply"}"#));
    let (to_shop, to, frame) = tokio::time::timeout(Duration::from_secs(10), frames_on_a.recv())
        .await
        .expect("the frame reaches A")
        .unwrap();
    assert_eq!((to_shop, to.as_str(), frame.as_str()), (shop, "cust-1", r#"{"type":"reply"}"#));
    // Gone from A: no longer in the store.
    a.inbox.storefront_socket_closed(&socket).await.unwrap();
    assert!(b.inbox.storefront_elsewhere(shop, "cust-1").await.unwrap().is_empty());
}
