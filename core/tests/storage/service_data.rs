//! Service data (issue 17): each formula on hand-computed fixtures at its edges, with
//! the clock controlled (TT-DATA-1..3, DY-QA-1..3); periods in the shop's time zone;
//! rollups that agree with a recompute from the stored messages; the live push.

use crate::support::*;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::json;
use shopmux_contract::adapter::{BuyerMessage, EventBuyer, InboundEvent};
use shopmux_contract::content::MessageContent;
use shopmux_contract::service_figures::FigureKind;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::ConversationId;
use shopmux_core::domain::service_data::figures::Figure;
use shopmux_core::domain::viewer::Viewer;
use shopmux_core::events::InboxEvent;
use shopmux_core::services::service_data::{
    FigureQuery, FigureReport, Grouping, SeriesQuery, Table,
};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn query(period: &str, date: &str, group: Grouping) -> FigureQuery {
    FigureQuery {
        period: Some(period.into()),
        date: Some(day(date)),
        group: Some(group),
        ..Default::default()
    }
}

async fn figures(t: &TestInbox, v: &Viewer, q: FigureQuery) -> FigureReport {
    t.inbox.service_figures(v, &q).await.unwrap_or_else(|e| panic!("{}: figures: {e}", t.name))
}

/// The one figure of a kind in the report's first row.
fn fig(report: &FigureReport, kind: FigureKind) -> Figure {
    let row = report.rows.first().expect("a row");
    row.figures.iter().find(|f| f.kind == kind).cloned().unwrap_or_else(|| panic!("{kind:?}"))
}

fn nd(f: &Figure) -> (i64, i64) {
    (f.numerator, f.denominator)
}

/// A buyer message through the one way in.
fn event(buyer: &str, id: &str, content: MessageContent) -> InboundEvent {
    InboundEvent::Message(BuyerMessage {
        buyer: EventBuyer {
            external_id: buyer.into(),
            nickname: Some(buyer.into()),
            email: None,
            language: None,
        },
        platform_message_id: id.into(),
        platform_conversation_id: None,
        content,
        sent_at_ms: None,
        order: None,
        entry_point: None,
    })
}

async fn rate(t: &TestInbox, s: &Seller, buyer: &str, id: &str, score: u8) {
    let content = MessageContent::RatingCard { score: Some(score), comment: None };
    t.inbox.apply(&s.shop, vec![event(buyer, id, content)]).await.expect("rating");
}

async fn assign(t: &TestInbox, s: &Seller, c: ConversationId) {
    t.change(&s.viewer, c, Change::Assign(s.viewer.agent.id)).await;
}

async fn assert_recompute_agrees(t: &TestInbox, from: &str, to: &str) {
    let report =
        t.inbox.recompute_service_data(day(from), day(to), None, false).await.expect("recompute");
    assert!(report.rows > 0, "{}: rollups to compare", t.name);
    assert!(
        report.differences.is_empty(),
        "{}: rollups drifted from the stored messages: {:?}",
        t.name,
        report.differences
    );
}

// rule: TT-DATA-1
#[tokio::test]
async fn tt_data_1_a_reply_at_24_hours_counts_and_at_24_hours_1_second_does_not() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Tia", "tiktok").await;
        t.clock.set(at("2026-03-10T08:00:00Z"));
        let a = t.conversation_of(&s.shop, text("ann", "a-1", "hi")).await;
        let b = t.conversation_of(&s.shop, text("bob", "b-1", "hi")).await;
        let never = t.conversation_of(&s.shop, text("cid", "c-1", "hi")).await;
        for c in [a, b, never] {
            assign(&t, &s, c).await;
        }
        // An earlier conversation, six days before, answered in 1 minute: inside the
        // 7 days. One eight days before: outside.
        t.clock.set(at("2026-03-04T09:00:00Z"));
        let old = t.conversation_of(&s.shop, text("dan", "d-1", "hi")).await;
        t.clock.advance(Duration::minutes(1));
        t.reply_text(&s.viewer, old, "hello").await;
        t.clock.set(at("2026-03-02T09:00:00Z"));
        t.conversation_of(&s.shop, text("eve", "e-1", "hi")).await;
        t.clock.set(at("2026-03-11T08:00:00Z"));
        t.reply_text(&s.viewer, a, "sorry for the wait").await; // exactly 24 h
        t.clock.advance(Duration::seconds(1));
        t.reply_text(&s.viewer, b, "sorry for the wait").await; // 24 h 1 s
        let report = figures(&t, &s.viewer, query("day", "2026-03-10", Grouping::Shop)).await;
        let rate = fig(&report, FigureKind::ResponseRate);
        assert_eq!(rate.rule, "TT-DATA-1");
        // a (24 h) and old (1 min) over a, b, never and old; eve is 8 days back.
        assert_eq!(nd(&rate), (2, 4), "{}", t.name);
        assert_eq!(rate.value, Some(0.5));
        assert_eq!((rate.from, rate.to), (at("2026-03-04T00:00:00Z"), at("2026-03-11T00:00:00Z")));
        // A shop on TikTok's 12-hour store rating: a no longer counts.
        let mut settings = json!({"rule_overrides": {"TT-DATA-1": "12h"}});
        t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, settings.clone()).await.unwrap();
        let report = figures(&t, &s.viewer, query("day", "2026-03-10", Grouping::Shop)).await;
        assert_eq!(nd(&fig(&report, FigureKind::ResponseRate)), (1, 4), "{}", t.name);
        // A window that is not whole hours is refused.
        settings["rule_overrides"]["TT-DATA-1"] = json!("90m");
        let refused = t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, settings).await;
        assert_invalid(refused, "settings.rule_overrides", "whole hours");
        assert_recompute_agrees(&t, "2026-03-01", "2026-03-12").await;
    }
}

// rule: TT-DATA-3
#[tokio::test]
async fn tt_data_3_received_today_counts_conversations_assigned_to_the_agent_in_the_shops_day() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Ted", "tiktok").await;
        let settings = json!({"time_zone": "Asia/Shanghai"});
        t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, settings).await.unwrap();
        let other = sub_account(&t.inbox, &s.viewer, "other", 10, &[s.shop.shop_id]).await;
        // 15:59:59Z is 23:59:59 in Shanghai on the 10th; 16:00Z is the 11th.
        t.clock.set(at("2026-03-10T15:59:59Z"));
        let late = t.conversation_of(&s.shop, text("ann", "a-1", "hi")).await;
        t.clock.set(at("2026-03-10T16:00:00Z"));
        let next = t.conversation_of(&s.shop, text("bob", "b-1", "hi")).await;
        let queued = t.conversation_of(&s.shop, text("cat", "c-1", "hi")).await;
        for c in [late, next] {
            assign(&t, &s, c).await;
        }
        // Unassign what routing may have done with the third: it waits, received by nobody.
        let q = t.inbox.conversation(&s.viewer, queued).await.unwrap();
        if q.assignee_id.is_some() {
            t.change(&s.viewer, queued, Change::Unassign).await;
        }
        let mine = |d: &str| FigureQuery {
            agent_id: Some(s.viewer.agent.id),
            ..query("day", d, Grouping::Agent)
        };
        let tenth = figures(&t, &s.viewer, mine("2026-03-10")).await;
        let received = fig(&tenth, FigureKind::Received);
        assert_eq!(received.rule, "TT-DATA-3");
        assert_eq!(received.numerator, 1, "{}: the 10th in Shanghai", t.name);
        assert_eq!(received.from, at("2026-03-09T16:00:00Z"));
        let eleventh = figures(&t, &s.viewer, mine("2026-03-11")).await;
        assert_eq!(fig(&eleventh, FigureKind::Received).numerator, 1, "{}", t.name);
        // A transfer moves it to the other agent.
        t.change(&s.viewer, next, Change::Transfer(other.agent.id)).await;
        let eleventh = figures(&t, &s.viewer, mine("2026-03-11")).await;
        assert_eq!(fig(&eleventh, FigureKind::Received).numerator, 0, "{}", t.name);
        let shop = figures(&t, &s.viewer, query("day", "2026-03-11", Grouping::Shop)).await;
        assert_eq!(
            fig(&shop, FigureKind::Received).numerator,
            1,
            "{}: the unassigned one is nobody's",
            t.name
        );
        assert_recompute_agrees(&t, "2026-03-09", "2026-03-12").await;
    }
}

// rule: TT-DATA-2
#[tokio::test]
async fn tt_data_2_a_rating_on_the_last_day_of_the_period_counts_in_it_and_only_the_latest_counts()
{
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Ria", "tiktok").await;
        let settings = json!({"time_zone": "Asia/Shanghai"});
        t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, settings).await.unwrap();
        t.clock.set(at("2026-01-31T10:00:00Z"));
        for (buyer, id) in [("ann", "a-1"), ("bob", "b-1"), ("cat", "c-1")] {
            let c = t.conversation_of(&s.shop, text(buyer, id, "hi")).await;
            t.reply_text(&s.viewer, c, "hello").await;
        }
        // Jan 31 23:59:59 in Shanghai: the month's last second.
        t.clock.set(at("2026-01-31T15:59:59Z"));
        rate(&t, &s, "ann", "a-2", 5).await;
        rate(&t, &s, "bob", "b-2", 2).await;
        t.clock.set(at("2026-01-31T15:59:30Z"));
        // Bob rates again a little later: his latest (4) replaces his 2.
        t.clock.set(at("2026-01-31T15:59:59Z"));
        rate(&t, &s, "bob", "b-3", 4).await;
        // Feb 1 00:00 in Shanghai: February.
        t.clock.set(at("2026-01-31T16:00:00Z"));
        rate(&t, &s, "cat", "c-2", 3).await;
        let jan = figures(&t, &s.viewer, query("month", "2026-01-15", Grouping::Shop)).await;
        let sat = fig(&jan, FigureKind::Satisfaction);
        assert_eq!(sat.rule, "TT-DATA-2");
        assert_eq!(nd(&sat), (2, 2), "{}: ann 5 and bob's latest 4", t.name);
        let last_day = figures(&t, &s.viewer, query("day", "2026-01-31", Grouping::Shop)).await;
        assert_eq!(nd(&fig(&last_day, FigureKind::Satisfaction)), (2, 2), "{}", t.name);
        let feb = figures(&t, &s.viewer, query("day", "2026-02-01", Grouping::Shop)).await;
        assert_eq!(nd(&fig(&feb, FigureKind::Satisfaction)), (0, 1), "{}: cat's 3", t.name);
        assert_recompute_agrees(&t, "2026-01-30", "2026-02-02").await;
    }
}

// rule: DY-QA-1
// rule: DY-QA-2
#[tokio::test]
async fn dy_qa_1_and_2_response_times_at_the_30_second_and_10_minute_edges() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Dai", "douyin").await;
        let t0 = at("2026-04-01T02:00:00Z");
        t.clock.set(t0);
        let c = t.conversation_of(&s.shop, text("ann", "a-1", "hi")).await;
        // Assigned a minute later: DY-QA-2 measures from the assignment.
        t.clock.set(t0 + Duration::minutes(1));
        assign(&t, &s, c).await;
        t.clock.set(t0 + Duration::minutes(1) + Duration::seconds(30));
        t.reply_text(&s.viewer, c, "hello").await; // 30 s after assignment: within
        t.clock.set(t0 + Duration::minutes(5));
        t.ingest(&s.shop, text("ann", "a-2", "size?")).await;
        t.clock.set(t0 + Duration::minutes(5) + Duration::milliseconds(30_001));
        t.reply_text(&s.viewer, c, "M").await; // 30.001 s: not within
        t.clock.set(t0 + Duration::minutes(10));
        t.ingest(&s.shop, text("ann", "a-3", "colour?")).await;
        t.clock.advance(Duration::minutes(3));
        t.ingest(&s.shop, text("ann", "a-4", "hello?")).await;
        t.clock.set(t0 + Duration::minutes(20) - Duration::milliseconds(1));
        // A reply 9:59.999 after the wait began (at the first of the two messages).
        t.reply_text(&s.viewer, c, "red").await;
        t.clock.set(t0 + Duration::minutes(30));
        t.ingest(&s.shop, text("ann", "a-5", "thanks, and?")).await;
        t.clock.set(t0 + Duration::minutes(40));
        t.reply_text(&s.viewer, c, "you're welcome").await; // exactly 10 minutes
        // A conversation assigned but never answered.
        let never = t.conversation_of(&s.shop, text("bob", "b-1", "hi")).await;
        assign(&t, &s, never).await;
        let report = figures(&t, &s.viewer, query("day", "2026-04-01", Grouping::Shop)).await;
        let f = |k| fig(&report, k);
        assert_eq!(nd(&f(FigureKind::Consultations)), (2, 1), "{}", t.name);
        assert_eq!(nd(&f(FigureKind::BuyersServed)), (1, 1), "{}", t.name);
        let first = f(FigureKind::FirstResponseTime);
        assert_eq!(first.rule, "DY-QA-2");
        assert_eq!(nd(&first), (30_000, 1), "{}: the unanswered one is not averaged", t.name);
        let avg = f(FigureKind::AverageResponseTime);
        assert_eq!(nd(&avg), (30_000 + 30_001 + 599_999 + 600_000, 4), "{}", t.name);
        let within = f(FigureKind::RepliesWithin);
        assert_eq!((within.rule.as_str(), nd(&within)), ("DY-QA-1", (1, 4)), "{}", t.name);
        assert_eq!(f(FigureKind::UnrepliedFor).numerator, 1, "{}: only the 10:00 wait", t.name);
        // The agent's own figures are the same (they did everything).
        let me = t
            .inbox
            .my_service_figures(&s.viewer, &query("week", "2026-04-01", Grouping::Agent))
            .await
            .unwrap();
        assert_eq!(nd(&fig(&me, FigureKind::AverageResponseTime)).1, 4, "{}", t.name);
        assert_eq!(me.rows[0].agent_id, Some(s.viewer.agent.id));
        let month = figures(&t, &s.viewer, query("month", "2026-04-30", Grouping::Shop)).await;
        assert_eq!(nd(&fig(&month, FigureKind::BuyersServed)), (1, 1), "{}", t.name);
        assert_recompute_agrees(&t, "2026-03-31", "2026-04-02").await;
    }
}

// rule: DY-QA-3
#[tokio::test]
async fn dy_qa_3_rating_analysis_per_agent_over_at_most_30_days() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Dora", "douyin").await;
        t.clock.set(at("2026-05-31T06:00:00Z"));
        for (buyer, id) in [("ann", "a-1"), ("bob", "b-1")] {
            let c = t.conversation_of(&s.shop, text(buyer, id, "hi")).await;
            assign(&t, &s, c).await;
            t.reply_text(&s.viewer, c, "hello").await;
        }
        t.clock.set(at("2026-05-31T23:59:59Z")); // the period's last second (UTC shop)
        rate(&t, &s, "ann", "a-2", 5).await;
        let q = FigureQuery {
            from: Some(day("2026-05-02")),
            to: Some(day("2026-05-31")),
            ..Default::default()
        };
        let report = t.inbox.rating_analysis(&s.viewer, &q).await.unwrap();
        assert_eq!(report.rows.len(), 1, "{}: one agent", t.name);
        assert_eq!(report.rows[0].agent_id, Some(s.viewer.agent.id));
        let ratings = fig(&report, FigureKind::Ratings);
        assert_eq!((ratings.rule.as_str(), ratings.numerator), ("DY-QA-3", 1), "{}", t.name);
        assert_eq!(nd(&fig(&report, FigureKind::RatingRate)), (1, 2), "{}", t.name);
        let too_long = FigureQuery { from: Some(day("2026-05-01")), ..q.clone() };
        assert_invalid(t.inbox.rating_analysis(&s.viewer, &too_long).await, "to", "30 days");
        // A month is longer than 30 days: the monthly figures leave DY-QA-3 out.
        let month = figures(&t, &s.viewer, query("month", "2026-05-01", Grouping::Shop)).await;
        assert!(month.rows[0].figures.iter().all(|f| f.rule != "DY-QA-3"), "{}", t.name);
        assert_recompute_agrees(&t, "2026-05-30", "2026-06-01").await;
    }
}

/// Recomputes June 1st (applying when `apply`).
async fn recompute(
    t: &TestInbox, apply: bool,
) -> shopmux_core::services::service_data::RecomputeReport {
    let june_1 = day("2026-06-01");
    t.inbox.recompute_service_data(june_1, june_1, None, apply).await.expect("recompute")
}

#[tokio::test]
async fn recompute_reports_a_drifted_rollup_and_apply_repairs_it() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Rex", "douyin").await;
        t.clock.set(at("2026-06-01T10:00:00Z"));
        let c = t.conversation_of(&s.shop, text("ann", "a-1", "hi")).await;
        t.clock.advance(Duration::seconds(20));
        t.reply_text(&s.viewer, c, "hello").await;
        sqlx::query("UPDATE service_rollups SET n = n + 5 WHERE metric = 'response'")
            .execute(t.inbox.store().pool())
            .await
            .unwrap();
        let report = recompute(&t, false).await;
        // The slot row differs from the messages, and the hour, block and day rows from it.
        let mut found: Vec<_> = report
            .differences
            .iter()
            .map(|d| (d.table, d.metric.as_str(), d.stored.0, d.recomputed.0))
            .collect();
        found.sort();
        assert_eq!(
            found,
            [
                (Table::Slots, "response", 6, 1),
                (Table::Hours, "response", 1, 6),
                (Table::Blocks, "response", 1, 6),
                (Table::Days, "response", 1, 6)
            ],
            "{}",
            t.name
        );
        recompute(&t, true).await;
        assert_recompute_agrees(&t, "2026-06-01", "2026-06-01").await;
        // A drifted day row alone is found too.
        sqlx::query("UPDATE service_rollups_daily SET total = total + 7 WHERE metric = 'response'")
            .execute(t.inbox.store().pool())
            .await
            .unwrap();
        let report = recompute(&t, false).await;
        let d = &report.differences[..];
        assert_eq!(d.len(), 1, "{}: {d:?}", t.name);
        assert_eq!((d[0].table, d[0].stored.1 - d[0].recomputed.1), (Table::Days, 7));
        recompute(&t, true).await;
        assert_recompute_agrees(&t, "2026-06-01", "2026-06-01").await;
    }
}

#[tokio::test]
async fn a_reply_pushes_the_agents_figures_at_most_once_a_second() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Pia", "douyin").await;
        let c = t.conversation_of(&s.shop, text("ann", "a-1", "hi")).await;
        let mut events = t.inbox.events().subscribe();
        t.reply_text(&s.viewer, c, "one").await;
        t.reply_text(&s.viewer, c, "two").await;
        t.clock.advance(Duration::seconds(1));
        t.reply_text(&s.viewer, c, "three").await;
        let mut pushed = 0;
        while let Ok(e) = events.try_recv() {
            if let InboxEvent::ServiceDataChanged { agent_id, shop_id, .. } = e {
                assert_eq!((agent_id, shop_id), (Some(s.viewer.agent.id), s.shop.shop_id));
                pushed += 1;
            }
        }
        assert_eq!(pushed, 2, "{}: one at once per second", t.name);
        // The reply inside the first second is pushed once, at that second's end.
        let trailing = tokio::time::timeout(std::time::Duration::from_secs(3), async {
            loop {
                if let Ok(InboxEvent::ServiceDataChanged { .. }) = events.recv().await {
                    return;
                }
            }
        })
        .await;
        assert!(trailing.is_ok(), "{}: the trailing push", t.name);
    }
}

// rule: DY-QA-1 (buyer messages left unreplied for 10 minutes: a wait still unanswered
// counts too, once its 10 minutes have passed by the clock, in the period its wait began
// — where an answered one counts as well, so answering it late moves nothing)
#[tokio::test]
async fn dy_qa_1_a_message_still_unanswered_after_10_minutes_counts_in_the_period_it_arrived() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Uma", "douyin").await;
        // A buyer answered before who then only rates: a rating awaits no reply.
        t.clock.set(at("2026-04-01T23:40:00Z"));
        let rated = t.conversation_of(&s.shop, text("cat", "c-1", "hi")).await;
        t.reply_text(&s.viewer, rated, "hello").await;
        // 23:55 on April 1 (a UTC shop): Ann's wait begins on the 1st; Bob's a minute later.
        let t0 = at("2026-04-01T23:55:00Z");
        t.clock.set(t0);
        let ann = t.conversation_of(&s.shop, text("ann", "a-1", "hi")).await;
        assign(&t, &s, ann).await;
        t.clock.set(t0 + Duration::minutes(1));
        let bob = t.conversation_of(&s.shop, text("bob", "b-1", "hello?")).await;
        if t.inbox.conversation(&s.viewer, bob).await.unwrap().assignee_id.is_some() {
            t.change(&s.viewer, bob, Change::Unassign).await;
        }
        rate(&t, &s, "cat", "c-2", 5).await;
        let unreplied = |day: &'static str, mine: bool| {
            let (t, s) = (&t, &s);
            async move {
                let q = if mine {
                    FigureQuery {
                        agent_id: Some(s.viewer.agent.id),
                        ..query("day", day, Grouping::Agent)
                    }
                } else {
                    query("day", day, Grouping::Shop)
                };
                let f = fig(&figures(t, &s.viewer, q).await, FigureKind::UnrepliedFor);
                assert_eq!(f.rule, "DY-QA-1");
                f.numerator
            }
        };
        // 9:59.999 after Ann's message: not yet.
        t.clock.set(t0 + Duration::minutes(10) - Duration::milliseconds(1));
        assert_eq!(unreplied("2026-04-01", false).await, 0, "{}", t.name);
        // 10 minutes exactly (00:05 on the 2nd): Ann's counts, on the 1st.
        t.clock.set(t0 + Duration::minutes(10));
        assert_eq!(unreplied("2026-04-01", false).await, 1, "{}", t.name);
        assert_eq!(unreplied("2026-04-02", false).await, 0, "{}: by the wait's start", t.name);
        // Bob's too a minute later (nobody holds it: the shop's, not the agent's); Cat's
        // rating never does.
        t.clock.set(t0 + Duration::minutes(20));
        assert_eq!(unreplied("2026-04-01", false).await, 2, "{}", t.name);
        assert_eq!(unreplied("2026-04-01", true).await, 1, "{}: the agent holds Ann's", t.name);
        assert_recompute_agrees(&t, "2026-04-01", "2026-04-02").await;
        // Ann is answered late, on the 2nd: still one of the 1st's, and once only.
        t.reply_text(&s.viewer, ann, "sorry for the wait").await;
        assert_eq!(unreplied("2026-04-01", false).await, 2, "{}", t.name);
        assert_eq!(unreplied("2026-04-01", true).await, 1, "{}", t.name);
        assert_eq!(unreplied("2026-04-02", false).await, 0, "{}", t.name);
        assert_recompute_agrees(&t, "2026-04-01", "2026-04-02").await;
        // The figures as a week: the same two.
        let week = figures(&t, &s.viewer, query("week", "2026-04-01", Grouping::Shop)).await;
        assert_eq!(fig(&week, FigureKind::UnrepliedFor).numerator, 2, "{}", t.name);
    }
}

// rule: TT-DATA-1 (the window is one number: a shop's override moves the figure and the
// reply deadline "what a reply is worth" shows, together)
#[tokio::test]
async fn tt_data_1_a_shops_window_override_changes_the_figure_and_the_reply_deadline_alike() {
    use shopmux_core::domain::deadlines::DeadlineKind;
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Tom", "tiktok").await;
        let t0 = at("2026-03-10T08:00:00Z");
        t.clock.set(t0);
        let waiting = t.conversation_of(&s.shop, text("ann", "a-1", "hi")).await;
        let answered = t.conversation_of(&s.shop, text("bob", "b-1", "hi")).await;
        let target = async |t: &TestInbox| {
            let view = t.inbox.conversation_view(&s.viewer, waiting).await.unwrap();
            let d = view.allowed.deadlines.iter().find(|d| d.kind == DeadlineKind::ReplyTarget);
            let d = d.cloned().expect("the TT-DATA-1 deadline");
            assert_eq!(d.rule.as_deref(), Some("TT-DATA-1"));
            // Its words name no number of hours that an override would make wrong.
            assert!(!d.what.unwrap_or_default().contains("24"), "{}", t.name);
            (d.at, d.within_seconds, view.conversation.next_breach_at)
        };
        let rate = async |t: &TestInbox| {
            let report = figures(t, &s.viewer, query("day", "2026-03-10", Grouping::Shop)).await;
            nd(&fig(&report, FigureKind::ResponseRate))
        };
        let (day, half) = (Some(24 * 3600), Some(12 * 3600));
        let in_24h = (t0 + Duration::hours(24), day, Some(t0 + Duration::hours(24)));
        assert_eq!(target(&t).await, in_24h, "{}", t.name);
        // The shop moves to the 12-hour store rating: the deadline and the stored next
        // breach at once.
        t.clock.set(t0 + Duration::hours(1));
        let twelve = json!({"rule_overrides": {"TT-DATA-1": "12h"}});
        t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, twelve).await.unwrap();
        let in_12h = (t0 + Duration::hours(12), half, Some(t0 + Duration::hours(12)));
        assert_eq!(target(&t).await, in_12h, "{}", t.name);
        // Bob is answered after 13 hours: outside 12 hours, so not in the figure either.
        t.clock.set(t0 + Duration::hours(13));
        t.reply_text(&s.viewer, answered, "sorry for the wait").await;
        assert_eq!(rate(&t).await, (0, 2), "{}: 13 hours is outside 12", t.name);
        // Back to 24 hours: both again.
        t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, json!({})).await.unwrap();
        assert_eq!(rate(&t).await, (1, 2), "{}: inside 24", t.name);
        assert_eq!(target(&t).await, in_24h, "{}", t.name);
    }
}

/// Migration 0023's statement filling `reply_wait_since` for conversations written
/// before it, for the backend of `t`.
fn backfill_statement(t: &TestInbox) -> String {
    let file = match t.name {
        "postgres" => include_str!("../../migrations/postgres/0023_unreplied_waits_backfill.sql"),
        _ => include_str!("../../migrations/sqlite/0023_unreplied_waits_backfill.sql"),
    };
    let start = file.find("UPDATE conversations SET reply_wait_since").expect("the backfill");
    let len = file[start..].find(';').expect("its end");
    file[start..start + len].to_owned()
}

// rule: DY-QA-1 (migration 0023 gives conversations written before it the wait their
// messages show: the first buyer message after the last human reply, a rating none)
#[tokio::test]
async fn dy_qa_1_migration_0023_fills_the_waits_as_the_inbox_keeps_them() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Mig", "douyin").await;
        t.clock.set(at("2026-04-01T10:00:00Z"));
        let waits = t.conversation_of(&s.shop, text("ann", "a-1", "hi")).await;
        let rated = t.conversation_of(&s.shop, text("bob", "b-1", "hi")).await;
        t.clock.set(at("2026-04-01T10:01:00Z"));
        for c in [waits, rated] {
            t.reply_text(&s.viewer, c, "hello").await;
        }
        t.clock.set(at("2026-04-01T10:02:00Z"));
        rate(&t, &s, "ann", "a-2", 4).await;
        rate(&t, &s, "bob", "b-2", 5).await;
        t.clock.set(at("2026-04-01T10:03:00Z"));
        t.ingest(&s.shop, text("ann", "a-3", "and the size?")).await;
        t.ingest(&s.shop, text("ann", "a-4", "hello?")).await;
        let pool = t.inbox.store().pool();
        let read = async || {
            let sql = "SELECT id, reply_wait_since FROM conversations ORDER BY id";
            let rows: Vec<(String, Option<i64>)> =
                sqlx::query_as(sql).fetch_all(pool).await.expect("the waits");
            rows
        };
        let kept = read().await;
        let ann_wait = at("2026-04-01T10:03:00Z").timestamp_millis();
        assert!(kept.contains(&(waits.to_string(), Some(ann_wait))), "{}: {kept:?}", t.name);
        assert!(kept.contains(&(rated.to_string(), None)), "{}: a rating awaits none", t.name);
        sqlx::query("UPDATE conversations SET reply_wait_since = NULL")
            .execute(pool)
            .await
            .unwrap();
        let statement = backfill_statement(&t);
        sqlx::query(sqlx::AssertSqlSafe(statement)).execute(pool).await.expect("the backfill");
        assert_eq!(read().await, kept, "{}: the migration agrees with the inbox", t.name);
    }
}

// rule: DY-QA-1
#[tokio::test]
async fn dy_qa_1_a_shanghai_month_reads_its_whole_utc_days_and_edge_slots_alike_in_every_grouping()
{
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Lin", "douyin").await;
        let settings = json!({"time_zone": "Asia/Shanghai"});
        t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, settings).await.unwrap();
        let other = sub_account(&t.inbox, &s.viewer, "other", 10, &[s.shop.shop_id]).await;
        // (when the buyer writes, who answers, after how many seconds): January in
        // Shanghai is [Dec 31 16:00Z, Jan 31 16:00Z); its first and last local hours are
        // edge slots, Jan 15 lies in a whole UTC day, Jan 31 16:10Z is February.
        let plan = [
            ("2025-12-31T16:30:00Z", &s.viewer, 20),
            ("2026-01-15T12:00:00Z", &other, 40),
            ("2026-01-31T15:30:00Z", &s.viewer, 10),
            ("2026-01-31T16:10:00Z", &s.viewer, 5),
        ];
        for (i, (when, agent, secs)) in plan.into_iter().enumerate() {
            t.clock.set(at(when));
            let buyer = format!("b{i}");
            let c = t.conversation_of(&s.shop, text(&buyer, &format!("{buyer}-1"), "hi")).await;
            t.change(&s.viewer, c, Change::Assign(agent.agent.id)).await;
            t.clock.advance(Duration::seconds(secs));
            t.reply_text(agent, c, "hello").await;
        }
        let avg = |r: &FigureReport| nd(&fig(r, FigureKind::AverageResponseTime));
        let jan = figures(&t, &s.viewer, query("month", "2026-01-20", Grouping::Shop)).await;
        assert_eq!(avg(&jan), (70_000, 3), "{}: January's three, edges included", t.name);
        let feb = figures(&t, &s.viewer, query("month", "2026-02-01", Grouping::Shop)).await;
        assert_eq!(avg(&feb), (5_000, 1), "{}", t.name);
        let range = FigureQuery {
            from: Some(day("2026-01-01")),
            to: Some(day("2026-01-31")),
            ..Default::default()
        };
        assert_eq!(avg(&figures(&t, &s.viewer, range).await), (70_000, 3), "{}", t.name);
        let platform = figures(&t, &s.viewer, query("month", "2026-01-20", Grouping::Platform));
        assert_eq!(avg(&platform.await), (70_000, 3), "{}", t.name);
        // Per agent: every agent's row from one read.
        let agents = figures(&t, &s.viewer, query("month", "2026-01-20", Grouping::Agent)).await;
        let of = |id| {
            let row = agents.rows.iter().find(|r| r.agent_id == Some(id)).expect("the agent's row");
            let f = row.figures.iter().find(|f| f.kind == FigureKind::AverageResponseTime);
            nd(f.expect("the figure"))
        };
        assert_eq!(agents.rows.len(), 2, "{}", t.name);
        assert_eq!(of(s.viewer.agent.id), (30_000, 2), "{}", t.name);
        assert_eq!(of(other.agent.id), (40_000, 1), "{}", t.name);
        // The series: one response on each of Jan 1, 15 and 31 (local days).
        let q = SeriesQuery {
            shop_id: s.shop.shop_id,
            agent_id: None,
            from: day("2026-01-01"),
            to: day("2026-01-31"),
        };
        let series = t.inbox.service_series(&s.viewer, &q).await.unwrap();
        let answered: Vec<String> = series
            .days
            .iter()
            .zip(&series.figures)
            .filter(|(_, f)| {
                f.iter().any(|f| f.kind == FigureKind::AverageResponseTime && f.denominator > 0)
            })
            .map(|(d, _)| d.to_string())
            .collect();
        assert_eq!(answered, ["2026-01-01", "2026-01-15", "2026-01-31"], "{}", t.name);
        assert_series_is_each_days_figures(&t, &s, "2025-12-30", "2026-02-02").await;
        assert_recompute_agrees(&t, "2025-12-31", "2026-02-01").await;
    }
}

// rule: DY-QA-1 (migrations 0026 and 0031 fill the hour, day and block tables from the
// rows written before them, as the inbox keeps them)
#[tokio::test]
async fn dy_qa_1_migrations_0026_and_0031_fill_the_unit_tables_as_the_inbox_keeps_them() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Day", "douyin").await;
        for (i, when) in ["2026-04-01T23:50:00Z", "2026-04-02T00:10:00Z", "2026-04-02T09:00:00Z"]
            .into_iter()
            .enumerate()
        {
            t.clock.set(at(when));
            let c =
                t.conversation_of(&s.shop, text(&format!("b{i}"), &format!("m{i}"), "hi")).await;
            t.clock.advance(Duration::seconds(10 + i as i64));
            t.reply_text(&s.viewer, c, "hello").await;
        }
        let pool = t.inbox.store().pool();
        let read = async |table: &str, unit: &str| {
            let sql = format!(
                "SELECT shop_id, {unit}, agent_id, metric, n, total FROM {table} \
                 ORDER BY shop_id, {unit}, agent_id, metric"
            );
            let rows: Vec<(String, i64, String, String, i64, i64)> =
                sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await.expect("a table");
            rows
        };
        let days = read("service_rollups_daily", "day").await;
        let hours = read("service_rollups_hourly", "hour").await;
        let blocks = read("service_rollups_4h", "block").await;
        let kept: Vec<i64> = days.iter().map(|r| r.1).collect();
        assert!(kept.contains(&20544) && kept.contains(&20545), "{}: {days:?}", t.name);
        assert!(hours.iter().any(|r| r.1 == 20544 * 24 + 23), "{}: {hours:?}", t.name);
        // 23:50 on Apr 1 is in that day's last block; 00:10 and 09:00 on Apr 2 in two others.
        let kept: Vec<i64> = blocks.iter().map(|r| r.1).collect();
        for block in [20544 * 6 + 5, 20545 * 6, 20545 * 6 + 2] {
            assert!(kept.contains(&block), "{}: {block} in {blocks:?}", t.name);
        }
        for table in ["service_rollups_daily", "service_rollups_hourly", "service_rollups_4h"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(pool)
                .await
                .unwrap();
        }
        let (file_0026, file_0031) = match t.name {
            "postgres" => (
                include_str!("../../migrations/postgres/0026_service_data_reads.sql"),
                include_str!("../../migrations/postgres/0031_service_rollups_blocks.sql"),
            ),
            _ => (
                include_str!("../../migrations/sqlite/0026_service_data_reads.sql"),
                include_str!("../../migrations/sqlite/0031_service_rollups_blocks.sql"),
            ),
        };
        let backfills = [
            (file_0026, "service_rollups_hourly"),
            (file_0026, "service_rollups_daily"),
            (file_0031, "service_rollups_4h"),
        ];
        for (file, table) in backfills {
            let start = file.find(&format!("INSERT INTO {table}")).expect("the backfill");
            let len = file[start..].find(';').expect("its end");
            let statement = file[start..start + len].to_owned();
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(pool).await.expect("backfill");
        }
        assert_eq!(read("service_rollups_daily", "day").await, days, "{}", t.name);
        assert_eq!(read("service_rollups_hourly", "hour").await, hours, "{}", t.name);
        assert_eq!(read("service_rollups_4h", "block").await, blocks, "{}", t.name);
    }
}

/// A shop's series over `from` to `to` shows, for each day, the figures asked for that
/// day alone (a series reads each day once and adds days for a lookback).
async fn assert_series_is_each_days_figures(t: &TestInbox, s: &Seller, from: &str, to: &str) {
    let q = SeriesQuery { shop_id: s.shop.shop_id, agent_id: None, from: day(from), to: day(to) };
    let series = t.inbox.service_series(&s.viewer, &q).await.expect("the series");
    for (d, shown) in series.days.iter().zip(&series.figures) {
        let q = FigureQuery {
            shop_id: Some(s.shop.shop_id),
            ..query("day", &d.to_string(), Grouping::Shop)
        };
        let report = figures(t, &s.viewer, q).await;
        assert_eq!(shown, &report.rows[0].figures, "{}: {d}", t.name);
    }
}

// rule: TT-DATA-1 (the series' 7-day lookback adds the days it read)
#[tokio::test]
async fn tt_data_1_a_series_day_covers_the_past_7_days_as_the_days_figure_does() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "Sun", "tiktok").await;
        let settings = json!({"time_zone": "Asia/Shanghai"});
        t.inbox.set_shop_settings(&s.viewer, s.shop.shop_id, settings).await.unwrap();
        // Conversations on Mar 2, 5 and 9 (local), one answered after 30 hours.
        let plan = [
            ("2026-03-01T17:00:00Z", 2),
            ("2026-03-05T03:00:00Z", 30),
            ("2026-03-09T15:30:00Z", 1),
        ];
        for (i, (when, hours)) in plan.into_iter().enumerate() {
            t.clock.set(at(when));
            let buyer = format!("b{i}");
            let c = t.conversation_of(&s.shop, text(&buyer, &format!("{buyer}-1"), "hi")).await;
            t.clock.advance(Duration::hours(hours));
            t.reply_text(&s.viewer, c, "hello").await;
        }
        assert_series_is_each_days_figures(&t, &s, "2026-03-01", "2026-03-16").await;
        // Mar 9's figure reaches back to Mar 3: two of the three.
        let q = SeriesQuery {
            shop_id: s.shop.shop_id,
            agent_id: None,
            from: day("2026-03-09"),
            to: day("2026-03-09"),
        };
        let series = t.inbox.service_series(&s.viewer, &q).await.unwrap();
        let rate = series.figures[0].iter().find(|f| f.kind == FigureKind::ResponseRate).unwrap();
        assert_eq!((rate.numerator, rate.denominator), (1, 2), "{}", t.name);
    }
}
