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
use crate::wire::{
    self, AdminSession, DiscountCodeData, DiscountStatus, GraphqlResponse, ProductNodesData, header,
};
use chrono::{TimeZone, Utc};
use shopmux_contract::adapter::{
    Adapter, AdapterError, AuthorizationApp, AuthorizationCallback, AuthorizationGrant,
    AuthorizationRequest, AuthorizedShop, Capabilities, Capability, Host, HttpRequest,
    InboundEvent, MessageContent, OutboundMessage, OutboundRefusal, Platform, SendReceipt,
    ShopConnection, StorefrontVisitor, WebhookRequest,
};
use shopmux_contract::rules::RuleSet;

pub use crate::wire::PRODUCTS_QUERY;

/// The Admin API version asked for when the connection names none.
pub const API_VERSION: &str = "2026-01";

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
        &self, host: &dyn Host, shop: &ShopConnection,
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
        &self, host: &dyn Host, shop: &ShopConnection, rule: &str, code: &str,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        let data: DiscountCodeData =
            self.graphql(host, shop, wire::discount_code_status(&session(shop)?, code))?;
        let now = Utc.timestamp_millis_opt(host.now_unix_ms()).single().unwrap_or_else(Utc::now);
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
        &self, host: &dyn Host, shop: &ShopConnection, rule: &str, ids: &[String],
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        let data: ProductNodesData =
            self.graphql(host, shop, wire::products_by_ids(&session(shop)?, ids))?;
        for (i, id) in ids.iter().enumerate() {
            let published = data
                .nodes
                .get(i)
                .and_then(Option::as_ref)
                .is_some_and(wire::ProductNode::is_published);
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
    fn platform(&self) -> &Platform {
        &crate::PLATFORM
    }

    fn capabilities(&self) -> Capabilities {
        // Replies go through the daemon's storefront chat, never `send`.
        use Capability::*;
        Capabilities::of(&[
            Webhooks,
            StorefrontChat,
            StorefrontProxy,
            VetsOutbound,
            Authorizes,
            SubscribesWebhooks,
        ])
    }

    fn rule_set(&self) -> RuleSet {
        crate::rule_set()
    }

    fn parse_webhook(
        &self, shop: &ShopConnection, request: &WebhookRequest, _now_unix_ms: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        verify_webhook(
            shop.credential("client_secret")?,
            &request.body,
            request.header(header::HMAC),
        )
        .map_err(|e| AdapterError::permanent("bad_signature", e.to_string()))?;
        if request.header(header::SHOP_DOMAIN).is_some_and(|d| d != shop.external_id) {
            return Err(AdapterError::permanent("wrong_shop", "the webhook is for another shop"));
        }
        crate::events::events_of(request.header(header::TOPIC).unwrap_or("unknown"), &request.body)
    }

    /// An App Proxy request (see [`crate::proxy`]); the signed-in customer is the buyer
    /// `customer:{id}`, as in customer and order webhooks.
    fn verify_storefront_request(
        &self, shop: &ShopConnection, query: &[(String, String)], now_unix_ms: i64,
    ) -> Result<StorefrontVisitor, AdapterError> {
        let secret = shop.credential("client_secret")?;
        let visitor = crate::proxy::verify_proxy(secret, query, &shop.external_id, now_unix_ms)
            .map_err(|e| {
                let code = match e {
                    crate::proxy::ProxyError::Stale => "stale",
                    crate::proxy::ProxyError::WrongShop => "wrong_shop",
                    _ => "bad_signature",
                };
                AdapterError::permanent(code, e.to_string())
            })?;
        Ok(StorefrontVisitor {
            customer_external_id: visitor.customer_id.map(|id| crate::events::customer_buyer(&id)),
        })
    }

    fn authorization_url(
        &self, app: &AuthorizationApp, request: &AuthorizationRequest,
    ) -> Result<String, AdapterError> {
        crate::connect::authorization_url(app, request)
    }

    fn verify_callback(
        &self, app: &AuthorizationApp, query: &[(String, String)], now_unix_ms: i64,
    ) -> Result<AuthorizationCallback, AdapterError> {
        crate::connect::verify_callback(app, query, now_unix_ms)
    }

    fn exchange_code(
        &self, host: &dyn Host, app: &AuthorizationApp, callback: &AuthorizationCallback,
    ) -> Result<AuthorizationGrant, AdapterError> {
        crate::connect::exchange_code(host, app, callback)
    }

    fn authorized_shops(
        &self, _host: &dyn Host, app: &AuthorizationApp, grant: &AuthorizationGrant,
    ) -> Result<Vec<AuthorizedShop>, AdapterError> {
        crate::connect::authorized_shops(app, grant)
    }

    fn subscribe_webhooks(
        &self, host: &dyn Host, shop: &ShopConnection, address: &str,
    ) -> Result<(), AdapterError> {
        for topic in crate::oauth::SUBSCRIBED_TOPICS {
            let variables = serde_json::json!({"topic": topic, "callbackUrl": address});
            let request =
                wire::graphql_request(&session(shop)?, crate::oauth::SUBSCRIBE_MUTATION, variables);
            let data: crate::oauth::SubscribeData = self.graphql(host, shop, request)?;
            crate::connect::subscribed(topic, &data)?;
        }
        Ok(())
    }

    fn webhook_shop(&self, request: &WebhookRequest) -> Option<String> {
        request.header(header::SHOP_DOMAIN).map(str::to_owned)
    }

    fn send(
        &self, _host: &dyn Host, _shop: &ShopConnection, _message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        Err(AdapterError::permanent(
            "storefront_only",
            "Shopify chats are answered through shopmux's storefront channel",
        ))
    }

    fn vet_outbound(
        &self, host: &dyn Host, shop: &ShopConnection, content: &MessageContent, rules: &RuleSet,
    ) -> Result<Option<OutboundRefusal>, AdapterError> {
        let limits = &rules.limits;
        if let (MessageContent::CouponCard { code, .. }, Some(rule)) =
            (content, limits.active_discount_codes_only.as_deref())
        {
            return self.check_code(host, shop, rule, code);
        }
        let ids: Vec<String> = match content {
            MessageContent::ProductCard { product_id, .. } => vec![product_id.clone()],
            MessageContent::ProductList { products, .. } => {
                products.iter().map(|p| p.product_id.clone()).collect()
            }
            _ => return Ok(None),
        };
        match limits.published_products_only.as_deref() {
            Some(rule) => self.check_products(host, shop, rule, &ids),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::webhook_hmac;
    use shopmux_contract::adapter::HttpResponse;
    use shopmux_contract::content::SharedProduct;
    use std::sync::Mutex;

    /// A host answering Admin GraphQL from canned replies, by the query's name.
    struct FakeAdmin {
        replies: Vec<(&'static str, &'static str)>,
        asked: Mutex<Vec<serde_json::Value>>,
    }

    impl Host for FakeAdmin {
        fn http(&self, request: HttpRequest) -> Result<HttpResponse, AdapterError> {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            let query = body["query"].as_str().unwrap_or_default().to_owned();
            self.asked.lock().unwrap().push(body);
            let reply = self
                .replies
                .iter()
                .find(|(name, _)| query.contains(name))
                .map_or("{}", |(_, reply)| reply);
            Ok(HttpResponse { status: 200, headers: vec![], body: reply.as_bytes().to_vec() })
        }
        fn now_unix_ms(&self) -> i64 {
            1_768_435_200_000 // 2026-01-15
        }
        fn log(&self, _message: &str) {}
        fn kv_get(&self, _key: &str) -> Result<Option<String>, AdapterError> {
            Ok(None)
        }
        fn kv_put(&self, _key: &str, _value: &str) -> Result<(), AdapterError> {
            Ok(())
        }
    }

    fn shop() -> ShopConnection {
        let credentials = [("access_token", "shpat_x"), ("client_secret", "hush")];
        ShopConnection::with_credentials("linen-and-co.myshopify.com", &credentials)
    }

    const EXPIRED_CODE: &str = r#"{"data":{"codeDiscountNodeByCode":{"id":"gid://shopify/DiscountCodeNode/1","codeDiscount":{"__typename":"DiscountCodeBasic","status":"EXPIRED","startsAt":"2025-01-01T00:00:00Z","endsAt":"2025-02-01T00:00:00Z"}}}}"#;
    const PRODUCTS: &str = r#"{"data":{"nodes":[{"id":"gid://shopify/Product/1","title":"Shirt","status":"ACTIVE","onlineStoreUrl":"https://x/1"},{"id":"gid://shopify/Product/2","title":"Hat","status":"ACTIVE","onlineStoreUrl":null}]}}"#;

    fn admin() -> FakeAdmin {
        FakeAdmin {
            replies: vec![
                ("codeDiscountNodeByCode", EXPIRED_CODE),
                ("PublishedProducts", PRODUCTS),
            ],
            asked: Mutex::new(vec![]),
        }
    }

    #[test]
    fn sh_disc_1_and_sh_prod_1_are_vetted_with_the_admin_api() {
        let host = admin();
        let rules = crate::rule_set();
        let vet = |content: MessageContent| {
            Shopify.vet_outbound(&host, &shop(), &content, &rules).unwrap()
        };
        // rule: SH-DISC-1 (an inactive or unknown code is refused, asking to fix it)
        let refusal =
            vet(MessageContent::CouponCard { code: "OLD10".into(), title: None, scope: None })
                .expect("refused");
        assert_eq!(refusal.rule, "SH-DISC-1");
        assert!(refusal.message.contains("`OLD10` has expired"), "{refusal:?}");
        // rule: SH-PROD-1 (only products published to the online store)
        let shared = |id: &str| SharedProduct {
            product_id: id.into(),
            title: "x".into(),
            url: None,
            image_url: None,
            price: None,
        };
        let refusal = vet(MessageContent::ProductList {
            products: vec![shared("gid://shopify/Product/1"), shared("gid://shopify/Product/2")],
            text: None,
        })
        .expect("refused");
        assert_eq!(refusal.rule, "SH-PROD-1");
        assert!(refusal.message.contains("gid://shopify/Product/2"));
        let published = vet(MessageContent::ProductCard {
            product_id: "gid://shopify/Product/1".into(),
            title: "Shirt".into(),
            url: None,
            image_url: None,
            price: None,
        });
        assert_eq!(published, None);
        let asked = host.asked.lock().unwrap().clone();
        assert_eq!(asked[0]["variables"]["code"], "OLD10");
        assert_eq!(
            asked[1]["variables"]["ids"],
            serde_json::json!(["gid://shopify/Product/1", "gid://shopify/Product/2"])
        );
        // Text asks nothing; a rule set without the limits asks nothing either.
        assert_eq!(vet(MessageContent::Text { text: "hi".into() }), None);
        let permissive = RuleSet::permissive(crate::PLATFORM.clone());
        let coupon = MessageContent::CouponCard { code: "OLD10".into(), title: None, scope: None };
        assert_eq!(Shopify.vet_outbound(&host, &shop(), &coupon, &permissive).unwrap(), None);
        assert_eq!(host.asked.lock().unwrap().len(), 3);
    }

    #[test]
    fn replies_go_through_the_storefront_and_webhooks_are_verified() {
        let declared = Shopify.capabilities();
        assert!(declared.webhooks && declared.storefront_chat && declared.vets_outbound);
        assert!(declared.storefront_proxy);
        assert!(!declared.sends && !declared.polls && !declared.order_look_up);
        assert!(declared.authorizes && declared.subscribes_webhooks);
        assert_eq!(Shopify.platform(), "shopify");
        let body = br#"{"id": 1, "token": "c1", "line_items": []}"#.to_vec();
        let delivery = |hmac: &str, domain: &str| WebhookRequest {
            headers: vec![
                (header::HMAC.to_lowercase(), hmac.to_owned()),
                (header::TOPIC.to_lowercase(), "carts/update".to_owned()),
                (header::SHOP_DOMAIN.to_lowercase(), domain.to_owned()),
            ],
            body: body.clone(),
        };
        let hmac = webhook_hmac("hush", &body);
        let events = Shopify
            .parse_webhook(&shop(), &delivery(&hmac, "linen-and-co.myshopify.com"), 0)
            .unwrap();
        assert!(matches!(events[..], [InboundEvent::CartChanged { .. }]));
        let bad = Shopify
            .parse_webhook(&shop(), &delivery("AAAA", "linen-and-co.myshopify.com"), 0)
            .unwrap_err();
        assert_eq!(bad.code, "bad_signature");
        let other =
            Shopify.parse_webhook(&shop(), &delivery(&hmac, "other.myshopify.com"), 0).unwrap_err();
        assert_eq!(other.code, "wrong_shop");
    }
}
