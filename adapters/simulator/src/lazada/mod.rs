//! A local Lazada Open Platform: the seller chat (IM) API, token refresh, and signed IM
//! pushes (facts and sources: `plugins/lazada/README.md`).
//!
//! Served on one `127.0.0.1` port under `/rest`, the API gateway and auth host alike:
//!
//! | call | method + path |
//! |---|---|
//! | session list | `GET /rest/im/session/list` |
//! | session detail | `GET /rest/im/session/get` |
//! | message list | `GET /rest/im/message/list` |
//! | send message | `POST /rest/im/message/send` |
//! | read session | `POST /rest/im/session/read` |
//! | open session (from an order) | `GET`/`POST /rest/im/session/open` |
//! | token refresh | `GET`/`POST /rest/auth/token/refresh` |
//!
//! Every call is checked in this order, the first failure answering with the IOP error body
//! (codes in [`codes`]): `app_key`, `sign_method=sha256`, `timestamp` (epoch ms) within the
//! tolerance of the simulator's clock (7200 s by default, Lazada's), `sign` equal to
//! [`sign::api_sign`] of the API path and every parameter
//! received (query and form body), then the `access_token` live and unexpired (not on token
//! refresh, which checks the refresh token instead, issues a new pair and revokes the old).
//! Lists page backwards from `start_time` (newest first) with `next_start_time` and
//! `last_session_id` / `last_message_id`, as Lazada's reference describes.
//!
//! A test adds buyer messages with [`SimHandle::add_buyer_message`] (listed by the API) or
//! [`SimHandle::push_buyer_message`] (also POSTed as an IM push, `message_type` 2, signed in
//! `Authorization` with [`sign::push_signature`]), and reads what the adapter did with
//! [`SimHandle::sent_messages`] and [`SimHandle::reads`].
//!
//! Both signatures are the simulator's own ([`sign`]), written from Lazada's documents and
//! tested on Lazada's published example, so a plugin that signs wrongly is refused here.

mod api;
mod authorize;
pub mod codes;
mod shared;
pub mod sign;
mod state;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use crate::delivery::Delivery;
use crate::faults::Faults;
use crate::poster::Prepared;
use crate::{Clock, SimError, lock, system_clock};
use shared::Shared;
use sign::{PUSH_SIGNATURE_HEADER, push_signature};
use state::StoredOrder;

/// How the Lazada simulator starts.
#[derive(Clone)]
pub struct SimConfig {
    /// The app's `app_key`.
    pub app_key: String,
    /// The app's `app_secret`, the signing key.
    pub app_secret: String,
    /// The seller that authorized the app (`seller_id`).
    pub seller_id: String,
    /// The site (`SG`, `TH`, ...): `site_id` of sessions and messages.
    pub site: String,
    /// The access token valid at start.
    pub access_token: String,
    /// The refresh token valid at start.
    pub refresh_token: String,
    /// The simulator's clock.
    pub clock: Clock,
    /// How far a request `timestamp` may be from the clock, either way (default 7200 s).
    pub timestamp_tolerance: TimeDelta,
    /// Lifetime of access tokens (default 7 days, chosen).
    pub access_token_ttl: TimeDelta,
    /// Lifetime of refresh tokens (default 30 days, chosen).
    pub refresh_token_ttl: TimeDelta,
    /// Where IM pushes are POSTed; settable later.
    pub webhook_url: Option<String>,
    /// Timeout of one push POST (default 10 s).
    pub webhook_timeout: Duration,
    /// Faults in force from the start.
    pub faults: Faults,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            app_key: "100200".to_owned(),
            app_secret: "sim_lazada_app_secret".to_owned(),
            seller_id: "100094063".to_owned(),
            site: "SG".to_owned(),
            access_token: "50000sim_lazada_access_seed".to_owned(),
            refresh_token: "50001sim_lazada_refresh_seed".to_owned(),
            clock: system_clock(),
            timestamp_tolerance: TimeDelta::seconds(7200),
            access_token_ttl: TimeDelta::days(7),
            refresh_token_ttl: TimeDelta::days(30),
            webhook_url: None,
            webhook_timeout: Duration::from_secs(10),
            faults: Faults::default(),
        }
    }
}

/// A buyer: `buyer_id` and nickname (a session's `title`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buyer {
    /// The buyer's user id (digits).
    pub user_id: String,
    /// The nickname.
    pub name: String,
}

impl Buyer {
    /// A buyer with this user id, named `buyer-{user_id}`.
    pub fn new(user_id: &str) -> Buyer {
        Buyer { user_id: user_id.to_owned(), name: format!("buyer-{user_id}") }
    }
}

/// A message a buyer sends: a `template_id` and its card (`content`, a JSON string).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyerMessage {
    /// `template_id` (1 text, 3 picture, 4 emoji, 10006 item, 10007 order, ...).
    pub template_id: i64,
    /// `content`.
    pub content: String,
}

impl BuyerMessage {
    /// A text message (template 1, `{"txt": ...}`).
    pub fn text(text: &str) -> BuyerMessage {
        let content = serde_json::json!({ "txt": text }).to_string();
        BuyerMessage { template_id: 1, content }
    }

    /// Any template with its card.
    pub fn new(template_id: i64, content: &str) -> BuyerMessage {
        BuyerMessage { template_id, content: content.to_owned() }
    }
}

/// A send the simulator accepted (stored), whatever answer the client got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The session.
    pub session_id: String,
    /// The `message_id` assigned.
    pub message_id: String,
    /// `template_id` as sent.
    pub template_id: i64,
    /// The template's parameters as sent (`txt`, `img_url`, `width`, `height`, `item_id`,
    /// `order_id`, `promotion_id`, `video_id`).
    pub fields: Vec<(String, String)>,
    /// When it was accepted (simulator clock).
    pub accepted_at: DateTime<Utc>,
}

impl SentMessage {
    /// A template parameter as sent.
    pub fn field(&self, name: &str) -> Option<&str> {
        let found = self.fields.iter().find(|(k, _)| k == name);
        found.map(|(_, v)| v.as_str())
    }
}

/// A read mark the simulator accepted (`/im/session/read`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadMark {
    /// The session.
    pub session_id: String,
    /// `last_read_message_id` as sent.
    pub last_read_message_id: String,
}

/// A copy of one session, for inspection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSnapshot {
    /// Session id.
    pub id: String,
    /// The buyer.
    pub buyer: Buyer,
    /// Buyer messages after the seller's read mark.
    pub unread_count: usize,
    /// The seller's read mark.
    pub last_read_message_id: Option<String>,
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
    /// `template_id`.
    pub template_id: i64,
    /// `content`.
    pub content: String,
    /// `send_time`, Unix milliseconds.
    pub send_time_ms: i64,
}

/// Starts Lazada simulators: `LazadaSim::start(config)` binds `127.0.0.1:0` and serves the
/// simulated API until the handle is dropped.
pub type LazadaSim = crate::handle::Starter<Shared>;

/// A running Lazada simulator. Dropping it stops the server.
pub type SimHandle = crate::handle::SimHandle<Shared>;

impl SimHandle {
    /// The seller's current access token.
    pub fn access_token(&self) -> Option<String> {
        let state = lock(&self.shared.state);
        let pair = state.tokens.current(&self.shared.seller_id);
        pair.map(|pair| pair.access_token.clone())
    }

    /// The seller's current refresh token.
    pub fn refresh_token(&self) -> Option<String> {
        let state = lock(&self.shared.state);
        let pair = state.tokens.current(&self.shared.seller_id);
        pair.map(|pair| pair.refresh_token.clone())
    }

    /// Adds an order of the seller's shop (OpenSession opens sessions from orders).
    pub fn add_order(&self, order_id: &str, buyer: &Buyer, created_at: DateTime<Utc>) {
        lock(&self.shared.state).chats.orders.push(StoredOrder {
            id: order_id.to_owned(),
            buyer: buyer.clone(),
            created_at,
        });
    }

    /// The buyer sends `message` now (the session is opened if needed), without a push:
    /// the API lists it. Returns `(session_id, message_id)`.
    pub fn add_buyer_message(
        &self, buyer: &Buyer, message: BuyerMessage,
    ) -> Result<(String, String), SimError> {
        let now = self.shared.common.now().timestamp_millis();
        let mut state = lock(&self.shared.state);
        let session = state.chats.open(&self.shared.seller_id, buyer, now).id.clone();
        let stored = state.chats.add(&session, true, message.template_id, message.content, now)?;
        Ok((session, stored.id))
    }

    /// The buyer sends `message` now and it is pushed (`message_type` 2) to the configured
    /// URL, signed. Returns the receiver's answer; `subject_id` is the session id and `id`
    /// the message id.
    pub async fn push_buyer_message(
        &self, buyer: &Buyer, message: BuyerMessage,
    ) -> Result<Delivery, SimError> {
        let url = self.shared.poster.url()?;
        let (session_id, message_id) = self.add_buyer_message(buyer, message)?;
        let shared = &self.shared;
        let body = {
            let state = lock(&shared.state);
            let session = state
                .chats
                .session(&session_id)
                .ok_or_else(|| SimError::UnknownConversation(session_id.clone()))?;
            let stored = session.messages.last().ok_or_else(|| {
                SimError::Delivery("the message just added is missing".to_owned())
            })?;
            let data = state::message_view(stored, session, &shared.seller_id, &shared.site);
            serde_json::to_vec(&serde_json::json!({
                "seller_id": shared.seller_id,
                "message_type": 2,
                "data": data,
                "timestamp": shared.common.now().timestamp(),
                "site": format!("lazada_{}", shared.site.to_ascii_lowercase()),
            }))?
        };
        let prepared = Prepared { id: message_id, subject_id: session_id, body };
        let app_key = &shared.common.app_key;
        let sign = |secret: &str, body: &[u8]| {
            vec![(PUSH_SIGNATURE_HEADER, push_signature(app_key, secret, body))]
        };
        let secret = &shared.common.app_secret;
        shared.poster.deliver_one(&url, prepared, secret, sign).await
    }

    /// The buyer's session id, if they have one.
    pub fn session_id(&self, buyer: &Buyer) -> Option<String> {
        let id = format!("{}_2_{}_1_103", self.shared.seller_id, buyer.user_id);
        let state = lock(&self.shared.state);
        state.chats.session(&id).map(|s| s.id.clone())
    }

    /// A copy of one session.
    pub fn session(&self, session_id: &str) -> Option<SessionSnapshot> {
        lock(&self.shared.state).chats.snapshot(session_id)
    }

    /// Every send the simulator accepted, in order, including those whose answer was lost
    /// to a fault.
    pub fn sent_messages(&self) -> Vec<SentMessage> {
        lock(&self.shared.state).chats.sent.clone()
    }

    /// Every read mark the simulator accepted, in order.
    pub fn reads(&self) -> Vec<ReadMark> {
        lock(&self.shared.state).chats.reads.clone()
    }
}
