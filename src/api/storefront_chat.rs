//! The storefront chat socket (`GET /storefront/{shop_id}/chat?token=`). Customers send
//! `{"id": "<client id>", "content": {"type": "text", "text": "…"}}` — only what
//! customers send: text and emoji (an image is refused by SH-IMG-1), and their rating
//! `{"type": "rating_card", "score": 1..5, "comment": "…"}` (DY-RATE-1); system notices,
//! cart events, product lists, order cards and the rest are refused as
//! `customer_content`, never stored. Each frame is answered with `{"type": "ack", "id"}`
//! once stored, or an error naming the rule or code that refused it. Agents' replies
//! arrive as `{"type": "reply", "id", "content"}`. While the socket is open the customer
//! counts as in the store (SH-ONLINE-1); a socket that misses a pong is closed.
//!
//! Bot frames (solved/unsolved marks, asking for a human) are `storefront_bot.rs`'s.
//!
//! `{"type": "cart", "cart_token": "…"}` ties the shop's cart webhooks to the customer's
//! conversation (SH-CART-1) — only for a session the platform proved (app proxy); an
//! anonymous session's cart token is refused, so nobody follows another's cart.
//!
//! Limits: a message (and a frame) is at most [`MAX_MESSAGE_BYTES`] — a larger one
//! closes the socket; a client id at most 128 bytes, a text at most
//! [`MAX_TEXT_CHARS`] characters, a cart token at most 256 bytes; frames are rate
//! limited per session and per client address (`crate::storefront_limits`).

use super::AppState;
use super::doc::{BadRequest, NotFound};
use super::error::ApiResult;
use super::extract::{ApiQuery, ClientAddr};
use super::socket::Socket;
use super::storefront::{no_shop, shop_id, storefront_error};
use super::ws_upgrade::{Connection, WsUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use shopmux_contract::adapter::{BuyerMessage, EventBuyer, InboundEvent};
use shopmux_contract::content::MessageContent;
use shopmux_core::CoreError;
use shopmux_core::domain::viewer::hash_token;
use shopmux_core::services::apply::EventOutcome;
use shopmux_core::services::storefront::StorefrontCustomer;
use std::net::IpAddr;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// The largest WebSocket message (and frame) a customer may send.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024;
/// The longest text a customer may send.
pub const MAX_TEXT_CHARS: usize = 4000;
/// The longest cart token.
const MAX_CART_TOKEN: usize = 256;

/// The chat socket's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChatQuery {
    /// The session token from `sessions`.
    #[param(max_length = 128)]
    pub token: String,
}

/// The customer's chat socket (WebSocket; messages of at most 16 KiB). An unknown token
/// answers like an unknown shop.
#[utoipa::path(get, path = "/storefront/{shop_id}/chat", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop"), ChatQuery),
    responses((status = 101, description = "Switching to the WebSocket protocol"), BadRequest,
        NotFound))]
pub async fn chat(
    State(app): State<AppState>, Path(raw_shop): Path<String>, ClientAddr(address): ClientAddr,
    ApiQuery(query): ApiQuery<ChatQuery>, upgrade: WsUpgrade,
) -> ApiResult<Response> {
    let shop = shop_id(&raw_shop)?;
    let customer = app
        .inbox
        .storefront_customer(shop, &query.token)
        .await
        .map_err(storefront_error)?
        .ok_or_else(no_shop)?;
    let session = Session { customer, token: query.token, address };
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES));
    let wire = super::wire::Wire::opened();
    Ok(upgrade.on_upgrade(config, wire, move |socket| pump(socket, app, session)))
}

/// A customer's open session.
struct Session {
    customer: StorefrontCustomer,
    token: String,
    address: IpAddr,
}

async fn pump(socket: Connection, app: AppState, session: Session) {
    let shop = session.customer.shop.shop_id;
    let buyer = session.customer.buyer_external_id.clone();
    let mut joined = app.storefront.join(shop, &buyer).await;
    let mut socket = Socket::new(socket, &app.sockets);
    let _open = app.metrics.all.socket_opened(crate::telemetry::SocketKind::Storefront);
    loop {
        let frame = tokio::select! {
            reply = joined.frames.recv() => reply,
            incoming = socket.next_text() => match incoming {
                Some(text) => Some(receive(&app, &session, &text).await),
                None => None,
            },
        };
        let Some(frame) = frame else { break };
        if !socket.send(frame).await {
            break;
        }
    }
    app.storefront.leave(shop, &buyer, &joined).await;
}

/// A customer's frame.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Frame {
    id: String,
    content: serde_json::Value,
}

/// The widget telling which cart is the customer's (SH-CART-1).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CartFrame {
    #[serde(rename = "type")]
    kind: String,
    cart_token: String,
}

fn error(id: Option<&str>, code: &str, message: impl Into<String>, rule: Option<String>) -> String {
    let message = message.into();
    json!({"type": "error", "id": id, "error": {"code": code, "message": message, "rule": rule}})
        .to_string()
}

/// Ties a proven customer's cart to the session; refuses it for anyone else.
async fn cart(app: &AppState, session: &Session, cart_token: &str) -> String {
    // rule: SH-CART-1 (cart events of the customer's own cart only)
    if !session.customer.verified {
        return error(
            None,
            "unverified",
            "only a customer signed in at the store shares a cart",
            None,
        );
    }
    if cart_token.is_empty() || cart_token.len() > MAX_CART_TOKEN {
        return error(None, "bad_frame", "a cart token is 1 to 256 bytes", None);
    }
    let shop = session.customer.shop.shop_id;
    match app.inbox.set_storefront_cart(shop, &session.token, cart_token).await {
        Ok(()) => json!({"type": "cart_ack"}).to_string(),
        Err(e) => error(None, "bad_frame", e.to_string(), None),
    }
}

/// What a customer may send: text and emoji (and an image, which SH-IMG-1 then refuses
/// with its rule named), and a rating card with their score; never what only the system
/// or the shop writes (an invitation is the shop's).
fn customer_content(content: &MessageContent) -> Result<(), String> {
    match content {
        MessageContent::Text { text } if text.chars().count() > MAX_TEXT_CHARS => {
            Err(format!("a text is at most {MAX_TEXT_CHARS} characters"))
        }
        MessageContent::Text { .. }
        | MessageContent::Emoji { .. }
        | MessageContent::Image { .. } => Ok(()),
        // rule: DY-RATE-1 (the customer may rate at any time: a card with their score)
        MessageContent::RatingCard { score: Some(_), .. } => {
            content.validate().map_err(|e| e.to_string())
        }
        other => Err(format!("customers cannot send `{}`", other.kind().as_str())),
    }
}

/// Stores a customer's message (or their cart token); returns the frame answering it.
async fn receive(app: &AppState, session: &Session, text: &str) -> String {
    if let Err(retry) = app.storefront.limits.frame(session.address, &hash_token(&session.token)) {
        let message = format!("too many messages; try again in {} s", retry.0);
        return error(None, "rate_limited", message, None);
    }
    if let Ok(cart_frame) = serde_json::from_str::<CartFrame>(text)
        && cart_frame.kind == "cart"
    {
        return cart(app, session, &cart_frame.cart_token).await;
    }
    let (shop, buyer) = (session.customer.shop.shop_id, &session.customer.buyer_external_id);
    if let Some(answer) = super::storefront_bot::bot_frame(app, shop, buyer, text).await {
        return answer;
    }
    let frame: Frame = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => return error(None, "bad_frame", e.to_string(), None),
    };
    if frame.id.is_empty() || frame.id.len() > 128 {
        return error(None, "bad_frame", "id must be 1 to 128 bytes", None);
    }
    let content: MessageContent = match serde_json::from_value(frame.content) {
        Ok(c) => c,
        Err(e) => return error(Some(&frame.id), "bad_frame", e.to_string(), None),
    };
    if let Err(why) = customer_content(&content) {
        return error(Some(&frame.id), "customer_content", why, None);
    }
    store(app, &session.customer, frame.id, content).await
}

async fn store(
    app: &AppState, customer: &StorefrontCustomer, id: String, content: MessageContent,
) -> String {
    let message = InboundEvent::Message(BuyerMessage {
        buyer: EventBuyer {
            external_id: customer.buyer_external_id.clone(),
            nickname: customer.nickname.clone(),
            // Only a confirmed address: an unconfirmed one is never the buyer's.
            email: customer.email.clone(),
            language: None,
        },
        platform_message_id: format!("sf:{}:{id}", customer.buyer_external_id),
        platform_conversation_id: None,
        content,
        sent_at_ms: None,
        order: None,
        entry_point: None,
    });
    let outcome = app.inbox.apply(&customer.shop, vec![message]).await;
    match outcome.map(|a| a.outcomes.into_iter().next()) {
        Ok(Some(EventOutcome::Stored(_) | EventOutcome::Duplicate(_))) => {
            json!({"type": "ack", "id": id}).to_string()
        }
        // rule: SH-IMG-1 (a customer's image is refused, never stored)
        Ok(Some(EventOutcome::Refused(CoreError::RuleViolation(r)))) => {
            error(Some(&id), "rule_violation", r.message, Some(r.rule))
        }
        Ok(Some(EventOutcome::Refused(e))) | Err(e) => {
            error(Some(&id), "refused", e.to_string(), None)
        }
        Ok(_) => error(Some(&id), "refused", "not a message", None),
    }
}
