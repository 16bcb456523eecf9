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
//! envelope), [`tokens`], [`orders`], [`products`], [`push`] (the message push), and the
//! names: [`method`], [`push_tag`], [`product_status`]. Every item is re-exported here:
//! `wire::X` names each.

mod error;
pub mod method;
pub mod orders;
pub mod product_status;
pub mod products;
pub mod push;
pub mod push_tag;
pub mod reply;
pub mod request;
pub mod tokens;

pub use error::WireError;
pub use orders::order_detail;
pub use products::{
    PRODUCT_DETAIL_URL, PRODUCT_LIST_MAX_PAGE, PRODUCT_LIST_MAX_ROWS, PRODUCT_LIST_MAX_SIZE,
    ProductListData, ProductListItem, ProductListQuery, product_list_v2, product_page_url,
};
pub use push::{
    PUSH_ACK_BODY, PUSH_APP_ID_HEADER, PUSH_SIGN_HEADER, PushAck, PushMessage, TradeCreateData,
};
pub use reply::{ApiResponse, CODE_SUCCESS};
pub use request::{
    AUTHORIZE_URL, AppCredentials, GATEWAY_HOST, HttpMethod, NO_OLD_ERR_CODE_HEADER,
    RequestContext, RequestEnvelope, SANDBOX_HOST, WireRequest, build_request, method_path,
};
pub use tokens::{TokenData, token_create_for_shop, token_create_with_code, token_refresh};

#[cfg(test)]
mod fixtures {
    //! What the builder tests share: an app and a request context at a fixed instant.

    use std::sync::LazyLock;

    use chrono::{TimeZone, Utc};

    use super::{AppCredentials, GATEWAY_HOST, RequestContext};
    use crate::sign::SignMethod;

    /// The app of the tests.
    static CREDENTIALS: LazyLock<AppCredentials> = LazyLock::new(|| AppCredentials {
        app_key: "7000000000000000001".into(),
        app_secret: "douyin-secret".into(),
    });

    /// A request context of that app with an access token, at a fixed instant.
    pub(super) fn ctx() -> RequestContext<'static> {
        RequestContext {
            host: GATEWAY_HOST,
            credentials: &CREDENTIALS,
            access_token: Some("tok-abc"),
            sign_method: SignMethod::HmacSha256,
            now: Utc.timestamp_opt(1_700_000_000, 0).single().expect("valid time"),
        }
    }
}
