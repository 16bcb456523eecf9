//! Routing through the store, on every backend: the platforms' assignment policies,
//! presence, the queue and its order, back-fill, and race-freedom under a burst.

use crate::support::*;
use serde_json::json;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::{AgentId, ConversationId};
use shopmux_core::domain::model::{AgentStatus, ConversationState, Shop};
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::events::InboxEvent;
use shopmux_core::services::presence::{Presence, PresenceUpdate};
use shopmux_core::{CoreError, Inbox};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::broadcast::Receiver;

/// Changes the seller's shop settings as `viewer`.
async fn set_settings(
    t: &TestInbox, viewer: &Viewer, s: &Seller, settings: serde_json::Value,
) -> Result<Shop, CoreError> {
    t.inbox.set_shop_settings(viewer, s.shop.shop_id, settings).await
}

/// A conversation's state and assignee, as its seller sees them.
async fn state_of(
    t: &TestInbox, s: &Seller, id: ConversationId,
) -> (ConversationState, Option<AgentId>) {
    let c = t.inbox.conversation(&s.viewer, id).await.unwrap();
    (c.state, c.assignee_id)
}

/// Who holds a conversation now.
async fn holder_of(t: &TestInbox, s: &Seller, id: ConversationId) -> Option<AgentId> {
    state_of(t, s, id).await.1
}

/// Asserts who holds a conversation now.
async fn assert_holder(t: &TestInbox, s: &Seller, id: ConversationId, expected: Option<AgentId>) {
    assert_eq!(holder_of(t, s, id).await, expected, "{}: the holder of {id}", t.name);
}

/// Asserts a conversation's state and assignee now.
async fn assert_state(
    t: &TestInbox, s: &Seller, id: ConversationId, expected: (ConversationState, Option<AgentId>),
) {
    assert_eq!(state_of(t, s, id).await, expected, "{}: {id}", t.name);
}

/// A seller with one shop of `platform`, and sub-accounts (nickname, capacity) with
/// chat permission in it.
async fn team<const N: usize>(
    t: &TestInbox, name: &str, platform: &str, agents: [(&str, i64); N],
) -> (Seller, [Viewer; N]) {
    let s = seller_on(&t.inbox, name, platform).await;
    let mut viewers = Vec::new();
    for (nickname, capacity) in agents {
        let shops = [s.shop.shop_id];
        viewers.push(sub_account(&t.inbox, &s.viewer, nickname, capacity, &shops).await);
    }
    let Ok(viewers) = viewers.try_into() else { unreachable!("one viewer per agent") };
    (s, viewers)
}

async fn new_conversation(inbox: &Inbox, s: &Seller, buyer: &str) -> ConversationId {
    inbox
        .ingest(s.shop.clone(), text(buyer, &format!("{buyer}-1"), "hello"))
        .await
        .unwrap()
        .conversation_id
}

async fn set_capacity(inbox: &Inbox, viewer: &Viewer, capacity: i64) {
    set_presence(inbox, viewer, |u| u.capacity = Some(capacity)).await.unwrap();
}

/// Changes `viewer`'s presence as `set` edits an update that changes nothing.
async fn set_presence(
    inbox: &Inbox, viewer: &Viewer, set: impl FnOnce(&mut PresenceUpdate),
) -> Result<Presence, CoreError> {
    let mut update = PresenceUpdate::default();
    set(&mut update);
    inbox.set_presence(viewer, update).await
}

#[tokio::test]
async fn the_shops_with_a_queue_are_found_per_seller_and_for_everyone() {
    use shopmux_core::storage::conversations::shops_with_queue;
    for t in inboxes().await {
        // Nobody online: what arrives stays queued.
        let (ours, theirs) = (seller(&t.inbox, "ours").await, seller(&t.inbox, "theirs").await);
        let quiet = seller(&t.inbox, "quiet").await;
        new_conversation(&t.inbox, &ours, "a").await;
        new_conversation(&t.inbox, &theirs, "b").await;
        let store = t.inbox.store();
        let of = async |s: &Seller| shops_with_queue(store, Some(s.shop.seller_id)).await.unwrap();
        assert_eq!(of(&ours).await, [ours.shop.shop_id], "{}", t.name);
        assert_eq!(of(&theirs).await, [theirs.shop.shop_id], "{}", t.name);
        assert!(of(&quiet).await.is_empty(), "{}: no queue", t.name);
        let everyone: HashSet<_> =
            shops_with_queue(store, None).await.unwrap().into_iter().collect();
        assert_eq!(everyone, HashSet::from([ours.shop.shop_id, theirs.shop.shop_id]));
    }
}

#[tokio::test]
async fn dy_route_1_the_seed_example_goes_to_the_highest_idle_rate() {
    for t in inboxes().await {
        let (s, [a, b]) = team(&t, "idle", "douyin", [("a", 10), ("b", 30)]).await;
        // A holds 2, B holds 3 (assigned by hand while both are away).
        for i in 0..5 {
            let c = new_conversation(&t.inbox, &s, &format!("old{i}")).await;
            let to = if i < 2 { a.agent.id } else { b.agent.id };
            t.change(&s.viewer, c, Change::Assign(to)).await;
        }
        go_online(&t.inbox, &a).await;
        go_online(&t.inbox, &b).await;
        // A: (10 − 2) / 10 = 80 %; B: (30 − 3) / 30 = 90 %: B.
        let c = new_conversation(&t.inbox, &s, "new").await;
        t.inbox.drain_all().await.unwrap();
        assert_state(&t, &s, c, (ConversationState::InProgress, Some(b.agent.id))).await;
        let team = t.inbox.team_presence(&s.viewer).await.unwrap();
        let load: HashMap<_, _> = team.iter().map(|p| (p.agent_id, p.load)).collect();
        assert_eq!((load[&a.agent.id], load[&b.agent.id]), (2, 4), "{}", t.name);
    }
}

#[tokio::test]
async fn tt_agent_2_tt_agent_3_dy_status_1_only_available_agents_get_conversations_and_the_queue_back_fills_oldest_first()
 {
    for t in inboxes().await {
        let (s, [ann, bob]) = team(&t, "tiktok", "tiktok", [("ann", 2), ("bob", 5)]).await;
        // rule: TT-QUEUE-1 — nobody available: every conversation waits, in order.
        let mut convs = Vec::new();
        for i in 0..3 {
            t.clock.advance(chrono::Duration::seconds(1));
            convs.push(new_conversation(&t.inbox, &s, &format!("q{i}")).await);
        }
        t.inbox.drain_all().await.unwrap();
        let counts = t.inbox.shop_counts(&s.viewer).await.unwrap();
        // rule: ALL-QUEUE-1 (queue length per shop beside the unread figures)
        assert_eq!(counts.shops[&s.shop.shop_id.to_string()].queued, 3, "{}", t.name);
        assert_eq!(counts.shops[&s.shop.shop_id.to_string()].unread, 3);
        let queue = t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap();
        let order: Vec<_> = queue.entries.iter().map(|e| (e.position, e.conversation_id)).collect();
        assert_eq!(order, vec![(1, convs[0]), (2, convs[1]), (3, convs[2])]);

        // rule: DY-STATUS-1 — busy receives nothing new.
        t.inbox.open_session(&ann.agent).await.unwrap();
        t.inbox.set_status(&ann, AgentStatus::Busy).await.unwrap();
        // rule: TT-AGENT-2 — online with the switch off: nothing automatic.
        set_presence(&t.inbox, &ann, |u| {
            u.status = Some(AgentStatus::Online);
            u.accept_assignment = Some(false);
        })
        .await
        .unwrap();
        assert_eq!(t.inbox.drain_all().await.unwrap(), 0, "{}", t.name);
        // ... but others may still assign to them by hand.
        let by_hand = new_conversation(&t.inbox, &s, "byhand").await;
        t.change(&s.viewer, by_hand, Change::Assign(ann.agent.id)).await;
        t.change(&ann, by_hand, Change::End).await;

        // rule: TT-AGENT-3 — switch on but no stream: nothing.
        t.inbox.set_status(&bob, AgentStatus::Online).await.unwrap();
        assert!(!t.inbox.presence(&bob).await.unwrap().available);
        set_presence(&t.inbox, &ann, |u| u.accept_assignment = Some(true)).await.unwrap();
        // rule: TT-QUEUE-3 — ann (max 2) back-fills the two oldest.
        t.inbox.drain_all().await.unwrap();
        assert_holder(&t, &s, convs[0], Some(ann.agent.id)).await;
        assert_holder(&t, &s, convs[1], Some(ann.agent.id)).await;
        assert_eq!(state_of(&t, &s, convs[2]).await.0, ConversationState::Unassigned);
        let queue = t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap();
        assert_eq!(queue.entries.len(), 1);
        assert_eq!((queue.entries[0].position, queue.entries[0].conversation_id), (1, convs[2]));

        // rule: TT-END-1 — ending frees capacity and the queued one is assigned.
        t.change(&ann, convs[0], Change::End).await;
        t.inbox.drain_all().await.unwrap();
        assert_holder(&t, &s, convs[2], Some(ann.agent.id)).await;
        let counts = t.inbox.shop_counts(&s.viewer).await.unwrap();
        assert_eq!(counts.shops[&s.shop.shop_id.to_string()].queued, 0);
        assert_eq!(t.inbox.presence(&ann).await.unwrap().load, 2);
    }
}

#[tokio::test]
async fn tt_agent_1_a_shop_with_one_chat_account_assigns_everything_to_it() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "solo", "tiktok").await;
        // The main account is offline and has no stream: it still gets everything.
        let c = new_conversation(&t.inbox, &s, "b1").await;
        t.inbox.drain_all().await.unwrap();
        assert_state(&t, &s, c, (ConversationState::InProgress, Some(s.viewer.agent.id))).await;
    }
}

#[tokio::test]
async fn dy_queue_1_dy_queue_2_last_come_first_served_is_the_main_accounts_choice() {
    for t in inboxes().await {
        let (s, [ann]) = team(&t, "lcfs", "douyin", [("ann", 1)]).await;
        // rule: DY-QUEUE-2 — only the main account sets the order.
        let err =
            set_settings(&t, &ann, &s, json!({"queue_order": "last_come"})).await.unwrap_err();
        assert!(matches!(err, CoreError::Forbidden(_)), "{err}");
        let err =
            set_settings(&t, &s.viewer, &s, json!({"queue_order": "newest"})).await.unwrap_err();
        assert!(err.to_string().contains("settings.queue_order"), "{err}");
        set_settings(&t, &s.viewer, &s, json!({"queue_order": "last_come"})).await.unwrap();
        // rule: DY-QUEUE-1 — every agent busy or offline: buyers queue.
        let mut convs = Vec::new();
        for i in 0..3 {
            t.clock.advance(chrono::Duration::seconds(1));
            convs.push(new_conversation(&t.inbox, &s, &format!("b{i}")).await);
        }
        let queue = t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap();
        assert_eq!(queue.entries[0].conversation_id, convs[2], "{}", t.name);
        go_online(&t.inbox, &ann).await;
        t.inbox.drain_all().await.unwrap();
        // The newest is taken first; the others wait for capacity.
        assert_holder(&t, &s, convs[2], Some(ann.agent.id)).await;
        assert_eq!(state_of(&t, &s, convs[0]).await.0, ConversationState::Unassigned);
        // rule: DY-END-1 — ending frees the place; the next newest comes in.
        t.change(&ann, convs[2], Change::End).await;
        t.inbox.drain_all().await.unwrap();
        assert_holder(&t, &s, convs[1], Some(ann.agent.id)).await;
        // rule: DY-END-4 — the ended buyer writes again: a new conversation that needs a
        // fresh assignment; ann is full, so it waits in the queue.
        let again = t.conversation_of(&s.shop, text("b2", "b2-2", "one more thing")).await;
        assert_ne!(again, convs[2]);
        t.inbox.drain_all().await.unwrap();
        assert_eq!(state_of(&t, &s, again).await.0, ConversationState::Unassigned);
    }
}

#[tokio::test]
async fn dy_cap_1_each_agent_sets_its_own_maximum_and_raising_it_drains_the_queue() {
    for t in inboxes().await {
        let (s, [ann]) = team(&t, "cap", "douyin", [("ann", 1)]).await;
        go_online(&t.inbox, &ann).await;
        for bad in [0, 51] {
            let err = set_presence(&t.inbox, &ann, |u| u.capacity = Some(bad)).await.unwrap_err();
            assert!(err.to_string().contains("DY-CAP-1"), "{err}");
        }
        let convs = [
            new_conversation(&t.inbox, &s, "c1").await,
            new_conversation(&t.inbox, &s, "c2").await,
            new_conversation(&t.inbox, &s, "c3").await,
        ];
        t.inbox.drain_all().await.unwrap();
        assert_eq!(t.inbox.presence(&ann).await.unwrap().load, 1, "{}", t.name);
        // The main account reads the maximum; the only way to change it is the agent's
        // own presence (the owner's update changes the owner).
        set_capacity(&t.inbox, &s.viewer, 7).await;
        let team = t.inbox.team_presence(&s.viewer).await.unwrap();
        let ann_seen = team.iter().find(|p| p.agent_id == ann.agent.id).unwrap();
        assert_eq!((ann_seen.capacity, ann_seen.load), (1, 1));
        assert!(t.inbox.team_presence(&ann).await.is_err());
        set_capacity(&t.inbox, &ann, 3).await;
        t.inbox.drain_all().await.unwrap();
        for c in convs {
            assert_holder(&t, &s, c, Some(ann.agent.id)).await;
        }
    }
}

#[tokio::test]
async fn ae_route_1_and_ae_route_2_the_buyers_agent_of_the_last_72_hours() {
    for t in inboxes().await {
        let agents = [("ann", 10), ("bob", 10)];
        let (s, [ann, bob]) = team(&t, "sticky", "aliexpress", agents).await;
        // rule: AE-ROUTE-1 — nobody online: the main account.
        let first = new_conversation(&t.inbox, &s, "lena").await;
        t.inbox.drain_all().await.unwrap();
        assert_holder(&t, &s, first, Some(s.viewer.agent.id)).await;
        t.change(&s.viewer, first, Change::End).await;

        go_online(&t.inbox, &ann).await;
        go_online(&t.inbox, &bob).await;
        // A new buyer: a random online sub-account.
        let c = new_conversation(&t.inbox, &s, "kai").await;
        t.inbox.drain_all().await.unwrap();
        let holder = holder_of(&t, &s, c).await.unwrap();
        assert!(holder == ann.agent.id || holder == bob.agent.id, "{}", t.name);
        let holder_v = if holder == ann.agent.id { &ann } else { &bob };
        t.inbox
            .reply(
                holder_v,
                c,
                serde_json::from_value(json!({"type": "text", "text": "hi"})).unwrap(),
            )
            .await
            .unwrap();
        t.change(holder_v, c, Change::End).await;
        // rule: AE-ROUTE-2 — within 72 hours the same buyer goes back to that agent,
        // every time.
        for i in 0..4 {
            t.clock.advance(chrono::Duration::hours(17));
            let again = t
                .conversation_of(&s.shop, text("kai", &format!("kai-again-{i}"), "me again"))
                .await;
            t.inbox.drain_all().await.unwrap();
            assert_eq!(holder_of(&t, &s, again).await, Some(holder), "{} {i}", t.name);
            t.change(holder_v, again, Change::End).await;
        }
        // That agent offline: another online sub-account, not the main account.
        t.inbox.set_status(holder_v, AgentStatus::Offline).await.unwrap();
        let other = t.conversation_of(&s.shop, text("kai", "kai-late", "anyone?")).await;
        t.inbox.drain_all().await.unwrap();
        let other_holder = holder_of(&t, &s, other).await.unwrap();
        assert!(other_holder != holder && other_holder != s.viewer.agent.id, "{}", t.name);
    }
}

#[tokio::test]
async fn sh_assign_1_a_manual_shop_assigns_nothing_by_itself() {
    for t in inboxes().await {
        let (s, [ann]) = team(&t, "manual", "shopify", [("ann", 10)]).await;
        go_online(&t.inbox, &ann).await;
        let c = new_conversation(&t.inbox, &s, "b").await;
        t.inbox.drain_all().await.unwrap();
        assert_state(&t, &s, c, (ConversationState::Unassigned, None)).await;
        let queue = t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap();
        assert_eq!(queue.policy, "manual");
        // A shop may override its policy in settings.
        set_settings(&t, &s.viewer, &s, json!({"routing": "least_loaded"})).await.unwrap();
        t.inbox.drain_all().await.unwrap();
        assert_holder(&t, &s, c, Some(ann.agent.id)).await;
        let err =
            set_settings(&t, &s.viewer, &s, json!({"routing": "round_robin"})).await.unwrap_err();
        assert!(err.to_string().contains("settings.routing"), "{err}");
    }
}

#[tokio::test]
async fn a_stream_session_makes_an_agent_connected_until_it_closes_or_its_daemon_dies() {
    for t in inboxes().await {
        let (_, [ann]) = team(&t, "sessions", "douyin", [("ann", 5)]).await;
        let one = t.inbox.open_session(&ann.agent).await.unwrap();
        let two = t.inbox.open_session(&ann.agent).await.unwrap();
        assert!(t.inbox.presence(&ann).await.unwrap().connected, "{}", t.name);
        t.inbox.close_session(&ann.agent, &one).await.unwrap();
        assert!(t.inbox.presence(&ann).await.unwrap().connected, "one stream left");
        t.inbox.close_session(&ann.agent, &two).await.unwrap();
        assert!(!t.inbox.presence(&ann).await.unwrap().connected);
        // A daemon that stops beating loses its streams to the others' heartbeat.
        let other = second_engine(&t).await;
        other.open_session(&ann.agent).await.unwrap();
        assert!(t.inbox.presence(&ann).await.unwrap().connected);
        assert_eq!(t.inbox.heartbeat(std::time::Duration::from_secs(30)).await.unwrap(), 0);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(
            t.inbox.heartbeat(std::time::Duration::from_millis(1)).await.unwrap(),
            1,
            "{}",
            t.name
        );
        assert!(!t.inbox.presence(&ann).await.unwrap().connected);
        other.shutdown().await;
    }
}

/// 1,000 buyers write at once, spread over `engines`, with drains from every engine
/// racing the arrivals; the conversations they land in.
async fn burst(engines: &[Arc<Inbox>], s: &Seller) -> HashSet<ConversationId> {
    let mut tasks = Vec::new();
    for i in 0..1000 {
        let engine = engines[i % engines.len()].clone();
        let shop = s.shop.clone();
        tasks.push(tokio::spawn(async move {
            engine
                .ingest(shop, text(&format!("buyer{i}"), &format!("m{i}"), "hello"))
                .await
                .unwrap()
                .conversation_id
        }));
        if i % 100 == 0 {
            // Drains racing the arrivals, from every engine.
            for e in engines {
                let e = e.clone();
                tokio::spawn(async move { e.drain_all().await.unwrap() });
            }
        }
    }
    let mut convs = HashSet::new();
    for task in tasks {
        convs.insert(task.await.unwrap());
    }
    convs
}

/// Asserts that nobody in `team` holds more than their capacity, and that what they hold
/// and the `expect_queued` waiting make the 1,000 conversations (`what`: the case).
fn assert_within_capacity(what: &str, expect_queued: i64, team: &[Presence]) {
    for p in team {
        assert!(p.load <= p.capacity, "{what}: {} holds {} of {}", p.nickname, p.load, p.capacity);
    }
    let assigned: i64 = team.iter().map(|p| p.load).sum();
    assert_eq!(assigned + expect_queued, 1000, "{what}");
}

/// Asserts that the events on `streams` assigned each of 1,000 conversations once: each
/// is seen in progress, always with the same agent. (With several engines on one
/// database each stream also gets the others' events, read back in their state of that
/// moment, so a stream may see one state twice; a second assignment would show another
/// agent, or inflate the loads `assert_within_capacity` checks.)
fn assert_assigned_once(streams: &mut [Receiver<InboxEvent>], name: &str) {
    let mut assignees: HashMap<ConversationId, HashSet<Option<AgentId>>> = HashMap::new();
    for rx in streams {
        while let Ok(e) = rx.try_recv() {
            if let InboxEvent::ConversationUpdated { conversation } = e
                && conversation.state == ConversationState::InProgress
            {
                assignees.entry(conversation.id).or_default().insert(conversation.assignee_id);
            }
        }
    }
    assert_eq!(assignees.len(), 1000, "{name}");
    assert!(assignees.values().all(|a| a.len() == 1), "{name}: an assignment repeated");
}

/// The burst: 1,000 new conversations at once at 20 agents of mixed capacities
/// (on PostgreSQL through two engines sharing the database), then capacity is added.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_1000_conversations_never_exceeds_capacity_and_the_queue_drains() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "burst", "douyin").await;
        let shop = [s.shop.shop_id];
        let capacities = [1, 2, 5, 10, 20, 50, 3, 7, 15, 30];
        let mut agents = Vec::new();
        for i in 0..20 {
            let v =
                sub_account(&t.inbox, &s.viewer, &format!("agent{i}"), capacities[i % 10], &shop)
                    .await;
            go_online(&t.inbox, &v).await;
            agents.push(v);
        }
        let total_capacity: i64 = (0..20).map(|i| capacities[i % 10]).sum();
        let engines: Vec<Arc<Inbox>> = if t.name == "postgres" {
            vec![t.inbox.clone(), second_engine(&t).await]
        } else {
            vec![t.inbox.clone()]
        };
        let mut streams: Vec<_> = engines.iter().map(|e| e.events().subscribe()).collect();
        let convs = burst(&engines, &s).await;
        assert_eq!(convs.len(), 1000, "{}", t.name);
        for e in &engines {
            e.drain_all().await.unwrap();
        }
        let check = |label: &str, expect_queued: i64, team: &[Presence]| {
            assert_within_capacity(&format!("{} {label}", t.name), expect_queued, team);
        };
        let team = t.inbox.team_presence(&s.viewer).await.unwrap();
        let counts = t.inbox.shop_counts(&s.viewer).await.unwrap();
        let shop_counts = &counts.shops[&s.shop.shop_id.to_string()];
        assert_eq!(shop_counts.queued, 1000 - total_capacity, "{}", t.name);
        assert_eq!(shop_counts.in_progress, total_capacity, "{}", t.name);
        check("burst", shop_counts.queued, &team);

        // Capacity appears: every agent raises its maximum to 50 (20 × 50 = 1,000).
        for v in &agents {
            set_capacity(&engines[0], v, 50).await;
        }
        for e in &engines {
            e.drain_all().await.unwrap();
        }
        let team = t.inbox.team_presence(&s.viewer).await.unwrap();
        check("raised", 0, &team);
        let counts = t.inbox.shop_counts(&s.viewer).await.unwrap();
        assert_eq!(counts.shops[&s.shop.shop_id.to_string()].queued, 0, "{}", t.name);
        assert_eq!(t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap().entries.len(), 0);
        assert_eq!(
            t.inbox.recount(s.shop.shop_id).await.unwrap(),
            t.inbox.stored_counters(s.shop.shop_id).await.unwrap(),
            "{}",
            t.name
        );

        // Each conversation was assigned exactly once (one unassigned → in progress
        // change on the engines' event streams, never a second).
        assert_assigned_once(&mut streams, t.name);
        for e in engines.iter().skip(1) {
            e.shutdown().await;
        }
    }
}
