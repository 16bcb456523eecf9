//! The documented maxima of message content, the same for every platform (a platform
//! may allow less; its rule set says so). Lengths count characters (Unicode scalar
//! values), as the OpenAPI document's `maxLength` does; content over a bound is refused
//! with `invalid_field` naming the field, never truncated.

/// Longest text of a message, a notice, an automatic reply or a product list's message.
pub const MAX_TEXT_CHARS: usize = 10_000;
/// Longest URL (images, videos, product links).
pub const MAX_URL_CHARS: usize = 2_048;
/// Longest platform id (product, order) or code (emoji, coupon).
pub const MAX_ID_CHARS: usize = 256;
/// Longest name or title (products, coupons, cart lines, quick actions).
pub const MAX_NAME_CHARS: usize = 512;
/// Longest short label (an order's status, a cart's subtotal).
pub const MAX_LABEL_CHARS: usize = 128;
/// Most products shared in one message.
pub const MAX_PRODUCTS_PER_MESSAGE: usize = 20;
/// Most lines of one cart event.
pub const MAX_CART_LINES: usize = 500;
/// Most quick actions of one automatic reply.
pub const MAX_QUICK_ACTIONS: usize = 10;
/// The longest comment a buyer's rating carries, in characters (DY-RATE-1).
pub const MAX_RATING_COMMENT_CHARS: usize = 500;
