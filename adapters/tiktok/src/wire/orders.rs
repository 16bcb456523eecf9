//! Orders (Order API 202309): "Get Order List" (a search with paging in the query and
//! filters, the buyer's `user_id` among them, in the JSON body) and "Get Order Detail"
//! (ids joined by commas), and the order fields shopmux reads from either.

use serde::{Deserialize, Serialize};
use shopmux_contract::wire::lenient;

use super::WireError;
use super::request::{
    HttpMethod, RequestContext, SortOrder, WireRequest, json_request, paged, paging, push_opt,
    signed_request,
};

/// Most ids one "Get Order Detail" call takes.
pub const ORDER_DETAIL_MAX_IDS: usize = 50;

/// A "Get Order List" search (`POST /order/202309/orders/search`): paging and sort in the
/// query, filters in the JSON body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderSearchQuery {
    /// `page_size`, 1–100 (required by the platform).
    pub page_size: u32,
    /// `page_token` from the previous page's `next_page_token`.
    pub page_token: Option<String>,
    /// `sort_field`: `create_time` or `update_time`.
    pub sort_field: Option<String>,
    /// `sort_order`.
    pub sort_order: Option<SortOrder>,
    /// Body `buyer_user_id`: the buyer's `user_id` (not the `im_user_id`).
    pub buyer_user_id: Option<String>,
    /// Body `order_status`, e.g. `AWAITING_SHIPMENT`.
    pub order_status: Option<String>,
}

#[derive(Serialize)]
struct OrderSearchBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    buyer_user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_status: Option<&'a str>,
}

/// Search the shop's orders ("Get Order List").
pub fn search_orders(
    ctx: &RequestContext<'_>, query: &OrderSearchQuery,
) -> Result<WireRequest, WireError> {
    let mut params = paging(query.page_size, query.page_token.as_deref());
    push_opt(&mut params, "sort_field", query.sort_field.as_deref());
    push_opt(&mut params, "sort_order", query.sort_order.map(SortOrder::as_str));
    let body = OrderSearchBody {
        buyer_user_id: query.buyer_user_id.as_deref(),
        order_status: query.order_status.as_deref(),
    };
    json_request(ctx, HttpMethod::Post, "/order/202309/orders/search".to_owned(), params, &body)
}

/// Fetch orders by id ("Get Order Detail", `GET /order/202309/orders?ids=a,b`): at most
/// [`ORDER_DETAIL_MAX_IDS`], joined by commas.
pub fn get_order_detail(ctx: &RequestContext<'_>, ids: &[&str]) -> Result<WireRequest, WireError> {
    if ids.is_empty()
        || ids.len() > ORDER_DETAIL_MAX_IDS
        || ids.iter().any(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(WireError::BadOrderIds);
    }
    Ok(signed_request(
        ctx,
        HttpMethod::Get,
        "/order/202309/orders".to_owned(),
        vec![("ids".to_owned(), ids.join(","))],
        Vec::new(),
    ))
}

/// `data` of "Get Order List".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersPage {
    /// `orders`.
    #[serde(default)]
    pub orders: Vec<Order>,
    /// `next_page_token`; empty or absent on the last page.
    pub next_page_token: Option<String>,
    /// `total_count`.
    pub total_count: Option<i64>,
}

/// `data` of "Get Order Detail".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderDetails {
    /// `orders`, those of the ids that exist.
    #[serde(default)]
    pub orders: Vec<Order>,
}

/// An order, with the fields shopmux reads (both order calls return this shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// `id`.
    #[serde(deserialize_with = "lenient::string")]
    pub id: String,
    /// `user_id`: the buyer's id orders carry (not the chat `im_user_id`).
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub user_id: Option<String>,
    /// `status`: `UNPAID`, `ON_HOLD`, `AWAITING_SHIPMENT`, …, `COMPLETED`, `CANCELLED`.
    pub status: Option<String>,
    /// `create_time`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub create_time: Option<i64>,
    /// `update_time`, Unix seconds.
    #[serde(default, deserialize_with = "lenient::opt_i64")]
    pub update_time: Option<i64>,
    /// `payment` (`currency`, `total_amount`, …).
    pub payment: Option<OrderPayment>,
    /// `line_items`.
    #[serde(default)]
    pub line_items: Vec<OrderLineItem>,
    /// `tracking_number`, once the order has shipped.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub tracking_number: Option<String>,
}

/// An order's `payment`, the fields read here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderPayment {
    /// `currency`.
    pub currency: Option<String>,
    /// `total_amount`, a decimal string.
    pub total_amount: Option<String>,
}

/// One `line_items[]` entry, the fields read here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLineItem {
    /// `id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub id: Option<String>,
    /// `product_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub product_id: Option<String>,
    /// `product_name`.
    pub product_name: Option<String>,
    /// `sku_id`.
    #[serde(default, deserialize_with = "lenient::opt_string")]
    pub sku_id: Option<String>,
    /// `sale_price`, a decimal string.
    pub sale_price: Option<String>,
    /// `currency`.
    pub currency: Option<String>,
    /// `display_status`.
    pub display_status: Option<String>,
}

paged!(OrdersPage);

#[cfg(test)]
mod tests {
    use super::super::fixtures::ctx;
    use super::super::products::{
        PRODUCT_STATUS_ACTIVATE, ProductSearchQuery, ProductsPage, search_products,
    };
    use super::super::request::ApiResponse;
    use super::*;

    #[test]
    fn order_requests_are_signed_with_their_body_and_ids() {
        let ctx = ctx();
        let search = search_orders(
            &ctx,
            &OrderSearchQuery {
                page_size: 20,
                sort_field: Some("create_time".into()),
                sort_order: Some(SortOrder::Desc),
                buyer_user_id: Some("7494".into()),
                ..OrderSearchQuery::default()
            },
        )
        .expect("builds");
        assert_eq!(search.path, "/order/202309/orders/search");
        assert_eq!(search.body, br#"{"buyer_user_id":"7494"}"#);
        assert_eq!(
            search.query_param("sign"),
            Some("f41229c4f289fcbad31520ea02ffcb7fe9bf88fc6413dd3554e06edb8fd06be1")
        );
        let detail = get_order_detail(&ctx, &["576", "577"]).expect("builds");
        assert_eq!(detail.method, HttpMethod::Get);
        assert_eq!(detail.query_param("ids"), Some("576,577"));
        assert!(detail.url().contains("ids=576%2C577"));
        assert_eq!(
            detail.query_param("sign"),
            Some("6f2dcd52ff5be1973ffe83eae608b3690485cbe69a8d2a5a9a92a0298cf09ddc")
        );
        for bad in [vec![], vec!["1,2"], vec![""], vec!["1"; ORDER_DETAIL_MAX_IDS + 1]] {
            assert!(matches!(get_order_detail(&ctx, &bad), Err(WireError::BadOrderIds)));
        }
        let products = search_products(
            &ctx,
            &ProductSearchQuery {
                page_size: 50,
                status: Some(PRODUCT_STATUS_ACTIVATE.into()),
                ..ProductSearchQuery::default()
            },
        )
        .expect("builds");
        assert_eq!(products.path, "/product/202309/products/search");
        assert_eq!(products.body, br#"{"status":"ACTIVATE"}"#);
        assert_eq!(products.query_param("page_size"), Some("50"));
    }

    #[test]
    fn order_and_product_replies_parse_with_numbers_or_strings() {
        let orders: ApiResponse<OrdersPage> = serde_json::from_str(
            r#"{"code":0,"message":"Success","data":{"orders":[{"id":576,"user_id":"7494","status":"AWAITING_SHIPMENT","create_time":"1700000000","payment":{"currency":"GBP","total_amount":"12.50"},"line_items":[{"id":"1","product_id":1729,"product_name":"Mug","sale_price":"12.50"}],"tracking_number":"TT1234567890"}],"next_page_token":"","total_count":1}}"#,
        )
        .expect("parses");
        let order = &orders.data.expect("data").orders[0];
        assert_eq!(order.id, "576");
        assert_eq!(order.create_time, Some(1_700_000_000));
        assert_eq!(order.line_items[0].product_id.as_deref(), Some("1729"));
        assert_eq!(order.tracking_number.as_deref(), Some("TT1234567890"));
        let products: ApiResponse<ProductsPage> = serde_json::from_str(
            r#"{"code":0,"data":{"products":[{"id":"1729","title":"Mug","status":"ACTIVATE","skus":[{"id":"9","price":{"currency":"GBP","sale_price":"12.50"},"inventory":[{"warehouse_id":"w","quantity":"3"}]}]}],"next_page_token":"abc"}}"#,
        )
        .expect("parses");
        let product = &products.data.expect("data").products[0];
        assert_eq!(product.skus[0].inventory[0].quantity, Some(3));
    }
}
