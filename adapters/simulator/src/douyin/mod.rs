//! A local Douyin shop (抖店) open platform: the signed request envelope, tokens, order
//! detail, and signed message pushes (platform-apis.md §4).
//!
//! **There is no buyer-chat API to simulate.** Feige (飞鸽) IM has no open API and no push
//! tag (§4.4), so this simulator has no conversations, messages, sends or read marks, and
//! pushes carry order/refund events only. It covers what an adapter can really call:
//!
//! | method | path |
//! |---|---|
//! | `token.create` (`authorization_self` + `shop_id`, or `authorization_code` + `code`) | `POST /token/create` |
//! | `token.refresh` | `POST /token/refresh` |
//! | `order.orderDetail` (`shop_order_id`) | `POST /order/orderDetail` |
//! | `product.listV2` (`page`, `size`, `name`, `status`, `check_status`, `product_id`) | `POST /product/listV2` |
//!
//! Every call is checked in this order, the first failure answering (codes in [`codes`]):
//! `app_key`; `method` present, well-formed and equal to the path; `v=2`; `timestamp`
//! (Unix seconds or `yyyy-MM-dd HH:mm:ss` GMT+8) within the tolerance of the simulator's
//! clock; `sign_method` (`hmac-sha256`, `md5`, or absent meaning md5); `sign` equal to the
//! §4.2 signature of the exact body received as `param_json` ([`sign::request_sign`]); the
//! body a JSON object; the method known; and, except for `token.*`, `access_token` live and
//! unexpired. Tokens belong to a shop; creating or refreshing issues a new pair and revokes
//! the old one.
//!
//! `product.listV2` pages the token's shop's products (`page` from 1 to 100, `size` 1 to
//! 100, `page * size` at most 10 000, both required, as the official SDK's parameter
//! class says), newest first (chosen); `name` matches titles as a substring (the platform
//! says only "fuzzy"), `status` and `check_status` filter exactly. Products are seeded in
//! [`Shop::products`] or with `SimHandle::add_product`.
//!
//! Pushes (`SimHandle::push`, `push_batch`, `push_in_one_body`, `push_trade_create`,
//! `push_test_message`) POST a JSON array of `{tag, msg_id, data}` with `data` a JSON
//! string, headers `app-id` and `event-sign` ([`sign::push_sign`]).
//!
//! Both signatures are the simulator's own ([`sign`]), written from Douyin's documents, so
//! an adapter that signs wrongly is refused here; method names and push tags are in
//! [`wire`].

mod api;
mod auth;
mod authorize;
pub mod codes;
mod push;
mod shared;
pub mod sign;
pub mod wire;

use std::time::Duration;

use chrono::TimeDelta;
use serde_json::Value;

use crate::faults::Faults;
use crate::{Clock, SimError, lock, system_clock};
use shared::Shared;

/// How the Douyin simulator starts.
#[derive(Clone)]
pub struct SimConfig {
    /// The app's `app_key` (19 digits on the real platform).
    pub app_key: String,
    /// The app's `app_secret`.
    pub app_secret: String,
    /// The shops that authorized the app.
    pub shops: Vec<Shop>,
    /// The simulator's clock.
    pub clock: Clock,
    /// How far a request `timestamp` may be from the clock, either way (default 10 minutes,
    /// §4.1).
    pub timestamp_tolerance: TimeDelta,
    /// Lifetime of access tokens (default 7 days).
    pub access_token_ttl: TimeDelta,
    /// Lifetime of refresh tokens (default 14 days).
    pub refresh_token_ttl: TimeDelta,
    /// Where pushes are POSTed; settable later.
    pub push_url: Option<String>,
    /// Timeout of one push POST (default 10 s).
    pub push_timeout: Duration,
    /// Faults in force from the start.
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            app_key: "7000000000000000001".to_owned(),
            app_secret: "sim-douyin-secret".to_owned(),
            shops: vec![Shop::default()],
            clock: system_clock(),
            timestamp_tolerance: TimeDelta::minutes(10),
            access_token_ttl: TimeDelta::days(7),
            refresh_token_ttl: TimeDelta::days(14),
            push_url: None,
            push_timeout: Duration::from_secs(10),
            faults: Faults::default(),
        }
    }
}

/// A shop that authorized the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    /// `shop_id`.
    pub shop_id: String,
    /// `shop_name`.
    pub shop_name: String,
    /// The access token valid at start.
    pub access_token: String,
    /// The refresh token valid at start.
    pub refresh_token: String,
    /// An authorization `code` that `token.create` (`authorization_code`) accepts.
    pub auth_code: Option<String>,
    /// The shop's orders.
    pub orders: Vec<Order>,
    /// The shop's products.
    pub products: Vec<Product>,
}

impl Default for Shop {
    fn default() -> Shop {
        Shop {
            shop_id: "12345".to_owned(),
            shop_name: "Sim Douyin Shop".to_owned(),
            access_token: "sim-douyin-access-seed".to_owned(),
            refresh_token: "sim-douyin-refresh-seed".to_owned(),
            auth_code: Some("sim-auth-code".to_owned()),
            orders: vec![Order::default()],
            products: Vec::new(),
        }
    }
}

/// A product of the shop, with the subset of `product.listV2` fields the simulator
/// answers (prices in fen, times in Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// `product_id`.
    pub product_id: String,
    /// `name`, the title.
    pub name: String,
    /// `status`: 0 on sale, 1 off sale, 2 deleted.
    pub status: i64,
    /// `check_status`: 3 approved.
    pub check_status: i64,
    /// `discount_price`, the selling price.
    pub discount_price: i64,
    /// `market_price`.
    pub market_price: i64,
    /// `img`.
    pub img: String,
    /// `create_time`.
    pub create_time: i64,
}

impl Product {
    /// An approved product on sale at 59.00 CNY.
    pub fn new(product_id: &str, name: &str, create_time: i64) -> Product {
        Product {
            product_id: product_id.to_owned(),
            name: name.to_owned(),
            status: 0,
            check_status: 3,
            discount_price: 5900,
            market_price: 6900,
            img: format!("https://p3-sim.douyin.invalid/img/{product_id}.jpg"),
            create_time,
        }
    }
}

/// A shop order, with the subset of `order.orderDetail` fields the simulator answers
/// (amounts in fen, times in Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// `order_id` (the shop order id).
    pub order_id: String,
    /// `order_status`.
    pub order_status: i64,
    /// `order_status_desc`.
    pub order_status_desc: String,
    /// `create_time`.
    pub create_time: i64,
    /// `update_time`.
    pub update_time: i64,
    /// `order_amount`.
    pub order_amount: i64,
    /// `pay_amount`.
    pub pay_amount: i64,
    /// `doudian_open_id`, the buyer's app-scoped id.
    pub doudian_open_id: String,
    /// `buyer_words`, the buyer's note.
    pub buyer_words: String,
    /// `sku_order_list`.
    pub items: Vec<OrderItem>,
    /// `logistics_info[].tracking_no` once shipped (one parcel).
    pub tracking_no: Option<String>,
}

impl Default for Order {
    fn default() -> Order {
        Order {
            order_id: "4781320682406083640".to_owned(),
            order_status: 2,
            order_status_desc: "待发货".to_owned(),
            create_time: 1_700_000_000,
            update_time: 1_700_000_060,
            order_amount: 5900,
            pay_amount: 5900,
            doudian_open_id: "sim-doudian-open-id-1".to_owned(),
            buyer_words: String::new(),
            items: vec![OrderItem::default()],
            tracking_no: None,
        }
    }
}

/// One SKU line of an order (`sku_order_list[]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    /// `order_id` of the SKU order.
    pub order_id: String,
    /// `product_id`.
    pub product_id: String,
    /// `product_name`.
    pub product_name: String,
    /// `sku_id`.
    pub sku_id: String,
    /// `item_num`.
    pub item_num: i64,
    /// `pay_amount`.
    pub pay_amount: i64,
}

impl Default for OrderItem {
    fn default() -> OrderItem {
        OrderItem {
            order_id: "4781320682406083641".to_owned(),
            product_id: "3600000000000000001".to_owned(),
            product_name: "Sim product".to_owned(),
            sku_id: "1700000000000000001".to_owned(),
            item_num: 1,
            pay_amount: 5900,
        }
    }
}

/// One message of a push: a `tag` and its `data` object (sent as a JSON string).
#[derive(Debug, Clone, PartialEq)]
pub struct PushEvent {
    /// `tag`, e.g. `"100"`; see [`wire::push_tag`].
    pub tag: String,
    /// The payload; serialized into the `data` string.
    pub data: Value,
}

impl PushEvent {
    /// Any tag with its payload.
    pub fn new(tag: &str, data: Value) -> PushEvent {
        PushEvent { tag: tag.to_owned(), data }
    }

    /// Tag 100 (trade created) for `order` of `shop_id`: `p_id`, `s_ids`, `shop_id`,
    /// `order_status`, `order_type`, `biz`, `create_time`, ids as numbers.
    pub fn trade_create(shop_id: &str, order: &Order) -> PushEvent {
        let s_ids: Vec<Value> =
            order.items.iter().map(|item| crate::id_value(&item.order_id)).collect();
        PushEvent::new(
            wire::push_tag::TRADE_CREATE,
            serde_json::json!({
                "p_id": crate::id_value(&order.order_id),
                "s_ids": s_ids,
                "shop_id": crate::id_value(shop_id),
                "order_status": order.order_status,
                "order_type": 0,
                "biz": 2,
                "create_time": order.create_time,
            }),
        )
    }
}

/// Starts Douyin simulators: `DouyinSim::start(config)` binds `127.0.0.1:0` and serves the
/// simulated API until the handle is dropped.
pub type DouyinSim = crate::handle::Starter<Shared>;

/// A running Douyin simulator. Dropping it stops the server.
pub type SimHandle = crate::handle::SimHandle<Shared>;

impl SimHandle {
    /// The shop's current access token.
    pub fn access_token(&self, shop_id: &str) -> Option<String> {
        let state = lock(&self.shared.state);
        let pair = state.tokens.current(shop_id);
        pair.map(|pair| pair.access_token.clone())
    }

    /// The shop's current refresh token.
    pub fn refresh_token(&self, shop_id: &str) -> Option<String> {
        let state = lock(&self.shared.state);
        let pair = state.tokens.current(shop_id);
        pair.map(|pair| pair.refresh_token.clone())
    }

    /// Sets (or clears) where pushes go (the same as `set_webhook_url`).
    pub fn set_push_url(&self, url: Option<String>) {
        self.set_webhook_url(url);
    }

    /// Adds (or replaces, by `order_id`) an order of the shop.
    pub fn add_order(&self, shop_id: &str, order: Order) -> Result<(), SimError> {
        self.shared.known_shop(shop_id)?;
        lock(&self.shared.state).orders.put(shop_id, order);
        Ok(())
    }

    /// Adds (or replaces, by `product_id`) a product of the shop.
    pub fn add_product(&self, shop_id: &str, product: Product) -> Result<(), SimError> {
        self.shared.known_shop(shop_id)?;
        lock(&self.shared.state).products.put(shop_id, product);
        Ok(())
    }
}
