//! Header names (§2.1, §2.2).

/// The Admin API access token (not a signature: checked as sent).
pub const ACCESS_TOKEN: &str = "X-Shopify-Access-Token";
/// Base64 HMAC-SHA256 of the body.
pub const HMAC: &str = "X-Shopify-Hmac-Sha256";
/// Topic, e.g. `customers/update`.
pub const TOPIC: &str = "X-Shopify-Topic";
/// `{shop}.myshopify.com`.
pub const SHOP_DOMAIN: &str = "X-Shopify-Shop-Domain";
/// API version of the payload.
pub const API_VERSION: &str = "X-Shopify-API-Version";
/// Delivery id (the same on a redelivery).
pub const WEBHOOK_ID: &str = "X-Shopify-Webhook-Id";
/// When the event fired.
pub const TRIGGERED_AT: &str = "X-Shopify-Triggered-At";
/// Event id.
pub const EVENT_ID: &str = "X-Shopify-Event-Id";
