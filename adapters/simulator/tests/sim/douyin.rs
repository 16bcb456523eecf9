//! The Douyin simulator: envelope, signature, timestamp and token checks; token calls; order
//! detail; faults; pushes.

use chrono::TimeDelta;
use serde_json::{Value, json};
use shopmux_adapter_douyin::sign::{SignMethod, request_sign, verify_push};
use shopmux_adapter_douyin::wire::{
    self, ApiResponse, AppCredentials, PUSH_ACK_BODY, PushMessage, RequestContext, TokenData,
    TradeCreateData, WireRequest, push_tag,
};
use shopmux_simulator::douyin::codes::{self, sub};
use shopmux_simulator::douyin::{DouyinSim, PushEvent, SimHandle};
use shopmux_simulator::{BatchOrder, Delivery, FaultKind, Faults};

use crate::support::{
    Receiver, Reply, bad_signature, certain, client, duplicated, faults_of, go, in_order, replies,
    send, set_param, some_errors,
};

const SHOP: &str = "12345";
const ORDER: &str = "4781320682406083640";

type Fixture = crate::support::Fixture<SimHandle, AppCredentials>;

async fn fixture() -> Fixture {
    Fixture::start(DouyinSim::start).await
}

impl Fixture {
    fn build<T>(
        &self, token: Option<&str>, sign_method: SignMethod, now: chrono::DateTime<chrono::Utc>,
        make: impl FnOnce(&RequestContext<'_>) -> T,
    ) -> T {
        make(&RequestContext {
            host: &self.sim.base_url(),
            credentials: &self.credentials,
            access_token: token,
            sign_method,
            now,
        })
    }

    /// `order.orderDetail` of [`ORDER`] with `token`, HMAC-signed now.
    fn order_detail_as(&self, token: Option<&str>) -> WireRequest {
        let now = self.clock.now();
        self.build(token, SignMethod::HmacSha256, now, |ctx| {
            wire::order_detail(ctx, ORDER).expect("builds")
        })
    }

    fn order_detail(&self, order_id: &str) -> WireRequest {
        let token = self.sim.access_token(SHOP).expect("token");
        self.build(Some(&token), SignMethod::HmacSha256, self.clock.now(), |ctx| {
            wire::order_detail(ctx, order_id).expect("builds")
        })
    }
}

/// Sends `request`; it must be refused with `code` and `sub_code`.
async fn assert_refused(request: &WireRequest, code: i64, sub_code: &str) {
    let reply = go(request).await;
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!((reply.code(), reply.sub_code()), (code, sub_code), "{:?}", reply.json);
    assert_eq!(reply.json["data"], Value::Null);
}

#[tokio::test]
async fn signed_calls_succeed_and_tampering_is_refused() {
    let fx = fixture().await;

    let detail = go(&fx.order_detail(ORDER)).await;
    assert_eq!(detail.status_code(), (200, codes::SUCCESS));
    let parsed: ApiResponse<Value> =
        serde_json::from_value(detail.json.clone()).expect("adapter parses");
    assert!(parsed.is_success());
    let order = &detail.json["data"]["shop_order_detail"];
    assert_eq!(order["order_id"], ORDER);
    assert_eq!(order["shop_id"], 12345);
    assert_eq!(order["sku_order_list"][0]["parent_order_id"], ORDER);

    // MD5 signing is accepted too, and an omitted sign_method means MD5.
    let token = fx.sim.access_token(SHOP).expect("token");
    let md5 = fx.build(Some(&token), SignMethod::Md5, fx.clock.now(), |ctx| {
        wire::order_detail(ctx, ORDER).expect("builds")
    });
    assert_eq!(go(&md5).await.code(), codes::SUCCESS);
    let mut omitted = md5.clone();
    omitted.query.retain(|(key, _)| key != "sign_method");
    assert_eq!(go(&omitted).await.code(), codes::SUCCESS);
    // ...so an HMAC sign without sign_method does not verify.
    let mut hmac_without_method = fx.order_detail(ORDER);
    hmac_without_method.query.retain(|(key, _)| key != "sign_method");
    assert_refused(&hmac_without_method, codes::INVALID_PARAMETER, sub::SIGNATURE_INVALID).await;

    // One byte of the body changed after signing.
    let mut tampered = fx.order_detail(ORDER);
    let last = tampered.body.len() - 3;
    tampered.body[last] ^= 0x01;
    assert_refused(&tampered, codes::INVALID_PARAMETER, sub::SIGNATURE_INVALID).await;

    // A wrong sign, a missing sign.
    let mut wrong = fx.order_detail(ORDER);
    set_param(&mut wrong, "sign", &"a".repeat(64));
    assert_refused(&wrong, codes::INVALID_PARAMETER, sub::SIGNATURE_INVALID).await;
    let mut unsigned = fx.order_detail(ORDER);
    unsigned.query.retain(|(key, _)| key != "sign");
    assert_refused(&unsigned, codes::MISSING_PARAMETER, sub::SIGNATURE_MISSING).await;

    // Correctly signed, but 11 minutes off either way.
    for offset in [TimeDelta::minutes(-11), TimeDelta::minutes(11)] {
        let stale =
            fx.build(Some(&token), SignMethod::HmacSha256, fx.clock.now() + offset, |ctx| {
                wire::order_detail(ctx, ORDER).expect("builds")
            });
        assert_refused(&stale, codes::INVALID_PARAMETER, sub::TIMESTAMP_INVALID).await;
    }

    // Wrong app key; a method that does not match the path; an unknown method.
    let mut other_app = fx.order_detail(ORDER);
    set_param(&mut other_app, "app_key", "7000000000000000009");
    assert_refused(&other_app, codes::INVALID_PARAMETER, sub::APP_ID_INVALID).await;
    let mut moved = fx.order_detail(ORDER);
    moved.path = "/order/searchList".into();
    assert_refused(&moved, codes::INVALID_PARAMETER, sub::METHOD_INVALID).await;
    let unknown = fx.build(Some(&token), SignMethod::HmacSha256, fx.clock.now(), |ctx| {
        wire::build_request(ctx, "afterSale.List", &json!({})).expect("builds")
    });
    assert_refused(&unknown, codes::API_OFFLINE, sub::API_SERVICE_OFF).await;

    // No token; an unknown order.
    let tokenless = fx.order_detail_as(None);
    assert_refused(&tokenless, codes::MISSING_PARAMETER, sub::ACCESS_TOKEN_MISSING).await;
    assert_refused(&fx.order_detail("1"), codes::BUSINESS_FAILED, sub::ORDER_NOT_FOUND).await;
}

#[tokio::test]
async fn the_documented_datetime_timestamp_signs_and_passes() {
    let fx = fixture().await;
    let token = fx.sim.access_token(SHOP).expect("token");
    // The documented datetime timestamp format, GMT+8.
    let timestamp = "2023-11-15 06:13:20";
    let param_json = format!(r#"{{"shop_order_id":"{ORDER}"}}"#);
    let sign = request_sign(
        &fx.credentials.app_key,
        &fx.credentials.app_secret,
        "order.orderDetail",
        &param_json,
        timestamp,
        SignMethod::HmacSha256,
    );
    let url = format!(
        "{}/order/orderDetail?app_key={}&method=order.orderDetail&access_token={token}&timestamp=2023-11-15%2006%3A13%3A20&v=2&sign_method=hmac-sha256&sign={sign}",
        fx.sim.base_url(),
        fx.credentials.app_key
    );
    let reply = send(&client(), "POST", &url, &[], param_json.as_bytes()).await.expect("answers");
    assert_eq!(reply.code(), codes::SUCCESS, "{:?}", reply.json);
}

#[tokio::test]
async fn tokens_expire_refresh_and_create() {
    let fx = fixture().await;
    let old = fx.sim.access_token(SHOP).expect("token");
    fx.clock.advance(TimeDelta::days(7) + TimeDelta::seconds(1));
    assert_refused(&fx.order_detail(ORDER), codes::INVALID_PARAMETER, sub::ACCESS_TOKEN_EXPIRED)
        .await;

    let refresh_token = fx.sim.refresh_token(SHOP).expect("refresh token");
    let refresh = fx.build(Some(&old), SignMethod::HmacSha256, fx.clock.now(), |ctx| {
        wire::token_refresh(ctx, &refresh_token).expect("builds")
    });
    let refreshed = go(&refresh).await;
    let data: ApiResponse<TokenData> =
        serde_json::from_value(refreshed.json.clone()).expect("adapter parses");
    assert!(data.is_success(), "{:?}", refreshed.json);
    let data = data.data.expect("data");
    assert_eq!(data.expires_in, 7 * 24 * 3600);
    assert_eq!(fx.sim.access_token(SHOP), Some(data.access_token.clone()));

    assert_eq!(go(&fx.order_detail(ORDER)).await.code(), codes::SUCCESS);
    let with_old = fx.order_detail_as(Some(&old));
    assert_refused(&with_old, codes::INVALID_PARAMETER, sub::ACCESS_TOKEN_NO_EXISTED).await;
    // The refresh token is spent.
    assert_refused(&refresh, codes::TOKEN_FAILED, sub::TOKEN_INVALID).await;

    // token.create, self-use and with a code; unknown shop and code are refused.
    let create = |make: &dyn Fn(&RequestContext<'_>) -> WireRequest| {
        fx.build(None, SignMethod::HmacSha256, fx.clock.now(), make)
    };
    let created = go(&create(&|ctx| wire::token_create_for_shop(ctx, SHOP).expect("builds"))).await;
    assert_eq!(created.code(), codes::SUCCESS, "{:?}", created.json);
    assert_eq!(created.json["data"]["shop_id"], 12345);
    let created =
        go(&create(&|ctx| wire::token_create_with_code(ctx, "sim-auth-code").expect("builds")))
            .await;
    assert_eq!(created.code(), codes::SUCCESS);
    assert_eq!(fx.sim.access_token(SHOP).as_deref(), created.json["data"]["access_token"].as_str());
    assert_refused(
        &create(&|ctx| wire::token_create_for_shop(ctx, "999").expect("builds")),
        codes::TOKEN_FAILED,
        sub::NO_AUTHORIZATION,
    )
    .await;
    assert_refused(
        &create(&|ctx| wire::token_create_with_code(ctx, "nope").expect("builds")),
        codes::TOKEN_FAILED,
        sub::CODE_INVALID,
    )
    .await;
}

async fn codes_of(fx: &Fixture, n: usize) -> Vec<(u16, i64)> {
    let replies = replies(n, || fx.order_detail(ORDER)).await;
    replies.iter().map(Reply::status_code).collect()
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    let fx = fixture().await;
    let faults = some_errors(5, 0.25, 502);
    fx.sim.set_faults(faults).expect("valid");
    let first = codes_of(&fx, 40).await;
    fx.sim.set_faults(faults).expect("valid");
    assert_eq!(codes_of(&fx, 40).await, first);
    assert!(first.contains(&(502, codes::SERVICE_UNAVAILABLE)));
    assert!(first.contains(&(200, codes::RATE_LIMITED)));
    assert!(first.contains(&(200, codes::SUCCESS)));
    let logged = faults_of(&fx.sim.requests()[..40]);
    let expected: Vec<Option<FaultKind>> = first
        .iter()
        .map(|(_, code)| match *code {
            codes::SERVICE_UNAVAILABLE => Some(FaultKind::ServerError),
            codes::RATE_LIMITED => Some(FaultKind::RateLimited),
            _ => None,
        })
        .collect();
    assert_eq!(logged, expected);
}

#[tokio::test]
async fn a_refresh_accepted_with_its_answer_lost_locks_the_client_out() {
    let fx = fixture().await;
    let old = fx.sim.access_token(SHOP).expect("token");
    let refresh_token = fx.sim.refresh_token(SHOP).expect("refresh token");
    fx.sim.set_faults(certain(FaultKind::AcceptedThenServerError)).expect("valid");
    let refresh = fx.build(None, SignMethod::HmacSha256, fx.clock.now(), |ctx| {
        wire::token_refresh(ctx, &refresh_token).expect("builds")
    });
    let lost = go(&refresh).await;
    assert_eq!(lost.status_code(), (500, codes::SERVICE_UNAVAILABLE));
    // The refresh happened: the simulator holds a new pair the client never saw.
    assert_ne!(fx.sim.access_token(SHOP), Some(old));
    // Reads are not state changes.
    assert_refused(
        &fx.order_detail_as(Some("stale")),
        codes::INVALID_PARAMETER,
        sub::ACCESS_TOKEN_NO_EXISTED,
    )
    .await;
    fx.sim.set_faults(Faults::default()).expect("valid");
    assert_refused(&refresh, codes::TOKEN_FAILED, sub::TOKEN_INVALID).await;
}

async fn douyin_receiver(fx: &Fixture) -> Receiver {
    let key = fx.credentials.app_key.clone();
    let secret = fx.credentials.app_secret.clone();
    let receiver = Receiver::start(
        Box::new(move |headers, body| {
            let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
            verify_push(&key, &secret, header("app-id"), header("event-sign"), body).is_ok()
        }),
        PUSH_ACK_BODY,
    )
    .await;
    fx.sim.set_push_url(Some(receiver.url.clone()));
    receiver
}

/// Pushes tag 100 for [`ORDER`].
async fn trade_create(fx: &Fixture) -> Delivery {
    let pushed = fx.sim.push_trade_create(SHOP, ORDER);
    pushed.await.expect("delivered")
}

#[tokio::test]
async fn pushes_are_signed_and_their_knobs_apply() {
    let fx = fixture().await;
    let receiver = douyin_receiver(&fx).await;

    let delivery = trade_create(&fx).await;
    assert_eq!(delivery.statuses, [200]);
    assert_eq!(delivery.subject_id, ORDER);
    let hits = receiver.hits();
    assert!(hits[0].verified);
    let messages = PushMessage::parse_body(&hits[0].body).expect("push body");
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].tag, push_tag::TRADE_CREATE);
    assert_eq!(messages[0].msg_id, delivery.id);
    assert!(messages[0].data.is_string(), "data is a JSON string");
    let data: TradeCreateData =
        serde_json::from_value(messages[0].data_json().expect("data")).expect("typed");
    assert_eq!(data.p_id, ORDER);
    assert_eq!(data.s_ids, ["4781320682406083641"]);
    assert_eq!(data.shop_id, SHOP);

    let test = fx.sim.push_test_message().await.expect("delivered");
    assert_eq!(test.statuses, [200]);
    let messages = PushMessage::parse_body(&test.body).expect("push body");
    assert!(messages[0].is_test());

    // Bad signature.
    receiver.clear();
    fx.sim.set_webhook_faults(bad_signature());
    let delivery = trade_create(&fx).await;
    assert_eq!(delivery.statuses, [401]);
    assert!(!receiver.hits()[0].verified);

    // Duplicate.
    receiver.clear();
    fx.sim.set_webhook_faults(duplicated());
    let delivery = fx.sim.push_test_message().await.expect("delivered");
    assert_eq!(delivery.statuses, [200, 200]);
    let hits = receiver.hits();
    assert_eq!(hits[0].body, hits[1].body);

    // A batch out of order, as separate pushes and in one body.
    fx.sim.set_webhook_faults(in_order(BatchOrder::Reversed));
    let events = || {
        ["201", "202", "203"]
            .map(|tag| PushEvent::new(tag, json!({ "aftersale_id": tag })))
            .to_vec()
    };
    let deliveries = fx.sim.push_batch(events()).await.expect("delivered");
    let tags: Vec<String> = deliveries
        .iter()
        .map(|delivery| PushMessage::parse_body(&delivery.body).expect("body")[0].tag.clone())
        .collect();
    assert_eq!(tags, ["203", "202", "201"]);
    let ids: Vec<u64> =
        deliveries.iter().map(|delivery| delivery.id.parse().expect("numeric")).collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "{ids:?}");

    receiver.clear();
    let one = fx.sim.push_in_one_body(events()).await.expect("delivered");
    assert_eq!(one.statuses, [200]);
    let hits = receiver.hits();
    assert!(hits[0].verified);
    let messages = PushMessage::parse_body(&hits[0].body).expect("body");
    let tags: Vec<&str> = messages.iter().map(|message| message.tag.as_str()).collect();
    assert_eq!(tags, ["203", "202", "201"]);
}
