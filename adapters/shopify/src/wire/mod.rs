//! Shopify wire types, one module per area: [`webhooks`] (cart and Messaging-API payloads,
//! with the [`header`] names and [`topic`]s in their own modules) and [`admin`] (Admin
//! GraphQL request builders and reply types).
//! Every item is re-exported here, so callers write `wire::X` whatever the module.
//!
//! **Shopify Inbox has no public API to read or answer its chats** (platform-apis.md §2.3): a
//! Shopify adapter runs its own storefront chat channel and uses Shopify only for context
//! (customers, orders, discount-code status) and for `carts/*` webhooks. The admission-only
//! Messaging API, which pushes an app's own channel into Inbox, is modelled only as far as its
//! `message_delivery` webhook envelope.
//!
//! The builders return a [`WireRequest`] (Admin API calls are not signed; the token travels
//! in [`ACCESS_TOKEN_HEADER`]); an HTTP client elsewhere sends it.

pub mod admin;
mod error;
pub mod header;
pub mod topic;
pub mod webhooks;

pub use admin::{
    ACCESS_TOKEN_HEADER, AdminSession, CodeDiscount, Connection, Customer, CustomerData,
    CustomersData, DISCOUNT_CODE_QUERY, DiscountCodeData, DiscountCodeNode, DiscountStatus,
    EmailAddress, GraphqlError, GraphqlResponse, Money, ORDERS_QUERY, OrderSummary, OrdersData,
    PRODUCTS_QUERY, ProductNode, ProductNodesData, WireRequest, customer_by_email, customer_by_id,
    customer_query, customers_search_query, discount_code_status, graphql_request,
    orders_for_customer, products_by_ids, validate_shop_domain,
};
pub use error::WireError;
pub use webhooks::{CartLineItem, CartPayload, MessagingWebhook, WebhookHeaders};
