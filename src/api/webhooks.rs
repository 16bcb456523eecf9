//! Marketplace webhooks: `POST /webhooks/{platform}/{shop_id}`. The platform's signature
//! is verified on the raw body before anything is parsed (a bad or missing one gets 401,
//! is counted, and nothing is stored); the events are normalized by the shop's adapter
//! and fed to the inbox, and the platform gets its acknowledgement after the commit.
//! Redeliveries are harmless: messages are stored once per (shop, platform message id).

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::ApiJson;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use shopmux_contract::adapter::{InboundEvent, OrderInfo, WebhookRequest};
use shopmux_core::ids::ShopId;
use shopmux_core::inbox::ingest::InboundMessage;
use std::sync::atomic::Ordering;
use utoipa::ToSchema;

/// What a webhook delivery became.
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct WebhookAck {
    /// Messages stored now.
    pub stored: usize,
    /// Messages already stored by an earlier delivery.
    pub duplicates: usize,
    /// Messages the platform's rules refuse (kept out of the inbox; not retried).
    pub refused: usize,
    /// Order notices recorded.
    pub orders: usize,
    /// Cart events added to conversations (SH-CART-1).
    pub cart_events: usize,
    /// Buyer profiles recorded (SH-PROFILE-1).
    pub profiles: usize,
    /// Events shopmux does not act on.
    pub ignored: usize,
}

/// Records an order notice; when it does not name the buyer, the adapter looks the order
/// up first. A look-up that fails for now answers 503, so the platform redelivers.
async fn record_order(
    app: &AppState,
    adapter: &std::sync::Arc<dyn shopmux_contract::adapter::Adapter>,
    connection: &shopmux_contract::adapter::ShopConnection,
    shop: &shopmux_core::inbox::shops::IngestShop,
    order: &str,
    buyer: Option<shopmux_contract::adapter::EventBuyer>,
    reverse_in_progress: Option<bool>,
) -> ApiResult<()> {
    let mut info = match buyer {
        Some(buyer) => OrderInfo {
            external_id: order.to_owned(),
            buyer,
            ..Default::default()
        },
        None => {
            let adapter = adapter.clone();
            let host = app.host.for_platform(adapter.platform());
            let connection = connection.clone();
            let wanted = order.to_owned();
            let found = tokio::task::spawn_blocking(move || {
                adapter.fetch_order(&host, &connection, &wanted)
            })
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the adapter stopped",
                )
            })?;
            match found {
                Ok(info) => info,
                Err(e) if e.retryable => {
                    return Err(ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        format!("the order could not be looked up yet: {e}"),
                    ));
                }
                Err(e) => {
                    tracing::warn!(message = "Order notice dropped.", order, error = %e);
                    return Ok(());
                }
            }
        }
    };
    if reverse_in_progress.is_some() {
        info.reverse_in_progress = reverse_in_progress;
    }
    app.inbox.record_order(shop, &info).await?;
    if adapter.order_notices_in_conversation() {
        order_card(app, shop, &info).await?;
    }
    Ok(())
}

/// Shows an order notice in the buyer's conversation as an order card, once per order
/// state (a redelivered notice stores nothing twice).
async fn order_card(
    app: &AppState,
    shop: &shopmux_core::inbox::shops::IngestShop,
    info: &OrderInfo,
) -> ApiResult<()> {
    let reverse = info.reverse_in_progress.unwrap_or(false);
    let status = match (&info.status, reverse) {
        (Some(s), true) => Some(format!("{s} · return requested")),
        (None, true) => Some("return requested".to_owned()),
        (s, false) => s.clone(),
    };
    let message = InboundMessage {
        buyer: shopmux_core::inbox::ingest::InboundBuyer {
            external_id: info.buyer.external_id.clone(),
            nickname: info.buyer.nickname.clone(),
            language: None,
            email: info.buyer.email.clone(),
            platform_conversation_id: None,
        },
        platform_message_id: format!(
            "order:{}:{}",
            info.external_id,
            status.as_deref().unwrap_or("placed")
        ),
        content: shopmux_core::content::MessageContent::OrderCard {
            order_id: info.external_id.clone(),
            status,
        },
        sent_at: None,
        order: Some(shopmux_core::inbox::ingest::InboundOrder {
            external_id: info.external_id.clone(),
            created_at: info
                .created_at_ms
                .and_then(chrono::DateTime::from_timestamp_millis),
            status: info.status.clone(),
            reverse_in_progress: info.reverse_in_progress,
        }),
        entry_point: Some(shopmux_core::model::EntryPoint::OrderPage),
    };
    match app.inbox.ingest(shop.clone(), message).await {
        Ok(_) => Ok(()),
        Err(
            e @ (shopmux_core::CoreError::RuleViolation(_)
            | shopmux_core::CoreError::Invalid { .. }),
        ) => {
            tracing::warn!(message = "Order card not shown.", order = %info.external_id, error = %e);
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// A notice whose content the inbox refuses is a bad webhook (400, nothing stored);
/// database trouble stays a 5xx so the platform redelivers.
fn refused(e: shopmux_core::CoreError) -> ApiError {
    match e {
        shopmux_core::CoreError::Invalid { .. } | shopmux_core::CoreError::RuleViolation(_) => {
            ApiError::new(StatusCode::BAD_REQUEST, "bad_webhook", e.to_string())
        }
        other => other.into(),
    }
}

fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "no connected shop of that platform here",
    )
}

/// Receive a marketplace webhook for one shop (signed by the platform).
#[utoipa::path(post, path = "/webhooks/{platform}/{shop_id}", tag = "webhooks",
    params(("platform" = String, Path, description = "The platform (`tiktok`)"), ("shop_id" = String, Path, description = "The shop")),
    request_body(content = String, description = "The platform's raw, signed body"),
    responses((status = 200, body = WebhookAck), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn receive(
    State(app): State<AppState>,
    Path((platform, shop_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let adapter = app.adapters.get(&platform).cloned().ok_or_else(not_found)?;
    let shop_id: ShopId = shop_id.parse().map_err(|_| not_found())?;
    let shop = app
        .inbox
        .ingest_shop(shop_id)
        .await?
        .ok_or_else(not_found)?;
    if shop.platform.as_str() != platform {
        return Err(not_found());
    }
    let connection = app
        .inbox
        .shop_connection(shop_id)
        .await?
        .ok_or_else(not_found)?;
    let request = WebhookRequest {
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        body: body.to_vec(),
    };
    let now = app.inbox.clock().now().timestamp_millis();
    // Off the async runtime: a plugin's parse is foreign code with no time bound.
    let parser = adapter.clone();
    let parsed = tokio::task::spawn_blocking(move || {
        parser
            .parse_webhook(&connection, &request, now)
            .map(|events| (events, connection))
    })
    .await
    .map_err(|_| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the adapter stopped",
        )
    })?;
    let (events, connection) = parsed
        .map_err(|e| {
            if e.retryable {
                // The adapter failed, not the delivery (a plugin panicked): the platform
                // should deliver again.
                tracing::warn!(message = "Webhook not parsed for now.", %platform, %shop_id, error = %e);
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", e.to_string())
            } else if e.code == "bad_signature" {
                app.metrics
                    .webhooks_bad_signature
                    .fetch_add(1, Ordering::Relaxed);
                tracing::warn!(message = "Webhook refused: bad signature.", %platform, %shop_id);
                ApiError::new(StatusCode::UNAUTHORIZED, "bad_signature", e.message)
            } else {
                app.metrics
                    .webhooks_malformed
                    .fetch_add(1, Ordering::Relaxed);
                ApiError::new(StatusCode::BAD_REQUEST, "bad_webhook", e.to_string())
            }
        })?;
    let mut ack = WebhookAck::default();
    for event in events {
        if let InboundEvent::OrderChanged {
            order_external_id,
            buyer,
            reverse_in_progress,
        } = &event
        {
            record_order(
                &app,
                &adapter,
                &connection,
                &shop,
                order_external_id,
                buyer.clone(),
                *reverse_in_progress,
            )
            .await?;
            ack.orders += 1;
            continue;
        }
        match &event {
            InboundEvent::OrderUpdated { order } => {
                app.inbox
                    .record_order(&shop, order)
                    .await
                    .map_err(refused)?;
                ack.orders += 1;
                continue;
            }
            InboundEvent::BuyerProfileChanged { profile } => {
                app.inbox
                    .record_buyer_profile(&shop, profile)
                    .await
                    .map_err(refused)?;
                ack.profiles += 1;
                continue;
            }
            InboundEvent::CartChanged {
                cart_token,
                lines,
                subtotal,
                updated_at_ms,
            } => {
                let outcome = app
                    .inbox
                    .record_cart(
                        &shop,
                        cart_token,
                        lines,
                        subtotal.as_deref(),
                        *updated_at_ms,
                    )
                    .await
                    .map_err(refused)?;
                ack.cart_events += outcome.events;
                continue;
            }
            _ => {}
        }
        let message = match InboundMessage::from_event(event) {
            Ok(Some(message)) => message,
            Ok(None) | Err(_) => {
                ack.ignored += 1;
                continue;
            }
        };
        match app.inbox.ingest(shop.clone(), message).await {
            Ok(outcome) if outcome.duplicate => ack.duplicates += 1,
            Ok(_) => ack.stored += 1,
            Err(
                shopmux_core::CoreError::RuleViolation(_) | shopmux_core::CoreError::Invalid { .. },
            ) => ack.refused += 1,
            Err(e) => return Err(e.into()),
        }
    }
    app.metrics
        .webhooks_accepted
        .fetch_add(1, Ordering::Relaxed);
    tracing::debug!(message = "Webhook accepted.", %platform, %shop_id, stored = ack.stored, duplicates = ack.duplicates, orders = ack.orders);
    // Some platforms want a body of their own as the acknowledgement (Douyin).
    Ok(match adapter.webhook_answer() {
        Some(answer) => (
            [(axum::http::header::CONTENT_TYPE, answer.content_type)],
            answer.body,
        )
            .into_response(),
        None => ApiJson(ack).into_response(),
    })
}
