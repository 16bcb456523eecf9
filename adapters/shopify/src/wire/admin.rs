//! The Admin API (§2.2): one shop's session (the token hidden in `Debug`), the
//! `POST /admin/api/{version}/graphql.json` request with its shop domain and version
//! checked, the queries an inbox asks (customers, orders, discount codes, published
//! products) and their reply types. Admin API calls are not signed.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shopmux_contract::wire::lenient;

use super::WireError;

/// Header carrying the Admin API access token (§2.2).
pub const ACCESS_TOKEN_HEADER: &str = "X-Shopify-Access-Token";

/// A described HTTP request, ready for any HTTP client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRequest {
    /// Always `POST` for GraphQL.
    pub method: &'static str,
    /// `https://{shop}.myshopify.com`.
    pub host: String,
    /// `/admin/api/{version}/graphql.json`.
    pub path: String,
    /// Headers to send; includes the access token.
    pub headers: Vec<(String, String)>,
    /// JSON body `{"query": …, "variables": …}`.
    pub body: Vec<u8>,
}

impl WireRequest {
    /// Host and path joined.
    pub fn url(&self) -> String {
        format!("{}{}", self.host, self.path)
    }
}

/// One shop's Admin API access. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminSession {
    /// `{shop}.myshopify.com`.
    pub shop_domain: String,
    /// Admin API version, e.g. `2026-01`.
    pub api_version: String,
    /// The offline or online access token.
    pub access_token: String,
}

impl fmt::Debug for AdminSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminSession")
            .field("shop_domain", &self.shop_domain)
            .field("api_version", &self.api_version)
            .field("access_token", &"<redacted>")
            .finish()
    }
}

/// Accepts only `{name}.myshopify.com` (letters, digits, `-`), so a request never goes to a
/// host a webhook or a user made up.
pub fn validate_shop_domain(domain: &str) -> Result<&str, WireError> {
    let name = domain
        .strip_suffix(".myshopify.com")
        .ok_or_else(|| WireError::BadShopDomain(domain.to_owned()))?;
    let ok = !name.is_empty()
        && !name.starts_with('-')
        && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
    if ok { Ok(domain) } else { Err(WireError::BadShopDomain(domain.to_owned())) }
}

fn validate_api_version(version: &str) -> Result<&str, WireError> {
    let bytes = version.as_bytes();
    let dated = bytes.len() == 7
        && bytes[4] == b'-'
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[5..].iter().all(u8::is_ascii_digit);
    if dated || version == "unstable" {
        Ok(version)
    } else {
        Err(WireError::BadApiVersion(version.to_owned()))
    }
}

/// `POST https://{shop}.myshopify.com/admin/api/{version}/graphql.json` with `query` and
/// `variables` (§2.2).
pub fn graphql_request(
    session: &AdminSession, query: &str, variables: Value,
) -> Result<WireRequest, WireError> {
    let domain = validate_shop_domain(&session.shop_domain)?;
    let version = validate_api_version(&session.api_version)?;
    let body = serde_json::to_vec(&json!({"query": query, "variables": variables}))?;
    Ok(WireRequest {
        method: "POST",
        host: format!("https://{domain}"),
        path: format!("/admin/api/{version}/graphql.json"),
        headers: vec![
            (ACCESS_TOKEN_HEADER.to_owned(), session.access_token.clone()),
            ("Content-Type".to_owned(), "application/json".to_owned()),
        ],
        body,
    })
}

/// Fields read from a customer (§2.2).
const CUSTOMER_FIELDS: &str = "id displayName createdAt numberOfOrders \
     amountSpent { amount currencyCode } defaultEmailAddress { emailAddress } \
     lastOrder { id name createdAt }";

/// The customer-by-id query; variable `id` (a `gid://shopify/Customer/…`).
pub fn customer_query() -> String {
    format!("query CustomerContext($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}")
}

/// The customers-by-search query; variable `query`, e.g. `email:"ann@example.com"`.
pub fn customers_search_query() -> String {
    format!(
        "query CustomerSearch($query: String!) {{ customers(first: 1, query: $query) \
         {{ nodes {{ {CUSTOMER_FIELDS} }} }} }}"
    )
}

/// The orders-of-a-customer query; variables `query` (`customer_id:…`) and `first`.
pub const ORDERS_QUERY: &str = "query CustomerOrders($query: String!, $first: Int!) { \
     orders(first: $first, query: $query, sortKey: CREATED_AT, reverse: true) { nodes { \
     id name createdAt displayFinancialStatus displayFulfillmentStatus } } }";

/// The discount-code status query; variable `code` (needs `read_discounts`, §2.2).
pub const DISCOUNT_CODE_QUERY: &str = "query DiscountCodeStatus($code: String!) { \
     codeDiscountNodeByCode(code: $code) { id codeDiscount { __typename \
     ... on DiscountCodeBasic { title status startsAt endsAt } \
     ... on DiscountCodeBxgy { title status startsAt endsAt } \
     ... on DiscountCodeFreeShipping { title status startsAt endsAt } } } }";

/// Whether products are published to the online store (SH-PROD-1), by GraphQL id;
/// variable `ids`. A product has an `onlineStoreUrl` only while it is published.
pub const PRODUCTS_QUERY: &str = "query PublishedProducts($ids: [ID!]!) { nodes(ids: $ids) { \
     ... on Product { id title status onlineStoreUrl } } }";

/// One customer by GraphQL id.
pub fn customer_by_id(
    session: &AdminSession, customer_gid: &str,
) -> Result<WireRequest, WireError> {
    graphql_request(session, &customer_query(), json!({"id": customer_gid}))
}

/// The customer with this email, if any.
pub fn customer_by_email(session: &AdminSession, email: &str) -> Result<WireRequest, WireError> {
    let escaped = email.replace('\\', "\\\\").replace('"', "\\\"");
    graphql_request(
        session,
        &customers_search_query(),
        json!({"query": format!("email:\"{escaped}\"")}),
    )
}

/// The customer's latest `first` orders. `customer_id` is the numeric id (the tail of the gid).
pub fn orders_for_customer(
    session: &AdminSession, customer_id: &str, first: u32,
) -> Result<WireRequest, WireError> {
    if customer_id.is_empty() || !customer_id.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(WireError::BadId(customer_id.to_owned()));
    }
    graphql_request(
        session,
        ORDERS_QUERY,
        json!({"query": format!("customer_id:{customer_id}"), "first": first.clamp(1, 250)}),
    )
}

/// The products of these GraphQL ids (`gid://shopify/Product/…`), in the same order.
pub fn products_by_ids(session: &AdminSession, ids: &[String]) -> Result<WireRequest, WireError> {
    graphql_request(session, PRODUCTS_QUERY, json!({ "ids": ids }))
}

/// Whether a discount code exists and its status and dates.
pub fn discount_code_status(session: &AdminSession, code: &str) -> Result<WireRequest, WireError> {
    graphql_request(session, DISCOUNT_CODE_QUERY, json!({"code": code}))
}

/// A GraphQL reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphqlResponse<T> {
    /// `data`.
    #[serde(default = "none")]
    pub data: Option<T>,
    /// `errors`.
    #[serde(default)]
    pub errors: Vec<GraphqlError>,
    /// `extensions` (query cost and throttle status).
    pub extensions: Option<Value>,
}

fn none<T>() -> Option<T> {
    None
}

/// One GraphQL error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraphqlError {
    /// `message`.
    pub message: String,
    /// `extensions`, e.g. `{"code": "THROTTLED"}`.
    pub extensions: Option<Value>,
}

/// `data` of [`customer_query`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomerData {
    /// `customer`; null when not found.
    pub customer: Option<Customer>,
}

/// `data` of [`customers_search_query`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CustomersData {
    /// `customers`.
    pub customers: Connection<Customer>,
}

/// A GraphQL connection read through `nodes`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection<T> {
    /// `nodes`.
    #[serde(default = "Vec::new")]
    pub nodes: Vec<T>,
}

/// The customer fields an inbox shows (§2.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    /// `id` (`gid://shopify/Customer/…`).
    pub id: String,
    /// `displayName`.
    pub display_name: Option<String>,
    /// `createdAt`.
    pub created_at: Option<DateTime<Utc>>,
    /// `numberOfOrders` (an `UnsignedInt64`, sent as a string).
    #[serde(default, deserialize_with = "lenient::opt_u64")]
    pub number_of_orders: Option<u64>,
    /// `amountSpent`.
    pub amount_spent: Option<Money>,
    /// `defaultEmailAddress`.
    pub default_email_address: Option<EmailAddress>,
    /// `lastOrder`.
    pub last_order: Option<OrderSummary>,
}

/// A `MoneyV2`: decimal amount as a string, and ISO currency code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    /// `amount`, e.g. `"129.50"`.
    pub amount: String,
    /// `currencyCode`, e.g. `USD`.
    pub currency_code: String,
}

/// A customer's email address object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EmailAddress {
    /// `emailAddress`.
    pub email_address: Option<String>,
}

/// `data` of [`ORDERS_QUERY`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrdersData {
    /// `orders`.
    pub orders: Connection<OrderSummary>,
}

/// The order fields an inbox shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderSummary {
    /// `id` (`gid://shopify/Order/…`).
    pub id: String,
    /// `name`, e.g. `#1001`.
    pub name: Option<String>,
    /// `createdAt`.
    pub created_at: Option<DateTime<Utc>>,
    /// `displayFinancialStatus`.
    pub display_financial_status: Option<String>,
    /// `displayFulfillmentStatus`.
    pub display_fulfillment_status: Option<String>,
}

/// `data` of [`PRODUCTS_QUERY`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductNodesData {
    /// `nodes`, one per id asked, in order; null for an id that names nothing.
    #[serde(default)]
    pub nodes: Vec<Option<ProductNode>>,
}

/// A node of [`PRODUCTS_QUERY`]: a product's fields, all absent when the id names
/// something else.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductNode {
    /// `id`.
    pub id: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `status`: `ACTIVE`, `ARCHIVED` or `DRAFT`.
    pub status: Option<String>,
    /// `onlineStoreUrl`; null while the product is not published to the online store.
    pub online_store_url: Option<String>,
}

impl ProductNode {
    /// Whether buyers can see the product in the online store: `ACTIVE` and published.
    pub fn is_published(&self) -> bool {
        self.status.as_deref() == Some("ACTIVE") && self.online_store_url.is_some()
    }
}

/// `data` of [`DISCOUNT_CODE_QUERY`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscountCodeData {
    /// `codeDiscountNodeByCode`; null when no such code exists.
    pub code_discount_node_by_code: Option<DiscountCodeNode>,
}

/// A discount code node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiscountCodeNode {
    /// `id`.
    pub id: String,
    /// `codeDiscount`.
    pub code_discount: CodeDiscount,
}

/// The fields shared by `DiscountCodeBasic`, `DiscountCodeBxgy` and `DiscountCodeFreeShipping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeDiscount {
    /// `__typename`.
    #[serde(rename = "__typename")]
    pub typename: String,
    /// `title`.
    pub title: Option<String>,
    /// `status`.
    pub status: Option<DiscountStatus>,
    /// `startsAt`.
    pub starts_at: Option<DateTime<Utc>>,
    /// `endsAt`; null for no end.
    pub ends_at: Option<DateTime<Utc>>,
}

impl CodeDiscount {
    /// Whether the code can be used at `now`: status `ACTIVE`, started, not ended.
    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.status == Some(DiscountStatus::Active)
            && self.starts_at.is_none_or(|starts| starts <= now)
            && self.ends_at.is_none_or(|ends| now < ends)
    }
}

/// A discount's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiscountStatus {
    /// Usable now.
    Active,
    /// Past its end.
    Expired,
    /// Not started yet.
    Scheduled,
    /// A status this version does not know.
    #[serde(other)]
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn session() -> AdminSession {
        AdminSession {
            shop_domain: "linen-and-co.myshopify.com".into(),
            api_version: "2026-01".into(),
            access_token: "shpat_secret".into(),
        }
    }

    #[test]
    fn graphql_requests() {
        let request = discount_code_status(&session(), "WELCOME10").expect("builds");
        assert_eq!(
            request.url(),
            "https://linen-and-co.myshopify.com/admin/api/2026-01/graphql.json"
        );
        assert!(
            request.headers.contains(&(ACCESS_TOKEN_HEADER.to_owned(), "shpat_secret".to_owned()))
        );
        let body: Value = serde_json::from_slice(&request.body).expect("json");
        assert_eq!(body["variables"]["code"], "WELCOME10");
        assert!(body["query"].as_str().expect("query").contains("codeDiscountNodeByCode"));

        let by_email = customer_by_email(&session(), "ann\"@example.com").expect("builds");
        let body: Value = serde_json::from_slice(&by_email.body).expect("json");
        assert_eq!(body["variables"]["query"], "email:\"ann\\\"@example.com\"");

        let orders = orders_for_customer(&session(), "207119551", 5).expect("builds");
        let body: Value = serde_json::from_slice(&orders.body).expect("json");
        assert_eq!(body["variables"]["query"], "customer_id:207119551");
        assert!(matches!(orders_for_customer(&session(), "1 OR 1", 5), Err(WireError::BadId(_))));

        for bad in [
            "evil.com",
            "x.myshopify.com.evil.com",
            ".myshopify.com",
            "a/b.myshopify.com",
            "a@b.myshopify.com",
        ] {
            let mut session = session();
            session.shop_domain = bad.into();
            assert!(matches!(
                customer_by_id(&session, "gid://shopify/Customer/1"),
                Err(WireError::BadShopDomain(_))
            ));
        }
        let mut session = session();
        session.api_version = "2026-1".into();
        assert!(matches!(
            customer_by_id(&session, "gid://shopify/Customer/1"),
            Err(WireError::BadApiVersion(_))
        ));
        assert!(!format!("{session:?}").contains("shpat_secret"));
    }

    #[test]
    fn graphql_replies() {
        let customer: GraphqlResponse<CustomerData> = serde_json::from_str(
            r##"{"data":{"customer":{"id":"gid://shopify/Customer/207119551","displayName":"Ann Lee","createdAt":"2024-03-01T12:00:00Z","numberOfOrders":"3","amountSpent":{"amount":"129.50","currencyCode":"USD"},"defaultEmailAddress":{"emailAddress":"ann@example.com"},"lastOrder":{"id":"gid://shopify/Order/1","name":"#1003","createdAt":"2025-12-24T09:00:00Z"}}},"extensions":{"cost":{"requestedQueryCost":2}}}"##,
        )
        .expect("parses");
        let customer = customer.data.and_then(|data| data.customer).expect("found");
        assert_eq!(customer.number_of_orders, Some(3));
        assert_eq!(customer.amount_spent.map(|money| money.amount), Some("129.50".to_owned()));
        assert_eq!(customer.last_order.and_then(|order| order.name), Some("#1003".to_owned()));

        let discount: GraphqlResponse<DiscountCodeData> = serde_json::from_str(
            r#"{"data":{"codeDiscountNodeByCode":{"id":"gid://shopify/DiscountCodeNode/1","codeDiscount":{"__typename":"DiscountCodeBasic","title":"Welcome","status":"ACTIVE","startsAt":"2026-01-01T00:00:00Z","endsAt":"2026-02-01T00:00:00Z"}}}}"#,
        )
        .expect("parses");
        let code = discount
            .data
            .and_then(|data| data.code_discount_node_by_code)
            .expect("exists")
            .code_discount;
        let at = |day| Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).single().expect("valid");
        assert!(code.is_live(at(15)));
        assert!(!code.is_live(Utc.with_ymd_and_hms(2026, 2, 1, 0, 0, 0).single().expect("valid")));
        let missing: GraphqlResponse<DiscountCodeData> =
            serde_json::from_str(r#"{"data":{"codeDiscountNodeByCode":null}}"#).expect("parses");
        assert!(missing.data.expect("data").code_discount_node_by_code.is_none());
        let throttled: GraphqlResponse<DiscountCodeData> = serde_json::from_str(
            r#"{"errors":[{"message":"Throttled","extensions":{"code":"THROTTLED"}}]}"#,
        )
        .expect("parses");
        assert!(throttled.data.is_none());
        assert_eq!(throttled.errors[0].message, "Throttled");
    }
}
