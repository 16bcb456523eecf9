//! The customer side of the storefront chat (of shops whose platform offers it): the widget script a shop
//! adds to its theme, starting a session (`POST /storefront/{shop_id}/sessions`), and
//! the chat socket (`GET /storefront/{shop_id}/chat?token=`). Customers send text frames
//! `{"id": "<client id>", "content": {"type": "text", "text": "…"}}`; each is answered
//! with `{"type": "ack", "id"}` once stored, or an error naming the rule that refused it
//! (customers cannot send images, SH-IMG-1). Agents' replies arrive as
//! `{"type": "reply", "id", "content"}`. While the socket is open the customer counts as
//! in the store (SH-ONLINE-1); a socket that misses a pong is closed. The widget also
//! sends `{"type": "cart", "cart_token": "…"}` (read from the store's `/cart.js`), which
//! ties the shop's cart webhooks to this customer's conversation (SH-CART-1).

use super::AppState;
use super::doc::{BadRequest, NotFound, Unauthorized, Unprocessable};
use super::error::{ApiError, ApiResult};
use super::extract::{ApiJson, ApiQuery, ApiWebSocket};
use super::socket::Socket;
use axum::extract::ws::WebSocket;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use shopmux_contract::adapter::{BuyerMessage, EventBuyer, InboundEvent};
use shopmux_core::CoreError;
use shopmux_core::domain::ids::ShopId;
use shopmux_core::services::apply::EventOutcome;
use shopmux_core::services::storefront::{StorefrontCustomer, StorefrontSession, StorefrontStart};

fn no_shop() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no storefront chat here")
}

/// Start a storefront chat session (the widget calls this; no account needed).
#[utoipa::path(post, path = "/storefront/{shop_id}/sessions", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop")),
    request_body = StorefrontStart,
    responses((status = 201, body = StorefrontSession), BadRequest, NotFound, Unprocessable))]
pub async fn start_session(
    State(app): State<AppState>, Path(shop_id): Path<String>,
    ApiJson(start): ApiJson<StorefrontStart>,
) -> ApiResult<(StatusCode, ApiJson<StorefrontSession>)> {
    let shop_id: ShopId = shop_id.parse().map_err(|_| no_shop())?;
    let session = app.inbox.start_storefront_session(shop_id, start).await?;
    Ok((StatusCode::CREATED, ApiJson(session)))
}

/// The chat socket's query.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ChatQuery {
    /// The session token from `sessions`.
    pub token: String,
}

/// The customer's chat socket (WebSocket).
#[utoipa::path(get, path = "/storefront/{shop_id}/chat", security(()), tag = "storefront",
    params(("shop_id" = String, Path, description = "The shop"), ChatQuery),
    responses((status = 101, description = "Switching to the WebSocket protocol"), Unauthorized,
        NotFound))]
pub async fn chat(
    State(app): State<AppState>, Path(shop_id): Path<String>, ApiQuery(query): ApiQuery<ChatQuery>,
    ApiWebSocket(ws): ApiWebSocket,
) -> ApiResult<Response> {
    let shop_id: ShopId = shop_id.parse().map_err(|_| no_shop())?;
    let customer = app
        .inbox
        .storefront_customer(shop_id, &query.token)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    let token = query.token;
    Ok(ws.on_upgrade(move |socket| pump(socket, app, customer, token)))
}

async fn pump(socket: WebSocket, app: AppState, customer: StorefrontCustomer, token: String) {
    let shop = customer.shop.shop_id;
    let (id, mut replies) = app.storefront.connect(shop, &customer.buyer_external_id);
    let mut socket = Socket::new(socket, &app.sockets).await;
    loop {
        let frame = tokio::select! {
            reply = replies.recv() => reply,
            incoming = socket.next_text() => match incoming {
                Some(text) => Some(receive(&app, &customer, &token, &text).await),
                None => None,
            },
        };
        let Some(frame) = frame else { break };
        if !socket.send(frame).await {
            break;
        }
    }
    app.storefront.disconnect(shop, &customer.buyer_external_id, id);
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

/// Stores a customer's message (or their cart token); returns the frame answering it.
async fn receive(app: &AppState, customer: &StorefrontCustomer, token: &str, text: &str) -> String {
    let error = |id: Option<&str>, code: &str, message: String, rule: Option<String>| {
        json!({"type": "error", "id": id, "error": {"code": code, "message": message, "rule": rule}})
            .to_string()
    };
    if let Ok(cart) = serde_json::from_str::<CartFrame>(text)
        && cart.kind == "cart"
    {
        return match app
            .inbox
            .set_storefront_cart(customer.shop.shop_id, token, &cart.cart_token)
            .await
        {
            Ok(()) => json!({"type": "cart_ack"}).to_string(),
            Err(e) => error(None, "bad_frame", e.to_string(), None),
        };
    }
    let frame: Frame = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => return error(None, "bad_frame", e.to_string(), None),
    };
    if frame.id.is_empty() || frame.id.len() > 128 {
        return error(None, "bad_frame", "id must be 1 to 128 bytes".into(), None);
    }
    let content = match serde_json::from_value(frame.content) {
        Ok(c) => c,
        Err(e) => return error(Some(&frame.id), "bad_frame", e.to_string(), None),
    };
    let message = InboundEvent::Message(BuyerMessage {
        buyer: EventBuyer {
            external_id: customer.buyer_external_id.clone(),
            nickname: customer.nickname.clone(),
            email: customer.email.clone(),
            language: None,
        },
        platform_message_id: format!("sf:{}:{}", customer.buyer_external_id, frame.id),
        platform_conversation_id: None,
        content,
        sent_at_ms: None,
        order: None,
        entry_point: None,
    });
    let outcome = app.inbox.apply(&customer.shop, vec![message]).await;
    match outcome.map(|a| a.outcomes.into_iter().next()) {
        Ok(Some(EventOutcome::Stored(_) | EventOutcome::Duplicate(_))) => {
            json!({"type": "ack", "id": frame.id}).to_string()
        }
        // rule: SH-IMG-1 (a customer's image is refused, never stored)
        Ok(Some(EventOutcome::Refused(CoreError::RuleViolation(r)))) => {
            error(Some(&frame.id), "rule_violation", r.message, Some(r.rule))
        }
        Ok(Some(EventOutcome::Refused(e))) | Err(e) => {
            error(Some(&frame.id), "refused", e.to_string(), None)
        }
        Ok(_) => error(Some(&frame.id), "refused", "not a message".into(), None),
    }
}

/// The chat widget a shop adds to its theme:
/// `<script src="https://YOUR-HOST/storefront/widget.js" data-shop="SHOP_ID" async></script>`.
#[utoipa::path(get, path = "/storefront/widget.js", security(()), tag = "storefront",
    responses((status = 200, description = "The widget script", content_type = "text/javascript", body = String)))]
pub async fn widget() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_JS,
    )
}

/// The widget: plain JavaScript, no build step.
const WIDGET_JS: &str = include_str!("storefront_widget.js");
