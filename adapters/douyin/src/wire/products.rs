//! Products (DY-PROD-1): `product.listV2` (a page of the shop's products, by fuzzy title
//! and status, the statuses in [`product_status`](super::product_status)), its reply, the
//! paging limits, and the buyer-facing product page on Douyin's mall.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shopmux_contract::wire::lenient;

use super::request::{RequestContext, WireRequest, build_request};
use super::{WireError, method};

/// A product's buyer-facing detail page on Douyin's mall: this prefix and the product id.
/// Seen in many sellers' tools, not in the open platform's docs.
pub const PRODUCT_DETAIL_URL: &str = "https://haohuo.jinritemai.com/views/product/detail?id=";

/// The buyer-facing page of product `product_id`.
pub fn product_page_url(product_id: &str) -> String {
    format!("{PRODUCT_DETAIL_URL}{product_id}")
}

/// Most pages `product.listV2` serves (`page` 1–100), the most products per page (`size`
/// 1–100), and the most rows reachable by paging (`page * size` ≤ 10 000).
pub const PRODUCT_LIST_MAX_PAGE: u32 = 100;
/// See [`PRODUCT_LIST_MAX_PAGE`].
pub const PRODUCT_LIST_MAX_SIZE: u32 = 100;
/// See [`PRODUCT_LIST_MAX_PAGE`].
pub const PRODUCT_LIST_MAX_ROWS: u32 = 10_000;

/// A `product.listV2` query: a page (`page` from 1, `size` 1–100, `page * size` at most
/// 10 000), a fuzzy title match (`name`) and the product's `status` in the shop.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductListQuery {
    /// `page`, from 1.
    pub page: u32,
    /// `size`, 1–100.
    pub size: u32,
    /// `name`: words of the title (the platform matches fuzzily).
    pub name: Option<String>,
    /// `status`: see [`product_status`](super::product_status).
    pub status: Option<i64>,
}

/// `product.listV2`: one page of the shop's products.
pub fn product_list_v2(
    ctx: &RequestContext<'_>, query: &ProductListQuery,
) -> Result<WireRequest, WireError> {
    let in_range = (1..=PRODUCT_LIST_MAX_PAGE).contains(&query.page)
        && (1..=PRODUCT_LIST_MAX_SIZE).contains(&query.size)
        && query.page * query.size <= PRODUCT_LIST_MAX_ROWS;
    if !in_range {
        return Err(WireError::BadPage { page: query.page, size: query.size });
    }
    let mut params = serde_json::Map::new();
    params.insert("page".into(), query.page.into());
    params.insert("size".into(), query.size.into());
    if let Some(name) = query.name.as_deref().filter(|name| !name.is_empty()) {
        params.insert("name".into(), name.into());
    }
    if let Some(status) = query.status {
        params.insert("status".into(), status.into());
    }
    build_request(ctx, method::PRODUCT_LIST_V2, &Value::Object(params))
}

/// `data` of `product.listV2`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProductListData {
    /// `data`: the products of the page.
    pub data: Vec<ProductListItem>,
    /// `total`: products matching, over all pages.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub total: Option<i64>,
    /// `page`.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub page: Option<i64>,
    /// `size`.
    #[serde(deserialize_with = "lenient::opt_i64")]
    pub size: Option<i64>,
}

/// One product of `product.listV2`, the fields shopmux reads. Prices are in fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductListItem {
    /// `product_id` (a number or a string).
    #[serde(deserialize_with = "lenient::string")]
    pub product_id: String,
    /// `name`: the title.
    #[serde(default)]
    pub name: String,
    /// `discount_price`: the selling price, in fen.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub discount_price: Option<i64>,
    /// `market_price`: the struck-through price, in fen.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub market_price: Option<i64>,
    /// `status`: see [`product_status`](super::product_status).
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub status: Option<i64>,
    /// `check_status`: 3 = approved.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub check_status: Option<i64>,
    /// `img`: the main image.
    pub img: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ApiResponse;
    use crate::wire::fixtures::ctx;
    use crate::wire::product_status;

    #[test]
    fn product_list_request_matches_fixed_vector() {
        let request = product_list_v2(
            &ctx(),
            &ProductListQuery {
                page: 1,
                size: 20,
                name: Some("保温杯".into()),
                status: Some(product_status::ONLINE),
            },
        )
        .expect("builds");
        assert_eq!(request.path, "/product/listV2");
        assert_eq!(request.body, r#"{"name":"保温杯","page":1,"size":20,"status":0}"#.as_bytes());
        assert_eq!(request.query_param("method"), Some("product.listV2"));
        // Computed independently with Python's hmac over the same pre-image (§4.2).
        assert_eq!(
            request.query_param("sign"),
            Some("4f5d6e28861fa27eccf4d3c3a27518c0b28a9cb49369f155d3eadc6c4fa327c9")
        );
        for (page, size) in [(0, 10), (1, 0), (1, 101), (101, 10), (100, 101), (200, 50)] {
            assert!(matches!(
                product_list_v2(
                    &ctx(),
                    &ProductListQuery { page, size, ..ProductListQuery::default() }
                ),
                Err(WireError::BadPage { .. })
            ));
        }
        let reply: ApiResponse<ProductListData> = serde_json::from_str(
            r#"{"code":10000,"msg":"success","data":{"data":[{"product_id":3600137140018749665,"name":"保温杯","discount_price":5900,"status":0,"check_status":3,"img":"https://p3/a.jpg"}],"total":"1","page":1,"size":20}}"#,
        )
        .expect("parses");
        let data = reply.data.expect("data");
        assert_eq!(data.data[0].product_id, "3600137140018749665");
        assert_eq!(data.total, Some(1));
        assert_eq!(
            product_page_url("3600137140018749665"),
            "https://haohuo.jinritemai.com/views/product/detail?id=3600137140018749665"
        );
    }
}
