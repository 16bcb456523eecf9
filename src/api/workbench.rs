//! What an agent sees beside a conversation: the customer panel kept from the platform's
//! notices (SH-PROFILE-1), the workbench asked live from the platform — the buyer's
//! orders in this shop and the shop's active products (TT-WB-1) — and product search to
//! share a product link (DY-PROD-1).

use super::doc::{
    BadGateway, BadRequest, Conflict, ConversationPath, NotFound, ShopPath, Unauthorized,
    Unavailable,
};
use super::error::{ApiError, JsonResult};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::http::StatusCode;
use serde::Deserialize;
use shopmux_contract::adapter::{ProductPage, ProductQuery};
use shopmux_core::domain::ids::{ConversationId, ShopId};
use shopmux_core::services::profiles::CustomerPanel;
use shopmux_core::services::workbench::Workbench;
use utoipa::IntoParams;
/// The customer panel of the conversation's buyer (SH-PROFILE-1).
#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}/customer",
    tag = "conversations", params(ConversationPath),
    responses((status = 200, body = CustomerPanel), BadRequest, Unauthorized, NotFound))]
pub async fn customer(
    auth: Auth, ApiPath(id): ApiPath<ConversationId>,
) -> JsonResult<CustomerPanel> {
    Ok(ApiJson(auth.inbox().customer_panel(&auth.viewer, id).await?))
}

/// The buyer's orders and the shop's active products, asked from the platform (TT-WB-1).
#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}/workbench",
    tag = "conversations", params(ConversationPath),
    responses((status = 200, body = Workbench), BadRequest, Unauthorized, NotFound))]
pub async fn workbench(auth: Auth, ApiPath(id): ApiPath<ConversationId>) -> JsonResult<Workbench> {
    Ok(ApiJson(auth.inbox().workbench(&auth.viewer, id).await?))
}

/// A product search.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductSearch {
    /// Words of the title (none: every product).
    #[param(max_length = 100)]
    pub q: Option<String>,
    /// Only products on sale now (default true).
    pub active_only: Option<bool>,
    /// At most this many (1 to 50, default 20).
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
    /// The next page, from a previous answer.
    pub cursor: Option<String>,
}

/// Search the shop's products to share one (DY-PROD-1), asked from the platform.
#[utoipa::path(get, path = "/api/v1/shops/{shop_id}/products", tag = "shops",
    params(ShopPath, ProductSearch),
    responses((status = 200, body = ProductPage), BadRequest, Unauthorized, NotFound,
        Conflict, BadGateway, Unavailable))]
pub async fn products(
    auth: Auth, ApiPath(shop_id): ApiPath<ShopId>, ApiQuery(q): ApiQuery<ProductSearch>,
) -> JsonResult<ProductPage> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "limit: must be 1 to 50",
        ));
    }
    let text = q.q.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > 100) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "q: at most 100 characters",
        ));
    }
    let query = ProductQuery {
        text,
        active_only: q.active_only.unwrap_or(true),
        page_size: limit,
        cursor: q.cursor,
    };
    Ok(ApiJson(auth.inbox().search_products(&auth.viewer, shop_id, query).await?))
}
