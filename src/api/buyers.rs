//! Buyers: the profile with orders, and internal notes (SH-NOTE-1): read by everyone
//! who sees the buyer, written by accounts that may chat in its shop (403 for view-only
//! agents), edited and deleted only by their author or the main account (403).

use super::doc::{
    BadGateway, BadRequest, BuyerPath, Conflict, Forbidden, NotFound, ShopPath, Unauthorized,
    Unavailable, Unprocessable,
};
use super::error::{ApiResult, ErrorBody, JsonResult, Ok as OkBody};
use super::extract::{ApiJson, ApiPath, Auth};
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
    #[schema(min_length = 1, max_length = 5000, pattern = r"\S")]
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
#[utoipa::path(get, path = "/api/v1/buyers/{buyer_id}", tag = "buyers", params(BuyerPath),
    responses((status = 200, body = BuyerProfile), BadRequest, Unauthorized, NotFound))]
pub async fn get_buyer(auth: Auth, ApiPath(id): ApiPath<BuyerId>) -> JsonResult<BuyerProfile> {
    let buyer = auth.inbox().buyer(&auth.viewer, id).await?;
    let orders = auth.inbox().buyer_orders(&auth.viewer, id).await?;
    Ok(ApiJson(BuyerProfile { buyer, orders }))
}

/// The internal notes on a buyer; never shown to the buyer.
#[utoipa::path(get, path = "/api/v1/buyers/{buyer_id}/notes", tag = "buyers", params(BuyerPath),
    responses((status = 200, body = Vec<BuyerNote>), BadRequest, Unauthorized, NotFound))]
pub async fn list_notes(auth: Auth, ApiPath(id): ApiPath<BuyerId>) -> JsonResult<Vec<BuyerNote>> {
    Ok(ApiJson(auth.inbox().notes(&auth.viewer, id).await?))
}

/// Add a note on a buyer.
#[utoipa::path(post, path = "/api/v1/buyers/{buyer_id}/notes", tag = "buyers",
    request_body = NoteBody, params(BuyerPath),
    responses((status = 201, body = BuyerNote), BadRequest, Unauthorized, Forbidden, NotFound,
        Unprocessable))]
pub async fn add_note(
    auth: Auth, ApiPath(id): ApiPath<BuyerId>, ApiJson(body): ApiJson<NoteBody>,
) -> ApiResult<(StatusCode, ApiJson<BuyerNote>)> {
    Ok((StatusCode::CREATED, ApiJson(auth.inbox().add_note(&auth.viewer, id, &body.body).await?)))
}

/// Edit a note.
#[utoipa::path(put, path = "/api/v1/buyers/{buyer_id}/notes/{note_id}", tag = "buyers",
    request_body = NoteBody,
    params(BuyerPath, ("note_id" = NoteId, Path, description = "The note")),
    responses((status = 200, body = BuyerNote), BadRequest, Unauthorized, Forbidden, NotFound,
        Unprocessable))]
pub async fn edit_note(
    auth: Auth, ApiPath((id, note)): ApiPath<(BuyerId, NoteId)>, ApiJson(body): ApiJson<NoteBody>,
) -> JsonResult<BuyerNote> {
    Ok(ApiJson(auth.inbox().edit_note(&auth.viewer, id, note, &body.body).await?))
}

/// Delete a note.
#[utoipa::path(delete, path = "/api/v1/buyers/{buyer_id}/notes/{note_id}", tag = "buyers",
    params(BuyerPath, ("note_id" = NoteId, Path, description = "The note")),
    responses((status = 200, body = OkBody), BadRequest, Unauthorized, Forbidden, NotFound))]
pub async fn delete_note(
    auth: Auth, ApiPath((id, note)): ApiPath<(BuyerId, NoteId)>,
) -> JsonResult<OkBody> {
    auth.inbox().delete_note(&auth.viewer, id, note).await?;
    Ok(ApiJson(OkBody { ok: true }))
}

/// Start a chat with a buyer (seller-initiated), checked by the platform's rules; on
/// AliExpress give `order_id` to start from one of the buyer's orders (AE-INIT-1).
#[utoipa::path(post, path = "/api/v1/shops/{shop_id}/buyers/{buyer_id}/conversations",
    tag = "buyers", request_body = NewOutreach, params(ShopPath, BuyerPath),
    responses((status = 201, body = Outreach), BadRequest, Unauthorized, Forbidden, NotFound,
        Conflict,
        (status = 422, description = "Refused by a platform rule (`rule_violation`) or an invalid field", body = ErrorBody),
        BadGateway, Unavailable))]
pub async fn initiate(
    auth: Auth, ApiPath((shop_id, buyer_id)): ApiPath<(ShopId, BuyerId)>,
    ApiJson(body): ApiJson<NewOutreach>,
) -> ApiResult<(StatusCode, ApiJson<Outreach>)> {
    let buyer = auth.inbox().buyer(&auth.viewer, buyer_id).await?;
    if buyer.shop_id != shop_id {
        return Err(shopmux_core::CoreError::NotFound("buyer").into());
    }
    Ok((StatusCode::CREATED, ApiJson(auth.inbox().initiate(&auth.viewer, buyer_id, body).await?)))
}
