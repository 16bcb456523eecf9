//! The demo's set-up: the four marketplace simulators with this run's shops (ids unique
//! per run), and the seller, its shops, their connections and the agents, created through
//! the daemon's HTTP API as a client would.

use super::script::SHOPIFY_PRODUCTS;
use super::{DemoAgent, DemoShop, Simulators};
use anyhow::{Context, anyhow};
use reqwest::{Client, Method};
use serde_json::{Value, json};
use shopmux_contract::Platform;
use shopmux_core::Inbox;
use shopmux_core::domain::sign_in::Password;
use shopmux_core::services::accounts::NewOwner;
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

/// Where each shop stands in [`World::shops`] (the order [`shop_plans`] lists them).
pub(super) const TIKTOK_GB_SHOP: usize = 0;
/// The Spanish TikTok shop's place in [`World::shops`].
pub(super) const TIKTOK_ES_SHOP: usize = 1;
/// The Douyin shop's place in [`World::shops`].
pub(super) const DOUYIN_SHOP: usize = 2;
/// The AliExpress shop's place in [`World::shops`].
pub(super) const ALIEXPRESS_SHOP: usize = 3;
/// The Shopify store's place in [`World::shops`].
pub(super) const SHOPIFY_SHOP: usize = 4;

/// A TikTok shop of the demo: one seller each, with its region, name and shop code.
struct TikTokShop {
    region: &'static str,
    name: &'static str,
    code: &'static str,
}

/// The TikTok shops, British then Spanish (as [`RunIds::tiktok`]).
const TIKTOK_SHOPS: [TikTokShop; 2] = [
    TikTokShop { region: "GB", name: "Lumen & Oak UK", code: "GBLCDEMO01" },
    TikTokShop { region: "ES", name: "Lumen & Oak España", code: "ESLCDEMO01" },
];

/// The Douyin shop's name.
const DOUYIN_SHOP_NAME: &str = "Lumen & Oak 家居旗舰店";

/// The AliExpress seller's name.
const ALIEXPRESS_SHOP_NAME: &str = "Lumen & Oak Store";

/// The Shopify store's discount codes and their status.
const SHOPIFY_DISCOUNTS: [(&str, &str); 2] = [(DISCOUNT_CODE, "ACTIVE"), ("SUMMER24", "EXPIRED")];

/// The agents: who speaks which languages chats in those shops.
/// The main account's login in the web inbox; every run takes it (and the agents'
/// logins, their nicknames) back from an earlier run's accounts.
pub(super) const OWNER_LOGIN: &str = "owner";

/// The password of every demo account.
pub(super) const DEMO_PASSWORD: &str = "shopmux-demo";

const AGENTS: [(&str, &[usize]); 3] = [
    ("olivia", &[TIKTOK_GB_SHOP, ALIEXPRESS_SHOP, SHOPIFY_SHOP]),
    ("marta", &[TIKTOK_ES_SHOP, ALIEXPRESS_SHOP, SHOPIFY_SHOP]),
    ("wei", &[DOUYIN_SHOP, ALIEXPRESS_SHOP]),
];

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
    fn new(base: &str) -> anyhow::Result<Api> {
        Ok(Api {
            client: Client::builder()
                .timeout(Duration::from_secs(20))
                .build()
                .context("HTTP client")?,
            base: base.to_owned(),
        })
    }

    pub(super) async fn call(
        &self, method: Method, path: &str, token: &str, body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request =
            self.client.request(method.clone(), format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| format!("{method} {path}"))?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        if !status.is_success() {
            return Err(anyhow!("{method} {path}: {status}: {text}"));
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// Where a platform's webhooks for a shop go: `{base}/webhooks/{platform}/{shop}`.
pub(super) fn webhook_url(base: &str, platform: &Platform, shop_id: &str) -> String {
    format!("{base}/webhooks/{platform}/{shop_id}")
}

/// Starts the simulators and creates the seller, its shops and connections, and the
/// agents.
pub(super) async fn set_up(base: &str, inbox: &Inbox) -> anyhow::Result<World> {
    let run = RunIds::new(chrono::Utc::now().timestamp_millis().unsigned_abs());
    let sims = start_simulators(&run).await?;
    for login in std::iter::once(OWNER_LOGIN).chain(AGENTS.iter().map(|(nickname, _)| *nickname)) {
        inbox.release_login(login).await.context("taking the demo's logins back")?;
    }
    let owner = NewOwner {
        name: "Lumen & Oak".into(),
        login: Some(OWNER_LOGIN.into()),
        password: Some(Password(DEMO_PASSWORD.into())),
    };
    let owner_token =
        inbox.create_owner_with(owner).await.context("creating the demo seller")?.token;
    let api = Api::new(base)?;
    let mut shops = Vec::new();
    for plan in shop_plans(&sims, &run) {
        shops.push(create_shop(&api, &owner_token, plan).await?);
    }
    sims.douyin.set_push_url(Some(webhook_url(
        base,
        &shopmux_adapter_douyin::PLATFORM,
        &shops[DOUYIN_SHOP].id,
    )));
    // DY-BOT-1: the Spanish shop's buyers meet the FAQ bot first.
    let owner = inbox.authenticate(&owner_token).await?.context("the demo owner's token")?;
    let spanish = shops[TIKTOK_ES_SHOP].id.parse().context("the Spanish shop's id")?;
    super::faq::switch_on(inbox, &owner, spanish).await.context("switching the FAQ bot on")?;
    let mut agents = Vec::new();
    for (nickname, shop_indexes) in AGENTS {
        agents.push(create_agent(&api, &owner_token, &shops, nickname, shop_indexes).await?);
    }
    super::quick_replies::seed(&api, &owner_token, &shops).await?;
    Ok(World {
        api,
        base: base.to_owned(),
        owner_token,
        shops,
        agents,
        sims,
        shopify_secret: run.shopify_secret(),
    })
}

/// Starts the four simulators, one after the other, with this run's shops.
async fn start_simulators(run: &RunIds) -> anyhow::Result<Simulators> {
    Ok(Simulators {
        tiktok: Arc::new(start_tiktok(run).await?),
        douyin: Arc::new(start_douyin(run).await?),
        aliexpress: Arc::new(start_aliexpress(run).await?),
        shopify: Arc::new(start_shopify(run).await?),
    })
}

/// TikTok Shop: one app, authorized by two sellers with a shop each.
async fn start_tiktok(run: &RunIds) -> anyhow::Result<tiktok::SimHandle> {
    TikTokSim::start(tiktok::SimConfig {
        app_key: TIKTOK_APP.0.to_owned(),
        app_secret: TIKTOK_APP.1.to_owned(),
        sellers: TIKTOK_SHOPS
            .iter()
            .zip(&run.tiktok)
            .map(|(shop, id)| tiktok_seller(shop, id, &run.tag))
            .collect(),
        ..Default::default()
    })
    .await
    .context("TikTok simulator")
}

/// The seller of one TikTok shop, its tokens and cipher named after the region and run.
fn tiktok_seller(shop: &TikTokShop, id: &str, tag: &str) -> tiktok::Seller {
    let region = shop.region.to_lowercase();
    tiktok::Seller {
        open_id: format!("demo_open_{region}_{tag}"),
        seller_name: shop.name.to_owned(),
        region: shop.region.to_owned(),
        access_token: format!("TTP_demo_{region}_access_{tag}"),
        refresh_token: format!("TTP_demo_{region}_refresh_{tag}"),
        shops: vec![tiktok::Shop {
            id: id.to_owned(),
            name: shop.name.to_owned(),
            region: shop.region.to_owned(),
            cipher: format!("GCP_demo_{region}_{tag}"),
            code: shop.code.to_owned(),
        }],
    }
}

/// Douyin: one shop, its orders added as buyers order.
async fn start_douyin(run: &RunIds) -> anyhow::Result<douyin::SimHandle> {
    let tag = &run.tag;
    DouyinSim::start(douyin::SimConfig {
        app_key: DOUYIN_APP.0.to_owned(),
        app_secret: DOUYIN_APP.1.to_owned(),
        shops: vec![douyin::Shop {
            shop_id: run.douyin.clone(),
            shop_name: DOUYIN_SHOP_NAME.to_owned(),
            access_token: format!("demo-douyin-access-{tag}"),
            refresh_token: format!("demo-douyin-refresh-{tag}"),
            auth_code: None,
            orders: Vec::new(),
            products: Vec::new(),
        }],
        ..Default::default()
    })
    .await
    .context("Douyin simulator")
}

/// AliExpress: one seller, its message centre filled as buyers write.
async fn start_aliexpress(run: &RunIds) -> anyhow::Result<aliexpress::SimHandle> {
    let tag = &run.tag;
    AliExpressSim::start(aliexpress::SimConfig {
        app_key: ALIEXPRESS_APP.0.to_owned(),
        app_secret: ALIEXPRESS_APP.1.to_owned(),
        sellers: vec![aliexpress::Seller {
            login_id: run.aliexpress.clone(),
            ali_id: format!("{}", 2_000_000_000 + run.stamp % 1_000_000_000),
            name: ALIEXPRESS_SHOP_NAME.to_owned(),
            access_token: format!("50000demo_access_{tag}"),
            refresh_token: format!("50001demo_refresh_{tag}"),
        }],
        ..Default::default()
    })
    .await
    .context("AliExpress simulator")
}

/// Shopify's Admin API: the store's discount codes and products.
async fn start_shopify(run: &RunIds) -> anyhow::Result<shopify::SimHandle> {
    ShopifySim::start(shopify::SimConfig {
        access_token: run.shopify_token(),
        discounts: SHOPIFY_DISCOUNTS
            .iter()
            .map(|(code, status)| shopify::SimDiscount {
                code: (*code).to_owned(),
                status: (*status).to_owned(),
                starts_at: None,
                ends_at: None,
            })
            .collect(),
        products: SHOPIFY_PRODUCTS
            .iter()
            .map(|(id, title, _, published)| shopify::SimProduct {
                id: format!("gid://shopify/Product/{id}"),
                title: (*title).to_owned(),
                published: *published,
            })
            .collect(),
        app: None,
    })
    .await
    .context("Shopify simulator")
}

/// A shop to create in the daemon and connect to its simulator.
struct ShopPlan {
    platform: &'static Platform,
    region: Option<&'static str>,
    name: &'static str,
    external_id: String,
    api_base: String,
    credentials: Value,
}

/// The shops, in the order of [`World::shops`]: TikTok GB and ES, Douyin, AliExpress,
/// Shopify.
fn shop_plans(sims: &Simulators, run: &RunIds) -> Vec<ShopPlan> {
    let mut plans: Vec<ShopPlan> = TIKTOK_SHOPS
        .iter()
        .zip(&run.tiktok)
        .map(|(shop, id)| tiktok_plan(&sims.tiktok, shop, id))
        .collect();
    plans.push(douyin_plan(&sims.douyin, &run.douyin));
    plans.push(aliexpress_plan(&sims.aliexpress, &run.aliexpress));
    plans.push(shopify_plan(&sims.shopify, run));
    plans
}

fn tiktok_plan(sim: &tiktok::SimHandle, shop: &TikTokShop, id: &str) -> ShopPlan {
    ShopPlan {
        platform: &shopmux_adapter_tiktok::PLATFORM,
        region: Some(shop.region),
        name: shop.name,
        external_id: id.to_owned(),
        api_base: sim.base_url(),
        credentials: json!({
            "app_key": TIKTOK_APP.0,
            "app_secret": TIKTOK_APP.1,
            "access_token": sim.access_token(id).unwrap_or_default(),
            "refresh_token": sim.refresh_token(id).unwrap_or_default(),
            "shop_cipher": sim.shop_cipher(id).unwrap_or_default(),
            "auth_base": sim.base_url(),
        }),
    }
}

fn douyin_plan(sim: &douyin::SimHandle, id: &str) -> ShopPlan {
    ShopPlan {
        platform: &shopmux_adapter_douyin::PLATFORM,
        region: Some("CN"),
        name: DOUYIN_SHOP_NAME,
        external_id: id.to_owned(),
        api_base: sim.base_url(),
        credentials: json!({
            "app_key": DOUYIN_APP.0,
            "app_secret": DOUYIN_APP.1,
            "access_token": sim.access_token(id).unwrap_or_default(),
        }),
    }
}

fn aliexpress_plan(sim: &aliexpress::SimHandle, id: &str) -> ShopPlan {
    ShopPlan {
        platform: &shopmux_adapter_aliexpress::PLATFORM,
        region: None,
        name: ALIEXPRESS_SHOP_NAME,
        external_id: id.to_owned(),
        api_base: sim.base_url(),
        credentials: json!({
            "app_key": ALIEXPRESS_APP.0,
            "app_secret": ALIEXPRESS_APP.1,
            "access_token": sim.access_token(id).unwrap_or_default(),
            "refresh_token": sim.refresh_token(id).unwrap_or_default(),
            "access_token_expires_at": sim
                .access_token_expires_at(id)
                .map(|t| t.timestamp().to_string())
                .unwrap_or_default(),
        }),
    }
}

fn shopify_plan(sim: &shopify::SimHandle, run: &RunIds) -> ShopPlan {
    ShopPlan {
        platform: &shopmux_adapter_shopify::PLATFORM,
        region: None,
        name: "Lumen & Oak (Shopify)",
        external_id: run.shopify.clone(),
        api_base: sim.base_url(),
        credentials: json!({
            "access_token": run.shopify_token(),
            "client_secret": run.shopify_secret(),
        }),
    }
}

/// Creates a shop as its owner does, then connects it to its simulator.
async fn create_shop(api: &Api, owner_token: &str, plan: ShopPlan) -> anyhow::Result<DemoShop> {
    let platform = plan.platform;
    let shop = json!({"platform": platform.as_str(), "external_id": plan.external_id,
        "region": plan.region, "name": plan.name});
    let created = api
        .call(Method::POST, "/api/v1/shops", owner_token, Some(shop))
        .await
        .with_context(|| format!("creating the {platform} shop"))?;
    let id = text_at(&created, "/shop/id", "the created shop has no id")?;
    api.call(
        Method::PUT,
        &format!("/api/v1/shops/{id}/connection"),
        owner_token,
        Some(json!({"api_base": plan.api_base, "credentials": plan.credentials})),
    )
    .await
    .with_context(|| format!("connecting the {platform} shop"))?;
    Ok(DemoShop {
        id,
        platform: platform.as_str().to_owned(),
        region: plan.region.map(str::to_owned),
        name: plan.name.to_owned(),
        external_id: plan.external_id,
    })
}

/// Creates an agent who may chat in some of the shops, and sets them online.
async fn create_agent(
    api: &Api, owner_token: &str, shops: &[DemoShop], nickname: &str, shop_indexes: &[usize],
) -> anyhow::Result<DemoAgent> {
    let grants: Vec<Value> =
        shop_indexes.iter().map(|&i| json!({"shop_id": shops[i].id, "can_chat": true})).collect();
    let created = api
        .call(
            Method::POST,
            "/api/v1/agents",
            owner_token,
            Some(json!({"nickname": nickname, "login": nickname, "password": DEMO_PASSWORD,
                "shops": grants})),
        )
        .await
        .with_context(|| format!("creating the agent {nickname}"))?;
    let token = text_at(&created, "/token", "the created agent has no token")?;
    api.call(
        Method::PUT,
        "/api/v1/me/presence",
        &token,
        Some(json!({"status": "online", "capacity": 10})),
    )
    .await
    .with_context(|| format!("setting {nickname} online"))?;
    Ok(DemoAgent {
        nickname: nickname.to_owned(),
        login: nickname.to_owned(),
        password: DEMO_PASSWORD.to_owned(),
        token,
        shops: shop_indexes.iter().map(|&i| shops[i].name.clone()).collect(),
    })
}

/// The text at `pointer` in an answer of the API; `missing` (and the answer) when absent.
fn text_at(answer: &Value, pointer: &str, missing: &str) -> anyhow::Result<String> {
    answer
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("{missing}: {answer}"))
}

/// This run's time stamp, its tag (the stamp in base 36, for tokens), and the platforms'
/// ids of its shops: unique per run.
struct RunIds {
    stamp: u64,
    tag: String,
    tiktok: [String; 2],
    douyin: String,
    aliexpress: String,
    shopify: String,
}

impl RunIds {
    fn new(stamp: u64) -> RunIds {
        let tag = base36(stamp);
        RunIds {
            stamp,
            tiktok: [
                format!("74940{:013}1", stamp % 10_000_000_000_000),
                format!("74940{:013}2", stamp % 10_000_000_000_000),
            ],
            douyin: format!("{stamp}"),
            aliexpress: format!("cn{stamp}lumen"),
            shopify: format!("lumen-oak-{tag}.myshopify.com"),
            tag,
        }
    }

    /// The Shopify store's Admin API token.
    fn shopify_token(&self) -> String {
        format!("shpat_demo_{}", self.tag)
    }

    /// The Shopify app's client secret, which signs the store's webhooks.
    fn shopify_secret(&self) -> String {
        format!("demo_shopify_client_secret_{}", self.tag)
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
        let a = RunIds::new(1_764_000_000_000);
        let b = RunIds::new(1_764_000_000_001);
        assert_eq!(a.tiktok[0].len(), 19);
        assert!(a.tiktok[0].chars().all(|c| c.is_ascii_digit()));
        assert_ne!(a.tiktok[0], a.tiktok[1]);
        assert_ne!(a.tiktok[0], b.tiktok[0]);
        assert_ne!(a.douyin, b.douyin);
        assert_ne!(a.aliexpress, b.aliexpress);
        assert_ne!(a.shopify, b.shopify);
        assert!(a.shopify.ends_with(".myshopify.com"));
        assert_eq!(a.tag, base36(1_764_000_000_000));
        assert_eq!(base36(0), "0");
        assert_eq!(base36(35), "z");
        assert_eq!(base36(36), "10");
    }
}
