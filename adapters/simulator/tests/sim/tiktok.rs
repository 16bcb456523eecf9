//! The TikTok simulator: signature, timestamp, token and cipher checks; the chat API; faults;
//! webhooks.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use serde_json::Value;
use shopmux_adapter_tiktok::sign::{request_sign, verify_webhook};
use shopmux_adapter_tiktok::wire::{
    self, ApiResponse, AppCredentials, ConversationsPage, ConversationsQuery, HttpMethod,
    MessagesPage, MessagesQuery, OutboundMessage, RequestContext, SendMessageData, ShopSession,
    WebhookEnvelope, WebhookEvent, WireRequest,
};
use shopmux_simulator::tiktok::{Buyer, BuyerMessage, SimHandle, TikTokSim, codes};
use shopmux_simulator::{AfterHold, BatchOrder, Delivery, FaultKind, Faults, WebhookFaults};

use crate::support::{
    Receiver, Reply, bad_signature, certain, client, client_with_timeout, duplicated, faults_of,
    go, go_with, held, in_order, replies, send, set_param, some_errors,
};

const SHOP: &str = "7494049642642441621";

type Fixture = crate::support::Fixture<SimHandle, AppCredentials>;

async fn fixture() -> Fixture {
    Fixture::start(TikTokSim::start).await
}

impl Fixture {
    fn session(&self) -> ShopSession {
        ShopSession {
            access_token: self.sim.access_token(SHOP).expect("token"),
            shop_cipher: self.sim.shop_cipher(SHOP).expect("cipher"),
        }
    }

    /// The conversation of the buyer with this `user_id`, opened without a webhook.
    fn conversation_with(&self, user_id: &str) -> String {
        let opened = self.sim.add_conversation(SHOP, &Buyer::new(user_id));
        opened.expect("opens")
    }

    /// Builds a request with the adapter's builders, at the simulator's now.
    fn build<T>(&self, make: impl FnOnce(&RequestContext<'_>) -> T) -> T {
        self.build_at(self.clock.now(), &self.session(), make)
    }

    fn build_at<T>(
        &self, now: chrono::DateTime<chrono::Utc>, shop: &ShopSession,
        make: impl FnOnce(&RequestContext<'_>) -> T,
    ) -> T {
        make(&RequestContext {
            host: &self.sim.base_url(),
            credentials: &self.credentials,
            shop,
            now,
        })
    }

    /// A signed call of `path` with `body`, whatever the builders would send.
    fn call(&self, method: HttpMethod, path: &str, body: Vec<u8>) -> WireRequest {
        self.build(|ctx| wire::signed_request(ctx, method, path.into(), vec![], body))
    }

    fn text(&self, conversation_id: &str, text: &str) -> WireRequest {
        let message = OutboundMessage::Text(text.into());
        self.build(|ctx| wire::send_message(ctx, conversation_id, &message, None).expect("builds"))
    }

    fn list(&self) -> WireRequest {
        self.list_as(self.clock.now(), &self.session(), 20)
    }

    fn list_as(
        &self, now: chrono::DateTime<chrono::Utc>, shop: &ShopSession, page_size: u32,
    ) -> WireRequest {
        let query = ConversationsQuery { page_size, ..ConversationsQuery::default() };
        self.build_at(now, shop, |ctx| wire::get_conversations(ctx, &query))
    }

    fn read_as(&self, shop: &ShopSession, conversation_id: &str) -> WireRequest {
        self.build_at(self.clock.now(), shop, |ctx| {
            wire::read_messages(ctx, conversation_id).expect("builds")
        })
    }

    fn messages(&self, conversation_id: &str, query: MessagesQuery) -> WireRequest {
        self.build(|ctx| wire::get_messages(ctx, conversation_id, &query).expect("builds"))
    }
}

/// The `(status, code)` of the answer to `request`.
async fn answer(request: &WireRequest) -> (u16, i64) {
    go(request).await.status_code()
}

#[tokio::test]
async fn signed_calls_succeed_and_tampering_is_refused() {
    let fx = fixture().await;
    let conversation = fx.conversation_with("7494560109732415000");

    let listed = go(&fx.list()).await;
    assert_eq!(listed.status_code(), (200, codes::SUCCESS));
    let page: ApiResponse<ConversationsPage> =
        serde_json::from_value(listed.json).expect("adapter parses the list");
    let page = page.data.expect("data");
    assert_eq!(page.conversations[0].id, conversation);
    assert_eq!(
        page.conversations[0].participants[0].user_id.as_deref(),
        Some("7494560109732415000")
    );

    let sent = go(&fx.text(&conversation, "hello")).await;
    assert_eq!(sent.status_code(), (200, codes::SUCCESS));
    let data: ApiResponse<SendMessageData> =
        serde_json::from_value(sent.json).expect("adapter parses the send");
    let message_id = data.data.expect("data").message_id;
    let log = fx.sim.sent_messages();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].message_id, message_id);
    assert_eq!(log[0].content, r#"{"content":"hello"}"#);

    // One byte of the body changed after signing.
    let mut tampered = fx.text(&conversation, "hello");
    let last = tampered.body.len() - 3;
    tampered.body[last] ^= 0x01;
    let refused = go(&tampered).await;
    assert_eq!(refused.status_code(), (401, codes::INVALID_SIGN));
    assert_eq!(refused.json["data"], Value::Null);
    assert!(!refused.json["request_id"].as_str().expect("id").is_empty());

    // A wrong sign.
    let mut wrong = fx.text(&conversation, "hello");
    set_param(&mut wrong, "sign", &"0".repeat(64));
    assert_eq!(answer(&wrong).await, (401, codes::INVALID_SIGN));

    // A correctly signed but stale timestamp (6 minutes old), and one from the future.
    for offset in [TimeDelta::minutes(-6), TimeDelta::minutes(6)] {
        let stale = fx.list_as(fx.clock.now() + offset, &fx.session(), 20);
        assert_eq!(answer(&stale).await, (401, codes::INVALID_PARAMETER));
    }
    // Within the window is fine.
    let recent = fx.build_at(fx.clock.now() - TimeDelta::minutes(4), &fx.session(), |ctx| {
        wire::read_messages(ctx, &conversation).expect("builds")
    });
    assert_eq!(go(&recent).await.code(), codes::SUCCESS);

    // A wrong app key.
    let mut other_app = fx.list();
    set_param(&mut other_app, "app_key", "someone-else");
    assert_eq!(answer(&other_app).await, (400, codes::INVALID_PARAMETER));

    // An unknown cipher, and a token that is not the header's.
    let bad_cipher = ShopSession { shop_cipher: "GCP_nope".into(), ..fx.session() };
    let request = fx.read_as(&bad_cipher, &conversation);
    assert_eq!(answer(&request).await, (400, codes::INVALID_SHOP_CIPHER));
    let bad_token = ShopSession { access_token: "TTP_made_up".into(), ..fx.session() };
    let request = fx.read_as(&bad_token, &conversation);
    assert_eq!(answer(&request).await, (401, codes::INVALID_PARAMETER));

    // Nothing refused was stored.
    assert_eq!(fx.sim.sent_messages().len(), 1);

    // An unknown path.
    let request = fx.call(HttpMethod::Get, "/customer_service/202309/nothing", vec![]);
    assert_eq!(answer(&request).await, (404, codes::INVALID_PATH));
}

#[tokio::test]
async fn expired_token_is_refused_until_refreshed() {
    let fx = fixture().await;
    let old = fx.session();
    fx.clock.advance(TimeDelta::days(7) + TimeDelta::seconds(1));
    assert_eq!(answer(&fx.list()).await, (401, codes::EXPIRED_CREDENTIALS));

    // Refresh on the auth host path.
    let refresh_token = fx.sim.refresh_token(SHOP).expect("refresh token");
    let url = format!(
        "{}/api/v2/token/refresh?app_key={}&app_secret={}&refresh_token={refresh_token}&grant_type=refresh_token",
        fx.sim.base_url(),
        fx.credentials.app_key,
        fx.credentials.app_secret
    );
    let refreshed = send(&client(), "GET", &url, &[], b"").await.expect("answers");
    assert_eq!(refreshed.status_code(), (200, codes::SUCCESS));
    let data = &refreshed.json["data"];
    let new_token = data["access_token"].as_str().expect("token").to_owned();
    assert_ne!(new_token, old.access_token);
    assert_eq!(fx.sim.access_token(SHOP).as_deref(), Some(new_token.as_str()));
    assert_eq!(
        data["access_token_expire_in"].as_i64(),
        Some((fx.clock.now() + TimeDelta::days(7)).timestamp())
    );

    // The new token works, the old one is now unknown, the refresh token is spent.
    assert_eq!(go(&fx.list()).await.code(), codes::SUCCESS);
    let with_old = fx.list_as(fx.clock.now(), &old, 5);
    assert_eq!(answer(&with_old).await, (401, codes::INVALID_PARAMETER));
    let again = send(&client(), "GET", &url, &[], b"").await.expect("answers");
    assert_eq!(again.status_code(), (401, codes::INVALID_REFRESH_TOKEN));
}

#[tokio::test]
async fn authorized_shops_take_no_cipher() {
    let fx = fixture().await;
    let path = "/authorization/202309/shops";
    let timestamp = fx.clock.now().timestamp().to_string();
    let query = [("app_key", fx.credentials.app_key.as_str()), ("timestamp", timestamp.as_str())];
    let sign = request_sign(&fx.credentials.app_secret, path, query, b"");
    let url = format!(
        "{}{path}?app_key={}&timestamp={timestamp}&sign={sign}",
        fx.sim.base_url(),
        fx.credentials.app_key
    );
    let headers =
        [(wire::ACCESS_TOKEN_HEADER.to_owned(), fx.sim.access_token(SHOP).expect("token"))];
    let shops = send(&client(), "GET", &url, &headers, b"").await.expect("answers");
    assert_eq!(shops.status_code(), (200, codes::SUCCESS));
    assert_eq!(shops.json["data"]["shops"][0]["id"], SHOP);
    assert_eq!(shops.json["data"]["shops"][0]["cipher"], "GCP_sim_cipher_1");

    // The builders always add shop_cipher; this call refuses it.
    let with_cipher = fx.call(HttpMethod::Get, path, vec![]);
    assert_eq!(answer(&with_cipher).await, (400, codes::INVALID_PARAMETER));
}

#[tokio::test]
async fn chat_api_lists_sends_and_refuses_business_errors() {
    let fx = fixture().await;
    let created =
        go(&fx.build(|ctx| wire::create_conversation(ctx, "123456").expect("builds"))).await;
    assert_eq!(created.code(), codes::SUCCESS);
    let conversation = created.json["data"]["conversation_id"].as_str().expect("id").to_owned();
    // Creating again reopens the same conversation.
    let again =
        go(&fx.build(|ctx| wire::create_conversation(ctx, "123456").expect("builds"))).await;
    assert_eq!(again.json["data"]["conversation_id"], conversation.as_str());

    for text in ["one", "two", "three"] {
        assert_eq!(go(&fx.text(&conversation, text)).await.code(), codes::SUCCESS);
    }
    let first = MessagesQuery { page_size: 2, ..MessagesQuery::default() };
    let first_page = go(&fx.messages(&conversation, first.clone())).await;
    let page: ApiResponse<MessagesPage> =
        serde_json::from_value(first_page.json).expect("adapter parses messages");
    let page = page.data.expect("data");
    let texts: Vec<String> = page.messages.iter().map(|message| message.content.clone()).collect();
    assert_eq!(texts, [r#"{"content":"three"}"#, r#"{"content":"two"}"#]);
    let token = page.next_page_token.expect("more");
    let second = MessagesQuery { page_token: Some(token), ..first };
    let second_page = go(&fx.messages(&conversation, second)).await;
    assert_eq!(second_page.json["data"]["messages"].as_array().map(Vec::len), Some(1));
    assert_eq!(second_page.json["data"]["next_page_token"], "");

    // Unknown conversation, closed conversation, a receive-only type, an over-long text.
    let missing = answer(&fx.text("999", "hi")).await;
    assert_eq!(missing, (200, codes::CONVERSATION_NOT_FOUND));
    fx.sim.set_can_send_message(SHOP, &conversation, false).expect("known");
    let closed = go(&fx.text(&conversation, "hi")).await;
    assert_eq!(closed.code(), codes::CANNOT_SEND_MESSAGE);
    fx.sim.set_can_send_message(SHOP, &conversation, true).expect("known");
    let path = format!("/customer_service/202309/conversations/{conversation}/messages");
    for body in [
        r#"{"type":"EMOTICONS","content":"{}"}"#.to_owned(),
        serde_json::json!({
            "type": "TEXT",
            "content": serde_json::json!({ "content": "x".repeat(2001) }).to_string()
        })
        .to_string(),
    ] {
        let request = fx.call(HttpMethod::Post, &path, body.into_bytes());
        assert_eq!(answer(&request).await, (200, codes::INVALID_MESSAGE));
    }
    assert_eq!(fx.sim.sent_messages().len(), 3);

    // Missing page_size.
    let request = fx.call(HttpMethod::Get, "/customer_service/202309/conversations", vec![]);
    assert_eq!(go(&request).await.code(), codes::INVALID_PARAMETER);
}

/// Statuses of `n` list calls, with the `retry-after` of each 429.
async fn statuses(fx: &Fixture, n: usize) -> Vec<(u16, i64)> {
    let replies = replies(n, || fx.list()).await;
    for reply in replies.iter().filter(|reply| reply.status == 429) {
        let retry_after = reply.headers.get("retry-after");
        assert_eq!(retry_after.map(|v| v.to_str().expect("text")), Some("2"));
    }
    replies.iter().map(Reply::status_code).collect()
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    let fx = fixture().await;
    let faults = Faults { retry_after_secs: 2, ..some_errors(42, 0.3, 503) };
    fx.sim.set_faults(faults).expect("valid");
    let first = statuses(&fx, 40).await;
    fx.sim.set_faults(faults).expect("valid");
    let second = statuses(&fx, 40).await;
    assert_eq!(first, second);
    assert!(first.contains(&(503, codes::INTERNAL_ERROR)));
    assert!(first.contains(&(429, codes::RATE_LIMITED)));
    assert!(first.contains(&(200, codes::SUCCESS)));

    // The request log names each fault.
    let log = fx.sim.requests();
    assert_eq!(log.len(), 80);
    let logged = faults_of(&log[..40]);
    let expected: Vec<Option<FaultKind>> = first
        .iter()
        .map(|(status, _)| match status {
            503 => Some(FaultKind::ServerError),
            429 => Some(FaultKind::RateLimited),
            _ => None,
        })
        .collect();
    assert_eq!(logged, expected);

    // A different seed gives a different sequence; certainty gives only faults.
    fx.sim.set_faults(Faults { seed: 43, ..faults }).expect("valid");
    assert_ne!(statuses(&fx, 40).await, first);
    fx.sim.set_faults(certain(FaultKind::ServerError)).expect("valid");
    assert!(statuses(&fx, 5).await.iter().all(|reply| *reply == (500, codes::INTERNAL_ERROR)));
    assert!(
        fx.sim.set_faults(Faults { server_error: 0.7, timeout: 0.7, ..Faults::default() }).is_err()
    );
}

#[tokio::test]
async fn accepted_sends_with_lost_answers_duplicate_on_retry() {
    let fx = fixture().await;
    let conversation = fx.conversation_with("42");
    fx.sim.set_faults(certain(FaultKind::AcceptedThenServerError)).expect("valid");
    // The client sees a 500 and retries: both attempts were stored.
    for attempt in 1..=2 {
        let reply = answer(&fx.text(&conversation, "are you there?")).await;
        assert_eq!(reply, (500, codes::INTERNAL_ERROR));
        assert_eq!(fx.sim.sent_messages().len(), attempt);
    }
    let snapshot = fx.sim.conversation(SHOP, &conversation).expect("exists");
    assert_eq!(snapshot.messages.len(), 2);
    // Reads are not state changes: they pass.
    assert_eq!(go(&fx.list()).await.code(), codes::SUCCESS);
    // A refused send is not accepted either.
    let refused = go(&fx.text("999", "nope")).await;
    assert_eq!(refused.code(), codes::CONVERSATION_NOT_FOUND);
    let faults: Vec<Option<FaultKind>> = fx.sim.requests().iter().map(|r| r.fault).collect();
    assert_eq!(
        faults,
        [
            Some(FaultKind::AcceptedThenServerError),
            Some(FaultKind::AcceptedThenServerError),
            None,
            None
        ]
    );

    // Accepted, then the answer never comes: the client times out, the send is stored.
    let faults =
        Faults { hold: Duration::from_millis(750), ..certain(FaultKind::AcceptedThenTimeout) };
    fx.sim.set_faults(faults).expect("valid");
    // Generous margins: the request must reach the simulator before the client gives up.
    let impatient = client_with_timeout(Duration::from_millis(250));
    let error = go_with(&impatient, &fx.text(&conversation, "hello?"))
        .await
        .expect_err("no answer in time");
    assert!(error.is_timeout(), "{error}");
    assert_eq!(fx.sim.sent_messages().len(), 3);
}

#[tokio::test]
async fn held_requests_answer_late_or_drop() {
    let fx = fixture().await;
    let conversation = fx.conversation_with("42");

    // Held then dropped: the connection closes without a status line, nothing is stored.
    fx.sim.set_faults(held(50, AfterHold::Drop)).expect("valid");
    let started = Instant::now();
    let error = go_with(&client(), &fx.text(&conversation, "dropped")).await.expect_err("dropped");
    assert!(!error.is_timeout(), "{error}");
    assert!(closed_early(&error), "{error:?}");
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert!(fx.sim.sent_messages().is_empty());

    // Held then answered: late, and stored.
    fx.sim.set_faults(held(50, AfterHold::Answer)).expect("valid");
    let started = Instant::now();
    let reply = go(&fx.text(&conversation, "late")).await;
    assert_eq!(reply.code(), codes::SUCCESS);
    assert!(started.elapsed() >= Duration::from_millis(50));
    assert_eq!(fx.sim.sent_messages().len(), 1);

    // Held longer than the client waits, then answered: the client times out, and the send
    // still happens once the hold is over.
    fx.sim.set_faults(held(750, AfterHold::Answer)).expect("valid");
    let impatient = client_with_timeout(Duration::from_millis(250));
    let error =
        go_with(&impatient, &fx.text(&conversation, "too late")).await.expect_err("times out");
    assert!(error.is_timeout(), "{error}");
    fx.sim.set_faults(Faults::default()).expect("valid");
    let mut stored = false;
    for _ in 0..150 {
        if fx.sim.sent_messages().len() == 2 {
            stored = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stored, "the held send lands after the hold");
}

/// Whether the error chain says the connection closed before an answer.
fn closed_early(error: &reqwest::Error) -> bool {
    let mut source: Option<&dyn std::error::Error> = Some(error);
    while let Some(current) = source {
        if current.to_string().contains("connection closed before message completed") {
            return true;
        }
        source = current.source();
    }
    false
}

async fn tiktok_receiver(fx: &Fixture) -> Receiver {
    let key = fx.credentials.app_key.clone();
    let secret = fx.credentials.app_secret.clone();
    let receiver = Receiver::start(
        Box::new(move |headers, body| {
            let authorization = headers.get("authorization").and_then(|value| value.to_str().ok());
            verify_webhook(&key, &secret, body, authorization).is_ok()
        }),
        "",
    )
    .await;
    fx.sim.set_webhook_url(Some(receiver.url.clone()));
    receiver
}

fn message_id_of(body: &[u8]) -> String {
    let envelope = WebhookEnvelope::parse(body).expect("envelope");
    match envelope.event().expect("event") {
        WebhookEvent::NewMessage(event) => event.message_id,
        other => panic!("expected NEW_MESSAGE, got {other:?}"),
    }
}

/// The conversation the webhook tests push into.
const PUSHED: &str = "576460752324045279";

/// The buyer of [`PUSHED`] sends `messages`, and they are delivered.
async fn push(fx: &Fixture, messages: Vec<BuyerMessage>) -> Vec<Delivery> {
    let buyer = Buyer::new("7494560109732415000");
    let pushed = fx.sim.push_new_messages(SHOP, PUSHED, &buyer, messages);
    pushed.await.expect("delivered")
}

/// The buyer of [`PUSHED`] sends `text`, and it is delivered.
async fn push_text(fx: &Fixture, text: &str) -> Delivery {
    let buyer = Buyer::new("7494560109732415000");
    let pushed = fx.sim.push_new_message(SHOP, PUSHED, &buyer, BuyerMessage::text(text));
    pushed.await.expect("delivered")
}

#[tokio::test]
async fn webhooks_are_signed_and_their_knobs_apply() {
    let fx = fixture().await;
    let receiver = tiktok_receiver(&fx).await;

    let delivery = push_text(&fx, "Is this in stock?").await;
    assert_eq!(delivery.statuses, [200]);
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    assert!(hits[0].verified);
    let envelope = WebhookEnvelope::parse(&hits[0].body).expect("envelope");
    assert_eq!(envelope.kind, wire::event_type::NEW_MESSAGE);
    assert_eq!(envelope.shop_id, SHOP);
    assert_eq!(envelope.tts_notification_id, delivery.id);
    assert_eq!(envelope.timestamp, fx.clock.now().timestamp());
    let WebhookEvent::NewMessage(event) = envelope.event().expect("event") else {
        panic!("expected NEW_MESSAGE");
    };
    assert_eq!(event.conversation_id, PUSHED);
    assert_eq!(event.message_id, delivery.subject_id);
    assert_eq!(event.sender.role, wire::Role::Buyer);
    assert_eq!(
        event.parse_content().expect("content"),
        wire::MessageContent::Text { content: "Is this in stock?".into() }
    );
    // The pushed message is in the API too, unread.
    let listed = go(&fx.list()).await;
    assert_eq!(listed.json["data"]["conversations"][0]["unread_count"], 1);
    let snapshot = fx.sim.conversation(SHOP, PUSHED).expect("created by the push");
    assert_eq!(snapshot.messages[0].sender_role, "BUYER");

    // A bad signature is refused by the receiver.
    receiver.clear();
    fx.sim.set_webhook_faults(bad_signature());
    let delivery = push_text(&fx, "hello?").await;
    assert_eq!(delivery.statuses, [401]);
    assert!(!receiver.hits()[0].verified);

    // A duplicate: the same bytes twice.
    receiver.clear();
    fx.sim.set_webhook_faults(duplicated());
    let delivery = push_text(&fx, "again").await;
    assert_eq!(delivery.statuses, [200, 200]);
    let hits = receiver.hits();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].body, hits[1].body);
    assert!(hits.iter().all(|hit| hit.verified));

    // A batch out of order: newest first.
    receiver.clear();
    fx.sim.set_webhook_faults(in_order(BatchOrder::Reversed));
    let deliveries = push(&fx, ["a", "b", "c"].map(BuyerMessage::text).to_vec()).await;
    let received: Vec<String> =
        receiver.hits().iter().map(|hit| message_id_of(&hit.body)).collect();
    let delivered: Vec<String> = deliveries.iter().map(|d| d.subject_id.clone()).collect();
    assert_eq!(received, delivered);
    let mut created = delivered.clone();
    created.sort();
    created.reverse();
    assert_eq!(delivered, created, "newest first");

    // Shuffled: the same seed gives the same permutation.
    let permutation = |deliveries: &[Delivery]| {
        let mut ids: Vec<&String> = deliveries.iter().map(|d| &d.subject_id).collect();
        let delivered = ids.clone();
        ids.sort();
        delivered
            .iter()
            .map(|id| ids.iter().position(|x| x == id).expect("present"))
            .collect::<Vec<_>>()
    };
    let shuffled =
        WebhookFaults { seed: 9, order: BatchOrder::Shuffled, ..WebhookFaults::default() };
    let mut permutations = Vec::new();
    for _ in 0..2 {
        fx.sim.set_webhook_faults(shuffled);
        let batch = ["1", "2", "3", "4", "5", "6"].map(BuyerMessage::text);
        permutations.push(permutation(&push(&fx, batch.to_vec()).await));
    }
    assert_eq!(permutations[0], permutations[1]);
    assert_ne!(permutations[0], [0, 1, 2, 3, 4, 5]);
}

#[tokio::test]
async fn new_conversation_webhooks_are_signed() {
    let fx = fixture().await;
    let receiver = tiktok_receiver(&fx).await;
    let delivery = fx.sim.push_new_conversation(SHOP, &Buyer::new("777")).await.expect("delivered");
    assert_eq!(delivery.statuses, [200]);
    let envelope = WebhookEnvelope::parse(&receiver.hits()[0].body).expect("envelope");
    assert_eq!(
        envelope.event().expect("event"),
        WebhookEvent::NewConversation(wire::NewConversationEvent {
            conversation_id: delivery.subject_id.clone(),
            create_time: fx.clock.now().timestamp(),
        })
    );
}

#[tokio::test]
async fn pushing_without_a_url_fails_cleanly() {
    let fx = fixture().await;
    let result =
        fx.sim.push_new_message(SHOP, "1", &Buyer::new("1"), BuyerMessage::text("hi")).await;
    assert!(matches!(result, Err(shopmux_simulator::SimError::NoWebhookUrl)));
    assert!(fx.sim.conversation(SHOP, "1").is_none());
}
