//! A local AliExpress open platform (IOP gateway): the message-centre (站内信/订单留言)
//! APIs, the order look-ups and token refresh (platform-apis.md §3).
//!
//! Served on one `127.0.0.1` port:
//!
//! | call | method + path |
//! |---|---|
//! | business APIs (`method` in the form body or the query) | `POST /sync` |
//! | token refresh (system API) | `POST /rest/auth/token/refresh` |
//! | code exchange (system API) | `POST /rest/auth/token/create` |
//! | seller authorization page, consent | `GET /oauth/authorize`, `GET /oauth/authorize/consent` |
//!
//! Business methods: `aliexpress.message.redefining.versiontwo.querymsgrelationlist`,
//! `…querymsgdetaillist`, `…addmsg`, `…updatemsgread`, `aliexpress.solution.order.info.get`
//! and `aliexpress.solution.order.get`.
//!
//! Every call is checked in this order, the first failure answering with the IOP error
//! body `{type, code, message, request_id}` (codes in [`codes`]): `app_key`, `sign`
//! present, `sign_method=sha256`, `timestamp` (epoch ms) within the tolerance of the
//! simulator's clock, `method` present (business APIs), `sign` equal to the IOP signature
//! ([`sign::iop_sign`]) of every parameter received, and the seller token (`session`, or
//! `access_token` as the Lazada-derived doc names it) live and unexpired. The token refresh
//! checks the refresh token; it issues a new pair and revokes the old one.
//!
//! The signature is the simulator's own ([`sign`]), written from AliExpress's documents and
//! tested on the IOP documentation's published example, so an adapter that signs wrongly
//! is refused here; method names, parameter shapes and Pacific-time dates are in [`wire`].
//!
//! **AliExpress has no buyer-chat (IM) API and no message push** (§3.3): the simulator
//! serves only the message centre, which a test or demo feeds through the handle
//! ([`SimHandle::add_buyer_message`]); the next poll finds what was added.

mod api;
mod authorize;
pub mod codes;
mod shared;
pub mod sign;
mod state;
pub mod wire;

use chrono::{DateTime, TimeDelta, Utc};

use crate::faults::Faults;
use crate::{Clock, SimError, lock, system_clock};
use shared::Shared;

/// How the AliExpress simulator starts.
#[derive(Clone)]
pub struct SimConfig {
    /// The app's `app_key`.
    pub app_key: String,
    /// The app's `app_secret`, the signing key.
    pub app_secret: String,
    /// The sellers that authorized the app.
    pub sellers: Vec<Seller>,
    /// The simulator's clock.
    pub clock: Clock,
    /// How far a request `timestamp` may be from the clock, either way (default 7200 s,
    /// what the Lazada IOP doc allows; §3.1).
    pub timestamp_tolerance: TimeDelta,
    /// Lifetime of access tokens (default 30 days, the doc sample's `expires_in`).
    pub access_token_ttl: TimeDelta,
    /// Lifetime of refresh tokens (default 60 days, the doc sample's
    /// `refresh_expires_in`).
    pub refresh_token_ttl: TimeDelta,
    /// Faults in force from the start.
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            app_key: "sim_ae_app_key".to_owned(),
            app_secret: "sim_ae_app_secret".to_owned(),
            sellers: vec![Seller::default()],
            clock: system_clock(),
            timestamp_tolerance: TimeDelta::seconds(7200),
            access_token_ttl: TimeDelta::days(30),
            refresh_token_ttl: TimeDelta::days(60),
            faults: Faults::default(),
        }
    }
}

/// A seller account that authorized the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seller {
    /// Login id: `addmsg`'s `seller_id`, and the seller's id on the handle.
    pub login_id: String,
    /// Numeric (ali) id: the `sender_ali_id` of the seller's messages.
    pub ali_id: String,
    /// Display name.
    pub name: String,
    /// The access token valid at start.
    pub access_token: String,
    /// The refresh token valid at start.
    pub refresh_token: String,
}

impl Default for Seller {
    fn default() -> Seller {
        Seller {
            login_id: "cn1500000000sim".to_owned(),
            ali_id: "1500000000".to_owned(),
            name: "Sim Store".to_owned(),
            access_token: "50000sim_access_seed".to_owned(),
            refresh_token: "50001sim_refresh_seed".to_owned(),
        }
    }
}

/// A buyer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    /// Login id (`other_login_id`, `addmsg`'s `buyer_id`).
    pub login_id: String,
    /// Numeric id (`other_ali_id`, `sender_ali_id`).
    pub ali_id: String,
    /// Display name (`other_name`).
    pub name: String,
}

impl Buyer {
    /// A buyer `us{n}sim`, ali id `22{n:08}`, named `Buyer {n}`.
    pub fn new(n: u32) -> Buyer {
        Buyer {
            login_id: format!("us{n}sim"),
            ali_id: format!("22{n:08}"),
            name: format!("Buyer {n}"),
        }
    }
}

/// A message a buyer (or, through [`SimHandle::add_seller_message`], the seller in
/// AliExpress's own back office) writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerMessage {
    /// The text.
    pub content: String,
    /// `member`, `order` or `product`.
    pub message_type: String,
    /// The order or product id (`order` / `product`).
    pub extern_id: Option<String>,
    /// Attached image URLs.
    pub images: Vec<String>,
}

impl BuyerMessage {
    /// A text message.
    pub fn text(text: &str) -> BuyerMessage {
        BuyerMessage {
            content: text.to_owned(),
            message_type: "member".to_owned(),
            extern_id: None,
            images: Vec::new(),
        }
    }

    /// A message about an order.
    pub fn about_order(order_id: &str, text: &str) -> BuyerMessage {
        BuyerMessage {
            message_type: "order".to_owned(),
            extern_id: Some(order_id.to_owned()),
            ..BuyerMessage::text(text)
        }
    }

    /// An image without text.
    pub fn image(url: &str) -> BuyerMessage {
        BuyerMessage { images: vec![url.to_owned()], ..BuyerMessage::text("") }
    }
}

/// An order of a seller's shop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    /// The order id (digits).
    pub id: String,
    /// Who bought.
    pub buyer: Buyer,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// `order_status`, e.g. `WAIT_SELLER_SEND_GOODS` or `FINISH`.
    pub status: String,
    /// `issue_status`: `NO_ISSUE`, `IN_ISSUE` or `END_ISSUE`.
    pub issue_status: String,
    /// Its parcel's tracking number once the seller shipped it (sent the day after it
    /// was placed): the look-up lists it in `logistic_info_list[].logistics_no`.
    pub logistics_no: Option<String>,
}

/// An `addmsg` the simulator accepted (stored), whatever answer the client got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The seller's login id.
    pub seller: String,
    /// The relation it went to.
    pub channel_id: String,
    /// The message id the relation lists it under.
    pub message_id: String,
    /// `buyer_id` as sent.
    pub buyer_login_id: String,
    /// `content` as sent.
    pub content: String,
    /// `message_type` as sent.
    pub message_type: String,
    /// `extern_id` as sent.
    pub extern_id: i64,
    /// `img_path` as sent.
    pub img_path: Option<String>,
    /// When it was accepted (simulator clock).
    pub accepted_at: DateTime<Utc>,
}

/// A copy of one relation, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelationSnapshot {
    /// `channel_id`.
    pub channel_id: String,
    /// The seller's login id.
    pub seller: String,
    /// The buyer.
    pub buyer: Buyer,
    /// `read_stat` is `"1"`: marked read.
    pub read: bool,
    /// Buyer messages since the relation was last marked read.
    pub unread_count: u32,
    /// Messages, oldest first.
    pub messages: Vec<MessageSnapshot>,
}

/// A copy of one message, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSnapshot {
    /// Message id.
    pub id: String,
    /// Sent by the buyer (else by the seller).
    pub from_buyer: bool,
    /// The text.
    pub content: String,
    /// `member`, `order` or `product`.
    pub message_type: String,
    /// The order or product id.
    pub extern_id: Option<String>,
    /// Attached image URLs.
    pub images: Vec<String>,
    /// When it was sent.
    pub sent_at: DateTime<Utc>,
}

/// Starts AliExpress simulators: `AliExpressSim::start(config)` binds `127.0.0.1:0` and serves the
/// simulated API until the handle is dropped.
pub type AliExpressSim = crate::handle::Starter<Shared>;

/// A running AliExpress simulator. Dropping it stops the server.
pub type SimHandle = crate::handle::SimHandle<Shared>;

impl SimHandle {
    /// The app's key and secret.
    pub fn app(&self) -> (String, String) {
        let common = &self.shared.common;
        (common.app_key.clone(), common.app_secret.clone())
    }

    /// The seller's current access token.
    pub fn access_token(&self, seller: &str) -> Option<String> {
        self.shared.current_tokens(seller, |pair| pair.access_token.clone())
    }

    /// The seller's current refresh token.
    pub fn refresh_token(&self, seller: &str) -> Option<String> {
        self.shared.current_tokens(seller, |pair| pair.refresh_token.clone())
    }

    /// When the seller's current access token expires.
    pub fn access_token_expires_at(&self, seller: &str) -> Option<DateTime<Utc>> {
        self.shared.current_tokens(seller, |pair| pair.access_expires_at)
    }

    /// A buyer writes to the seller, now (the relation is created if there is none); the
    /// next relation list shows it unread. Returns the message id.
    pub fn add_buyer_message(
        &self, seller: &str, buyer: &Buyer, message: BuyerMessage,
    ) -> Result<String, SimError> {
        self.shared.store_message(seller, buyer, &message, true)
    }

    /// The seller writes to a buyer in AliExpress's own back office (not through the
    /// API), now. Returns the message id.
    pub fn add_seller_message(
        &self, seller: &str, buyer: &Buyer, message: BuyerMessage,
    ) -> Result<String, SimError> {
        self.shared.store_message(seller, buyer, &message, false)
    }

    /// Adds an order to the seller's shop.
    pub fn add_order(&self, seller: &str, order: Order) -> Result<(), SimError> {
        self.shared.seller(seller)?;
        lock(&self.shared.state).messages.add_order(seller, order);
        Ok(())
    }

    /// The relation of the seller with a buyer (by login id), if any.
    pub fn channel_of(&self, seller: &str, buyer_login_id: &str) -> Option<String> {
        lock(&self.shared.state).messages.channel_of(seller, buyer_login_id)
    }

    /// A copy of one relation.
    pub fn relation(&self, channel_id: &str) -> Option<RelationSnapshot> {
        lock(&self.shared.state).messages.snapshot(channel_id)
    }

    /// Every `addmsg` the simulator accepted, in order, including those whose answer was
    /// lost to a fault.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        lock(&self.shared.state).messages.sent()
    }
}
