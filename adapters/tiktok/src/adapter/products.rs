//! The workbench's product search (TT-WB-1): Search Products, with status ACTIVATE when
//! only products on sale are asked for. The API has no title filter, so a text query
//! reads full pages (at most five per call) and matches every word of the title here; the
//! cursor `{skip}:{page_token}` resumes mid-page, so no product is skipped or repeated.

use std::ops::ControlFlow;

use shopmux_contract::adapter::{
    AdapterError, Host, ProductInfo, ProductPage, ProductQuery, ShopConnection,
};

use super::TikTok;
use super::api::Walk;
use crate::wire::{
    self, PRODUCT_PAGE_URL, PRODUCT_STATUS_ACTIVATE, Paged, ProductSearchQuery, ProductSummary,
    ProductsPage,
};
use shopmux_contract::wire::money;

/// A product page asks for this many when the query gives no size.
const DEFAULT_PRODUCT_PAGE: u32 = 20;

/// A title search reads at most this many pages of 100 products per call (Search
/// Products has no title filter, so titles are matched here).
const PRODUCT_SCAN_PAGES: usize = 5;

/// Whether every word of `text` occurs in `title`, ignoring case.
fn title_matches(title: &str, text: &str) -> bool {
    let title = title.to_lowercase();
    text.split_whitespace().all(|word| title.contains(&word.to_lowercase()))
}

/// The workbench's view of a TikTok product.
fn product_info(product: &ProductSummary) -> ProductInfo {
    let price = product.skus.iter().filter_map(|sku| sku.price.as_ref()).find_map(|price| {
        let amount = price
            .sale_price
            .as_deref()
            .or(price.tax_exclusive_price.as_deref())
            .filter(|amount| !amount.is_empty())?;
        Some(money(amount, price.currency.as_deref()))
    });
    let quantities: Vec<i64> = product
        .skus
        .iter()
        .flat_map(|sku| &sku.inventory)
        .filter_map(|inventory| inventory.quantity)
        .collect();
    ProductInfo {
        external_id: product.id.clone(),
        title: product.title.clone(),
        price,
        url: Some(format!("{PRODUCT_PAGE_URL}{}", product.id)),
        image_url: None,
        active: product.status.as_deref() == Some(PRODUCT_STATUS_ACTIVATE),
        stock: (!quantities.is_empty()).then(|| quantities.iter().sum()),
    }
}

/// A product cursor: the TikTok page token to read, and how many products of that page
/// were already returned (`{skip}:{token}`).
fn parse_product_cursor(cursor: Option<&str>) -> Result<(Option<String>, usize), AdapterError> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok((None, 0));
    };
    let bad = || AdapterError::permanent("bad_cursor", "not a cursor this adapter returned");
    let (skip, token) = cursor.split_once(':').ok_or_else(bad)?;
    let skip = skip.parse::<usize>().map_err(|_| bad())?;
    Ok(((!token.is_empty()).then(|| token.to_owned()), skip))
}

fn product_cursor(token: Option<&str>, skip: usize) -> String {
    format!("{skip}:{}", token.unwrap_or_default())
}

impl TikTok {
    /// One page of the shop's products matching `query`.
    pub(super) fn products(
        &self, host: &dyn Host, shop: &mut ShopConnection, query: &ProductQuery,
    ) -> Result<ProductPage, AdapterError> {
        let want = match query.page_size {
            0 => DEFAULT_PRODUCT_PAGE,
            n => n.min(100),
        } as usize;
        let text = query.text.as_deref().map(str::trim).filter(|text| !text.is_empty());
        // rule: TT-WB-1 — the shop's active products: Search Products with status ACTIVATE
        // when only products on sale are asked for.
        let status = query.active_only.then(|| PRODUCT_STATUS_ACTIVATE.to_owned());
        // Titles are matched here (the API has no title filter): read full pages then.
        let per_page = if text.is_some() { 100 } else { want as u32 };
        let wanted = |product: &ProductSummary| {
            (!query.active_only || product.status.as_deref() == Some(PRODUCT_STATUS_ACTIVATE))
                && text.is_none_or(|text| title_matches(&product.title, text))
        };
        let (first_token, mut skip) = parse_product_cursor(query.cursor.as_deref())?;
        let mut products = Vec::new();
        let search = |ctx: &wire::RequestContext<'_>, page_token: Option<&str>| {
            wire::search_products(
                ctx,
                &ProductSearchQuery {
                    page_size: per_page,
                    page_token: page_token.map(str::to_owned),
                    status: status.clone(),
                },
            )
        };
        let walk = self.walk_pages(
            host,
            shop,
            PRODUCT_SCAN_PAGES,
            first_token,
            search,
            |_, page: &ProductsPage, page_token| {
                for (index, product) in page.products.iter().enumerate().skip(skip) {
                    if !wanted(product) {
                        continue;
                    }
                    if products.len() == want {
                        return Ok(ControlFlow::Break(product_cursor(page_token, index)));
                    }
                    products.push(product_info(product));
                }
                skip = 0;
                Ok(match page.next_page() {
                    Some(next) if products.len() == want => {
                        ControlFlow::Break(product_cursor(Some(next), 0))
                    }
                    _ => ControlFlow::Continue(()),
                })
            },
        )?;
        let next_cursor = match walk {
            Walk::Stopped(cursor) => Some(cursor),
            Walk::Exhausted => None,
            Walk::Limited(token) => Some(product_cursor(token.as_deref(), 0)),
        };
        Ok(ProductPage { products, next_cursor })
    }
}
