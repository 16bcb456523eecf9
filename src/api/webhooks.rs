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
use bytes::Bytes;
use serde::Serialize;
use shopmux_contract::adapter::WebhookRequest;
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
    /// Events shopmux does not act on.
    pub ignored: usize,
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
) -> ApiResult<ApiJson<WebhookAck>> {
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
    let events = adapter
        .parse_webhook(&connection, &request, now)
        .map_err(|e| {
            if e.code == "bad_signature" {
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
    Ok(ApiJson(ack))
}
