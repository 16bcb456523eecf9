//! The pieces of the OpenAPI document that handlers share: one type per failure status
//! (listed in a handler's `responses(...)`, each answering with [`ErrorBody`]) and the
//! path parameters that name a shop, an agent, a buyer or a conversation.

use super::error::ErrorBody;
use utoipa::IntoParams;

/// Writes, for each failure status, a type that documents it with the error body.
macro_rules! failures {
    ($($name:ident $status:tt $description:tt;)*) => {$(
        #[doc = concat!("Documents a ", stringify!($status), " answer: ", $description, ".")]
        #[derive(utoipa::IntoResponses)]
        #[response(status = $status, description = $description)]
        pub struct $name(pub ErrorBody);
    )*};
}

failures! {
    BadRequest 400 "The path, query or body is malformed";
    Unauthorized 401 "No valid bearer token or session cookie";
    Forbidden 403 "The caller may not do this";
    NotFound 404 "No such thing, or not visible to the caller";
    Conflict 409 "The thing's state does not allow it (also: the shop's platform cannot do this, or its connection lacks a credential)";
    PayloadTooLarge 413 "The body is over the size limit";
    Unprocessable 422 "A field's value is not valid";
    TooManyRequests 429 "Too many attempts; `Retry-After` says when to try again";
    BadGateway 502 "The platform refused the call";
    Unavailable 503 "The platform or the store cannot answer now";
}

/// Writes a path parameter type for each id a path names.
macro_rules! path_ids {
    ($($name:ident { $field:ident: $id:ty, $description:tt })*) => {$(
        #[doc = concat!("The path parameter `", stringify!($field), "`.")]
        #[derive(IntoParams)]
        #[into_params(parameter_in = Path)]
        pub struct $name {
            #[doc = $description]
            pub $field: $id,
        }
    )*};
}

path_ids! {
    ShopPath { shop_id: shopmux_core::domain::ids::ShopId, "The shop" }
    AgentPath { agent_id: shopmux_core::domain::ids::AgentId, "The agent" }
    BuyerPath { buyer_id: shopmux_core::domain::ids::BuyerId, "The buyer" }
    ConversationPath { conversation_id: shopmux_core::domain::ids::ConversationId, "The conversation" }
}
