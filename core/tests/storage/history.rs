//! History filters (DY-HIST-1): the conversation list filtered by conversation time,
//! agent, and buyer name or id, each alone, combined with each other and with the
//! existing filters and search, with the count of every match (over all pages).

use crate::support::*;
use chrono::{DateTime, Duration, Utc};
use shopmux_core::Clock;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::domain::inbound::InboundMessage;
use shopmux_core::domain::listing::{ConversationQuery, ListStatus};
use shopmux_core::domain::viewer::Viewer;

/// A message from a buyer with a name.
fn from(external_id: &str, nickname: &str, id: &str, said: &str) -> InboundMessage {
    let mut m = text(external_id, id, said);
    m.buyer = buyer(external_id, nickname);
    m
}

/// The history: three ended conversations a day apart, each started on its day at
/// noon and last written an hour later: Ann Lee's (answered by the agent Max), Bob
/// Stone's and Ann Marie's (answered by the owner).
struct History {
    s: Seller,
    max: Viewer,
    day1: DateTime<Utc>,
    ann: ConversationId,
    bob: ConversationId,
    marie: ConversationId,
}

async fn history(t: &TestInbox) -> History {
    let s = seller(&t.inbox, "hist").await;
    let max = sub_account(&t.inbox, &s.viewer, "Max", 10, &[s.shop.shop_id]).await;
    let day1 = t.clock.now() + Duration::days(1);
    let mut ids = Vec::new();
    for (n, (external, name, said, by)) in [
        ("b-ann", "Ann Lee", "where is my parcel", &max),
        ("b-bob", "Bob Stone", "parcel damaged", &s.viewer),
        ("b-marie", "Ann Marie", "invoice please", &s.viewer),
    ]
    .into_iter()
    .enumerate()
    {
        t.clock.set(day1 + Duration::days(n as i64));
        let conv = t.conversation_of(&s.shop, from(external, name, &format!("m-{n}"), said)).await;
        t.clock.advance(Duration::hours(1));
        t.reply_text(by, conv, "on it").await;
        t.change(by, conv, Change::End).await;
        ids.push(conv);
    }
    History { s, max, day1, ann: ids[0], bob: ids[1], marie: ids[2] }
}

fn in_history(set: impl FnOnce(&mut ConversationQuery)) -> ConversationQuery {
    query(|q| {
        q.status = Some(ListStatus::History);
        set(q);
    })
}

/// The ids the list shows and its total.
async fn listed(t: &TestInbox, v: &Viewer, q: ConversationQuery) -> (Vec<ConversationId>, i64) {
    let page = t.list(v, q).await;
    let total = page.total.expect("a history filter counts");
    (page.items.iter().map(|i| i.conversation.id).collect(), total)
}

#[tokio::test]
async fn history_filters_by_conversation_time_at_the_range_bounds() {
    // rule: DY-HIST-1 (filtered by conversation time)
    for t in inboxes().await {
        let h = history(&t).await;
        let day = |n: i64| h.day1 + Duration::days(n);
        // The second day: Bob's conversation (noon to 13:00) only.
        let (ids, total) = listed(
            &t,
            &h.s.viewer,
            in_history(|q| {
                q.from = Some(day(1));
                q.to = Some(day(2));
            }),
        )
        .await;
        assert_eq!((ids, total), (vec![h.bob], 1), "{}", t.name);
        // `from` at a last message's instant includes it; `to` at a start excludes it.
        let (ids, _) = listed(
            &t,
            &h.s.viewer,
            in_history(|q| {
                q.from = Some(day(1) + Duration::hours(1));
                q.to = Some(day(2));
            }),
        )
        .await;
        assert_eq!(ids, vec![h.bob], "{}: from at the last message", t.name);
        let (ids, _) = listed(
            &t,
            &h.s.viewer,
            in_history(|q| {
                q.from = Some(day(1) + Duration::hours(1) + Duration::milliseconds(1));
            }),
        )
        .await;
        assert_eq!(ids, vec![h.marie], "{}: just after Bob's last message", t.name);
        let (ids, _) = listed(&t, &h.s.viewer, in_history(|q| q.to = Some(day(1)))).await;
        assert_eq!(ids, vec![h.ann], "{}: to at Bob's start excludes him", t.name);
        // An empty or reversed range is refused.
        let reversed = in_history(|q| {
            q.from = Some(day(2));
            q.to = Some(day(1));
        });
        assert_invalid(t.inbox.list_conversations(&h.s.viewer, &reversed).await, "to", "after");
    }
}

#[tokio::test]
async fn history_filters_by_agent_and_by_buyer_name_or_id() {
    // rule: DY-HIST-1 (filtered by agent, and by buyer name or ID)
    for t in inboxes().await {
        let h = history(&t).await;
        let (ids, total) =
            listed(&t, &h.s.viewer, in_history(|q| q.agent_id = Some(h.max.agent.id))).await;
        assert_eq!((ids, total), (vec![h.ann], 1), "{}: Max's", t.name);
        let (ids, total) =
            listed(&t, &h.s.viewer, in_history(|q| q.agent_id = Some(h.s.viewer.agent.id))).await;
        assert_eq!((ids, total), (vec![h.marie, h.bob], 2), "{}: the owner's", t.name);
        // A name part: "ann" is Ann Lee and Ann Marie; "ann l" only Ann Lee.
        let (ids, total) =
            listed(&t, &h.s.viewer, in_history(|q| q.buyer = Some("ann".into()))).await;
        assert_eq!((ids, total), (vec![h.marie, h.ann], 2), "{}", t.name);
        let (ids, _) =
            listed(&t, &h.s.viewer, in_history(|q| q.buyer = Some("ann l".into()))).await;
        assert_eq!(ids, vec![h.ann], "{}", t.name);
        // The platform's buyer id, exactly (a prefix is not an id).
        let (ids, _) =
            listed(&t, &h.s.viewer, in_history(|q| q.buyer = Some("b-bob".into()))).await;
        assert_eq!(ids, vec![h.bob], "{}", t.name);
        let (ids, total) =
            listed(&t, &h.s.viewer, in_history(|q| q.buyer = Some("b-bo".into()))).await;
        assert_eq!((ids.len(), total), (0, 0), "{}", t.name);
        // shopmux's buyer id.
        let bob = t.conversation(&h.s.viewer, h.bob).await.buyer_id;
        let (ids, _) =
            listed(&t, &h.s.viewer, in_history(|q| q.buyer = Some(bob.to_string()))).await;
        assert_eq!(ids, vec![h.bob], "{}", t.name);
    }
}

#[tokio::test]
async fn history_filters_combine_with_each_other_search_and_pages() {
    // rule: DY-HIST-1 (combined with the existing filters and search, with counts)
    for t in inboxes().await {
        let h = history(&t).await;
        // Buyer "ann" and the owner's: Ann Marie.
        let (ids, total) = listed(
            &t,
            &h.s.viewer,
            in_history(|q| {
                q.buyer = Some("ann".into());
                q.agent_id = Some(h.s.viewer.agent.id);
            }),
        )
        .await;
        assert_eq!((ids, total), (vec![h.marie], 1), "{}", t.name);
        // Buyer "ann" and the word "parcel": Ann Lee.
        let (ids, total) = listed(
            &t,
            &h.s.viewer,
            in_history(|q| {
                q.buyer = Some("ann".into());
                q.q = Some("parcel".into());
            }),
        )
        .await;
        assert_eq!((ids, total), (vec![h.ann], 1), "{}", t.name);
        // "parcel" from the second day on: Bob.
        let (ids, total) = listed(
            &t,
            &h.s.viewer,
            in_history(|q| {
                q.q = Some("parcel".into());
                q.from = Some(h.day1 + Duration::days(1));
            }),
        )
        .await;
        assert_eq!((ids, total), (vec![h.bob], 1), "{}", t.name);
        // The count covers every page.
        let first = t
            .list(
                &h.s.viewer,
                in_history(|q| {
                    q.agent_id = Some(h.s.viewer.agent.id);
                    q.limit = Some(1);
                }),
            )
            .await;
        assert_eq!((first.items.len(), first.total), (1, Some(2)), "{}", t.name);
        assert!(first.next_cursor.is_some());
        // Filters still apply to the open list, and an agent sees its own there.
        let (ids, total) = listed(
            &t,
            &h.max,
            query(|q| {
                q.status = Some(ListStatus::All);
                q.agent_id = Some(h.max.agent.id);
                q.has_order = Some(true);
            }),
        )
        .await;
        assert_eq!((ids.len(), total), (0, 0), "{}: no order", t.name);
        // Without a history filter nothing is counted unless asked.
        assert_eq!(t.list(&h.s.viewer, in_history(|_| {})).await.total, None);
        let asked = t.list(&h.s.viewer, in_history(|q| q.total = Some(true))).await;
        assert_eq!(asked.total, Some(3), "{}", t.name);
    }
}

#[tokio::test]
async fn the_whole_list_merges_every_status_in_order_across_pages() {
    // rule: DY-HIST-1 (the list of every status, one walk per status merged)
    for t in inboxes().await {
        let h = history(&t).await;
        // After the three ended ones, an hour apart: a conversation that is closed, then
        // one left open.
        t.clock.advance(Duration::hours(1));
        let closed = t.conversation_of(&h.s.shop, from("b-cat", "Cat Moss", "m-c", "hi")).await;
        t.change(&h.s.viewer, closed, Change::Close).await;
        t.clock.advance(Duration::hours(1));
        let open = t.conversation_of(&h.s.shop, from("b-dan", "Dan Roe", "m-d", "hello")).await;
        let expected = vec![open, closed, h.marie, h.bob, h.ann];
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = t
                .list(
                    &h.s.viewer,
                    query(|q| {
                        q.status = Some(ListStatus::All);
                        q.total = Some(true);
                        q.limit = Some(2);
                        q.cursor = cursor.clone();
                    }),
                )
                .await;
            assert_eq!(page.total, Some(5), "{}: every status counted", t.name);
            seen.extend(page.items.iter().map(|i| i.conversation.id));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen, expected, "{}: latest first across statuses", t.name);
        // Counted from the counters when only the status (and "mine") filter: the same
        // as the rows listed, for each status, the owner's and Max's own.
        for viewer in [&h.s.viewer, &h.max] {
            for status in
                [ListStatus::Open, ListStatus::History, ListStatus::Closed, ListStatus::All]
            {
                for mine in [false, true] {
                    let page = t
                        .list(
                            viewer,
                            query(|q| {
                                q.status = Some(status);
                                q.mine = Some(mine);
                                q.total = Some(true);
                                q.limit = Some(200);
                            }),
                        )
                        .await;
                    let listed = page.items.len() as i64;
                    assert_eq!(page.total, Some(listed), "{}: {status:?}, mine {mine}", t.name);
                }
            }
        }
        // From the closed one's message on: only it and the open one.
        let (ids, total) = listed(
            &t,
            &h.s.viewer,
            query(|q| {
                q.status = Some(ListStatus::All);
                q.from = Some(h.day1 + Duration::days(2) + Duration::hours(2));
            }),
        )
        .await;
        assert_eq!((ids, total), (vec![open, closed], 2), "{}", t.name);
    }
}

#[tokio::test]
async fn a_buyer_matched_by_name_and_by_id_counts_each_conversation_once() {
    // rule: DY-HIST-1 (a buyer filter drives the list and its count from the buyers)
    for t in inboxes().await {
        let h = history(&t).await;
        // "zed" is both the name part and the platform id of one buyer with two ended
        // conversations.
        let mut zed = Vec::new();
        for n in 0..2 {
            t.clock.advance(Duration::hours(1));
            let conv =
                t.conversation_of(&h.s.shop, from("zed", "Zed", &format!("z-{n}"), "hi")).await;
            t.reply_text(&h.s.viewer, conv, "on it").await;
            t.change(&h.s.viewer, conv, Change::End).await;
            zed.push(conv);
        }
        zed.reverse();
        let (ids, total) =
            listed(&t, &h.s.viewer, in_history(|q| q.buyer = Some("zed".into()))).await;
        assert_eq!((ids, total), (zed.clone(), 2), "{}", t.name);
        let all = query(|q| {
            q.status = Some(ListStatus::All);
            q.buyer = Some("zed".into());
        });
        let (ids, total) = listed(&t, &h.s.viewer, all).await;
        assert_eq!((ids, total), (zed, 2), "{}: every status", t.name);
    }
}

#[tokio::test]
async fn a_filter_is_counted_up_to_a_thousand_and_a_status_alone_exactly() {
    // rule: DY-HIST-1 (the count of a filtered history)
    for t in inboxes().await {
        let s = seller(&t.inbox, "many").await;
        let n = shopmux_core::services::reading::TOTAL_CAP + 2;
        let mut tasks = Vec::new();
        for i in 0..n {
            let (inbox, shop) = (t.inbox.clone(), s.shop.clone());
            let m = from(&format!("k-{i}"), &format!("Jan Kowalski {i}"), &format!("m-{i}"), "hi");
            tasks.push(tokio::spawn(async move { inbox.ingest(shop, m).await }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let by_name = t.list(&s.viewer, query(|q| q.buyer = Some("kowalski".into()))).await;
        assert_eq!(by_name.total, Some(1_000), "{}", t.name);
        assert!(by_name.total_more, "{}: more than the cap match", t.name);
        let one = t.list(&s.viewer, query(|q| q.buyer = Some("k-7".into()))).await;
        assert_eq!((one.total, one.total_more), (Some(1), false), "{}", t.name);
        let open = t.list(&s.viewer, query(|q| q.total = Some(true))).await;
        assert_eq!(
            (open.total, open.total_more),
            (Some(n), false),
            "{}: counters are exact",
            t.name
        );
    }
}
