//! The storage suite: every case runs on SQLite and, when `SHOPMUX_TEST_POSTGRES_URL`
//! is set, on PostgreSQL too.

mod access;
mod apply;
mod channel;
mod compliance;
mod connect;
mod deadlines;
mod faq_bot;
mod history;
mod ingest_lanes;
mod live;
mod operations;
mod outbox;
mod quick_replies;
mod ratings;
mod routing;
mod secrets;
mod service_data;
mod sign_in;
mod storefront;
mod support;
mod translation;
mod webhooks;

use chrono::Duration;
use serde_json::json;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::listing::{
    ConversationQuery, FlagFilter, ListStatus, MessageQuery, SortOrder,
};
use shopmux_core::domain::model::*;
use shopmux_core::storage::conversations;
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
        assert!(outcomes.iter().all(|o| o.message_id == first), "{}: one message id", t.name);
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
        let again = t.ingest(&s.shop, text("b1", "m-1", "hello")).await;
        assert!(again.duplicate && again.message_id == first);
    }
}

#[tokio::test]
async fn unread_messages_and_unread_buyers_are_counted_apart() {
    // rule: ALL-UNREAD-1
    for t in inboxes().await {
        let s = seller(&t.inbox, "unread").await;
        for i in 0..3 {
            t.ingest(&s.shop, text("anna", &format!("a{i}"), "are you there?")).await;
        }
        t.ingest(&s.shop, text("bob", "b0", "hi")).await;
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(page.counts.unread, 2, "{}: two unread buyers", t.name);
        assert_eq!(page.counts.unread_messages, 4, "{}: four unread messages", t.name);
        let per_shop = t.inbox.shop_counts(&s.viewer).await.unwrap();
        assert_eq!(per_shop.total.unread_messages, 4);
        assert_eq!(per_shop.shops[&s.shop.shop_id.to_string()].unread, 2);
        // Reading one conversation drops its buyer and its messages from both figures.
        let anna = page.items.iter().find(|c| c.unread_count == 3).unwrap();
        t.change(&s.viewer, anna.id, Change::MarkRead).await;
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!((page.counts.unread, page.counts.unread_messages), (1, 1));
    }
}

#[tokio::test]
async fn a_saved_conversation_writes_only_the_columns_it_changed() {
    for t in inboxes().await {
        let s = seller(&t.inbox, "columns").await;
        let id = t.conversation_of(&s.shop, text("b-1", "m-1", "hello")).await;
        let store = t.inbox.store();
        let (seller_id, before) = conversations::get(store, id).await.unwrap().unwrap();
        // An agent flags it after `before` was read; the change below reads it unread.
        t.change(&s.viewer, id, Change::Flag(FlagColour::Red)).await;
        let after = Conversation { unread_count: 0, ..before.clone() };
        let mut w = store.begin_write().await.unwrap();
        conversations::save(&mut w, &[(seller_id, Some(before), after)]).await.unwrap();
        w.commit().await.unwrap();
        let now = t.conversation(&s.viewer, id).await;
        assert_eq!(now.unread_count, 0, "{}: what changed is written", t.name);
        assert_eq!(now.flag, Some(FlagColour::Red), "{}: the flag it did not change stays", t.name);
        t.assert_counters_match(s.shop.shop_id).await;
    }
}

#[tokio::test]
async fn counters_always_equal_a_full_recount() {
    // rule: DY-END-1 (an ended conversation goes to history), SH-STATUS-1 (close, reopen, mark unread)
    for t in inboxes().await {
        let s = seller(&t.inbox, "recount").await;
        let grants = grant(s.shop.shop_id, true);
        let agent = create_agent(&t.inbox, &s.viewer, "ola", Some(5), grants).await.unwrap();
        for i in 0..12 {
            t.clock.advance(Duration::seconds(5));
            t.ingest(&s.shop, text(&format!("buyer{}", i % 5), &format!("m{i}"), "question")).await;
        }
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(page.items.len(), 5);
        let ids: Vec<_> = page.items.iter().map(|c| c.id).collect();
        t.change(&s.viewer, ids[0], Change::Flag(FlagColour::Red)).await;
        t.change(&s.viewer, ids[1], Change::Assign(agent.agent.id)).await;
        t.change(&s.viewer, ids[1], Change::End).await;
        t.change(&s.viewer, ids[2], Change::Close).await;
        t.change(&s.viewer, ids[2], Change::Reopen).await;
        t.change(&s.viewer, ids[3], Change::Assign(agent.agent.id)).await;
        t.reply_text(&s.viewer, ids[4], "hello").await;
        t.ingest(&s.shop, text("buyer0", "late", "one more thing")).await;
        t.change(&s.viewer, ids[0], Change::MarkUnread).await;
        t.assert_counters_match(s.shop.shop_id).await;
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(page.counts.flags.get("red"), Some(&1));
        assert_eq!(page.counts.history, 1, "{}: the ended conversation is in history", t.name);
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
            t.ingest(&s.shop, text(&format!("b{i}"), &format!("m{i}"), "where is my parcel")).await;
        }
        let latest = t.list(&s.viewer, ConversationQuery::default()).await;
        let times: Vec<_> = latest.items.iter().map(|c| c.last_message_at).collect();
        assert!(times.windows(2).all(|w| w[0] >= w[1]), "latest first");
        // Answer the oldest: it stops waiting and moves behind every waiting buyer.
        let oldest = latest.items.last().unwrap().id;
        t.reply_text(&s.viewer, oldest, "on its way").await;
        let q = query(|q| q.sort = Some(SortOrder::Waiting));
        let waiting = t.list(&s.viewer, q).await;
        let since: Vec<_> = waiting.items.iter().filter_map(|c| c.waiting_since).collect();
        assert_eq!(since.len(), 6);
        assert!(since.windows(2).all(|w| w[0] <= w[1]), "longest waiting first");
        assert_eq!(waiting.items.last().unwrap().id, oldest);
        let unreplied = t.list(&s.viewer, query(|q| q.unreplied = Some(true))).await;
        assert_eq!(unreplied.items.len(), 6);
        assert_eq!(unreplied.counts.unreplied, 6);
        let mine = t.list(&s.viewer, query(|q| q.mine = Some(true))).await;
        assert_eq!(mine.items.len(), 1, "{}: replying took the conversation", t.name);
        assert_eq!(mine.mine.in_progress, 1);
        t.change(&s.viewer, oldest, Change::Flag(FlagColour::Blue)).await;
        let blue =
            t.list(&s.viewer, query(|q| q.flag = Some(FlagFilter(Some(FlagColour::Blue))))).await;
        assert_eq!(blue.items.len(), 1);
        let red =
            t.list(&s.viewer, query(|q| q.flag = Some(FlagFilter(Some(FlagColour::Red))))).await;
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
        t.change(&s.viewer, oldest, Change::Close).await;
        let closed = t.list(&s.viewer, query(|q| q.status = Some(ListStatus::Closed))).await;
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
        t.ingest(&s.shop, m).await;
        let mut m = text("wx", "2", "请问什么时候发货");
        m.buyer = buyer("wx", "王小明");
        m.order =
            Some(serde_json::from_value(serde_json::json!({"external_id": "8000123456"})).unwrap());
        t.ingest(&s.shop, m).await;
        t.ingest(&s.shop, text("zz", "3", "¿Dónde está mi pedido?")).await;
        let find = |words: &str| {
            let page = t.list(&s.viewer, query(|q| q.q = Some(words.to_owned())));
            async move { page.await.items.len() }
        };
        // rule: AE-SEARCH-1 (any part of a multi-word name finds the buyer)
        assert_eq!(find("Agnieszka").await, 1, "{}", t.name);
        assert_eq!(find("plebanek").await, 1, "{}", t.name);
        assert_eq!(find("Pleb").await, 1, "{}: prefix of a part", t.name);
        assert_eq!(find("小明").await, 1, "{}", t.name);
        assert_eq!(find("paczka").await, 1, "{}: a message word", t.name);
        assert_eq!(find("发货").await, 1, "{}: a Chinese word inside a sentence", t.name);
        assert_eq!(find("pedido").await, 1, "{}", t.name);
        assert_eq!(find("8000123456").await, 1, "{}: an order id", t.name);
        assert_eq!(find("refund").await, 0, "{}", t.name);
        // A buyer who changes their nickname is found by the new one too.
        let mut m = text("ap", "4", "jeszcze raz");
        m.buyer = buyer("ap", "Agnieszka Nowak-Plebanek");
        t.ingest(&s.shop, m).await;
        assert_eq!(find("Nowak").await, 1, "{}: renamed buyer", t.name);
        // A message without a nickname keeps the one the buyer had.
        t.ingest(&s.shop, text_without_nickname("ap", "5", "hej")).await;
        let page = t.list(&s.viewer, query(|q| q.q = Some("Nowak".into()))).await;
        let buyer = t.inbox.buyer(&s.viewer, page.items[0].buyer_id).await.unwrap();
        assert_eq!(buyer.nickname, "Agnieszka Nowak-Plebanek");
        let with_order = t.list(&s.viewer, query(|q| q.has_order = Some(true))).await;
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
                t.conversation_of(&s.shop, text("b", &format!("m{i:02}"), &format!("message {i}")))
                    .await,
            );
        }
        let conv = conv.unwrap();
        let first = t
            .inbox
            .messages(&s.viewer, conv, &MessageQuery { limit: Some(10), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(first.items.len(), 10);
        assert_eq!(first.items.last().unwrap().platform_message_id.as_deref(), Some("m24"));
        let mut all = first.items.clone();
        let mut before = first.prev_cursor.clone();
        while let Some(c) = before {
            let page = t
                .inbox
                .messages(
                    &s.viewer,
                    conv,
                    &MessageQuery { before: Some(c), limit: Some(10), ..Default::default() },
                )
                .await
                .unwrap();
            let mut items = page.items.clone();
            items.extend(all);
            all = items;
            before = page.prev_cursor;
        }
        let ids: Vec<_> = all.iter().map(|m| m.platform_message_id.clone().unwrap()).collect();
        let expected: Vec<_> = (0..25).map(|i| format!("m{i:02}")).collect();
        assert_eq!(ids, expected, "{}", t.name);
        t.ingest(&s.shop, text("b", "m25", "new")).await;
        let newer = t
            .inbox
            .messages(
                &s.viewer,
                conv,
                &MessageQuery { after: first.next_cursor.clone(), ..Default::default() },
            )
            .await
            .unwrap();
        assert_eq!(newer.items.len(), 1);
        let bad = t
            .inbox
            .messages(
                &s.viewer,
                conv,
                &MessageQuery { before: Some("nope".into()), ..Default::default() },
            )
            .await;
        assert!(matches!(bad, Err(CoreError::Invalid { .. })));
    }
}

/// Replies on a channel whose adapter records them (the `api` channel declares
/// `records_replies`) are stored delivered: no outbox entry, nothing to send.
#[tokio::test]
async fn replies_on_a_recording_channel_are_stored_delivered_and_nothing_is_deleted() {
    // rule: ALL-DEL-1 (ending and closing keep every message and conversation)
    for t in inboxes().await {
        let s = seller(&t.inbox, "outbox").await;
        let conv = t.conversation_of(&s.shop, text("b", "m1", "hi")).await;
        let sent = t.reply_text(&s.viewer, conv, "hello!").await;
        assert_eq!(sent.delivery_status, Some(DeliveryStatus::Delivered), "{}", t.name);
        let (entries,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM outbox")
            .fetch_one(t.inbox.store().pool())
            .await
            .unwrap();
        assert_eq!(entries, 0, "{}: no outbox entry for a recorded reply", t.name);
        assert_eq!(t.inbox.deliver_now().await.unwrap(), 0, "{}", t.name);
        let stored = t.inbox.messages(&s.viewer, conv, &MessageQuery::default()).await.unwrap();
        assert_eq!(stored.items[1].delivery_status, Some(DeliveryStatus::Delivered));
        t.change(&s.viewer, conv, Change::End).await;
        t.change(&s.viewer, conv, Change::Close).await;
        let page = t.inbox.messages(&s.viewer, conv, &MessageQuery::default()).await.unwrap();
        assert_eq!(page.items.len(), 2);
        let c = t.conversation(&s.viewer, conv).await;
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
        let grants = grant(s.shop.shop_id, false);
        let agent = create_agent(&t.inbox, &s.viewer, "ewa", None, grants).await.unwrap();
        let ewa = t.inbox.authenticate(&agent.token).await.unwrap().unwrap();
        let second = t.inbox.ingest_shop(other.shop.id).await.unwrap().unwrap();
        let hidden = t.inbox.ingest(second, text("x", "1", "secret shop")).await.unwrap();
        let visible = t.ingest(&s.shop, text("y", "1", "granted shop")).await;
        assert!(matches!(
            t.inbox.conversation(&ewa, hidden.conversation_id).await,
            Err(CoreError::NotFound(_))
        ));
        assert!(t.inbox.conversation(&ewa, visible.conversation_id).await.is_ok());
        let page = t.list(&ewa, ConversationQuery::default()).await;
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.counts.open, 1, "{}: counts cover only granted shops", t.name);
        // rule: DY-PERM-1 (no chat permission: may read, may not reply)
        let refused = t.inbox.reply(&ewa, visible.conversation_id, say("x")).await;
        assert!(matches!(refused, Err(CoreError::Forbidden(_))));
        // rule: DY-CAP-1 (capacity outside 1..50 is refused)
        let bad = create_agent(&t.inbox, &s.viewer, "big", Some(51), vec![]).await;
        assert!(matches!(bad, Err(CoreError::Invalid { .. })));
    }
}

#[tokio::test]
async fn dy_end_2_and_tt_win_1_timers_run_from_stored_timestamps_once() {
    for t in inboxes().await {
        // rule: DY-END-2 (the agent spoke last; 15 minutes of buyer silence end it)
        let dy = seller_on(&t.inbox, "dy", "douyin").await;
        let agent_last = t.conversation_of(&dy.shop, text("b1", "d1", "在吗")).await;
        let buyer_last = t.conversation_of(&dy.shop, text("b2", "d2", "你好")).await;
        let replied_at = t.clock.now();
        t.reply_text(&dy.viewer, agent_last, "在的").await;
        t.reply_text(&dy.viewer, buyer_last, "您好").await;
        t.clock.advance(Duration::minutes(1));
        t.ingest(&dy.shop, text("b2", "d3", "还有问题")).await;
        // rule: TT-WIN-1 (unreplied 7 days: timed out into history)
        let tt = seller_on(&t.inbox, "tt", "tiktok").await;
        let tt_conv = t.conversation_of(&tt.shop, text("b3", "t1", "hello?")).await;
        let tt_waiting = t.clock.now();

        t.run_timers_at(replied_at + Duration::minutes(15) - Duration::seconds(1)).await;
        let state = t.conversation(&dy.viewer, agent_last).await.state;
        assert_eq!(state, ConversationState::InProgress);
        t.run_timers_at(replied_at + Duration::minutes(15)).await;
        let ended = t.conversation(&dy.viewer, agent_last).await;
        assert_eq!(ended.state, ConversationState::Ended, "{}: ended at 15 minutes", t.name);
        assert_eq!(
            ended.ended_at,
            Some(replied_at + Duration::minutes(15)),
            "dated when it fell due"
        );
        // The buyer is the one waiting in the other: it does not end, however long.
        t.run_timers_at(replied_at + Duration::days(1)).await;
        let state = t.conversation(&dy.viewer, buyer_last).await.state;
        assert_eq!(state, ConversationState::InProgress);

        t.run_timers_at(tt_waiting + Duration::days(7) - Duration::seconds(1)).await;
        assert!(t.conversation(&tt.viewer, tt_conv).await.state.is_open());
        // Long overdue (the daemon was down): it still happens, once, dated when due.
        t.run_timers_at(tt_waiting + Duration::days(9)).await;
        let timed_out = t.conversation(&tt.viewer, tt_conv).await;
        assert_eq!(timed_out.state, ConversationState::Ended, "{}: into history", t.name);
        assert_eq!(timed_out.ended_at, Some(tt_waiting + Duration::days(7)));
        assert_eq!(t.inbox.run_timers().await.unwrap(), 0, "a second pass changes nothing");
        t.assert_counters_match(dy.shop.shop_id).await;
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
        let conv = t.conversation_of(&s.shop, card).await;
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(page.items.len(), 1, "{}: shown, not hidden as empty", t.name);
        let c = &page.items[0];
        assert_eq!((c.id, c.entry_point, c.has_order), (conv, EntryPoint::OrderPage, true));
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
        let conv = t.conversation_of(&s.shop, first).await;
        let buyer = t.inbox.conversation(&s.viewer, conv).await.unwrap().buyer_id;
        t.change(&s.viewer, conv, Change::End).await;
        let hello = |order: Option<&str>| NewOutreach {
            content: say("Hola, su pedido ya salió"),
            order_id: order.map(str::to_owned),
            acknowledged_policies: vec![],
        };

        // 31 days after the buyer's last reply, the only order 151 days old: refused.
        t.clock.set(start + Duration::days(31));
        let refused = t.inbox.initiate(&s.viewer, buyer, hello(Some("AE-8001")));
        assert_rule(refused.await, "AE-WIN-2/AE-WIN-3", t.name);
        // 29 days after: allowed, and on AliExpress only from an order (AE-INIT-1).
        t.clock.set(start + Duration::days(29));
        let no_card = t.inbox.initiate(&s.viewer, buyer, hello(None)).await;
        assert_rule(no_card, "AE-INIT-1", t.name);
        let started = t.inbox.initiate(&s.viewer, buyer, hello(Some("AE-8001"))).await.unwrap();
        assert_eq!(started.conversation.entry_point, EntryPoint::SellerInitiated);
        assert_eq!(started.conversation.assignee_id, Some(s.viewer.agent.id));
        assert!(
            matches!(&started.messages[0].content, MessageContent::OrderCard { order_id, .. } if order_id == "AE-8001")
        );
        assert_eq!(started.messages.len(), 2);
        // A second start while this one is open is refused.
        assert!(matches!(
            t.inbox.initiate(&s.viewer, buyer, hello(Some("AE-8001"))).await,
            Err(CoreError::Conflict(_))
        ));
        t.assert_counters_match(s.shop.shop_id).await;
    }
}

#[tokio::test]
async fn tt_list_2_expiring_soon_after_20_hours_unreplied() {
    for t in inboxes().await {
        let tt = seller_on(&t.inbox, "exp", "tiktok").await;
        let start = t.clock.now();
        let conv = t.conversation_of(&tt.shop, text("b", "t1", "hello?")).await;
        let expiring = || async {
            let q = query(|q| q.expiring = Some(true));
            let page = t.list(&tt.viewer, q).await;
            (page.items.len(), page.counts.expiring)
        };
        t.clock.set(start + Duration::hours(20));
        assert_eq!(expiring().await, (0, 0), "{}: 20 hours is not more than 20 hours", t.name);
        t.clock.set(start + Duration::hours(20) + Duration::seconds(1));
        assert_eq!(expiring().await, (1, 1), "{}", t.name);
        t.reply_text(&tt.viewer, conv, "Hi!").await;
        assert_eq!(expiring().await, (0, 0), "{}: answered, no longer expiring", t.name);
    }
}

#[tokio::test]
async fn a_shop_overrides_a_rule_duration_validated_by_rule_id() {
    // rule: TT-WIN-2, DY-END-2 (durations are data a shop may override)
    for t in inboxes().await {
        let s = seller(&t.inbox, "ovr").await;
        let shop = |external: &str, platform: &str, overrides: serde_json::Value| {
            serde_json::from_value::<shopmux_core::services::shops::NewShop>(json!({
                "platform": platform, "external_id": external, "name": external,
                "settings": {"rule_overrides": overrides},
            }))
            .unwrap()
        };
        for (external, overrides, field, says) in [
            ("x1", json!({"TT-NOPE-1": "1d"}), "settings.rule_overrides", "TT-NOPE-1"),
            ("x2", json!({"TT-WIN-2": "soon"}), "settings.rule_overrides.TT-WIN-2", ""),
        ] {
            let bad = t.inbox.create_shop(&s.viewer, shop(external, "tiktok", overrides));
            assert_invalid(bad.await, field, says);
        }

        let dy = t
            .inbox
            .create_shop(&s.viewer, shop("dy-fast", "douyin", json!({"DY-END-2": "10m"})))
            .await
            .unwrap();
        let rules = t.inbox.shop_rules(dy.shop.id).await.unwrap();
        assert_eq!(rules.timers[0].after.to_string(), "10m");
        let viewer = t.inbox.authenticate(&s.owner.token).await.unwrap().unwrap();
        let dy_shop = t.inbox.ingest_shop(dy.shop.id).await.unwrap().unwrap();
        let conv = t.conversation_of(&dy_shop, text("b", "d1", "hi")).await;
        let replied = t.clock.now();
        t.reply_text(&viewer, conv, "hello").await;
        t.run_timers_at(replied + Duration::minutes(10)).await;
        assert_eq!(
            t.conversation(&viewer, conv).await.state,
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
            let bad = t.inbox.set_shop_settings(&viewer, ae.shop.id, settings(true, "Hi", n));
            assert_invalid(bad.await, "settings.auto_reply.actions", "AE-AUTO-4");
        }
        // rule: AE-AUTO-2 (off when disabled or empty)
        let autos = |conv| {
            let inbox = t.inbox.clone();
            let viewer = viewer.clone();
            async move {
                let page = inbox.messages(&viewer, conv, &MessageQuery::default()).await.unwrap();
                page.items.iter().filter(|m| m.sender_kind == SenderKind::Bot).count()
            }
        };
        t.inbox.set_shop_settings(&viewer, ae.shop.id, settings(true, "   ", 3)).await.unwrap();
        let shop = t.inbox.ingest_shop(ae.shop.id).await.unwrap().unwrap();
        let c1 = t.conversation_of(&shop, text("quiet", "q1", "hola")).await;
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
        let conv = t.conversation_of(&shop, text("b", "m1", "¿Tienen talla M?")).await;
        assert_eq!(autos(conv).await, 1, "{}", t.name);
        t.clock.set(start + Duration::hours(1));
        t.ingest(&shop, text("b", "m2", "¿y en rojo?")).await;
        assert_eq!(autos(conv).await, 1, "{}: not again within 24 h", t.name);
        // rule: AE-AUTO-3 (stays unread and unreplied)
        let c = t.conversation(&viewer, conv).await;
        assert_eq!((c.unread_count, c.waiting_since), (2, Some(start)));
        t.clock.set(start + Duration::hours(25));
        t.ingest(&shop, text("b", "m3", "¿hola?")).await;
        assert_eq!(autos(conv).await, 1, "{}: 24 h after m2, not more", t.name);
        t.clock.set(start + Duration::hours(49) + Duration::seconds(1));
        t.inbox.ingest(shop, text("b", "m4", "¿alguien?")).await.unwrap();
        assert_eq!(autos(conv).await, 2, "{}: over 24 h after m3: again", t.name);
        t.assert_counters_match(ae.shop.id).await;
    }
}

#[tokio::test]
async fn ae_xfer_1_and_ae_xfer_2_transfer_by_holder_or_owner_and_the_previous_agent_loses_the_buyer()
 {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "xfer", "aliexpress").await;
        let grants = grant(s.shop.shop_id, true);
        let mut agents = Vec::new();
        for nick in ["ana", "ben", "cai"] {
            let created =
                create_agent(&t.inbox, &s.viewer, nick, None, grants.clone()).await.unwrap();
            agents.push((created.agent.id, viewer(&t.inbox, &created.token).await));
        }
        let (ana, ana_v) = agents[0].clone();
        let (ben, ben_v) = agents[1].clone();
        let (cai, _) = agents[2].clone();
        t.inbox.set_status(&ana_v, AgentStatus::Online).await.unwrap();
        t.inbox.set_status(&ben_v, AgentStatus::Online).await.unwrap();
        let conv = t.conversation_of(&s.shop, text("buyer", "x1", "Hola")).await;
        t.change(&s.viewer, conv, Change::Assign(ana)).await;
        // rule: AE-XFER-1 (only the holder or the main account; only to an online account)
        let by_ben = t.inbox.change(&ben_v, conv, Change::Transfer(ben)).await;
        assert_rule(by_ben, "AE-XFER-1", "ben does not hold it");
        let to_cai = t.inbox.change(&ana_v, conv, Change::Transfer(cai)).await;
        assert_rule(to_cai, "AE-XFER-1", "cai is offline");
        let moved = t.change(&ana_v, conv, Change::Transfer(ben)).await;
        assert_eq!(moved.assignee_id, Some(ben));
        // rule: AE-XFER-2 (ana can no longer chat with the buyer; ben sees everything; the owner is never restricted)
        let say = || say("¿Le ayudo?");
        let by_ana = t.inbox.reply(&ana_v, conv, say()).await;
        assert_rule(by_ana, "AE-XFER-2", t.name);
        assert_eq!(
            t.inbox.messages(&ben_v, conv, &MessageQuery::default()).await.unwrap().items.len(),
            1
        );
        t.inbox.reply(&ben_v, conv, say()).await.unwrap();
        t.inbox.reply(&s.viewer, conv, say()).await.unwrap();
        // Given back to ana, she may chat again.
        t.change(&s.viewer, conv, Change::Transfer(ana)).await;
        t.inbox.reply(&ana_v, conv, say()).await.unwrap();
    }
}

#[tokio::test]
async fn ae_win_1_a_buyer_may_write_at_any_time() {
    for t in inboxes().await {
        let s = seller_on(&t.inbox, "anytime", "aliexpress").await;
        let first = t.conversation_of(&s.shop, text("b", "w1", "hola")).await;
        t.change(&s.viewer, first, Change::Close).await;
        // Years later, with no order and a closed chat, the buyer's message still arrives.
        t.clock.advance(Duration::days(800));
        let later = t.ingest(&s.shop, text("b", "w2", "¿siguen ahí?")).await;
        assert!(!later.duplicate);
        assert_ne!(later.conversation_id, first, "{}: a new conversation", t.name);
        let later = t.conversation(&s.viewer, later.conversation_id).await;
        assert!(later.state.is_open());
    }
}

#[tokio::test]
async fn tt_xfer_1_dy_xfer_1_and_sh_assign_1_assign_transfer_and_unassign() {
    // rule: TT-XFER-1, DY-XFER-1 (transfer to another agent), SH-ASSIGN-1 (only staff with chat permission)
    for t in inboxes().await {
        let s = seller(&t.inbox, "moves").await;
        let mut ids = Vec::new();
        for (nick, can_chat) in [("ada", true), ("bo", true), ("no_chat", false)] {
            let grants = grant(s.shop.shop_id, can_chat);
            let a = create_agent(&t.inbox, &s.viewer, nick, None, grants).await.unwrap();
            ids.push(a.agent.id);
        }
        let conv = t.conversation_of(&s.shop, text("b", "mv1", "hi")).await;
        let refused = t.inbox.change(&s.viewer, conv, Change::Assign(ids[2]));
        assert_invalid(refused.await, "agent_id", "");
        assert!(
            matches!(
                t.inbox.change(&s.viewer, conv, Change::Transfer(ids[0])).await,
                Err(CoreError::Conflict(_))
            ),
            "nothing to transfer yet"
        );
        t.change(&s.viewer, conv, Change::Assign(ids[0])).await;
        let moved = t.change(&s.viewer, conv, Change::Transfer(ids[1])).await;
        assert_eq!((moved.assignee_id, moved.state), (Some(ids[1]), ConversationState::InProgress));
        let back = t.change(&s.viewer, conv, Change::Unassign).await;
        assert_eq!((back.assignee_id, back.state), (None, ConversationState::Unassigned));
        t.assert_counters_match(s.shop.shop_id).await;
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
    let first =
        shopmux_core::Store::open(&shopmux_core::StoreOptions::new(url.clone())).await.unwrap();
    let second = shopmux_core::Store::open(&shopmux_core::StoreOptions::new(url)).await.unwrap();
    let mut first_lead = TimerLeadership::default();
    let mut second_lead = TimerLeadership::default();
    assert!(first_lead.lead(&first).await, "the first daemon takes the lead");
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
mod languages_topics;

#[tokio::test]
async fn two_writers_ingesting_the_same_buyers_at_once_store_each_message_once_and_count_exactly() {
    // Two engines on one database (on PostgreSQL: two daemons, whose groups run at
    // once): every message is delivered to both, each engine's deliveries at once, so
    // concurrent groups hold the same buyers, conversations and messages. A delivery
    // refused for a transient conflict is delivered again, as a platform would.
    for t in inboxes().await {
        let s = seller(&t.inbox, "two-writers").await;
        let engines = [t.inbox.clone(), second_engine(&t).await];
        let (n_buyers, n_messages) = (6, 36);
        let mut tasks = Vec::new();
        for engine in &engines {
            for i in 0..n_messages {
                let (inbox, shop) = (engine.clone(), s.shop.clone());
                let msg = text(&format!("b{}", i % n_buyers), &format!("m-{i}"), "hello");
                tasks.push(tokio::spawn(async move {
                    for _ in 0..50 {
                        match inbox.ingest(shop.clone(), msg.clone()).await {
                            Err(CoreError::Conflict(_) | CoreError::Database(_)) => continue,
                            other => return (i, other),
                        }
                    }
                    (i, Err(CoreError::Unavailable("still refused")))
                }));
            }
        }
        let mut originals = std::collections::HashMap::new();
        for task in tasks {
            let (i, outcome) = task.await.unwrap();
            let outcome = outcome.unwrap_or_else(|e| panic!("{}: message {i}: {e}", t.name));
            let first = originals.entry(i).or_insert((outcome.message_id, 0));
            assert_eq!(first.0, outcome.message_id, "{}: message {i} has one id", t.name);
            first.1 += usize::from(!outcome.duplicate);
        }
        assert!(
            originals.values().all(|(_, n)| *n == 1),
            "{}: each message is an original exactly once: {originals:?}",
            t.name
        );
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM messages")
            .fetch_one(t.inbox.store().pool())
            .await
            .unwrap();
        assert_eq!(n, n_messages as i64, "{}: every message stored once", t.name);
        let page = t.list(&s.viewer, ConversationQuery::default()).await;
        assert_eq!(page.items.len(), n_buyers, "{}: one conversation per buyer", t.name);
        for c in &page.items {
            let expected = (n_messages / n_buyers) as i64;
            assert_eq!(c.unread_count, expected, "{}: unread of {}", t.name, c.id);
        }
        t.assert_counters_match(s.shop.shop_id).await;
    }
}

#[tokio::test]
async fn a_broad_name_search_pages_in_list_order_by_walk_or_by_candidates() {
    // rule: AE-SEARCH-1 (a name part many buyers share: each page in the list's order,
    // whether the page is found by walking the list or driven from the matching buyers)
    for t in inboxes().await {
        let s = seller(&t.inbox, "broad").await;
        let mut expected = Vec::new();
        for i in 0..7 {
            t.clock.advance(Duration::seconds(1));
            let mut m = text(&format!("n{i}"), &format!("n{i}"), "hello");
            m.buyer = buyer(&format!("n{i}"), &format!("Jan Nowak{i}"));
            expected.push(t.conversation_of(&s.shop, m).await);
            t.clock.advance(Duration::seconds(1));
            t.ingest(&s.shop, text(&format!("o{i}"), &format!("o{i}"), "unrelated")).await;
        }
        // A buyer whose message (not name) holds the word matches too.
        t.clock.advance(Duration::seconds(1));
        expected.push(t.conversation_of(&s.shop, text("w", "w", "nowak was here")).await);
        expected.reverse();
        for limit in [2, 3, 50] {
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let q = query(|q| {
                    q.q = Some("nowak".into());
                    q.limit = Some(limit);
                    q.cursor = cursor.clone();
                });
                let page = t.list(&s.viewer, q).await;
                seen.extend(page.items.iter().map(|i| i.conversation.id));
                match page.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
            assert_eq!(seen, expected, "{}: pages of {limit}", t.name);
        }
        // The history's buyer filter by a name part, over every status, counted.
        let q = query(|q| {
            q.status = Some(shopmux_core::domain::listing::ListStatus::All);
            q.buyer = Some("jan".into());
            q.limit = Some(3);
        });
        let page = t.list(&s.viewer, q).await;
        let ids: Vec<_> = page.items.iter().map(|i| i.conversation.id).collect();
        assert_eq!((ids.as_slice(), page.total), (&expected[1..4], Some(7)), "{}", t.name);
    }
}

#[tokio::test]
async fn names_and_texts_with_quotes_backslashes_braces_and_null_are_stored_as_sent() {
    // A group's rows travel to PostgreSQL as array literals: every character that means
    // something in that syntax must come back as it was sent.
    let odd = [
        (r#"O"Brien \ {x}, y"#, r#"a "quoted" \n {braced}, NULL"#),
        ("NULL", "NULL"),
        ("\\", r"\\"),
        ("{}", "\"}{\""),
    ];
    for t in inboxes().await {
        let s = seller(&t.inbox, "odd").await;
        let mut tasks = Vec::new();
        for (i, (name, body)) in odd.iter().enumerate() {
            let mut m = text(&format!("odd-{i}"), &format!("m-{i}"), body);
            m.buyer = buyer(&format!("odd-{i}"), name);
            let (inbox, shop) = (t.inbox.clone(), s.shop.clone());
            tasks.push(tokio::spawn(async move { inbox.ingest(shop, m).await }));
        }
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        for (i, (name, body)) in odd.iter().enumerate() {
            let page = t.list(&s.viewer, query(|q| q.buyer = Some(format!("odd-{i}")))).await;
            assert_eq!(page.items.len(), 1, "{}: buyer odd-{i}", t.name);
            let c = &page.items[0];
            let buyer = t.inbox.buyer(&s.viewer, c.buyer_id).await.unwrap();
            assert_eq!(buyer.nickname, *name, "{}", t.name);
            let q = MessageQuery { limit: Some(10), ..Default::default() };
            let messages = t.inbox.messages(&s.viewer, c.id, &q).await.unwrap();
            assert_eq!(messages.items[0].content, say(body), "{}", t.name);
        }
        let found = t.list(&s.viewer, query(|q| q.q = Some("Brien".into()))).await;
        assert_eq!(found.items.len(), 1, "{}: found by the quoted name part", t.name);
        t.assert_counters_match(s.shop.shop_id).await;
    }
}
