//! The AliExpress adapter against the AliExpress simulator, over real HTTP: a
//! `BlockingHost` drives the adapter from the test thread while the simulator runs on a
//! tokio runtime. Every call the adapter makes is signed and checked by the simulator;
//! time moves on a `ManualClock`.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use shopmux_adapter_aliexpress::AliExpress;
use shopmux_contract::adapter::{
    Adapter, AdapterError, InboundEvent, OutboundMessage, SendReceipt, ShopConnection,
    WebhookRequest,
};
use shopmux_contract::content::{CouponScope, QuickAction, QuickActionKind};
use shopmux_contract::{Capabilities, MessageContent};
use shopmux_simulator::aliexpress::{
    AliExpressSim, Buyer, BuyerMessage, Order, SimConfig, SimHandle,
};
use shopmux_simulator::{BlockingHost, Faults, ManualClock};

/// The clocks of the tests start here (2023-11-14 22:13:20 UTC).
fn t0() -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000, 0).single().expect("valid time")
}

/// The simulator, its clock, a host and the shop connection to it. Fields drop in
/// order: the simulator before its runtime.
struct Fixture {
    sim: SimHandle,
    host: BlockingHost,
    clock: ManualClock,
    seller: String,
    runtime: tokio::runtime::Runtime,
}

impl Fixture {
    fn start() -> Fixture {
        Fixture::with(|config| config)
    }

    fn with(configure: impl FnOnce(SimConfig) -> SimConfig) -> Fixture {
        let runtime = shopmux_simulator::runtime();
        let clock = ManualClock::new(t0());
        let config = configure(SimConfig { clock: clock.clock(), ..SimConfig::default() });
        let seller = config.sellers[0].login_id.clone();
        let sim = runtime.block_on(AliExpressSim::start(config)).expect("starts");
        let host = BlockingHost::new(runtime.handle().clone(), clock.clone()).expect("host");
        Fixture { sim, host, clock, seller, runtime }
    }

    /// The shop connection as an operator configures it, with the seller's current
    /// tokens.
    fn shop(&self) -> ShopConnection {
        let (app_key, app_secret) = self.sim.app();
        ShopConnection {
            external_id: self.seller.clone(),
            region: "US".into(),
            api_base: Some(self.sim.base_url()),
            credentials: [
                ("app_key", app_key),
                ("app_secret", app_secret),
                ("access_token", self.sim.access_token(&self.seller).expect("token")),
                ("refresh_token", self.sim.refresh_token(&self.seller).expect("token")),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        }
    }

    fn buyer_writes(&self, buyer: &Buyer, message: BuyerMessage) -> String {
        self.sim.add_buyer_message(&self.seller, buyer, message).expect("added")
    }

    fn poll(&self, cursor: Option<&str>) -> (Vec<InboundEvent>, String) {
        let page = AliExpress.poll(&self.host, &self.shop(), cursor).expect("polls");
        (page.events, page.cursor.expect("a cursor"))
    }

    /// The adapter replies (`reply(buyer, channel, content)`) through the fixture's shop.
    fn send(
        &self, buyer: &Buyer, channel: Option<String>, content: MessageContent,
    ) -> Result<SendReceipt, AdapterError> {
        let message = reply(buyer, channel, content);
        AliExpress.send(&self.host, &self.shop(), &message)
    }

    fn token_refreshes(&self) -> usize {
        self.sim.requests().iter().filter(|r| r.path == "/rest/auth/token/refresh").count()
    }
}

fn reply(buyer: &Buyer, channel: Option<String>, content: MessageContent) -> OutboundMessage {
    OutboundMessage {
        idempotency_key: "msg-1".into(),
        buyer_external_id: buyer.login_id.clone(),
        buyer_email: None,
        platform_conversation_id: channel,
        content,
    }
}

fn text(text: &str) -> MessageContent {
    MessageContent::Text { text: text.into() }
}

fn image(url: &str) -> MessageContent {
    MessageContent::Image { url: url.into() }
}

fn coupon(code: &str, title: Option<&str>, scope: CouponScope) -> MessageContent {
    MessageContent::CouponCard {
        code: code.into(),
        title: title.map(str::to_owned),
        scope: Some(scope),
    }
}

/// (platform message id, buyer, conversation, content) of each message event.
fn messages(events: &[InboundEvent]) -> Vec<(String, String, String, MessageContent)> {
    events
        .iter()
        .map(|event| match event {
            InboundEvent::Message(m) => (
                m.platform_message_id.clone(),
                m.buyer.external_id.clone(),
                m.platform_conversation_id.clone().unwrap_or_default(),
                m.content.clone(),
            ),
            other => panic!("not a message: {other:?}"),
        })
        .collect()
}

#[test]
fn a_buyer_message_is_polled_once_and_the_sellers_own_are_not() {
    let f = Fixture::start();
    let ann = Buyer::new(1);
    let first = f.buyer_writes(&ann, BuyerMessage::text("Is it waterproof?"));
    f.clock.advance(TimeDelta::seconds(30));
    // The seller answered in AliExpress's own back office: not a buyer message.
    f.sim.add_seller_message(&f.seller, &ann, BuyerMessage::text("Yes, IP67.")).expect("added");
    let channel = f.sim.channel_of(&f.seller, &ann.login_id).expect("relation");

    let (events, cursor) = f.poll(None);
    assert_eq!(
        messages(&events),
        vec![(first.clone(), ann.login_id.clone(), channel.clone(), text("Is it waterproof?"))]
    );
    let message = events[0].as_message().expect("a message");
    assert_eq!(message.buyer.nickname.as_deref(), Some("Buyer 1"));
    assert_eq!(message.sent_at_ms, Some(t0().timestamp_millis()));

    // Polling again with the cursor gives nothing new.
    let (again, cursor) = f.poll(Some(&cursor));
    assert!(again.is_empty(), "{again:?}");

    // A later message, and one stamped in the very millisecond the cursor stands at:
    // each comes once, oldest first.
    f.clock.advance(TimeDelta::minutes(1));
    let later = f.buyer_writes(&ann, BuyerMessage::text("And the strap?"));
    let (events, cursor) = f.poll(Some(&cursor));
    assert_eq!(messages(&events).len(), 1);
    assert_eq!(messages(&events)[0].0, later);
    let same_ms = f.buyer_writes(&ann, BuyerMessage::image("https://ae01.alicdn.com/kf/a.jpg"));
    let bob = Buyer::new(2);
    let other = f.buyer_writes(&bob, BuyerMessage::about_order("8100000000000002", "Where is it?"));
    let (events, cursor) = f.poll(Some(&cursor));
    let got = messages(&events);
    assert_eq!(
        got.iter().map(|m| m.0.clone()).collect::<Vec<_>>(),
        vec![same_ms.clone(), other.clone()]
    );
    assert_eq!(got[0].3, image("https://ae01.alicdn.com/kf/a.jpg"));
    assert_eq!(got[1].1, bob.login_id);
    assert_eq!(got[1].3, text("Where is it?"));
    let (none, _) = f.poll(Some(&cursor));
    assert!(none.is_empty(), "{none:?}");

    // A cursor that is not ours is refused, not silently reset.
    let e = AliExpress.poll(&f.host, &f.shop(), Some("not json")).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("bad_cursor", false));
}

#[test]
fn a_reply_is_delivered_signed_and_shows_up_in_the_sim() {
    let f = Fixture::start();
    let ann = Buyer::new(1);
    f.buyer_writes(&ann, BuyerMessage::text("Hello?"));
    let channel = f.sim.channel_of(&f.seller, &ann.login_id);
    f.clock.advance(TimeDelta::seconds(5));

    let receipt = f.send(&ann, channel.clone(), text("Hi Ann!")).expect("sent");
    let sent = f.sim.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].content, "Hi Ann!");
    assert_eq!(sent[0].message_type, "member");
    assert_eq!(sent[0].buyer_login_id, ann.login_id);
    assert_eq!(Some(sent[0].channel_id.clone()), channel);
    // The id AliExpress lists the message under, found after the send.
    assert_eq!(receipt.platform_message_id, Some(sent[0].message_id.clone()));
    assert_eq!(receipt.refreshed_credentials, None);
    let relation = f.sim.relation(&sent[0].channel_id).expect("relation");
    let last = relation.messages.last().expect("a message");
    assert!(!last.from_buyer);
    assert_eq!(last.content, "Hi Ann!");

    // An order card goes as an order message about that order.
    f.sim
        .add_order(
            &f.seller,
            Order {
                id: "8100000000000001".into(),
                buyer: ann.clone(),
                created_at: t0() - TimeDelta::days(3),
                status: "WAIT_BUYER_ACCEPT_GOODS".into(),
                issue_status: "NO_ISSUE".into(),
                logistics_no: None,
            },
        )
        .expect("added");
    f.send(
        &ann,
        None,
        MessageContent::OrderCard { order_id: "8100000000000001".into(), status: None },
    )
    .expect("sent");
    let sent = f.sim.sent_messages();
    assert_eq!(
        (sent[1].message_type.as_str(), sent[1].extern_id),
        ("order", 8_100_000_000_000_001)
    );

    // An image goes in `img_path`, without text.
    let receipt = f.send(&ann, None, image("https://ae01.alicdn.com/kf/b.jpg")).expect("sent");
    let sent = f.sim.sent_messages();
    assert_eq!(
        (sent[2].content.as_str(), sent[2].img_path.as_deref()),
        ("", Some("https://ae01.alicdn.com/kf/b.jpg"))
    );
    assert_eq!(receipt.platform_message_id, Some(sent[2].message_id.clone()));

    // The simulator checks the signature: the wrong secret is refused, for good.
    let mut wrong = f.shop();
    wrong.credentials.insert("app_secret".into(), "not the secret".into());
    let e = AliExpress.send(&f.host, &wrong, &reply(&ann, None, text("x"))).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("invalid_sign", false));
    assert_eq!(f.sim.sent_messages().len(), 3);
}

#[test]
fn mark_read_changes_the_read_state() {
    let f = Fixture::start();
    let ann = Buyer::new(1);
    f.buyer_writes(&ann, BuyerMessage::text("one"));
    f.buyer_writes(&ann, BuyerMessage::text("two"));
    let channel = f.sim.channel_of(&f.seller, &ann.login_id).expect("relation");
    let before = f.sim.relation(&channel).expect("relation");
    assert_eq!((before.read, before.unread_count), (false, 2));

    AliExpress.mark_read(&f.host, &f.shop(), &channel).expect("marked");
    let after = f.sim.relation(&channel).expect("relation");
    assert_eq!((after.read, after.unread_count), (true, 0));

    let e = AliExpress.mark_read(&f.host, &f.shop(), "999").unwrap_err();
    assert!(!e.retryable, "{e:?}");
}

#[test]
fn an_expired_token_is_refreshed_and_kept() {
    let f = Fixture::with(|config| SimConfig { access_token_ttl: TimeDelta::hours(1), ..config });
    let ann = Buyer::new(1);
    let shop = f.shop();
    let old = shop.credentials["access_token"].clone();
    f.clock.advance(TimeDelta::hours(2));
    f.buyer_writes(&ann, BuyerMessage::text("Anyone there?"));

    // The gateway refuses the expired token; the adapter renews it and sends again.
    let receipt = AliExpress
        .send(&f.host, &shop, &reply(&ann, None, text("Yes!")))
        .expect("sent after renewal");
    let renewed = receipt.refreshed_credentials.expect("renewed tokens");
    let current = f.sim.access_token(&f.seller).expect("token");
    assert_ne!(current, old);
    assert_eq!(renewed["access_token"], current);
    assert_eq!(renewed["refresh_token"], f.sim.refresh_token(&f.seller).expect("token"));
    let expires = f.sim.access_token_expires_at(&f.seller).expect("expiry");
    assert_eq!(renewed["access_token_expires_at"], expires.timestamp().to_string());
    assert_eq!(f.sim.sent_messages().len(), 1);
    assert_eq!(f.token_refreshes(), 1);

    // The host still holds the old token; the adapter's kept copy is used, no second
    // renewal.
    let page = AliExpress.poll(&f.host, &shop, None).expect("polls");
    assert_eq!(page.events.len(), 1);
    assert_eq!(f.token_refreshes(), 1);

    // A token close to its expiry is renewed before the call.
    let mut due = f.shop();
    let soon = f.clock.now().timestamp() + 60;
    due.credentials.insert("access_token_expires_at".into(), soon.to_string());
    f.host.clear_kv();
    let receipt = AliExpress.send(&f.host, &due, &reply(&ann, None, text("Again"))).expect("sent");
    assert!(receipt.refreshed_credentials.is_some());
    assert_eq!(f.token_refreshes(), 2);
    let paths: Vec<String> = f.sim.requests().iter().map(|r| r.path.clone()).collect();
    let n = paths.len();
    assert_eq!(paths[n - 3..], ["/rest/auth/token/refresh", "/sync", "/sync"]);
}

#[test]
fn server_errors_are_retryable_and_business_errors_permanent() {
    let f = Fixture::start();
    let ann = Buyer::new(1);
    f.buyer_writes(&ann, BuyerMessage::text("hi"));
    let message = reply(&ann, None, text("hello"));

    f.sim
        .set_faults(Faults { server_error: 1.0, server_error_status: 503, ..Faults::default() })
        .expect("faults");
    let e = AliExpress.send(&f.host, &f.shop(), &message).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("http_503", true));
    let e = AliExpress.poll(&f.host, &f.shop(), None).unwrap_err();
    assert!(e.retryable, "{e:?}");

    f.sim.set_faults(Faults { rate_limit: 1.0, ..Faults::default() }).expect("faults");
    let e = AliExpress.send(&f.host, &f.shop(), &message).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("rate_limited", true));
    assert!(f.sim.sent_messages().is_empty());

    // The message centre refuses a buyer the seller has no relation or order with.
    f.sim.set_faults(Faults::default()).expect("faults");
    let stranger = Buyer::new(9);
    let e = f.send(&stranger, None, text("hello")).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("aliexpress_10002", false));
    // Content the message centre cannot carry is refused before any call.
    let before = f.sim.requests().len();
    let e =
        f.send(&ann, None, MessageContent::Video { url: "https://v/x.mp4".into() }).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("unsupported_content", false));
    assert_eq!(f.sim.requests().len(), before);
}

#[test]
fn a_targeted_coupon_is_refused_naming_ae_coupon_1() {
    let f = Fixture::start();
    let ann = Buyer::new(1);
    f.buyer_writes(&ann, BuyerMessage::text("Any discount?"));
    let rules = AliExpress.rule_set();
    let targeted = coupon("VIP10", None, CouponScope::Targeted);

    let refusal = AliExpress
        .vet_outbound(&f.host, &f.shop(), &targeted, &rules)
        .expect("checked")
        .expect("refused");
    assert_eq!(refusal.rule, "AE-COUPON-1");
    // Sent anyway (past the vetting), it is refused before reaching AliExpress.
    let e = f.send(&ann, None, targeted).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("AE-COUPON-1", false));
    assert!(f.sim.sent_messages().is_empty());

    // A store-wide coupon passes and goes out as text naming the code.
    let store = coupon("ALL5", Some("5% off"), CouponScope::Store);
    assert_eq!(AliExpress.vet_outbound(&f.host, &f.shop(), &store, &rules).expect("checked"), None);
    f.send(&ann, None, store).expect("sent");
    assert_eq!(f.sim.sent_messages()[0].content, "Coupon: 5% off (ALL5)");

    // AE-AUTO-4 is checked the same way, from the rule set.
    let action = |title: &str, content: &str| QuickAction {
        title: title.into(),
        kind: QuickActionKind::Text,
        content: content.into(),
    };
    let two_actions = MessageContent::AutoReply {
        text: "Welcome".into(),
        actions: vec![action("a", "x"), action("b", "y")],
    };
    let refusal = AliExpress
        .vet_outbound(&f.host, &f.shop(), &two_actions, &rules)
        .expect("checked")
        .expect("refused");
    assert_eq!(refusal.rule, "AE-AUTO-4");
}

#[test]
fn orders_and_buyers_are_looked_up() {
    let f = Fixture::start();
    let ann = Buyer::new(1);
    // 2023-07-01 is in US daylight time; the platform writes Pacific time.
    let summer = Utc.with_ymd_and_hms(2023, 7, 1, 18, 30, 0).single().expect("valid");
    let shipped = Some("LP00123456789012CN");
    for (id, status, issue, at, logistics_no) in [
        ("8100000000000001", "WAIT_BUYER_ACCEPT_GOODS", "IN_ISSUE", summer, shipped),
        ("8100000000000002", "WAIT_SELLER_SEND_GOODS", "NO_ISSUE", t0() - TimeDelta::days(1), None),
        ("8100000000000003", "FINISH", "NO_ISSUE", t0() - TimeDelta::days(2), None),
    ] {
        f.sim
            .add_order(
                &f.seller,
                Order {
                    id: id.into(),
                    buyer: ann.clone(),
                    created_at: at,
                    status: status.into(),
                    issue_status: issue.into(),
                    logistics_no: logistics_no.map(str::to_owned),
                },
            )
            .expect("added");
    }
    let order = AliExpress.fetch_order(&f.host, &f.shop(), "8100000000000001").expect("found");
    assert_eq!(order.buyer.external_id, ann.login_id);
    assert_eq!(order.buyer.nickname.as_deref(), Some("Buyer 1"));
    assert_eq!(order.created_at_ms, Some(summer.timestamp_millis()));
    assert_eq!(order.reverse_in_progress, Some(true));
    assert_eq!(order.status.as_deref(), Some("WAIT_BUYER_ACCEPT_GOODS"));
    // The parcel's tracking number, from `logistic_info_list[].logistics_no`.
    assert_eq!(order.tracking_number.as_deref(), shipped);
    let unshipped = AliExpress.fetch_order(&f.host, &f.shop(), "8100000000000002").expect("found");
    assert_eq!(unshipped.tracking_number, None, "not shipped yet");
    let e = AliExpress.fetch_order(&f.host, &f.shop(), "8100000000000099").unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("aliexpress_ORDER_NOT_FOUND", false));

    let profile = AliExpress.fetch_buyer(&f.host, &f.shop(), &ann.login_id).expect("found");
    assert_eq!(profile.nickname.as_deref(), Some("Buyer 1"));
    // Newest first; finished orders are not in the platform's default list.
    let ids: Vec<&str> = profile.orders.iter().map(|o| o.external_id.as_str()).collect();
    assert_eq!(ids, ["8100000000000002", "8100000000000001"]);
}

#[test]
fn webhooks_are_refused_and_polling_is_declared() {
    let shop = ShopConnection::default();
    let e = AliExpress.parse_webhook(&shop, &WebhookRequest::default(), 0).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("unsupported", false));
    let Capabilities { webhooks, polls, sends, .. } = AliExpress.capabilities();
    assert_eq!((webhooks, polls, sends), (false, true, true));
    // A connection without its credentials says which one is missing.
    let f = Fixture::start();
    let mut bare = f.shop();
    bare.credentials.remove("access_token");
    let e = AliExpress.poll(&f.host, &bare, None).unwrap_err();
    assert_eq!(e.code, "missing_credential");
    assert!(e.message.contains("access_token"), "{}", e.message);
}

#[test]
fn requests_outside_the_timestamp_window_are_refused() {
    let f = Fixture::start();
    // A host whose clock is three hours behind the platform's (the window is ±7200 s).
    let late =
        BlockingHost::new(f.runtime.handle().clone(), ManualClock::new(t0() - TimeDelta::hours(3)))
            .expect("host");
    let e = AliExpress.poll(&late, &f.shop(), None).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("aliexpress_InvalidTimestamp", false));
    // Within the window it is accepted.
    late.clock().set(t0() - TimeDelta::minutes(110));
    assert!(AliExpress.poll(&late, &f.shop(), None).is_ok());
}

/// Sends a request the AliExpress wire layer built, as the adapter would, to the
/// simulator; returns the gateway's error `code`, if it answered one.
fn gateway_code(
    f: &Fixture, request: shopmux_adapter_aliexpress::wire::WireRequest,
) -> Option<String> {
    use shopmux_contract::adapter::{Host, HttpRequest};
    let answer = f
        .host
        .http(HttpRequest {
            method: "POST".into(),
            url: format!("{}{}", f.sim.base_url(), request.path),
            headers: request.headers,
            body: request.body,
            timeout_ms: Some(5_000),
        })
        .expect("answered");
    let body: serde_json::Value = serde_json::from_slice(&answer.body).expect("json");
    body.get("code").and_then(|c| c.as_str()).map(str::to_owned)
}

#[test]
fn aliexpress_never_sends_empty_params() {
    use shopmux_adapter_aliexpress::wire::{self, AppCredentials, RequestContext, method};
    let f = Fixture::start();
    let ann = Buyer::new(1);
    f.buyer_writes(&ann, BuyerMessage::text("Hello?"));
    let channel = f.sim.channel_of(&f.seller, &ann.login_id).expect("a relation");
    let (app_key, app_secret) = f.sim.app();
    let credentials = AppCredentials { app_key, app_secret };
    let token = f.sim.access_token(&f.seller).expect("token");
    let ctx = RequestContext { credentials: &credentials, session: Some(&token), now: t0() };
    let params = |extern_id: &str| {
        vec![
            ("channel_id".to_owned(), channel.clone()),
            ("current_page".to_owned(), "1".to_owned()),
            ("extern_id".to_owned(), extern_id.to_owned()),
            ("page_size".to_owned(), "20".to_owned()),
        ]
    };
    // The adapter's wire layer leaves an empty parameter out of both the signature and
    // the body: the simulator (which refuses empty values and checks the signature with
    // its own code) takes the call.
    let request = wire::business_request(&ctx, method::QUERY_DETAIL_LIST, params("")).unwrap();
    assert_eq!(request.param("extern_id"), None);
    assert!(request.params.iter().all(|(_, v)| !v.is_empty()), "{:?}", request.params);
    assert_eq!(gateway_code(&f, request), None, "accepted");
    // The control: the same call with the empty value kept (signed as the Python SDKs
    // sign it) is refused, so the check above can fail.
    let mut kept = wire::business_request(&ctx, method::QUERY_DETAIL_LIST, params("x")).unwrap();
    kept.params.retain(|(k, _)| k != "sign");
    for (k, v) in kept.params.iter_mut() {
        if k == "extern_id" {
            v.clear();
        }
    }
    let sign = shopmux_adapter_aliexpress::sign::iop_sign(
        &credentials.app_secret,
        method::QUERY_DETAIL_LIST,
        kept.params.iter().map(|(k, v)| (k, v)),
    );
    kept.params.push(("sign".into(), sign));
    kept.body = shopmux_contract::wire::query_string(&kept.params).into_bytes();
    assert_eq!(gateway_code(&f, kept).as_deref(), Some("InvalidParameter"));
    // A reply whose conversation id is empty goes out, and the look-up of its id after
    // the send (which would be refused with an empty parameter) finds it.
    let receipt = f.send(&ann, Some(String::new()), text("Hi Ann!")).expect("sent");
    let sent = f.sim.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(receipt.platform_message_id, Some(sent[0].message_id.clone()));
}
