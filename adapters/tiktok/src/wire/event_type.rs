//! Webhook `type` codes (§1.5).

/// ORDER_STATUS_CHANGE.
pub const ORDER_STATUS_CHANGE: i64 = 1;
/// SELLER_DEAUTHORIZATION.
pub const SELLER_DEAUTHORIZATION: i64 = 6;
/// UPCOMING_AUTHORIZATION_EXPIRATION.
pub const UPCOMING_AUTHORIZATION_EXPIRATION: i64 = 7;
/// CANCELLATION_STATUS_CHANGE.
pub const CANCELLATION_STATUS_CHANGE: i64 = 11;
/// RETURN_STATUS_CHANGE.
pub const RETURN_STATUS_CHANGE: i64 = 12;
/// NEW_CONVERSATION: a buyer–shop conversation was created.
pub const NEW_CONVERSATION: i64 = 13;
/// NEW_MESSAGE: a customer-service message was sent in a conversation.
pub const NEW_MESSAGE: i64 = 14;
/// NEW_MESSAGE_LISTENER: the creator/affiliate IM, not buyer chat.
pub const NEW_MESSAGE_LISTENER: i64 = 33;
