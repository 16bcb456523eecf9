//! Several ingest writers at once (PostgreSQL's lanes): the locks a group takes, many
//! buyers' messages written concurrently, each once, counted exactly, and a writer's
//! own connection opened again after the server cut it.

use crate::support::*;
use shopmux_core::domain::ids::{SellerId, ShopId};
use shopmux_core::domain::listing::ConversationQuery;
use shopmux_core::storage::postgres_writer::PostgresWriter;
use shopmux_core::storage::write::WriteTx;
use shopmux_core::storage::write_locks::{lock_ingest_group, lock_seller};
use shopmux_core::{CoreResult, Store, StoreOptions};

/// A fresh store on PostgreSQL (none without it: the case is skipped).
async fn postgres_store() -> Option<Store> {
    let Some(base) = postgres_url() else {
        eprintln!("notice: SHOPMUX_TEST_POSTGRES_URL is not set; PostgreSQL case skipped");
        return None;
    };
    Some(Store::open(&StoreOptions::new(postgres_schema_url(&base).await)).await.unwrap())
}

/// A write transaction that gives up on a lock after a moment (a lock it would wait
/// for fails instead).
async fn impatient(store: &Store) -> WriteTx<'_> {
    let mut w = store.begin_write().await.expect("begin");
    w.run("SET LOCAL lock_timeout = '300ms'", vec![]).await.expect("lock_timeout");
    w
}

fn waited<T>(result: CoreResult<T>) -> bool {
    result.is_err()
}

#[tokio::test]
async fn ingest_groups_of_one_seller_lock_at_once_but_not_a_buyer_twice_and_routing_waits() {
    let Some(store) = postgres_store().await else { return };
    let (seller, shop) = (SellerId::new(), ShopId::new());
    let mut first = store.begin_write().await.unwrap();
    lock_ingest_group(&mut first, &[seller], &[(shop, "b1"), (shop, "b2")]).await.unwrap();
    // Another group of the seller with other buyers takes its locks at once.
    let mut second = impatient(&store).await;
    lock_ingest_group(&mut second, &[seller], &[(shop, "b3")]).await.expect("not waiting");
    // A group with one of the first group's buyers waits for it.
    let mut same_buyer = impatient(&store).await;
    assert!(waited(lock_ingest_group(&mut same_buyer, &[seller], &[(shop, "b2")]).await));
    // The seller's routing lock waits for its groups; another seller's does not.
    let mut routing = impatient(&store).await;
    assert!(waited(lock_seller(&mut routing, seller).await));
    let mut other = impatient(&store).await;
    lock_seller(&mut other, SellerId::new()).await.expect("another seller's lock");
    drop((first, second, same_buyer, routing, other));
    // Once the groups ended, routing takes it, and then a group waits for routing.
    let mut routing = impatient(&store).await;
    lock_seller(&mut routing, seller).await.expect("the groups ended");
    let mut group = impatient(&store).await;
    assert!(waited(lock_ingest_group(&mut group, &[seller], &[(shop, "b9")]).await));
}

#[tokio::test]
async fn many_buyers_messages_ingested_at_once_are_each_stored_once_and_counted_exactly() {
    // On PostgreSQL the buyers spread over the writers' lanes, whose groups run at once.
    for t in inboxes().await {
        let s = seller(&t.inbox, "lanes").await;
        let (n_buyers, per_buyer) = (24, 5);
        let mut tasks = Vec::new();
        for i in 0..n_buyers * per_buyer {
            let (inbox, shop) = (t.inbox.clone(), s.shop.clone());
            let msg = text(&format!("b{}", i % n_buyers), &format!("m-{i}"), "hello");
            tasks.push(tokio::spawn(async move { inbox.ingest(shop, msg).await }));
        }
        for task in tasks {
            let outcome = task.await.unwrap().unwrap_or_else(|e| panic!("{}: {e}", t.name));
            assert!(!outcome.duplicate, "{}", t.name);
        }
        let n: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM messages")
            .fetch_one(t.inbox.store().pool())
            .await
            .unwrap();
        assert_eq!(n, (n_buyers * per_buyer) as i64, "{}: every message stored once", t.name);
        let q = query(|q: &mut ConversationQuery| q.limit = Some(100));
        let page = t.list(&s.viewer, q).await;
        assert_eq!(page.items.len(), n_buyers, "{}: one conversation per buyer", t.name);
        for c in &page.items {
            assert_eq!(c.unread_count, per_buyer as i64, "{}: unread of {}", t.name, c.id);
        }
        t.assert_counters_match(s.shop.shop_id).await;
    }
}

#[tokio::test]
async fn a_postgres_writer_whose_connection_was_cut_writes_the_next_group_on_a_new_one() {
    let Some(store) = postgres_store().await else { return };
    let writer = PostgresWriter::open(&store).await.unwrap().expect("a writer on PostgreSQL");
    let backend = async |w: &mut WriteTx<'_>| -> CoreResult<i64> {
        let row = w.row("SELECT CAST(pg_backend_pid() AS BIGINT) AS pid", vec![]).await?;
        Ok(sqlx::Row::get(&row.expect("a row"), "pid"))
    };
    let first = writer.write(&store, backend).await.expect("the first connection");
    // The server ends the connection (as a restart or an operator would).
    let cut = async |w: &mut WriteTx<'_>| {
        w.run("SELECT pg_terminate_backend(pg_backend_pid())", vec![]).await
    };
    assert!(writer.write(&store, cut).await.is_err(), "the cut group fails");
    let next = writer.write(&store, backend).await.expect("the next group is written");
    assert_ne!(next, first, "on a new connection");
}
