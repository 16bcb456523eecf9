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
//! order APIs' time zone), [`method`] (the API names). Everything is re-exported here: `wire::X` names each item.

mod error;
pub mod messages;
pub mod method;
pub mod orders;
pub mod pacific;
pub mod reply;
pub mod request;
pub mod tokens;

pub use error::WireError;
pub use messages::{
    ActionReply, CreateMessage, DetailListReply, DetailListResult, FilePath, MAX_PAGE_SIZE,
    MessageDetail, MessageKind, MessageSummary, Relation, RelationListReply, RelationListResult,
    RelationQuery, add_message, mark_processed, mark_read, query_detail_list, query_relation_list,
};
pub use orders::{
    LogisticInfo, OrderDetail, OrderFacts, OrderInfoReply, OrderInfoResult, OrderListReply,
    OrderListResult, OrderQuery, OrderResult, OrderSummary, order_info, order_list,
};
pub use pacific::{pacific_datetime, pacific_offset, parse_pacific};
pub use reply::{GatewayError, Refusable, Refusal, Reply, TopList, parse_reply, response_key};
pub use request::{
    AUTHORIZE_URL, AppCredentials, FORM_CONTENT_TYPE, HttpMethod, IOP_HOST, LEGACY_TOP_HOST,
    LEGACY_TOP_PATH, REST_PREFIX, RequestContext, SYNC_PATH, WireRequest, business_request,
    legacy_top_request, system_request,
};
pub use tokens::{TokenReply, parse_token_reply, token_create, token_refresh};

#[cfg(test)]
mod fixtures {
    //! What the builder tests share: the app of the documented signing example and a
    //! request context at a fixed instant.

    use std::sync::LazyLock;

    use chrono::{TimeZone, Utc};

    use super::{AppCredentials, RequestContext};

    /// The app of the documented signing example.
    static CREDENTIALS: LazyLock<AppCredentials> = LazyLock::new(|| AppCredentials {
        app_key: "12345678".into(),
        app_secret: "helloworld".into(),
    });

    /// A request context of that app with a session, at a fixed instant.
    pub(super) fn ctx() -> RequestContext<'static> {
        RequestContext {
            credentials: &CREDENTIALS,
            session: Some("tok-123"),
            now: Utc.timestamp_opt(1_700_000_000, 0).single().expect("valid time"),
        }
    }
}
