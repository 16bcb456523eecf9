//! The operator's gauges on every backend: the outbox's depth and its oldest reply per
//! platform (migration 0034's index), conversations queued, outbound webhook deliveries
//! pending, the pool — as `/metrics` reads them at a scrape.

use crate::channel::FakeChannel;
use crate::support::*;
use shopmux_contract::adapter::{Adapter, Capabilities};
use shopmux_core::Clock;
use shopmux_core::domain::model::Platform;
use std::sync::Arc;

fn tiktok_channel() -> Arc<dyn Adapter> {
    let capabilities = Capabilities { sends: true, ..Capabilities::default() };
    let tiktok = &shopmux_adapter_tiktok::PLATFORM;
    Arc::new(FakeChannel::new(tiktok, shopmux_adapter_tiktok::rule_set(), capabilities))
}

#[tokio::test]
async fn the_gauges_read_the_outbox_the_queues_and_the_pool() {
    for t in inboxes_with(|| vec![tiktok_channel()]).await {
        let empty = t.inbox.operations_gauges().await.unwrap();
        assert!(empty.outbox.is_empty(), "{}: {:?}", t.name, empty.outbox);
        assert_eq!(empty.webhook_deliveries_pending, 0);
        assert_eq!(empty.ingest_queue, 0, "{}", t.name);
        assert!(empty.pool.max >= 1 && empty.pool.idle <= empty.pool.open, "{:?}", empty.pool);

        // A shop routing nothing by itself: its new conversations stay queued.
        let waiting = seller(&t.inbox, "gauges-queue").await;
        for (buyer, id) in [("anna", "q-1"), ("bob", "q-2")] {
            t.conversation_of(&waiting.shop, text(buyer, id, "hello")).await;
        }
        let queued = t.inbox.operations_gauges().await.unwrap().queued;
        let of = |platform: &Platform| queued.iter().find(|(p, _)| p == platform).map(|q| q.1);
        assert_eq!(of(&waiting.shop.platform), Some(2), "{}: {queued:?}", t.name);

        let s = seller_on(&t.inbox, "gauges", "tiktok").await;
        let conv = t.conversation_of(&s.shop, text("buyer", "b-1", "hello")).await;
        let other = t.conversation_of(&s.shop, text("buyer-2", "b-2", "hi")).await;

        let accepted = t.clock.now();
        for (c, words) in [(conv, "on its way"), (conv, "tracking soon"), (other, "hello")] {
            let content = serde_json::json!({"type": "text", "text": words});
            let content = serde_json::from_value(content).unwrap();
            t.inbox.reply(&s.viewer, c, content).await.unwrap();
        }
        t.clock.advance(chrono::Duration::seconds(90));
        let g = t.inbox.operations_gauges().await.unwrap();
        assert_eq!(g.outbox.len(), 1, "{}: {:?}", t.name, g.outbox);
        assert_eq!(g.outbox[0].platform, s.shop.platform);
        assert_eq!(g.outbox[0].pending, 3, "{}", t.name);
        let oldest = g.outbox[0].oldest.expect("an oldest entry");
        assert_eq!(oldest.timestamp_millis(), accepted.timestamp_millis(), "{}", t.name);
        assert_eq!((g.now - oldest).num_seconds(), 90);

        t.inbox.deliver_now().await.unwrap();
        let delivered = t.inbox.operations_gauges().await.unwrap();
        assert!(delivered.outbox.is_empty(), "{}: {:?}", t.name, delivered.outbox);
    }
}
