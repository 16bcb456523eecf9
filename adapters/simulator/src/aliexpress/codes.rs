//! The error codes the AliExpress simulator answers with.
//!
//! Gateway errors are the IOP body `{"type", "code", "message", "request_id"}` with HTTP
//! 200, their codes the same as the Lazada gateway's (sources in `src/iop.rs`).
//! Business refusals of the message centre are not gateway errors: they come
//! inside a successful reply (`is_success: false` with `error_code` / `sub_error_code`),
//! with codes of the simulator's own (no AliExpress list was found).

pub use crate::iop::{
    API_CALL_LIMIT, ILLEGAL_ACCESS_TOKEN, ILLEGAL_REFRESH_TOKEN, INCOMPLETE_SIGNATURE, INVALID_API,
    INVALID_APP_KEY, INVALID_PARAMETER, INVALID_TIMESTAMP, MISSING_PARAMETER, SERVICE_UNAVAILABLE,
};

/// Business refusal: the relation does not exist or is another seller's.
pub const CHANNEL_NOT_FOUND: &str = "CHANNEL_NOT_FOUND";
/// Business refusal (`addmsg`): `seller_id` is not the token's seller.
pub const SELLER_MISMATCH: i64 = 10001;
/// Business refusal (`addmsg`): the buyer has no relation and no order with the seller
/// (the seller cannot start a conversation from nothing; AE-INIT-1, AE-WIN-2/3).
pub const NO_RELATION: i64 = 10002;
/// Business refusal (`addmsg`): an `order` message names an order that is not this
/// buyer's in this shop, or a `product` message has no product id.
pub const BAD_EXTERN_ID: i64 = 10003;
/// Business refusal (`addmsg`): no content and no image, or content over 2000 characters.
pub const BAD_CONTENT: i64 = 10004;
/// Business refusal (order look-up): no such order in this shop.
pub const ORDER_NOT_FOUND: &str = "ORDER_NOT_FOUND";
