//! The Lazada simulator together with the Lazada adapter (`shopmux_lazada::Lazada`): the
//! adapter's calls go through a `BlockingHost` (reqwest on the simulator's tokio
//! runtime), pushes land in the test receiver and are checked by the adapter itself.

use chrono::TimeDelta;
use serde_json::Value;
use shopmux_contract::adapter::{
    Adapter, AdapterError, Host, InboundEvent, MessageContent as C, OutboundMessage,
    ShopConnection, WebhookRequest,
};
use shopmux_lazada::Lazada;
use shopmux_lazada::wire::{self, Signer};
use shopmux_simulator::lazada::{Buyer, BuyerMessage, SimConfig, SimHandle, codes};
use shopmux_simulator::{BlockingHost, Delivery, FaultKind, Faults, LazadaSim, ManualClock};
use tokio::runtime::Runtime;

use crate::support::{GatewayConfig, Receiver, bad_signature, certain, t0, webhook_request};

struct Fixture {
    runtime: Runtime,
    sim: SimHandle,
    clock: ManualClock,
    config: SimConfig,
    host: BlockingHost,
}

impl Fixture {
    fn start() -> Fixture {
        let runtime = Runtime::new().expect("runtime");
        let clock = ManualClock::new(t0());
        let config = SimConfig::on(clock.clock());
        let sim = runtime.block_on(LazadaSim::start(config.clone())).expect("starts");
        let host = BlockingHost::new(runtime.handle().clone(), clock.clone()).expect("host");
        Fixture { runtime, sim, clock, config, host }
    }

    /// The shop as the daemon would configure it: the seller, the app, the seed tokens.
    fn shop(&self) -> ShopConnection {
        let credentials = [
            ("app_key", self.config.app_key.as_str()),
            ("app_secret", self.config.app_secret.as_str()),
            ("access_token", self.config.access_token.as_str()),
            ("refresh_token", self.config.refresh_token.as_str()),
            ("auth_base", &self.sim.base_url()),
        ];
        ShopConnection {
            external_id: self.config.seller_id.clone(),
            region: "SG".into(),
            api_base: Some(self.sim.base_url()),
            credentials: credentials
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
        }
    }

    /// A receiver whose verdict is the adapter's `parse_webhook`.
    fn receiver(&self) -> Receiver {
        let shop = self.shop();
        let verify = Box::new(move |headers: &axum::http::HeaderMap, body: &[u8]| {
            Lazada.parse_webhook(&shop, &webhook_request(headers, body), 0).is_ok()
        });
        self.runtime.block_on(Receiver::start(verify, ""))
    }

    fn reply(&self, conversation: &str, content: C) -> Result<String, AdapterError> {
        let message = OutboundMessage {
            idempotency_key: "m-1".into(),
            buyer_external_id: String::new(),
            buyer_email: None,
            platform_conversation_id: Some(conversation.to_owned()),
            content,
        };
        let receipt = Lazada.send(&self.host, &self.shop(), &message)?;
        Ok(receipt.platform_message_id.expect("Lazada names the sent message"))
    }

    /// [`buyer`] writes `text`, without a push; the session and message ids.
    fn buyer_writes(&self, text: &str) -> (String, String) {
        let added = self.sim.add_buyer_message(&buyer(), BuyerMessage::text(text));
        added.expect("added")
    }

    /// [`buyer`] writes `text`, and it is pushed.
    fn buyer_pushes(&self, text: &str) -> Delivery {
        let buyer = buyer();
        let pushed = self.sim.push_buyer_message(&buyer, BuyerMessage::text(text));
        self.runtime.block_on(pushed).expect("delivered")
    }

    /// A raw signed call of the simulator, with the adapter's request builder.
    fn raw(&self, api: &str, params: &[(&str, String)], now_ms: i64) -> Value {
        let token = self.sim.access_token();
        let signer = Signer {
            app_key: &self.config.app_key,
            app_secret: &self.config.app_secret,
            access_token: token.as_deref(),
            now_ms,
        };
        let request = wire::signed_request(&signer, &self.sim.base_url(), api, "GET", params);
        let response = self.host.http(request).expect("answered");
        serde_json::from_slice(&response.body).expect("json")
    }
}

fn text(text: &str) -> C {
    C::Text { text: text.into() }
}

fn order_card(order_id: &str) -> C {
    C::OrderCard { order_id: order_id.into(), status: None }
}

fn buyer() -> Buyer {
    Buyer::new("1011822749")
}

fn texts(events: &[InboundEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            InboundEvent::Message(m) => match &m.content {
                C::Text { text } => text.clone(),
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn a_pushed_buyer_message_is_verified_and_parsed_by_the_adapter() {
    let f = Fixture::start();
    let receiver = f.receiver();
    f.sim.set_webhook_url(Some(receiver.url.clone()));
    let pushed = f.buyer_pushes("Is it in stock?");
    assert_eq!(pushed.status(), 200);
    let hits = receiver.hits();
    assert!(hits[0].verified);
    let request = WebhookRequest { headers: vec![], body: hits[0].body.clone() };
    // The same body without its header is refused: the signature is what was checked.
    let refused = Lazada.parse_webhook(&f.shop(), &request, 0).unwrap_err();
    assert_eq!(refused.code, "bad_signature");
    let signature =
        shopmux_lazada::sign::push_signature(&f.config.app_key, &f.config.app_secret, &pushed.body);
    let signed = WebhookRequest { headers: vec![("authorization".into(), signature)], ..request };
    let events = Lazada.parse_webhook(&f.shop(), &signed, 0).expect("parsed");
    let message = events[0].as_message().expect("a message");
    assert_eq!(message.buyer.external_id, "1011822749");
    assert_eq!(message.platform_message_id, pushed.id);
    assert_eq!(message.platform_conversation_id.as_deref(), Some(pushed.subject_id.as_str()));
    assert_eq!(message.content, text("Is it in stock?"));
    assert_eq!(message.sent_at_ms, Some(t0().timestamp_millis()));
}

#[test]
fn a_push_with_a_bad_signature_is_refused() {
    let f = Fixture::start();
    let receiver = f.receiver();
    f.sim.set_webhook_url(Some(receiver.url.clone()));
    f.sim.set_webhook_faults(bad_signature());
    let pushed = f.buyer_pushes("hello");
    assert_eq!(pushed.status(), 401);
    assert!(!receiver.hits()[0].verified);
}

#[test]
fn replies_are_delivered_with_a_signature_the_simulator_accepts() {
    let f = Fixture::start();
    let (session, _) = f.buyer_writes("Where is my parcel?");
    let sent_text = f.reply(&session, text("It left today 🙏"));
    let product = C::ProductCard {
        product_id: "1762013406".into(),
        title: "Mug".into(),
        url: None,
        image_url: None,
        price: None,
    };
    let item = f.reply(&session, product);
    let order = f.reply(&session, order_card("465423342423"));
    let sent = f.sim.sent_messages();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent_text.expect("sent"), sent[0].message_id);
    assert_eq!((sent[0].template_id, sent[0].field("txt")), (1, Some("It left today 🙏")));
    assert_eq!(item.expect("sent"), sent[1].message_id);
    assert_eq!((sent[1].template_id, sent[1].field("item_id")), (10006, Some("1762013406")));
    assert_eq!(order.expect("sent"), sent[2].message_id);
    assert_eq!((sent[2].template_id, sent[2].field("order_id")), (10007, Some("465423342423")));
    assert!(sent.iter().all(|s| s.session_id == session));
    let stored = f.sim.session(&session).expect("session");
    assert_eq!(stored.messages.len(), 4);
    assert!(!stored.messages[1].from_buyer);
}

#[test]
fn a_reply_into_an_unknown_session_is_refused_permanently() {
    let f = Fixture::start();
    let error = f.reply("nope_2_1_1_103", text("hi")).unwrap_err();
    assert_eq!(error.code, format!("lazada_{}", codes::SESSION_NOT_FOUND));
    assert!(!error.retryable);
    assert!(f.sim.sent_messages().is_empty());
}

#[test]
fn poll_with_its_cursor_returns_each_buyer_message_once() {
    let f = Fixture::start();
    let (first_buyer, second_buyer) = (buyer(), Buyer::new("2022"));
    f.sim.add_buyer_message(&first_buyer, BuyerMessage::text("one")).expect("added");
    f.clock.advance(TimeDelta::seconds(1));
    let (session, _) =
        f.sim.add_buyer_message(&second_buyer, BuyerMessage::text("two")).expect("added");
    // A seller message is listed by Lazada but is not an inbound event.
    f.reply(&session, text("seller")).expect("sent");
    let page = Lazada.poll(&f.host, &f.shop(), None).expect("polled");
    assert_eq!(texts(&page.events), ["one", "two"]);
    let second = page.events[1].as_message().expect("a message");
    assert_eq!(second.buyer.nickname.as_deref(), Some("buyer-2022"));
    let cursor = page.cursor.expect("cursor");

    // Same millisecond as the cursor, but not seen yet: still new.
    f.sim.add_buyer_message(&first_buyer, BuyerMessage::text("three")).expect("added");
    f.clock.advance(TimeDelta::seconds(1));
    f.sim.add_buyer_message(&second_buyer, BuyerMessage::text("four")).expect("added");
    let page = Lazada.poll(&f.host, &f.shop(), Some(&cursor)).expect("polled");
    assert_eq!(texts(&page.events), ["three", "four"]);
    let cursor = page.cursor.expect("cursor");
    let page = Lazada.poll(&f.host, &f.shop(), Some(&cursor)).expect("polled");
    assert!(page.events.is_empty(), "{:?}", page.events);
    assert_eq!(page.cursor.as_deref(), Some(cursor.as_str()));
}

#[test]
fn poll_pages_through_many_sessions_and_messages() {
    let f = Fixture::start();
    for n in 0..25 {
        let message = BuyerMessage::text(&format!("m{n}"));
        f.sim
            .add_buyer_message(&Buyer::new(&format!("{}", 3000 + n % 22)), message)
            .expect("added");
        f.clock.advance(TimeDelta::milliseconds(10));
    }
    let page = Lazada.poll(&f.host, &f.shop(), None).expect("polled");
    let expected: Vec<String> = (0..25).map(|n| format!("m{n}")).collect();
    assert_eq!(texts(&page.events), expected);
}

#[test]
fn mark_read_reaches_the_simulator() {
    let f = Fixture::start();
    f.buyer_writes("a");
    let (session, last) = f.buyer_writes("b");
    assert_eq!(f.sim.session(&session).expect("session").unread_count, 2);
    Lazada.mark_read(&f.host, &f.shop(), &session).expect("marked");
    let reads = f.sim.reads();
    assert_eq!(reads.len(), 1);
    assert_eq!(
        (reads[0].session_id.as_str(), reads[0].last_read_message_id.as_str()),
        (session.as_str(), last.as_str())
    );
    assert_eq!(f.sim.session(&session).expect("session").unread_count, 0);
}

#[test]
fn an_expired_token_is_refreshed_kept_and_returned_in_the_receipt() {
    let f = Fixture::start();
    let (session, _) = f.buyer_writes("hi");
    f.clock.advance(TimeDelta::days(8));
    let message = OutboundMessage {
        idempotency_key: "m-2".into(),
        buyer_external_id: "1011822749".into(),
        buyer_email: None,
        platform_conversation_id: Some(session.clone()),
        content: text("late"),
    };
    let receipt = Lazada.send(&f.host, &f.shop(), &message).expect("sent after a refresh");
    let renewed = receipt.refreshed_credentials.expect("renewed");
    assert_eq!(Some(&renewed["access_token"]), f.sim.access_token().as_ref());
    assert_ne!(renewed["access_token"], f.config.access_token);
    assert_eq!(f.sim.sent_messages().len(), 1);
    // The pair is also kept: a later call with the stale connection uses it, no refresh.
    let saved = f.host.kv_get("token:100094063").expect("kv").expect("saved");
    assert!(saved.contains(&renewed["refresh_token"]));
    let before = f.sim.requests().len();
    Lazada.poll(&f.host, &f.shop(), None).expect("polled");
    let after = f.sim.requests();
    assert!(after[before..].iter().all(|r| r.path != "/rest/auth/token/refresh"));
}

#[test]
fn a_seller_chat_starts_from_a_recent_order_only() {
    // rule: LZ-INIT-1 — sessions open from orders of the last 30 days.
    let f = Fixture::start();
    let recent = Buyer::new("4044");
    f.sim.add_order("465423342423", &recent, t0() - TimeDelta::days(29));
    f.sim.add_order("111", &Buyer::new("5055"), t0() - TimeDelta::days(31));
    let mut message = OutboundMessage {
        idempotency_key: "m-3".into(),
        buyer_external_id: "4044".into(),
        buyer_email: None,
        platform_conversation_id: None,
        content: order_card("465423342423"),
    };
    Lazada.send(&f.host, &f.shop(), &message).expect("sent");
    let session = f.sim.session_id(&recent).expect("opened");
    assert_eq!(f.sim.sent_messages()[0].session_id, session);
    message.content = order_card("111");
    let error = Lazada.send(&f.host, &f.shop(), &message).unwrap_err();
    assert_eq!(error.code, "lazada_-22");
    message.content = text("hello");
    assert_eq!(Lazada.send(&f.host, &f.shop(), &message).unwrap_err().code, "no_conversation");
}

#[test]
fn requests_with_a_bad_sign_or_an_old_timestamp_are_refused() {
    let f = Fixture::start();
    let now = t0().timestamp_millis();
    let params = [("start_time", now.to_string()), ("page_size", "20".to_owned())];
    let ok = f.raw("/im/session/list", &params, now);
    assert_eq!((ok["code"].as_str(), ok["success"].as_bool()), (Some("0"), Some(true)));
    let stale = f.raw("/im/session/list", &params, now - 7_201_000);
    assert_eq!(stale["code"], codes::INVALID_TIMESTAMP);
    // The signature covers the API path: signed for another path, sent to this one.
    let token = f.sim.access_token();
    let signer = Signer {
        app_key: &f.config.app_key,
        app_secret: &f.config.app_secret,
        access_token: token.as_deref(),
        now_ms: now,
    };
    let base = f.sim.base_url();
    let mut request = wire::signed_request(&signer, &base, "/im/message/list", "GET", &params);
    request.url = request.url.replace("/im/message/list", "/im/session/list");
    let body: Value =
        serde_json::from_slice(&f.host.http(request).expect("answered").body).expect("json");
    assert_eq!(body["code"], codes::INCOMPLETE_SIGNATURE);
    let wrong = Signer { access_token: Some("not-a-token"), ..signer };
    let request = wire::signed_request(&wrong, &base, "/im/session/list", "GET", &params);
    let body: Value =
        serde_json::from_slice(&f.host.http(request).expect("answered").body).expect("json");
    assert_eq!(body["code"], codes::ILLEGAL_ACCESS_TOKEN);
}

#[test]
fn faults_come_back_as_retryable_errors() {
    let f = Fixture::start();
    let (session, _) = f.buyer_writes("hi");
    f.sim.set_faults(certain(FaultKind::ServerError)).expect("faults");
    let error = f.reply(&session, text("x")).unwrap_err();
    assert!(error.retryable, "{error:?}");
    f.sim
        .set_faults(Faults { retry_after_secs: 3, ..certain(FaultKind::RateLimited) })
        .expect("faults");
    let error = f.reply(&session, text("x")).unwrap_err();
    assert_eq!((error.code.as_str(), error.retry_after_ms), ("rate_limited", Some(3000)));
    assert!(f.sim.sent_messages().is_empty());
}

/// Serves `bytes` at `http://127.0.0.1:{port}/picture` on the fixture's runtime.
fn serve_picture(f: &Fixture, bytes: &'static [u8]) -> String {
    f.runtime.block_on(async {
        let app =
            axum::Router::new().route("/picture", axum::routing::get(move || async move { bytes }));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.expect("binds");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serves") });
        format!("http://{addr}/picture")
    })
}

/// A PNG's signature and IHDR start: 640 × 480.
const PNG_640_480: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\x02\x80\0\0\x01\xe0\x08\x02\0\0\0";

#[test]
fn a_picture_goes_with_the_size_read_from_its_first_bytes() {
    let f = Fixture::start();
    let (session, _) = f.buyer_writes("photo please");
    let url = serve_picture(&f, PNG_640_480);
    f.reply(&session, C::Image { url: url.clone() }).expect("sent");
    let sent = &f.sim.sent_messages()[0];
    assert_eq!(sent.template_id, 3);
    assert_eq!(sent.field("img_url"), Some(url.as_str()));
    assert_eq!((sent.field("width"), sent.field("height")), (Some("640"), Some("480")));
    let page = serve_picture(&f, b"<html>not a picture</html>");
    let error = f.reply(&session, C::Image { url: page }).unwrap_err();
    assert_eq!(error.code, "image_size_unknown");
    assert_eq!(f.sim.sent_messages().len(), 1);
}
