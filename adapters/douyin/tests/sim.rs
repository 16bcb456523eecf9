//! The Douyin adapter against the Douyin simulator, over real HTTP: the agent's product
//! search (DY-PROD-1) with each product's mall page, and the access token renewed with
//! `token.refresh` (ahead of its expiry, or when Douyin reports it expired) and kept in the
//! host's key-value state, which later calls read before the credentials.
//!
//! The adapter is blocking, as the daemon calls it: it runs on the test thread through a
//! `BlockingHost` that drives reqwest on the simulator's tokio runtime and keeps its
//! key-value state in memory.

use chrono::TimeDelta;
use shopmux_adapter_douyin::adapter::Douyin;
use shopmux_contract::adapter::{
    AUTHORIZATION_EXPIRED, Adapter, AdapterError, Host, ProductPage, ProductQuery, ShopConnection,
};
use shopmux_simulator::douyin::{DouyinSim, Order, Product, Shop, SimConfig, SimHandle};
use shopmux_simulator::{BlockingHost, ManualClock};

const SHOP: &str = "12345";
const ORDER: &str = "4781320682406083640";
const T0: i64 = 1_700_000_000;
const REFRESH: &str = "/token/refresh";

/// The simulator, the host and the shop connection (seed tokens, no expiry). Fields drop
/// in order: the server before its runtime.
struct Fixture {
    sim: SimHandle,
    host: BlockingHost,
    shop: ShopConnection,
    _runtime: tokio::runtime::Runtime,
}

fn fixture(products: Vec<Product>) -> Fixture {
    let runtime = shopmux_simulator::runtime();
    let clock = ManualClock::at_unix(T0);
    let config = SimConfig {
        clock: clock.clock(),
        shops: vec![Shop { products, ..Shop::default() }],
        ..SimConfig::default()
    };
    let seed = &config.shops[0];
    let credentials = [
        ("app_key", config.app_key.as_str()),
        ("app_secret", config.app_secret.as_str()),
        ("access_token", seed.access_token.as_str()),
        ("refresh_token", seed.refresh_token.as_str()),
    ];
    let shop = ShopConnection::with_credentials(SHOP, &credentials);
    let sim = runtime.block_on(DouyinSim::start(config)).expect("starts");
    let shop = ShopConnection { region: "CN".into(), api_base: Some(sim.base_url()), ..shop };
    let host = BlockingHost::new(runtime.handle().clone(), clock).expect("host");
    Fixture { sim, host, shop, _runtime: runtime }
}

impl Fixture {
    /// The shop's products matching `query`.
    fn search(&self, query: ProductQuery) -> Result<ProductPage, AdapterError> {
        Douyin.search_products(&self.host, &self.shop, &query)
    }

    fn refreshes(&self) -> usize {
        self.sim.requests().iter().filter(|request| request.path == REFRESH).count()
    }

    fn kept_token(&self) -> Option<serde_json::Value> {
        self.host
            .kv(&format!("token:{SHOP}"))
            .map(|v| serde_json::from_str(&v).expect("kept token is JSON"))
    }

    /// Douyin's live access token is the one kept in the host's state.
    fn assert_live_token_kept(&self) {
        assert_eq!(
            self.kept_token().expect("kept")["access_token"],
            self.sim.access_token(SHOP).expect("live").as_str()
        );
    }
}

#[test]
fn dy_prod_1_agent_search_returns_product_links_for_product_cards() {
    let fx = fixture(vec![
        Product::new("3600000000000000001", "保温杯 500ml", T0 - 30),
        Product { status: 1, ..Product::new("3600000000000000002", "保温杯 1L", T0 - 20) },
        Product {
            discount_price: 1290, ..Product::new("3600000000000000003", "咖啡杯", T0 - 10)
        },
    ]);
    let search = |query: ProductQuery| fx.search(query).expect("searched");

    let on_sale = search(ProductQuery {
        text: Some("保温杯".into()),
        active_only: true,
        ..ProductQuery::default()
    });
    assert_eq!(on_sale.products.len(), 1);
    let cup = &on_sale.products[0];
    assert_eq!(cup.external_id, "3600000000000000001");
    assert_eq!(cup.title, "保温杯 500ml");
    assert!(cup.active);
    assert_eq!(cup.price.as_deref(), Some("59.00 CNY"));
    // The product card's link: the mall's detail page.
    assert_eq!(
        cup.url.as_deref(),
        Some("https://haohuo.jinritemai.com/views/product/detail?id=3600000000000000001")
    );
    assert!(cup.image_url.is_some());
    assert_eq!(on_sale.next_cursor, None);

    let any_status =
        search(ProductQuery { text: Some("保温杯".into()), ..ProductQuery::default() });
    assert_eq!(any_status.products.len(), 2);
    assert_eq!(any_status.products.iter().filter(|p| p.active).count(), 1);

    // One product per page, newest first, until Douyin has no more.
    let mut ids = Vec::new();
    let mut cursor = None;
    for _ in 0..5 {
        let page = search(ProductQuery {
            page_size: 1,
            cursor: cursor.clone(),
            ..ProductQuery::default()
        });
        ids.extend(page.products.into_iter().map(|p| p.external_id));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(ids, ["3600000000000000003", "3600000000000000002", "3600000000000000001"]);
    let cheap = search(ProductQuery { text: Some("咖啡".into()), ..ProductQuery::default() });
    assert_eq!(cheap.products[0].price.as_deref(), Some("12.90 CNY"));

    let not_a_cursor = ProductQuery { cursor: Some("next".into()), ..ProductQuery::default() };
    let bad = fx.search(not_a_cursor).expect_err("not a cursor");
    assert_eq!(bad.code, "bad_cursor");
}

#[test]
fn a_token_about_to_expire_is_refreshed_first_and_kept_for_later_calls() {
    let mut fx = fixture(vec![]);
    let seed = fx.shop.credentials["access_token"].clone();
    fx.shop.credentials.insert("access_token_expires_at".into(), (T0 + 60).to_string());

    let order = Douyin.fetch_order(&fx.host, &fx.shop, ORDER).expect("order");
    assert_eq!(order.buyer.external_id, "sim-doudian-open-id-1");
    assert_eq!(order.total.as_deref(), Some("59.00 CNY"));
    assert_eq!(fx.refreshes(), 1);
    let live = fx.sim.access_token(SHOP).expect("live token");
    assert_ne!(live, seed, "Douyin issued a new token");
    let kept = fx.kept_token().expect("kept");
    assert_eq!(kept["access_token"], live.as_str());
    assert_eq!(kept["refresh_token"], fx.sim.refresh_token(SHOP).expect("refresh").as_str());
    // The simulator's tokens live 7 days from the refresh.
    assert_eq!(kept["expires_at"], T0 + 7 * 86_400);

    // The credentials still hold the seed, which Douyin revoked: the next call succeeds
    // only because the kept token is read first, and it is not renewed again.
    Douyin.fetch_order(&fx.host, &fx.shop, ORDER).expect("order with the kept token");
    assert_eq!(fx.refreshes(), 1);

    // Six days on the kept token nears its end and is renewed again, from the kept
    // refresh token.
    fx.host.clock().advance(TimeDelta::days(7) - TimeDelta::minutes(2));
    Douyin.fetch_order(&fx.host, &fx.shop, ORDER).expect("order after the second refresh");
    assert_eq!(fx.refreshes(), 2);
    fx.assert_live_token_kept();
}

#[test]
fn a_token_douyin_reports_expired_is_refreshed_once_and_the_call_retried() {
    let fx = fixture(vec![Product::new("3600000000000000001", "保温杯", T0)]);
    // No expiry in the credentials; the seed token lives 7 days.
    fx.host.clock().advance(TimeDelta::days(8));
    let page = fx.search(ProductQuery::default()).expect("searched after a refresh");
    assert_eq!(page.products.len(), 1);
    assert_eq!(fx.refreshes(), 1);
    fx.assert_live_token_kept();
}

#[test]
fn a_refresh_token_douyin_refuses_ends_the_authorization() {
    let fx = fixture(vec![]);
    // Both tokens expired (the refresh token lives 14 days): token.refresh is refused.
    fx.host.clock().advance(TimeDelta::days(15));
    let e = Douyin.fetch_order(&fx.host, &fx.shop, ORDER).expect_err("refused");
    assert_eq!((e.code.as_str(), e.retryable), (AUTHORIZATION_EXPIRED, false), "{e}");
}

#[test]
fn without_a_refresh_token_an_expired_token_is_reported_as_such() {
    let mut fx = fixture(vec![]);
    fx.shop.credentials.remove("refresh_token");
    fx.host.clock().advance(TimeDelta::days(8));
    let e = Douyin.fetch_order(&fx.host, &fx.shop, ORDER).expect_err("expired");
    assert_eq!((e.code.as_str(), e.retryable), ("token_expired", false));
    assert_eq!(fx.refreshes(), 0);
}

#[test]
fn reconfigured_credentials_win_over_a_kept_token() {
    let fx = fixture(vec![]);
    // A pair kept from an older connection: it descends from another configured token.
    fx.host
        .kv_put(
            &format!("token:{SHOP}"),
            r#"{"access_token":"revoked-long-ago","refresh_token":"spent","expires_at":1,"base_access_token":"an-older-configured-token"}"#,
        )
        .expect("kv");
    Douyin.fetch_order(&fx.host, &fx.shop, ORDER).expect("the configured token is used");
    assert_eq!(fx.refreshes(), 0);
}

#[test]
fn orders_of_other_shops_and_a_wrong_secret_are_refused_with_codes() {
    let mut fx = fixture(vec![]);
    fx.sim
        .add_order(SHOP, Order { order_id: "4781320682406083999".into(), ..Order::default() })
        .expect("order");
    let added = Douyin.fetch_order(&fx.host, &fx.shop, "4781320682406083999").expect("added order");
    assert_eq!(added.tracking_number, None, "not shipped");
    let shipped = Order {
        order_id: "4781320682406083998".into(),
        tracking_no: Some("73591234567890".into()),
        ..Order::default()
    };
    fx.sim.add_order(SHOP, shipped).expect("order");
    let shipped = Douyin.fetch_order(&fx.host, &fx.shop, "4781320682406083998").expect("shipped");
    assert_eq!(shipped.tracking_number.as_deref(), Some("73591234567890"), "logistics_info");
    let missing = Douyin.fetch_order(&fx.host, &fx.shop, "1").expect_err("no such order");
    assert_eq!((missing.code.as_str(), missing.retryable), ("douyin_50002", false));
    fx.shop.credentials.insert("app_secret".into(), "wrong".into());
    let e = Douyin.fetch_order(&fx.host, &fx.shop, ORDER).expect_err("bad sign");
    assert_eq!(e.code, "invalid_sign");
}
