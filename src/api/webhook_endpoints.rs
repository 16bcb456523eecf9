//! Outbound webhook endpoints (the main account's; 403 for other accounts, 404 for
//! another seller's ids): register one (its signing secret is in the 201 answer and
//! never again), list them with their status, rotate the secret, pause and resume,
//! send a test ping, delete, and read an endpoint's deliveries with their last attempt
//! — any of which can be sent again. How receivers verify a delivery is in the
//! `webhook_signing` module of the core and the README.

use super::doc::{BadRequest, Conflict, Forbidden, NotFound, Unauthorized, Unprocessable};
use super::error::{ApiResult, JsonResult, Ok as OkBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::http::StatusCode;
use serde::Deserialize;
use shopmux_core::domain::ids::{WebhookDeliveryId, WebhookEndpointId};
use shopmux_core::domain::webhooks::{WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint};
use shopmux_core::services::webhooks::manage::{CreatedEndpoint, EndpointSecret, NewEndpoint};
use utoipa::IntoParams;

/// The path parameter `endpoint_id`.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
pub struct EndpointPath {
    /// The webhook endpoint.
    pub endpoint_id: WebhookEndpointId,
}

/// Which deliveries to list.
#[derive(Clone, Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// Only deliveries in this state.
    pub status: Option<WebhookDeliveryStatus>,
    /// How many, newest first (1 to 200; default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// The seller's webhook endpoints with their status.
#[utoipa::path(get, path = "/api/v1/webhook-endpoints", tag = "integrations",
    responses((status = 200, body = Vec<WebhookEndpoint>), Unauthorized, Forbidden))]
pub async fn list(auth: Auth) -> JsonResult<Vec<WebhookEndpoint>> {
    Ok(ApiJson(auth.inbox().webhook_endpoints(&auth.viewer).await?))
}

/// Register an endpoint; the answer holds its signing secret, shown only this once.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints", tag = "integrations",
    request_body = NewEndpoint,
    responses((status = 201, body = CreatedEndpoint), BadRequest, Unauthorized, Forbidden, Conflict,
        Unprocessable))]
pub async fn create(
    auth: Auth, ApiJson(body): ApiJson<NewEndpoint>,
) -> ApiResult<(StatusCode, ApiJson<CreatedEndpoint>)> {
    let created = auth.inbox().create_webhook_endpoint(&auth.viewer, body).await?;
    Ok((StatusCode::CREATED, ApiJson(created)))
}

/// One endpoint with its status.
#[utoipa::path(get, path = "/api/v1/webhook-endpoints/{endpoint_id}", tag = "integrations",
    params(EndpointPath),
    responses((status = 200, body = WebhookEndpoint), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn get(
    auth: Auth, ApiPath(id): ApiPath<WebhookEndpointId>,
) -> JsonResult<WebhookEndpoint> {
    Ok(ApiJson(auth.inbox().webhook_endpoint(&auth.viewer, id).await?))
}

/// Delete an endpoint and its deliveries.
#[utoipa::path(delete, path = "/api/v1/webhook-endpoints/{endpoint_id}", tag = "integrations",
    params(EndpointPath),
    responses((status = 200, body = OkBody), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn delete(auth: Auth, ApiPath(id): ApiPath<WebhookEndpointId>) -> JsonResult<OkBody> {
    auth.inbox().delete_webhook_endpoint(&auth.viewer, id).await?;
    Ok(ApiJson(OkBody { ok: true }))
}

/// Replace the signing secret (the old one stops at once); shown only this once.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints/{endpoint_id}/secret", tag = "integrations",
    params(EndpointPath),
    responses((status = 200, body = EndpointSecret), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn rotate_secret(
    auth: Auth, ApiPath(id): ApiPath<WebhookEndpointId>,
) -> JsonResult<EndpointSecret> {
    Ok(ApiJson(auth.inbox().rotate_webhook_secret(&auth.viewer, id).await?))
}

/// Pause an endpoint: nothing is attempted; new events are still queued.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints/{endpoint_id}/pause", tag = "integrations",
    params(EndpointPath),
    responses((status = 200, body = WebhookEndpoint), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn pause(
    auth: Auth, ApiPath(id): ApiPath<WebhookEndpointId>,
) -> JsonResult<WebhookEndpoint> {
    Ok(ApiJson(auth.inbox().pause_webhook_endpoint(&auth.viewer, id).await?))
}

/// Resume an endpoint: what is pending goes out in order, with a fresh retry budget.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints/{endpoint_id}/resume", tag = "integrations",
    params(EndpointPath),
    responses((status = 200, body = WebhookEndpoint), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn resume(
    auth: Auth, ApiPath(id): ApiPath<WebhookEndpointId>,
) -> JsonResult<WebhookEndpoint> {
    Ok(ApiJson(auth.inbox().resume_webhook_endpoint(&auth.viewer, id).await?))
}

/// Queue a signed test `ping` to the endpoint.
#[utoipa::path(post, path = "/api/v1/webhook-endpoints/{endpoint_id}/ping", tag = "integrations",
    params(EndpointPath),
    responses((status = 201, body = WebhookDelivery), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn ping(
    auth: Auth, ApiPath(id): ApiPath<WebhookEndpointId>,
) -> ApiResult<(StatusCode, ApiJson<WebhookDelivery>)> {
    Ok((StatusCode::CREATED, ApiJson(auth.inbox().ping_webhook_endpoint(&auth.viewer, id).await?)))
}

/// An endpoint's latest deliveries with their last attempt, newest first.
#[utoipa::path(get, path = "/api/v1/webhook-endpoints/{endpoint_id}/deliveries", tag = "integrations",
    params(EndpointPath, DeliveryQuery),
    responses((status = 200, body = Vec<WebhookDelivery>), BadRequest, Unauthorized, Forbidden, NotFound,
        Unprocessable))]
pub async fn deliveries(
    auth: Auth, ApiPath(id): ApiPath<WebhookEndpointId>, ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> JsonResult<Vec<WebhookDelivery>> {
    Ok(ApiJson(auth.inbox().webhook_deliveries(&auth.viewer, id, q.status, q.limit).await?))
}

/// Send a delivery again: pending, due now, with a fresh retry budget (the same
/// `Shopmux-Delivery` id).
#[utoipa::path(post, path = "/api/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry",
    tag = "integrations",
    params(EndpointPath, ("delivery_id" = WebhookDeliveryId, Path, description = "The delivery")),
    responses((status = 200, body = WebhookDelivery), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn send_again(
    auth: Auth, ApiPath((id, delivery)): ApiPath<(WebhookEndpointId, WebhookDeliveryId)>,
) -> JsonResult<WebhookDelivery> {
    Ok(ApiJson(auth.inbox().send_webhook_again(&auth.viewer, id, delivery).await?))
}
