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
use shopmux_contract::adapter::{Adapter, AdapterError, OrderInfo, ProductInfo, ProductQuery};
use shopmux_core::ids::{ConversationId, ShopId};
use shopmux_core::inbox::profiles::CustomerPanel;
use shopmux_core::model::Order;
use std::sync::Arc;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};

/// The longest an agent waits for the platform's answer.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(20);
/// Products shown on the workbench.
const WORKBENCH_PRODUCTS: u32 = 20;

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

/// An order on the workbench.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkbenchOrder {
    /// The platform's order id.
    pub external_id: String,
    /// The number buyers see, when it differs.
    pub name: Option<String>,
    /// When it was placed (Unix milliseconds).
    pub created_at_ms: Option<i64>,
    /// The platform's status.
    pub status: Option<String>,
    /// The total, with currency.
    pub total: Option<String>,
    /// Whether a return or refund is in progress.
    pub reverse_in_progress: Option<bool>,
}

impl From<OrderInfo> for WorkbenchOrder {
    fn from(o: OrderInfo) -> Self {
        Self {
            external_id: o.external_id,
            name: o.name,
            created_at_ms: o.created_at_ms,
            status: o.status,
            total: o.total,
            reverse_in_progress: o.reverse_in_progress,
        }
    }
}

impl From<Order> for WorkbenchOrder {
    fn from(o: Order) -> Self {
        Self {
            external_id: o.external_id,
            name: o.name,
            created_at_ms: Some(o.created_at.timestamp_millis()),
            status: Some(o.status),
            total: o.total,
            reverse_in_progress: Some(o.reverse_in_progress),
        }
    }
}

/// A product on the workbench or in a search.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkbenchProduct {
    /// The platform's product id.
    pub external_id: String,
    /// Its title.
    pub title: String,
    /// Price with currency.
    pub price: Option<String>,
    /// The buyer-facing page (what a product card links to).
    pub url: Option<String>,
    /// The main image.
    pub image_url: Option<String>,
    /// On sale now.
    pub active: bool,
    /// Units in stock.
    pub stock: Option<i64>,
}

impl From<ProductInfo> for WorkbenchProduct {
    fn from(p: ProductInfo) -> Self {
        Self {
            external_id: p.external_id,
            title: p.title,
            price: p.price,
            url: p.url,
            image_url: p.image_url,
            active: p.active,
            stock: p.stock,
        }
    }
}

/// What the platform could not answer, so the agent knows the view is partial.
#[derive(Debug, Serialize, ToSchema)]
pub struct LookupProblem {
    /// `orders` or `products`.
    pub part: String,
    /// The platform's error code (`unsupported`, `timeout`, ...).
    pub code: String,
    /// What happened.
    pub message: String,
}

/// The workbench beside a conversation (TT-WB-1).
#[derive(Debug, Serialize, ToSchema)]
pub struct Workbench {
    /// The buyer's orders in this shop, newest first: asked from the platform, or the
    /// orders shopmux recorded when the platform cannot be asked.
    pub orders: Vec<WorkbenchOrder>,
    /// Where `orders` come from: `platform` or `recorded`.
    pub orders_source: String,
    /// The shop's active products.
    pub products: Vec<WorkbenchProduct>,
    /// Parts the platform could not answer.
    pub problems: Vec<LookupProblem>,
}

/// Runs an adapter look-up for a connected shop off the async runtime, with a time limit.
async fn lookup<T: Send + 'static>(
    app: &AppState,
    shop_id: ShopId,
    platform: &str,
    call: impl FnOnce(
        &dyn Adapter,
        &crate::host::DaemonHost,
        &shopmux_contract::adapter::ShopConnection,
    ) -> Result<T, AdapterError>
    + Send
    + 'static,
) -> Result<T, AdapterError> {
    let Some(adapter) = app.adapters.get(platform).cloned() else {
        return Err(AdapterError::permanent(
            "unsupported",
            format!("no adapter for {platform}"),
        ));
    };
    let Some(connection) = app
        .inbox
        .shop_connection(shop_id)
        .await
        .map_err(|e| AdapterError::transient("unavailable", e.to_string()))?
    else {
        return Err(AdapterError::permanent(
            "not_connected",
            "the shop has no platform connection",
        ));
    };
    let host = app.host.for_platform(platform);
    let adapter: Arc<dyn Adapter> = adapter;
    let task = tokio::task::spawn_blocking(move || call(adapter.as_ref(), &host, &connection));
    match tokio::time::timeout(LOOKUP_TIMEOUT, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(AdapterError::transient(
            "adapter_failed",
            "the adapter stopped",
        )),
        Err(_) => Err(AdapterError::transient(
            "timeout",
            "the platform did not answer in time",
        )),
    }
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
    let conversation = app.inbox.conversation(&auth.0, id).await?;
    let buyer = app.inbox.buyer(&auth.0, conversation.buyer_id).await?;
    let platform = conversation.platform.as_str().to_owned();
    let external = buyer.external_id.clone();
    // rule: TT-WB-1 (the buyer's order history in this shop, and the shop's active products)
    let orders = lookup(&app, conversation.shop_id, &platform, move |a, h, c| {
        a.fetch_buyer(h, c, &external)
    });
    let products = lookup(&app, conversation.shop_id, &platform, |a, h, c| {
        a.search_products(
            h,
            c,
            &ProductQuery {
                active_only: true,
                page_size: WORKBENCH_PRODUCTS,
                ..Default::default()
            },
        )
    });
    let (orders, products) = tokio::join!(orders, products);
    let mut problems = Vec::new();
    let mut problem = |part: &str, e: AdapterError| {
        problems.push(LookupProblem {
            part: part.to_owned(),
            code: e.code,
            message: e.message,
        })
    };
    let (orders, orders_source) = match orders {
        Ok(profile) => (
            profile.orders.into_iter().map(Into::into).collect(),
            "platform",
        ),
        Err(e) => {
            problem("orders", e);
            let recorded = app.inbox.buyer_orders(&auth.0, buyer.id).await?;
            (recorded.into_iter().map(Into::into).collect(), "recorded")
        }
    };
    let products = match products {
        Ok(page) => page
            .products
            .into_iter()
            .filter(|p| p.active)
            .map(Into::into)
            .collect(),
        Err(e) => {
            problem("products", e);
            Vec::new()
        }
    };
    Ok(ApiJson(Workbench {
        orders,
        orders_source: orders_source.to_owned(),
        products,
        problems,
    }))
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
    let shop = app.inbox.shop(&auth.0, shop_id).await?;
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
    // rule: DY-PROD-1 (an agent searches the shop's products to send a product link)
    let page = lookup(&app, shop_id, shop.platform.as_str(), move |a, h, c| {
        a.search_products(h, c, &query)
    })
    .await
    .map_err(|e| match e.code.as_str() {
        "unsupported" | "not_connected" => {
            ApiError::new(StatusCode::NOT_IMPLEMENTED, "unsupported", e.message)
        }
        _ if e.retryable => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "platform_unavailable",
            e.to_string(),
        ),
        _ => ApiError::new(StatusCode::BAD_GATEWAY, "platform_refused", e.to_string()),
    })?;
    Ok(ApiJson(ProductResults {
        products: page.products.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}
