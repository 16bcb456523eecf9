//! What an agent sees beside a conversation, asked live from the platform through the
//! registry: the buyer's orders in this shop and the shop's active products (TT-WB-1),
//! and a product search to share a product link (DY-PROD-1). What the platform cannot
//! answer is said, and the orders shopmux recorded are shown instead.

use crate::domain::ids::{ConversationId, ShopId};
use crate::domain::model::{Order, Platform};
use crate::domain::viewer::Viewer;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use serde::Serialize;
use shopmux_contract::adapter::{
    AdapterError, OrderInfo, ProductInfo, ProductPage, ProductQuery, ShopConnection,
};

/// Products shown on the workbench.
const WORKBENCH_PRODUCTS: u32 = 20;

/// An order on the workbench.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// What the platform could not answer, so the agent knows the view is partial.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LookupProblem {
    /// `orders` or `products`.
    pub part: String,
    /// The platform's error code (`unsupported`, `timeout`, ...).
    pub code: String,
    /// What happened.
    pub message: String,
}

/// The workbench beside a conversation (TT-WB-1).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Workbench {
    /// The buyer's orders in this shop, newest first: asked from the platform, or the
    /// orders shopmux recorded when the platform cannot be asked.
    pub orders: Vec<WorkbenchOrder>,
    /// Where `orders` come from: `platform` or `recorded`.
    pub orders_source: String,
    /// The shop's active products.
    pub products: Vec<ProductInfo>,
    /// Parts the platform could not answer.
    pub problems: Vec<LookupProblem>,
}

impl Inbox {
    /// A connected shop's connection for a look-up, or why there is none.
    async fn lookup_connection(&self, shop: ShopId) -> Result<ShopConnection, AdapterError> {
        match self.shop_connection(shop).await {
            Ok(Some(connection)) => Ok(connection),
            Ok(None) => {
                Err(AdapterError::permanent("not_connected", "the shop has no platform connection"))
            }
            Err(e) => Err(AdapterError::transient("unavailable", e.to_string())),
        }
    }

    async fn platform_products(
        &self, platform: &Platform, shop: ShopId, query: ProductQuery,
    ) -> Result<ProductPage, AdapterError> {
        let connection = self.lookup_connection(shop).await?;
        self.registry.search_products(platform, connection, query).await
    }

    /// The buyer's orders and the shop's active products, asked from the platform (TT-WB-1).
    pub async fn workbench(&self, viewer: &Viewer, id: ConversationId) -> CoreResult<Workbench> {
        let conversation = self.conversation(viewer, id).await?;
        let buyer = self.buyer(viewer, conversation.buyer_id).await?;
        let (platform, shop) = (&conversation.platform, conversation.shop_id);
        // rule: TT-WB-1 (the buyer's order history in this shop, and the shop's active products)
        let orders = async {
            let connection = self.lookup_connection(shop).await?;
            let external = buyer.external_id.clone();
            self.registry.fetch_buyer(platform, connection, external).await
        };
        let active =
            ProductQuery { active_only: true, page_size: WORKBENCH_PRODUCTS, ..Default::default() };
        let products = self.platform_products(platform, shop, active);
        let (orders, products) = tokio::join!(orders, products);
        let mut problems = Vec::new();
        let mut problem = |part: &str, e: AdapterError| {
            problems.push(LookupProblem { part: part.to_owned(), code: e.code, message: e.message })
        };
        let (orders, orders_source) = match orders {
            Ok(profile) => (profile.orders.into_iter().map(Into::into).collect(), "platform"),
            Err(e) => {
                problem("orders", e);
                let recorded = self.buyer_orders(viewer, buyer.id).await?;
                (recorded.into_iter().map(Into::into).collect(), "recorded")
            }
        };
        let products = match products {
            Ok(page) => page.products.into_iter().filter(|p| p.active).collect(),
            Err(e) => {
                problem("products", e);
                Vec::new()
            }
        };
        Ok(Workbench { orders, orders_source: orders_source.to_owned(), products, problems })
    }

    /// The shop's products matching a query, asked from the platform (DY-PROD-1: an
    /// agent searches the shop's products to send a product link).
    pub async fn search_products(
        &self, viewer: &Viewer, shop_id: ShopId, query: ProductQuery,
    ) -> CoreResult<ProductPage> {
        let shop = self.shop(viewer, shop_id).await?;
        self.platform_products(&shop.platform, shop_id, query).await.map_err(CoreError::Platform)
    }
}
