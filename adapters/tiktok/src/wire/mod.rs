//! TikTok Shop wire types: customer-service requests and replies, message contents, the chat
//! image upload, orders, products, webhooks and the token refresh, one module per API area.
//!
//! Everything here is sans-IO. The request builders return a [`WireRequest`] (method, host,
//! path, query, headers, body) already signed with [`crate::sign::request_sign`]; an HTTP
//! client elsewhere sends it. Field names follow platform-apis.md §1 exactly; where the
//! platform sends a number as a string or the other way round (ids, image sizes), the types
//! accept both. Every item is re-exported here, so callers write `wire::X` whatever the
//! module.
//!
//! - [`request`] — signing a shop-scoped request, the reply envelope, paging (§1.1, §1.2).
//! - [`chat`] — conversations and messages: list, send, read, create (§1.3).
//! - [`content`] — message `content` shapes per `type`, sent and received (§1.4).
//! - [`media`] — the chat image upload (multipart, its body outside the signature).
//! - [`orders`] — Get Order List and Get Order Detail.
//! - [`products`] — Search Products.
//! - [`webhooks`] — the webhook envelope, its chat events, and the subscription (§1.5);
//!   [`event_type`] — its `type` codes.
//! - [`auth`] — the token refresh on TikTok's auth host.

pub mod auth;
pub mod authorize;
pub mod chat;
pub mod content;
mod error;
pub mod event_type;
pub mod media;
pub mod orders;
pub mod products;
pub mod request;
pub mod webhooks;

#[cfg(test)]
mod fixtures;

pub use auth::{AUTH_HOST, TokenRefreshData, refresh_access_token};
pub use authorize::{
    AUTHORIZE_HOST, AuthorizedShopData, AuthorizedShopsData, TokenGetData, authorize_url,
    get_access_token, get_authorized_shops,
};
pub use chat::{
    Conversation, ConversationsPage, ConversationsQuery, CreateConversationBody,
    CreateConversationData, Message, MessagesPage, MessagesQuery, Participant, Role,
    SendMessageBody, SendMessageData, Sender, SenderRole, create_conversation, get_conversations,
    get_messages, read_messages, send_message,
};
pub use content::{MessageContent, OutboundMessage, TEXT_MAX_CHARS};
pub use error::WireError;
pub use media::{IMAGE_UPLOAD_MAX_BYTES, ImageFormat, UploadedImage, upload_image};
pub use orders::{
    ORDER_DETAIL_MAX_IDS, Order, OrderDetails, OrderLineItem, OrderPayment, OrderSearchQuery,
    OrdersPage, get_order_detail, search_orders,
};
pub use products::{
    PRODUCT_PAGE_URL, PRODUCT_STATUS_ACTIVATE, ProductSearchQuery, ProductSku, ProductSummary,
    ProductsPage, SkuInventory, SkuPrice, search_products,
};
pub use request::{
    ApiResponse, AppCredentials, HttpMethod, Paged, RequestContext, ShopSession, SortOrder,
    WireRequest, signed_request,
};
pub use webhooks::{
    NewConversationEvent, NewMessageEvent, UpdateWebhookBody, WEBHOOK_SIGNATURE_HEADER,
    WebhookEnvelope, WebhookEvent, update_webhook,
};

/// Production API host (§1.1).
pub const API_HOST: &str = "https://open-api.tiktokglobalshop.com";
/// Sandbox API host (§1.1).
pub const SANDBOX_API_HOST: &str = "https://open-api-sandbox.tiktokglobalshop.com";
/// Version segment of the Customer Service and Event paths used here (§1.3, §1.5).
pub const API_VERSION: &str = "202309";
/// Header that carries the seller's access token on 202309+ APIs (§1.1); never signed.
pub const ACCESS_TOKEN_HEADER: &str = "x-tts-access-token";
/// `code` of a successful reply (§1.1).
pub const CODE_SUCCESS: i64 = 0;
/// `code` for an invalid `sign` (§1.1).
pub const CODE_INVALID_SIGN: i64 = 106001;
/// `code` for a `timestamp` outside the allowed window (§1.1).
pub const CODE_INVALID_TIMESTAMP: i64 = 36009004;
/// `code` the auth host answers a token refresh with when the `refresh_token` is invalid
/// or expired: the seller must authorize again (a code third-party clients list among
/// TikTok's authentication errors).
pub const CODE_INVALID_REFRESH_TOKEN: i64 = 36004004;
