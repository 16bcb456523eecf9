//! Push `tag`s (§4.3; the order and refund tags the SDKs list).

/// The test message sent when the push URL is configured.
pub const TEST: &str = "0";
/// Trade created.
pub const TRADE_CREATE: &str = "100";
/// Trade paid.
pub const TRADE_PAID: &str = "101";
/// Seller shipped.
pub const TRADE_SELLER_SHIP: &str = "102";
/// Trade succeeded.
pub const TRADE_SUCCESS: &str = "103";
/// Logistics changed.
pub const TRADE_LOGISTICS_CHANGED: &str = "104";
/// Address changed.
pub const TRADE_ADDRESS_CHANGED: &str = "105";
/// Trade canceled.
pub const TRADE_CANCELED: &str = "106";
/// Refund created.
pub const REFUND_CREATED: &str = "200";
/// Refund agreed.
pub const REFUND_AGREED: &str = "201";
/// Refund succeeded.
pub const REFUND_SUCCESS: &str = "207";
/// Refund closed.
pub const REFUND_CLOSED: &str = "208";
