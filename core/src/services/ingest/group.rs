//! Writing one ingest group in one transaction: copies within the group follow their
//! first, messages stored before are duplicates, and the fresh ones are written with
//! their buyers, orders, conversations, counters, search terms and the automatic
//! replies they trigger. Written once for both kinds of transaction ([`Tx`]).

use super::auto_reply::auto_replies;
use super::bot::bot_turns;
use crate::clock::wall_millis;
use crate::domain::conversation::{apply_buyer_message, new_conversation, recorded};
use crate::domain::deadlines::{self, DeadlineSpec};
use crate::domain::ids::*;
use crate::domain::inbound::{InboundMessage, IngestOutcome};
use crate::domain::model::*;
use crate::domain::shop_settings::IngestShop;
use crate::domain::topics;
use crate::domain::webhooks::WebhookEvent;
use crate::error::{CoreError, CoreResult};
use crate::events::{InboxEvent, RelayRecord};
use crate::storage::conversations::{self, INGEST_MUTABLE};
use crate::storage::exec::Tx;
use crate::storage::faq;
use crate::storage::ingest_buyers::{self, Item, Known};
use crate::storage::messages::{GivenTerms, Stored, find_stored, insert_messages};
use crate::storage::outbox;
use crate::storage::store::Store;
use crate::storage::webhook_queue;
use crate::storage::write::{Deferred, WriteTx};
use crate::storage::{live_events, write_locks};
use chrono::{DateTime, Utc};
use shopmux_contract::MessageContent;
use std::collections::{HashMap, HashSet};

/// What a written group returns: one outcome per item (in order) and the events to
/// publish after the commit.
pub type GroupResult = (Vec<IngestOutcome>, Vec<InboxEvent>);

/// Writes a group of inbound messages in one transaction of the pool's write connection
/// (see [`write_locked`]).
pub async fn write_in_pool(
    store: &Store, now: DateTime<Utc>, items: &[Item<'_>], log: Option<&str>,
) -> CoreResult<GroupResult> {
    let mut w = store.begin_write().await?;
    let result = write_locked(&mut w, now, items, log).await?;
    w.commit().await?;
    Ok(result)
}

/// Writes a group of inbound messages in `w` (which the caller commits) after taking
/// the group's locks; with `log` (this daemon's id when several daemons share the
/// database), the group's events go to the live-event log in the same transaction.
pub async fn write_locked(
    w: &mut WriteTx<'_>, now: DateTime<Utc>, items: &[Item<'_>], log: Option<&str>,
) -> CoreResult<GroupResult> {
    // Several writers (this daemon's lanes, other daemons): a group shares its sellers'
    // locks with the other groups and holds its buyers' (`write_locks`), so that groups
    // of one seller run at once, a routing pass waits for them, and two groups of one
    // buyer take turns instead of locking its rows in different orders.
    let sellers: Vec<SellerId> = items.iter().map(|(shop, _)| shop.seller_id).collect();
    let buyers: Vec<(ShopId, &str)> =
        items.iter().map(|(shop, msg)| (shop.shop_id, msg.buyer.external_id.as_str())).collect();
    write_locks::lock_ingest_group(w, &sellers, &buyers).await?;
    let store = w.store();
    write_in(store, &mut w.as_tx(), now, items, log).await
}

/// Writes a group of inbound messages in `tx` (which the caller commits); with `log`,
/// their events go to the live-event log too.
pub async fn write_in(
    store: &Store, tx: &mut Tx<'_>, now: DateTime<Utc>, items: &[Item<'_>], log: Option<&str>,
) -> CoreResult<GroupResult> {
    // 1. Within the group, later copies of a message follow the first.
    let mut first_of: HashMap<(ShopId, &str), usize> = HashMap::new();
    let primary: Vec<usize> = items
        .iter()
        .enumerate()
        .map(|(i, (shop, msg))| {
            *first_of.entry((shop.shop_id, msg.platform_message_id.as_str())).or_insert(i)
        })
        .collect();
    // 2. Messages stored before this group are duplicates.
    let key = |i: usize| (items[i].0.shop_id, items[i].1.platform_message_id.clone());
    let keys: Vec<(ShopId, String)> =
        (0..items.len()).filter(|&i| primary[i] == i).map(key).collect();
    let mut known = find_stored(store, tx, &keys).await?;
    let fresh: HashSet<usize> =
        (0..items.len()).filter(|&i| primary[i] == i && !known.contains_key(&key(i))).collect();
    let mut published = Vec::new();
    if !fresh.is_empty() {
        let mut order: Vec<usize> = fresh.iter().copied().collect();
        order.sort_unstable();
        let fresh_items: Vec<Item<'_>> = order.iter().map(|&i| items[i]).collect();
        known.extend(write_fresh(store, tx, now, &fresh_items, &mut published, log).await?);
    }
    let inserted: HashSet<MessageId> = published
        .iter()
        .filter_map(|e| match e {
            InboxEvent::MessageCreated { message } => Some(message.id),
            _ => None,
        })
        .collect();
    let outcomes = (0..items.len())
        .map(|i| {
            let (message_id, conversation_id) =
                known.get(&key(i)).copied().ok_or(CoreError::Unavailable("lost message"))?;
            let duplicate =
                primary[i] != i || !fresh.contains(&i) || !inserted.contains(&message_id);
            Ok(IngestOutcome { message_id, conversation_id, duplicate })
        })
        .collect::<CoreResult<Vec<_>>>()?;
    Ok((outcomes, published))
}

/// The group's open conversations as they are being changed.
struct Open {
    /// By buyer, with the seller.
    by_buyer: HashMap<BuyerId, (SellerId, Conversation)>,
    /// Before this group (absent: opened by it).
    before: HashMap<ConversationId, Conversation>,
}

/// Writes messages not stored before: buyers, orders, messages, conversations,
/// counters and the search index, and with `log` their events to the live-event log.
/// Returns the stored ids of every item.
async fn write_fresh(
    store: &Store, tx: &mut Tx<'_>, now: DateTime<Utc>, items: &[Item<'_>],
    published: &mut Vec<InboxEvent>, log: Option<&str>,
) -> CoreResult<Stored> {
    // Writes whose results this group does not read go in one call before the commit.
    let mut deferred = Deferred::default();
    let mut known = ingest_buyers::load(store, tx, now, items, &mut deferred).await?;
    ingest_buyers::defer_orders(now, items, &known.buyers, &mut deferred);
    let by_buyer = std::mem::take(&mut known.open);
    let (messages, mut open) = build_messages(items, by_buyer, &known, now);
    // The search terms each item's sender worked out (one per item, in order).
    let terms: GivenTerms<'_> = messages
        .iter()
        .zip(items)
        .filter_map(|(m, (_, msg))| Some((m.id, msg.index_terms.as_deref()?)))
        .collect();
    let inserted = insert_messages(store, tx, &messages, &terms, &mut deferred).await?;
    let by_conv: HashMap<ConversationId, BuyerId> =
        open.by_buyer.iter().map(|(b, (_, c))| (c.id, *b)).collect();
    let touched = apply_inserted(items, &messages, &inserted, &by_conv, &mut open);
    let mut replies = auto_replies(
        items,
        &messages,
        &inserted,
        &known.last_message,
        &by_conv,
        &mut open.by_buyer,
        now,
    );
    let bot =
        bot_turns(items, &messages, &inserted, &by_conv, &mut open.by_buyer, &open.before, now);
    replies.extend(bot.messages);
    let recording: HashSet<ShopId> =
        items.iter().filter(|(shop, _)| shop.records_replies).map(|(s, _)| s.shop_id).collect();
    replies.iter_mut().filter(|r| recording.contains(&r.shop_id)).for_each(recorded);
    faq::defer_group(&bot.answers, &bot.questions, &bot.shops, now, &mut deferred);
    for (conv, at, reason) in &bot.handed {
        let (event, extra) = (WebhookEvent::BotHandoff, reason.webhook_extra());
        webhook_queue::defer_conversation_event(store, event, conv, *at, extra, &mut deferred);
    }
    if !replies.is_empty() {
        outbox::defer_queue(store, tx, &replies, now, &mut deferred).await?;
    }
    let specs: HashMap<ShopId, &DeadlineSpec> =
        items.iter().map(|(shop, _)| (shop.shop_id, &*shop.deadlines)).collect();
    let changes: Vec<conversations::Change> = touched
        .iter()
        .map(|id| {
            let (seller, mut after) = open.by_buyer[&by_conv[id]].clone();
            if let Some(spec) = specs.get(&after.shop_id) {
                deadlines::stamp(spec, &mut after, now);
            }
            (seller, open.before.get(id).cloned(), after)
        })
        .collect();
    // Each row sets only the columns its message changed (and their indexes).
    conversations::defer_rows(&changes, INGEST_MUTABLE, &mut deferred);
    // Counters and rollups once for all, in one key order: concurrent transactions on
    // PostgreSQL (another daemon's groups) lock them in it, never in a cycle.
    conversations::defer_effects(store, &changes, &mut deferred);
    let stored = stored_ids(store, tx, &messages, &inserted).await?;
    let created = messages.into_iter().filter(|m| inserted.contains(&m.id));
    for message in created.chain(replies) {
        published.push(InboxEvent::MessageCreated { message });
    }
    for (_, _, conversation) in changes {
        published.push(InboxEvent::ConversationUpdated { conversation });
    }
    published.extend(bot.hand_offs);
    // One record for the group's events (it was two a message): fewer rows to write,
    // and for every daemon's listener to read back. Announced after the commit.
    if let Some(origin) = log
        && let Some(record) = RelayRecord::of_events(published)
    {
        live_events::defer_append(&mut deferred, origin, &[record], wall_millis());
    }
    deferred.run_in(store, tx).await?;
    Ok(stored)
}

/// The group's messages, opening a conversation for buyers without one: any message
/// opens one, a card alone too (ALL-EMPTY-1); one after the previous ended or closed
/// opens a new one awaiting assignment (DY-END-4), recording where the buyer started
/// (ALL-SRC-1).
fn build_messages(
    items: &[Item<'_>], by_buyer: HashMap<BuyerId, (SellerId, Conversation)>, known: &Known,
    now: DateTime<Utc>,
) -> (Vec<Message>, Open) {
    let before = by_buyer.values().map(|(_, c)| (c.id, c.clone())).collect();
    let mut open = Open { by_buyer, before };
    let mut messages = Vec::with_capacity(items.len());
    for (shop, msg) in items {
        let buyer_id = known.buyers[&(shop.shop_id, msg.buyer.external_id.clone())];
        let at = msg.sent_at.map(|t| t.min(now)).unwrap_or(now);
        let (_, conv) = open.by_buyer.entry(buyer_id).or_insert_with(|| {
            let entry = msg.entry_point.unwrap_or_default();
            let has_order = known.with_orders.contains(&buyer_id);
            (shop.seller_id, new_conversation(shop, buyer_id, entry, at, has_order))
        });
        messages.push(buyer_message(shop, msg, conv.id, at));
    }
    (messages, open)
}

fn buyer_message(
    shop: &IngestShop, msg: &InboundMessage, conversation: ConversationId, at: DateTime<Utc>,
) -> Message {
    Message {
        id: MessageId::new(),
        conversation_id: conversation,
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
        analysis: msg.analysis.clone(),
        // Translated later by the worker, off this path (TT-TR-1, AE-TR-2).
        translation: (shop.translate && matches!(msg.content, MessageContent::Text { .. }))
            .then(MessageTranslation::default),
    }
}

/// Applies the inserted messages to their conversations; returns the conversations
/// changed, in order. Only inserted messages change conversations.
fn apply_inserted(
    items: &[Item<'_>], messages: &[Message], inserted: &HashSet<MessageId>,
    by_conv: &HashMap<ConversationId, BuyerId>, open: &mut Open,
) -> Vec<ConversationId> {
    let mut touched: Vec<ConversationId> = Vec::new();
    for (m, (_, msg)) in messages.iter().zip(items) {
        if !inserted.contains(&m.id) {
            continue;
        }
        let (_, conv) = open
            .by_buyer
            .get_mut(&by_conv[&m.conversation_id])
            .expect("conversation of the message");
        apply_buyer_message(conv, m, msg.order.is_some());
        if let Some(topic) = m.analysis.topic {
            // rule: SH-TOPIC-2 (at most two topics, the latest first)
            conv.topics = topics::with_latest(&conv.topics, topic);
        }
        if !touched.contains(&conv.id) {
            touched.push(conv.id);
        }
    }
    touched
}

/// Where every message of the group is stored; a message another process stored first
/// (a lost race) is reported as that one.
async fn stored_ids(
    store: &Store, tx: &mut Tx<'_>, messages: &[Message], inserted: &HashSet<MessageId>,
) -> CoreResult<Stored> {
    let key = |m: &Message| (m.shop_id, m.platform_message_id.clone().unwrap_or_default());
    let mut stored: Stored = messages
        .iter()
        .filter(|m| inserted.contains(&m.id))
        .map(|m| (key(m), (m.id, m.conversation_id)))
        .collect();
    if stored.len() < messages.len() {
        let missing: Vec<(ShopId, String)> =
            messages.iter().filter(|m| !inserted.contains(&m.id)).map(key).collect();
        stored.extend(find_stored(store, tx, &missing).await?);
    }
    Ok(stored)
}
