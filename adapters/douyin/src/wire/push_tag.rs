//! Message-push `tag` values seen in the SDKs (§4.3). No IM / Feige tag exists.

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
/// Return application agreed.
pub const RETURN_APPLY_AGREED: &str = "202";
/// Buyer returned the goods.
pub const BUYER_RETURN_GOODS: &str = "203";
/// Refund refused.
pub const REFUND_REFUSED: &str = "204";
/// Return application refused.
pub const RETURN_APPLY_REFUSED: &str = "205";
/// Refund succeeded.
pub const REFUND_SUCCESS: &str = "207";
/// Refund closed.
pub const REFUND_CLOSED: &str = "208";
