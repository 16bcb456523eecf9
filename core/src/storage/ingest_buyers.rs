//! The buyers of an ingest group, as the group writer needs them: who they already are
//! (ids, open conversations, whether they have orders, when they last wrote), the new
//! ones inserted, profile changes and search name parts queued, and the orders their
//! messages refer to. Written once for both kinds of transaction ([`Tx`]).

use super::exec::{DbRow, Tx};
use super::messages::ROWS_PER_STATEMENT;
use super::multi_row::{MultiRow, keys_source};
use super::rows::{CONVERSATION_COLUMNS, CONVERSATION_COLUMNS_C, Columns, conversation_from_row};
use super::sql::{Val, list_placeholders};
use super::store::{Backend, Store};
use super::write::Deferred;
use crate::domain::ids::*;
use crate::domain::inbound::{InboundBuyer, InboundMessage, customer_text};
use crate::domain::language::{self, Detection};
use crate::domain::model::Conversation;
use crate::domain::search_terms;
use crate::domain::shop_settings::IngestShop;
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// What the group's buyers already are: their ids, their open conversations, and which
/// of them have an order in their shop.
#[derive(Default)]
pub struct Known {
    /// Every buyer of the group by (shop, external id).
    pub buyers: HashMap<(ShopId, String), BuyerId>,
    /// Their open conversations, with the seller.
    pub open: HashMap<BuyerId, (SellerId, Conversation)>,
    /// Those with an order in their shop.
    pub with_orders: HashSet<BuyerId>,
    /// Each buyer's latest message to the shop before this group, over all conversations.
    pub last_message: HashMap<BuyerId, DateTime<Utc>>,
}

/// A stored buyer's profile: nickname, language, email.
type Profile = (String, Option<String>, Option<String>);

/// One group item: its shop and message.
pub type Item<'a> = (&'a IngestShop, &'a InboundMessage);

/// Reads the group's buyers with their open conversations (one statement per shop on
/// SQLite), inserts the new buyers, and queues profile changes and name parts.
/// An unchanged buyer is not written at all.
pub async fn load(
    store: &Store, tx: &mut Tx<'_>, now: DateTime<Utc>, items: &[Item<'_>], deferred: &mut Deferred,
) -> CoreResult<Known> {
    // The last message of a buyer in the group carries its freshest profile.
    let mut latest: HashMap<(ShopId, String), &InboundBuyer> = HashMap::new();
    for (shop, msg) in items {
        latest.insert((shop.shop_id, msg.buyer.external_id.clone()), &msg.buyer);
    }
    // On SQLite the open conversation comes in the same statement; PostgreSQL cannot
    // lock the nullable side of an outer join, so it reads them apart, FOR UPDATE.
    let with_conversation = store.backend() == Backend::Sqlite;
    let detected = detections(items);
    let mut known = Known::default();
    let stored = read_known(store, tx, &latest, with_conversation, &mut known).await?;
    insert_new(store, tx, now, &latest, &detected, &mut known).await?;
    defer_profile_changes(&latest, &detected, &known, &stored, deferred);
    if !with_conversation {
        // A buyer inserted just now has no conversation yet: only those stored before.
        read_open(store, tx, stored.keys().copied().collect(), &mut known).await?;
    }
    Ok(known)
}

/// The latest detected language of each buyer whose platform gives none.
fn detections(items: &[Item<'_>]) -> HashMap<(ShopId, String), Detection> {
    let mut out = HashMap::new();
    for (shop, msg) in items {
        let (None, Some(language), Some(confidence)) = (
            &msg.buyer.language,
            &msg.analysis.detected_language,
            msg.analysis.language_confidence,
        ) else {
            continue;
        };
        let weight = customer_text(&msg.content).map_or(0, language::letter_weight);
        let detection = Detection { language: language.clone(), confidence, weight };
        out.insert((shop.shop_id, msg.buyer.external_id.clone()), detection);
    }
    out
}

/// A buyer's language after this group: the platform's when it gives one, else the
/// detection's when it settles or switches it (with hysteresis); none: unchanged.
fn language_after(
    given: &InboundBuyer, detected: Option<&Detection>, stored: Option<&str>,
) -> Option<String> {
    given.language.clone().or_else(|| detected.and_then(|d| language::buyer_language(stored, d)))
}

/// Reads the buyers already stored into `known`; returns their stored profiles.
async fn read_known(
    store: &Store, tx: &mut Tx<'_>, latest: &HashMap<(ShopId, String), &InboundBuyer>,
    with_conversation: bool, known: &mut Known,
) -> CoreResult<HashMap<BuyerId, Profile>> {
    let mut by_shop: HashMap<ShopId, Vec<&str>> = HashMap::new();
    for (shop, ext) in latest.keys() {
        by_shop.entry(*shop).or_default().push(ext);
    }
    let mut stored = HashMap::new();
    for (shop, exts) in &by_shop {
        for chunk in exts.chunks(ROWS_PER_STATEMENT) {
            // SQLite reads the open conversation in the same statement; PostgreSQL looks
            // each buyer up alone on the unique index (see `messages::find_stored`: with
            // `IN (...)` its planner scanned the shop's buyers).
            let keys: Vec<Val> = chunk.iter().map(|e| Val::from(*e)).collect();
            let listed = || list_placeholders(keys.len(), 2);
            let (from, keys) = match (store.backend(), with_conversation) {
                (Backend::Sqlite, true) => {
                    let from = format!(
                        ", {} FROM buyers b LEFT JOIN conversations c ON c.buyer_id = b.id AND c.list_status = 'open' \
                         WHERE b.shop_id = $1 AND b.external_id IN ({})",
                        *CONVERSATION_COLUMNS_C,
                        listed()
                    );
                    (from, keys)
                }
                (Backend::Sqlite, false) => {
                    let from = format!(
                        " FROM buyers b WHERE b.shop_id = $1 AND b.external_id IN ({})",
                        listed()
                    );
                    (from, keys)
                }
                (Backend::Postgres, _) => {
                    let (source, array) = keys_source(&keys, 2);
                    let from = format!(
                        " FROM {source}, LATERAL (SELECT * FROM buyers WHERE shop_id = $1 AND external_id = k.key LIMIT 1) b"
                    );
                    (from, vec![array])
                }
            };
            let sql = format!(
                "SELECT b.id AS b_id, b.external_id AS b_ext, b.nickname AS b_nick, b.language AS b_lang, \
                 b.email AS b_email, \
                 CAST(CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.buyer_id = b.id) THEN 1 ELSE 0 END AS BIGINT) AS b_orders, \
                 (SELECT MAX(l.last_buyer_message_at) FROM conversations l WHERE l.buyer_id = b.id) AS b_last{from}"
            );
            let mut vals = vec![Val::from(*shop)];
            vals.extend(keys);
            for row in tx.fetch_all(store, &sql, vals).await? {
                let (id, profile) = read_one(&row, *shop, with_conversation, known)?;
                stored.insert(id, profile);
            }
        }
    }
    Ok(stored)
}

fn read_one(
    row: &DbRow, shop: ShopId, with_conversation: bool, known: &mut Known,
) -> CoreResult<(BuyerId, Profile)> {
    let id: BuyerId = row.col("b_id")?;
    known.buyers.insert((shop, row.text_col("b_ext")?), id);
    if row.int_col("b_orders")? != 0 {
        known.with_orders.insert(id);
    }
    if let Some(ms) = row.opt_int_col("b_last")? {
        known.last_message.insert(id, crate::clock::from_millis(ms));
    }
    if with_conversation && row.opt_text_col("id")?.is_some() {
        known.open.insert(id, conversation_from_row(row)?);
    }
    let profile =
        (row.text_col("b_nick")?, row.opt_text_col("b_lang")?, row.opt_text_col("b_email")?);
    Ok((id, profile))
}

/// Inserts the buyers not stored yet (their ids are needed by every later statement).
async fn insert_new(
    store: &Store, tx: &mut Tx<'_>, now: DateTime<Utc>,
    latest: &HashMap<(ShopId, String), &InboundBuyer>,
    detected: &HashMap<(ShopId, String), Detection>, known: &mut Known,
) -> CoreResult<()> {
    let mut new_rows: Vec<(&(ShopId, String), &&InboundBuyer, BuyerId)> = latest
        .iter()
        .filter(|(key, _)| !known.buyers.contains_key(*key))
        .map(|(key, b)| (key, b, BuyerId::new()))
        .collect();
    new_rows.sort_by(|a, b| a.0.cmp(b.0));
    for chunk in new_rows.chunks(ROWS_PER_STATEMENT) {
        let sql = "INSERT INTO buyers (id, shop_id, external_id, nickname, language, email, created_at) {rows} \
             ON CONFLICT (shop_id, external_id) DO NOTHING RETURNING id";
        let mut vals = Vec::with_capacity(chunk.len() * 7);
        for (key, b, id) in chunk {
            let (shop, ext) = key;
            vals.extend([
                Val::from(*id),
                (*shop).into(),
                ext.clone().into(),
                b.nickname.clone().unwrap_or_else(|| ext.clone()).into(),
                language_after(b, detected.get(*key), None).into(),
                b.email.clone().into(),
                now.into(),
            ]);
        }
        let (sql, vals) = MultiRow::new(sql, 7, vals).build(store.backend());
        let n_inserted = tx.fetch_all(store, &sql, vals).await?.len();
        if n_inserted < chunk.len() {
            // Another process inserted one of them meanwhile (PostgreSQL only: SQLite
            // writers hold the gate). Failing the group makes each item retry alone.
            return Err(CoreError::Conflict("a buyer was created concurrently; retry".into()));
        }
        for (key, _, id) in chunk {
            known.buyers.insert((*key).clone(), *id);
        }
    }
    Ok(())
}

/// Queues changed profiles, where replies go on the platform, and name parts for new or
/// renamed buyers (AE-SEARCH-1).
fn defer_profile_changes(
    latest: &HashMap<(ShopId, String), &InboundBuyer>,
    detected: &HashMap<(ShopId, String), Detection>, known: &Known,
    stored: &HashMap<BuyerId, Profile>, deferred: &mut Deferred,
) {
    let mut parts: Vec<(String, BuyerId)> = Vec::new();
    for (key, b) in latest {
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
                vec![conversation.clone().into(), id.into()],
            );
        }
        let Some((_, lang, email)) = stored.get(&id) else {
            continue;
        };
        let language = language_after(b, detected.get(key), lang.as_deref());
        let relanguaged = language.is_some() && language != *lang;
        let remailed = b.email.is_some() && b.email != *email;
        if renamed || relanguaged || remailed {
            deferred.push(
                "UPDATE buyers SET nickname = COALESCE($1, nickname), language = COALESCE($2, language), \
                 email = COALESCE($3, email) WHERE id = $4"
                    .into(),
                vec![
                    b.nickname.clone().into(),
                    language.into(),
                    b.email.clone().into(),
                    id.into(),
                ],
            );
        }
    }
    defer_name_parts(parts, deferred);
}

/// Queues the search name parts of buyers (AE-SEARCH-1).
pub fn defer_name_parts(mut parts: Vec<(String, BuyerId)>, deferred: &mut Deferred) {
    parts.sort();
    parts.dedup();
    for chunk in parts.chunks(ROWS_PER_STATEMENT * 2) {
        let sql = "INSERT INTO buyer_name_parts (part, buyer_id) {rows} ON CONFLICT DO NOTHING";
        let vals = chunk.iter().flat_map(|(p, id)| [Val::from(p.clone()), (*id).into()]).collect();
        deferred.push_rows(MultiRow::new(sql, 2, vals));
    }
}

/// Reads the open conversations of the buyers `ids`, locked (PostgreSQL).
async fn read_open(
    store: &Store, tx: &mut Tx<'_>, mut ids: Vec<BuyerId>, known: &mut Known,
) -> CoreResult<()> {
    ids.sort();
    ids.dedup();
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        // Each buyer's open conversation alone, on the unique index of open conversations
        // by buyer (see `messages::find_stored`: with `IN (...)` the planner scanned the
        // table), locked in the order of the sorted ids.
        let keys: Vec<Val> = chunk.iter().map(|b| Val::from(*b)).collect();
        let (source, array) = keys_source(&keys, 1);
        let sql = format!(
            "SELECT c.* FROM {source}, LATERAL (SELECT {CONVERSATION_COLUMNS} FROM conversations \
             WHERE list_status = 'open' AND buyer_id = k.key LIMIT 1{}) c",
            store.for_update()
        );
        for row in tx.fetch_all(store, &sql, vec![array]).await? {
            let (seller, c) = conversation_from_row(&row)?;
            known.open.insert(c.buyer_id, (seller, c));
        }
    }
    Ok(())
}

/// Queues the recording of the orders the group's messages refer to.
pub fn defer_orders(
    now: DateTime<Utc>, items: &[Item<'_>], buyers: &HashMap<(ShopId, String), BuyerId>,
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
                OrderId::new().into(),
                shop.shop_id.into(),
                buyer.into(),
                order.external_id.clone().into(),
                order.created_at.map(|t| t.min(now)).unwrap_or(now).into(),
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
                    shop.shop_id.into(),
                    order.external_id.clone().into(),
                ],
            );
        }
    }
}
