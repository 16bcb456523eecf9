//! AliExpress wire types: IOP common parameters, the message-centre APIs, reply envelopes.
//!
//! **Buyer chat (IM) has no open API** (platform-apis.md §3.3). What exists is the older
//! message-centre / order-message family (站内信/订单留言,
//! `aliexpress.message.redefining.versiontwo.*`), documented in the legacy TOP SDKs; whether
//! the current IOP gateway still serves it is unconfirmed. The builders here target the IOP
//! gateway by default and can target the legacy TOP gateway
//! ([`legacy_top_request`]).
//!
//! Requests are `POST` with every parameter (common and business, `sign` last) form-encoded in
//! the body, as the official IOP SDK sends them. The builders return a signed
//! [`WireRequest`]; an HTTP client elsewhere sends it.
//!
//! By API area: [`request`] (the gateways, common parameters, signing), [`reply`]
//! (envelopes and gateway errors), [`messages`] (the message centre), [`orders`] (order
//! look-ups), [`tokens`] (token create and refresh), [`pacific`] (US Pacific time, the
//! order APIs' time zone). Everything is re-exported here: `wire::X` names each item.

pub mod messages;
pub mod orders;
pub mod pacific;
pub mod reply;
pub mod request;
pub mod tokens;

pub use messages::{
    ActionReply, CreateMessage, DetailListReply, DetailListResult, FilePath, MAX_PAGE_SIZE,
    MessageDetail, MessageKind, MessageSummary, Relation, RelationListReply, RelationListResult,
    RelationQuery, add_message, mark_processed, mark_read, query_detail_list, query_relation_list,
};
pub use orders::{
    OrderDetail, OrderInfoReply, OrderInfoResult, OrderListReply, OrderListResult, OrderQuery,
    OrderSummary, order_info, order_list,
};
pub use pacific::{pacific_datetime, pacific_offset, parse_pacific};
pub use reply::{GatewayError, Refusable, Refusal, Reply, TopList, parse_reply, response_key};
pub use request::{
    AUTHORIZE_URL, AppCredentials, FORM_CONTENT_TYPE, HttpMethod, IOP_HOST, LEGACY_TOP_HOST,
    LEGACY_TOP_PATH, REST_PREFIX, RequestContext, SYNC_PATH, WireRequest, business_request,
    legacy_top_request, system_request,
};
pub use tokens::{TokenReply, parse_token_reply, token_create, token_refresh};

/// API names (§3.3).
pub mod method {
    /// List message relations (conversations); param `query` (JSON).
    pub const QUERY_RELATION_LIST: &str =
        "aliexpress.message.redefining.versiontwo.querymsgrelationlist";
    /// One relation's messages; params `channel_id`, `current_page`, `page_size`, `extern_id`.
    pub const QUERY_DETAIL_LIST: &str =
        "aliexpress.message.redefining.versiontwo.querymsgdetaillist";
    /// A buyer's messages; params `buyer_login_id`, `current_page`, `page_size`, `extern_id`.
    pub const QUERY_DETAIL_LIST_BY_BUYER: &str =
        "aliexpress.message.redefining.versiontwo.querymsgdetaillistbybuyerid";
    /// The relation id for a buyer; param `buyer_id`.
    pub const QUERY_CHANNEL_BY_BUYER: &str =
        "aliexpress.message.redefining.versiontwo.querymsgchannelidbybuyerid";
    /// Send a message; param `create_param` (JSON).
    pub const ADD_MESSAGE: &str = "aliexpress.message.redefining.versiontwo.addmsg";
    /// Mark a relation read; param `channel_id`.
    pub const UPDATE_READ: &str = "aliexpress.message.redefining.versiontwo.updatemsgread";
    /// Mark a relation processed; params `channel_id`, `deal_stat`.
    pub const UPDATE_PROCESSED: &str =
        "aliexpress.message.redefining.versiontwo.updatemsgprocessed";
    /// Tag a relation with a colour; params `channel_id`, `rank`.
    pub const UPDATE_RANK: &str = "aliexpress.message.redefining.versiontwo.updatemsgrank";
    /// Order list for context; param `param0` (JSON).
    pub const ORDER_GET: &str = "aliexpress.solution.order.get";
    /// Order detail for context.
    pub const ORDER_INFO_GET: &str = "aliexpress.solution.order.info.get";
    /// System API: create a token from an authorization `code`.
    pub const TOKEN_CREATE: &str = "/auth/token/create";
    /// System API: refresh a token.
    pub const TOKEN_REFRESH: &str = "/auth/token/refresh";
}

/// Why a request could not be built or a reply could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The payload is not the JSON shape expected.
    #[error("unexpected JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// An API name of the wrong kind or with characters outside the allowed set.
    #[error("`{0}` is not a usable API name here")]
    BadApiName(String),
    /// The gateway answered with an error.
    #[error("gateway error {}: {}", .0.code, .0.message.as_deref().unwrap_or(""))]
    Gateway(Box<GatewayError>),
    /// The reply lacks the `<method>_response` object.
    #[error("reply has no `{0}` object")]
    MissingResponse(String),
}

#[cfg(test)]
mod fixtures {
    //! What the builder tests share: the app of the documented signing example and a
    //! request context at a fixed instant.

    use chrono::{TimeZone, Utc};

    use super::{AppCredentials, RequestContext};

    pub(super) fn credentials() -> AppCredentials {
        AppCredentials {
            app_key: "12345678".into(),
            app_secret: "helloworld".into(),
        }
    }

    pub(super) fn ctx(credentials: &AppCredentials) -> RequestContext<'_> {
        RequestContext {
            credentials,
            session: Some("tok-123"),
            now: Utc
                .timestamp_opt(1_700_000_000, 0)
                .single()
                .expect("valid time"),
        }
    }
}
