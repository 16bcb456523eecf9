//! The demo's buyers: the driver that plays the script's steps at the chosen pace through
//! the doors real traffic uses (signed simulator webhooks, the AliExpress message centre,
//! signed Shopify webhooks), and the storefront customers' chat sockets.

use super::script::{LANES, Lane, Rng, SHOPIFY_PRODUCTS, ShopAct, Step, lane_steps};
use super::setup::{ALIEXPRESS_SHOP, Api, DOUYIN_SHOP, SHOPIFY_SHOP, World, webhook_url};
use super::{DemoOptions, DemoShop, Simulators, StorefrontReply};
use anyhow::{Context, anyhow};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use shopmux_simulator::{aliexpress, douyin, shopify, tiktok};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as WsFrame;

/// How long the demo waits for one answer of the daemon (a storefront frame's ack).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// A storefront customer in the store: their socket's task takes commands.
struct Customer {
    name: String,
    /// Their buyer id in the shop (the session's).
    buyer: String,
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
pub(super) struct Driver {
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
    /// The token of the first agent who chats in the Shopify store.
    shopify_agent: Option<String>,
}

impl Driver {
    pub(super) fn new(
        world: &World, options: &DemoOptions, replies: Arc<Mutex<Vec<StorefrontReply>>>,
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
            lanes: LANES.iter().map(|&lane| (lane, 0, lane_steps(lane, 0, now))).collect(),
            customers: HashMap::new(),
            douyin_orders: HashMap::new(),
            replies,
            shopify_orders: 0,
            shopify_agent: world
                .agents
                .iter()
                .find(|a| a.shops.contains(&world.shops[SHOPIFY_SHOP].name))
                .map(|a| a.token.clone()),
        }
    }

    pub(super) async fn run(mut self) {
        for beat in 0u64.. {
            tokio::time::sleep(self.wait_before(beat)).await;
            let lane = (beat % LANES.len() as u64) as usize;
            let Some(step) = self.next_step(lane).await else {
                continue;
            };
            let kind = self.lanes[lane].0;
            if let Err(error) = self.play(step).await {
                tracing::warn!(message = "A demo buyer's action failed.", lane = ?kind, error = %format!("{error:#}"));
            }
        }
    }

    /// The wait before a beat: none before the first, a quarter of the pace in the first
    /// round, then two thirds to four thirds of the pace.
    fn wait_before(&mut self, beat: u64) -> Duration {
        let pace_ms = u64::try_from(self.pace.as_millis()).unwrap_or(u64::MAX);
        let wait = if beat == 0 {
            0
        } else if beat < LANES.len() as u64 {
            pace_ms / 4
        } else {
            pace_ms.saturating_mul(667 + self.rng.below(667)) / 1000
        };
        Duration::from_millis(wait)
    }

    /// A lane's next step; when its stories are played, they start again with the next
    /// generation of buyers (the storefront's customers leave first).
    async fn next_step(&mut self, lane: usize) -> Option<Step> {
        if let Some(step) = self.lanes[lane].2.pop_front() {
            return Some(step);
        }
        let (kind, generation, _) = self.lanes[lane];
        if matches!(kind, Lane::Shopify) {
            self.everyone_leaves().await;
        }
        let now = chrono::Utc::now().timestamp();
        let mut steps = lane_steps(kind, generation + 1, now);
        let first = steps.pop_front();
        self.lanes[lane] = (kind, generation + 1, steps);
        first
    }

    async fn play(&mut self, step: Step) -> anyhow::Result<()> {
        let now = chrono::Utc::now().timestamp();
        match step {
            Step::TikTok { shop, conversation, buyer, message, order } => {
                self.tiktok_message(shop, &conversation, &buyer, message, order).await
            }
            Step::AliExpress { buyer, message, order } => {
                self.aliexpress_message(&buyer, message, order)
            }
            Step::DouyinOrder(order) => self.douyin_order(order, now).await,
            Step::DouyinShipped(id) => self.douyin_shipped(&id, now).await,
            Step::DouyinAfterSale { order, after_sale_id, kind } => {
                self.douyin_after_sale(&order, &after_sale_id, kind, now).await
            }
            Step::ShopifyJoin { key, name, email, time_zone, first } => {
                self.join(&key, name, email, time_zone).await?;
                self.say(&key, first).await
            }
            Step::ShopifyAct { key, act } => match act {
                ShopAct::Say(text) => self.say(&key, text).await,
                ShopAct::Cart(lines) => self.cart(&key, lines).await,
                ShopAct::Order => self.order(&key).await,
                ShopAct::Answer(text) => self.answer(&key, text).await,
                ShopAct::Rate(score, comment) => self.rate(&key, score, comment).await,
                ShopAct::Leave => {
                    self.leave(&key).await;
                    Ok(())
                }
            },
        }
    }

    /// A TikTok buyer writes (their order added first, for an order card): the simulator
    /// pushes its signed NEW_MESSAGE webhook.
    async fn tiktok_message(
        &self, shop: usize, conversation: &str, buyer: &tiktok::Buyer,
        message: tiktok::BuyerMessage, order: Option<tiktok::Order>,
    ) -> anyhow::Result<()> {
        let shop = &self.shops[shop];
        if let Some(order) = order {
            self.sims.tiktok.add_order(&shop.external_id, order)?;
        }
        // One app, one webhook URL: pointed at the shop being pushed (only this task
        // pushes).
        self.sims.tiktok.set_webhook_url(Some(webhook_url(
            &self.base,
            &shopmux_adapter_tiktok::PLATFORM,
            &shop.id,
        )));
        let delivery = self
            .sims
            .tiktok
            .push_new_message(&shop.external_id, conversation, buyer, message)
            .await?;
        expect_ok("TikTok NEW_MESSAGE webhook", delivery.status())
    }

    /// An AliExpress buyer writes: the message (and its order) waits in the message
    /// centre for the daemon's next poll.
    fn aliexpress_message(
        &self, buyer: &aliexpress::Buyer, message: aliexpress::BuyerMessage,
        order: Option<aliexpress::Order>,
    ) -> anyhow::Result<()> {
        let seller = &self.shops[ALIEXPRESS_SHOP].external_id;
        if let Some(order) = order {
            self.sims.aliexpress.add_order(seller, order)?;
        }
        self.sims.aliexpress.add_buyer_message(seller, buyer, message)?;
        Ok(())
    }

    /// A Douyin buyer orders: the trade-created push.
    async fn douyin_order(&mut self, mut order: douyin::Order, now: i64) -> anyhow::Result<()> {
        let shop = self.shops[DOUYIN_SHOP].external_id.clone();
        order.create_time = now;
        order.update_time = now;
        let id = order.order_id.clone();
        self.sims.douyin.add_order(&shop, order.clone())?;
        self.douyin_orders.insert(id.clone(), order);
        let delivery = self.sims.douyin.push_trade_create(&shop, &id).await?;
        expect_ok("Douyin trade push", delivery.status())
    }

    /// The seller ships a Douyin order: the order changes, then the shipping push.
    async fn douyin_shipped(&mut self, id: &str, now: i64) -> anyhow::Result<()> {
        let shop = self.shops[DOUYIN_SHOP].external_id.clone();
        let order =
            self.douyin_orders.get_mut(id).ok_or_else(|| anyhow!("unknown Douyin order {id}"))?;
        let logistics_code = format!("7359{}", &id[id.len() - 8..]);
        order.order_status = 3;
        order.order_status_desc = "已发货".to_owned();
        order.update_time = now;
        order.tracking_no = Some(logistics_code.clone());
        let order = order.clone();
        self.sims.douyin.add_order(&shop, order.clone())?;
        let s_ids: Vec<Value> =
            order.items.iter().map(|item| number_or_text(&item.order_id)).collect();
        self.douyin_push(
            "Douyin shipping push",
            shopmux_adapter_douyin::wire::push_tag::TRADE_SELLER_SHIP,
            json!({
                "p_id": number_or_text(id),
                "s_ids": s_ids,
                "shop_id": number_or_text(&shop),
                "order_status": 3,
                "order_type": 0,
                "biz": 2,
                "logistics_msg": {"express_company_id": "zhongtong",
                    "logistics_code": logistics_code},
                "update_time": now,
            }),
        )
        .await
    }

    /// A Douyin buyer asks for an after-sale on their order's first item: the
    /// refund-created push.
    async fn douyin_after_sale(
        &self, order: &str, after_sale_id: &str, kind: i64, now: i64,
    ) -> anyhow::Result<()> {
        let shop = &self.shops[DOUYIN_SHOP].external_id;
        let known =
            self.douyin_orders.get(order).ok_or_else(|| anyhow!("unknown Douyin order {order}"))?;
        let (s_id, amount) = known
            .items
            .first()
            .map(|item| (item.order_id.clone(), item.pay_amount))
            .unwrap_or_default();
        self.douyin_push(
            "Douyin after-sale push",
            shopmux_adapter_douyin::wire::push_tag::REFUND_CREATED,
            json!({
                "aftersale_id": number_or_text(after_sale_id),
                "aftersale_type": kind,
                "apply_time": now,
                "p_id": number_or_text(order),
                "s_id": number_or_text(&s_id),
                "shop_id": number_or_text(shop),
                "refund_amount": amount,
                "refund_post_amount": 0,
                "refund_voucher_num": 0,
                "update_time": now,
            }),
        )
        .await
    }

    /// The simulator pushes a signed Douyin message (`tag`, `data`) to the daemon.
    async fn douyin_push(&self, what: &str, tag: &str, data: Value) -> anyhow::Result<()> {
        let delivery = self.sims.douyin.push(douyin::PushEvent::new(tag, data)).await?;
        expect_ok(what, delivery.status())
    }

    /// A customer opens the widget: a session through the store's (simulated) app proxy,
    /// then the chat socket. Customers who give an email are signed in at the store (the
    /// proxy signs their customer id); the others are anonymous visitors.
    async fn join(
        &mut self, key: &str, name: String, email: Option<String>, time_zone: (&'static str, i32),
    ) -> anyhow::Result<()> {
        let shop = self.shops[SHOPIFY_SHOP].id.clone();
        let id = 7_100_000 + self.rng.below(900_000);
        let customer_id = id.to_string();
        let signed_in = email.is_some().then_some(customer_id.as_str());
        let query = self.app_proxy_query(signed_in);
        let response = self
            .api
            .client
            .post(format!("{}/storefront/{shop}/proxy/sessions", self.base))
            .query(&query)
            .json(&json!({"name": name, "email": email, "time_zone": time_zone.0,
                "utc_offset_minutes": time_zone.1}))
            .send()
            .await?;
        let status = response.status();
        let session: Value = response.json().await.unwrap_or_default();
        if !status.is_success() {
            return Err(anyhow!("storefront session: {status}: {session}"));
        }
        let token = session["token"].as_str().unwrap_or_default().to_owned();
        let buyer = session["buyer_external_id"].as_str().unwrap_or_default().to_owned();
        let url = format!(
            "{}/storefront/{shop}/chat?token={token}",
            self.base.replacen("http://", "ws://", 1)
        );
        let (socket, _) =
            tokio_tungstenite::connect_async(url).await.context("storefront chat socket")?;
        let (commands, received) = mpsc::channel(8);
        let replies = self.replies.clone();
        tokio::spawn(customer_socket(socket, received, name.clone(), buyer.clone(), replies));
        self.customers.insert(
            key.to_owned(),
            Customer {
                name,
                buyer: buyer.clone(),
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

    /// The query the store's app proxy adds when forwarding a widget request, signed
    /// with the app's client secret by the simulator's own signer (as Shopify signs it).
    fn app_proxy_query(&self, customer_id: Option<&str>) -> Vec<(String, String)> {
        shopify::proxy::signed_query(
            &self.shopify_secret,
            &shopify::proxy::ProxiedRequest {
                shop: &self.shops[SHOPIFY_SHOP].external_id,
                logged_in_customer_id: customer_id,
                path_prefix: "/apps/shopmux",
                timestamp: chrono::Utc::now().timestamp(),
                extra: &[],
            },
        )
    }

    /// The customer `key`, who must be in the store.
    fn customer(&self, key: &str) -> anyhow::Result<&Customer> {
        self.customers.get(key).ok_or_else(|| anyhow!("customer {key} is not in the store"))
    }

    fn customer_mut(&mut self, key: &str) -> anyhow::Result<&mut Customer> {
        self.customers.get_mut(key).ok_or_else(|| anyhow!("customer {key} is not in the store"))
    }

    /// Sends a frame on a customer's socket; the daemon's answer.
    async fn send(&self, key: &str, frame: Value) -> anyhow::Result<Value> {
        let (answered, answer) = oneshot::channel();
        self.customer(key)?
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
            let customer = self.customer_mut(key)?;
            customer.frames_sent += 1;
            format!("m{}", customer.frames_sent)
        };
        let answer =
            self.send(key, json!({"id": id, "content": {"type": "text", "text": text}})).await?;
        if answer["type"] != "ack" {
            return Err(anyhow!("the storefront refused a message: {answer}"));
        }
        Ok(())
    }

    /// The store's agent answers the customer through the HTTP API.
    async fn answer(&self, key: &str, text: &str) -> anyhow::Result<()> {
        let token = self.shopify_agent.as_deref().ok_or_else(|| anyhow!("no store agent"))?;
        let shop = &self.shops[SHOPIFY_SHOP].id;
        let buyer = &self.customer(key)?.buyer;
        let path = format!("/api/v1/conversations?status=all&shop_id={shop}&buyer={buyer}");
        let found = self.api.call(reqwest::Method::GET, &path, token, None).await?;
        let id = found["items"][0]["id"].as_str().ok_or_else(|| anyhow!("no conversation"))?;
        let body = json!({"content": {"type": "text", "text": text}});
        let path = format!("/api/v1/conversations/{id}/messages");
        self.api.call(reqwest::Method::POST, &path, token, Some(body)).await.map(|_| ())
    }

    /// The customer rates the service from the widget's rating card.
    async fn rate(&mut self, key: &str, score: u8, comment: &str) -> anyhow::Result<()> {
        let id = {
            let customer = self.customer_mut(key)?;
            customer.frames_sent += 1;
            format!("m{}", customer.frames_sent)
        };
        let content = json!({"type": "rating_card", "score": score, "comment": comment});
        let answer = self.send(key, json!({"id": id, "content": content})).await?;
        if answer["type"] != "ack" {
            return Err(anyhow!("the storefront refused a rating: {answer}"));
        }
        Ok(())
    }

    /// The customer's cart changes: the widget reports the cart token once, then the
    /// store sends `carts/update`.
    async fn cart(&mut self, key: &str, lines: &[(usize, i64)]) -> anyhow::Result<()> {
        let (id, token) = match self.customer(key)?.cart.clone() {
            Some(cart) => cart,
            None => self.report_cart(key).await?,
        };
        if let Some(customer) = self.customers.get_mut(key) {
            customer.cart_total = cart_total(lines);
        }
        let body = json!({"id": id, "token": token, "currency": "EUR",
            "updated_at": chrono::Utc::now().to_rfc3339(), "line_items": cart_line_items(lines)});
        self.shopify_webhook(shopmux_adapter_shopify::wire::topic::CARTS_UPDATE, &body).await
    }

    /// The widget reports a new cart's token; the cart's id and token.
    async fn report_cart(&mut self, key: &str) -> anyhow::Result<(String, String)> {
        let id = format!("{:016x}", self.rng.next());
        let token = format!("c1-{id}");
        // The widget reads the token from the store's /cart.js, with its key suffix.
        let reported = format!("{token}?key={:08x}", self.rng.next() & 0xffff_ffff);
        let answer = self.send(key, json!({"type": "cart", "cart_token": reported})).await?;
        if answer["type"] != "cart_ack" {
            return Err(anyhow!("the storefront refused the cart token: {answer}"));
        }
        let cart = (id, token);
        if let Some(customer) = self.customers.get_mut(key) {
            customer.cart = Some(cart.clone());
        }
        Ok(cart)
    }

    /// The customer places an order: the store's customer and order notices.
    async fn order(&mut self, key: &str) -> anyhow::Result<()> {
        let customer = self.customer(key)?;
        let (customer_id, email, name, total) = (
            customer.id,
            customer.email.clone(),
            customer.name.clone(),
            customer.cart_total.clone(),
        );
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
        let shop = &self.shops[SHOPIFY_SHOP];
        let response = self
            .api
            .client
            .post(webhook_url(&self.base, &shopmux_adapter_shopify::PLATFORM, &shop.id))
            .header(header::HMAC, hmac)
            .header(header::TOPIC, topic)
            .header(header::SHOP_DOMAIN, &shop.external_id)
            .header(header::API_VERSION, shopmux_adapter_shopify::adapter::API_VERSION)
            .header(header::WEBHOOK_ID, uuid::Uuid::now_v7().to_string())
            .header(header::TRIGGERED_AT, chrono::Utc::now().to_rfc3339())
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await?;
        expect_ok(topic, response.status().as_u16())
    }

    /// A customer leaves the store: their socket closes.
    async fn leave(&mut self, key: &str) {
        if let Some(customer) = self.customers.remove(key) {
            customer.leave().await;
        }
    }

    /// The customers still in the store leave (before the stories start again).
    async fn everyone_leaves(&mut self) {
        for (_, customer) in self.customers.drain() {
            customer.leave().await;
        }
    }
}

impl Customer {
    /// Closes the customer's socket.
    async fn leave(self) {
        let _ = self.commands.send(CustomerCommand::Leave).await;
    }
}

/// The `carts/update` line items of a cart: (product index in [`SHOPIFY_PRODUCTS`],
/// quantity) each.
fn cart_line_items(lines: &[(usize, i64)]) -> Vec<Value> {
    lines
        .iter()
        .filter_map(|&(product, quantity)| {
            let (id, title, price, _) = SHOPIFY_PRODUCTS.get(product)?;
            Some(json!({"id": format!("{}{}", id, 1), "variant_id": id * 10 + 1,
                "product_id": id, "title": title, "quantity": quantity, "price": price}))
        })
        .collect()
}

/// What a cart costs, as Shopify writes an amount (`49.00`).
fn cart_total(lines: &[(usize, i64)]) -> String {
    let cents: i64 = lines
        .iter()
        .filter_map(|&(product, quantity)| {
            let (_, _, price, _) = SHOPIFY_PRODUCTS.get(product)?;
            Some(price.replace('.', "").parse::<i64>().ok()? * quantity)
        })
        .sum();
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn expect_ok(what: &str, status: u16) -> anyhow::Result<()> {
    if status == 200 { Ok(()) } else { Err(anyhow!("{what}: the daemon answered {status}")) }
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
    socket: Socket, mut commands: mpsc::Receiver<CustomerCommand>, name: String, buyer: String,
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
