//! The storefront chat, shopmux's own chat for the shops of platforms whose adapters
//! declare one (Shopify Inbox has no public API, so shopmux brings its own chat, as
//! Shopify apps do): which customers are in the store now (a live chat socket), and the
//! channel that answers them — over their socket while they are there, by email to the
//! address they gave once they have left (SH-ONLINE-1), so a reply always goes back
//! through the customer's channel (SH-CH-1).
//!
//! Several daemons on one database: each records the sockets it holds through the
//! inbox, so a customer connected to any live daemon is in the store, and a reply
//! delivered here for a customer whose socket is on another daemon is handed to that
//! daemon (through the live-event log), which writes it to the socket.

use crate::mailer::Mailer;
use crate::storefront_config::StorefrontConfig;
use crate::storefront_limits::StorefrontLimits;
use async_trait::async_trait;
use shopmux_contract::adapter::{AdapterError, SendReceipt};
use shopmux_contract::content::MessageContent;
use shopmux_core::Clock;
use shopmux_core::Inbox;
use shopmux_core::domain::ids::ShopId;
use shopmux_core::registry::{Delivery, StorefrontChat};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use tokio::sync::mpsc;

/// A live customer socket: its id and where its frames go.
type Socket = (u64, mpsc::UnboundedSender<String>);

/// The customers in the store now, the mailer for those who left, how the chat may be
/// reached (`[storefront]`) and its rate limits.
#[derive(Debug)]
pub struct Storefront {
    sockets: Mutex<HashMap<(ShopId, String), Vec<Socket>>>,
    next_id: std::sync::atomic::AtomicU64,
    mailer: Option<Mailer>,
    /// How the chat may be reached.
    pub config: StorefrontConfig,
    /// Its rate limits.
    pub limits: StorefrontLimits,
    /// The engine, for the sockets of other daemons (set once it runs).
    inbox: OnceLock<Weak<Inbox>>,
}

/// A customer's socket as [`Storefront::join`] opened it.
#[derive(Debug)]
pub struct Joined {
    /// Its id here.
    id: u64,
    /// Its record for the other daemons (none with one daemon).
    record: Option<String>,
    /// The frames to write to it.
    pub frames: mpsc::UnboundedReceiver<String>,
}

/// How a reply to a storefront customer would travel now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyRoute {
    /// Over the chat: the customer is in the store.
    Chat,
    /// By email: the customer left and gave an address.
    Email,
    /// Nowhere for now: the customer left without a confirmed email address (or email
    /// is off).
    Unreachable,
}

impl Storefront {
    /// A storefront that mails through `mailer` (none: no email fallback), reached as
    /// `config` says, its limits timed by `clock`.
    pub fn new(mailer: Option<Mailer>, config: StorefrontConfig, clock: Arc<dyn Clock>) -> Self {
        Self {
            sockets: Mutex::default(),
            next_id: std::sync::atomic::AtomicU64::new(0),
            mailer,
            config,
            limits: StorefrontLimits::new(clock),
            inbox: OnceLock::new(),
        }
    }

    /// Attaches the running engine: the customer sockets of other daemons count, and
    /// the frames they hand over for this daemon's sockets are written to them.
    pub fn attach(self: &Arc<Self>, inbox: &Arc<Inbox>) {
        let _ = self.inbox.set(Arc::downgrade(inbox));
        let mut handed = inbox.events().subscribe_storefront();
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                let (shop, buyer, frame) = match handed.recv().await {
                    Ok(f) => f,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(_) => return,
                };
                let Some(me) = me.upgrade() else { return };
                me.push(shop, &buyer, &frame);
            }
        });
    }

    fn engine(&self) -> Option<Arc<Inbox>> {
        self.inbox.get().and_then(Weak::upgrade)
    }

    /// Opens a customer's socket: registered here, and recorded for the other daemons.
    pub async fn join(&self, shop: ShopId, buyer: &str) -> Joined {
        let (id, frames) = self.connect(shop, buyer);
        let record = match self.engine() {
            Some(inbox) => inbox.storefront_socket_opened(shop, buyer).await.unwrap_or_else(|error| {
                tracing::warn!(message = "Could not record a storefront socket for the other daemons.", %error);
                None
            }),
            None => None,
        };
        Joined { id, record, frames }
    }

    /// Closes a socket opened by [`Storefront::join`].
    pub async fn leave(&self, shop: ShopId, buyer: &str, joined: &Joined) {
        self.disconnect(shop, buyer, joined.id);
        if let (Some(record), Some(inbox)) = (&joined.record, self.engine())
            && let Err(error) = inbox.storefront_socket_closed(record).await
        {
            tracing::warn!(message = "Could not drop a storefront socket's record.", %error);
        }
    }

    /// The other daemons holding a socket of the customer.
    async fn elsewhere(&self, shop: ShopId, buyer: &str) -> Vec<String> {
        let Some(inbox) = self.engine() else { return Vec::new() };
        inbox.storefront_elsewhere(shop, buyer).await.unwrap_or_else(|error| {
            tracing::warn!(message = "Could not read the other daemons' storefront sockets.", %error);
            Vec::new()
        })
    }

    /// Whether the customer is in the store: a live socket here or on another daemon.
    pub async fn in_store(&self, shop: ShopId, buyer: &str) -> bool {
        self.online(shop, buyer) || !self.elsewhere(shop, buyer).await.is_empty()
    }

    /// Mails a visitor the code confirming their address; false when email is off.
    pub async fn mail_code(&self, to: &str, code: &str) -> Result<bool, AdapterError> {
        let Some(mailer) = &self.mailer else { return Ok(false) };
        let text = format!(
            "Your confirmation code is {code}. It is valid for {} minutes. If you did not ask \
             for it, ignore this message.",
            shopmux_core::services::storefront_email::CODE_LIFETIME_MINUTES
        );
        mailer.send(to, "Confirm your email address", &text).await?;
        Ok(true)
    }

    /// Whether replies can be mailed at all (`[smtp]` is configured).
    pub fn mails(&self) -> bool {
        self.mailer.is_some()
    }

    /// Registers a customer's socket; returns its id and the frames to write to it.
    fn connect(&self, shop: ShopId, buyer: &str) -> (u64, mpsc::UnboundedReceiver<String>) {
        let id = self.next_id.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, rx) = mpsc::unbounded_channel();
        self.sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry((shop, buyer.to_owned()))
            .or_default()
            .push((id, tx));
        (id, rx)
    }

    /// Forgets a socket (the customer closed the page or left).
    fn disconnect(&self, shop: ShopId, buyer: &str, id: u64) {
        let mut sockets = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(list) = sockets.get_mut(&(shop, buyer.to_owned())) {
            list.retain(|(i, _)| *i != id);
            if list.is_empty() {
                sockets.remove(&(shop, buyer.to_owned()));
            }
        }
    }

    /// Whether the customer has a live chat socket on this daemon.
    pub fn online(&self, shop: ShopId, buyer: &str) -> bool {
        self.sockets
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(shop, buyer.to_owned()))
            .is_some_and(|l| !l.is_empty())
    }

    /// How a reply would reach the customer now (shown to the agent before sending).
    pub async fn route(&self, shop: ShopId, buyer: &str, email: Option<&str>) -> ReplyRoute {
        if self.in_store(shop, buyer).await {
            ReplyRoute::Chat
        } else if email.is_some() && self.mailer.is_some() {
            ReplyRoute::Email
        } else {
            ReplyRoute::Unreachable
        }
    }

    /// Writes a frame to every socket of the customer; false when none took it.
    fn push(&self, shop: ShopId, buyer: &str, frame: &str) -> bool {
        let sockets = self.sockets.lock().unwrap_or_else(|e| e.into_inner());
        sockets
            .get(&(shop, buyer.to_owned()))
            .map(|list| list.iter().filter(|(_, tx)| tx.send(frame.to_owned()).is_ok()).count())
            .unwrap_or(0)
            > 0
    }
}

/// The text a reply carries, for an email.
fn email_text(content: &MessageContent) -> String {
    match content {
        MessageContent::Text { text }
        | MessageContent::AutoReply { text, .. }
        | MessageContent::SystemNotice { text } => text.clone(),
        MessageContent::ProductCard { title, url, .. } => {
            format!("{title} {}", url.as_deref().unwrap_or_default()).trim().to_owned()
        }
        MessageContent::Image { url } | MessageContent::Video { url } => url.clone(),
        MessageContent::CouponCard { code, .. } => format!("Discount code: {code}"),
        MessageContent::Emoji { code } => code.clone(),
        other => format!("[{}]", other.kind().as_str()),
    }
}

/// The storefront as the registry's chat for the platforms whose chat it is.
#[derive(Debug)]
pub struct StorefrontChannel(pub Arc<Storefront>);

#[async_trait]
impl StorefrontChat for StorefrontChannel {
    async fn deliver(&self, delivery: &Delivery) -> Result<SendReceipt, AdapterError> {
        let store = &self.0;
        let buyer = &delivery.message.buyer_external_id;
        // rule: SH-CH-1 (the reply goes back through the customer's channel)
        let frame = serde_json::json!({
            "type": "reply",
            "id": delivery.message.idempotency_key,
            "content": delivery.message.content,
        })
        .to_string();
        if store.push(delivery.shop_id, buyer, &frame) {
            return Ok(SendReceipt::sent(format!("chat:{}", delivery.message.idempotency_key)));
        }
        // The customer's socket is on another daemon: hand the frame to it.
        if let Some(inbox) = store.engine() {
            for instance in store.elsewhere(delivery.shop_id, buyer).await {
                if inbox.storefront_hand_over(&instance, delivery.shop_id, buyer, &frame) {
                    let key = &delivery.message.idempotency_key;
                    return Ok(SendReceipt::sent(format!("chat:{key}")));
                }
            }
        }
        // rule: SH-ONLINE-1 (the customer left: email to the address they gave — only
        // once confirmed: an unconfirmed address never reaches the buyer's record)
        let Some(email) = delivery.message.buyer_email.as_deref() else {
            return Err(AdapterError::permanent(
                "customer_unreachable",
                "the customer left the store without a confirmed email address",
            ));
        };
        let Some(mailer) = &store.mailer else {
            return Err(AdapterError::permanent(
                "email_off",
                "the customer left the store and email is not configured ([smtp])",
            ));
        };
        mailer
            .send(email, "A reply to your message", &email_text(&delivery.message.content))
            .await?;
        Ok(SendReceipt::sent(format!("email:{}", delivery.message.idempotency_key)))
    }
}
