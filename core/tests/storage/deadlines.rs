//! What a reply is worth, on both backends with the clock controlled: the deadlines a
//! waiting conversation still has (service figures' marks, the shop's first-reply
//! target) at their edges, kept on the row as they pass and as replies come; the "most
//! urgent first" list; the about-to-breach warning, once; the breach counts.

use crate::support::*;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use shopmux_core::domain::deadlines::DeadlineKind;
use shopmux_core::domain::listing::SortOrder;
use shopmux_core::domain::model::SenderKind;
use shopmux_core::domain::shop_settings::IngestShop;
use shopmux_core::events::InboxEvent;
use shopmux_core::services::service_levels::ServiceLevelQuery;
use shopmux_core::{Clock, Inbox};

/// Sets a shop's settings and returns its ingest view as it is now.
async fn configure(inbox: &Inbox, s: &Seller, settings: serde_json::Value) -> IngestShop {
    inbox.set_shop_settings(&s.viewer, s.shop.shop_id, settings).await.expect("settings");
    inbox.ingest_shop(s.shop.shop_id).await.unwrap().unwrap()
}

async fn next_breach(
    t: &TestInbox, s: &Seller, id: shopmux_core::domain::ids::ConversationId,
) -> Option<DateTime<Utc>> {
    t.conversation(&s.viewer, id).await.next_breach_at
}

async fn run_deadlines_at(t: &TestInbox, at: DateTime<Utc>) -> usize {
    t.clock.set(at);
    t.inbox.run_deadlines().await.expect("deadline pass")
}

// rule: DY-QA-1 (30 seconds, then 10 minutes, from the buyer's waiting message)
#[tokio::test]
async fn dy_qa_1_marks_pass_at_their_edges_and_a_reply_clears_them() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "dy-marks", "douyin").await;
        let t0 = t.clock.now();
        let id = t.conversation_of(&s.shop, text("b1", "m1", "still in stock?")).await;
        let mark = t0 + Duration::seconds(30);
        assert_eq!(next_breach(&t, &s, id).await, Some(mark), "{}", t.name);
        // At the mark exactly a reply still counts: nothing moves.
        assert_eq!(run_deadlines_at(&t, mark).await, 0, "{}", t.name);
        assert_eq!(next_breach(&t, &s, id).await, Some(mark), "{}", t.name);
        // A second later it is missed: the next breach is the 10-minute mark.
        assert_eq!(run_deadlines_at(&t, mark + Duration::seconds(1)).await, 1, "{}", t.name);
        assert_eq!(next_breach(&t, &s, id).await, Some(t0 + Duration::minutes(10)), "{}", t.name);
        let view = t.inbox.conversation_view(&s.viewer, id).await.unwrap();
        let targets: Vec<_> = view
            .allowed
            .deadlines
            .iter()
            .filter(|d| d.kind == DeadlineKind::ReplyTarget)
            .map(|d| (d.rule.clone().unwrap(), d.at))
            .collect();
        assert_eq!(
            targets,
            vec![("DY-QA-1".into(), mark), ("DY-QA-1".into(), t0 + Duration::minutes(10))],
            "{}",
            t.name
        );
        // A reply before the 10 minutes clears every reply deadline; what is left is the
        // buyer's silence ending it (DY-END-2).
        t.clock.set(t0 + Duration::minutes(4));
        t.reply_text(&s.viewer, id, "yes, 12 left").await;
        let view = t.inbox.conversation_view(&s.viewer, id).await.unwrap();
        let kinds: Vec<DeadlineKind> = view.allowed.deadlines.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, vec![DeadlineKind::AutoEnd], "{}", t.name);
        assert_eq!(
            view.conversation.next_breach_at,
            Some(t0 + Duration::minutes(19)),
            "{}: DY-END-2 15 minutes after the reply",
            t.name
        );
    }
}

#[tokio::test]
async fn the_first_reply_target_is_met_at_n_minutes_and_missed_a_second_later() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "sla-edges").await;
        let shop =
            configure(&t.inbox, &s, json!({"service_level": {"first_reply_minutes": 5}})).await;
        let t0 = t.clock.now();
        let due = t0 + Duration::minutes(5);
        let on_time = t.conversation_of(&shop, text("b1", "m1", "hello")).await;
        let late = t.conversation_of(&shop, text("b2", "m2", "hello")).await;
        let never = t.conversation_of(&shop, text("b3", "m3", "hello")).await;
        assert_eq!(next_breach(&t, &s, on_time).await, Some(due), "{}", t.name);
        t.clock.set(due);
        t.reply_text(&s.viewer, on_time, "on time").await;
        assert_eq!(next_breach(&t, &s, on_time).await, None, "{}: answered, nothing left", t.name);
        // At the due time the two unanswered ones are warned of, not moved on: not missed.
        assert_eq!(run_deadlines_at(&t, due).await, 2, "{}: two warnings", t.name);
        assert_eq!(next_breach(&t, &s, late).await, Some(due), "{}: due, not missed", t.name);
        run_deadlines_at(&t, due + Duration::seconds(1)).await;
        assert_eq!(next_breach(&t, &s, late).await, None, "{}: missed, nothing else ahead", t.name);
        t.reply_text(&s.viewer, late, "sorry for the wait").await;
        let q = ServiceLevelQuery {
            from: Some(t0),
            to: Some(t0 + Duration::hours(1)),
            ..Default::default()
        };
        let report = t.inbox.service_levels(&s.viewer, &q).await.unwrap();
        assert_eq!((report.breaches, report.denominator), (2, 3), "{}: late + never, of 3", t.name);
        let shop_line = &report.shops[0];
        assert_eq!(shop_line.target.unwrap().first_reply_minutes, 5);
        let mut lines: Vec<(bool, i64, i64)> = shop_line
            .agents
            .iter()
            .map(|a| (a.agent_id == Some(s.viewer.agent.id), a.numerator, a.denominator))
            .collect();
        lines.sort();
        // The owner answered one on time and one late; nobody held the unanswered one.
        assert_eq!(lines, vec![(false, 1, 1), (true, 1, 2)], "{}", t.name);
        // A period that ended before the due time counts nothing.
        let before = ServiceLevelQuery { from: Some(t0), to: Some(due), ..Default::default() };
        let empty = t.inbox.service_levels(&s.viewer, &before).await.unwrap();
        assert_eq!((empty.breaches, empty.denominator), (0, 0), "{}", t.name);
        let _ = never;
    }
}

// rule: AE-AUTO-3 (an automatic reply is not a human reply: the target still runs)
#[tokio::test]
async fn an_automatic_reply_does_not_meet_a_human_reply_target() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "sla-bot", "aliexpress").await;
        let settings = json!({
            "auto_reply": {"enabled": true, "text": "We reply within the hour", "actions": []},
            "service_level": {"first_reply_minutes": 10}
        });
        let shop = configure(&t.inbox, &s, settings).await;
        let t0 = t.clock.now();
        let id = t.conversation_of(&shop, text("b1", "m1", "hello?")).await;
        let page = t.inbox.messages(&s.viewer, id, &Default::default()).await.unwrap();
        assert!(
            page.items.iter().any(|m| m.sender_kind == SenderKind::Bot),
            "{}: the automatic reply went out",
            t.name
        );
        let c = t.conversation(&s.viewer, id).await;
        assert_eq!(c.next_breach_at, Some(t0 + Duration::minutes(10)), "{}", t.name);
        let view = t.inbox.conversation_view(&s.viewer, id).await.unwrap();
        assert!(
            view.allowed.deadlines.iter().any(|d| d.kind == DeadlineKind::ServiceLevel),
            "{}: the target still runs",
            t.name
        );
    }
}

#[tokio::test]
async fn most_urgent_first_sorts_by_the_earliest_breach_and_pages() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "urgent").await;
        let shop =
            configure(&t.inbox, &s, json!({"service_level": {"first_reply_minutes": 10}})).await;
        let t0 = t.clock.now();
        let a = t.conversation_of(&shop, text("anna", "a1", "first")).await;
        t.clock.set(t0 + Duration::minutes(1));
        let b = t.conversation_of(&shop, text("bob", "b1", "second")).await;
        t.clock.set(t0 + Duration::minutes(2));
        let c = t.conversation_of(&shop, text("cleo", "c1", "third")).await;
        // Anna answered: no deadline left, so last; the others by their due time.
        t.clock.set(t0 + Duration::minutes(3));
        t.reply_text(&s.viewer, a, "done").await;
        let page = t.list(&s.viewer, query(|q| q.sort = Some(SortOrder::Urgent))).await;
        let ids: Vec<_> = page.items.iter().map(|i| i.id).collect();
        assert_eq!(ids, vec![b, c, a], "{}", t.name);
        assert_eq!(page.items[0].next_breach_at, Some(t0 + Duration::minutes(11)));
        // The same order one row at a time, through the cursors.
        let mut walked = Vec::new();
        let mut cursor = None;
        loop {
            let q = query(|q| {
                q.sort = Some(SortOrder::Urgent);
                q.limit = Some(1);
                q.cursor = cursor.clone();
            });
            let page = t.list(&s.viewer, q).await;
            walked.extend(page.items.iter().map(|i| i.id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(walked, vec![b, c, a], "{}", t.name);
        // A tighter target re-stamps the open conversations at once.
        configure(&t.inbox, &s, json!({"service_level": {"first_reply_minutes": 5}})).await;
        assert_eq!(next_breach(&t, &s, b).await, Some(t0 + Duration::minutes(6)), "{}", t.name);
    }
}

#[tokio::test]
async fn the_about_to_breach_warning_fires_once_per_due_time() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "warn").await;
        let settings =
            json!({"service_level": {"first_reply_minutes": 5, "warn_before_seconds": 120}});
        let shop = configure(&t.inbox, &s, settings).await;
        let t0 = t.clock.now();
        let id = t.conversation_of(&shop, text("b1", "m1", "hello")).await;
        let mut events = t.inbox.events().subscribe();
        let warnings = |events: &mut tokio::sync::broadcast::Receiver<InboxEvent>| {
            let mut out = Vec::new();
            while let Ok(e) = events.try_recv() {
                if let InboxEvent::BreachSoon { conversation_id, due_at, .. } = e {
                    out.push((conversation_id, due_at));
                }
            }
            out
        };
        run_deadlines_at(&t, t0 + Duration::minutes(3) - Duration::seconds(1)).await;
        assert!(warnings(&mut events).is_empty(), "{}: not yet", t.name);
        run_deadlines_at(&t, t0 + Duration::minutes(3)).await;
        assert_eq!(warnings(&mut events), vec![(id, t0 + Duration::minutes(5))], "{}", t.name);
        run_deadlines_at(&t, t0 + Duration::minutes(3) + Duration::seconds(1)).await;
        assert!(warnings(&mut events).is_empty(), "{}: once", t.name);
        // The buyer writes again: the same wait, the same due time, no second warning.
        t.clock.set(t0 + Duration::minutes(4));
        t.ingest(&shop, text("b1", "m2", "anyone?")).await;
        run_deadlines_at(&t, t0 + Duration::minutes(4) + Duration::seconds(1)).await;
        assert!(warnings(&mut events).is_empty(), "{}: still once", t.name);
    }
}

/// Runs a statement on the test database (ids formatted in: test data only).
async fn sql(t: &TestInbox, statement: &str) {
    let q = sqlx::query(sqlx::AssertSqlSafe(statement.to_owned()));
    q.execute(t.inbox.store().pool()).await.expect(statement);
}

// rule: DY-QA-1 (migration 0023: conversations written before reply deadlines existed get
// theirs from the timer leader's backfill, in batches, once)
#[tokio::test]
async fn conversations_written_before_deadlines_existed_are_stamped_by_the_backfill_once() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "backfill", "douyin").await;
        let t0 = t.clock.now();
        let open = t.conversation_of(&s.shop, text("b1", "m1", "still there?")).await;
        let ended = t.conversation_of(&s.shop, text("b2", "m2", "hello")).await;
        t.change(&s.viewer, ended, shopmux_core::domain::conversation::Change::End).await;
        // Both as migration 0020 left rows written before it: no deadline, ranked by time.
        sql(
            &t,
            "UPDATE conversations SET next_breach_at = NULL, sla_due_at = NULL, \
             breach_warn_at = NULL, breach_rank = 4000000000000000 - last_message_at",
        )
        .await;
        sql(&t, "DELETE FROM deadline_backfill").await;
        // What migration 0023 lists: the open ones with no deadline stored.
        sql(
            &t,
            "INSERT INTO deadline_backfill (conversation_id) SELECT id FROM conversations \
             WHERE list_status = 'open' AND next_breach_at IS NULL AND sla_due_at IS NULL",
        )
        .await;
        assert_eq!(next_breach(&t, &s, open).await, None, "{}: stale before", t.name);
        t.clock.set(t0 + Duration::seconds(10));
        assert_eq!(t.inbox.backfill_deadlines().await.unwrap(), 1, "{}: one batch", t.name);
        let mark = t0 + Duration::seconds(30);
        assert_eq!(next_breach(&t, &s, open).await, Some(mark), "{}: stamped", t.name);
        let listed = t
            .list(&s.viewer, query(|q| q.sort = Some(SortOrder::Urgent)))
            .await
            .items
            .into_iter()
            .map(|i| i.id)
            .collect::<Vec<_>>();
        assert_eq!(listed.first(), Some(&open), "{}: most urgent first again", t.name);
        assert_eq!(next_breach(&t, &s, ended).await, None, "{}: an ended one has none", t.name);
        // The list is empty now: another pass does nothing, and a row listed twice is
        // stamped to the same values (idempotent).
        assert_eq!(t.inbox.backfill_deadlines().await.unwrap(), 0, "{}", t.name);
        sql(&t, &format!("INSERT INTO deadline_backfill (conversation_id) VALUES ('{open}')"))
            .await;
        let mut events = t.inbox.events().subscribe();
        assert_eq!(t.inbox.backfill_deadlines().await.unwrap(), 1, "{}", t.name);
        assert!(events.try_recv().is_err(), "{}: nothing changed, nothing pushed", t.name);
        assert_eq!(next_breach(&t, &s, open).await, Some(mark), "{}", t.name);
    }
}

// rule: SH-TOPIC-2, DY-QA-1 (a buyer message that brings a topic label is saved with the
// topic columns and the deadline columns alike: its wait's 30-second mark is the next
// breach; commit 2313d40)
#[tokio::test]
async fn a_topic_labelled_buyer_message_updates_the_next_breach_in_ingest() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "topic-breach", "douyin").await;
        let t0 = t.clock.now();
        let id = t.conversation_of(&s.shop, text("b1", "m1", "hi")).await;
        t.clock.set(t0 + Duration::minutes(1));
        t.reply_text(&s.viewer, id, "hello, how can I help?").await;
        // Answered: what is left is DY-END-2, 15 minutes after the reply.
        assert_eq!(next_breach(&t, &s, id).await, Some(t0 + Duration::minutes(16)), "{}", t.name);
        t.clock.set(t0 + Duration::minutes(5));
        t.ingest(&s.shop, text("b1", "m2", "Do you ship to Canada?")).await;
        let c = t.conversation(&s.viewer, id).await;
        assert_eq!(c.topics, ["shipping"], "{}: the topic path was taken", t.name);
        assert_eq!(
            c.next_breach_at,
            Some(t0 + Duration::minutes(5) + Duration::seconds(30)),
            "{}: the new wait's 30-second mark",
            t.name
        );
    }
}
