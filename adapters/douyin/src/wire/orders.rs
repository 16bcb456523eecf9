//! Orders (§4.4): `order.orderDetail` of one shop order, which names its buyer
//! (`doudian_open_id`); the adapter reads its `data` as JSON.

use super::request::{RequestContext, WireRequest, build_request};
use super::{WireError, method};

/// `order.orderDetail` for one shop order.
pub fn order_detail(
    ctx: &RequestContext<'_>, shop_order_id: &str,
) -> Result<WireRequest, WireError> {
    let params = serde_json::json!({"shop_order_id": shop_order_id});
    build_request(ctx, method::ORDER_DETAIL, &params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::HttpMethod;
    use crate::wire::fixtures::ctx;

    #[test]
    fn order_detail_request_matches_fixed_vector() {
        let request = order_detail(&ctx(), "4781320682406083640").expect("builds");
        assert_eq!(request.method, HttpMethod::Post);
        assert_eq!(request.path, "/order/orderDetail");
        assert_eq!(request.body, br#"{"shop_order_id":"4781320682406083640"}"#);
        assert_eq!(request.query_param("method"), Some("order.orderDetail"));
        assert_eq!(request.query_param("access_token"), Some("tok-abc"));
        assert_eq!(request.query_param("timestamp"), Some("1700000000"));
        assert_eq!(request.query_param("v"), Some("2"));
        assert_eq!(request.query_param("sign_method"), Some("hmac-sha256"));
        assert_eq!(request.query_param("param_json"), None);
        // Same inputs as the fixed vector in sign.rs (Python hmac).
        assert_eq!(
            request.query_param("sign"),
            Some("789dee29ce9376c7391f2fe458e396f23639e029fe17463c2e0ee1f8a81cfff3")
        );
        assert!(
            request
                .url()
                .starts_with("https://openapi-fxg.jinritemai.com/order/orderDetail?app_key=")
        );
    }
}
