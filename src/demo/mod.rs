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

pub mod connect;
mod driver;
mod faq;
mod quick_replies;
mod script;
mod setup;

use crate::config::Config;
use anyhow::anyhow;
use driver::Driver;
use serde_json::Value;
use setup::{DISCOUNT_CODE, set_up};
use shopmux_contract::Platform;
use shopmux_core::{Clock, Inbox, SystemClock};
use shopmux_simulator::{aliexpress, douyin, shopify, tiktok};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Time between two polls of the marketplaces (AliExpress is only polled).
pub const DEMO_POLL_EVERY: Duration = Duration::from_secs(5);

/// How the demo's buyers behave, and the daemon's clock.
#[derive(Clone)]
pub struct DemoOptions {
    /// The mean time between two buyer actions (default 1.5 s). Each wait is drawn
    /// between two thirds and four thirds of it; the first round, one action per
    /// marketplace, goes four times as fast.
    pub pace: Duration,
    /// Seed of the script's random choices (the pace's jitter, cart tokens): the same
    /// seed plays the same script.
    pub seed: u64,
    /// The daemon's clock (the system's; a test moves a manual one past a rule's
    /// window).
    pub clock: Arc<dyn Clock>,
}

impl Default for DemoOptions {
    fn default() -> DemoOptions {
        DemoOptions { pace: Duration::from_millis(1500), seed: 2026, clock: Arc::new(SystemClock) }
    }
}

impl std::fmt::Debug for DemoOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoOptions").field("pace", &self.pace).field("seed", &self.seed).finish()
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
    /// Its login in the web inbox.
    pub login: String,
    /// Its password.
    pub password: String,
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
    /// The main account's login in the web inbox.
    pub owner_login: String,
    /// The main account's password.
    pub owner_password: String,
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
    /// The store the owner can connect in one click (see [`connect`]).
    pub connect_store: Arc<shopmux_simulator::shopify::SimHandle>,
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

    /// The demo's agent of a nickname (`olivia`, `marta`, `wei`).
    pub fn agent(&self, nickname: &str) -> &DemoAgent {
        self.agents.iter().find(|a| a.nickname == nickname).expect("a demo agent")
    }

    /// Every reply storefront customers received over their chat sockets, in order.
    pub fn storefront_replies(&self) -> Vec<StorefrontReply> {
        self.replies.lock().unwrap_or_else(PoisonError::into_inner).clone()
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
        out.push_str(&format!("  Inbox        {base}/  (sign in as {} / {}; the agents below with the same password)\n", self.owner_login, self.owner_password));
        out.push_str(&format!("  URL          {base}\n"));
        out.push_str(&format!("  owner token  {token}\n"));
        out.push_str(&format!("  live stream  {}\n\n", self.stream_url()));
        out.push_str("Look at the inbox:\n");
        out.push_str(&format!(
            "  curl -H \"authorization: Bearer {token}\" {base}/api/v1/conversations\n"
        ));
        out.push_str(&format!(
            "  curl -H \"authorization: Bearer {token}\" \"{base}/api/v1/conversations?platform={}\"\n",
            shopmux_adapter_aliexpress::PLATFORM
        ));
        out.push_str("Reply (replace CONVERSATION_ID with an id from the list):\n");
        out.push_str(&format!(
            "  curl -X POST -H \"authorization: Bearer {token}\" -H 'content-type: application/json' \\\n    -d '{{\"content\":{{\"type\":\"text\",\"text\":\"Thanks, it ships today!\"}}}}' \\\n    {base}/api/v1/conversations/CONVERSATION_ID/messages\n\n"
        ));
        out.push_str("Shops:\n");
        for shop in &self.shops {
            let note = platform_note(&shop.platform);
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
        out.push_str("Agents (online; sign in to the inbox, or open the stream with the token, to receive assignments):\n");
        for agent in &self.agents {
            out.push_str(&format!(
                "  login {:<8} password {}  token {}  {}\n",
                agent.login,
                agent.password,
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
        (&mut self.server).await.map_err(|e| anyhow!("the daemon task failed: {e}"))?
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
/// [`DEMO_POLL_EVERY`]), the simulators, the seller with its shops and agents, and the
/// buyers.
pub async fn start_demo(config: &Config, options: DemoOptions) -> anyhow::Result<DemoHandle> {
    let mut config = config.clone();
    config.ingest.poll_every = DEMO_POLL_EVERY;
    // The demo's marketplaces are simulators on loopback, over plain http.
    config.outbound.allow_private_networks = true;
    // Translation by the local simulator unless a real provider is configured.
    if config.translation.provider == crate::config::ProviderKind::None {
        config.translation.provider = crate::config::ProviderKind::Simulator;
    }
    // One-click connections: a store to connect, unless an app is configured already.
    let connect_store = Arc::new(connect::start_store().await?);
    let platform = shopmux_adapter_shopify::PLATFORM.to_string();
    config.connect.apps.entry(platform).or_insert_with(|| connect::app(&connect_store));
    let daemon = crate::server::start(&config, options.clock.clone()).await?;
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
                owner_login: setup::OWNER_LOGIN.to_owned(),
                owner_password: setup::DEMO_PASSWORD.to_owned(),
                shops: world.shops,
                agents: world.agents,
                simulators: world.sims,
                inbox,
                discount_code: DISCOUNT_CODE.to_owned(),
                connect_store,
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

/// What the summary says of each platform's shops: how their buyers reach the inbox.
static PLATFORM_NOTES: [(&Platform, &str); 4] = [
    (&shopmux_adapter_tiktok::PLATFORM, "signed webhooks in, signed replies out"),
    (
        &shopmux_adapter_douyin::PLATFORM,
        "order and after-sale pushes; Feige chat has no API, replies fail (no_im_api)",
    ),
    (&shopmux_adapter_aliexpress::PLATFORM, "message centre, polled every 5 s"),
    (&shopmux_adapter_shopify::PLATFORM, "storefront chat, cart/customer/order webhooks"),
];

/// The summary's note on a platform's shops (none for a platform it does not know).
fn platform_note(platform: &str) -> &'static str {
    PLATFORM_NOTES.iter().find(|(known, _)| known.as_str() == platform).map_or("", |(_, note)| note)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unspecified_listen_address_is_reached_on_loopback() {
        let addr: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(base_url(addr), "http://127.0.0.1:8080");
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        assert_eq!(base_url(addr), "http://127.0.0.1:9");
    }

    #[test]
    fn the_summary_notes_how_each_demo_platform_reaches_the_inbox() {
        for platform in ["tiktok", "douyin", "aliexpress", "shopify"] {
            assert!(!platform_note(platform).is_empty(), "{platform}");
        }
        assert_eq!(platform_note("lazada"), "");
    }
}
