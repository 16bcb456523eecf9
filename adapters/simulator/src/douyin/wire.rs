//! Douyin wire facts the simulator needs, stated here rather than imported from the adapter
//! (platform-apis.md §4): the method names it serves, where a method is POSTed, and the
//! push tags.

/// Method names (`method`), dotted.
pub mod method {
    /// Create an access token.
    pub const TOKEN_CREATE: &str = "token.create";
    /// Refresh an access token.
    pub const TOKEN_REFRESH: &str = "token.refresh";
    /// One order's detail.
    pub const ORDER_DETAIL: &str = "order.orderDetail";
    /// The shop's products, paged.
    pub const PRODUCT_LIST_V2: &str = "product.listV2";
}

/// Push `tag`s (§4.3; the order and refund tags the SDKs list).
pub mod push_tag;

/// The path a method is POSTed to: `/` and the method with `.` turned into `/` (§4.1), or
/// `None` when the name is not dot-separated words of letters, digits and `_` (so that no
/// name can reach another method's path).
pub fn method_path(method: &str) -> Option<String> {
    let words_ok = method.split('.').all(|word| {
        !word.is_empty() && word.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
    });
    words_ok.then(|| format!("/{}", method.replace('.', "/")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_paths() {
        assert_eq!(method_path("order.orderDetail").as_deref(), Some("/order/orderDetail"));
        assert_eq!(method_path("token.create").as_deref(), Some("/token/create"));
        assert_eq!(method_path(""), None);
        assert_eq!(method_path("order..detail"), None);
        assert_eq!(method_path(".order"), None);
        assert_eq!(method_path("order/orderDetail"), None);
        assert_eq!(method_path("order.order Detail"), None);
    }
}
