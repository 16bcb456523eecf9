//! A local TikTok Shop Partner API: customer service, authorized shops, token refresh, and
//! signed webhooks (platform-apis.md §1).
//!
//! Served on one `127.0.0.1` port (API host and auth host alike):
//!
//! | call | method + path |
//! |---|---|
//! | list conversations | `GET /customer_service/202309/conversations` |
//! | create conversation | `POST /customer_service/202309/conversations` |
//! | list messages | `GET /customer_service/202309/conversations/{id}/messages` |
//! | send message | `POST /customer_service/202309/conversations/{id}/messages` |
//! | mark read | `POST /customer_service/202309/conversations/{id}/messages/read` |
//! | upload chat image (multipart) | `POST /customer_service/202309/images/upload` |
//! | Get Order List | `POST /order/202309/orders/search` |
//! | Get Order Detail | `GET /order/202309/orders?ids=…` |
//! | Search Products | `POST /product/202309/products/search` |
//! | authorized shops | `GET /authorization/202309/shops` |
//! | token refresh (auth host) | `GET /api/v2/token/refresh` |
//! | code exchange (auth host) | `GET /api/v2/token/get` |
//! | seller authorization page, consent | `GET /open/authorize`, `GET /open/authorize/consent` |
//! | webhook subscription | `PUT /event/202309/webhooks` |
//!
//! Every API call is checked in this order, the first failure answering (codes in
//! [`codes`]): `app_key`, `sign` present, `timestamp` within the tolerance of the
//! simulator's clock, `sign` equal to the §1.2 signature of the exact path, query and body
//! received, `x-tts-access-token` live and unexpired, and `shop_cipher` present and the
//! token's (absent on authorized shops). A `multipart/form-data` body takes no part in the
//! signature (§1.2), every other body does. An IMAGE message must carry the `url` of an
//! image the shop uploaded. Orders and products are seeded with `SimHandle::add_order`
//! and `SimHandle::add_product`. The token refresh checks `app_key`, `app_secret`,
//! `grant_type=refresh_token` and the refresh token; it issues a new pair and revokes the
//! old one.
//!
//! Webhooks (`SimHandle::push_new_message`, `SimHandle::push_new_conversation`) are the
//! §1.5 envelope, signed in `Authorization` with [`sign::webhook_signature`].
//!
//! Both signatures are the simulator's own ([`sign`]), written from TikTok's documents and
//! tested on TikTok's published examples, so an adapter that signs wrongly is refused here.

mod api;
mod auth;
mod catalog;
pub mod codes;
mod connect;
mod media;
mod shared;
pub mod sign;
mod state;
mod webhook;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::faults::Faults;
use crate::{Clock, SimError, lock, system_clock};
use shared::Shared;

/// How the TikTok simulator starts.
#[derive(Clone)]
pub struct SimConfig {
    /// The app's `app_key`.
    pub app_key: String,
    /// The app's `app_secret`, the signing key.
    pub app_secret: String,
    /// The sellers that authorized the app, with their shops.
    pub sellers: Vec<Seller>,
    /// The simulator's clock.
    pub clock: Clock,
    /// How far a request `timestamp` may be from the clock, either way (default 5 minutes,
    /// §1.1).
    pub timestamp_tolerance: TimeDelta,
    /// Lifetime of access tokens, counted from start or issue (default 7 days).
    pub access_token_ttl: TimeDelta,
    /// Lifetime of refresh tokens (default 365 days).
    pub refresh_token_ttl: TimeDelta,
    /// Where webhooks are POSTed; settable later.
    pub webhook_url: Option<String>,
    /// Timeout of one webhook POST (default 10 s).
    pub webhook_timeout: Duration,
    /// Faults in force from the start.
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            app_key: "sim_app_key".to_owned(),
            app_secret: "sim_app_secret".to_owned(),
            sellers: vec![Seller::default()],
            clock: system_clock(),
            timestamp_tolerance: TimeDelta::minutes(5),
            access_token_ttl: TimeDelta::days(7),
            refresh_token_ttl: TimeDelta::days(365),
            webhook_url: None,
            webhook_timeout: Duration::from_secs(10),
            faults: Faults::default(),
        }
    }
}

/// A seller account that authorized the app: one token pair, one or more shops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    /// `open_id`.
    pub open_id: String,
    /// `seller_name`.
    pub seller_name: String,
    /// `seller_base_region`.
    pub region: String,
    /// The access token valid at start.
    pub access_token: String,
    /// The refresh token valid at start.
    pub refresh_token: String,
    /// The seller's shops.
    pub shops: Vec<Shop>,
}

impl Default for Seller {
    fn default() -> Seller {
        Seller {
            open_id: "sim_open_id_1".to_owned(),
            seller_name: "Sim Seller".to_owned(),
            region: "GB".to_owned(),
            access_token: "TTP_sim_access_seed".to_owned(),
            refresh_token: "TTP_sim_refresh_seed".to_owned(),
            shops: vec![Shop::default()],
        }
    }
}

/// One shop, as Get Authorized Shops lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    /// `id`.
    pub id: String,
    /// `name`.
    pub name: String,
    /// `region`.
    pub region: String,
    /// `cipher`, the `shop_cipher` of shop-scoped calls.
    pub cipher: String,
    /// `code`.
    pub code: String,
}

impl Default for Shop {
    fn default() -> Shop {
        Shop {
            id: "7494049642642441621".to_owned(),
            name: "Sim Shop".to_owned(),
            region: "GB".to_owned(),
            cipher: "GCP_sim_cipher_1".to_owned(),
            code: "GBLCSIM001".to_owned(),
        }
    }
}

/// A buyer, as a conversation participant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    /// `user_id`, the id orders carry.
    pub user_id: String,
    /// `im_user_id`.
    pub im_user_id: String,
    /// `nickname`.
    pub nickname: String,
}

impl Buyer {
    /// A buyer with `user_id`, IM id `9{user_id}` and nickname `buyer-{user_id}`.
    pub fn new(user_id: &str) -> Buyer {
        Buyer {
            user_id: user_id.to_owned(),
            im_user_id: format!("9{user_id}"),
            nickname: format!("buyer-{user_id}"),
        }
    }
}

/// A message a buyer sends: a §1.4 `type` and its `content` JSON string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerMessage {
    /// `type`, e.g. `TEXT`, `ORDER_CARD`, `BUYER_ENTER_FROM_PRODUCT`.
    pub kind: String,
    /// `content`, the JSON string for that type.
    pub content: String,
}

impl BuyerMessage {
    /// A TEXT message.
    pub fn text(text: &str) -> BuyerMessage {
        BuyerMessage {
            kind: "TEXT".to_owned(),
            content: serde_json::json!({ "content": text }).to_string(),
        }
    }

    /// Any type with its content JSON.
    pub fn new(kind: &str, content: &str) -> BuyerMessage {
        BuyerMessage { kind: kind.to_owned(), content: content.to_owned() }
    }
}

/// A send message call the simulator accepted (stored), whatever answer the client got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// Shop id.
    pub shop_id: String,
    /// Conversation id.
    pub conversation_id: String,
    /// The `message_id` assigned.
    pub message_id: String,
    /// `type` as sent.
    pub kind: String,
    /// `content` as sent.
    pub content: String,
    /// `sender_role` as sent, if any.
    pub sender_role: Option<String>,
    /// When it was accepted (simulator clock).
    pub accepted_at: DateTime<Utc>,
}

/// A copy of one conversation, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationSnapshot {
    /// Conversation id.
    pub id: String,
    /// Shop id.
    pub shop_id: String,
    /// The buyer.
    pub buyer: Buyer,
    /// Buyer messages not yet marked read.
    pub unread_count: u32,
    /// Whether the shop may send.
    pub can_send_message: bool,
    /// Messages, oldest first.
    pub messages: Vec<MessageSnapshot>,
}

/// A copy of one message, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSnapshot {
    /// Message id.
    pub id: String,
    /// `type`.
    pub kind: String,
    /// `content`.
    pub content: String,
    /// `create_time`, Unix seconds.
    pub create_time: i64,
    /// Sender role: `BUYER`, `CUSTOMER_SERVICE`, `SYSTEM` or `ROBOT`.
    pub sender_role: String,
}

/// An order of a shop, with the subset of the Order API's fields the simulator answers
/// (prices are decimal strings, times Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// `id`.
    pub id: String,
    /// `user_id`: the buyer's id orders carry (a conversation participant's `user_id`).
    pub user_id: String,
    /// `status`, e.g. `AWAITING_SHIPMENT`, `COMPLETED`.
    pub status: String,
    /// `create_time`.
    pub create_time: i64,
    /// `update_time`.
    pub update_time: i64,
    /// `payment.currency`.
    pub currency: String,
    /// `payment.total_amount`.
    pub total_amount: String,
    /// `line_items`.
    pub items: Vec<OrderItem>,
}

impl Order {
    /// A one-item order of buyer `user_id`, created (and updated) at `create_time`.
    pub fn new(id: &str, user_id: &str, create_time: i64) -> Order {
        Order {
            id: id.to_owned(),
            user_id: user_id.to_owned(),
            status: "AWAITING_SHIPMENT".to_owned(),
            create_time,
            update_time: create_time,
            currency: "GBP".to_owned(),
            total_amount: "12.50".to_owned(),
            items: vec![OrderItem {
                id: format!("{id}01"),
                product_id: "1729000000000000001".to_owned(),
                product_name: "Sim mug".to_owned(),
                sku_id: "1729000000000000101".to_owned(),
                sale_price: "12.50".to_owned(),
            }],
        }
    }
}

/// One `line_items[]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    /// `id`.
    pub id: String,
    /// `product_id`.
    pub product_id: String,
    /// `product_name`.
    pub product_name: String,
    /// `sku_id`.
    pub sku_id: String,
    /// `sale_price`.
    pub sale_price: String,
}

/// A product of a shop, with the subset of Search Products' fields the simulator answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// `id`.
    pub id: String,
    /// `title`.
    pub title: String,
    /// `status`: `ACTIVATE`, `DRAFT`, `SELLER_DEACTIVATED`, …
    pub status: String,
    /// `create_time`.
    pub create_time: i64,
    /// `update_time`.
    pub update_time: i64,
    /// `skus`.
    pub skus: Vec<Sku>,
}

impl Product {
    /// A product with one SKU (price `12.50 GBP`, 5 in stock).
    pub fn new(id: &str, title: &str, status: &str, create_time: i64) -> Product {
        Product {
            id: id.to_owned(),
            title: title.to_owned(),
            status: status.to_owned(),
            create_time,
            update_time: create_time,
            skus: vec![Sku {
                id: format!("{id}1"),
                seller_sku: format!("SKU-{id}"),
                currency: "GBP".to_owned(),
                sale_price: "12.50".to_owned(),
                quantity: 5,
            }],
        }
    }
}

/// One of a product's `skus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sku {
    /// `id`.
    pub id: String,
    /// `seller_sku`.
    pub seller_sku: String,
    /// `price.currency`.
    pub currency: String,
    /// `price.sale_price`.
    pub sale_price: String,
    /// `inventory[0].quantity`.
    pub quantity: i64,
}

/// An image a shop uploaded for chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedImage {
    /// The shop.
    pub shop_id: String,
    /// The `url` answered.
    pub url: String,
    /// The media type read from the image's header.
    pub mime: String,
    /// The `width` answered.
    pub width: u32,
    /// The `height` answered.
    pub height: u32,
    /// The image as received.
    pub bytes: Vec<u8>,
}

/// Starts TikTok simulators: `TikTokSim::start(config)` binds `127.0.0.1:0` and serves the
/// simulated API until the handle is dropped.
pub type TikTokSim = crate::handle::Starter<Shared>;

/// A running TikTok simulator. Dropping it stops the server.
pub type SimHandle = crate::handle::SimHandle<Shared>;

impl SimHandle {
    /// The shop's seller's current access token.
    pub fn access_token(&self, shop_id: &str) -> Option<String> {
        self.shared.current_tokens(shop_id, |pair| pair.access_token.clone())
    }

    /// The shop's seller's current refresh token.
    pub fn refresh_token(&self, shop_id: &str) -> Option<String> {
        self.shared.current_tokens(shop_id, |pair| pair.refresh_token.clone())
    }

    /// The shop's `shop_cipher`.
    pub fn shop_cipher(&self, shop_id: &str) -> Option<String> {
        self.shared.shop(shop_id).map(|(_, shop)| shop.cipher.clone())
    }

    /// The buyer's conversation in the shop, created (without a webhook) if there is none.
    pub fn add_conversation(&self, shop_id: &str, buyer: &Buyer) -> Result<String, SimError> {
        let now = self.shared.common.now();
        lock(&self.shared.state).chats.open_conversation(shop_id, buyer, None, now)
    }

    /// Sets a conversation's `can_send_message`; sends into it fail while false.
    pub fn set_can_send_message(
        &self, shop_id: &str, conversation_id: &str, can_send: bool,
    ) -> Result<(), SimError> {
        lock(&self.shared.state).chats.set_can_send_message(shop_id, conversation_id, can_send)
    }

    /// A copy of one conversation.
    pub fn conversation(
        &self, shop_id: &str, conversation_id: &str,
    ) -> Option<ConversationSnapshot> {
        lock(&self.shared.state).chats.snapshot(shop_id, conversation_id)
    }

    /// Adds (or replaces, by id) an order of the shop.
    pub fn add_order(&self, shop_id: &str, order: Order) -> Result<(), SimError> {
        self.known_shop(shop_id)?;
        lock(&self.shared.state).catalog.orders.put(shop_id, order);
        Ok(())
    }

    /// Adds (or replaces, by id) a product of the shop.
    pub fn add_product(&self, shop_id: &str, product: Product) -> Result<(), SimError> {
        self.known_shop(shop_id)?;
        lock(&self.shared.state).catalog.products.put(shop_id, product);
        Ok(())
    }

    /// Every image uploaded for chat, in order.
    pub fn uploaded_images(&self) -> Vec<UploadedImage> {
        lock(&self.shared.state).catalog.images.clone()
    }

    fn known_shop(&self, shop_id: &str) -> Result<(), SimError> {
        self.shared
            .shop(shop_id)
            .map(|_| ())
            .ok_or_else(|| SimError::UnknownShop(shop_id.to_owned()))
    }

    /// Every send the simulator accepted, in order, including those whose answer was lost
    /// to a fault.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        lock(&self.shared.state).chats.sent()
    }
}
