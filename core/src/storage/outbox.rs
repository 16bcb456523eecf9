//! The outbox repository: outbound messages stored with their delivery entries in one
//! transaction; due entries claimed in batches, each batch under a lease with a random
//! token of its own (`FOR UPDATE SKIP LOCKED` on PostgreSQL), a conversation's replies
//! in their order; leases renewed by their holder; an attempt's outcome recorded only
//! under its lease token; a failed delivery put back in the queue.

use super::connections::opened;
use super::exec::Tx;
use super::messages::insert_messages;
use super::rows::Columns;
use super::sql::{Val, list_placeholders};
use super::store::{Backend, Store};
use super::write::Deferred;
use super::write::WriteTx;
use crate::domain::ids::*;
use crate::domain::model::{DeliveryStatus, Message, Platform};
use crate::error::CoreResult;
use chrono::{DateTime, Utc};
use shopmux_contract::adapter::{AdapterError, OutboundMessage, ShopConnection};

/// A claimed delivery: what to send where.
#[derive(Clone, Debug)]
pub struct Claimed {
    /// The outbox entry.
    pub outbox_id: OutboxId,
    /// The message.
    pub message_id: MessageId,
    /// This attempt's number (1 for the first).
    pub attempts: i64,
    /// This claim's lease on the entry.
    pub lease: Lease,
    /// The shop's platform.
    pub platform: Platform,
    /// The shop.
    pub shop_id: ShopId,
    /// Its connection (API base and credentials; empty when none is configured).
    pub connection: ShopConnection,
    /// What to send.
    pub message: OutboundMessage,
    /// Why the connection's credentials could not be opened, if they could not: the
    /// attempt fails with it and the platform is not called.
    pub credentials_error: Option<AdapterError>,
    /// When the reply was accepted (its entry queued): the delivery latency's start.
    pub queued_at: DateTime<Utc>,
}

/// A claim's hold on one outbox entry: its random token, and when it runs out (after
/// which another claim may take the entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The token only this claim knows; an outcome is recorded only under it.
    pub token: String,
    /// When the lease runs out.
    pub until: DateTime<Utc>,
}

/// Stores outbound messages and their outbox entries, in the caller's transaction.
pub async fn queue(
    w: &mut WriteTx<'_>, messages: &[Message], now: DateTime<Utc>,
) -> CoreResult<()> {
    let mut deferred = Deferred::default();
    let store = w.store();
    defer_queue(store, &mut w.as_tx(), messages, now, &mut deferred).await?;
    deferred.run(w).await
}

/// Stores outbound messages and their outbox entries, queuing what it can in `deferred`:
/// the entries as multi-row inserts (a group's replies cost one statement, not one each).
/// A message stored delivered (its channel records replies: nothing to send) gets no
/// entry.
pub async fn defer_queue(
    store: &Store, tx: &mut Tx<'_>, messages: &[Message], now: DateTime<Utc>,
    deferred: &mut Deferred,
) -> CoreResult<()> {
    insert_messages(store, tx, messages, &Default::default(), deferred).await?;
    let pending: Vec<&Message> =
        messages.iter().filter(|m| m.delivery_status != Some(DeliveryStatus::Delivered)).collect();
    for chunk in pending.chunks(QUEUE_ROWS) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let p = 1 + i * 4;
                format!("(${},${},${},${},'pending',0,$1,$1,$1)", p + 1, p + 2, p + 3, p + 4)
            })
            .collect();
        let mut vals: Vec<Val> = vec![now.into()];
        for m in chunk {
            vals.extend([
                OutboxId::new().into(),
                m.id.into(),
                m.shop_id.into(),
                m.conversation_id.into(),
            ]);
        }
        deferred.push(
            format!(
                "INSERT INTO outbox (id, message_id, shop_id, conversation_id, status, attempts, \
                 next_attempt_at, created_at, updated_at) VALUES {}",
                rows.join(",")
            ),
            vals,
        );
    }
    Ok(())
}

/// Outbox entries per insert statement (4 values each, well under either backend's
/// limit on bound values).
const QUEUE_ROWS: usize = 500;

/// What makes a pending row claimable besides being due: no earlier reply of its
/// conversation (by creation, then message id: the order the conversation shows) is
/// still pending, so a conversation's replies leave in order even when deliveries run
/// in parallel, on one daemon or several.
const IN_ORDER: &str = "NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation_id = o.conversation_id \
     AND p.status = 'pending' AND (p.created_at < o.created_at \
     OR (p.created_at = o.created_at AND p.message_id < o.message_id)))";

/// How many deliveries a claim may take: in all, and per platform given those in flight.
#[derive(Clone, Copy, Debug)]
pub struct Room<'a> {
    /// At most this many in all.
    pub total: usize,
    /// At most this many in flight to one platform.
    pub per_platform: usize,
    /// Those in flight, per platform.
    pub in_flight: &'a std::collections::HashMap<Platform, usize>,
}

impl Room<'_> {
    /// How many more `platform` may take.
    fn of(&self, platform: &Platform) -> usize {
        self.per_platform.saturating_sub(self.in_flight.get(platform).copied().unwrap_or(0))
    }
}

/// Claims due deliveries for `lease` from `now`, all under one fresh lease token, as
/// many as `room` allows. In one transaction: the due rows are picked (on
/// PostgreSQL `FOR UPDATE SKIP LOCKED`, so two daemons never claim the same row; on
/// SQLite the single writer serialises claims), then leased with one update and read
/// with one query. A row whose lease ran out is due again and is claimed like any other.
pub async fn claim(
    w: &mut WriteTx<'_>, now: DateTime<Utc>, lease: chrono::Duration, room: Room<'_>,
) -> CoreResult<Vec<Claimed>> {
    let max = room.total;
    if max == 0 {
        return Ok(Vec::new());
    }
    let lock =
        if w.store().backend() == Backend::Postgres { " FOR UPDATE OF o SKIP LOCKED" } else { "" };
    let full: Vec<&Platform> = room.in_flight.keys().filter(|p| room.of(p) == 0).collect();
    let skip = match full.len() {
        0 => String::new(),
        n => format!(" AND s.platform NOT IN ({})", list_placeholders(n, 2)),
    };
    let due = format!(
        "SELECT o.id, s.platform FROM outbox o JOIN shops s ON s.id = o.shop_id \
         WHERE o.status = 'pending' AND o.next_attempt_at <= $1{skip} AND {IN_ORDER} \
         ORDER BY o.next_attempt_at, o.created_at, o.message_id LIMIT {max}{lock}"
    );
    let mut vals: Vec<Val> = vec![now.into()];
    vals.extend(full.iter().map(|p| Val::from(p.as_str())));
    let mut taken: std::collections::HashMap<Platform, usize> = Default::default();
    let mut ids: Vec<OutboxId> = Vec::new();
    for row in w.rows(&due, vals).await? {
        let platform: Platform = row.col("platform")?;
        let n = taken.entry(platform.clone()).or_default();
        if *n < room.of(&platform) {
            *n += 1;
            ids.push(row.col("id")?);
        }
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let token = format!("{:032x}", rand::Rng::random::<u128>(&mut rand::rng()));
    let lease = Lease { token, until: now + lease };
    let mut vals: Vec<Val> = vec![lease.token.clone().into(), lease.until.into(), now.into()];
    vals.extend(ids.iter().map(|id| Val::from(*id)));
    let set = format!(
        "UPDATE outbox SET lease_token = $1, next_attempt_at = $2, attempts = attempts + 1, \
         updated_at = $3 WHERE id IN ({})",
        list_placeholders(ids.len(), 4)
    );
    w.run(&set, vals).await?;
    let read = format!(
        "{CLAIMED_SELECT} WHERE o.id IN ({}) ORDER BY o.next_attempt_at, o.created_at, o.message_id",
        list_placeholders(ids.len(), 1)
    );
    let rows = w.rows(&read, ids.iter().map(|id| Val::from(*id)).collect()).await?;
    rows.iter().map(|row| claimed_from_row(w.store(), row, lease.clone())).collect()
}

/// The error of a reply to a shop whose authorization was revoked.
pub const CONNECTION_REVOKED_CODE: &str = "connection_revoked";

/// What a claim reads: the entry, its shop, connection, buyer and message.
const CLAIMED_SELECT: &str = "SELECT o.id, o.message_id, o.attempts, o.created_at AS queued_at, s.platform, s.id AS shop_id, \
     s.external_id AS shop_external_id, s.region, b.external_id AS buyer_external_id, \
     b.email AS buyer_email, b.platform_conversation_id, m.content, k.api_base, k.credentials, k.status AS connection_status, \
     k.status_detail AS connection_detail \
     FROM outbox o JOIN shops s ON s.id = o.shop_id JOIN messages m ON m.id = o.message_id \
     JOIN conversations c ON c.id = o.conversation_id JOIN buyers b ON b.id = c.buyer_id \
     LEFT JOIN shop_connections k ON k.shop_id = o.shop_id";

/// Extends a claimed delivery's lease to `until`, if it is still this claim's (not
/// taken over after running out, not recorded); returns whether it was.
pub async fn renew(
    w: &mut WriteTx<'_>, claimed: &Claimed, until: DateTime<Utc>, now: DateTime<Utc>,
) -> CoreResult<bool> {
    let changed = w
        .exec(
            "UPDATE outbox SET next_attempt_at = $1, updated_at = $2 \
             WHERE id = $3 AND lease_token = $4 AND status = 'pending'",
            vec![
                until.into(),
                now.into(),
                claimed.outbox_id.into(),
                claimed.lease.token.clone().into(),
            ],
        )
        .await?;
    Ok(changed > 0)
}

fn claimed_from_row(store: &Store, row: &sqlx::any::AnyRow, lease: Lease) -> CoreResult<Claimed> {
    let message_id: MessageId = row.col("message_id")?;
    let shop_id: ShopId = row.col("shop_id")?;
    // Stored sealed (bound to the shop); a row that cannot be opened is claimed with
    // the error, so the attempt fails visibly without calling the platform.
    let credentials = match row.opt_text_col("credentials")? {
        Some(c) => opened(store, shop_id, &c).map_err(|e| match e {
            crate::error::CoreError::Platform(e) => e,
            other => AdapterError::permanent(
                super::connections::CREDENTIALS_UNREADABLE,
                other.to_string(),
            ),
        }),
        None => Ok(Default::default()),
    };
    let (credentials, mut credentials_error) = match credentials {
        Ok(c) => (c, None),
        Err(e) => (Default::default(), Some(e)),
    };
    // A revoked authorization sends nothing: the reply fails at once, saying why.
    if row.opt_text_col("connection_status")?.as_deref() == Some(super::connections::REVOKED) {
        let detail = row.opt_text_col("connection_detail")?.unwrap_or_default();
        credentials_error = Some(AdapterError::permanent(
            CONNECTION_REVOKED_CODE,
            format!("the shop's connection was revoked ({detail})"),
        ));
    }
    Ok(Claimed {
        queued_at: row.col("queued_at")?,
        outbox_id: row.col("id")?,
        message_id,
        attempts: row.int_col("attempts")?,
        lease,
        platform: row.col("platform")?,
        shop_id,
        connection: ShopConnection {
            external_id: row.text_col("shop_external_id")?,
            region: row.text_col("region")?,
            api_base: row.opt_text_col("api_base")?,
            credentials,
        },
        credentials_error,
        message: OutboundMessage {
            idempotency_key: message_id.to_string(),
            buyer_external_id: row.text_col("buyer_external_id")?,
            buyer_email: row.opt_text_col("buyer_email")?,
            platform_conversation_id: row.opt_text_col("platform_conversation_id")?,
            content: serde_json::from_str(&row.text_col("content")?)
                .map_err(|e| super::rows::corrupt("content", e))?,
        },
    })
}

/// Records an attempt's outcome on its entry, if the entry is still this attempt's (its
/// lease token unchanged); returns whether it was (another worker may have taken it over
/// after the lease ran out: its attempt is the one recorded).
pub async fn record(
    w: &mut WriteTx<'_>, claimed: &Claimed, status: &str, error: Option<String>,
    next_attempt_at: DateTime<Utc>, now: DateTime<Utc>,
) -> CoreResult<bool> {
    let changed = w
        .exec(
            "UPDATE outbox SET status = $1, last_error = $2, next_attempt_at = $3, updated_at = $4, \
             lease_token = NULL WHERE id = $5 AND lease_token = $6",
            vec![
                status.into(),
                error.into(),
                next_attempt_at.into(),
                now.into(),
                claimed.outbox_id.into(),
                claimed.lease.token.clone().into(),
            ],
        )
        .await?;
    Ok(changed > 0)
}

/// Puts a failed delivery back in the queue with a fresh attempt budget.
pub async fn requeue(
    w: &mut WriteTx<'_>, message: MessageId, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, last_error = NULL, \
         lease_token = NULL, updated_at = $1 WHERE message_id = $2",
        vec![now.into(), message.into()],
    )
    .await?;
    w.run(
        "UPDATE messages SET delivery_status = 'pending', delivery_error = NULL WHERE id = $1",
        vec![Val::from(message)],
    )
    .await
}
