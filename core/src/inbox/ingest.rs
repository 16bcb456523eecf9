//! Inbound messages: idempotent, group-committed ingestion.
//!
//! Every accepted inbound message goes through one writer task that takes whatever is
//! queued (up to a batch size) and writes the whole group in one transaction with one
//! multi-row statement per table, then answers each sender after the commit. That is
//! what `perf-notes.md` measured as the way to the SQLite ceiling (a statement costs
//! ~63 µs through sqlx, so per-row statements cap near 10k rows/s).
//!
//! **Invariant:** a platform message is stored once per shop. The unique index on
//! `messages (shop_id, platform_message_id)` enforces it; the insert is
//! `ON CONFLICT DO NOTHING RETURNING id`, and only messages actually inserted change
//! conversation state, so a duplicate (even a concurrent one, even from another
//! process) never counts twice.

use super::Inbox;
use super::shops::IngestShop;
use crate::clock::{Clock, to_millis};
use crate::content::MessageContent;
use crate::error::{CoreError, CoreResult};
use crate::events::{EventBus, InboxEvent};
use crate::ids::*;
use crate::model::*;
use crate::search_terms;
use crate::store::{
    Backend, CONVERSATION_COLUMNS, Columns, Deferred, MESSAGE_COLUMNS, SqliteWriter, Store, Tx,
    Val, conversation_from_row, id_col, list_placeholders, values_placeholders,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use utoipa::ToSchema;

/// The buyer of an inbound message, as the platform knows them.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundBuyer {
    /// The platform's buyer id.
    pub external_id: String,
    /// Nickname; kept from earlier messages when absent.
    #[serde(default)]
    pub nickname: Option<String>,
    /// Language tag (`en`, `es`, `zh-CN`).
    #[serde(default)]
    pub language: Option<String>,
    /// Email, when the buyer gave one.
    #[serde(default)]
    pub email: Option<String>,
    /// The platform's conversation with this buyer, where replies are sent (set by
    /// marketplace adapters).
    #[serde(default)]
    pub platform_conversation_id: Option<String>,
}

/// An order an inbound message refers to.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundOrder {
    /// The platform's order id.
    pub external_id: String,
    /// When the order was created (defaults to now for an order first seen).
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// The platform's order status.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether a return/refund is in progress.
    #[serde(default)]
    pub reverse_in_progress: Option<bool>,
}

/// A normalized inbound message, whatever platform it came from.
#[derive(Clone, Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundMessage {
    /// Who wrote it.
    pub buyer: InboundBuyer,
    /// The platform's message id: the idempotency key within the shop.
    pub platform_message_id: String,
    /// The content.
    pub content: MessageContent,
    /// When the platform says it was sent (defaults to now; never later than now).
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    /// An order the message refers to.
    #[serde(default)]
    pub order: Option<InboundOrder>,
    /// Where the buyer started the chat (ALL-SRC-1).
    #[serde(default)]
    pub entry_point: Option<EntryPoint>,
}

impl InboundMessage {
    /// The message an adapter's event carries, if it is one (webhooks and pollers share
    /// this). Content the core cannot read is an `Invalid` error naming `content`.
    pub fn from_event(
        event: shopmux_contract::adapter::InboundEvent,
    ) -> CoreResult<Option<InboundMessage>> {
        let shopmux_contract::adapter::InboundEvent::Message {
            buyer,
            platform_message_id,
            platform_conversation_id,
            content,
            sent_at_ms,
        } = event
        else {
            return Ok(None);
        };
        let content = serde_json::from_value(content)
            .map_err(|e| CoreError::invalid("content", e.to_string()))?;
        Ok(Some(InboundMessage {
            buyer: InboundBuyer {
                external_id: buyer.external_id,
                nickname: buyer.nickname,
                language: None,
                email: None,
                platform_conversation_id,
            },
            platform_message_id,
            content,
            sent_at: sent_at_ms.and_then(DateTime::from_timestamp_millis),
            order: None,
            entry_point: None,
        }))
    }

    /// Checks the fields no database constraint checks.
    pub fn validate(&self) -> CoreResult<()> {
        let bounded = |field: &str, v: &str, max: usize| {
            if v.trim().is_empty() || v.len() > max {
                Err(CoreError::invalid(
                    field,
                    format!("must be 1 to {max} bytes"),
                ))
            } else {
                Ok(())
            }
        };
        bounded("buyer.external_id", &self.buyer.external_id, 256)?;
        bounded("platform_message_id", &self.platform_message_id, 256)?;
        if let Some(n) = &self.buyer.nickname {
            bounded("buyer.nickname", n, 256)?;
        }
        if let Some(o) = &self.order {
            bounded("order.external_id", &o.external_id, 256)?;
        }
        self.content.validate()
    }
}

/// What became of an inbound message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct IngestOutcome {
    /// The stored message (the earlier one, for a duplicate).
    pub message_id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Whether this delivery repeated one already stored.
    pub duplicate: bool,
}

pub(crate) enum IngestJob {
    Message(Box<Job>),
    Stop,
}

impl Inbox {
    /// Stores an inbound message (idempotently) and answers after its commit.
    pub async fn ingest(
        &self,
        shop: IngestShop,
        mut msg: InboundMessage,
    ) -> CoreResult<IngestOutcome> {
        msg.validate()?;
        let rules = self.rule_set(shop.platform.as_str());
        crate::rules::check_inbound_kind(&rules, &msg.content).map_err(CoreError::RuleViolation)?;
        crate::rules::normalize_inbound(&rules, &mut msg.content);
        let (reply, answer) = oneshot::channel();
        self.ingest_tx
            .send(IngestJob::Message(Box::new((shop, msg, reply))))
            .await
            .map_err(|_| CoreError::Unavailable("the ingest writer has stopped"))?;
        answer
            .await
            .map_err(|_| CoreError::Unavailable("the ingest writer has stopped"))?
    }
}

/// Where groups are written: on PostgreSQL (or an in-memory SQLite database) the pool's
/// write connection; on a SQLite file, the writer's own connection (see
/// [`SqliteWriter`]), which [`spawn_writer`] runs on a thread of its own.
enum GroupWriter {
    Pool,
    Sqlite(SqliteWriter),
}

impl GroupWriter {
    fn open(store: &Store) -> Self {
        match SqliteWriter::open(store) {
            Ok(Some(w)) => GroupWriter::Sqlite(w),
            Ok(None) => GroupWriter::Pool,
            Err(error) => {
                tracing::warn!(message = "The ingest writer could not open its own SQLite connection; writing through the pool.", %error);
                GroupWriter::Pool
            }
        }
    }

    async fn write(
        &self,
        store: &Store,
        now: DateTime<Utc>,
        items: &[(&IngestShop, &InboundMessage)],
    ) -> CoreResult<GroupResult> {
        match self {
            GroupWriter::Pool => ingest_batch(store, now, items).await,
            GroupWriter::Sqlite(w) => {
                w.write(store, async |tx: &mut Tx<'_>| {
                    ingest_in(store, tx, now, items).await
                })
                .await
            }
        }
    }
}

/// Starts the writer: on a SQLite file on a thread of its own (its statements run in
/// place and would otherwise hold up a runtime worker), elsewhere as a task.
pub(crate) fn spawn_writer(
    store: Store,
    clock: Arc<dyn Clock>,
    events: EventBus,
    router: Arc<super::routing::RouterSignal>,
    rx: mpsc::Receiver<IngestJob>,
    max_batch: usize,
) -> tokio::task::JoinHandle<()> {
    let writer = run_writer(store.clone(), clock, events, router, rx, max_batch);
    if store.sqlite_file().is_some() {
        let runtime = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || runtime.block_on(writer))
    } else {
        tokio::spawn(writer)
    }
}

async fn run_writer(
    store: Store,
    clock: Arc<dyn Clock>,
    events: EventBus,
    router: Arc<super::routing::RouterSignal>,
    mut rx: mpsc::Receiver<IngestJob>,
    max_batch: usize,
) {
    let writer = GroupWriter::open(&store);
    let mut buf = Vec::with_capacity(max_batch);
    loop {
        if rx.recv_many(&mut buf, max_batch).await == 0 {
            break;
        }
        let mut jobs = Vec::with_capacity(buf.len());
        for job in buf.drain(..) {
            match job {
                IngestJob::Message(job) => jobs.push(*job),
                // Stop accepting; what is already queued is still written below.
                IngestJob::Stop => rx.close(),
            }
        }
        if !jobs.is_empty() {
            // New conversations wait unassigned until the router drains their queue.
            let sellers: HashMap<ShopId, SellerId> = jobs
                .iter()
                .map(|(shop, _, _)| (shop.shop_id, shop.seller_id))
                .collect();
            for shop in write_group(&store, &writer, clock.now(), &events, jobs).await {
                if let Some(seller) = sellers.get(&shop) {
                    router.mark(*seller);
                }
            }
        }
    }
}

type Job = (
    IngestShop,
    InboundMessage,
    oneshot::Sender<CoreResult<IngestOutcome>>,
);

/// Writes a group and publishes its events; returns the shops where a conversation is
/// left unassigned (for the router).
async fn write_group(
    store: &Store,
    writer: &GroupWriter,
    now: DateTime<Utc>,
    events: &EventBus,
    jobs: Vec<Job>,
) -> HashSet<ShopId> {
    let mut unassigned = HashSet::new();
    let mut publish = |e: InboxEvent| {
        if let InboxEvent::ConversationUpdated { conversation } = &e
            && conversation.state == ConversationState::Unassigned
        {
            unassigned.insert(conversation.shop_id);
        }
        events.publish(e);
    };
    let items: Vec<(&IngestShop, &InboundMessage)> = jobs.iter().map(|(s, m, _)| (s, m)).collect();
    match writer.write(store, now, &items).await {
        Ok((outcomes, published)) => {
            for ((_, _, reply), outcome) in jobs.into_iter().zip(outcomes) {
                let _ = reply.send(Ok(outcome));
            }
            for e in published {
                publish(e);
            }
        }
        Err(error) if jobs.len() == 1 => {
            tracing::warn!(message = "Inbound message not stored.", %error);
            let (_, _, reply) = jobs.into_iter().next().expect("one job");
            let _ = reply.send(Err(error));
        }
        Err(error) => {
            // One bad item must not fail its neighbours: write each alone.
            tracing::debug!(message = "Group write failed, retrying items one by one.", %error);
            for (shop, msg, reply) in jobs {
                let result = writer.write(store, now, &[(&shop, &msg)]).await;
                match result {
                    Ok((mut outcomes, published)) => {
                        let _ = reply.send(Ok(outcomes.remove(0)));
                        for e in published {
                            publish(e);
                        }
                    }
                    Err(error) => {
                        tracing::warn!(message = "Inbound message not stored.", %error, shop_id = %shop.shop_id);
                        let _ = reply.send(Err(error));
                    }
                }
            }
        }
    }
    unassigned
}

/// Parameters per statement stay well under SQLite's and PostgreSQL's limits.
const ROWS_PER_STATEMENT: usize = 200;

/// What a written group returns: one outcome per item (in order) and the events to
/// publish after the commit.
type GroupResult = (Vec<IngestOutcome>, Vec<InboxEvent>);

/// Writes a group of inbound messages in one transaction of the pool's write connection.
pub(crate) async fn ingest_batch(
    store: &Store,
    now: DateTime<Utc>,
    items: &[(&IngestShop, &InboundMessage)],
) -> CoreResult<GroupResult> {
    let mut w = store.begin_write().await?;
    let result = ingest_in(store, &mut Tx::Sqlx(&mut w.tx), now, items).await?;
    w.commit().await?;
    Ok(result)
}

/// Writes a group of inbound messages in `tx` (which the caller commits).
pub(crate) async fn ingest_in(
    store: &Store,
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    items: &[(&IngestShop, &InboundMessage)],
) -> CoreResult<GroupResult> {
    // 1. Within the group, later copies of a message follow the first.
    let mut first_of: HashMap<(ShopId, &str), usize> = HashMap::new();
    let mut primary: Vec<usize> = Vec::with_capacity(items.len());
    for (i, (shop, msg)) in items.iter().enumerate() {
        primary.push(
            *first_of
                .entry((shop.shop_id, msg.platform_message_id.as_str()))
                .or_insert(i),
        );
    }
    let primaries: Vec<usize> = (0..items.len()).filter(|&i| primary[i] == i).collect();

    // 2. Messages stored before this group are duplicates.
    let keys: Vec<(ShopId, String)> = primaries
        .iter()
        .map(|&i| (items[i].0.shop_id, items[i].1.platform_message_id.clone()))
        .collect();
    let mut known = find_stored(store, tx, &keys).await?;
    let fresh: Vec<usize> = primaries
        .iter()
        .copied()
        .filter(|&i| {
            !known.contains_key(&(items[i].0.shop_id, items[i].1.platform_message_id.clone()))
        })
        .collect();

    let mut published = Vec::new();
    if !fresh.is_empty() {
        let fresh_items: Vec<(&IngestShop, &InboundMessage)> =
            fresh.iter().map(|&i| items[i]).collect();
        let stored = write_fresh(store, tx, now, &fresh_items, &mut published).await?;
        for (k, v) in stored {
            known.insert(k, v);
        }
    }

    let fresh_set: HashSet<usize> = fresh.iter().copied().collect();
    let inserted: HashSet<MessageId> = published
        .iter()
        .filter_map(|e| match e {
            InboxEvent::MessageCreated { message } => Some(message.id),
            _ => None,
        })
        .collect();
    let outcomes = (0..items.len())
        .map(|i| {
            let key = (items[i].0.shop_id, items[i].1.platform_message_id.clone());
            let (message_id, conversation_id) = known
                .get(&key)
                .copied()
                .ok_or(CoreError::Unavailable("lost message"))?;
            let duplicate =
                primary[i] != i || !fresh_set.contains(&i) || !inserted.contains(&message_id);
            Ok(IngestOutcome {
                message_id,
                conversation_id,
                duplicate,
            })
        })
        .collect::<CoreResult<Vec<_>>>()?;
    Ok((outcomes, published))
}

type Stored = HashMap<(ShopId, String), (MessageId, ConversationId)>;

/// The stored (message id, conversation id) of each (shop, platform message id) key.
/// One `shop_id = $1 AND platform_message_id IN (...)` lookup per shop, so the unique
/// index answers it (a row-value `IN (VALUES ...)` would scan).
async fn find_stored(
    store: &Store,
    tx: &mut Tx<'_>,
    keys: &[(ShopId, String)],
) -> CoreResult<Stored> {
    let mut by_shop: HashMap<ShopId, Vec<&str>> = HashMap::new();
    for (shop, pid) in keys {
        by_shop.entry(*shop).or_default().push(pid);
    }
    let mut out = HashMap::new();
    for (shop, pids) in by_shop {
        for chunk in pids.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT platform_message_id, id, conversation_id FROM messages \
                 WHERE shop_id = $1 AND platform_message_id IN ({})",
                list_placeholders(chunk.len(), 2)
            );
            let mut vals = vec![Val::from(shop.to_string())];
            vals.extend(chunk.iter().map(|p| Val::from(*p)));
            for row in tx.fetch_all(store, &sql, vals).await? {
                out.insert(
                    (shop, row.text_col("platform_message_id")?),
                    (id_col(&row, "id")?, id_col(&row, "conversation_id")?),
                );
            }
        }
    }
    Ok(out)
}

/// Writes messages not stored before: buyers, orders, messages, conversations,
/// counters and the search index. Returns the stored ids of every item.
async fn write_fresh(
    store: &Store,
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    items: &[(&IngestShop, &InboundMessage)],
    published: &mut Vec<InboxEvent>,
) -> CoreResult<Stored> {
    // Writes whose results this group does not read go in one call before the commit.
    let mut deferred = Deferred::default();
    let Known {
        buyers,
        mut open,
        with_orders,
        last_message,
    } = load_buyers(store, tx, now, items, &mut deferred).await?;
    defer_orders(now, items, &buyers, &mut deferred);
    let before: HashMap<ConversationId, Conversation> =
        open.values().map(|(_, c)| (c.id, c.clone())).collect();

    // Build the messages, opening a conversation for buyers without one.
    let mut messages = Vec::with_capacity(items.len());
    for (shop, msg) in items {
        let buyer_id = buyers[&(shop.shop_id, msg.buyer.external_id.clone())];
        let at = msg.sent_at.map(|t| t.min(now)).unwrap_or(now);
        // Any message opens a conversation, a card alone too (ALL-EMPTY-1); one after the
        // previous ended or closed opens a new one awaiting assignment (DY-END-4), and it
        // records where the buyer started (ALL-SRC-1).
        let (_, conv) = open.entry(buyer_id).or_insert_with(|| {
            (
                shop.seller_id,
                new_conversation(
                    shop,
                    buyer_id,
                    msg.entry_point.unwrap_or_default(),
                    at,
                    with_orders.contains(&buyer_id),
                ),
            )
        });
        messages.push(Message {
            id: MessageId::new(),
            conversation_id: conv.id,
            shop_id: shop.shop_id,
            direction: Direction::In,
            sender_kind: SenderKind::Buyer,
            sender_agent_id: None,
            content: msg.content.clone(),
            translated_text: None,
            platform_message_id: Some(msg.platform_message_id.clone()),
            created_at: at,
            delivery_status: None,
            delivery_error: None,
        });
    }

    let inserted = insert_messages(store, tx, &messages, &mut deferred).await?;

    // Only inserted messages change conversations.
    let mut touched: Vec<ConversationId> = Vec::new();
    let mut by_conv: HashMap<ConversationId, BuyerId> = HashMap::new();
    for (b, (_, c)) in &open {
        by_conv.insert(c.id, *b);
    }
    for (m, (_, msg)) in messages.iter().zip(items) {
        if !inserted.contains(&m.id) {
            continue;
        }
        let buyer = by_conv[&m.conversation_id];
        let (_, conv) = open.get_mut(&buyer).expect("conversation of the message");
        apply_buyer_message(conv, m, msg.order.is_some());
        if !touched.contains(&conv.id) {
            touched.push(conv.id);
        }
    }
    let auto_replies = auto_replies(
        items,
        &messages,
        &inserted,
        &last_message,
        &by_conv,
        &mut open,
        now,
    );
    if !auto_replies.is_empty() {
        super::actions::defer_outbound(store, tx, &auto_replies, now, &mut deferred).await?;
    }
    let changes: Vec<(SellerId, Option<Conversation>, Conversation)> = touched
        .iter()
        .map(|id| {
            let (seller, after) = open
                .get(&by_conv[id])
                .expect("touched conversation")
                .clone();
            (seller, before.get(id).cloned(), after)
        })
        .collect();
    super::actions::defer_conversation_columns(
        &changes,
        super::actions::INGEST_MUTABLE,
        &mut deferred,
    );
    deferred.run_in(store, tx).await?;

    let mut stored = Stored::new();
    for m in &messages {
        if inserted.contains(&m.id) {
            stored.insert(
                (m.shop_id, m.platform_message_id.clone().unwrap_or_default()),
                (m.id, m.conversation_id),
            );
        }
    }
    // Lost a race with another process: report the message it stored.
    if stored.len() < messages.len() {
        let missing: Vec<(ShopId, String)> = messages
            .iter()
            .filter(|m| !inserted.contains(&m.id))
            .map(|m| (m.shop_id, m.platform_message_id.clone().unwrap_or_default()))
            .collect();
        stored.extend(find_stored(store, tx, &missing).await?);
    }
    for m in messages
        .into_iter()
        .filter(|m| inserted.contains(&m.id))
        .chain(auto_replies)
    {
        published.push(InboxEvent::MessageCreated { message: m });
    }
    for (_, _, after) in changes {
        published.push(InboxEvent::ConversationUpdated {
            conversation: after,
        });
    }
    Ok(stored)
}

/// The automatic replies this group triggers (AE-AUTO-1): one for each buyer whose
/// first new message comes after `quiet` without a message from them, in shops whose
/// automatic reply is on (AE-AUTO-2). They update the conversation's latest message but
/// leave it unread and unreplied (AE-AUTO-3).
fn auto_replies(
    items: &[(&IngestShop, &InboundMessage)],
    messages: &[Message],
    inserted: &HashSet<MessageId>,
    last_message: &HashMap<BuyerId, DateTime<Utc>>,
    by_conv: &HashMap<ConversationId, BuyerId>,
    open: &mut HashMap<BuyerId, (SellerId, Conversation)>,
    now: DateTime<Utc>,
) -> Vec<Message> {
    let mut out = Vec::new();
    let mut seen: HashSet<BuyerId> = HashSet::new();
    for (m, (shop, _)) in messages.iter().zip(items) {
        let buyer = by_conv[&m.conversation_id];
        if !inserted.contains(&m.id) || !seen.insert(buyer) {
            continue;
        }
        let Some(auto) = &shop.auto_reply else {
            continue;
        };
        let quiet = chrono::Duration::seconds(auto.quiet.as_secs() as i64);
        if last_message
            .get(&buyer)
            .is_some_and(|last| m.created_at - *last <= quiet)
        {
            continue;
        }
        let (_, conv) = open.get_mut(&buyer).expect("conversation of the message");
        let reply = Message {
            id: MessageId::new(),
            conversation_id: conv.id,
            shop_id: conv.shop_id,
            direction: Direction::Out,
            sender_kind: SenderKind::Bot,
            sender_agent_id: None,
            content: MessageContent::AutoReply {
                text: auto.text.clone(),
                actions: auto.actions.clone(),
            },
            translated_text: None,
            platform_message_id: None,
            created_at: now.max(m.created_at),
            delivery_status: Some(DeliveryStatus::Pending),
            delivery_error: None,
        };
        // AE-AUTO-3: not a human reply: unread count and waiting time stay.
        conv.last_message_at = conv.last_message_at.max(reply.created_at);
        conv.preview = preview_of(&reply.content);
        out.push(reply);
    }
    out
}

fn new_conversation(
    shop: &IngestShop,
    buyer_id: BuyerId,
    entry_point: EntryPoint,
    at: DateTime<Utc>,
    has_order: bool,
) -> Conversation {
    Conversation {
        id: ConversationId::new(),
        shop_id: shop.shop_id,
        platform: shop.platform.clone(),
        buyer_id,
        entry_point,
        state: ConversationState::Unassigned,
        assignee_id: None,
        flag: None,
        topics: Vec::new(),
        has_order,
        unread_count: 0,
        waiting_since: None,
        created_at: at,
        last_message_at: at,
        last_buyer_message_at: None,
        last_agent_reply_at: None,
        assigned_at: None,
        ended_at: None,
        closed_at: None,
        preview: String::new(),
    }
}

/// The state change a new buyer message makes.
fn apply_buyer_message(conv: &mut Conversation, m: &Message, refers_to_order: bool) {
    conv.unread_count += 1;
    if conv.waiting_since.is_none() {
        conv.waiting_since = Some(m.created_at);
    }
    if m.created_at >= conv.last_message_at || conv.preview.is_empty() {
        conv.last_message_at = m.created_at;
        conv.preview = preview_of(&m.content);
    }
    conv.last_buyer_message_at = Some(
        conv.last_buyer_message_at
            .map_or(m.created_at, |t| t.max(m.created_at)),
    );
    conv.has_order |= refers_to_order;
}

/// The list preview of a message: its summary, at most 140 characters.
pub(crate) fn preview_of(content: &MessageContent) -> String {
    let s = content.summary();
    if s.chars().count() <= 140 {
        s
    } else {
        s.chars().take(139).chain(['…']).collect()
    }
}

/// What the group's buyers already are: their ids, their open conversations, and which
/// of them have an order in their shop.
struct Known {
    buyers: HashMap<(ShopId, String), BuyerId>,
    open: HashMap<BuyerId, (SellerId, Conversation)>,
    with_orders: HashSet<BuyerId>,
    /// Each buyer's latest message to the shop before this group, over all conversations.
    last_message: HashMap<BuyerId, DateTime<Utc>>,
}

/// Reads the group's buyers with their open conversations (one statement per shop on
/// SQLite), inserts the new buyers, and queues profile changes and name parts.
/// An unchanged buyer is not written at all.
async fn load_buyers(
    store: &Store,
    tx: &mut Tx<'_>,
    now: DateTime<Utc>,
    items: &[(&IngestShop, &InboundMessage)],
    deferred: &mut Deferred,
) -> CoreResult<Known> {
    // The last message of a buyer in the group carries its freshest profile.
    let mut latest: HashMap<(ShopId, String), &InboundBuyer> = HashMap::new();
    for (shop, msg) in items {
        latest.insert((shop.shop_id, msg.buyer.external_id.clone()), &msg.buyer);
    }
    let mut by_shop: HashMap<ShopId, Vec<&str>> = HashMap::new();
    for (shop, ext) in latest.keys() {
        by_shop.entry(*shop).or_default().push(ext);
    }
    // On SQLite the open conversation comes in the same statement; PostgreSQL cannot
    // lock the nullable side of an outer join, so it reads them apart, FOR UPDATE.
    let with_conversation = store.backend() == Backend::Sqlite;
    let mut known = Known {
        buyers: HashMap::new(),
        open: HashMap::new(),
        with_orders: HashSet::new(),
        last_message: HashMap::new(),
    };
    let mut stored: HashMap<BuyerId, (String, Option<String>, Option<String>)> = HashMap::new();
    for (shop, exts) in &by_shop {
        for chunk in exts.chunks(ROWS_PER_STATEMENT) {
            let conversation = if with_conversation {
                format!(
                    ", {} FROM buyers b LEFT JOIN conversations c ON c.buyer_id = b.id AND c.list_status = 'open'",
                    *crate::store::CONVERSATION_COLUMNS_C
                )
            } else {
                " FROM buyers b".to_owned()
            };
            let sql = format!(
                "SELECT b.id AS b_id, b.external_id AS b_ext, b.nickname AS b_nick, b.language AS b_lang, \
                 b.email AS b_email, \
                 CAST(CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = b.id) THEN 1 ELSE 0 END AS BIGINT) AS b_orders, \
                 (SELECT MAX(l.last_buyer_message_at) FROM conversations l WHERE l.buyer_id = b.id) AS b_last\
                 {conversation} WHERE b.shop_id = $1 AND b.external_id IN ({})",
                list_placeholders(chunk.len(), 2)
            );
            let mut vals = vec![Val::from(shop.to_string())];
            vals.extend(chunk.iter().map(|e| Val::from(*e)));
            for row in tx.fetch_all(store, &sql, vals).await? {
                let id: BuyerId = id_col(&row, "b_id")?;
                known.buyers.insert((*shop, row.text_col("b_ext")?), id);
                stored.insert(
                    id,
                    (
                        row.text_col("b_nick")?,
                        row.opt_text_col("b_lang")?,
                        row.opt_text_col("b_email")?,
                    ),
                );
                if row.int_col("b_orders")? != 0 {
                    known.with_orders.insert(id);
                }
                if let Some(ms) = row.opt_int_col("b_last")? {
                    known.last_message.insert(id, crate::clock::from_millis(ms));
                }
                if with_conversation && row.opt_text_col("id")?.is_some() {
                    let (seller, c) = conversation_from_row(&row)?;
                    known.open.insert(id, (seller, c));
                }
            }
        }
    }

    // New buyers: inserted now (their ids are needed by every later statement).
    let mut new_rows: Vec<(&(ShopId, String), &&InboundBuyer, BuyerId)> = latest
        .iter()
        .filter(|(key, _)| !known.buyers.contains_key(*key))
        .map(|(key, b)| (key, b, BuyerId::new()))
        .collect();
    new_rows.sort_by(|a, b| a.0.cmp(b.0));
    for chunk in new_rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO buyers (id, shop_id, external_id, nickname, language, email, created_at) VALUES {} \
             ON CONFLICT (shop_id, external_id) DO NOTHING RETURNING id",
            values_placeholders(chunk.len(), 7, 1)
        );
        let mut vals = Vec::with_capacity(chunk.len() * 7);
        for ((shop, ext), b, id) in chunk {
            vals.extend([
                Val::from(id.to_string()),
                shop.to_string().into(),
                ext.clone().into(),
                b.nickname.clone().unwrap_or_else(|| ext.clone()).into(),
                b.language.clone().into(),
                b.email.clone().into(),
                to_millis(now).into(),
            ]);
        }
        let n_inserted = tx.fetch_all(store, &sql, vals).await?.len();
        if n_inserted < chunk.len() {
            // Another process inserted one of them meanwhile (PostgreSQL only: SQLite
            // writers hold the gate). Failing the group makes each item retry alone.
            return Err(CoreError::Conflict(
                "a buyer was created concurrently; retry".into(),
            ));
        }
        for (key, _, id) in chunk {
            known.buyers.insert((*key).clone(), *id);
        }
    }

    // Changed profiles, and name parts for new or renamed buyers (AE-SEARCH-1).
    let mut parts: Vec<(String, BuyerId)> = Vec::new();
    for (key, b) in &latest {
        let id = known.buyers[key];
        let renamed = match (stored.get(&id), &b.nickname) {
            (None, Some(_)) => true,
            (Some((nick, _, _)), Some(new)) => nick != new,
            _ => false,
        };
        if renamed && let Some(nick) = &b.nickname {
            parts.extend(search_terms::name_parts(nick).into_iter().map(|p| (p, id)));
        }
        if let Some(conversation) = &b.platform_conversation_id {
            // Where replies to this buyer go on the platform (a marketplace adapter's).
            deferred.push(
                "UPDATE buyers SET platform_conversation_id = $1 WHERE id = $2".into(),
                vec![conversation.clone().into(), id.to_string().into()],
            );
        }
        let Some((_, lang, email)) = stored.get(&id) else {
            continue;
        };
        let relanguaged = b.language.is_some() && b.language != *lang;
        let remailed = b.email.is_some() && b.email != *email;
        if renamed || relanguaged || remailed {
            deferred.push(
                "UPDATE buyers SET nickname = COALESCE($1, nickname), language = COALESCE($2, language), \
                 email = COALESCE($3, email) WHERE id = $4"
                    .into(),
                vec![b.nickname.clone().into(), b.language.clone().into(), b.email.clone().into(), id.to_string().into()],
            );
        }
    }
    parts.sort();
    parts.dedup();
    for chunk in parts.chunks(ROWS_PER_STATEMENT * 2) {
        let sql = format!(
            "INSERT INTO buyer_name_parts (part, buyer_id) VALUES {} ON CONFLICT DO NOTHING",
            values_placeholders(chunk.len(), 2, 1)
        );
        let vals = chunk
            .iter()
            .flat_map(|(p, id)| [Val::from(p.clone()), id.to_string().into()])
            .collect();
        deferred.push(sql, vals);
    }

    if !with_conversation {
        let mut ids: Vec<BuyerId> = known.buyers.values().copied().collect();
        ids.sort();
        ids.dedup();
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE list_status = 'open' AND buyer_id IN ({}){}",
                list_placeholders(chunk.len(), 1),
                store.for_update()
            );
            let vals = chunk.iter().map(|b| Val::from(b.to_string())).collect();
            for row in tx.fetch_all(store, &sql, vals).await? {
                let (seller, c) = conversation_from_row(&row)?;
                known.open.insert(c.buyer_id, (seller, c));
            }
        }
    }
    Ok(known)
}

/// Queues the recording of the orders the group refers to.
fn defer_orders(
    now: DateTime<Utc>,
    items: &[(&IngestShop, &InboundMessage)],
    buyers: &HashMap<(ShopId, String), BuyerId>,
    deferred: &mut Deferred,
) {
    for (shop, msg) in items {
        let Some(order) = &msg.order else { continue };
        let buyer = buyers[&(shop.shop_id, msg.buyer.external_id.clone())];
        deferred.push(
            "INSERT INTO orders (id, shop_id, buyer_id, external_id, created_at, status, reverse_in_progress) \
             VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (shop_id, external_id) DO NOTHING"
                .into(),
            vec![
                OrderId::new().to_string().into(),
                shop.shop_id.to_string().into(),
                buyer.to_string().into(),
                order.external_id.clone().into(),
                to_millis(order.created_at.map(|t| t.min(now)).unwrap_or(now)).into(),
                order.status.clone().unwrap_or_else(|| "unknown".into()).into(),
                order.reverse_in_progress.unwrap_or(false).into(),
            ],
        );
        if order.status.is_some() || order.reverse_in_progress.is_some() {
            deferred.push(
                "UPDATE orders SET status = COALESCE($1, status), \
                 reverse_in_progress = COALESCE($2, reverse_in_progress) \
                 WHERE shop_id = $3 AND external_id = $4"
                    .into(),
                vec![
                    order.status.clone().into(),
                    order.reverse_in_progress.map(i64::from).into(),
                    shop.shop_id.to_string().into(),
                    order.external_id.clone().into(),
                ],
            );
        }
    }
}

/// Inserts messages, skipping any already stored; returns the ids actually inserted.
/// Also indexes their text for search (FTS5 rows on SQLite, the `tsvector` column on
/// PostgreSQL).
///
/// On SQLite the insert is queued in `deferred` and every message counts as inserted:
/// the caller holds the write gate and has already looked for stored copies, so no
/// other writer can have stored one since (`ON CONFLICT DO NOTHING` stays as a guard).
/// On PostgreSQL, where other processes write too, `RETURNING` says what was inserted.
pub(crate) async fn insert_messages(
    store: &Store,
    tx: &mut Tx<'_>,
    messages: &[Message],
    deferred: &mut Deferred,
) -> CoreResult<HashSet<MessageId>> {
    let pg = store.backend() == Backend::Postgres;
    let n_cols = 12;
    let mut inserted = HashSet::new();
    for chunk in messages.chunks(ROWS_PER_STATEMENT) {
        let mut vals = Vec::with_capacity(chunk.len() * (n_cols + 1));
        let mut rows_sql = Vec::with_capacity(chunk.len());
        let mut i = 1;
        for m in chunk {
            let mut row = list_placeholders(n_cols, i);
            i += n_cols;
            vals.extend(crate::store::message_values(m));
            if pg {
                row.push_str(&format!(",CAST(${i} AS tsvector)"));
                i += 1;
                vals.push(
                    search_terms::tsvector_literal(&search_terms::index_terms(
                        &m.content.summary(),
                    ))
                    .into(),
                );
            }
            rows_sql.push(format!("({row})"));
        }
        let columns = if pg {
            format!("{MESSAGE_COLUMNS}, search_vec")
        } else {
            MESSAGE_COLUMNS.to_owned()
        };
        let sql = format!(
            "INSERT INTO messages ({columns}) VALUES {} ON CONFLICT (shop_id, platform_message_id) DO NOTHING",
            rows_sql.join(",")
        );
        if pg {
            for row in tx
                .fetch_all(store, &format!("{sql} RETURNING id"), vals)
                .await?
            {
                inserted.insert(id_col::<MessageId>(&row, "id")?);
            }
        } else {
            deferred.push(sql, vals);
            inserted.extend(chunk.iter().map(|m| m.id));
        }
    }
    if !pg {
        let indexed: Vec<(String, String)> = messages
            .iter()
            .filter(|m| inserted.contains(&m.id))
            .map(|m| {
                (
                    search_terms::index_terms(&m.content.summary()).join(" "),
                    m.conversation_id.to_string(),
                )
            })
            .filter(|(terms, _)| !terms.is_empty())
            .collect();
        for chunk in indexed.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO message_fts (terms, conversation_id) VALUES {}",
                values_placeholders(chunk.len(), 2, 1)
            );
            let vals = chunk
                .iter()
                .flat_map(|(t, c)| [Val::from(t.clone()), c.clone().into()])
                .collect();
            deferred.push(sql, vals);
        }
    }
    Ok(inserted)
}

impl Inbox {
    /// Records an order a platform reported outside a message (an order notice): the
    /// buyer is created if new, the order inserted or its status updated, and the
    /// buyer's open conversation marked as having an order. Windows that count from
    /// orders (DY-WIN-2, TT-INIT-1, AE-WIN-3) see it at once.
    pub async fn record_order(
        &self,
        shop: &IngestShop,
        order: &shopmux_contract::adapter::OrderInfo,
    ) -> CoreResult<()> {
        let bounded = |field: &str, v: &str| {
            if v.trim().is_empty() || v.len() > 256 {
                Err(CoreError::invalid(field, "must be 1 to 256 bytes"))
            } else {
                Ok(())
            }
        };
        bounded("order.external_id", &order.external_id)?;
        bounded("order.buyer.external_id", &order.buyer.external_id)?;
        let now = self.clock.now();
        let created_at = order
            .created_at_ms
            .and_then(DateTime::from_timestamp_millis)
            .map_or(now, |t| t.min(now));
        let shop_id = shop.shop_id.to_string();
        let mut w = self.store.begin_write().await?;
        let nickname = order
            .buyer
            .nickname
            .clone()
            .unwrap_or_else(|| order.buyer.external_id.clone());
        let inserted = self
            .store
            .query(
                "INSERT INTO buyers (id, shop_id, external_id, nickname, created_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (shop_id, external_id) DO NOTHING RETURNING id",
                vec![
                    BuyerId::new().to_string().into(),
                    shop_id.clone().into(),
                    order.buyer.external_id.clone().into(),
                    nickname.clone().into(),
                    to_millis(now).into(),
                ],
            )
            .fetch_optional(&mut *w.tx)
            .await?;
        let buyer: BuyerId = match inserted {
            Some(row) => {
                let id: BuyerId = crate::store::id_col(&row, "id")?;
                for part in search_terms::name_parts(&nickname) {
                    self.store
                        .query(
                            "INSERT INTO buyer_name_parts (part, buyer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                            vec![part.into(), id.to_string().into()],
                        )
                        .execute(&mut *w.tx)
                        .await?;
                }
                id
            }
            None => {
                let row = self
                    .store
                    .query(
                        "SELECT id FROM buyers WHERE shop_id = $1 AND external_id = $2",
                        vec![
                            shop_id.clone().into(),
                            order.buyer.external_id.clone().into(),
                        ],
                    )
                    .fetch_one(&mut *w.tx)
                    .await?;
                crate::store::id_col(&row, "id")?
            }
        };
        self.store
            .query(
                "INSERT INTO orders (id, shop_id, buyer_id, external_id, created_at, status, reverse_in_progress, name, total) \
                 VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (shop_id, external_id) DO UPDATE SET \
                 status = CASE WHEN excluded.status = 'unknown' THEN orders.status ELSE excluded.status END, \
                 reverse_in_progress = excluded.reverse_in_progress, \
                 name = COALESCE(excluded.name, orders.name), total = COALESCE(excluded.total, orders.total)",
                vec![
                    OrderId::new().to_string().into(),
                    shop_id.clone().into(),
                    buyer.to_string().into(),
                    order.external_id.clone().into(),
                    to_millis(created_at).into(),
                    order.status.clone().unwrap_or_else(|| "unknown".into()).into(),
                    order.reverse_in_progress.unwrap_or(false).into(),
                    order.name.clone().into(),
                    order.total.clone().into(),
                ],
            )
            .execute(&mut *w.tx)
            .await?;
        if let Some(email) = order.buyer.email.as_deref().filter(|e| e.len() <= 254) {
            self.store
                .query(
                    "UPDATE buyers SET email = $1 WHERE id = $2 AND email IS NULL",
                    vec![email.to_lowercase().into(), buyer.to_string().into()],
                )
                .execute(&mut *w.tx)
                .await?;
        }
        let open = self
            .store
            .query(
                &format!(
                    "SELECT {} FROM conversations WHERE buyer_id = $1 AND list_status = 'open' AND has_order = 0{}",
                    crate::store::CONVERSATION_COLUMNS,
                    self.store.for_update()
                ),
                vec![buyer.to_string().into()],
            )
            .fetch_optional(&mut *w.tx)
            .await?;
        let mut changed = None;
        if let Some(row) = open {
            let (seller, before) = crate::store::conversation_from_row(&row)?;
            let mut after = before.clone();
            after.has_order = true;
            super::actions::save_conversations(
                &self.store,
                &mut w.tx,
                &[(seller, Some(before), after.clone())],
            )
            .await?;
            changed = Some(after);
        }
        w.commit().await?;
        if let Some(conversation) = changed {
            self.events
                .publish(InboxEvent::ConversationUpdated { conversation });
        }
        Ok(())
    }
}
