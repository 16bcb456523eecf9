//! The demo's set-up: the four marketplace simulators with this run's shops (ids unique
//! per run), and the seller, its shops, their connections and the agents, created through
//! the daemon's HTTP API as a client would.

use super::script::SHOPIFY_PRODUCTS;
use super::{DemoAgent, DemoShop, Simulators};
use anyhow::{Context, anyhow};
use reqwest::{Client, Method};
use serde_json::{Value, json};
use shopmux_core::Inbox;
use shopmux_simulator::{
    AliExpressSim, DouyinSim, ShopifySim, TikTokSim, aliexpress, douyin, shopify, tiktok,
};
use std::sync::Arc;
use std::time::Duration;

/// The Shopify store's active discount code.
pub(super) const DISCOUNT_CODE: &str = "WELCOME10";

/// The TikTok app's key and secret (one app, two sellers).
const TIKTOK_APP: (&str, &str) = ("demo_tiktok_app_key", "demo_tiktok_app_secret");

/// The Douyin app's key (19 digits, as the platform's) and secret.
const DOUYIN_APP: (&str, &str) = ("7311111111111111111", "demo-douyin-app-secret");

/// The AliExpress app's key and secret.
const ALIEXPRESS_APP: (&str, &str) = ("demo_ae_app_key", "demo_ae_app_secret");

/// What the set-up made.
pub(super) struct World {
    pub(super) api: Api,
    pub(super) base: String,
    pub(super) owner_token: String,
    pub(super) shops: Vec<DemoShop>,
    pub(super) agents: Vec<DemoAgent>,
    pub(super) sims: Simulators,
    pub(super) shopify_secret: String,
}

/// The daemon's HTTP API, as a client uses it.
#[derive(Clone)]
pub(super) struct Api {
    pub(super) client: Client,
    base: String,
}

impl Api {
    pub(super) async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .client
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(anyhow!("{method} {path}: {status}: {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Starts the simulators and creates the seller, its shops and connections, and the
/// agents.
pub(super) async fn set_up(base: &str, inbox: &Inbox) -> anyhow::Result<World> {
    let stamp = chrono::Utc::now().timestamp_millis().unsigned_abs();
    let tag = base36(stamp);
    let ids = RunIds::new(stamp, &tag);

    let tiktok_sim = TikTokSim::start(tiktok::SimConfig {
        app_key: TIKTOK_APP.0.to_owned(),
        app_secret: TIKTOK_APP.1.to_owned(),
        sellers: vec![
            tiktok::Seller {
                open_id: format!("demo_open_gb_{tag}"),
                seller_name: "Lumen & Oak UK".to_owned(),
                region: "GB".to_owned(),
                access_token: format!("TTP_demo_gb_access_{tag}"),
                refresh_token: format!("TTP_demo_gb_refresh_{tag}"),
                shops: vec![tiktok::Shop {
                    id: ids.tiktok[0].clone(),
                    name: "Lumen & Oak UK".to_owned(),
                    region: "GB".to_owned(),
                    cipher: format!("GCP_demo_gb_{tag}"),
                    code: "GBLCDEMO01".to_owned(),
                }],
            },
            tiktok::Seller {
                open_id: format!("demo_open_es_{tag}"),
                seller_name: "Lumen & Oak España".to_owned(),
                region: "ES".to_owned(),
                access_token: format!("TTP_demo_es_access_{tag}"),
                refresh_token: format!("TTP_demo_es_refresh_{tag}"),
                shops: vec![tiktok::Shop {
                    id: ids.tiktok[1].clone(),
                    name: "Lumen & Oak España".to_owned(),
                    region: "ES".to_owned(),
                    cipher: format!("GCP_demo_es_{tag}"),
                    code: "ESLCDEMO01".to_owned(),
                }],
            },
        ],
        ..Default::default()
    })
    .await
    .context("TikTok simulator")?;
    let douyin_sim = DouyinSim::start(douyin::SimConfig {
        app_key: DOUYIN_APP.0.to_owned(),
        app_secret: DOUYIN_APP.1.to_owned(),
        shops: vec![douyin::Shop {
            shop_id: ids.douyin.clone(),
            shop_name: "Lumen & Oak 家居旗舰店".to_owned(),
            access_token: format!("demo-douyin-access-{tag}"),
            refresh_token: format!("demo-douyin-refresh-{tag}"),
            auth_code: None,
            orders: Vec::new(),
            products: Vec::new(),
        }],
        ..Default::default()
    })
    .await
    .context("Douyin simulator")?;
    let aliexpress_sim = AliExpressSim::start(aliexpress::SimConfig {
        app_key: ALIEXPRESS_APP.0.to_owned(),
        app_secret: ALIEXPRESS_APP.1.to_owned(),
        sellers: vec![aliexpress::Seller {
            login_id: ids.aliexpress.clone(),
            ali_id: format!("{}", 2_000_000_000 + stamp % 1_000_000_000),
            name: "Lumen & Oak Store".to_owned(),
            access_token: format!("50000demo_access_{tag}"),
            refresh_token: format!("50001demo_refresh_{tag}"),
        }],
        ..Default::default()
    })
    .await
    .context("AliExpress simulator")?;
    let shopify_token = format!("shpat_demo_{tag}");
    let shopify_sim = ShopifySim::start(shopify::SimConfig {
        access_token: shopify_token.clone(),
        discounts: vec![
            shopify::SimDiscount {
                code: DISCOUNT_CODE.to_owned(),
                status: "ACTIVE".to_owned(),
                starts_at: None,
                ends_at: None,
            },
            shopify::SimDiscount {
                code: "SUMMER24".to_owned(),
                status: "EXPIRED".to_owned(),
                starts_at: None,
                ends_at: None,
            },
        ],
        products: SHOPIFY_PRODUCTS
            .iter()
            .map(|(id, title, _, published)| shopify::SimProduct {
                id: format!("gid://shopify/Product/{id}"),
                title: (*title).to_owned(),
                published: *published,
            })
            .collect(),
    })
    .await
    .context("Shopify simulator")?;
    let sims = Simulators {
        tiktok: Arc::new(tiktok_sim),
        douyin: Arc::new(douyin_sim),
        aliexpress: Arc::new(aliexpress_sim),
        shopify: Arc::new(shopify_sim),
    };

    let owner_token = inbox
        .create_owner("Lumen & Oak")
        .await
        .context("creating the demo seller")?
        .token;
    let api = Api {
        client: Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .context("HTTP client")?,
        base: base.to_owned(),
    };
    let shopify_secret = format!("demo_shopify_client_secret_{tag}");
    let plans = [
        (
            "tiktok",
            Some("GB"),
            "Lumen & Oak UK",
            ids.tiktok[0].clone(),
            Some(sims.tiktok.base_url()),
            tiktok_credentials(&sims.tiktok, &ids.tiktok[0]),
        ),
        (
            "tiktok",
            Some("ES"),
            "Lumen & Oak España",
            ids.tiktok[1].clone(),
            Some(sims.tiktok.base_url()),
            tiktok_credentials(&sims.tiktok, &ids.tiktok[1]),
        ),
        (
            "douyin",
            Some("CN"),
            "Lumen & Oak 家居旗舰店",
            ids.douyin.clone(),
            Some(sims.douyin.base_url()),
            json!({
                "app_key": DOUYIN_APP.0,
                "app_secret": DOUYIN_APP.1,
                "access_token": sims.douyin.access_token(&ids.douyin).unwrap_or_default(),
            }),
        ),
        (
            "aliexpress",
            None,
            "Lumen & Oak Store",
            ids.aliexpress.clone(),
            Some(sims.aliexpress.base_url()),
            json!({
                "app_key": ALIEXPRESS_APP.0,
                "app_secret": ALIEXPRESS_APP.1,
                "access_token": sims.aliexpress.access_token(&ids.aliexpress).unwrap_or_default(),
                "refresh_token": sims.aliexpress.refresh_token(&ids.aliexpress).unwrap_or_default(),
                "access_token_expires_at": sims
                    .aliexpress
                    .access_token_expires_at(&ids.aliexpress)
                    .map(|t| t.timestamp().to_string())
                    .unwrap_or_default(),
            }),
        ),
        (
            "shopify",
            None,
            "Lumen & Oak (Shopify)",
            ids.shopify.clone(),
            Some(sims.shopify.base_url()),
            json!({"access_token": shopify_token, "client_secret": shopify_secret}),
        ),
    ];
    let mut shops = Vec::new();
    for (platform, region, name, external_id, api_base, credentials) in plans {
        let created = api
            .call(
                Method::POST,
                "/api/v1/shops",
                &owner_token,
                Some(json!({"platform": platform, "external_id": external_id,
                    "region": region, "name": name})),
            )
            .await
            .with_context(|| format!("creating the {platform} shop"))?;
        let id = created["shop"]["id"]
            .as_str()
            .ok_or_else(|| anyhow!("the created shop has no id: {created}"))?
            .to_owned();
        api.call(
            Method::PUT,
            &format!("/api/v1/shops/{id}/connection"),
            &owner_token,
            Some(json!({"api_base": api_base, "credentials": credentials})),
        )
        .await
        .with_context(|| format!("connecting the {platform} shop"))?;
        shops.push(DemoShop {
            id,
            platform: platform.to_owned(),
            region: region.map(str::to_owned),
            name: name.to_owned(),
            external_id,
        });
    }
    sims.douyin
        .set_push_url(Some(format!("{base}/webhooks/douyin/{}", shops[2].id)));

    // Three agents: who speaks which languages chats in those shops.
    let grants: [(&str, &[usize]); 3] = [
        ("olivia", &[0, 3, 4]),
        ("marta", &[1, 3, 4]),
        ("wei", &[2, 3]),
    ];
    let mut agents = Vec::new();
    for (nickname, shop_indexes) in grants {
        let grants: Vec<Value> = shop_indexes
            .iter()
            .map(|&i| json!({"shop_id": shops[i].id, "can_chat": true}))
            .collect();
        let created = api
            .call(
                Method::POST,
                "/api/v1/agents",
                &owner_token,
                Some(json!({"nickname": nickname, "shops": grants})),
            )
            .await
            .with_context(|| format!("creating the agent {nickname}"))?;
        let token = created["token"]
            .as_str()
            .ok_or_else(|| anyhow!("the created agent has no token: {created}"))?
            .to_owned();
        api.call(
            Method::PUT,
            "/api/v1/me/presence",
            &token,
            Some(json!({"status": "online", "capacity": 10})),
        )
        .await
        .with_context(|| format!("setting {nickname} online"))?;
        agents.push(DemoAgent {
            nickname: nickname.to_owned(),
            token,
            shops: shop_indexes
                .iter()
                .map(|&i| shops[i].name.clone())
                .collect(),
        });
    }
    Ok(World {
        api,
        base: base.to_owned(),
        owner_token,
        shops,
        agents,
        sims,
        shopify_secret,
    })
}

fn tiktok_credentials(sim: &tiktok::SimHandle, shop: &str) -> Value {
    json!({
        "app_key": TIKTOK_APP.0,
        "app_secret": TIKTOK_APP.1,
        "access_token": sim.access_token(shop).unwrap_or_default(),
        "refresh_token": sim.refresh_token(shop).unwrap_or_default(),
        "shop_cipher": sim.shop_cipher(shop).unwrap_or_default(),
        "auth_base": sim.base_url(),
    })
}

/// The platforms' ids of this run's shops, unique per run.
struct RunIds {
    tiktok: [String; 2],
    douyin: String,
    aliexpress: String,
    shopify: String,
}

impl RunIds {
    fn new(stamp: u64, tag: &str) -> RunIds {
        RunIds {
            tiktok: [
                format!("74940{:013}1", stamp % 10_000_000_000_000),
                format!("74940{:013}2", stamp % 10_000_000_000_000),
            ],
            douyin: format!("{stamp}"),
            aliexpress: format!("cn{stamp}lumen"),
            shopify: format!("lumen-oak-{tag}.myshopify.com"),
        }
    }
}

fn base36(mut n: u64) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_differ_between_runs_and_look_like_the_platforms() {
        let a = RunIds::new(1_764_000_000_000, &base36(1_764_000_000_000));
        let b = RunIds::new(1_764_000_000_001, &base36(1_764_000_000_001));
        assert_eq!(a.tiktok[0].len(), 19);
        assert!(a.tiktok[0].chars().all(|c| c.is_ascii_digit()));
        assert_ne!(a.tiktok[0], a.tiktok[1]);
        assert_ne!(a.tiktok[0], b.tiktok[0]);
        assert_ne!(a.douyin, b.douyin);
        assert_ne!(a.aliexpress, b.aliexpress);
        assert_ne!(a.shopify, b.shopify);
        assert!(a.shopify.ends_with(".myshopify.com"));
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
