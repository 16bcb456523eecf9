//! Shopify as a shopmux [`Adapter`]. Shopify Inbox has no public chat API, so chats go
//! through shopmux's own storefront channel (in the daemon); this adapter brings what
//! the Admin API knows, asked at sending time: a shared discount code must exist and be
//! active (SH-DISC-1), shared products must be published to the online store
//! (SH-PROD-1). Webhooks are verified with Shopify's HMAC (`X-Shopify-Hmac-Sha256`) and
//! turned into cart changes, customer profiles and orders (see [`crate::events`]).
//!
//! Credentials of a shop connection: `access_token` (Admin API), `client_secret`
//! (webhook HMAC), optionally `api_version` (default [`API_VERSION`]). The shop's
//! external id is its `{name}.myshopify.com` domain; `api_base` replaces
//! `https://{domain}` (the simulator's address in tests).

use crate::sign::verify_webhook;
use crate::wire::{self, AdminSession, DiscountCodeData, DiscountStatus, GraphqlResponse, header};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use shopmux_contract::adapter::{
    Adapter, AdapterError, Host, HttpRequest, InboundEvent, OutboundMessage, OutboundRefusal,
    SendReceipt, ShopConnection, WebhookRequest,
};
use shopmux_contract::rules::RuleSet;

/// The Admin API version asked for when the connection names none.
pub const API_VERSION: &str = "2026-01";

/// Whether products are published to the online store: a product has an
/// `onlineStoreUrl` only while it is.
pub const PRODUCTS_QUERY: &str = "query PublishedProducts($ids: [ID!]!) { nodes(ids: $ids) { \
     ... on Product { id title status onlineStoreUrl } } }";

/// The Shopify adapter.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shopify;

fn session(shop: &ShopConnection) -> Result<AdminSession, AdapterError> {
    Ok(AdminSession {
        shop_domain: shop.external_id.clone(),
        api_version: shop
            .credentials
            .get("api_version")
            .cloned()
            .unwrap_or_else(|| API_VERSION.to_owned()),
        access_token: shop.credential("access_token")?.to_owned(),
    })
}

impl Shopify {
    /// Runs an Admin GraphQL request; its `data`.
    fn graphql<T: serde::de::DeserializeOwned>(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        request: Result<wire::WireRequest, wire::WireError>,
    ) -> Result<T, AdapterError> {
        let mut request =
            request.map_err(|e| AdapterError::permanent("bad_request", e.to_string()))?;
        if let Some(base) = &shop.api_base {
            request.host = base.trim_end_matches('/').to_owned();
        }
        let response = host.http(HttpRequest {
            method: request.method.to_owned(),
            url: request.url(),
            headers: request.headers.clone(),
            body: request.body.clone(),
            timeout_ms: Some(10_000),
        })?;
        if response.status == 401 || response.status == 403 {
            return Err(AdapterError::permanent(
                "unauthorized",
                "Shopify refused the shop's access token",
            ));
        }
        if response.status != 200 {
            return Err(AdapterError::from_status(
                &response,
                format!("Shopify answered HTTP {}", response.status),
            ));
        }
        let reply: GraphqlResponse<T> = serde_json::from_slice(&response.body)
            .map_err(|e| AdapterError::transient("malformed", e.to_string()))?;
        match (reply.data, reply.errors.first()) {
            (Some(data), None) => Ok(data),
            (_, Some(e)) => Err(AdapterError::permanent("graphql", e.message.clone())),
            (None, None) => Err(AdapterError::transient("malformed", "no data")),
        }
    }

    fn check_code(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        rule: &str,
        code: &str,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        let data: DiscountCodeData = self.graphql(
            host,
            shop,
            wire::discount_code_status(&session(shop)?, code),
        )?;
        let now = Utc
            .timestamp_millis_opt(host.now_unix_ms())
            .single()
            .unwrap_or_else(Utc::now);
        let why = match data.code_discount_node_by_code {
            None => Some("does not exist".to_owned()),
            Some(node) if node.code_discount.is_live(now) => None,
            Some(node) => Some(match node.code_discount.status {
                Some(DiscountStatus::Expired) => "has expired".to_owned(),
                Some(DiscountStatus::Scheduled) => "has not started yet".to_owned(),
                _ => "is not active".to_owned(),
            }),
        };
        // rule: SH-DISC-1 (an inactive or unknown code is refused, asking to fix it)
        Ok(why.map(|why| OutboundRefusal {
            rule: rule.to_owned(),
            message: format!("the discount code `{code}` {why}: fix the code and send again"),
        }))
    }

    fn check_products(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        rule: &str,
        ids: &[String],
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        let data: Value = self.graphql(
            host,
            shop,
            wire::graphql_request(&session(shop)?, PRODUCTS_QUERY, json!({"ids": ids})),
        )?;
        let nodes = data
            .get("nodes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, id) in ids.iter().enumerate() {
            let node = nodes.get(i).filter(|n| !n.is_null());
            let published = node.is_some_and(|n| {
                n.get("status").and_then(Value::as_str) == Some("ACTIVE")
                    && n.get("onlineStoreUrl").is_some_and(|u| !u.is_null())
            });
            if !published {
                // rule: SH-PROD-1 (only products published to the online store)
                return Ok(Some(OutboundRefusal {
                    rule: rule.to_owned(),
                    message: format!("the product {id} is not published to the online store"),
                }));
            }
        }
        Ok(None)
    }
}

impl Adapter for Shopify {
    fn platform(&self) -> &str {
        crate::PLATFORM
    }

    fn rule_set(&self) -> RuleSet {
        crate::rule_set()
    }

    fn parse_webhook(
        &self,
        shop: &ShopConnection,
        request: &WebhookRequest,
        _now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        verify_webhook(
            shop.credential("client_secret")?,
            &request.body,
            request.header(header::HMAC),
        )
        .map_err(|e| AdapterError::permanent("bad_signature", e.to_string()))?;
        if request
            .header(header::SHOP_DOMAIN)
            .is_some_and(|d| d != shop.external_id)
        {
            return Err(AdapterError::permanent(
                "wrong_shop",
                "the webhook is for another shop",
            ));
        }
        crate::events::events_of(
            request.header(header::TOPIC).unwrap_or("unknown"),
            &request.body,
        )
    }

    fn sends(&self) -> bool {
        false
    }

    fn send(
        &self,
        _host: &dyn Host,
        _shop: &ShopConnection,
        _message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        Err(AdapterError::permanent(
            "storefront_only",
            "Shopify chats are answered through shopmux's storefront channel",
        ))
    }

    fn vet_outbound(
        &self,
        host: &dyn Host,
        shop: &ShopConnection,
        content: &Value,
        rules: &RuleSet,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        let kind = content
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match (kind, &rules.limits) {
            ("coupon_card", limits) if limits.active_discount_codes_only.is_some() => {
                let rule = limits
                    .active_discount_codes_only
                    .as_deref()
                    .unwrap_or_default();
                let code = content
                    .get("code")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                self.check_code(host, shop, rule, code)
            }
            ("product_card" | "product_list", limits)
                if limits.published_products_only.is_some() =>
            {
                let rule = limits
                    .published_products_only
                    .as_deref()
                    .unwrap_or_default();
                let ids: Vec<String> = match content.get("products").and_then(Value::as_array) {
                    Some(list) => list
                        .iter()
                        .filter_map(|p| p.get("product_id").and_then(Value::as_str))
                        .map(str::to_owned)
                        .collect(),
                    None => content
                        .get("product_id")
                        .and_then(Value::as_str)
                        .map(|id| vec![id.to_owned()])
                        .unwrap_or_default(),
                };
                self.check_products(host, shop, rule, &ids)
            }
            _ => Ok(None),
        }
    }
}
