//! Unit tests of the pure parts: signing and push vectors, templates both ways, replies,
//! picture sizes, the rule set, and push parsing (the poll cursor is tested against the
//! simulator, in the simulator's tests).
//!
//! Expected signatures were computed independently with Python's `hmac`/`hashlib`; the
//! IM send vector was also reproduced with the official `lazop-sdk` 1.0.3 `sign()`.

use crate::adapter::Lazada;
use crate::sign::{api_sign, push_signature, verify_push};
use crate::wire;
use shopmux_contract::MessageContent as C;
use shopmux_contract::adapter::{
    Adapter, HttpResponse, InboundEvent, ShopConnection, WebhookRequest,
};
use shopmux_contract::rules::Condition;
use shopmux_contract::{ContentKind, Span};

#[test]
fn documented_order_get_example() {
    // Lazada's "Signature algorithm" page: /order/get, secret `helloworld`.
    let sign = api_sign(
        "helloworld",
        "/order/get",
        &[
            ("timestamp", "1517820392000"),
            ("sign_method", "sha256"),
            ("order_id", "1234"),
            ("app_key", "123456"),
            ("access_token", "test"),
        ],
    );
    assert_eq!(sign, "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A");
}

const SEND_PARAMS: [(&str, &str); 7] = [
    ("app_key", "100200"),
    ("access_token", "50000601c30atpedfgu3LVvik87Ixlsvle3mSoB7701ceb156fPunYZ43GBg"),
    ("timestamp", "1700000000000"),
    ("sign_method", "sha256"),
    ("session_id", "100094063_2_1011822749_1_103"),
    ("template_id", "1"),
    ("txt", "Halo kak, sudah dikirim 🙏"),
];
const SEND_SIGN: &str = "1E19A1D86201CBA5433782B325974C3B89376D5DB44D1F1E3CAA2BA4CEB720E7";

#[test]
fn im_send_vector_ignores_order_and_its_own_sign() {
    assert_eq!(api_sign("sim-secret", "/im/message/send", &SEND_PARAMS), SEND_SIGN);
    let mut shuffled: Vec<(&str, &str)> = SEND_PARAMS.iter().rev().copied().collect();
    shuffled.push(("sign", "whatever"));
    assert_eq!(api_sign("sim-secret", "/im/message/send", &shuffled), SEND_SIGN);
    let mut changed = SEND_PARAMS;
    changed[6].1 = "Halo kak, sudah dikirim";
    assert_ne!(api_sign("sim-secret", "/im/message/send", &changed), SEND_SIGN);
    assert_ne!(api_sign("sim-secret", "/im/message/list", &SEND_PARAMS), SEND_SIGN);
}

#[test]
fn signed_requests_carry_the_common_parameters_and_a_valid_sign() {
    let signer = wire::Signer {
        app_key: "100200",
        app_secret: "sim-secret",
        access_token: Some("tok"),
        now_ms: 1_700_000_000_000,
    };
    let signed = |base, api, method, params: &[(&str, String)]| {
        wire::signed_request(&signer, base, api, method, params)
    };
    let get = signed(
        "https://api.lazada.sg/rest/",
        "/im/session/list",
        "GET",
        &[("page_size", "20".into())],
    );
    assert!(get.url.starts_with("https://api.lazada.sg/rest/im/session/list?app_key=100200&timestamp=1700000000000&sign_method=sha256&access_token=tok&page_size=20&sign="), "{}", get.url);
    let expected = api_sign(
        "sim-secret",
        "/im/session/list",
        &[
            ("app_key", "100200"),
            ("timestamp", "1700000000000"),
            ("sign_method", "sha256"),
            ("access_token", "tok"),
            ("page_size", "20"),
        ],
    );
    assert!(get.url.ends_with(&expected));
    let post = signed("https://x/rest", "/im/message/send", "POST", &[("txt", "a b&c".into())]);
    let body = String::from_utf8(post.body).unwrap();
    assert!(body.contains("txt=a%20b%26c"), "{body}");
    assert_eq!(post.url, "https://x/rest/im/message/send");
    assert_eq!(post.headers[0].1, "application/x-www-form-urlencoded;charset=utf-8");
}

const PUSH: &str = r#"{"seller_id":"100094063","message_type":2,"data":{"session_id":"100094063_2_1011822749_1_103","message_id":"24jFlAu0BtRbP47190","from_account_type":1,"from_account_id":"1011822749","to_account_type":2,"to_account_id":"100094063","template_id":1,"type":1,"content":"{\"txt\":\"Is this in stock?\"}","send_time":1700000000000,"site_id":"SG","status":0},"timestamp":1700000001,"site":"lazada_sg"}"#;
const PUSH_SIGN: &str = "38e1e54b40a0c2af6ff4c2ee5b305a347561b936dc895ccea008f9c9582ff480";

#[test]
fn push_signature_vector_and_verification() {
    assert_eq!(push_signature("100200", "sim-secret", PUSH.as_bytes()), PUSH_SIGN);
    assert!(verify_push("100200", "sim-secret", PUSH.as_bytes(), Some(PUSH_SIGN)).is_ok());
    assert!(
        verify_push("100200", "sim-secret", PUSH.as_bytes(), Some(&PUSH_SIGN.to_uppercase()))
            .is_ok()
    );
    let tampered = PUSH.replace("stock?", "stock!");
    assert!(verify_push("100200", "sim-secret", tampered.as_bytes(), Some(PUSH_SIGN)).is_err());
    assert!(verify_push("100201", "sim-secret", PUSH.as_bytes(), Some(PUSH_SIGN)).is_err());
    assert!(verify_push("100200", "sim-secret", PUSH.as_bytes(), None).is_err());
    assert!(verify_push("100200", "sim-secret", PUSH.as_bytes(), Some("zz")).is_err());
}

fn shop() -> ShopConnection {
    let credentials = [("app_key", "100200"), ("app_secret", "sim-secret")];
    ShopConnection {
        region: "SG".into(),
        ..ShopConnection::with_credentials("100094063", &credentials)
    }
}

fn delivery(body: &str, signature: Option<&str>) -> WebhookRequest {
    WebhookRequest {
        headers: signature
            .map(|s| vec![("authorization".to_owned(), s.to_owned())])
            .unwrap_or_default(),
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn a_signed_im_push_becomes_a_buyer_message() {
    let events = Lazada.parse_webhook(&shop(), &delivery(PUSH, Some(PUSH_SIGN)), 0).unwrap();
    let message = events[0].as_message().expect("a message");
    assert_eq!(message.buyer.external_id, "1011822749");
    assert_eq!(message.platform_message_id, "24jFlAu0BtRbP47190");
    assert_eq!(message.platform_conversation_id.as_deref(), Some("100094063_2_1011822749_1_103"));
    assert_eq!(message.content, C::Text { text: "Is this in stock?".into() });
    assert_eq!(message.sent_at_ms, Some(1_700_000_000_000));
    // The push says nothing of an order or where the chat started.
    assert_eq!((&message.order, message.entry_point), (&None, None));
}

#[test]
fn bad_signatures_other_sellers_and_other_pushes() {
    let code = |shop: &ShopConnection, request: WebhookRequest| {
        Lazada.parse_webhook(shop, &request, 0).unwrap_err().code
    };
    assert_eq!(code(&shop(), delivery(PUSH, None)), "bad_signature");
    let tampered = PUSH.replace("stock?", "stock!");
    let tampered = delivery(&tampered, Some(PUSH_SIGN));
    assert_eq!(code(&shop(), tampered), "bad_signature");
    let other = ShopConnection { external_id: "1".into(), ..shop() };
    assert_eq!(code(&other, delivery(PUSH, Some(PUSH_SIGN))), "wrong_shop");
    let order = r#"{"seller_id":"100094063","message_type":0,"data":{"order_status":"unpaid","trade_order_id":"260422900198363"},"timestamp":1603766859530,"site":"lazada_vn"}"#;
    let sig = push_signature("100200", "sim-secret", order.as_bytes());
    let events = Lazada.parse_webhook(&shop(), &delivery(order, Some(&sig)), 0).unwrap();
    // Order pushes are not acted on (this adapter has no order look-up yet).
    assert!(matches!(&events[0], InboundEvent::Ignored { .. }), "{events:?}");
    let session = r#"{"seller_id":20240305,"message_type":19,"data":{}}"#;
    let sig = push_signature("100200", "sim-secret", session.as_bytes());
    let other = ShopConnection { external_id: "20240305".into(), ..shop() };
    assert!(matches!(
        &Lazada.parse_webhook(&other, &delivery(session, Some(&sig)), 0).unwrap()[0],
        InboundEvent::Ignored { .. }
    ));
    let seller = PUSH.replace(r#""from_account_type":1"#, r#""from_account_type":2"#);
    let sig = push_signature("100200", "sim-secret", seller.as_bytes());
    assert!(matches!(
        &Lazada.parse_webhook(&shop(), &delivery(&seller, Some(&sig)), 0).unwrap()[0],
        InboundEvent::Ignored { .. }
    ));
}

fn text(text: &str) -> C {
    C::Text { text: text.into() }
}

#[test]
fn templates_map_both_ways() {
    let product = |id: &str, title: &str| C::ProductCard {
        product_id: id.into(),
        title: title.into(),
        url: None,
        image_url: None,
        price: None,
    };
    let order = |id: &str| C::OrderCard { order_id: id.into(), status: None };
    let inbound = [
        (wire::ITEM, r#"{"itemId":1762013406,"title":"Mug"}"#, Some(product("1762013406", "Mug"))),
        (wire::ORDER, r#"{"orderId":"5"}"#, Some(order("5"))),
        (
            wire::IMAGE,
            r#"{"imgUrl":"https://i/x.jpg"}"#,
            Some(C::Image { url: "https://i/x.jpg".into() }),
        ),
        (wire::TEXT, "plain", Some(text("plain"))),
        (10010, "{}", None),
        (wire::ORDER, "{}", None),
    ];
    for (template, card, content) in inbound {
        assert_eq!(wire::inbound_content(template, card), content, "{card}");
    }
    let coupon = C::CouponCard { code: "91471122422003".into(), title: None, scope: None };
    let outbound = [
        (text("hi"), "template_id=1 txt=hi"),
        (C::Emoji { code: "😀".into() }, "template_id=4 txt=😀"),
        (product("9", "t"), "template_id=10006 item_id=9"),
        (order("7"), "template_id=10007 order_id=7"),
        (coupon, "template_id=10008 promotion_id=91471122422003"),
    ];
    for (content, expected) in outbound {
        let params = wire::outbound_params(&content).unwrap();
        let params: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(params.join(" "), expected);
    }
    let video = C::Video { url: "u".into() };
    let e = wire::outbound_params(&video).unwrap_err();
    assert_eq!(e.code, "unsupported_content");
    assert!(e.message.contains("cannot send `video`"), "{e}");
    let e = wire::outbound_params(&text("")).unwrap_err();
    assert_eq!(e.code, "bad_content");
    assert_eq!(e.message, "a `text` message without its `txt`");
}

fn answer(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        headers: vec![("retry-after".into(), "4".into())],
        body: body.as_bytes().to_vec(),
    }
}

#[test]
fn failures_are_classified_for_retries() {
    let ok = wire::reply(&answer(200, r#"{"code":"0","data":{"message_id":"m"},"success":true}"#))
        .unwrap();
    assert_eq!(ok["data"]["message_id"], "m");
    let e = wire::reply(&answer(200, r#"{"type":"ISV","code":"IllegalAccessToken","message":"The specified access token is invalid or expired"}"#)).unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("token_expired", false));
    let e =
        wire::reply(&answer(200, r#"{"type":"ISV","code":"IncompleteSignature","message":"bad"}"#))
            .unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("lazada_IncompleteSignature", false));
    assert!(
        wire::reply(&answer(200, r#"{"type":"ISP","code":"E006","message":"System Error"}"#))
            .unwrap_err()
            .retryable
    );
    assert_eq!(
        wire::reply(&answer(200, r#"{"code":"ApiCallLimit","type":"ISV"}"#)).unwrap_err().code,
        "rate_limited"
    );
    let e = wire::reply(&answer(429, "{}")).unwrap_err();
    assert_eq!((e.retryable, e.retry_after_ms), (true, Some(4000)));
    assert!(wire::reply(&answer(503, "")).unwrap_err().retryable);
    let e = wire::reply(&answer(
        200,
        r#"{"code":"0","success":false,"err_code":"2","err_message":"no session"}"#,
    ))
    .unwrap_err();
    assert_eq!((e.code.as_str(), e.retryable), ("lazada_2", false));
    assert!(!wire::reply(&answer(200, "<html>")).unwrap_err().retryable);
}

#[test]
fn picture_sizes_from_their_first_bytes() {
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    png.extend([0, 0, 2, 128, 0, 0, 1, 224]);
    assert_eq!(wire::image_size(&png), Some((640, 480)));
    // GIF and WebP are not measured (README: pictures must be PNG or JPEG).
    assert_eq!(wire::image_size(b"GIF89a\x10\x00\x20\x00"), None);
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 17, 8, 0, 100, 0, 200];
    assert_eq!(wire::image_size(&jpeg), Some((200, 100)));
    assert_eq!(wire::image_size(b"RIFF....WEBP"), None);
    assert_eq!(wire::image_size(&jpeg[..12]), None);
}

#[test]
fn the_rule_set() {
    let rules = crate::rule_set();
    assert_eq!(rules.platform, "lazada");
    assert_eq!(Lazada.platform(), &rules.platform);
    let caps = Lazada.capabilities();
    assert!(caps.webhooks && caps.sends && caps.polls && caps.marks_read);
    assert!(!caps.order_look_up && !caps.vets_outbound && !caps.order_cards);
    // rule: LZ-INIT-1 — a seller starts a chat from an order of the last 30 days.
    assert_eq!(
        rules.initiate[0].any_of[0].condition,
        Condition::OrderWithin { within: Span::days(30) }
    );
    assert_eq!(rules.initiate_from_order.as_deref(), Some("LZ-INIT-1"));
    // rule: LZ-MSG-1 — no video (it needs an upload).
    let kinds = rules.outbound_kinds.as_ref().unwrap();
    assert!(
        kinds.allowed.contains(&ContentKind::CouponCard)
            && !kinds.allowed.contains(&ContentKind::Video)
    );
    assert!(rules.reply.is_empty() && rules.timers.is_empty());
    assert_eq!(rules.rule_ids(), ["LZ-INIT-1", "LZ-MSG-1"]);
    assert_eq!(wire::gateway("th").as_deref(), Some("https://api.lazada.co.th/rest"));
    assert_eq!(wire::gateway("XX"), None);
}
