//! Products (Product API 202309): "Search Products", paged, filtered by status (the API
//! has no title filter), and the product, SKU, price and stock fields shopmux reads.

use serde::{Deserialize, Serialize};
use shopmux_contract::wire::lenient;

use super::WireError;
use super::request::{HttpMethod, RequestContext, WireRequest, json_request, paged, paging};

/// The buyer-facing page of a product: this prefix and the product id. \[check\]: seen in
/// third-party catalogue tools, not in Partner Center docs.
pub const PRODUCT_PAGE_URL: &str = "https://shop.tiktok.com/view/product/";

/// Product `status` of a product on sale.
pub const PRODUCT_STATUS_ACTIVATE: &str = "ACTIVATE";

/// A "Search Products" call (`POST /product/202309/products/search`): paging in the
/// query, filters in the JSON body. The API has no title filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductSearchQuery {
    /// `page_size`, 1–100 (required by the platform).
    pub page_size: u32,
    /// `page_token` from the previous page's `next_page_token`.
    pub page_token: Option<String>,
    /// Body `status`: `ALL`, `DRAFT`, `PENDING`, `FAILED`, `ACTIVATE`,
    /// `SELLER_DEACTIVATED`, `PLATFORM_DEACTIVATED`, `FREEZE`, `DELETED`.
    pub status: Option<String>,
}

#[derive(Serialize)]
struct ProductSearchBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
}

/// Search the shop's products.
pub fn search_products(
    ctx: &RequestContext<'_>, query: &ProductSearchQuery,
) -> Result<WireRequest, WireError> {
    let params = paging(query.page_size, query.page_token.as_deref());
    let body = ProductSearchBody { status: query.status.as_deref() };
    json_request(ctx, HttpMethod::Post, "/product/202309/products/search".to_owned(), params, &body)
}

/// `data` of "Search Products".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductsPage {
    /// `products`.
    #[serde(default)]
    pub products: Vec<ProductSummary>,
    /// `next_page_token`; empty or absent on the last page.
    pub next_page_token: Option<String>,
    /// `total_count`.
    pub total_count: Option<i64>,
}

/// A product as "Search Products" lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductSummary {
    /// `id`.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// `title`.
    #[serde(default)]
    pub title: String,
    /// `status`, e.g. [`PRODUCT_STATUS_ACTIVATE`].
    pub status: Option<String>,
    /// `skus`.
    #[serde(default)]
    pub skus: Vec<ProductSku>,
    /// `create_time`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    /// `update_time`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub update_time: Option<i64>,
}

/// One of a product's `skus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductSku {
    /// `id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// `seller_sku`.
    pub seller_sku: Option<String>,
    /// `price`.
    pub price: Option<SkuPrice>,
    /// `inventory`, per warehouse.
    #[serde(default)]
    pub inventory: Vec<SkuInventory>,
}

/// A SKU's `price`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuPrice {
    /// `currency`.
    pub currency: Option<String>,
    /// `sale_price`, a decimal string: what the buyer pays.
    pub sale_price: Option<String>,
    /// `tax_exclusive_price`, a decimal string.
    pub tax_exclusive_price: Option<String>,
}

/// A SKU's stock in one warehouse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuInventory {
    /// `warehouse_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub warehouse_id: Option<String>,
    /// `quantity`.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub quantity: Option<i64>,
}

paged!(ProductsPage);
