//! Webhook topics an inbox uses (§2.2).

/// An order was created.
pub const ORDERS_CREATE: &str = "orders/create";
/// An order changed.
pub const ORDERS_UPDATED: &str = "orders/updated";
/// A customer was created.
pub const CUSTOMERS_CREATE: &str = "customers/create";
/// A customer changed.
pub const CUSTOMERS_UPDATE: &str = "customers/update";
/// A cart was created (cart events).
pub const CARTS_CREATE: &str = "carts/create";
/// A cart changed (cart events).
pub const CARTS_UPDATE: &str = "carts/update";
/// The shop uninstalled the app: its token no longer works.
pub const APP_UNINSTALLED: &str = "app/uninstalled";
/// Mandatory privacy topic: a customer asked for their data.
pub const CUSTOMERS_DATA_REQUEST: &str = "customers/data_request";
/// Mandatory privacy topic: erase a customer's data.
pub const CUSTOMERS_REDACT: &str = "customers/redact";
/// Mandatory privacy topic: erase a shop's data.
pub const SHOP_REDACT: &str = "shop/redact";

/// Whether `topic` is one of the three mandatory privacy topics.
pub fn is_privacy(topic: &str) -> bool {
    matches!(topic, CUSTOMERS_DATA_REQUEST | CUSTOMERS_REDACT | SHOP_REDACT)
}
