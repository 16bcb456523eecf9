//! `shopmux demo`: the daemon on its usual database and address, beside the four
//! marketplace simulators (`shopmux-simulator`), with a seller, one shop per marketplace
//! (TikTok Shop in two regions), three agents, and scripted buyers who write in their own
//! languages at a steady pace — a live multi-marketplace inbox within seconds.
//!
//! Everything enters through the doors real traffic uses, so what the newcomer sees is
//! what production does:
//!
//! - shops, their connections and the agents are created through the HTTP API (the owner
//!   through the engine, as `shopmux owner create` does);
//! - TikTok buyers: the simulator's signed NEW_MESSAGE webhooks (§1.5 of platform-apis.md),
//!   posted to `/webhooks/tiktok/{shop}` (one simulated app, two sellers: a British and a
//!   Spanish shop; the app's single webhook URL is pointed at the shop being pushed);
//! - AliExpress buyers: messages added to the simulated message centre, which the
//!   daemon's poller finds (AliExpress has no message push, §3.3; the demo polls every
//!   5 s);
//! - Douyin: no chat API exists (Feige, §4.4), so buyers appear through signed order
//!   pushes (§4.3): trade created (tag 100), seller shipped (102) and after-sale requested
//!   (200), each order answered by the simulated `order.orderDetail`; replies to Douyin
//!   buyers fail visibly with `no_im_api`;
//! - Shopify customers: exactly what the storefront widget does — a session, the chat
//!   WebSocket, text frames and the cart token — plus signed `carts/update`,
//!   `customers/update` and `orders/create` webhooks; some customers leave the store
//!   (their socket closes) and replies then take the email route.
//!
//! The script is deterministic: fixed stories per marketplace, names from fixed pools,
//! and a seeded generator for the pace's jitter and cart tokens. When a marketplace's
//! stories are played, they start again with new buyers.
//!
//! Every run creates a fresh seller and fresh shops: the simulators start empty each time,
//! and their message ids restart, so reusing a shop would make new messages look like
//! redeliveries. Shop ids carry the run's time stamp so they never collide with an earlier
//! run's (shops are unique by platform, id and region).
//!
//! Douyin push fields beyond the order id (`aftersale_type` 0 return, 2 refund before
//! shipping; `refund_amount` in fen; `logistics_msg`) follow the public SDKs
//! `zsmhub/doudian-sdk` (`message/买家发起售后申请消息.go`, `message/卖家发货消息.go`) and
//! `bububa/jinritemai-go` (`message/refund/refundSuccess.go`).

use crate::config::Config;
use anyhow::{Context, anyhow};
use futures_util::{SinkExt, StreamExt};
use reqwest::{Client, Method};
use serde_json::{Value, json};
use shopmux_core::{Inbox, SystemClock};
use shopmux_simulator::{
    AliExpressSim, DouyinSim, ShopifySim, TikTokSim, aliexpress, douyin, shopify, tiktok,
};
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message as WsFrame;

/// Seconds between two polls of the marketplaces (AliExpress is only polled).
pub const DEMO_POLL_SECS: u64 = 5;

/// How long the demo waits for one answer of the daemon (a storefront frame's ack).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// How the demo's buyers behave.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// The mean time between two buyer actions (default 1.5 s). Each wait is drawn
    /// between two thirds and four thirds of it; the first round, one action per
    /// marketplace, goes four times as fast.
    pub pace: Duration,
    /// Seed of the script's random choices (the pace's jitter, cart tokens): the same
    /// seed plays the same script.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> DemoOptions {
        DemoOptions {
            pace: Duration::from_millis(1500),
            seed: 2026,
        }
    }
}

/// A shop the demo created.
#[derive(Clone, Debug)]
pub struct DemoShop {
    /// shopmux's id of the shop.
    pub id: String,
    /// `tiktok`, `douyin`, `aliexpress` or `shopify`.
    pub platform: String,
    /// Region code, where the platform has regions.
    pub region: Option<String>,
    /// Display name.
    pub name: String,
    /// The platform's id of the shop (in the simulator).
    pub external_id: String,
}

/// An agent (sub-account) the demo created.
#[derive(Clone, Debug)]
pub struct DemoAgent {
    /// Its nickname.
    pub nickname: String,
    /// Its API token.
    pub token: String,
    /// The names of the shops it may chat in.
    pub shops: Vec<String>,
}

/// The running simulators, for inspection (what each received).
#[derive(Clone)]
pub struct Simulators {
    /// TikTok Shop: the British and the Spanish shop.
    pub tiktok: Arc<tiktok::SimHandle>,
    /// Douyin: one shop.
    pub douyin: Arc<douyin::SimHandle>,
    /// AliExpress: one seller.
    pub aliexpress: Arc<aliexpress::SimHandle>,
    /// Shopify Admin API (discount codes, products).
    pub shopify: Arc<shopify::SimHandle>,
}

/// A reply frame a storefront customer received on the chat socket.
#[derive(Clone, Debug, PartialEq)]
pub struct StorefrontReply {
    /// The customer's name.
    pub customer: String,
    /// The customer's buyer id in the shop.
    pub buyer_external_id: String,
    /// The reply's content.
    pub content: Value,
}

/// A running demo: the daemon, the simulators and the buyers.
pub struct DemoHandle {
    /// `http://host:port` of the daemon.
    pub base_url: String,
    /// The seller's main-account token.
    pub owner_token: String,
    /// The shops, in the order TikTok GB, TikTok ES, Douyin, AliExpress, Shopify.
    pub shops: Vec<DemoShop>,
    /// The agents.
    pub agents: Vec<DemoAgent>,
    /// The simulators.
    pub simulators: Simulators,
    /// The daemon's engine.
    pub inbox: Arc<Inbox>,
    /// The active Shopify discount code (SH-DISC-1 lets agents share it).
    pub discount_code: String,
    replies: Arc<Mutex<Vec<StorefrontReply>>>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<anyhow::Result<()>>,
    driver: JoinHandle<()>,
}

impl DemoHandle {
    /// The live stream's URL with the owner's token.
    pub fn stream_url(&self) -> String {
        format!(
            "{}/api/v1/stream?access_token={}",
            self.base_url.replacen("http://", "ws://", 1),
            self.owner_token
        )
    }

    /// The demo's shop of a platform (and region, for TikTok).
    pub fn shop(&self, platform: &str, region: Option<&str>) -> Option<&DemoShop> {
        self.shops
            .iter()
            .find(|s| s.platform == platform && (region.is_none() || s.region.as_deref() == region))
    }

    /// Every reply storefront customers received over their chat sockets, in order.
    pub fn storefront_replies(&self) -> Vec<StorefrontReply> {
        self.replies
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// What `shopmux demo` prints: the URL, the owner token, how to look, the shops and
    /// the agents.
    pub fn summary(&self) -> String {
        let token = &self.owner_token;
        let base = &self.base_url;
        let mut out = String::new();
        out.push_str(
            "shopmux demo: a live inbox of five marketplace shops, with simulated buyers.\n\n",
        );
        out.push_str(&format!("  URL          {base}\n"));
        out.push_str(&format!("  owner token  {token}\n"));
        out.push_str(&format!("  live stream  {}\n\n", self.stream_url()));
        out.push_str("Look at the inbox:\n");
        out.push_str(&format!(
            "  curl -H \"authorization: Bearer {token}\" {base}/api/v1/conversations\n"
        ));
        out.push_str(&format!(
            "  curl -H \"authorization: Bearer {token}\" \"{base}/api/v1/conversations?platform=aliexpress\"\n"
        ));
        out.push_str("Reply (replace CONVERSATION_ID with an id from the list):\n");
        out.push_str(&format!(
            "  curl -X POST -H \"authorization: Bearer {token}\" -H 'content-type: application/json' \\\n    -d '{{\"content\":{{\"type\":\"text\",\"text\":\"Thanks, it ships today!\"}}}}' \\\n    {base}/api/v1/conversations/CONVERSATION_ID/messages\n\n"
        ));
        out.push_str("Shops:\n");
        for shop in &self.shops {
            let note = match shop.platform.as_str() {
                "tiktok" => "signed webhooks in, signed replies out",
                "douyin" => {
                    "order and after-sale pushes; Feige chat has no API, replies fail (no_im_api)"
                }
                "aliexpress" => "message centre, polled every 5 s",
                "shopify" => "storefront chat, cart/customer/order webhooks",
                _ => "",
            };
            out.push_str(&format!(
                "  {:<10} {:<3} {}  {} ({note})\n",
                shop.platform,
                shop.region.as_deref().unwrap_or(""),
                shop.id,
                shop.name,
            ));
        }
        out.push_str(&format!(
            "  The Shopify store's discount code {} is active (share it as a coupon_card).\n\n",
            self.discount_code
        ));
        out.push_str("Agents (online; open the stream with a token to receive assignments):\n");
        for agent in &self.agents {
            out.push_str(&format!(
                "  {:<8} {}  {}\n",
                agent.nickname,
                agent.token,
                agent.shops.join(", ")
            ));
        }
        out.push_str("\nBuyers act every 1-2 s. Ctrl-C stops the demo.\n");
        out
    }

    /// Stops the buyers, then the daemon (gracefully: what it accepted is written), then
    /// the simulators.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.driver.abort();
        let _ = (&mut self.driver).await;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.server)
            .await
            .map_err(|e| anyhow!("the daemon task failed: {e}"))?
    }
}

/// Runs the demo until Ctrl-C (or SIGTERM).
pub async fn run(config: &Config) -> anyhow::Result<()> {
    let demo = start_demo(config, DemoOptions::default()).await?;
    println!("{}", demo.summary());
    crate::server::shutdown_signal().await;
    demo.stop().await
}

/// Starts the daemon with `config` (its database and address; polls every
/// [`DEMO_POLL_SECS`]), the simulators, the seller with its shops and agents, and the
/// buyers.
pub async fn start_demo(config: &Config, options: DemoOptions) -> anyhow::Result<DemoHandle> {
    let mut config = config.clone();
    config.ingest.poll_secs = DEMO_POLL_SECS;
    let daemon = crate::server::start(&config, Arc::new(SystemClock)).await?;
    let base = base_url(daemon.addr);
    let inbox = daemon.inbox.clone();
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(daemon.serve(async move {
        let _ = stopped.await;
    }));
    match set_up(&base, &inbox).await {
        Ok(world) => {
            let replies = Arc::new(Mutex::new(Vec::new()));
            let driver = Driver::new(&world, &options, replies.clone());
            let driver = tokio::spawn(driver.run());
            Ok(DemoHandle {
                base_url: base,
                owner_token: world.owner_token,
                shops: world.shops,
                agents: world.agents,
                simulators: world.sims,
                inbox,
                discount_code: DISCOUNT_CODE.to_owned(),
                replies,
                stop: Some(stop),
                server,
                driver,
            })
        }
        Err(e) => {
            let _ = stop.send(());
            let _ = server.await;
            Err(e)
        }
    }
}

/// The daemon's URL; an unspecified listen address is reached on loopback.
fn base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

// ---------------------------------------------------------------------------------------------
// Set-up
// ---------------------------------------------------------------------------------------------

/// The Shopify store's active discount code.
const DISCOUNT_CODE: &str = "WELCOME10";

/// The TikTok app's key and secret (one app, two sellers).
const TIKTOK_APP: (&str, &str) = ("demo_tiktok_app_key", "demo_tiktok_app_secret");

/// The Douyin app's key (19 digits, as the platform's) and secret.
const DOUYIN_APP: (&str, &str) = ("7311111111111111111", "demo-douyin-app-secret");

/// The AliExpress app's key and secret.
const ALIEXPRESS_APP: (&str, &str) = ("demo_ae_app_key", "demo_ae_app_secret");

/// What the set-up made.
struct World {
    api: Api,
    base: String,
    owner_token: String,
    shops: Vec<DemoShop>,
    agents: Vec<DemoAgent>,
    sims: Simulators,
    shopify_secret: String,
}

/// The daemon's HTTP API, as a client uses it.
#[derive(Clone)]
struct Api {
    client: Client,
    base: String,
}

impl Api {
    async fn call(
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
async fn set_up(base: &str, inbox: &Inbox) -> anyhow::Result<World> {
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

// ---------------------------------------------------------------------------------------------
// The script
// ---------------------------------------------------------------------------------------------

/// Shopify products: id, title, price (EUR), published.
const SHOPIFY_PRODUCTS: &[(u64, &str, &str, bool)] = &[
    (8_101, "Linen shirt", "49.00", true),
    (8_102, "Stoneware mug", "18.00", true),
    (8_103, "Oak desk lamp", "89.00", true),
    (8_104, "Gift wrapping", "0.00", true),
    (8_109, "Wool throw (coming soon)", "120.00", false),
];

/// One TikTok story: the buyer shares an order card first when there is a product.
struct TikTokStory {
    order: Option<(&'static str, &'static str)>,
    lines: &'static [&'static str],
}

const TIKTOK_GB_NAMES: &[&str] = &[
    "Oliver Bennett",
    "Chloe Harris",
    "Amelia Clarke",
    "Harry Walsh",
    "Isla Murphy",
    "George Patel",
    "Sophie Reid",
    "Jack Turner",
];

const TIKTOK_GB: &[TikTokStory] = &[
    TikTokStory {
        order: Some(("Oak desk lamp", "34.99")),
        lines: &[
            "Hi! I ordered the oak desk lamp on Monday, any idea when it'll ship?",
            "Tracking still says awaiting collection 🙈",
            "Brilliant, thank you!",
        ],
    },
    TikTokStory {
        order: None,
        lines: &[
            "Hello, does the linen duvet set come in super king?",
            "And is it pre-washed? My last one shrank loads",
            "Lovely, adding it to my basket now x",
        ],
    },
    TikTokStory {
        order: Some(("Stoneware mug", "12.50")),
        lines: &[
            "My mug arrived with a chip on the handle 😞",
            "Can I get a replacement rather than a refund? It's a gift",
        ],
    },
    TikTokStory {
        order: None,
        lines: &[
            "Is the 15% code from yesterday's live still working?",
            "It says invalid at checkout",
        ],
    },
];

const TIKTOK_ES_NAMES: &[&str] = &[
    "Lucía Fernández",
    "Javier Moreno",
    "Carmen Ruiz",
    "Pablo Jiménez",
    "Marta Sánchez",
    "Diego Navarro",
    "Elena Castro",
    "Sergio Ortega",
];

const TIKTOK_ES: &[TikTokStory] = &[
    TikTokStory {
        order: None,
        lines: &[
            "¡Hola! ¿El vestido de lino viene en talla M?",
            "¿Y cuánto tarda el envío a Sevilla?",
            "Perfecto, ¡muchas gracias! 😊",
        ],
    },
    TikTokStory {
        order: Some(("Auriculares inalámbricos", "39.90")),
        lines: &[
            "Buenas, pedí unos auriculares hace ocho días y todavía no han llegado",
            "¿Me podéis pasar el número de seguimiento?",
        ],
    },
    TikTokStory {
        order: None,
        lines: &[
            "¿Aceptáis devoluciones si la talla no me queda bien?",
            "Vale, ¿y quién paga el envío de la devolución?",
        ],
    },
    TikTokStory {
        order: None,
        lines: &[
            "¿Tenéis la funda de cojín en verde salvia?",
            "¡Genial! ¿Se puede lavar a máquina?",
        ],
    },
];

/// One AliExpress story: the buyer's language, the order it is about (product, status,
/// issue status), and the messages.
struct AliExpressStory {
    language: &'static str,
    order: Option<(&'static str, &'static str)>,
    lines: &'static [&'static str],
}

const ALIEXPRESS_PL_NAMES: &[&str] = &[
    "Agnieszka Plebanek",
    "Tomasz Wiśniewski",
    "Katarzyna Nowak",
    "Piotr Zieliński",
    "Magdalena Wójcik",
    "Michał Kamiński",
];

const ALIEXPRESS_EN_NAMES: &[&str] = &[
    "Emily Turner",
    "Daniel Brooks",
    "Hannah Scott",
    "Ryan Cooper",
];

const ALIEXPRESS: &[AliExpressStory] = &[
    AliExpressStory {
        language: "pl",
        order: Some(("WAIT_BUYER_ACCEPT_GOODS", "NO_ISSUE")),
        lines: &[
            "Dzień dobry, zamówiłam lampkę nocną trzy tygodnie temu i nadal jej nie ma. Gdzie jest moja paczka?",
            "Numer śledzenia nie działa na stronie Poczty Polskiej.",
            "Dziękuję, poczekam jeszcze tydzień.",
        ],
    },
    AliExpressStory {
        language: "en",
        order: Some(("WAIT_BUYER_ACCEPT_GOODS", "IN_ISSUE")),
        lines: &[
            "Hi, my parcel arrived today but one of the two cushion covers is missing.",
            "I've opened a dispute just in case, but I'd rather sort it out with you directly.",
            "Could you resend the missing one instead of a refund?",
        ],
    },
    AliExpressStory {
        language: "pl",
        order: None,
        lines: &[
            "Cześć, czy ten zasilacz działa z napięciem 230 V?",
            "A jaki jest czas dostawy do Krakowa?",
            "Super, zamawiam dzisiaj wieczorem.",
        ],
    },
    AliExpressStory {
        language: "pl",
        order: Some(("FINISH", "NO_ISSUE")),
        lines: &[
            "Chciałabym zwrócić słuchawki — lewa w ogóle nie gra.",
            "Czy muszę je odesłać w oryginalnym opakowaniu?",
        ],
    },
];

/// Douyin orders: product, price in fen, and what happens after the order (shipped,
/// after-sale type: 0 return of goods, 2 refund before shipping).
struct DouyinStory {
    product: &'static str,
    amount: i64,
    shipped: bool,
    after_sale: Option<i64>,
}

const DOUYIN: &[DouyinStory] = &[
    DouyinStory {
        product: "北欧实木台灯",
        amount: 12_900,
        shipped: true,
        after_sale: Some(0),
    },
    DouyinStory {
        product: "纯棉四件套 1.8米床",
        amount: 29_900,
        shipped: false,
        after_sale: None,
    },
    DouyinStory {
        product: "陶瓷马克杯 两只装",
        amount: 7_800,
        shipped: false,
        after_sale: Some(2),
    },
    DouyinStory {
        product: "亚麻抱枕套 45×45",
        amount: 5_900,
        shipped: true,
        after_sale: None,
    },
];

/// What a Shopify customer does after their first message.
#[derive(Clone, Copy)]
enum ShopAct {
    Say(&'static str),
    /// Their cart now: (product index in [`SHOPIFY_PRODUCTS`], quantity).
    Cart(&'static [(usize, i64)]),
    /// They place an order (the store's customer and order webhooks).
    Order,
    Leave,
}

/// One storefront customer: language, time zone and offset, whether they give an email,
/// their first message and what follows. A customer who does not leave stays in the store
/// until the stories start again.
struct ShopifyStory {
    language: &'static str,
    time_zone: (&'static str, i32),
    email: bool,
    first: &'static str,
    acts: &'static [ShopAct],
}

const SHOPIFY_ES_NAMES: &[&str] = &["Ana García", "Sofía López", "Lucía Romero", "Valeria Díaz"];

const SHOPIFY_EN_NAMES: &[&str] = &["Jack Wilson", "Ella Thompson", "Noah Miller", "Grace Evans"];

const SHOPIFY: &[ShopifyStory] = &[
    ShopifyStory {
        language: "es",
        time_zone: ("Europe/Madrid", 60),
        email: true,
        first: "Hola, ¿la camisa de lino talla grande o normal?",
        acts: &[
            ShopAct::Cart(&[(0, 1)]),
            ShopAct::Say("Me llevo la M entonces. ¿Cuánto tarda el envío a Valencia?"),
            ShopAct::Order,
            ShopAct::Say("¡Pedido hecho! Muchas gracias 🙌"),
        ],
    },
    ShopifyStory {
        language: "en",
        time_zone: ("America/Chicago", -360),
        email: true,
        first: "Hey, do you ship to Canada?",
        acts: &[
            ShopAct::Cart(&[(1, 2), (2, 1)]),
            ShopAct::Cart(&[(1, 2)]),
            ShopAct::Say("Shipping's a bit steep for the lamp, I'll just get the mugs."),
            ShopAct::Leave,
        ],
    },
    ShopifyStory {
        language: "es",
        time_zone: ("America/Mexico_City", -360),
        email: false,
        first: "¿Tienen la taza en azul?",
        acts: &[
            ShopAct::Say("Ok, gracias, regreso después."),
            ShopAct::Leave,
        ],
    },
    ShopifyStory {
        language: "en",
        time_zone: ("Europe/London", 0),
        email: true,
        first: "Is gift wrapping free?",
        acts: &[
            ShopAct::Cart(&[(0, 1), (3, 1)]),
            ShopAct::Order,
            ShopAct::Say("Just ordered, thanks so much!"),
            ShopAct::Leave,
        ],
    },
];

/// One buyer action.
enum Step {
    TikTok {
        shop: usize,
        conversation: String,
        buyer: tiktok::Buyer,
        message: tiktok::BuyerMessage,
        order: Option<tiktok::Order>,
    },
    AliExpress {
        buyer: aliexpress::Buyer,
        message: aliexpress::BuyerMessage,
        order: Option<aliexpress::Order>,
    },
    DouyinOrder(douyin::Order),
    DouyinShipped(String),
    DouyinAfterSale {
        order: String,
        after_sale_id: String,
        kind: i64,
    },
    ShopifyJoin {
        key: String,
        name: String,
        email: Option<String>,
        time_zone: (&'static str, i32),
        first: &'static str,
    },
    ShopifyAct {
        key: String,
        act: ShopAct,
    },
}

/// The marketplaces, in the order the first round visits them (AliExpress first: its
/// messages wait for the next poll).
#[derive(Clone, Copy, Debug)]
enum Lane {
    AliExpress,
    TikTokGb,
    Shopify,
    Douyin,
    TikTokEs,
}

const LANES: [Lane; 5] = [
    Lane::AliExpress,
    Lane::TikTokGb,
    Lane::Shopify,
    Lane::Douyin,
    Lane::TikTokEs,
];

/// Stories played two at a time: the first two interleaved, then the next two.
fn interleave(stories: Vec<Vec<Step>>) -> VecDeque<Step> {
    let mut out = VecDeque::new();
    let mut stories = stories.into_iter();
    while let Some(a) = stories.next() {
        let b = stories.next().unwrap_or_default();
        let (mut a, mut b) = (a.into_iter(), b.into_iter());
        loop {
            match (a.next(), b.next()) {
                (None, None) => break,
                (x, y) => out.extend(x.into_iter().chain(y)),
            }
        }
    }
    out
}

fn name(pool: &[&str], story: usize, generation: u64, stories: usize) -> String {
    let i = (story + generation as usize * stories) % pool.len();
    pool[i].to_owned()
}

/// The steps of one marketplace's stories for a generation of buyers.
fn lane_steps(lane: Lane, generation: u64, now: i64) -> VecDeque<Step> {
    let g = generation;
    match lane {
        Lane::TikTokGb | Lane::TikTokEs => {
            let (shop, stories, names, currency) = match lane {
                Lane::TikTokGb => (0, TIKTOK_GB, TIKTOK_GB_NAMES, "GBP"),
                _ => (1, TIKTOK_ES, TIKTOK_ES_NAMES, "EUR"),
            };
            interleave(
                stories
                    .iter()
                    .enumerate()
                    .map(|(i, story)| {
                        let user_id = format!("7{}{g:08}{i:02}", shop + 1);
                        let buyer = tiktok::Buyer {
                            im_user_id: format!("9{user_id}"),
                            nickname: name(names, i, g, stories.len()),
                            user_id,
                        };
                        let conversation = format!("5764607{}{g:08}{i:02}", shop + 1);
                        let mut steps = Vec::new();
                        let order = story.order.map(|(product, price)| {
                            let id = format!("5768{}{g:08}{i:02}0001", shop + 1);
                            let mut order =
                                tiktok::Order::new(&id, &buyer.user_id, now - 2 * 86_400);
                            order.currency = currency.to_owned();
                            order.total_amount = price.to_owned();
                            for item in &mut order.items {
                                item.product_name = product.to_owned();
                                item.sale_price = price.to_owned();
                            }
                            order
                        });
                        if let Some(order) = order {
                            steps.push(Step::TikTok {
                                shop,
                                conversation: conversation.clone(),
                                buyer: buyer.clone(),
                                message: tiktok::BuyerMessage::new(
                                    "ORDER_CARD",
                                    &json!({"order_id": order.id}).to_string(),
                                ),
                                order: Some(order),
                            });
                        }
                        for line in story.lines {
                            steps.push(Step::TikTok {
                                shop,
                                conversation: conversation.clone(),
                                buyer: buyer.clone(),
                                message: tiktok::BuyerMessage::text(line),
                                order: None,
                            });
                        }
                        steps
                    })
                    .collect(),
            )
        }
        Lane::AliExpress => interleave(
            ALIEXPRESS
                .iter()
                .enumerate()
                .map(|(i, story)| {
                    let pool = if story.language == "pl" {
                        ALIEXPRESS_PL_NAMES
                    } else {
                        ALIEXPRESS_EN_NAMES
                    };
                    let n = g * 100 + i as u64;
                    let buyer = aliexpress::Buyer {
                        login_id: format!("{}{n:06}buyer", story.language),
                        ali_id: format!("22{n:08}"),
                        name: name(pool, i, g, ALIEXPRESS.len()),
                    };
                    let order = story.order.map(|(status, issue)| aliexpress::Order {
                        id: format!("8190{g:06}{i:02}4471"),
                        buyer: buyer.clone(),
                        created_at: chrono::DateTime::from_timestamp(now - 21 * 86_400, 0)
                            .unwrap_or_default(),
                        status: status.to_owned(),
                        issue_status: issue.to_owned(),
                    });
                    story
                        .lines
                        .iter()
                        .enumerate()
                        .map(|(j, line)| Step::AliExpress {
                            buyer: buyer.clone(),
                            message: match &order {
                                Some(order) if j == 0 => {
                                    aliexpress::BuyerMessage::about_order(&order.id, line)
                                }
                                _ => aliexpress::BuyerMessage::text(line),
                            },
                            order: order.clone().filter(|_| j == 0),
                        })
                        .collect()
                })
                .collect(),
        ),
        Lane::Douyin => interleave(
            DOUYIN
                .iter()
                .enumerate()
                .map(|(i, story)| {
                    let order_id = format!("69{g:07}{i:02}88306400");
                    let order = douyin::Order {
                        order_id: order_id.clone(),
                        order_status: 2,
                        order_status_desc: "待发货".to_owned(),
                        create_time: now,
                        update_time: now,
                        order_amount: story.amount,
                        pay_amount: story.amount,
                        doudian_open_id: format!("demo-dy-buyer-{g}-{i}"),
                        buyer_words: String::new(),
                        items: vec![douyin::OrderItem {
                            order_id: format!("69{g:07}{i:02}88306401"),
                            product_id: format!("36000000000{i:08}"),
                            product_name: story.product.to_owned(),
                            sku_id: format!("17000000000{i:08}"),
                            item_num: 1,
                            pay_amount: story.amount,
                        }],
                    };
                    let mut steps = vec![Step::DouyinOrder(order)];
                    if story.shipped {
                        steps.push(Step::DouyinShipped(order_id.clone()));
                    }
                    if let Some(kind) = story.after_sale {
                        steps.push(Step::DouyinAfterSale {
                            order: order_id,
                            after_sale_id: format!("70{g:07}{i:02}55102300"),
                            kind,
                        });
                    }
                    steps
                })
                .collect(),
        ),
        Lane::Shopify => interleave(
            SHOPIFY
                .iter()
                .enumerate()
                .map(|(i, story)| {
                    let pool = if story.language == "es" {
                        SHOPIFY_ES_NAMES
                    } else {
                        SHOPIFY_EN_NAMES
                    };
                    let name = name(pool, i, g, SHOPIFY.len());
                    let key = format!("{g}-{i}");
                    let email = story
                        .email
                        .then(|| format!("{}@example.com", ascii_slug(&name)));
                    let mut steps = vec![Step::ShopifyJoin {
                        key: key.clone(),
                        name,
                        email,
                        time_zone: story.time_zone,
                        first: story.first,
                    }];
                    steps.extend(story.acts.iter().map(|act| Step::ShopifyAct {
                        key: key.clone(),
                        act: *act,
                    }));
                    steps
                })
                .collect(),
        ),
    }
}

/// `Ana García` → `ana.garcia`.
fn ascii_slug(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' | 'ą' => 'a',
            'é' | 'è' | 'ë' | 'ê' | 'ę' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' | 'ń' => 'n',
            'ł' => 'l',
            'ś' => 's',
            'ż' | 'ź' => 'z',
            'ć' => 'c',
            ' ' => '.',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect()
}

/// A small seeded generator (SplitMix64), for the pace's jitter and cart tokens.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

// ---------------------------------------------------------------------------------------------
// The buyers
// ---------------------------------------------------------------------------------------------

/// A storefront customer in the store: their socket's task takes commands.
struct Customer {
    name: String,
    email: Option<String>,
    id: u64,
    commands: mpsc::Sender<CustomerCommand>,
    frames_sent: u64,
    /// The cart's id and token, once the widget reported it.
    cart: Option<(String, String)>,
    /// The cart's total, what an order costs.
    cart_total: String,
}

enum CustomerCommand {
    /// Send a frame and hand back the daemon's answer to it.
    Send(Value, oneshot::Sender<Value>),
    Leave,
}

/// Plays the script.
struct Driver {
    api: Api,
    base: String,
    sims: Simulators,
    shops: Vec<DemoShop>,
    shopify_secret: String,
    rng: Rng,
    pace: Duration,
    lanes: Vec<(Lane, u64, VecDeque<Step>)>,
    customers: HashMap<String, Customer>,
    douyin_orders: HashMap<String, douyin::Order>,
    replies: Arc<Mutex<Vec<StorefrontReply>>>,
    shopify_orders: u64,
}

impl Driver {
    fn new(
        world: &World,
        options: &DemoOptions,
        replies: Arc<Mutex<Vec<StorefrontReply>>>,
    ) -> Driver {
        let now = chrono::Utc::now().timestamp();
        Driver {
            api: world.api.clone(),
            base: world.base.clone(),
            sims: world.sims.clone(),
            shops: world.shops.clone(),
            shopify_secret: world.shopify_secret.clone(),
            rng: Rng(options.seed),
            pace: options.pace,
            lanes: LANES
                .iter()
                .map(|&lane| (lane, 0, lane_steps(lane, 0, now)))
                .collect(),
            customers: HashMap::new(),
            douyin_orders: HashMap::new(),
            replies,
            shopify_orders: 0,
        }
    }

    async fn run(mut self) {
        let pace_ms = u64::try_from(self.pace.as_millis()).unwrap_or(u64::MAX);
        for beat in 0u64.. {
            let wait = if beat == 0 {
                0
            } else if beat < LANES.len() as u64 {
                pace_ms / 4
            } else {
                pace_ms.saturating_mul(667 + self.rng.below(667)) / 1000
            };
            tokio::time::sleep(Duration::from_millis(wait)).await;
            let lane = (beat % LANES.len() as u64) as usize;
            let step = match self.lanes[lane].2.pop_front() {
                Some(step) => step,
                None => {
                    let (kind, generation, _) = self.lanes[lane];
                    if matches!(kind, Lane::Shopify) {
                        self.everyone_leaves().await;
                    }
                    let now = chrono::Utc::now().timestamp();
                    let mut steps = lane_steps(kind, generation + 1, now);
                    let first = steps.pop_front();
                    self.lanes[lane] = (kind, generation + 1, steps);
                    match first {
                        Some(step) => step,
                        None => continue,
                    }
                }
            };
            let kind = self.lanes[lane].0;
            if let Err(error) = self.play(step).await {
                tracing::warn!(message = "A demo buyer's action failed.", lane = ?kind, error = %format!("{error:#}"));
            }
        }
    }

    async fn play(&mut self, step: Step) -> anyhow::Result<()> {
        let now = chrono::Utc::now();
        match step {
            Step::TikTok {
                shop,
                conversation,
                buyer,
                message,
                order,
            } => {
                let external = self.shops[shop].external_id.clone();
                if let Some(order) = order {
                    self.sims.tiktok.add_order(&external, order)?;
                }
                // One app, one webhook URL: pointed at the shop being pushed (only this
                // task pushes).
                self.sims.tiktok.set_webhook_url(Some(format!(
                    "{}/webhooks/tiktok/{}",
                    self.base, self.shops[shop].id
                )));
                let delivery = self
                    .sims
                    .tiktok
                    .push_new_message(&external, &conversation, &buyer, message)
                    .await?;
                expect_ok("TikTok NEW_MESSAGE webhook", delivery.status())
            }
            Step::AliExpress {
                buyer,
                message,
                order,
            } => {
                let seller = self.shops[3].external_id.clone();
                if let Some(order) = order {
                    self.sims.aliexpress.add_order(&seller, order)?;
                }
                self.sims
                    .aliexpress
                    .add_buyer_message(&seller, &buyer, message)?;
                Ok(())
            }
            Step::DouyinOrder(mut order) => {
                let shop = self.shops[2].external_id.clone();
                order.create_time = now.timestamp();
                order.update_time = now.timestamp();
                let id = order.order_id.clone();
                self.sims.douyin.add_order(&shop, order.clone())?;
                self.douyin_orders.insert(id.clone(), order);
                let delivery = self.sims.douyin.push_trade_create(&shop, &id).await?;
                expect_ok("Douyin trade push", delivery.status())
            }
            Step::DouyinShipped(id) => {
                let shop = self.shops[2].external_id.clone();
                let order = self
                    .douyin_orders
                    .get_mut(&id)
                    .ok_or_else(|| anyhow!("unknown Douyin order {id}"))?;
                order.order_status = 3;
                order.order_status_desc = "已发货".to_owned();
                order.update_time = now.timestamp();
                let order = order.clone();
                self.sims.douyin.add_order(&shop, order.clone())?;
                let s_ids: Vec<Value> = order
                    .items
                    .iter()
                    .map(|item| number_or_text(&item.order_id))
                    .collect();
                let delivery = self
                    .sims
                    .douyin
                    .push(douyin::PushEvent::new(
                        shopmux_adapter_douyin::wire::push_tag::TRADE_SELLER_SHIP,
                        json!({
                            "p_id": number_or_text(&id),
                            "s_ids": s_ids,
                            "shop_id": number_or_text(&shop),
                            "order_status": 3,
                            "order_type": 0,
                            "biz": 2,
                            "logistics_msg": {"express_company_id": "zhongtong",
                                "logistics_code": format!("7359{}", &id[id.len() - 8..])},
                            "update_time": now.timestamp(),
                        }),
                    ))
                    .await?;
                expect_ok("Douyin shipping push", delivery.status())
            }
            Step::DouyinAfterSale {
                order,
                after_sale_id,
                kind,
            } => {
                let shop = self.shops[2].external_id.clone();
                let known = self
                    .douyin_orders
                    .get(&order)
                    .ok_or_else(|| anyhow!("unknown Douyin order {order}"))?;
                let (s_id, amount) = known
                    .items
                    .first()
                    .map(|item| (item.order_id.clone(), item.pay_amount))
                    .unwrap_or_default();
                let delivery = self
                    .sims
                    .douyin
                    .push(douyin::PushEvent::new(
                        shopmux_adapter_douyin::wire::push_tag::REFUND_CREATED,
                        json!({
                            "aftersale_id": number_or_text(&after_sale_id),
                            "aftersale_type": kind,
                            "apply_time": now.timestamp(),
                            "p_id": number_or_text(&order),
                            "s_id": number_or_text(&s_id),
                            "shop_id": number_or_text(&shop),
                            "refund_amount": amount,
                            "refund_post_amount": 0,
                            "refund_voucher_num": 0,
                            "update_time": now.timestamp(),
                        }),
                    ))
                    .await?;
                expect_ok("Douyin after-sale push", delivery.status())
            }
            Step::ShopifyJoin {
                key,
                name,
                email,
                time_zone,
                first,
            } => {
                self.join(&key, name, email, time_zone).await?;
                self.say(&key, first).await
            }
            Step::ShopifyAct { key, act } => match act {
                ShopAct::Say(text) => self.say(&key, text).await,
                ShopAct::Cart(lines) => self.cart(&key, lines).await,
                ShopAct::Order => self.order(&key).await,
                ShopAct::Leave => {
                    if let Some(customer) = self.customers.remove(&key) {
                        let _ = customer.commands.send(CustomerCommand::Leave).await;
                    }
                    Ok(())
                }
            },
        }
    }

    /// A customer opens the widget: a session, then the chat socket.
    async fn join(
        &mut self,
        key: &str,
        name: String,
        email: Option<String>,
        time_zone: (&'static str, i32),
    ) -> anyhow::Result<()> {
        let shop = self.shops[4].id.clone();
        let response = self
            .api
            .client
            .post(format!("{}/storefront/{shop}/sessions", self.base))
            .json(
                &json!({"name": name, "email": email, "time_zone": time_zone.0,
                "utc_offset_minutes": time_zone.1}),
            )
            .send()
            .await?;
        let status = response.status();
        let session: Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            return Err(anyhow!("storefront session: {status}: {session}"));
        }
        let token = session["token"].as_str().unwrap_or_default().to_owned();
        let buyer = session["buyer_external_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let url = format!(
            "{}/storefront/{shop}/chat?token={token}",
            self.base.replacen("http://", "ws://", 1)
        );
        let (socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .context("storefront chat socket")?;
        let (commands, received) = mpsc::channel(8);
        tokio::spawn(customer_socket(
            socket,
            received,
            name.clone(),
            buyer,
            self.replies.clone(),
        ));
        let id = 7_100_000 + self.rng.below(900_000);
        self.customers.insert(
            key.to_owned(),
            Customer {
                name,
                email,
                id,
                commands,
                frames_sent: 0,
                cart: None,
                cart_total: "0.00".to_owned(),
            },
        );
        Ok(())
    }

    /// Sends a frame on a customer's socket; the daemon's answer.
    async fn send(&mut self, key: &str, frame: Value) -> anyhow::Result<Value> {
        let customer = self
            .customers
            .get_mut(key)
            .ok_or_else(|| anyhow!("customer {key} is not in the store"))?;
        let (answered, answer) = oneshot::channel();
        customer
            .commands
            .send(CustomerCommand::Send(frame, answered))
            .await
            .map_err(|_| anyhow!("the customer's socket closed"))?;
        tokio::time::timeout(ANSWER_TIMEOUT, answer)
            .await
            .map_err(|_| anyhow!("no answer on the storefront socket"))?
            .map_err(|_| anyhow!("the customer's socket closed"))
    }

    async fn say(&mut self, key: &str, text: &str) -> anyhow::Result<()> {
        let id = {
            let customer = self
                .customers
                .get_mut(key)
                .ok_or_else(|| anyhow!("customer {key} is not in the store"))?;
            customer.frames_sent += 1;
            format!("m{}", customer.frames_sent)
        };
        let answer = self
            .send(
                key,
                json!({"id": id, "content": {"type": "text", "text": text}}),
            )
            .await?;
        if answer["type"] != "ack" {
            return Err(anyhow!("the storefront refused a message: {answer}"));
        }
        Ok(())
    }

    /// The customer's cart changes: the widget reports the cart token once, then the
    /// store sends `carts/update`.
    async fn cart(&mut self, key: &str, lines: &[(usize, i64)]) -> anyhow::Result<()> {
        let has_cart = self
            .customers
            .get(key)
            .ok_or_else(|| anyhow!("customer {key} is not in the store"))?
            .cart
            .is_some();
        if !has_cart {
            let id = format!("{:016x}", self.rng.next());
            let token = format!("c1-{id}");
            // The widget reads the token from the store's /cart.js, with its key suffix.
            let reported = format!("{token}?key={:08x}", self.rng.next() & 0xffff_ffff);
            let answer = self
                .send(key, json!({"type": "cart", "cart_token": reported}))
                .await?;
            if answer["type"] != "cart_ack" {
                return Err(anyhow!("the storefront refused the cart token: {answer}"));
            }
            if let Some(customer) = self.customers.get_mut(key) {
                customer.cart = Some((id, token));
            }
        }
        let (id, token) = self
            .customers
            .get(key)
            .and_then(|c| c.cart.clone())
            .unwrap_or_default();
        let line_items: Vec<Value> = lines
            .iter()
            .filter_map(|&(product, quantity)| {
                let (id, title, price, _) = SHOPIFY_PRODUCTS.get(product)?;
                Some(
                    json!({"id": format!("{}{}", id, 1), "variant_id": id * 10 + 1,
                    "product_id": id, "title": title, "quantity": quantity, "price": price}),
                )
            })
            .collect();
        let cents: i64 = lines
            .iter()
            .filter_map(|&(product, quantity)| {
                let (_, _, price, _) = SHOPIFY_PRODUCTS.get(product)?;
                Some(price.replace('.', "").parse::<i64>().ok()? * quantity)
            })
            .sum();
        if let Some(customer) = self.customers.get_mut(key) {
            customer.cart_total = format!("{}.{:02}", cents / 100, cents % 100);
        }
        let body = json!({"id": id, "token": token, "currency": "EUR",
            "updated_at": chrono::Utc::now().to_rfc3339(), "line_items": line_items});
        self.shopify_webhook(shopmux_adapter_shopify::wire::topic::CARTS_UPDATE, &body)
            .await
    }

    /// The customer places an order: the store's customer and order notices.
    async fn order(&mut self, key: &str) -> anyhow::Result<()> {
        let (customer_id, email, name, total) = {
            let customer = self
                .customers
                .get(key)
                .ok_or_else(|| anyhow!("customer {key} is not in the store"))?;
            (
                customer.id,
                customer.email.clone(),
                customer.name.clone(),
                customer.cart_total.clone(),
            )
        };
        self.shopify_orders += 1;
        let number = 1000 + self.shopify_orders;
        let now = chrono::Utc::now();
        let (first_name, last_name) = name.split_once(' ').unwrap_or((name.as_str(), ""));
        self.shopify_webhook(
            shopmux_adapter_shopify::wire::topic::CUSTOMERS_UPDATE,
            &json!({"id": customer_id, "email": email, "first_name": first_name,
                "last_name": last_name, "created_at": (now - chrono::Duration::days(200)).to_rfc3339(),
                "orders_count": 2, "total_spent": "98.00", "currency": "EUR"}),
        )
        .await?;
        self.shopify_webhook(
            shopmux_adapter_shopify::wire::topic::ORDERS_CREATE,
            &json!({"id": 5_500_000_000u64 + number, "name": format!("#{number}"),
                "email": email, "created_at": now.to_rfc3339(), "total_price": total,
                "currency": "EUR", "financial_status": "paid", "customer": {"id": customer_id}}),
        )
        .await
    }

    /// Posts a Shopify webhook, signed with the app's client secret, as Shopify does.
    async fn shopify_webhook(&self, topic: &str, body: &Value) -> anyhow::Result<()> {
        use shopmux_adapter_shopify::wire::header;
        let raw = body.to_string();
        let hmac =
            shopmux_adapter_shopify::sign::webhook_hmac(&self.shopify_secret, raw.as_bytes());
        let shop = &self.shops[4];
        let response = self
            .api
            .client
            .post(format!("{}/webhooks/shopify/{}", self.base, shop.id))
            .header(header::HMAC, hmac)
            .header(header::TOPIC, topic)
            .header(header::SHOP_DOMAIN, &shop.external_id)
            .header(
                header::API_VERSION,
                shopmux_adapter_shopify::adapter::API_VERSION,
            )
            .header(header::WEBHOOK_ID, uuid::Uuid::now_v7().to_string())
            .header(header::TRIGGERED_AT, chrono::Utc::now().to_rfc3339())
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await?;
        expect_ok(topic, response.status().as_u16())
    }

    /// The customers still in the store leave (before the stories start again).
    async fn everyone_leaves(&mut self) {
        for (_, customer) in self.customers.drain() {
            let _ = customer.commands.send(CustomerCommand::Leave).await;
        }
    }
}

fn expect_ok(what: &str, status: u16) -> anyhow::Result<()> {
    if status == 200 {
        Ok(())
    } else {
        Err(anyhow!("{what}: the daemon answered {status}"))
    }
}

/// An id as JSON the way the platforms send it: a number when all digits.
fn number_or_text(id: &str) -> Value {
    match id.parse::<u64>() {
        Ok(n) => Value::from(n),
        Err(_) => Value::from(id),
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// One customer's chat socket: sends what the driver asks, hands back the answers (acks
/// and errors come in order), records replies, answers pings; closes on `Leave` or when
/// the driver goes.
async fn customer_socket(
    socket: Socket,
    mut commands: mpsc::Receiver<CustomerCommand>,
    name: String,
    buyer: String,
    replies: Arc<Mutex<Vec<StorefrontReply>>>,
) {
    let (mut tx, mut rx) = socket.split();
    let mut waiting: VecDeque<oneshot::Sender<Value>> = VecDeque::new();
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                Some(CustomerCommand::Send(frame, answered)) => {
                    if tx.send(WsFrame::Text(frame.to_string().into())).await.is_err() {
                        break;
                    }
                    waiting.push_back(answered);
                }
                Some(CustomerCommand::Leave) | None => {
                    let _ = tx.send(WsFrame::Close(None)).await;
                    break;
                }
            },
            incoming = rx.next() => match incoming {
                Some(Ok(WsFrame::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).unwrap_or_default();
                    if frame["type"] == "reply" {
                        replies
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(StorefrontReply {
                                customer: name.clone(),
                                buyer_external_id: buyer.clone(),
                                content: frame["content"].clone(),
                            });
                    } else if let Some(answered) = waiting.pop_front() {
                        let _ = answered.send(frame);
                    }
                }
                Some(Ok(WsFrame::Ping(data))) => {
                    if tx.send(WsFrame::Pong(data)).await.is_err() {
                        break;
                    }
                }
                Some(Ok(WsFrame::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_marketplace_acts_in_the_first_round_and_stories_start_again_with_new_buyers() {
        for lane in LANES {
            let first = lane_steps(lane, 0, 1_700_000_000);
            let second = lane_steps(lane, 1, 1_700_000_000);
            assert!(!first.is_empty(), "{lane:?}");
            assert_eq!(first.len(), second.len(), "{lane:?}");
            let buyer = |steps: &VecDeque<Step>| match steps.front() {
                Some(Step::TikTok { buyer, .. }) => buyer.user_id.clone(),
                Some(Step::AliExpress { buyer, .. }) => buyer.login_id.clone(),
                Some(Step::DouyinOrder(order)) => order.doudian_open_id.clone(),
                Some(Step::ShopifyJoin { key, .. }) => key.clone(),
                other => panic!(
                    "{lane:?} starts with something a buyer does not start with: {}",
                    other.is_some()
                ),
            };
            assert_ne!(buyer(&first), buyer(&second), "{lane:?}");
        }
    }

    #[test]
    fn interleaving_keeps_each_story_in_order() {
        let story = |tag: &str, n: usize| -> Vec<Step> {
            (0..n)
                .map(|i| Step::DouyinShipped(format!("{tag}{i}")))
                .collect()
        };
        let played: Vec<String> = interleave(vec![story("a", 3), story("b", 1), story("c", 2)])
            .into_iter()
            .map(|s| match s {
                Step::DouyinShipped(id) => id,
                _ => String::new(),
            })
            .collect();
        assert_eq!(played, ["a0", "b0", "a1", "a2", "c0", "c1"]);
    }

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

    #[test]
    fn emails_are_ascii() {
        assert_eq!(ascii_slug("Ana García"), "ana.garcia");
        assert_eq!(ascii_slug("Sofía López"), "sofia.lopez");
    }

    #[test]
    fn an_unspecified_listen_address_is_reached_on_loopback() {
        let addr: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(base_url(addr), "http://127.0.0.1:8080");
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(base_url(addr), "http://127.0.0.1:9");
    }
}
