//! Outbound webhooks on every backend: events queued with the change that raises them
//! (only for subscribed endpoints), claims one at a time under leases, a
//! conversation's events in order per endpoint, late outcomes ignored, backoff by the
//! injected clock, an endpoint paused after a day of failures (and its owner told),
//! resume in order, and "send again".

use crate::support::*;
use chrono::Duration;
use shopmux_core::domain::conversation::Change;
use shopmux_core::domain::ids::WebhookEndpointId;
use shopmux_core::domain::webhooks::{
    EndpointStatus, WebhookDeliveryStatus, WebhookEvent, WebhookPayload,
};
use shopmux_core::events::OwnerEvent;
use shopmux_core::services::webhooks::manage::NewEndpoint;
use shopmux_core::services::webhooks::transport::WebhookAnswer;
use shopmux_core::storage::webhook_queue::ClaimedHook;

async fn endpoint(t: &TestInbox, s: &Seller, events: &[WebhookEvent]) -> WebhookEndpointId {
    let new = NewEndpoint {
        url: "https://hooks.example.com/in".into(),
        events: events.to_vec(),
        description: String::new(),
        notify_email: None,
    };
    let created = t.inbox.create_webhook_endpoint(&s.viewer, new).await.expect("endpoint");
    assert!(created.secret.starts_with("whsec_"));
    created.endpoint.id
}

fn answer(status: u16) -> WebhookAnswer {
    WebhookAnswer { status: Some(status), ..Default::default() }
}

/// The payload of a claim.
fn payload(c: &ClaimedHook) -> WebhookPayload {
    serde_json::from_str(&c.payload).expect("payload")
}

fn text_of(c: &ClaimedHook) -> String {
    payload(c).data["message"]["content"]["text"].as_str().unwrap_or_default().to_owned()
}

async fn claim(t: &TestInbox) -> Option<ClaimedHook> {
    t.inbox.claim_webhook(&[]).await.expect("claim")
}

async fn count(t: &TestInbox) -> i64 {
    sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM webhook_deliveries")
        .fetch_one(t.inbox.store().pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn events_queue_with_their_change_and_leave_in_order_per_conversation() {
    for t in inboxes_with(Vec::new).await {
        let quiet = seller(&t.inbox, "quiet").await;
        t.ingest(&quiet.shop, text("nobody", "q-1", "no endpoint, no rows")).await;
        assert_eq!(count(&t).await, 0, "{}: sellers without endpoints pay nothing", t.name);

        let s = seller(&t.inbox, "hooked").await;
        let ep = endpoint(&t, &s, &[WebhookEvent::MessageCreated, WebhookEvent::ConversationEnded])
            .await;
        let a = t.conversation_of(&s.shop, text("anna", "a-1", "first")).await;
        t.ingest(&s.shop, text("anna", "a-2", "second")).await;
        t.ingest(&s.shop, text("bob", "b-1", "other")).await;
        assert_eq!(count(&t).await, 3, "{}", t.name);

        // Anna's first is claimed; her second waits for it, Bob's does not.
        let a1 = claim(&t).await.expect("a1");
        assert_eq!(
            (text_of(&a1), a1.event.as_str(), a1.endpoint_id),
            ("first".into(), "message.created", ep)
        );
        let b1 = claim(&t).await.expect("b1");
        assert_eq!(text_of(&b1), "other");
        assert!(claim(&t).await.is_none(), "{}: a conversation's next event waits", t.name);

        // A 500 backs off (by the injected clock); the second still waits behind it.
        t.inbox.complete_webhook(&a1, &answer(500)).await.unwrap();
        t.inbox.complete_webhook(&b1, &answer(204)).await.unwrap();
        assert!(claim(&t).await.is_none(), "{}: backing off, and in order", t.name);
        t.clock.advance(Duration::seconds(11));
        let again = claim(&t).await.expect("retry");
        assert_eq!((text_of(&again), again.attempts), ("first".into(), 2));
        t.inbox.complete_webhook(&again, &answer(200)).await.unwrap();

        // A lease that runs out lets another claim take the row; the late outcome of
        // the first claim changes nothing.
        let slow = claim(&t).await.expect("a2");
        assert_eq!(text_of(&slow), "second");
        assert!(claim(&t).await.is_none());
        t.clock.advance(Duration::seconds(16));
        let taken = claim(&t).await.expect("taken over");
        assert_eq!((taken.id, taken.attempts), (slow.id, 2));
        t.inbox.complete_webhook(&slow, &answer(200)).await.unwrap();
        let listed = t.inbox.webhook_deliveries(&s.viewer, ep, None, None).await.unwrap();
        let a2 = listed.iter().find(|d| d.id == slow.id).unwrap();
        assert_eq!(
            a2.status,
            WebhookDeliveryStatus::Pending,
            "{}: the late outcome was ignored",
            t.name
        );
        t.inbox.complete_webhook(&taken, &answer(200)).await.unwrap();

        // Ending the conversation raises conversation.ended in the same transaction.
        t.change(&s.viewer, a, Change::Assign(s.owner.agent.id)).await;
        t.change(&s.viewer, a, Change::End).await;
        let ended = claim(&t).await.expect("ended");
        assert_eq!(ended.event, "conversation.ended");
        assert_eq!(payload(&ended).data["conversation"]["state"], "ended");
        t.inbox.complete_webhook(&ended, &answer(200)).await.unwrap();
        assert!(claim(&t).await.is_none(), "{}: not subscribed to assignments", t.name);

        let listed = t.inbox.webhook_deliveries(&s.viewer, ep, None, None).await.unwrap();
        assert_eq!(listed.len(), 4);
        assert!(listed.iter().all(|d| d.status == WebhookDeliveryStatus::Delivered), "{}", t.name);
        let shown = t.inbox.webhook_endpoint(&s.viewer, ep).await.unwrap();
        assert_eq!((shown.consecutive_failures, shown.pending), (0, 0));
        assert!(shown.last_success_at.is_some());
    }
}

#[tokio::test]
async fn an_endpoint_failing_for_a_day_is_paused_told_and_resumed_in_order() {
    for t in inboxes_with(Vec::new).await {
        let s = seller(&t.inbox, "pausing").await;
        let ep = endpoint(&t, &s, &[WebhookEvent::MessageCreated]).await;
        let mut told = t.inbox.events().subscribe_owners();
        t.ingest(&s.shop, text("anna", "p-1", "one")).await;
        // Failing for just under a day: retried, not paused.
        let first = claim(&t).await.unwrap();
        t.inbox.complete_webhook(&first, &answer(503)).await.unwrap();
        t.clock.advance(Duration::hours(23) + Duration::minutes(59));
        let late = claim(&t).await.unwrap();
        t.inbox.complete_webhook(&late, &answer(503)).await.unwrap();
        let shown = t.inbox.webhook_endpoint(&s.viewer, ep).await.unwrap();
        assert_eq!(
            (shown.status, shown.consecutive_failures),
            (EndpointStatus::Active, 2),
            "{}",
            t.name
        );
        // A day after the run of failures began: paused, the event kept, the owner told.
        t.clock.advance(Duration::minutes(2));
        let last = claim(&t).await.unwrap();
        t.inbox.complete_webhook(&last, &answer(502)).await.unwrap();
        let shown = t.inbox.webhook_endpoint(&s.viewer, ep).await.unwrap();
        assert_eq!(shown.status, EndpointStatus::Paused, "{}", t.name);
        assert_eq!(shown.pause_reason.as_deref(), Some("failing"));
        let (seller, OwnerEvent::WebhookEndpointPaused { endpoint }) =
            told.try_recv().expect("told")
        else {
            panic!("{}: not a paused endpoint", t.name)
        };
        assert_eq!((seller, endpoint.id), (s.viewer.agent.seller_id, ep));
        // New events still queue while paused; nothing is attempted.
        t.ingest(&s.shop, text("anna", "p-2", "two")).await;
        assert!(claim(&t).await.is_none(), "{}: paused", t.name);
        assert_eq!(t.inbox.webhook_endpoint(&s.viewer, ep).await.unwrap().pending, 2);
        // Resume: both go out, in order.
        t.inbox.resume_webhook_endpoint(&s.viewer, ep).await.unwrap();
        let one = claim(&t).await.unwrap();
        assert_eq!(text_of(&one), "one");
        assert!(claim(&t).await.is_none());
        t.inbox.complete_webhook(&one, &answer(200)).await.unwrap();
        let two = claim(&t).await.unwrap();
        assert_eq!(text_of(&two), "two");
        t.inbox.complete_webhook(&two, &answer(200)).await.unwrap();
    }
}

#[tokio::test]
async fn a_delivery_refused_for_a_day_fails_and_can_be_sent_again() {
    for t in inboxes_with(Vec::new).await {
        let s = seller(&t.inbox, "refused").await;
        let ep = endpoint(&t, &s, &[WebhookEvent::MessageCreated]).await;
        t.ingest(&s.shop, text("anna", "r-1", "bad")).await;
        let bad = claim(&t).await.unwrap();
        t.inbox.complete_webhook(&bad, &answer(400)).await.unwrap();
        // The endpoint answers other events meanwhile (its failing run starts later).
        t.ingest(&s.shop, text("bob", "r-2", "good")).await;
        let good = claim(&t).await.unwrap();
        t.inbox.complete_webhook(&good, &answer(200)).await.unwrap();
        t.clock.advance(Duration::hours(24));
        let again = claim(&t).await.unwrap();
        assert_eq!(again.id, bad.id);
        t.inbox.complete_webhook(&again, &answer(400)).await.unwrap();
        let listed = t
            .inbox
            .webhook_deliveries(&s.viewer, ep, Some(WebhookDeliveryStatus::Failed), None)
            .await
            .unwrap();
        assert_eq!(listed.len(), 1, "{}: failed after a day", t.name);
        assert_eq!((listed[0].last_status_code, listed[0].attempts), (Some(400), 2));
        assert_eq!(
            t.inbox.webhook_endpoint(&s.viewer, ep).await.unwrap().status,
            EndpointStatus::Active
        );
        // Send again: pending with a fresh budget, same delivery id.
        let resent = t.inbox.send_webhook_again(&s.viewer, ep, bad.id).await.unwrap();
        assert_eq!((resent.status, resent.attempts), (WebhookDeliveryStatus::Pending, 0));
        let claimed = claim(&t).await.unwrap();
        assert_eq!((claimed.id, claimed.attempts), (bad.id, 1));
        t.inbox.complete_webhook(&claimed, &answer(200)).await.unwrap();
        // Another seller's endpoint is an unknown one.
        let other = seller(&t.inbox, "other").await;
        let unknown = t.inbox.send_webhook_again(&other.viewer, ep, bad.id).await;
        assert!(matches!(unknown, Err(shopmux_core::CoreError::NotFound(_))), "{}", t.name);
    }
}

/// A transport that records what it is asked and answers from a script.
#[derive(Default)]
struct Scripted {
    posts: std::sync::Mutex<Vec<shopmux_core::services::webhooks::transport::WebhookRequest>>,
    mails: std::sync::Mutex<Vec<(String, String)>>,
    status: std::sync::atomic::AtomicU16,
}

#[async_trait::async_trait]
impl shopmux_core::services::webhooks::transport::WebhookTransport for Scripted {
    async fn post(
        &self, request: shopmux_core::services::webhooks::transport::WebhookRequest,
    ) -> WebhookAnswer {
        self.posts.lock().unwrap().push(request);
        answer(self.status.load(std::sync::atomic::Ordering::SeqCst))
    }

    async fn mail(&self, to: &str, subject: &str, _body: &str) -> Result<(), String> {
        self.mails.lock().unwrap().push((to.to_owned(), subject.to_owned()));
        Ok(())
    }
}

#[tokio::test]
async fn the_worker_signs_each_attempt_and_mails_the_owner_when_it_pauses() {
    use shopmux_core::domain::webhook_signing::signature_header;
    use shopmux_core::{Clock, Inbox, InboxOptions, ManualClock, Store, StoreOptions};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let mut urls = vec![format!("sqlite://{}/hooks.db", dir.path().display())];
    if let Some(base) = postgres_url() {
        urls.push(postgres_schema_url(&base).await);
    }
    for url in urls {
        let store = Store::open(&StoreOptions::new(&url)).await.unwrap();
        let clock = Arc::new(ManualClock::at_epoch_2026());
        let transport = Arc::new(Scripted::default());
        transport.status.store(500, std::sync::atomic::Ordering::SeqCst);
        let webhooks = shopmux_core::services::webhooks::WebhookOptions {
            transport: Some(transport.clone()),
            ..Default::default()
        };
        let options = InboxOptions {
            registry: registry(Vec::new()),
            background_delivery: false,
            webhooks,
            ..Default::default()
        };
        let inbox = Inbox::start(store, clock.clone() as Arc<dyn Clock>, options);
        let s = seller(&inbox, "mailed").await;
        let new = NewEndpoint {
            url: "https://hooks.example.com/in".into(),
            events: vec![WebhookEvent::MessageCreated],
            description: String::new(),
            notify_email: Some("ops@example.com".into()),
        };
        let created = inbox.create_webhook_endpoint(&s.viewer, new).await.unwrap();
        inbox.ingest(s.shop.clone(), text("anna", "w-1", "hello")).await.unwrap();
        assert_eq!(inbox.deliver_webhooks_now().await.unwrap(), 1);
        {
            let posts = transport.posts.lock().unwrap();
            let header = |name: &str| {
                posts[0].headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone())
            };
            let t = clock.now().timestamp();
            let expected = signature_header(&created.secret, t, posts[0].body.as_bytes());
            assert_eq!(header("Shopmux-Signature"), Some(expected), "{url}");
            assert_eq!(header("Shopmux-Event").as_deref(), Some("message.created"));
            assert_eq!(header("Shopmux-Delivery"), header("Idempotency-Key"));
            assert_eq!(posts[0].url, "https://hooks.example.com/in");
        }
        clock.advance(Duration::hours(24));
        assert_eq!(inbox.deliver_webhooks_now().await.unwrap(), 1);
        let mails = transport.mails.lock().unwrap().clone();
        assert_eq!(mails.len(), 1, "{url}: the owner is mailed once");
        assert_eq!(mails[0].0, "ops@example.com");
        let shown = inbox.webhook_endpoint(&s.viewer, created.endpoint.id).await.unwrap();
        assert_eq!(shown.status, EndpointStatus::Paused);
        // Paused: nothing more is attempted.
        clock.advance(Duration::hours(1));
        assert_eq!(inbox.deliver_webhooks_now().await.unwrap(), 0);
        inbox.shutdown().await;
    }
}

#[tokio::test]
async fn successes_older_than_a_week_and_rows_of_deleted_endpoints_are_pruned() {
    use shopmux_core::Clock;
    use shopmux_core::storage::webhook_queue::{self, Queued};
    for t in inboxes_with(Vec::new).await {
        let s = seller(&t.inbox, "pruned").await;
        let ep = endpoint(&t, &s, &[WebhookEvent::MessageCreated]).await;
        t.ingest(&s.shop, text("anna", "x-1", "old")).await;
        let old = claim(&t).await.unwrap();
        t.inbox.complete_webhook(&old, &answer(200)).await.unwrap();
        t.ingest(&s.shop, text("anna", "x-2", "failing")).await;
        let failing = claim(&t).await.unwrap();
        t.inbox.complete_webhook(&failing, &answer(500)).await.unwrap();
        // A row queued by a write that still saw a deleted endpoint subscribed.
        let gone = shopmux_core::domain::ids::WebhookEndpointId::new();
        let payload = WebhookPayload::ping(s.viewer.agent.seller_id, gone, t.clock.now());
        let mut w = t.inbox.store().begin_write().await.unwrap();
        webhook_queue::queue(&mut w, &[Queued { endpoint: gone, payload }]).await.unwrap();
        w.commit().await.unwrap();
        t.clock.advance(Duration::days(8));
        let mut w = t.inbox.store().begin_write().await.unwrap();
        let n = webhook_queue::prune(&mut w, t.clock.now() - Duration::days(7)).await.unwrap();
        w.commit().await.unwrap();
        assert_eq!(n, 2, "{}: the old success and the orphan", t.name);
        let left = t.inbox.webhook_deliveries(&s.viewer, ep, None, None).await.unwrap();
        assert_eq!(left.len(), 1, "{}: the pending one stays", t.name);
        assert_eq!(left[0].id, failing.id);
    }
}

#[tokio::test]
async fn a_rating_queues_rating_received_with_the_rating() {
    // rule: DY-RATE-1 (a buyer's rating reaches integrations as rating.received)
    use shopmux_contract::adapter::{BuyerMessage, EventBuyer, InboundEvent};
    use shopmux_contract::content::MessageContent;
    for t in inboxes_with(Vec::new).await {
        let s = seller(&t.inbox, "rated").await;
        endpoint(&t, &s, &[WebhookEvent::RatingReceived]).await;
        t.ingest(&s.shop, text("ola", "r-1", "hello")).await;
        assert_eq!(count(&t).await, 0, "{}: messages are not subscribed", t.name);
        let card = MessageContent::RatingCard { score: Some(5), comment: None };
        let rated = InboundEvent::Message(BuyerMessage {
            buyer: EventBuyer {
                external_id: "ola".into(),
                nickname: None,
                email: None,
                language: None,
            },
            platform_message_id: "r-2".into(),
            platform_conversation_id: None,
            content: card,
            sent_at_ms: None,
            order: None,
            entry_point: None,
        });
        t.inbox.apply(&s.shop, vec![rated.clone()]).await.expect("apply");
        t.inbox.apply(&s.shop, vec![rated]).await.expect("redelivered");
        assert_eq!(count(&t).await, 1, "{}: one event per rating", t.name);
        let c = claim(&t).await.expect("rating.received");
        assert_eq!(c.event, "rating.received", "{}", t.name);
        assert_eq!(payload(&c).data["rating"]["score"], 5, "{}", t.name);
    }
}

/// The queued events' names and reasons, in order.
async fn queued_reasons(t: &TestInbox) -> Vec<(String, String)> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT event, payload FROM webhook_deliveries ORDER BY seq")
            .fetch_all(t.inbox.store().pool())
            .await
            .unwrap();
    rows.into_iter()
        .map(|(event, body)| {
            let p: WebhookPayload = serde_json::from_str(&body).expect("payload");
            (event, p.data["reason"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn every_bot_hand_off_queues_one_bot_handoff_with_its_reason() {
    // rule: DY-BOT-3, DY-BOT-4 (a hand-off reaches integrations as bot.handoff)
    use shopmux_core::domain::faq_bot::{BotSettings, FaqQuestionInput};
    for t in inboxes_with(Vec::new).await {
        let mut s = seller(&t.inbox, "handing").await;
        endpoint(&t, &s, &[WebhookEvent::BotHandoff]).await;
        let refund = FaqQuestionInput {
            category: "returns".into(),
            phrasings: vec!["Can I get a refund?".into()],
            answer: "Yes, within 30 days.".into(),
            answers: Default::default(),
            related: vec![],
        };
        t.inbox.create_faq_question(&s.viewer, s.shop.shop_id, refund).await.unwrap();
        let on = BotSettings { enabled: true, ..Default::default() };
        t.inbox.set_shop_bot(&s.viewer, s.shop.shop_id, on).await.unwrap();
        s.shop = t.inbox.ingest_shop(s.shop.shop_id).await.unwrap().unwrap();
        // An answer and a first miss hand nothing over.
        let conv = t.conversation_of(&s.shop, text("b1", "m1", "can I get a refund")).await;
        t.ingest(&s.shop, text("b1", "m2", "is the blue mug in stock")).await;
        assert!(t.conversation(&s.viewer, conv).await.bot_active, "{}", t.name);
        assert_eq!(queued_reasons(&t).await, [], "{}: no hand-off, no event", t.name);
        // The second consecutive miss, inside the ingest group.
        t.ingest(&s.shop, text("b1", "m3", "and the red one?")).await;
        let misses = [("bot.handoff".to_owned(), "misses".to_owned())];
        assert_eq!(queued_reasons(&t).await, misses, "{}", t.name);
        let c = claim(&t).await.expect("bot.handoff");
        assert_eq!(payload(&c).data["conversation"]["id"], conv.to_string(), "{}", t.name);
        assert_eq!(payload(&c).data["conversation"]["bot_active"], false, "{}", t.name);
        // The widget's button, and asking in words.
        t.conversation_of(&s.shop, text("b2", "m4", "can I get a refund")).await;
        assert!(t.inbox.ask_for_human(s.shop.shop_id, "b2").await.unwrap());
        assert!(!t.inbox.ask_for_human(s.shop.shop_id, "b2").await.unwrap(), "once");
        t.conversation_of(&s.shop, text("b3", "m5", "I want to talk to a human")).await;
        let reasons: Vec<String> =
            queued_reasons(&t).await.into_iter().map(|(_, reason)| reason).collect();
        assert_eq!(reasons, ["misses", "asked", "asked"], "{}", t.name);
    }
}
