//! The Douyin simulator: envelope, signature, timestamp and token checks; token calls; order
//! detail; faults; pushes.

use chrono::TimeDelta;
use serde_json::{Value, json};
use shopmux_adapter_douyin::sign::{SignMethod, request_sign, verify_push};
use shopmux_adapter_douyin::wire::{
    self, ApiResponse, AppCredentials, PUSH_ACK_BODY, PushMessage, RequestContext, TokenData,
    TradeCreateData, WireRequest, push_tag,
};
use shopmux_simulator::douyin::{DouyinSim, PushEvent, SimConfig, SimHandle, codes};
use shopmux_simulator::{BatchOrder, FaultKind, Faults, ManualClock, WebhookFaults};

use crate::support::{Receiver, Reply, client, send, t0};

const SHOP: &str = "12345";
const ORDER: &str = "4781320682406083640";

struct Fixture {
    sim: SimHandle,
    clock: ManualClock,
    credentials: AppCredentials,
}

impl Fixture {
    async fn start() -> Fixture {
        let clock = ManualClock::new(t0());
        let config = SimConfig {
            clock: clock.clock(),
            ..SimConfig::default()
        };
        let credentials = AppCredentials {
            app_key: config.app_key.clone(),
            app_secret: config.app_secret.clone(),
        };
        let sim = DouyinSim::start(config).await.expect("starts");
        Fixture {
            sim,
            clock,
            credentials,
        }
    }

    fn build<T>(
        &self,
        token: Option<&str>,
        sign_method: SignMethod,
        now: chrono::DateTime<chrono::Utc>,
        make: impl FnOnce(&RequestContext<'_>) -> T,
    ) -> T {
        let host = self.sim.base_url();
        let ctx = RequestContext {
            host: &host,
            credentials: &self.credentials,
            access_token: token,
            sign_method,
            now,
        };
        make(&ctx)
    }

    fn order_detail(&self, order_id: &str) -> WireRequest {
        let token = self.sim.access_token(SHOP).expect("token");
        self.build(
            Some(&token),
            SignMethod::HmacSha256,
            self.clock.now(),
            |ctx| wire::order_detail(ctx, order_id).expect("builds"),
        )
    }
}

async fn go(request: &WireRequest) -> Reply {
    send(
        &client(),
        request.method.as_str(),
        &request.url(),
        &request.headers,
        &request.body,
    )
    .await
    .expect("answered")
}

fn set_param(request: &mut WireRequest, key: &str, value: &str) {
    for (name, current) in &mut request.query {
        if name == key {
            *current = value.to_owned();
        }
    }
}

fn assert_refused(reply: &Reply, code: i64, sub_code: &str) {
    assert_eq!(reply.status, 200, "{:?}", reply.json);
    assert_eq!(
        (reply.code(), reply.sub_code()),
        (code, sub_code),
        "{:?}",
        reply.json
    );
    assert_eq!(reply.json["data"], Value::Null);
}

#[tokio::test]
async fn signed_calls_succeed_and_tampering_is_refused() {
    let fx = Fixture::start().await;

    let detail = go(&fx.order_detail(ORDER)).await;
    assert_eq!((detail.status, detail.code()), (200, codes::SUCCESS));
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
    hmac_without_method
        .query
        .retain(|(key, _)| key != "sign_method");
    assert_refused(
        &go(&hmac_without_method).await,
        codes::INVALID_PARAMETER,
        codes::sub::SIGNATURE_INVALID,
    );

    // One byte of the body changed after signing.
    let mut tampered = fx.order_detail(ORDER);
    let last = tampered.body.len() - 3;
    tampered.body[last] ^= 0x01;
    assert_refused(
        &go(&tampered).await,
        codes::INVALID_PARAMETER,
        codes::sub::SIGNATURE_INVALID,
    );

    // A wrong sign, a missing sign.
    let mut wrong = fx.order_detail(ORDER);
    set_param(&mut wrong, "sign", &"a".repeat(64));
    assert_refused(
        &go(&wrong).await,
        codes::INVALID_PARAMETER,
        codes::sub::SIGNATURE_INVALID,
    );
    let mut unsigned = fx.order_detail(ORDER);
    unsigned.query.retain(|(key, _)| key != "sign");
    assert_refused(
        &go(&unsigned).await,
        codes::MISSING_PARAMETER,
        codes::sub::SIGNATURE_MISSING,
    );

    // Correctly signed, but 11 minutes off either way.
    for offset in [TimeDelta::minutes(-11), TimeDelta::minutes(11)] {
        let stale = fx.build(
            Some(&token),
            SignMethod::HmacSha256,
            fx.clock.now() + offset,
            |ctx| wire::order_detail(ctx, ORDER).expect("builds"),
        );
        assert_refused(
            &go(&stale).await,
            codes::INVALID_PARAMETER,
            codes::sub::TIMESTAMP_INVALID,
        );
    }

    // The documented datetime timestamp format, GMT+8, signs and passes.
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
    let reply = send(&client(), "POST", &url, &[], param_json.as_bytes())
        .await
        .expect("answers");
    assert_eq!(reply.code(), codes::SUCCESS, "{:?}", reply.json);

    // Wrong app key; a method that does not match the path; an unknown method.
    let mut other_app = fx.order_detail(ORDER);
    set_param(&mut other_app, "app_key", "7000000000000000009");
    assert_refused(
        &go(&other_app).await,
        codes::INVALID_PARAMETER,
        codes::sub::APP_ID_INVALID,
    );
    let mut moved = fx.order_detail(ORDER);
    moved.path = "/order/searchList".into();
    assert_refused(
        &go(&moved).await,
        codes::INVALID_PARAMETER,
        codes::sub::METHOD_INVALID,
    );
    let unknown = fx.build(
        Some(&token),
        SignMethod::HmacSha256,
        fx.clock.now(),
        |ctx| wire::build_request(ctx, "afterSale.List", &json!({})).expect("builds"),
    );
    assert_refused(
        &go(&unknown).await,
        codes::API_OFFLINE,
        codes::sub::API_SERVICE_OFF,
    );

    // No token; an unknown order.
    let tokenless = fx.build(None, SignMethod::HmacSha256, fx.clock.now(), |ctx| {
        wire::order_detail(ctx, ORDER).expect("builds")
    });
    assert_refused(
        &go(&tokenless).await,
        codes::MISSING_PARAMETER,
        codes::sub::ACCESS_TOKEN_MISSING,
    );
    assert_refused(
        &go(&fx.order_detail("1")).await,
        codes::BUSINESS_FAILED,
        codes::sub::ORDER_NOT_FOUND,
    );
}

#[tokio::test]
async fn tokens_expire_refresh_and_create() {
    let fx = Fixture::start().await;
    let old = fx.sim.access_token(SHOP).expect("token");
    fx.clock.advance(TimeDelta::days(7) + TimeDelta::seconds(1));
    assert_refused(
        &go(&fx.order_detail(ORDER)).await,
        codes::INVALID_PARAMETER,
        codes::sub::ACCESS_TOKEN_EXPIRED,
    );

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
    let with_old = fx.build(Some(&old), SignMethod::HmacSha256, fx.clock.now(), |ctx| {
        wire::order_detail(ctx, ORDER).expect("builds")
    });
    assert_refused(
        &go(&with_old).await,
        codes::INVALID_PARAMETER,
        codes::sub::ACCESS_TOKEN_NO_EXISTED,
    );
    // The refresh token is spent.
    assert_refused(
        &go(&refresh).await,
        codes::TOKEN_FAILED,
        codes::sub::TOKEN_INVALID,
    );

    // token.create, self-use and with a code; unknown shop and code are refused.
    let create = |make: &dyn Fn(&RequestContext<'_>) -> WireRequest| {
        fx.build(None, SignMethod::HmacSha256, fx.clock.now(), make)
    };
    let created = go(&create(&|ctx| {
        wire::token_create_for_shop(ctx, SHOP).expect("builds")
    }))
    .await;
    assert_eq!(created.code(), codes::SUCCESS, "{:?}", created.json);
    assert_eq!(created.json["data"]["shop_id"], 12345);
    let created = go(&create(&|ctx| {
        wire::token_create_with_code(ctx, "sim-auth-code").expect("builds")
    }))
    .await;
    assert_eq!(created.code(), codes::SUCCESS);
    assert_eq!(
        fx.sim.access_token(SHOP).as_deref(),
        created.json["data"]["access_token"].as_str()
    );
    assert_refused(
        &go(&create(&|ctx| {
            wire::token_create_for_shop(ctx, "999").expect("builds")
        }))
        .await,
        codes::TOKEN_FAILED,
        codes::sub::NO_AUTHORIZATION,
    );
    assert_refused(
        &go(&create(&|ctx| {
            wire::token_create_with_code(ctx, "nope").expect("builds")
        }))
        .await,
        codes::TOKEN_FAILED,
        codes::sub::CODE_INVALID,
    );
}

async fn codes_of(fx: &Fixture, n: usize) -> Vec<(u16, i64)> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let reply = go(&fx.order_detail(ORDER)).await;
        out.push((reply.status, reply.code()));
    }
    out
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    let fx = Fixture::start().await;
    let faults = Faults {
        seed: 5,
        server_error: 0.25,
        server_error_status: 502,
        rate_limit: 0.25,
        ..Faults::default()
    };
    fx.sim.set_faults(faults).expect("valid");
    let first = codes_of(&fx, 40).await;
    fx.sim.set_faults(faults).expect("valid");
    assert_eq!(codes_of(&fx, 40).await, first);
    assert!(first.contains(&(502, codes::SERVICE_UNAVAILABLE)));
    assert!(first.contains(&(200, codes::RATE_LIMITED)));
    assert!(first.contains(&(200, codes::SUCCESS)));
    let logged: Vec<Option<FaultKind>> = fx.sim.requests()[..40]
        .iter()
        .map(|record| record.fault)
        .collect();
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
    let fx = Fixture::start().await;
    let old = fx.sim.access_token(SHOP).expect("token");
    let refresh_token = fx.sim.refresh_token(SHOP).expect("refresh token");
    fx.sim
        .set_faults(Faults {
            accepted_then_server_error: 1.0,
            ..Faults::default()
        })
        .expect("valid");
    let refresh = fx.build(None, SignMethod::HmacSha256, fx.clock.now(), |ctx| {
        wire::token_refresh(ctx, &refresh_token).expect("builds")
    });
    let lost = go(&refresh).await;
    assert_eq!(
        (lost.status, lost.code()),
        (500, codes::SERVICE_UNAVAILABLE)
    );
    // The refresh happened: the simulator holds a new pair the client never saw.
    assert_ne!(fx.sim.access_token(SHOP), Some(old));
    // Reads are not state changes.
    assert_refused(
        &go(&fx.build(
            Some("stale"),
            SignMethod::HmacSha256,
            fx.clock.now(),
            |ctx| wire::order_detail(ctx, ORDER).expect("builds"),
        ))
        .await,
        codes::INVALID_PARAMETER,
        codes::sub::ACCESS_TOKEN_NO_EXISTED,
    );
    fx.sim.set_faults(Faults::default()).expect("valid");
    assert_refused(
        &go(&refresh).await,
        codes::TOKEN_FAILED,
        codes::sub::TOKEN_INVALID,
    );
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

#[tokio::test]
async fn pushes_are_signed_and_their_knobs_apply() {
    let fx = Fixture::start().await;
    let receiver = douyin_receiver(&fx).await;

    let delivery = fx
        .sim
        .push_trade_create(SHOP, ORDER)
        .await
        .expect("delivered");
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
    fx.sim.set_webhook_faults(WebhookFaults {
        bad_signature: true,
        ..WebhookFaults::default()
    });
    let delivery = fx
        .sim
        .push_trade_create(SHOP, ORDER)
        .await
        .expect("delivered");
    assert_eq!(delivery.statuses, [401]);
    assert!(!receiver.hits()[0].verified);

    // Duplicate.
    receiver.clear();
    fx.sim.set_webhook_faults(WebhookFaults {
        duplicate: true,
        ..WebhookFaults::default()
    });
    let delivery = fx.sim.push_test_message().await.expect("delivered");
    assert_eq!(delivery.statuses, [200, 200]);
    let hits = receiver.hits();
    assert_eq!(hits[0].body, hits[1].body);

    // A batch out of order, as separate pushes and in one body.
    fx.sim.set_webhook_faults(WebhookFaults {
        order: BatchOrder::Reversed,
        ..WebhookFaults::default()
    });
    let events = || {
        ["201", "202", "203"]
            .map(|tag| PushEvent::new(tag, json!({ "aftersale_id": tag })))
            .to_vec()
    };
    let deliveries = fx.sim.push_batch(events()).await.expect("delivered");
    let tags: Vec<String> = deliveries
        .iter()
        .map(|delivery| {
            PushMessage::parse_body(&delivery.body).expect("body")[0]
                .tag
                .clone()
        })
        .collect();
    assert_eq!(tags, ["203", "202", "201"]);
    let ids: Vec<u64> = deliveries
        .iter()
        .map(|delivery| delivery.id.parse().expect("numeric"))
        .collect();
    assert!(ids.windows(2).all(|pair| pair[0] > pair[1]), "{ids:?}");

    receiver.clear();
    let one = fx.sim.push_in_one_body(events()).await.expect("delivered");
    assert_eq!(one.statuses, [200]);
    let hits = receiver.hits();
    assert!(hits[0].verified);
    let messages = PushMessage::parse_body(&hits[0].body).expect("body");
    let tags: Vec<&str> = messages
        .iter()
        .map(|message| message.tag.as_str())
        .collect();
    assert_eq!(tags, ["203", "202", "201"]);
}
