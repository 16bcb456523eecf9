//! The shop's catalogue as adapters report it: products, a product search and its
//! pages (the agents' workbench, TT-WB-1; product search, DY-PROD-1).

use serde::{Deserialize, Serialize};

/// A product of the shop, as the platform's catalogue reports it (the agents' workbench,
/// TT-WB-1; product search, DY-PROD-1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductInfo {
    /// The platform's product id.
    pub external_id: String,
    /// Its title.
    pub title: String,
    /// Price as a decimal string with currency (`"19.90 USD"`), when known.
    pub price: Option<String>,
    /// The buyer-facing page of the product.
    pub url: Option<String>,
    /// The main image.
    pub image_url: Option<String>,
    /// Whether it is on sale now (listed, published, not deleted).
    #[serde(default)]
    pub active: bool,
    /// Units in stock, when the platform says.
    pub stock: Option<i64>,
}

/// A product search: free text (none: all), and a page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductQuery {
    /// Words of the title (none: every product).
    pub text: Option<String>,
    /// Only products on sale now.
    #[serde(default)]
    pub active_only: bool,
    /// At most this many (the adapter may return fewer).
    #[serde(default)]
    pub page_size: u32,
    /// Where to continue, from a previous page.
    pub cursor: Option<String>,
}

/// One page of products.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductPage {
    /// The products.
    pub products: Vec<ProductInfo>,
    /// The next page, when there is one.
    pub next_cursor: Option<String>,
}
