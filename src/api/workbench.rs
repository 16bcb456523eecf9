//! What an agent sees beside a conversation: the customer panel kept from the platform's
//! notices (SH-PROFILE-1), the workbench asked live from the platform — the buyer's
//! orders in this shop and the shop's active products (TT-WB-1) — and product search to
//! share a product link (DY-PROD-1).

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorBody};
use super::extract::{ApiJson, ApiPath, ApiQuery, Auth};
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use shopmux_contract::adapter::ProductQuery;
use shopmux_core::domain::ids::{ConversationId, ShopId};
use shopmux_core::services::profiles::CustomerPanel;
use shopmux_core::services::workbench::{Workbench, WorkbenchProduct};
use utoipa::{IntoParams, ToSchema};
/// The customer panel of the conversation's buyer (SH-PROFILE-1).
#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}/customer", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = CustomerPanel), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn customer(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<CustomerPanel>> {
    Ok(ApiJson(app.inbox.customer_panel(&auth.0, id).await?))
}

/// The buyer's orders and the shop's active products, asked from the platform (TT-WB-1).
#[utoipa::path(get, path = "/api/v1/conversations/{conversation_id}/workbench", tag = "conversations", security(("bearer" = [])),
    params(("conversation_id" = ConversationId, Path, description = "The conversation")),
    responses((status = 200, body = Workbench), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn workbench(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<ConversationId>,
) -> ApiResult<ApiJson<Workbench>> {
    Ok(ApiJson(app.inbox.workbench(&auth.0, id).await?))
}

/// A product search.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ProductSearch {
    /// Words of the title (none: every product).
    #[serde(default)]
    pub q: Option<String>,
    /// Only products on sale now (default true).
    #[serde(default)]
    pub active_only: Option<bool>,
    /// At most this many (1 to 50, default 20).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The next page, from a previous answer.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A page of products.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductResults {
    /// The products.
    pub products: Vec<WorkbenchProduct>,
    /// The next page.
    pub next_cursor: Option<String>,
}

/// Search the shop's products to share one (DY-PROD-1), asked from the platform.
#[utoipa::path(get, path = "/api/v1/shops/{shop_id}/products", tag = "shops", params(("shop_id" = ShopId, Path, description = "The shop"), ProductSearch), security(("bearer" = [])),
    responses((status = 200, body = ProductResults), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 501, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn products(
    State(app): State<AppState>,
    auth: Auth,
    ApiPath(shop_id): ApiPath<ShopId>,
    ApiQuery(q): ApiQuery<ProductSearch>,
) -> ApiResult<ApiJson<ProductResults>> {
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
    let page = app.inbox.search_products(&auth.0, shop_id, query).await?;
    Ok(ApiJson(ProductResults {
        products: page.products.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}
