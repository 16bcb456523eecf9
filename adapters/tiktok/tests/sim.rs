//! The TikTok adapter against the TikTok simulator, over real HTTP: image replies fetched,
//! uploaded (multipart, its body outside the signature) and sent as IMAGE; videos refused
//! with the reason; and the workbench's look-ups (TT-WB-1): the buyer's orders in this
//! shop, one order, and the shop's active products.
//!
//! The adapter is blocking, as the daemon calls it: it runs on the test thread through a
//! `BlockingHost` that drives reqwest on the simulator's tokio runtime, keeps its key-value
//! state in memory, and serves "the web" (where images live) from memory.

use chrono::{TimeDelta, TimeZone, Utc};
use serde_json::{Value, json};
use shopmux_adapter_tiktok::adapter::TikTok;
use shopmux_adapter_tiktok::wire::{self, AppCredentials, RequestContext, ShopSession};
use shopmux_contract::adapter::{
    Adapter, AdapterError, Host, HttpRequest, MessageContent, OutboundMessage, ProductPage,
    ProductQuery, SendReceipt, ShopConnection,
};
use shopmux_simulator::tiktok::{Buyer, Order, Product, SimConfig, SimHandle, TikTokSim, codes};
use shopmux_simulator::{BlockingHost, ManualClock};

const SHOP: &str = "7494049642642441621";
const T0: i64 = 1_700_000_000;

/// The simulator, the host and the shop connection. Fields drop in order: the server
/// before its runtime.
struct Fixture {
    sim: SimHandle,
    host: BlockingHost,
    shop: ShopConnection,
    app: AppCredentials,
    _runtime: tokio::runtime::Runtime,
}

fn fixture() -> Fixture {
    let runtime = shopmux_simulator::runtime();
    let clock = ManualClock::at_unix(T0);
    let config = SimConfig { clock: clock.clock(), ..SimConfig::default() };
    let app =
        AppCredentials { app_key: config.app_key.clone(), app_secret: config.app_secret.clone() };
    let sim = runtime.block_on(TikTokSim::start(config)).expect("starts");
    let access_token = sim.access_token(SHOP).expect("token");
    let shop_cipher = sim.shop_cipher(SHOP).expect("cipher");
    let credentials = [
        ("app_key", app.app_key.as_str()),
        ("app_secret", app.app_secret.as_str()),
        ("access_token", access_token.as_str()),
        ("shop_cipher", shop_cipher.as_str()),
    ];
    let shop = ShopConnection {
        region: "GB".into(),
        api_base: Some(sim.base_url()),
        ..ShopConnection::with_credentials(SHOP, &credentials)
    };
    let host = BlockingHost::new(runtime.handle().clone(), clock).expect("host");
    Fixture { sim, host, shop, app, _runtime: runtime }
}

impl Fixture {
    /// A conversation of the buyer with TikTok user id `user_id` (`9{user_id}` in chats).
    fn conversation(&self, user_id: &str) -> String {
        self.sim.add_conversation(SHOP, &Buyer::new(user_id)).expect("conversation")
    }

    /// Gives the shop a refresh token and TikTok's auth host, then lets the seed access
    /// token (it lives 7 days) expire.
    fn expire_access_token(&mut self) {
        let refresh_token = self.sim.refresh_token(SHOP).expect("refresh token");
        let credentials = &mut self.shop.credentials;
        credentials.insert("refresh_token".into(), refresh_token);
        credentials.insert("auth_base".into(), self.sim.base_url());
        self.host.clock().advance(TimeDelta::days(8));
    }

    /// Sends `content` to the buyer `97001` in `conversation`.
    fn reply(
        &self, conversation: &str, content: MessageContent,
    ) -> Result<SendReceipt, AdapterError> {
        let message = OutboundMessage {
            idempotency_key: "m-1".into(),
            buyer_external_id: "97001".into(),
            buyer_email: None,
            platform_conversation_id: Some(conversation.to_owned()),
            content,
        };
        TikTok.send(&self.host, &self.shop, &message)
    }

    /// The shop's products matching `query`.
    fn search(&self, query: ProductQuery) -> Result<ProductPage, AdapterError> {
        TikTok.search_products(&self.host, &self.shop, &query)
    }

    /// How many requests the simulator got on `path`.
    fn hits(&self, path: &str) -> usize {
        self.sim.requests().iter().filter(|request| request.path == path).count()
    }
}

/// A PNG signature and IHDR chunk: what the upload reads the size from.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend_from_slice(&width.to_be_bytes());
    bytes.extend_from_slice(&height.to_be_bytes());
    bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0x9A, 0x9C, 0x18, 0x00]);
    bytes
}

/// An image reply's content.
fn image_at(url: &str) -> MessageContent {
    MessageContent::Image { url: url.into() }
}

const UPLOAD: &str = "/customer_service/202309/images/upload";
const CONVERSATIONS: &str = "/customer_service/202309/conversations";

#[test]
fn an_image_reply_is_fetched_uploaded_and_sent_as_image() {
    let fx = fixture();
    let conversation = fx.conversation("7001");
    let image = png(640, 480);
    fx.host.serve("https://cdn.example/mug.png", 200, &image);

    let receipt = fx.reply(&conversation, image_at("https://cdn.example/mug.png")).expect("sent");

    let uploads = fx.sim.uploaded_images();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].bytes, image, "the exact bytes reach TikTok");
    assert_eq!(uploads[0].mime, "image/png");
    let sent = fx.sim.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].kind, "IMAGE");
    assert_eq!(receipt.platform_message_id, Some(sent[0].message_id.clone()));
    let content: Value = serde_json::from_str(&sent[0].content).expect("content JSON");
    assert_eq!(content, json!({"url": uploads[0].url, "width": 640, "height": 480}));
    // Upload first, then the message.
    let paths: Vec<String> = fx.sim.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, vec![UPLOAD.to_owned(), format!("{CONVERSATIONS}/{conversation}/messages")]);

    // The simulator takes no IMAGE whose URL the shop did not upload, as TikTok asks.
    let session = ShopSession {
        access_token: fx.shop.credentials["access_token"].clone(),
        shop_cipher: fx.shop.credentials["shop_cipher"].clone(),
    };
    let base = fx.sim.base_url();
    let ctx = RequestContext {
        host: &base,
        credentials: &fx.app,
        shop: &session,
        now: Utc.timestamp_opt(T0, 0).single().expect("valid"),
    };
    let foreign = wire::send_message(
        &ctx,
        &conversation,
        &wire::OutboundMessage::Image {
            url: "https://cdn.example/mug.png".into(),
            width: 640,
            height: 480,
        },
        None,
    )
    .expect("builds");
    let answer = fx
        .host
        .http(HttpRequest {
            method: "POST".into(),
            url: foreign.url(),
            headers: foreign.headers.clone(),
            body: foreign.body.clone(),
            timeout_ms: None,
        })
        .expect("answered");
    let answer: Value = serde_json::from_slice(&answer.body).expect("JSON");
    assert_eq!(answer["code"], json!(codes::INVALID_MESSAGE));
}

#[test]
fn videos_and_unusable_images_fail_with_the_reason() {
    let fx = fixture();
    let conversation = fx.conversation("7001");
    let send = |content: MessageContent| fx.reply(&conversation, content).expect_err("refused");

    let video = send(MessageContent::Video { url: "https://cdn.example/a.mp4".into() });
    assert_eq!((video.code.as_str(), video.retryable), ("unsupported_content", false));
    assert!(video.message.contains("vid") && video.message.contains("video upload"), "{video}");

    fx.host.serve("https://cdn.example/gone.png", 404, b"");
    let gone = send(image_at("https://cdn.example/gone.png"));
    assert_eq!((gone.code.as_str(), gone.retryable), ("media_http_404", false));

    fx.host.serve("https://cdn.example/busy.png", 503, b"");
    let busy = send(image_at("https://cdn.example/busy.png"));
    assert_eq!((busy.code.as_str(), busy.retryable), ("media_http_503", true));

    fx.host.serve("https://cdn.example/page.png", 200, b"<html>not an image</html>");
    let page = send(image_at("https://cdn.example/page.png"));
    assert_eq!((page.code.as_str(), page.retryable), ("unsupported_media_type", false));

    let local = send(image_at("file:///etc/passwd"));
    assert_eq!(local.code, "bad_media_url");

    assert!(fx.sim.requests().is_empty(), "nothing reached TikTok");
    assert!(fx.sim.sent_messages().is_empty());
}

#[test]
fn an_expired_token_during_an_image_send_is_refreshed_and_the_upload_retried() {
    let mut fx = fixture();
    let conversation = fx.conversation("7001");
    fx.expire_access_token();
    fx.host.serve("https://cdn.example/mug.png", 200, &png(32, 16));
    let receipt = fx
        .reply(&conversation, image_at("https://cdn.example/mug.png"))
        .expect("sent after a refresh");
    let renewed = receipt.refreshed_credentials.expect("new tokens returned");
    assert_eq!(renewed.get("access_token"), fx.sim.access_token(SHOP).as_ref());
    assert_eq!(fx.sim.uploaded_images().len(), 1);
    assert_eq!(fx.sim.sent_messages()[0].kind, "IMAGE");
}

#[test]
fn tt_wb_1_buyer_panel_lists_only_this_buyers_orders_newest_first() {
    let fx = fixture();
    fx.conversation("7001");
    fx.conversation("7002");
    let day = 86_400;
    fx.sim.add_order(SHOP, Order::new("5761", "7001", T0 - 3 * day)).expect("order");
    fx.sim
        .add_order(
            SHOP,
            Order {
                status: "COMPLETED".into(),
                total_amount: "30.00".into(),
                ..Order::new("5762", "7001", T0 - day)
            },
        )
        .expect("order");
    fx.sim.add_order(SHOP, Order::new("5763", "7002", T0 - 2 * day)).expect("order");

    // The inbox knows the buyer by the chat's id, `9{user_id}` in the simulator.
    let profile = TikTok.fetch_buyer(&fx.host, &fx.shop, "97001").expect("profile");
    assert_eq!(profile.external_id, "97001");
    assert_eq!(profile.nickname.as_deref(), Some("buyer-7001"));
    let ids: Vec<&str> = profile.orders.iter().map(|o| o.external_id.as_str()).collect();
    assert_eq!(ids, ["5762", "5761"], "only theirs, newest first");
    assert_eq!(profile.orders_count, Some(2));
    let newest = &profile.orders[0];
    assert_eq!(newest.buyer.external_id, "97001");
    assert_eq!(newest.created_at_ms, Some((T0 - day) * 1000));
    assert_eq!(newest.status.as_deref(), Some("COMPLETED"));
    assert_eq!(newest.total.as_deref(), Some("30.00 GBP"));

    // The chat id → order id link is remembered: the next look-up lists no
    // conversations.
    assert!(
        fx.host
            .kv(&format!("buyer:{SHOP}:97001"))
            .is_some_and(|v| v.contains("\"user_id\":\"7001\""))
    );
    let listed = fx.hits(CONVERSATIONS);
    TikTok.fetch_buyer(&fx.host, &fx.shop, "97001").expect("profile");
    assert_eq!(fx.hits(CONVERSATIONS), listed);

    let unknown =
        TikTok.fetch_buyer(&fx.host, &fx.shop, "99999").expect_err("no conversation names them");
    assert_eq!((unknown.code.as_str(), unknown.retryable), ("unknown_buyer", false));
}

#[test]
fn tt_wb_1_an_order_names_the_chat_buyer_when_they_chatted() {
    let fx = fixture();
    fx.conversation("7001");
    fx.sim.add_order(SHOP, Order::new("5761", "7001", T0 - 60)).expect("order");
    fx.sim.add_order(SHOP, Order::new("5770", "8800", T0 - 60)).expect("order");

    let order = TikTok.fetch_order(&fx.host, &fx.shop, "5761").expect("order");
    assert_eq!(order.external_id, "5761");
    assert_eq!(order.buyer.external_id, "97001");
    assert_eq!(order.buyer.nickname.as_deref(), Some("buyer-7001"));
    assert_eq!(order.status.as_deref(), Some("AWAITING_SHIPMENT"));
    assert_eq!(order.total.as_deref(), Some("12.50 GBP"));

    // A buyer who never chatted keeps the order's user id.
    let silent = TikTok.fetch_order(&fx.host, &fx.shop, "5770").expect("order");
    assert_eq!(silent.buyer.external_id, "8800");

    let missing = TikTok.fetch_order(&fx.host, &fx.shop, "404").expect_err("no such order");
    assert_eq!(missing.code, "order_not_found");
    let bad = TikTok.fetch_order(&fx.host, &fx.shop, "1,2").expect_err("not an id");
    assert_eq!(bad.code, "bad_request");
}

#[test]
fn tt_wb_1_active_products_only_when_asked_with_title_search_and_paging() {
    let fx = fixture();
    let products = [
        ("1001", "Blue mug", "ACTIVATE", T0 - 50),
        ("1002", "Red mug", "SELLER_DEACTIVATED", T0 - 40),
        ("1003", "Teapot", "ACTIVATE", T0 - 30),
        ("1004", "Green MUG large", "ACTIVATE", T0 - 20),
        ("1005", "Mug draft", "DRAFT", T0 - 10),
    ];
    for (id, title, status, created) in products {
        fx.sim.add_product(SHOP, Product::new(id, title, status, created)).expect("product");
    }
    let search = |query: ProductQuery| fx.search(query).expect("searched");

    let active = search(ProductQuery { active_only: true, ..ProductQuery::default() });
    let ids: Vec<&str> = active.products.iter().map(|p| p.external_id.as_str()).collect();
    assert_eq!(ids, ["1004", "1003", "1001"]);
    assert!(active.products.iter().all(|p| p.active));
    assert_eq!(active.next_cursor, None);
    let first = &active.products[0];
    assert_eq!(first.price.as_deref(), Some("12.50 GBP"));
    assert_eq!(first.stock, Some(5));
    assert_eq!(first.url.as_deref(), Some("https://shop.tiktok.com/view/product/1004"));

    let all = search(ProductQuery::default());
    assert_eq!(all.products.len(), 5);
    assert_eq!(all.products.iter().filter(|p| !p.active).count(), 2);

    // Titles are matched word by word, ignoring case, one product per page.
    let mut titles = Vec::new();
    let mut cursor = None;
    for _ in 0..5 {
        let page = search(ProductQuery {
            text: Some("mug".into()),
            active_only: true,
            page_size: 1,
            cursor: cursor.clone(),
        });
        assert!(page.products.len() <= 1);
        titles.extend(page.products.into_iter().map(|p| p.title));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(titles, ["Green MUG large", "Blue mug"]);
    assert_eq!(cursor, None);

    let foreign_cursor =
        ProductQuery { cursor: Some("not-ours".into()), ..ProductQuery::default() };
    let bad = fx.search(foreign_cursor).expect_err("bad cursor");
    assert_eq!(bad.code, "bad_cursor");
}

#[test]
fn an_expired_token_is_renewed_on_a_look_up_and_kept_for_later_calls() {
    let mut fx = fixture();
    fx.conversation("7001");
    // Expired now, and no send will ever renew it.
    fx.expire_access_token();
    let query = ProductQuery { page_size: 10, ..Default::default() };
    fx.search(query.clone()).expect("answered after a refresh");
    assert_eq!(fx.hits("/api/v2/token/refresh"), 1);
    let kept = fx.host.kv(&format!("tokens:{}", fx.shop.external_id));
    assert!(
        kept.as_deref().is_some_and(|k| k.contains(fx.sim.access_token(SHOP).unwrap().as_str())),
        "{kept:?}"
    );
    // A poll and another look-up use the kept token: no second refresh.
    TikTok.poll(&fx.host, &fx.shop, None).expect("polled");
    fx.search(query.clone()).expect("answered");
    assert_eq!(fx.hits("/api/v2/token/refresh"), 1);
    // New credentials from the operator win over the kept pair: with a token the
    // platform does not know (and no refresh token), the call fails instead of quietly
    // using the kept one.
    fx.shop.credentials.insert("access_token".into(), "operator-new-token".into());
    fx.shop.credentials.remove("refresh_token");
    fx.search(query).expect_err("the simulator does not know that token");
}
