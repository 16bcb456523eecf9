//! Webhook header names (§2.1). Match them case-insensitively.

/// Base64 HMAC-SHA256 of the body (required).
pub const HMAC: &str = "X-Shopify-Hmac-Sha256";
/// Topic, e.g. `carts/update` (required).
pub const TOPIC: &str = "X-Shopify-Topic";
/// `{shop}.myshopify.com` (required).
pub const SHOP_DOMAIN: &str = "X-Shopify-Shop-Domain";
/// API version of the payload (required).
pub const API_VERSION: &str = "X-Shopify-API-Version";
/// Delivery id; use it to drop duplicates (required).
pub const WEBHOOK_ID: &str = "X-Shopify-Webhook-Id";
/// Sub-topic (optional).
pub const SUB_TOPIC: &str = "X-Shopify-Sub-Topic";
/// Subscription name (optional).
pub const NAME: &str = "X-Shopify-Name";
/// When the event fired (optional).
pub const TRIGGERED_AT: &str = "X-Shopify-Triggered-At";
/// Event id, shared by deliveries of one event (optional).
pub const EVENT_ID: &str = "X-Shopify-Event-Id";
