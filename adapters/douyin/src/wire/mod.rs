//! Douyin shop (抖店) wire types: the open API request envelope and the message-push envelope.
//!
//! The open platform has **no customer-service / Feige (飞鸽) IM API** (platform-apis.md §4.4):
//! an adapter can read order and after-sale context and receive order/refund pushes, but it
//! cannot read or send buyer chat messages. What is here is exactly that context layer.
//!
//! Requests (§4.1): `POST {gateway}/{method with '.' → '/'}` with query `app_key`, `method`,
//! `access_token` (not for `token.*`), `timestamp`, `v=2`, `sign_method`, `sign`, and
//! `param_json` as the raw JSON body. [`build_request`] returns a
//! signed [`WireRequest`]; an HTTP client elsewhere sends it.
//!
//! By API area: [`request`] (the envelope, signing and the request), [`reply`] (the reply
//! envelope), [`tokens`], [`orders`], [`products`], [`push`] (the message push). Every item
//! is re-exported here: `wire::X` names each.

pub mod orders;
pub mod products;
pub mod push;
pub mod reply;
pub mod request;
pub mod tokens;

pub use orders::order_detail;
pub use products::{
    PRODUCT_DETAIL_URL, PRODUCT_LIST_MAX_PAGE, PRODUCT_LIST_MAX_ROWS, PRODUCT_LIST_MAX_SIZE,
    ProductListData, ProductListItem, ProductListQuery, product_list_v2, product_page_url,
    product_status,
};
pub use push::{
    PUSH_ACK_BODY, PUSH_APP_ID_HEADER, PUSH_SIGN_HEADER, PushAck, PushMessage, TradeCreateData,
    push_tag,
};
pub use reply::{ApiResponse, CODE_SUCCESS};
pub use request::{
    AUTHORIZE_URL, AppCredentials, GATEWAY_HOST, HttpMethod, NO_OLD_ERR_CODE_HEADER,
    RequestContext, RequestEnvelope, SANDBOX_HOST, WireRequest, build_request, method_path,
};
pub use tokens::{TokenData, token_create_for_shop, token_create_with_code, token_refresh};

/// Dotted API names used for order context (§4.2, §4.4).
pub mod method {
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
}

/// Why a request could not be built or a payload could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload is not the JSON shape expected.
    #[error("unexpected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A method name that is not dotted letters and digits.
    #[error("`{0}` is not an open API method name")]
    BadMethod(String),
    /// A product list page outside what `product.listV2` serves.
    #[error("page {page} of size {size} is outside product.listV2's paging")]
    BadPage {
        /// The page asked for.
        page: u32,
        /// The size asked for.
        size: u32,
    },
}

#[cfg(test)]
mod fixtures {
    //! What the builder tests share: an app and a request context at a fixed instant.

    use chrono::{TimeZone, Utc};

    use super::{AppCredentials, GATEWAY_HOST, RequestContext};
    use crate::sign::SignMethod;

    pub(super) fn credentials() -> AppCredentials {
        AppCredentials {
            app_key: "7000000000000000001".into(),
            app_secret: "douyin-secret".into(),
        }
    }

    pub(super) fn ctx(credentials: &AppCredentials) -> RequestContext<'_> {
        RequestContext {
            host: GATEWAY_HOST,
            credentials,
            access_token: Some("tok-abc"),
            sign_method: SignMethod::HmacSha256,
            now: Utc
                .timestamp_opt(1_700_000_000, 0)
                .single()
                .expect("valid time"),
        }
    }
}
