//! The Shopify simulator's webhooks together with the Shopify adapter
//! (`shopmux_adapter_shopify::Shopify`): the simulator signs with its own code, the
//! adapter verifies with its own, and the two must agree on every delivery.

use axum::http::HeaderMap;
use serde_json::json;
use shopmux_adapter_shopify::adapter::Shopify;
use shopmux_adapter_shopify::wire::WebhookHeaders;
use shopmux_contract::adapter::{Adapter, InboundEvent, ShopConnection, WebhookRequest};
use shopmux_simulator::shopify::{SimConfig, SimHandle, WebhookTarget};
use shopmux_simulator::{ShopifySim, SimError, WebhookFaults};

use crate::support::{Receiver, bad_signature, duplicated, webhook_request};

const DOMAIN: &str = "sim-store.myshopify.com";
const SECRET: &str = "shpss_sim_secret";

fn shop() -> ShopConnection {
    ShopConnection {
        external_id: DOMAIN.into(),
        region: String::new(),
        api_base: None,
        credentials: [("client_secret".to_owned(), SECRET.to_owned())].into_iter().collect(),
    }
}

/// A simulator with the default config, and a receiver.
async fn started() -> (SimHandle, Receiver) {
    let sim = ShopifySim::start(SimConfig::default()).await;
    (sim.expect("starts"), receiver().await)
}

/// A receiver whose verdict is the adapter's: its header reader and `parse_webhook`.
async fn receiver() -> Receiver {
    let verify = Box::new(|headers: &HeaderMap, body: &[u8]| {
        let request = webhook_request(headers, body);
        let pairs = request.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        WebhookHeaders::from_pairs(pairs).is_ok()
            && Shopify.parse_webhook(&shop(), &request, 0).is_ok()
    });
    Receiver::start(verify, "").await
}

fn target(url: &str) -> WebhookTarget {
    WebhookTarget {
        url: url.to_owned(),
        client_secret: SECRET.to_owned(),
        shop_domain: DOMAIN.to_owned(),
        api_version: "2026-01".to_owned(),
    }
}

#[tokio::test]
async fn a_signed_webhook_is_verified_and_parsed_by_the_adapter() {
    let (sim, receiver) = started().await;
    let payload = json!({
        "id": 706405506930370084u64,
        "email": "Bob@Example.com",
        "first_name": "Bob",
        "last_name": "Norman",
    });
    let no_target = sim.push_webhook("customers/update", &payload).await;
    assert!(matches!(no_target, Err(SimError::NoWebhookUrl)));
    sim.set_webhook_target(Some(target(&receiver.url)));
    let delivered = sim.push_webhook("customers/update", &payload).await.expect("delivered");
    assert_eq!(delivered.status(), 200);
    assert_eq!(delivered.subject_id, "706405506930370084");
    let hits = receiver.hits();
    assert!(hits[0].verified);
    // What the adapter makes of it: the customer's profile (the body re-signed with the
    // simulator's public `webhook_hmac`, which the adapter accepts too).
    let signed = WebhookRequest {
        headers: vec![
            (
                "x-shopify-hmac-sha256".into(),
                shopmux_simulator::shopify::sign::webhook_hmac(SECRET, &delivered.body),
            ),
            ("x-shopify-topic".into(), "customers/update".into()),
        ],
        body: delivered.body.clone(),
    };
    let events = Shopify.parse_webhook(&shop(), &signed, 0).expect("parsed");
    let [InboundEvent::BuyerProfileChanged { profile }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(profile.external_id, "customer:706405506930370084");
    assert_eq!(profile.nickname.as_deref(), Some("Bob Norman"));
}

#[tokio::test]
async fn a_wrong_signature_or_another_secret_is_refused_by_the_adapter() {
    let (sim, receiver) = started().await;
    sim.set_webhook_target(Some(target(&receiver.url)));
    sim.set_webhook_faults(bad_signature());
    let payload = json!({"id": 1, "email": "a@example.com"});
    let refused = sim.push_webhook("customers/create", &payload).await.expect("delivered");
    assert_eq!(refused.status(), 401);
    // Correctly signed, but for another app's secret.
    sim.set_webhook_faults(WebhookFaults::default());
    sim.set_webhook_target(Some(WebhookTarget {
        client_secret: "another-app".into(),
        ..target(&receiver.url)
    }));
    let other = sim.push_webhook("customers/create", &payload).await.expect("delivered");
    assert_eq!(other.status(), 401);
    // Duplicates carry the same bytes and webhook id twice.
    sim.set_webhook_target(Some(target(&receiver.url)));
    sim.set_webhook_faults(duplicated());
    let twice = sim.push_webhook("customers/create", &payload).await.expect("delivered");
    assert_eq!(twice.statuses, vec![200, 200]);
    let verdicts: Vec<bool> = receiver.hits().iter().map(|hit| hit.verified).collect();
    assert_eq!(verdicts, vec![false, false, true, true]);
}

#[test]
fn an_app_proxy_query_signed_by_the_simulator_is_verified_by_the_adapter() {
    use shopmux_simulator::shopify::proxy::{ProxiedRequest, signed_query};
    let now_ms = 1_764_000_000_000;
    let request = |customer| ProxiedRequest {
        shop: "linen-and-co.myshopify.com",
        logged_in_customer_id: customer,
        path_prefix: "/apps/shopmux",
        timestamp: now_ms / 1000,
        extra: &[("lang", "es"), ("lang", "en")],
    };
    let connection = ShopConnection::with_credentials(
        "linen-and-co.myshopify.com",
        &[("client_secret", SECRET)],
    );
    let verify = |query: Vec<(String, String)>| {
        Shopify.verify_storefront_request(&connection, &query, now_ms)
    };
    let signed_in = verify(signed_query(SECRET, &request(Some("42")))).expect("verified");
    assert_eq!(signed_in.customer_external_id.as_deref(), Some("customer:42"));
    let anonymous = verify(signed_query(SECRET, &request(None))).expect("verified");
    assert_eq!(anonymous.customer_external_id, None);
    let forged = verify(signed_query("another-secret", &request(Some("42")))).unwrap_err();
    assert_eq!(forged.code, "bad_signature");
}
