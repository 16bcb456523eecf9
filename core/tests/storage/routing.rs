//! Routing through the store, on every backend: the platforms' assignment policies,
//! presence, the queue and its order, back-fill, and race-freedom under a burst.

use crate::support::*;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::{AgentId, ConversationId};
use shopmux_core::domain::model::{AgentStatus, ConversationState};
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::events::InboxEvent;
use shopmux_core::services::presence::PresenceUpdate;
use shopmux_core::{CoreError, Inbox};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

async fn state_of(
    inbox: &Inbox,
    viewer: &Viewer,
    id: ConversationId,
) -> (ConversationState, Option<AgentId>) {
    let c = inbox.conversation(viewer, id).await.unwrap();
    (c.state, c.assignee_id)
}

async fn new_conversation(inbox: &Inbox, s: &Seller, buyer: &str) -> ConversationId {
    inbox
        .ingest(s.shop.clone(), text(buyer, &format!("{buyer}-1"), "hello"))
        .await
        .unwrap()
        .conversation_id
}

async fn set_capacity(inbox: &Inbox, viewer: &Viewer, capacity: i64) {
    inbox
        .set_presence(
            viewer,
            PresenceUpdate {
                capacity: Some(capacity),
                ..Default::default()
            },
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn dy_route_1_the_seed_example_goes_to_the_highest_idle_rate() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "idle", "douyin").await;
        let shop = [s.shop.shop_id];
        let a = sub_account(&t.inbox, &s.viewer, "a", 10, &shop).await;
        let b = sub_account(&t.inbox, &s.viewer, "b", 30, &shop).await;
        // A holds 2, B holds 3 (assigned by hand while both are away).
        for i in 0..5 {
            let c = new_conversation(&t.inbox, &s, &format!("old{i}")).await;
            let to = if i < 2 { a.agent.id } else { b.agent.id };
            t.inbox
                .change(&s.viewer, c, Change::Assign(to))
                .await
                .unwrap();
        }
        go_online(&t.inbox, &a).await;
        go_online(&t.inbox, &b).await;
        // A: (10 − 2) / 10 = 80 %; B: (30 − 3) / 30 = 90 %: B.
        let c = new_conversation(&t.inbox, &s, "new").await;
        t.inbox.drain_all().await.unwrap();
        assert_eq!(
            state_of(&t.inbox, &s.viewer, c).await,
            (ConversationState::InProgress, Some(b.agent.id)),
            "{}",
            t.name
        );
        let team = t.inbox.team_presence(&s.viewer).await.unwrap();
        let load: HashMap<_, _> = team.iter().map(|p| (p.agent_id, p.load)).collect();
        assert_eq!((load[&a.agent.id], load[&b.agent.id]), (2, 4), "{}", t.name);
    }
}

#[tokio::test]
async fn tt_agent_2_tt_agent_3_dy_status_1_only_available_agents_get_conversations_and_the_queue_back_fills_oldest_first()
 {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "tiktok", "tiktok").await;
        let shop = [s.shop.shop_id];
        let ann = sub_account(&t.inbox, &s.viewer, "ann", 2, &shop).await;
        let _bob = sub_account(&t.inbox, &s.viewer, "bob", 5, &shop).await;
        // rule: TT-QUEUE-1 — nobody available: every conversation waits, in order.
        let mut convs = Vec::new();
        for i in 0..3 {
            t.clock.advance(chrono::Duration::seconds(1));
            convs.push(new_conversation(&t.inbox, &s, &format!("q{i}")).await);
        }
        t.inbox.drain_all().await.unwrap();
        let counts = t.inbox.shop_counts(&s.viewer).await.unwrap();
        // rule: ALL-QUEUE-1 (queue length per shop beside the unread figures)
        assert_eq!(
            counts.shops[&s.shop.shop_id.to_string()].queued,
            3,
            "{}",
            t.name
        );
        assert_eq!(counts.shops[&s.shop.shop_id.to_string()].unread, 3);
        let queue = t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap();
        let order: Vec<_> = queue
            .entries
            .iter()
            .map(|e| (e.position, e.conversation_id))
            .collect();
        assert_eq!(order, vec![(1, convs[0]), (2, convs[1]), (3, convs[2])]);

        // rule: DY-STATUS-1 — busy receives nothing new.
        t.inbox.open_session(&ann.agent).await.unwrap();
        t.inbox.set_status(&ann, AgentStatus::Busy).await.unwrap();
        // rule: TT-AGENT-2 — online with the switch off: nothing automatic.
        t.inbox
            .set_presence(
                &ann,
                PresenceUpdate {
                    status: Some(AgentStatus::Online),
                    accept_assignment: Some(false),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(t.inbox.drain_all().await.unwrap(), 0, "{}", t.name);
        // ... but others may still assign to them by hand.
        let by_hand = new_conversation(&t.inbox, &s, "byhand").await;
        t.inbox
            .change(&s.viewer, by_hand, Change::Assign(ann.agent.id))
            .await
            .unwrap();
        t.inbox.change(&ann, by_hand, Change::End).await.unwrap();

        // rule: TT-AGENT-3 — switch on but no stream: nothing.
        let bob = _bob;
        t.inbox.set_status(&bob, AgentStatus::Online).await.unwrap();
        assert!(!t.inbox.presence(&bob).await.unwrap().available);
        t.inbox
            .set_presence(
                &ann,
                PresenceUpdate {
                    accept_assignment: Some(true),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        // rule: TT-QUEUE-3 — ann (max 2) back-fills the two oldest.
        t.inbox.drain_all().await.unwrap();
        assert_eq!(
            state_of(&t.inbox, &s.viewer, convs[0]).await.1,
            Some(ann.agent.id),
            "{}",
            t.name
        );
        assert_eq!(
            state_of(&t.inbox, &s.viewer, convs[1]).await.1,
            Some(ann.agent.id)
        );
        assert_eq!(
            state_of(&t.inbox, &s.viewer, convs[2]).await.0,
            ConversationState::Unassigned
        );
        let queue = t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap();
        assert_eq!(queue.entries.len(), 1);
        assert_eq!(
            (queue.entries[0].position, queue.entries[0].conversation_id),
            (1, convs[2])
        );

        // rule: TT-END-1 — ending frees capacity and the queued one is assigned.
        t.inbox.change(&ann, convs[0], Change::End).await.unwrap();
        t.inbox.drain_all().await.unwrap();
        assert_eq!(
            state_of(&t.inbox, &s.viewer, convs[2]).await.1,
            Some(ann.agent.id),
            "{}",
            t.name
        );
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
        assert_eq!(
            state_of(&t.inbox, &s.viewer, c).await,
            (ConversationState::InProgress, Some(s.viewer.agent.id)),
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn dy_queue_1_dy_queue_2_last_come_first_served_is_the_main_accounts_choice() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "lcfs", "douyin").await;
        let shop = [s.shop.shop_id];
        let ann = sub_account(&t.inbox, &s.viewer, "ann", 1, &shop).await;
        // rule: DY-QUEUE-2 — only the main account sets the order.
        let err = t
            .inbox
            .set_shop_settings(
                &ann,
                s.shop.shop_id,
                serde_json::json!({"queue_order": "last_come"}),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, CoreError::Forbidden(_)), "{err}");
        let err = t
            .inbox
            .set_shop_settings(
                &s.viewer,
                s.shop.shop_id,
                serde_json::json!({"queue_order": "newest"}),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("settings.queue_order"), "{err}");
        t.inbox
            .set_shop_settings(
                &s.viewer,
                s.shop.shop_id,
                serde_json::json!({"queue_order": "last_come"}),
            )
            .await
            .unwrap();
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
        assert_eq!(
            state_of(&t.inbox, &s.viewer, convs[2]).await.1,
            Some(ann.agent.id),
            "{}",
            t.name
        );
        assert_eq!(
            state_of(&t.inbox, &s.viewer, convs[0]).await.0,
            ConversationState::Unassigned
        );
        // rule: DY-END-1 — ending frees the place; the next newest comes in.
        t.inbox.change(&ann, convs[2], Change::End).await.unwrap();
        t.inbox.drain_all().await.unwrap();
        assert_eq!(
            state_of(&t.inbox, &s.viewer, convs[1]).await.1,
            Some(ann.agent.id),
            "{}",
            t.name
        );
        // rule: DY-END-4 — the ended buyer writes again: a new conversation that needs a
        // fresh assignment; ann is full, so it waits in the queue.
        let again = t
            .inbox
            .ingest(s.shop.clone(), text("b2", "b2-2", "one more thing"))
            .await
            .unwrap()
            .conversation_id;
        assert_ne!(again, convs[2]);
        t.inbox.drain_all().await.unwrap();
        assert_eq!(
            state_of(&t.inbox, &s.viewer, again).await.0,
            ConversationState::Unassigned
        );
    }
}

#[tokio::test]
async fn dy_cap_1_each_agent_sets_its_own_maximum_and_raising_it_drains_the_queue() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "cap", "douyin").await;
        let shop = [s.shop.shop_id];
        let ann = sub_account(&t.inbox, &s.viewer, "ann", 1, &shop).await;
        go_online(&t.inbox, &ann).await;
        for bad in [0, 51] {
            let err = t
                .inbox
                .set_presence(
                    &ann,
                    PresenceUpdate {
                        capacity: Some(bad),
                        ..Default::default()
                    },
                )
                .await
                .unwrap_err();
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
            assert_eq!(
                state_of(&t.inbox, &s.viewer, c).await.1,
                Some(ann.agent.id),
                "{}",
                t.name
            );
        }
    }
}

#[tokio::test]
async fn ae_route_1_and_ae_route_2_the_buyers_agent_of_the_last_72_hours() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "sticky", "aliexpress").await;
        let shop = [s.shop.shop_id];
        let ann = sub_account(&t.inbox, &s.viewer, "ann", 10, &shop).await;
        let bob = sub_account(&t.inbox, &s.viewer, "bob", 10, &shop).await;
        // rule: AE-ROUTE-1 — nobody online: the main account.
        let first = new_conversation(&t.inbox, &s, "lena").await;
        t.inbox.drain_all().await.unwrap();
        assert_eq!(
            state_of(&t.inbox, &s.viewer, first).await.1,
            Some(s.viewer.agent.id),
            "{}",
            t.name
        );
        t.inbox.change(&s.viewer, first, Change::End).await.unwrap();

        go_online(&t.inbox, &ann).await;
        go_online(&t.inbox, &bob).await;
        // A new buyer: a random online sub-account.
        let c = new_conversation(&t.inbox, &s, "kai").await;
        t.inbox.drain_all().await.unwrap();
        let holder = state_of(&t.inbox, &s.viewer, c).await.1.unwrap();
        assert!(
            holder == ann.agent.id || holder == bob.agent.id,
            "{}",
            t.name
        );
        let holder_v = if holder == ann.agent.id { &ann } else { &bob };
        t.inbox
            .reply(
                holder_v,
                c,
                serde_json::from_value(serde_json::json!({"type": "text", "text": "hi"})).unwrap(),
            )
            .await
            .unwrap();
        t.inbox.change(holder_v, c, Change::End).await.unwrap();
        // rule: AE-ROUTE-2 — within 72 hours the same buyer goes back to that agent,
        // every time.
        for i in 0..4 {
            t.clock.advance(chrono::Duration::hours(17));
            let again = t
                .inbox
                .ingest(
                    s.shop.clone(),
                    text("kai", &format!("kai-again-{i}"), "me again"),
                )
                .await
                .unwrap()
                .conversation_id;
            t.inbox.drain_all().await.unwrap();
            assert_eq!(
                state_of(&t.inbox, &s.viewer, again).await.1,
                Some(holder),
                "{} {i}",
                t.name
            );
            t.inbox.change(holder_v, again, Change::End).await.unwrap();
        }
        // That agent offline: another online sub-account, not the main account.
        t.inbox
            .set_status(holder_v, AgentStatus::Offline)
            .await
            .unwrap();
        let other = t
            .inbox
            .ingest(s.shop.clone(), text("kai", "kai-late", "anyone?"))
            .await
            .unwrap()
            .conversation_id;
        t.inbox.drain_all().await.unwrap();
        let other_holder = state_of(&t.inbox, &s.viewer, other).await.1.unwrap();
        assert!(
            other_holder != holder && other_holder != s.viewer.agent.id,
            "{}",
            t.name
        );
    }
}

#[tokio::test]
async fn sh_assign_1_a_manual_shop_assigns_nothing_by_itself() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "manual", "shopify").await;
        let ann = sub_account(&t.inbox, &s.viewer, "ann", 10, &[s.shop.shop_id]).await;
        go_online(&t.inbox, &ann).await;
        let c = new_conversation(&t.inbox, &s, "b").await;
        t.inbox.drain_all().await.unwrap();
        assert_eq!(
            state_of(&t.inbox, &s.viewer, c).await,
            (ConversationState::Unassigned, None),
            "{}",
            t.name
        );
        let queue = t.inbox.queue(&s.viewer, s.shop.shop_id).await.unwrap();
        assert_eq!(queue.policy, "manual");
        // A shop may override its policy in settings.
        t.inbox
            .set_shop_settings(
                &s.viewer,
                s.shop.shop_id,
                serde_json::json!({"routing": "least_loaded"}),
            )
            .await
            .unwrap();
        t.inbox.drain_all().await.unwrap();
        assert_eq!(
            state_of(&t.inbox, &s.viewer, c).await.1,
            Some(ann.agent.id),
            "{}",
            t.name
        );
        let err = t
            .inbox
            .set_shop_settings(
                &s.viewer,
                s.shop.shop_id,
                serde_json::json!({"routing": "round_robin"}),
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("settings.routing"), "{err}");
    }
}

#[tokio::test]
async fn a_stream_session_makes_an_agent_connected_until_it_closes_or_its_daemon_dies() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "sessions", "douyin").await;
        let ann = sub_account(&t.inbox, &s.viewer, "ann", 5, &[s.shop.shop_id]).await;
        let one = t.inbox.open_session(&ann.agent).await.unwrap();
        let two = t.inbox.open_session(&ann.agent).await.unwrap();
        assert!(
            t.inbox.presence(&ann).await.unwrap().connected,
            "{}",
            t.name
        );
        t.inbox.close_session(&ann.agent, &one).await.unwrap();
        assert!(
            t.inbox.presence(&ann).await.unwrap().connected,
            "one stream left"
        );
        t.inbox.close_session(&ann.agent, &two).await.unwrap();
        assert!(!t.inbox.presence(&ann).await.unwrap().connected);
        // A daemon that stops beating loses its streams to the others' heartbeat.
        let other = second_engine(&t).await;
        other.open_session(&ann.agent).await.unwrap();
        assert!(t.inbox.presence(&ann).await.unwrap().connected);
        assert_eq!(
            t.inbox
                .heartbeat(std::time::Duration::from_secs(30))
                .await
                .unwrap(),
            0
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert_eq!(
            t.inbox
                .heartbeat(std::time::Duration::from_millis(1))
                .await
                .unwrap(),
            1,
            "{}",
            t.name
        );
        assert!(!t.inbox.presence(&ann).await.unwrap().connected);
        other.shutdown().await;
    }
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
            let v = sub_account(
                &t.inbox,
                &s.viewer,
                &format!("agent{i}"),
                capacities[i % 10],
                &shop,
            )
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
                for e in &engines {
                    let e = e.clone();
                    tokio::spawn(async move { e.drain_all().await.unwrap() });
                }
            }
        }
        let mut convs = HashSet::new();
        for task in tasks {
            convs.insert(task.await.unwrap());
        }
        assert_eq!(convs.len(), 1000, "{}", t.name);
        for e in &engines {
            e.drain_all().await.unwrap();
        }
        let check = |label: &str,
                     expect_queued: i64,
                     team: &[shopmux_core::services::presence::Presence]| {
            for p in team {
                assert!(
                    p.load <= p.capacity,
                    "{} {label}: {} holds {} of {}",
                    t.name,
                    p.nickname,
                    p.load,
                    p.capacity
                );
            }
            let assigned: i64 = team.iter().map(|p| p.load).sum();
            assert_eq!(assigned + expect_queued, 1000, "{} {label}", t.name);
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
        assert_eq!(
            counts.shops[&s.shop.shop_id.to_string()].queued,
            0,
            "{}",
            t.name
        );
        assert_eq!(
            t.inbox
                .queue(&s.viewer, s.shop.shop_id)
                .await
                .unwrap()
                .entries
                .len(),
            0
        );
        assert_eq!(
            t.inbox.recount(s.shop.shop_id).await.unwrap(),
            t.inbox.stored_counters(s.shop.shop_id).await.unwrap(),
            "{}",
            t.name
        );

        // Each conversation was assigned exactly once (one unassigned → in progress
        // change on the engines' event streams, never a second).
        let mut assignments: HashMap<ConversationId, usize> = HashMap::new();
        for rx in &mut streams {
            while let Ok(e) = rx.try_recv() {
                if let InboxEvent::ConversationUpdated { conversation } = e
                    && conversation.state == ConversationState::InProgress
                {
                    *assignments.entry(conversation.id).or_default() += 1;
                }
            }
        }
        assert_eq!(assignments.len(), 1000, "{}", t.name);
        assert!(
            assignments.values().all(|&n| n == 1),
            "{}: an assignment repeated",
            t.name
        );
        for e in engines.iter().skip(1) {
            e.shutdown().await;
        }
    }
}
