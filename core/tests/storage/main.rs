//! The storage suite: every case runs on SQLite and, when `SHOPMUX_TEST_POSTGRES_URL`
//! is set, on PostgreSQL too.

mod outbox;
mod routing;
mod support;

use chrono::Duration;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::listing::{
    ConversationQuery, FlagFilter, ListStatus, MessageQuery, SortOrder,
};
use shopmux_core::domain::model::*;
use shopmux_core::services::accounts::NewAgent;
use shopmux_core::{Clock, CoreError};
use support::*;

#[tokio::test]
async fn twenty_concurrent_deliveries_of_one_message_store_it_once() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "dup").await;
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let inbox = t.inbox.clone();
            let shop = s.shop.clone();
            tasks.push(tokio::spawn(async move {
                inbox.ingest(shop, text("b1", "m-1", "hello")).await
            }));
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap().unwrap());
        }
        let first = outcomes[0].message_id;
        assert!(
            outcomes.iter().all(|o| o.message_id == first),
            "{}: one message id",
            t.name
        );
        assert_eq!(
            outcomes.iter().filter(|o| !o.duplicate).count(),
            1,
            "{}: exactly one original",
            t.name
        );
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM messages")
            .fetch_one(t.inbox.store().pool())
            .await
            .unwrap();
        assert_eq!(n, 1, "{}", t.name);
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(page.items.len(), 1);
        assert_eq!(
            page.items[0].unread_count, 1,
            "{}: the duplicate did not count as unread",
            t.name
        );
        // A later redelivery is a duplicate too.
        let again = t
            .inbox
            .ingest(s.shop.clone(), text("b1", "m-1", "hello"))
            .await
            .unwrap();
        assert!(again.duplicate && again.message_id == first);
    }
}

#[tokio::test]
async fn unread_messages_and_unread_buyers_are_counted_apart() {
    // rule: ALL-UNREAD-1
    for t in inboxes().await {
        let s = seller(&t.inbox, "unread").await;
        for i in 0..3 {
            t.inbox
                .ingest(
                    s.shop.clone(),
                    text("anna", &format!("a{i}"), "are you there?"),
                )
                .await
                .unwrap();
        }
        t.inbox
            .ingest(s.shop.clone(), text("bob", "b0", "hi"))
            .await
            .unwrap();
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(page.counts.unread, 2, "{}: two unread buyers", t.name);
        assert_eq!(
            page.counts.unread_messages, 4,
            "{}: four unread messages",
            t.name
        );
        let per_shop = t.inbox.shop_counts(&s.viewer).await.unwrap();
        assert_eq!(per_shop.total.unread_messages, 4);
        assert_eq!(per_shop.shops[&s.shop.shop_id.to_string()].unread, 2);
        // Reading one conversation drops its buyer and its messages from both figures.
        let anna = page.items.iter().find(|c| c.unread_count == 3).unwrap();
        t.inbox
            .change(&s.viewer, anna.id, Change::MarkRead)
            .await
            .unwrap();
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!((page.counts.unread, page.counts.unread_messages), (1, 1));
    }
}

#[tokio::test]
async fn counters_always_equal_a_full_recount() {
    // rule: DY-END-1 (an ended conversation goes to history), SH-STATUS-1 (close, reopen, mark unread)
    for t in inboxes().await {
        let s = seller(&t.inbox, "recount").await;
        let agent = t
            .inbox
            .create_agent(
                &s.viewer,
                NewAgent {
                    nickname: "ola".into(),
                    role: None,
                    capacity: Some(5),
                    shops: vec![ShopGrant {
                        shop_id: s.shop.shop_id,
                        can_chat: true,
                    }],
                },
            )
            .await
            .unwrap();
        for i in 0..12 {
            t.clock.advance(Duration::seconds(5));
            t.inbox
                .ingest(
                    s.shop.clone(),
                    text(&format!("buyer{}", i % 5), &format!("m{i}"), "question"),
                )
                .await
                .unwrap();
        }
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(page.items.len(), 5);
        let ids: Vec<_> = page.items.iter().map(|c| c.id).collect();
        t.inbox
            .change(&s.viewer, ids[0], Change::Flag(FlagColour::Red))
            .await
            .unwrap();
        t.inbox
            .change(&s.viewer, ids[1], Change::Assign(agent.agent.id))
            .await
            .unwrap();
        t.inbox
            .change(&s.viewer, ids[1], Change::End)
            .await
            .unwrap();
        t.inbox
            .change(&s.viewer, ids[2], Change::Close)
            .await
            .unwrap();
        t.inbox
            .change(&s.viewer, ids[2], Change::Reopen)
            .await
            .unwrap();
        t.inbox
            .change(&s.viewer, ids[3], Change::Assign(agent.agent.id))
            .await
            .unwrap();
        t.inbox
            .reply(
                &s.viewer,
                ids[4],
                MessageContent::Text {
                    text: "hello".into(),
                },
            )
            .await
            .unwrap();
        t.inbox
            .ingest(s.shop.clone(), text("buyer0", "late", "one more thing"))
            .await
            .unwrap();
        t.inbox
            .change(&s.viewer, ids[0], Change::MarkUnread)
            .await
            .unwrap();
        assert_eq!(
            t.inbox.stored_counters(s.shop.shop_id).await.unwrap(),
            t.inbox.recount(s.shop.shop_id).await.unwrap(),
            "{}: maintained counters drifted from the conversations",
            t.name
        );
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(page.counts.flags.get("red"), Some(&1));
        assert_eq!(
            page.counts.history, 1,
            "{}: the ended conversation is in history",
            t.name
        );
        // rule: DY-END-4 (a buyer message after the end opens a new conversation awaiting assignment)
        // buyer0 wrote again after its conversation ended: a new open conversation.
        assert_eq!(page.counts.open, 5);
    }
}

use shopmux_contract::content::MessageContent;

#[tokio::test]
async fn filters_sorts_and_cursor_pages() {
    // rule: AE-FILTER-1 (unreplied, star colour, has order), TT-FLAG-1 (flag to find later),
    // TT-SORT-1 (longest waiting / latest message), TT-LIST-1 (mine and unassigned lists)
    for t in inboxes().await {
        let s = seller(&t.inbox, "filters").await;
        for i in 0..7 {
            t.clock.advance(Duration::minutes(1));
            t.inbox
                .ingest(
                    s.shop.clone(),
                    text(&format!("b{i}"), &format!("m{i}"), "where is my parcel"),
                )
                .await
                .unwrap();
        }
        let latest = t.list(&s.viewer, ConversationQuery::default()).await;
        let times: Vec<_> = latest.items.iter().map(|c| c.last_message_at).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "latest first");
        // Answer the oldest: it stops waiting and moves behind every waiting buyer.
        let oldest = latest.items.last().unwrap().id;
        t.inbox
            .reply(
                &s.viewer,
                oldest,
                MessageContent::Text {
                    text: "on its way".into(),
                },
            )
            .await
            .unwrap();
        let q = ConversationQuery {
            sort: Some(SortOrder::Waiting),
            ..Default::default()
        };
        let waiting = t.list(&s.viewer, q).await;
        let since: Vec<_> = waiting
            .items
            .iter()
            .filter_map(|c| c.waiting_since)
            .collect();
        assert_eq!(since.len(), 6);
        assert!(
            since.windows(2).all(|w| w[0] <= w[1]),
            "longest waiting first"
        );
        assert_eq!(waiting.items.last().unwrap().id, oldest);
        let unreplied = t
            .list(
                &s.viewer,
                ConversationQuery {
                    unreplied: Some(true),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(unreplied.items.len(), 6);
        assert_eq!(unreplied.counts.unreplied, 6);
        let mine = t
            .list(
                &s.viewer,
                ConversationQuery {
                    mine: Some(true),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(
            mine.items.len(),
            1,
            "{}: replying took the conversation",
            t.name
        );
        assert_eq!(mine.mine.in_progress, 1);
        t.inbox
            .change(&s.viewer, oldest, Change::Flag(FlagColour::Blue))
            .await
            .unwrap();
        let blue = t
            .list(
                &s.viewer,
                ConversationQuery {
                    flag: Some(FlagFilter(Some(FlagColour::Blue))),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(blue.items.len(), 1);
        let red = t
            .list(
                &s.viewer,
                ConversationQuery {
                    flag: Some(FlagFilter(Some(FlagColour::Red))),
                    ..Default::default()
                },
            )
            .await;
        assert!(red.items.is_empty());
        // Pages of 3 walk the whole list without repeats.
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let q = ConversationQuery {
                limit: Some(3),
                cursor: cursor.clone(),
                sort: Some(SortOrder::Waiting),
                ..Default::default()
            };
            let page = t.list(&s.viewer, q).await;
            seen.extend(page.items.iter().map(|c| c.id));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        assert_eq!(seen.len(), 7);
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), 7);
        t.inbox
            .change(&s.viewer, oldest, Change::Close)
            .await
            .unwrap();
        let closed = t
            .list(
                &s.viewer,
                ConversationQuery {
                    status: Some(ListStatus::Closed),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(closed.items.len(), 1);
        assert_eq!(closed.counts.closed, 1);
    }
}

#[tokio::test]
async fn search_finds_message_words_name_parts_and_order_ids() {
    // rule: TT-SEARCH-1 (keyword, buyer nickname, order id)
    for t in inboxes().await {
        let s = seller(&t.inbox, "search").await;
        let mut m = text("ap", "1", "Czy paczka już wysłana?");
        m.buyer = buyer("ap", "Agnieszka Plebanek");
        t.inbox.ingest(s.shop.clone(), m).await.unwrap();
        let mut m = text("wx", "2", "请问什么时候发货");
        m.buyer = buyer("wx", "王小明");
        m.order =
            Some(serde_json::from_value(serde_json::json!({"external_id": "8000123456"})).unwrap());
        t.inbox.ingest(s.shop.clone(), m).await.unwrap();
        t.inbox
            .ingest(s.shop.clone(), text("zz", "3", "¿Dónde está mi pedido?"))
            .await
            .unwrap();
        let find = |q: &str| {
            let page = t.list(
                &s.viewer,
                ConversationQuery {
                    q: Some(q.to_owned()),
                    ..Default::default()
                },
            );
            async move { page.await.items.len() }
        };
        // rule: AE-SEARCH-1 (any part of a multi-word name finds the buyer)
        assert_eq!(find("Agnieszka").await, 1, "{}", t.name);
        assert_eq!(find("plebanek").await, 1, "{}", t.name);
        assert_eq!(find("Pleb").await, 1, "{}: prefix of a part", t.name);
        assert_eq!(find("小明").await, 1, "{}", t.name);
        assert_eq!(find("paczka").await, 1, "{}: a message word", t.name);
        assert_eq!(
            find("发货").await,
            1,
            "{}: a Chinese word inside a sentence",
            t.name
        );
        assert_eq!(find("pedido").await, 1, "{}", t.name);
        assert_eq!(find("8000123456").await, 1, "{}: an order id", t.name);
        assert_eq!(find("refund").await, 0, "{}", t.name);
        // A buyer who changes their nickname is found by the new one too.
        let mut m = text("ap", "4", "jeszcze raz");
        m.buyer = buyer("ap", "Agnieszka Nowak-Plebanek");
        t.inbox.ingest(s.shop.clone(), m).await.unwrap();
        assert_eq!(find("Nowak").await, 1, "{}: renamed buyer", t.name);
        // A message without a nickname keeps the one the buyer had.
        t.inbox
            .ingest(s.shop.clone(), text_without_nickname("ap", "5", "hej"))
            .await
            .unwrap();
        let page = t
            .list(
                &s.viewer,
                ConversationQuery {
                    q: Some("Nowak".into()),
                    ..Default::default()
                },
            )
            .await;
        let buyer = t
            .inbox
            .buyer(&s.viewer, page.items[0].buyer_id)
            .await
            .unwrap();
        assert_eq!(buyer.nickname, "Agnieszka Nowak-Plebanek");
        let with_order = t
            .list(
                &s.viewer,
                ConversationQuery {
                    has_order: Some(true),
                    ..Default::default()
                },
            )
            .await;
        assert_eq!(with_order.items.len(), 1);
        assert_eq!(with_order.counts.has_order, 1);
    }
}

#[tokio::test]
async fn messages_page_backwards_and_catch_up_forwards() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "pages").await;
        let mut conv = None;
        for i in 0..25 {
            t.clock.advance(Duration::seconds(1));
            conv = Some(
                t.inbox
                    .ingest(
                        s.shop.clone(),
                        text("b", &format!("m{i:02}"), &format!("message {i}")),
                    )
                    .await
                    .unwrap()
                    .conversation_id,
            );
        }
        let conv = conv.unwrap();
        let first = t
            .inbox
            .messages(
                &s.viewer,
                conv,
                &MessageQuery {
                    limit: Some(10),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(first.items.len(), 10);
        assert_eq!(
            first.items.last().unwrap().platform_message_id.as_deref(),
            Some("m24")
        );
        let mut all = first.items.clone();
        let mut before = first.prev_cursor.clone();
        while let Some(c) = before {
            let page = t
                .inbox
                .messages(
                    &s.viewer,
                    conv,
                    &MessageQuery {
                        before: Some(c),
                        limit: Some(10),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            let mut items = page.items.clone();
            items.extend(all);
            all = items;
            before = page.prev_cursor;
        }
        let ids: Vec<_> = all
            .iter()
            .map(|m| m.platform_message_id.clone().unwrap())
            .collect();
        let expected: Vec<_> = (0..25).map(|i| format!("m{i:02}")).collect();
        assert_eq!(ids, expected, "{}", t.name);
        t.inbox
            .ingest(s.shop.clone(), text("b", "m25", "new"))
            .await
            .unwrap();
        let newer = t
            .inbox
            .messages(
                &s.viewer,
                conv,
                &MessageQuery {
                    after: first.next_cursor.clone(),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(newer.items.len(), 1);
        let bad = t
            .inbox
            .messages(
                &s.viewer,
                conv,
                &MessageQuery {
                    before: Some("nope".into()),
                    ..Default::default()
                },
            )
            .await;
        assert!(matches!(bad, Err(CoreError::Invalid { .. })));
    }
}

#[tokio::test]
async fn replies_are_delivered_through_the_outbox_and_nothing_is_deleted() {
    // rule: ALL-DEL-1 (ending and closing keep every message and conversation)
    for t in inboxes().await {
        let s = seller(&t.inbox, "outbox").await;
        let conv = t
            .inbox
            .ingest(s.shop.clone(), text("b", "m1", "hi"))
            .await
            .unwrap()
            .conversation_id;
        let mut events = t.inbox.events().subscribe();
        let sent = t
            .inbox
            .reply(
                &s.viewer,
                conv,
                MessageContent::Text {
                    text: "hello!".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(sent.delivery_status, Some(DeliveryStatus::Pending));
        let delivered = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            loop {
                if let Ok(shopmux_core::events::InboxEvent::MessageUpdated { message }) =
                    events.recv().await
                    && message.id == sent.id
                {
                    return message;
                }
            }
        })
        .await
        .expect("delivery event");
        assert_eq!(delivered.delivery_status, Some(DeliveryStatus::Delivered));
        t.inbox.change(&s.viewer, conv, Change::End).await.unwrap();
        t.inbox
            .change(&s.viewer, conv, Change::Close)
            .await
            .unwrap();
        let page = t
            .inbox
            .messages(&s.viewer, conv, &MessageQuery::default())
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);
        let c = t.inbox.conversation(&s.viewer, conv).await.unwrap();
        assert_eq!(c.state, ConversationState::Closed);
        assert!(matches!(
            t.inbox.change(&s.viewer, conv, Change::End).await,
            Err(CoreError::Conflict(_))
        ));
        let _ = t.clock.now();
    }
}

#[tokio::test]
async fn a_sub_account_sees_only_granted_shops() {
    // rule: ALL-SHOP-1 (chat is managed per shop: grants, visibility and counts per shop)
    for t in inboxes().await {
        let s = seller(&t.inbox, "grants").await;
        let other = t
            .inbox
            .create_shop(&s.viewer, serde_json::from_value(serde_json::json!({"platform": "api", "external_id": "second", "name": "Second"})).unwrap())
            .await
            .unwrap();
        let agent = t
            .inbox
            .create_agent(
                &s.viewer,
                NewAgent {
                    nickname: "ewa".into(),
                    role: None,
                    capacity: None,
                    shops: vec![ShopGrant {
                        shop_id: s.shop.shop_id,
                        can_chat: false,
                    }],
                },
            )
            .await
            .unwrap();
        let ewa = t.inbox.authenticate(&agent.token).await.unwrap().unwrap();
        let second = t.inbox.ingest_shop(other.shop.id).await.unwrap().unwrap();
        let hidden = t
            .inbox
            .ingest(second, text("x", "1", "secret shop"))
            .await
            .unwrap();
        let visible = t
            .inbox
            .ingest(s.shop.clone(), text("y", "1", "granted shop"))
            .await
            .unwrap();
        assert!(matches!(
            t.inbox.conversation(&ewa, hidden.conversation_id).await,
            Err(CoreError::NotFound(_))
        ));
        assert!(
            t.inbox
                .conversation(&ewa, visible.conversation_id)
                .await
                .is_ok()
        );
        let page = t.list(&ewa, ConversationQuery::default()).await;
        assert_eq!(page.items.len(), 1);
        assert_eq!(
            page.counts.open, 1,
            "{}: counts cover only granted shops",
            t.name
        );
        // rule: DY-PERM-1 (no chat permission: may read, may not reply)
        let refused = t
            .inbox
            .reply(
                &ewa,
                visible.conversation_id,
                MessageContent::Text { text: "x".into() },
            )
            .await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))));
        // rule: DY-CAP-1 (capacity outside 1..50 is refused)
        let bad = t
            .inbox
            .create_agent(
                &s.viewer,
                NewAgent {
                    nickname: "big".into(),
                    role: None,
                    capacity: Some(51),
                    shops: vec![],
                },
            )
            .await;
        assert!(matches!(bad, Err(CoreError::Invalid { .. })));
    }
}

#[tokio::test]
async fn dy_end_2_and_tt_win_1_timers_run_from_stored_timestamps_once() {
    for t in inboxes().await {
        // rule: DY-END-2 (the agent spoke last; 15 minutes of buyer silence end it)
        let dy = seller_on(&t.inbox, "dy", "douyin").await;
        let agent_last = t
            .inbox
            .ingest(dy.shop.clone(), text("b1", "d1", "在吗"))
            .await
            .unwrap()
            .conversation_id;
        let buyer_last = t
            .inbox
            .ingest(dy.shop.clone(), text("b2", "d2", "你好"))
            .await
            .unwrap()
            .conversation_id;
        let replied_at = t.clock.now();
        t.inbox
            .reply(
                &dy.viewer,
                agent_last,
                MessageContent::Text {
                    text: "在的".into(),
                },
            )
            .await
            .unwrap();
        t.inbox
            .reply(
                &dy.viewer,
                buyer_last,
                MessageContent::Text {
                    text: "您好".into(),
                },
            )
            .await
            .unwrap();
        t.clock.advance(Duration::minutes(1));
        t.inbox
            .ingest(dy.shop.clone(), text("b2", "d3", "还有问题"))
            .await
            .unwrap();
        // rule: TT-WIN-1 (unreplied 7 days: timed out into history)
        let tt = seller_on(&t.inbox, "tt", "tiktok").await;
        let tt_conv = t
            .inbox
            .ingest(tt.shop.clone(), text("b3", "t1", "hello?"))
            .await
            .unwrap()
            .conversation_id;
        let tt_waiting = t.clock.now();

        t.clock
            .set(replied_at + Duration::minutes(15) - Duration::seconds(1));
        t.inbox.run_timers().await.unwrap();
        assert_eq!(
            t.inbox
                .conversation(&dy.viewer, agent_last)
                .await
                .unwrap()
                .state,
            ConversationState::InProgress
        );
        t.clock.set(replied_at + Duration::minutes(15));
        t.inbox.run_timers().await.unwrap();
        let ended = t.inbox.conversation(&dy.viewer, agent_last).await.unwrap();
        assert_eq!(
            ended.state,
            ConversationState::Ended,
            "{}: ended at 15 minutes",
            t.name
        );
        assert_eq!(
            ended.ended_at,
            Some(replied_at + Duration::minutes(15)),
            "dated when it fell due"
        );
        // The buyer is the one waiting in the other: it does not end, however long.
        t.clock.set(replied_at + Duration::days(1));
        t.inbox.run_timers().await.unwrap();
        assert_eq!(
            t.inbox
                .conversation(&dy.viewer, buyer_last)
                .await
                .unwrap()
                .state,
            ConversationState::InProgress
        );

        t.clock
            .set(tt_waiting + Duration::days(7) - Duration::seconds(1));
        t.inbox.run_timers().await.unwrap();
        assert!(
            t.inbox
                .conversation(&tt.viewer, tt_conv)
                .await
                .unwrap()
                .state
                .is_open()
        );
        // Long overdue (the daemon was down): it still happens, once, dated when due.
        t.clock.set(tt_waiting + Duration::days(9));
        t.inbox.run_timers().await.unwrap();
        let timed_out = t.inbox.conversation(&tt.viewer, tt_conv).await.unwrap();
        assert_eq!(
            timed_out.state,
            ConversationState::Ended,
            "{}: into history",
            t.name
        );
        assert_eq!(timed_out.ended_at, Some(tt_waiting + Duration::days(7)));
        assert_eq!(
            t.inbox.run_timers().await.unwrap(),
            0,
            "a second pass changes nothing"
        );
        assert_eq!(
            t.inbox.stored_counters(dy.shop.shop_id).await.unwrap(),
            t.inbox.recount(dy.shop.shop_id).await.unwrap()
        );
    }
}

#[tokio::test]
async fn all_src_1_and_all_empty_1_a_card_alone_opens_a_conversation_recording_its_entry_point() {
    // rule: ALL-SRC-1 (where the buyer started), ALL-EMPTY-1 (a card alone is a conversation)
    for t in inboxes().await {
        let s = seller(&t.inbox, "src").await;
        let card: shopmux_core::domain::inbound::InboundMessage =
            serde_json::from_value(serde_json::json!({
                "buyer": {"external_id": "b"},
                "platform_message_id": "card-1",
                "content": {"type": "order_card", "order_id": "8000001"},
                "order": {"external_id": "8000001"},
                "entry_point": "order_page",
            }))
            .unwrap();
        let conv = t
            .inbox
            .ingest(s.shop.clone(), card)
            .await
            .unwrap()
            .conversation_id;
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(
            page.items.len(),
            1,
            "{}: shown, not hidden as empty",
            t.name
        );
        let c = &page.items[0];
        assert_eq!(
            (c.id, c.entry_point, c.has_order),
            (conv, EntryPoint::OrderPage, true)
        );
        assert!(c.is_unreplied(), "the seller may answer it");
    }
}

#[tokio::test]
async fn ae_win_2_ae_win_3_and_ae_init_1_decide_seller_initiated_chats() {
    use shopmux_core::services::outreach::NewOutreach;
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "ae", "aliexpress").await;
        let start = t.clock.now();
        // The buyer writes at `start` about an order created 120 days before.
        let mut first = text("b", "a1", "¿Dónde está mi pedido?");
        first.order = Some(
            serde_json::from_value(serde_json::json!({"external_id": "AE-8001", "created_at": (start - Duration::days(120)).to_rfc3339()}))
                .unwrap(),
        );
        let conv = t
            .inbox
            .ingest(s.shop.clone(), first)
            .await
            .unwrap()
            .conversation_id;
        let buyer = t
            .inbox
            .conversation(&s.viewer, conv)
            .await
            .unwrap()
            .buyer_id;
        t.inbox.change(&s.viewer, conv, Change::End).await.unwrap();
        let hello = |order: Option<&str>| NewOutreach {
            content: MessageContent::Text {
                text: "Hola, su pedido ya salió".into(),
            },
            order_id: order.map(str::to_owned),
        };

        // 31 days after the buyer's last reply, the only order 151 days old: refused.
        t.clock.set(start + Duration::days(31));
        let refused = t
            .inbox
            .initiate(&s.viewer, buyer, hello(Some("AE-8001")))
            .await
            .unwrap_err();
        match refused {
            CoreError::RuleViolation(r) => assert_eq!(r.rule, "AE-WIN-2/AE-WIN-3", "{}", t.name),
            other => panic!("{}: {other}", t.name),
        }
        // 29 days after: allowed, and on AliExpress only from an order (AE-INIT-1).
        t.clock.set(start + Duration::days(29));
        let no_card = t
            .inbox
            .initiate(&s.viewer, buyer, hello(None))
            .await
            .unwrap_err();
        assert!(
            matches!(&no_card, CoreError::RuleViolation(r) if r.rule == "AE-INIT-1"),
            "{no_card}"
        );
        let started = t
            .inbox
            .initiate(&s.viewer, buyer, hello(Some("AE-8001")))
            .await
            .unwrap();
        assert_eq!(
            started.conversation.entry_point,
            EntryPoint::SellerInitiated
        );
        assert_eq!(started.conversation.assignee_id, Some(s.viewer.agent.id));
        assert!(
            matches!(&started.messages[0].content, MessageContent::OrderCard { order_id, .. } if order_id == "AE-8001")
        );
        assert_eq!(started.messages.len(), 2);
        // A second start while this one is open is refused.
        assert!(matches!(
            t.inbox
                .initiate(&s.viewer, buyer, hello(Some("AE-8001")))
                .await,
            Err(CoreError::Conflict(_))
        ));
        assert_eq!(
            t.inbox.stored_counters(s.shop.shop_id).await.unwrap(),
            t.inbox.recount(s.shop.shop_id).await.unwrap()
        );
    }
}

#[tokio::test]
async fn tt_list_2_expiring_soon_after_20_hours_unreplied() {
    for t in inboxes().await {
        let tt = seller_on(&t.inbox, "exp", "tiktok").await;
        let start = t.clock.now();
        let conv = t
            .inbox
            .ingest(tt.shop.clone(), text("b", "t1", "hello?"))
            .await
            .unwrap()
            .conversation_id;
        let expiring = || async {
            let q = ConversationQuery {
                expiring: Some(true),
                ..Default::default()
            };
            let page = t.list(&tt.viewer, q).await;
            (page.items.len(), page.counts.expiring)
        };
        t.clock.set(start + Duration::hours(20));
        assert_eq!(
            expiring().await,
            (0, 0),
            "{}: 20 hours is not more than 20 hours",
            t.name
        );
        t.clock
            .set(start + Duration::hours(20) + Duration::seconds(1));
        assert_eq!(expiring().await, (1, 1), "{}", t.name);
        t.inbox
            .reply(
                &tt.viewer,
                conv,
                MessageContent::Text { text: "Hi!".into() },
            )
            .await
            .unwrap();
        assert_eq!(
            expiring().await,
            (0, 0),
            "{}: answered, no longer expiring",
            t.name
        );
    }
}

#[tokio::test]
async fn a_shop_overrides_a_rule_duration_validated_by_rule_id() {
    // rule: TT-WIN-2, DY-END-2 (durations are data a shop may override)
    for t in inboxes().await {
        let s = seller(&t.inbox, "ovr").await;
        let shop = |external: &str, platform: &str, overrides: serde_json::Value| {
            serde_json::from_value::<shopmux_core::services::shops::NewShop>(serde_json::json!({
                "platform": platform, "external_id": external, "name": external,
                "settings": {"rule_overrides": overrides},
            }))
            .unwrap()
        };
        let bad = t
            .inbox
            .create_shop(
                &s.viewer,
                shop("x1", "tiktok", serde_json::json!({"TT-NOPE-1": "1d"})),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&bad, CoreError::Invalid { field, message } if field == "settings.rule_overrides" && message.contains("TT-NOPE-1")),
            "{bad}"
        );
        let bad = t
            .inbox
            .create_shop(
                &s.viewer,
                shop("x2", "tiktok", serde_json::json!({"TT-WIN-2": "soon"})),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&bad, CoreError::Invalid { field, .. } if field == "settings.rule_overrides.TT-WIN-2"),
            "{bad}"
        );

        let dy = t
            .inbox
            .create_shop(
                &s.viewer,
                shop("dy-fast", "douyin", serde_json::json!({"DY-END-2": "10m"})),
            )
            .await
            .unwrap();
        let rules = t.inbox.shop_rules(dy.shop.id).await.unwrap();
        assert_eq!(rules.timers[0].after.to_string(), "10m");
        let viewer = t.inbox.authenticate(&s.owner.token).await.unwrap().unwrap();
        let dy_shop = t.inbox.ingest_shop(dy.shop.id).await.unwrap().unwrap();
        let conv = t
            .inbox
            .ingest(dy_shop, text("b", "d1", "hi"))
            .await
            .unwrap()
            .conversation_id;
        let replied = t.clock.now();
        t.inbox
            .reply(
                &viewer,
                conv,
                MessageContent::Text {
                    text: "hello".into(),
                },
            )
            .await
            .unwrap();
        t.clock.set(replied + Duration::minutes(10));
        t.inbox.run_timers().await.unwrap();
        assert_eq!(
            t.inbox.conversation(&viewer, conv).await.unwrap().state,
            ConversationState::Ended,
            "{}: the shop's 10 minutes",
            t.name
        );
    }
}

#[tokio::test]
async fn ae_auto_1_to_4_the_automatic_reply() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "auto").await;
        let action = |i: u32| serde_json::json!({"title": format!("Link {i}"), "type": "text", "content": "Ships in 48 h"});
        let settings = |enabled: bool, text: &str, n: u32| serde_json::json!({"auto_reply": {"enabled": enabled, "text": text, "actions": (0..n).map(action).collect::<Vec<_>>()}});
        let ae = t
            .inbox
            .create_shop(
                &s.viewer,
                serde_json::from_value(serde_json::json!({"platform": "aliexpress", "external_id": "ae-auto", "name": "AE"})).unwrap(),
            )
            .await
            .unwrap();
        let viewer = t.inbox.authenticate(&s.owner.token).await.unwrap().unwrap();
        // rule: AE-AUTO-4 (3 to 9 actions)
        for n in [2, 10] {
            let bad = t
                .inbox
                .set_shop_settings(&viewer, ae.shop.id, settings(true, "Hi", n))
                .await
                .unwrap_err();
            assert!(
                matches!(&bad, CoreError::Invalid { field, message } if field == "settings.auto_reply.actions" && message.contains("AE-AUTO-4")),
                "{bad}"
            );
        }
        // rule: AE-AUTO-2 (off when disabled or empty)
        let autos = |conv| {
            let inbox = t.inbox.clone();
            let viewer = viewer.clone();
            async move {
                let page = inbox
                    .messages(&viewer, conv, &MessageQuery::default())
                    .await
                    .unwrap();
                page.items
                    .iter()
                    .filter(|m| m.sender_kind == SenderKind::Bot)
                    .count()
            }
        };
        t.inbox
            .set_shop_settings(&viewer, ae.shop.id, settings(true, "   ", 3))
            .await
            .unwrap();
        let shop = t.inbox.ingest_shop(ae.shop.id).await.unwrap().unwrap();
        let c1 = t
            .inbox
            .ingest(shop, text("quiet", "q1", "hola"))
            .await
            .unwrap()
            .conversation_id;
        assert_eq!(autos(c1).await, 0, "{}: empty text keeps it off", t.name);

        t.inbox
            .set_shop_settings(
                &viewer,
                ae.shop.id,
                settings(true, "¡Hola! Respondemos en 24 h.", 3),
            )
            .await
            .unwrap();
        let shop = t.inbox.ingest_shop(ae.shop.id).await.unwrap().unwrap();
        // rule: AE-AUTO-1 (first message after 24 h of buyer silence: one automatic reply)
        let start = t.clock.now();
        let conv = t
            .inbox
            .ingest(shop.clone(), text("b", "m1", "¿Tienen talla M?"))
            .await
            .unwrap()
            .conversation_id;
        assert_eq!(autos(conv).await, 1, "{}", t.name);
        t.clock.set(start + Duration::hours(1));
        t.inbox
            .ingest(shop.clone(), text("b", "m2", "¿y en rojo?"))
            .await
            .unwrap();
        assert_eq!(autos(conv).await, 1, "{}: not again within 24 h", t.name);
        // rule: AE-AUTO-3 (stays unread and unreplied)
        let c = t.inbox.conversation(&viewer, conv).await.unwrap();
        assert_eq!((c.unread_count, c.waiting_since), (2, Some(start)));
        t.clock.set(start + Duration::hours(25));
        t.inbox
            .ingest(shop.clone(), text("b", "m3", "¿hola?"))
            .await
            .unwrap();
        assert_eq!(autos(conv).await, 1, "{}: 24 h after m2, not more", t.name);
        t.clock
            .set(start + Duration::hours(49) + Duration::seconds(1));
        t.inbox
            .ingest(shop, text("b", "m4", "¿alguien?"))
            .await
            .unwrap();
        assert_eq!(
            autos(conv).await,
            2,
            "{}: over 24 h after m3: again",
            t.name
        );
        assert_eq!(
            t.inbox.stored_counters(ae.shop.id).await.unwrap(),
            t.inbox.recount(ae.shop.id).await.unwrap()
        );
    }
}

#[tokio::test]
async fn ae_xfer_1_and_ae_xfer_2_transfer_by_holder_or_owner_and_the_previous_agent_loses_the_buyer()
 {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "xfer", "aliexpress").await;
        let grant = vec![ShopGrant {
            shop_id: s.shop.shop_id,
            can_chat: true,
        }];
        let mut agents = Vec::new();
        for nick in ["ana", "ben", "cai"] {
            let created = t
                .inbox
                .create_agent(
                    &s.viewer,
                    NewAgent {
                        nickname: nick.into(),
                        role: None,
                        capacity: None,
                        shops: grant.clone(),
                    },
                )
                .await
                .unwrap();
            agents.push((
                created.agent.id,
                t.inbox.authenticate(&created.token).await.unwrap().unwrap(),
            ));
        }
        let (ana, ana_v) = agents[0].clone();
        let (ben, ben_v) = agents[1].clone();
        let (cai, _) = agents[2].clone();
        t.inbox
            .set_status(&ana_v, AgentStatus::Online)
            .await
            .unwrap();
        t.inbox
            .set_status(&ben_v, AgentStatus::Online)
            .await
            .unwrap();
        let conv = t
            .inbox
            .ingest(s.shop.clone(), text("buyer", "x1", "Hola"))
            .await
            .unwrap()
            .conversation_id;
        t.inbox
            .change(&s.viewer, conv, Change::Assign(ana))
            .await
            .unwrap();
        let rule_of = |e: CoreError| match e {
            CoreError::RuleViolation(r) => r.rule,
            other => panic!("{other}"),
        };
        // rule: AE-XFER-1 (only the holder or the main account; only to an online account)
        assert_eq!(
            rule_of(
                t.inbox
                    .change(&ben_v, conv, Change::Transfer(ben))
                    .await
                    .unwrap_err()
            ),
            "AE-XFER-1"
        );
        assert_eq!(
            rule_of(
                t.inbox
                    .change(&ana_v, conv, Change::Transfer(cai))
                    .await
                    .unwrap_err()
            ),
            "AE-XFER-1",
            "cai is offline"
        );
        let moved = t
            .inbox
            .change(&ana_v, conv, Change::Transfer(ben))
            .await
            .unwrap();
        assert_eq!(moved.assignee_id, Some(ben));
        // rule: AE-XFER-2 (ana can no longer chat with the buyer; ben sees everything; the owner is never restricted)
        let say = || MessageContent::Text {
            text: "¿Le ayudo?".into(),
        };
        assert_eq!(
            rule_of(t.inbox.reply(&ana_v, conv, say()).await.unwrap_err()),
            "AE-XFER-2",
            "{}",
            t.name
        );
        assert_eq!(
            t.inbox
                .messages(&ben_v, conv, &MessageQuery::default())
                .await
                .unwrap()
                .items
                .len(),
            1
        );
        t.inbox.reply(&ben_v, conv, say()).await.unwrap();
        t.inbox.reply(&s.viewer, conv, say()).await.unwrap();
        // Given back to ana, she may chat again.
        t.inbox
            .change(&s.viewer, conv, Change::Transfer(ana))
            .await
            .unwrap();
        t.inbox.reply(&ana_v, conv, say()).await.unwrap();
    }
}

#[tokio::test]
async fn ae_win_1_a_buyer_may_write_at_any_time() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "anytime", "aliexpress").await;
        let first = t
            .inbox
            .ingest(s.shop.clone(), text("b", "w1", "hola"))
            .await
            .unwrap()
            .conversation_id;
        t.inbox
            .change(&s.viewer, first, Change::Close)
            .await
            .unwrap();
        // Years later, with no order and a closed chat, the buyer's message still arrives.
        t.clock.advance(Duration::days(800));
        let later = t
            .inbox
            .ingest(s.shop.clone(), text("b", "w2", "¿siguen ahí?"))
            .await
            .unwrap();
        assert!(!later.duplicate);
        assert_ne!(
            later.conversation_id, first,
            "{}: a new conversation",
            t.name
        );
        assert!(
            t.inbox
                .conversation(&s.viewer, later.conversation_id)
                .await
                .unwrap()
                .state
                .is_open()
        );
    }
}

#[tokio::test]
async fn tt_xfer_1_dy_xfer_1_and_sh_assign_1_assign_transfer_and_unassign() {
    // rule: TT-XFER-1, DY-XFER-1 (transfer to another agent), SH-ASSIGN-1 (only staff with chat permission)
    for t in inboxes().await {
        let s = seller(&t.inbox, "moves").await;
        let mut ids = Vec::new();
        for (nick, can_chat) in [("ada", true), ("bo", true), ("no_chat", false)] {
            let grants = vec![ShopGrant {
                shop_id: s.shop.shop_id,
                can_chat,
            }];
            let a = t
                .inbox
                .create_agent(
                    &s.viewer,
                    NewAgent {
                        nickname: nick.into(),
                        role: None,
                        capacity: None,
                        shops: grants,
                    },
                )
                .await
                .unwrap();
            ids.push(a.agent.id);
        }
        let conv = t
            .inbox
            .ingest(s.shop.clone(), text("b", "mv1", "hi"))
            .await
            .unwrap()
            .conversation_id;
        let refused = t
            .inbox
            .change(&s.viewer, conv, Change::Assign(ids[2]))
            .await
            .unwrap_err();
        assert!(
            matches!(&refused, CoreError::Invalid { field, .. } if field == "agent_id"),
            "{refused}"
        );
        assert!(
            matches!(
                t.inbox
                    .change(&s.viewer, conv, Change::Transfer(ids[0]))
                    .await,
                Err(CoreError::Conflict(_))
            ),
            "nothing to transfer yet"
        );
        t.inbox
            .change(&s.viewer, conv, Change::Assign(ids[0]))
            .await
            .unwrap();
        let moved = t
            .inbox
            .change(&s.viewer, conv, Change::Transfer(ids[1]))
            .await
            .unwrap();
        assert_eq!(
            (moved.assignee_id, moved.state),
            (Some(ids[1]), ConversationState::InProgress)
        );
        let back = t
            .inbox
            .change(&s.viewer, conv, Change::Unassign)
            .await
            .unwrap();
        assert_eq!(
            (back.assignee_id, back.state),
            (None, ConversationState::Unassigned)
        );
        assert_eq!(
            t.inbox.stored_counters(s.shop.shop_id).await.unwrap(),
            t.inbox.recount(s.shop.shop_id).await.unwrap()
        );
    }
}

#[tokio::test]
async fn one_daemon_leads_the_timers_on_a_shared_postgresql() {
    use shopmux_core::storage::leadership::TimerLeadership;
    let Some(base) = support::postgres_url() else {
        eprintln!("notice: SHOPMUX_TEST_POSTGRES_URL is not set; PostgreSQL case skipped");
        return;
    };
    // Two daemons' stores on one schema (no engines, so no background timer loops).
    let url = support::postgres_schema_url(&base).await;
    let first = shopmux_core::Store::open(&shopmux_core::StoreOptions::new(url.clone()))
        .await
        .unwrap();
    let second = shopmux_core::Store::open(&shopmux_core::StoreOptions::new(url))
        .await
        .unwrap();
    let mut first_lead = TimerLeadership::default();
    let mut second_lead = TimerLeadership::default();
    assert!(
        first_lead.lead(&first).await,
        "the first daemon takes the lead"
    );
    assert!(first_lead.lead(&first).await, "and keeps it");
    assert!(!second_lead.lead(&second).await, "the second waits");
    drop(first_lead);
    // The lock goes with the closed connection (closed in the background); the second
    // takes over.
    let mut took_over = false;
    for _ in 0..50 {
        if second_lead.lead(&second).await {
            took_over = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(took_over);
}
