//! Dotted API names used for order context (§4.2, §4.4).

/// Create an access token.
pub const TOKEN_CREATE: &str = "token.create";
/// Refresh an access token.
pub const TOKEN_REFRESH: &str = "token.refresh";
/// Search orders.
pub const ORDER_SEARCH_LIST: &str = "order.searchList";
/// One order's detail (`shop_order_id`).
pub const ORDER_DETAIL: &str = "order.orderDetail";
/// After-sale list.
pub const AFTERSALE_LIST: &str = "afterSale.List";
/// The shop's products, filtered and paged (`page`, `size`, `name`, `status`, …).
pub const PRODUCT_LIST_V2: &str = "product.listV2";
