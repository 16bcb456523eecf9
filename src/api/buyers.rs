//! Buyers: the profile with orders, and internal notes (SH-NOTE-1).

use super::AppState;
use super::error::{ApiResult, ErrorBody, Ok as OkBody};
use super::extract::{ApiJson, ApiPath, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shopmux_core::domain::ids::{BuyerId, NoteId, ShopId};
use shopmux_core::domain::model::{Buyer, BuyerNote, Order};
use shopmux_core::services::outreach::{NewOutreach, Outreach};
use utoipa::ToSchema;

/// A note's text.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    /// The note (1 to 5000 characters).
    pub body: String,
}

/// A buyer with its orders in the shop.
#[derive(Debug, Serialize, ToSchema)]
pub struct BuyerProfile {
    /// The buyer.
    pub buyer: Buyer,
    /// Its orders, newest first.
    pub orders: Vec<Order>,
}

/// A buyer and its orders.
#[utoipa::path(get, path = "/api/v1/buyers/{buyer_id}", tag = "buyers", security(("bearer" = [])),
    params(("buyer_id" = BuyerId, Path, description = "The buyer")),
    responses((status = 200, body = BuyerProfile), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_buyer(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<BuyerId>,
) -> ApiResult<ApiJson<BuyerProfile>> {
    let buyer = app.inbox.buyer(&auth.0, id).await?;
    let orders = app.inbox.buyer_orders(&auth.0, id).await?;
    Ok(ApiJson(BuyerProfile { buyer, orders }))
}

/// The internal notes on a buyer; never shown to the buyer.
#[utoipa::path(get, path = "/api/v1/buyers/{buyer_id}/notes", tag = "buyers", security(("bearer" = [])),
    params(("buyer_id" = BuyerId, Path, description = "The buyer")),
    responses((status = 200, body = Vec<BuyerNote>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_notes(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<BuyerId>,
) -> ApiResult<ApiJson<Vec<BuyerNote>>> {
    Ok(ApiJson(app.inbox.notes(&auth.0, id).await?))
}

/// Add a note on a buyer.
#[utoipa::path(post, path = "/api/v1/buyers/{buyer_id}/notes", tag = "buyers", request_body = NoteBody, security(("bearer" = [])),
    params(("buyer_id" = BuyerId, Path, description = "The buyer")),
    responses((status = 201, body = BuyerNote), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_note(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<BuyerId>,
    ApiJson(body): ApiJson<NoteBody>,
) -> ApiResult<(StatusCode, ApiJson<BuyerNote>)> {
    Ok((
        StatusCode::CREATED,
        ApiJson(app.inbox.add_note(&auth.0, id, &body.body).await?),
    ))
}

/// Edit a note.
#[utoipa::path(put, path = "/api/v1/buyers/{buyer_id}/notes/{note_id}", tag = "buyers", request_body = NoteBody, security(("bearer" = [])),
    params(("buyer_id" = BuyerId, Path, description = "The buyer"), ("note_id" = NoteId, Path, description = "The note")),
    responses((status = 200, body = BuyerNote), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn edit_note(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath((id, note)): ApiPath<(BuyerId, NoteId)>,
    ApiJson(body): ApiJson<NoteBody>,
) -> ApiResult<ApiJson<BuyerNote>> {
    Ok(ApiJson(
        app.inbox.edit_note(&auth.0, id, note, &body.body).await?,
    ))
}

/// Delete a note.
#[utoipa::path(delete, path = "/api/v1/buyers/{buyer_id}/notes/{note_id}", tag = "buyers", security(("bearer" = [])),
    params(("buyer_id" = BuyerId, Path, description = "The buyer"), ("note_id" = NoteId, Path, description = "The note")),
    responses((status = 200, body = OkBody), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_note(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath((id, note)): ApiPath<(BuyerId, NoteId)>,
) -> ApiResult<ApiJson<OkBody>> {
    app.inbox.delete_note(&auth.0, id, note).await?;
    Ok(ApiJson(OkBody { ok: true }))
}

/// Start a chat with a buyer (seller-initiated), checked by the platform's rules; on
/// AliExpress give `order_id` to start from one of the buyer's orders (AE-INIT-1).
#[utoipa::path(post, path = "/api/v1/shops/{shop_id}/buyers/{buyer_id}/conversations", tag = "buyers",
    request_body = NewOutreach, security(("bearer" = [])),
    params(("shop_id" = ShopId, Path, description = "The shop"), ("buyer_id" = BuyerId, Path, description = "The buyer")),
    responses((status = 201, body = Outreach), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, description = "Refused by a platform rule (`rule_violation`) or an invalid field", body = ErrorBody)))]
pub async fn initiate(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath((shop_id, buyer_id)): ApiPath<(ShopId, BuyerId)>,
    ApiJson(body): ApiJson<NewOutreach>,
) -> ApiResult<(StatusCode, ApiJson<Outreach>)> {
    let buyer = app.inbox.buyer(&auth.0, buyer_id).await?;
    if buyer.shop_id != shop_id {
        return Err(shopmux_core::CoreError::NotFound("buyer").into());
    }
    Ok((
        StatusCode::CREATED,
        ApiJson(app.inbox.initiate(&auth.0, buyer_id, body).await?),
    ))
}
