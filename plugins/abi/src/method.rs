//! The v1 method names a plugin's `call` dispatches on, and their JSON shapes. The set is
//! closed for v1: a manifest lists which of these the plugin implements; the host falls
//! back to the contract's defaults for the others. Inputs are JSON objects; fields are
//! the contract's serde forms; outputs are the contract method's return value.

/// `{}` → `RuleSet`.
pub const RULE_SET: &str = "rule_set";
/// `{shop, request, now_unix_ms}` → `[InboundEvent]` (pure: no host calls needed). The
/// host reads the events one at a time: one it cannot read is kept as `ignored`.
pub const PARSE_WEBHOOK: &str = "parse_webhook";
/// `{shop, cursor}` → `PollPage` (its events read as `parse_webhook`'s).
pub const POLL: &str = "poll";
/// `{shop, message}` → `SendReceipt`.
pub const SEND: &str = "send";
/// `{shop, content, rules}` → `OutboundRefusal | null`.
pub const VET_OUTBOUND: &str = "vet_outbound";
/// `{shop, platform_conversation_id}` → `null`.
pub const MARK_READ: &str = "mark_read";
/// `{}` → `WebhookAnswer | null`.
pub const WEBHOOK_ANSWER: &str = "webhook_answer";
/// `{shop, order_external_id}` → `OrderInfo`.
pub const FETCH_ORDER: &str = "fetch_order";
/// `{shop, query}` → `ProductPage`.
pub const SEARCH_PRODUCTS: &str = "search_products";
/// `{shop, buyer_external_id}` → `BuyerProfile`.
pub const FETCH_BUYER: &str = "fetch_buyer";
/// `{app, request}` → `string`: the platform's authorization page (capability
/// `authorizes`; pure).
pub const AUTHORIZATION_URL: &str = "authorization_url";
/// `{app, query, now_unix_ms}` → `AuthorizationCallback` (pure).
pub const VERIFY_CALLBACK: &str = "verify_callback";
/// `{app, callback}` → `AuthorizationGrant`.
pub const EXCHANGE_CODE: &str = "exchange_code";
/// `{app, grant}` → `[AuthorizedShop]`.
pub const AUTHORIZED_SHOPS: &str = "authorized_shops";
/// `{shop, address}` → `null` (capability `subscribes_webhooks`).
pub const SUBSCRIBE_WEBHOOKS: &str = "subscribe_webhooks";
/// `{}` → `[string]`: what the plugin checked about itself, one line each (run by
/// `shopmux plugins check`).
pub const SELF_TEST: &str = "self_test";

/// Every v1 method, in the order above.
pub const ALL: &[&str] = &[
    RULE_SET,
    PARSE_WEBHOOK,
    POLL,
    SEND,
    VET_OUTBOUND,
    MARK_READ,
    WEBHOOK_ANSWER,
    FETCH_ORDER,
    SEARCH_PRODUCTS,
    FETCH_BUYER,
    SELF_TEST,
    AUTHORIZATION_URL,
    VERIFY_CALLBACK,
    EXCHANGE_CODE,
    AUTHORIZED_SHOPS,
    SUBSCRIBE_WEBHOOKS,
];
