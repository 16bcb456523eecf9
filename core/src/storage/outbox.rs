//! The outbox repository: outbound messages stored with their delivery entries in one
//! transaction; due entries claimed one at a time, each under a lease of its own with a
//! random token (`FOR UPDATE SKIP LOCKED` on PostgreSQL), a conversation's replies in
//! their order; leases renewed by their holder; an attempt's outcome recorded only under
//! its lease token; a failed delivery put back in the queue.

use super::connections::opened;
use super::exec::Tx;
use super::messages::insert_messages;
use super::rows::Columns;
use super::sql::{Val, list_placeholders};
use super::store::{Backend, Store};
use super::write::Deferred;
use super::write::WriteTx;
use crate::domain::ids::*;
use crate::domain::model::{Message, Platform};
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

/// Stores outbound messages and their outbox entries, queuing what it can in `deferred`.
pub async fn defer_queue(
    store: &Store, tx: &mut Tx<'_>, messages: &[Message], now: DateTime<Utc>,
    deferred: &mut Deferred,
) -> CoreResult<()> {
    insert_messages(store, tx, messages, deferred).await?;
    for m in messages {
        deferred.push(
            "INSERT INTO outbox (id, message_id, shop_id, conversation_id, status, attempts, next_attempt_at, \
             created_at, updated_at) VALUES ($1,$2,$3,$4,'pending',0,$5,$5,$5)"
                .into(),
            vec![
                OutboxId::new().into(),
                m.id.into(),
                m.shop_id.into(),
                m.conversation_id.into(),
                now.into(),
            ],
        );
    }
    Ok(())
}

/// What makes a pending row claimable besides being due: no earlier reply of its
/// conversation (by creation, then message id: the order the conversation shows) is
/// still pending, so a conversation's replies leave in order even when deliveries run
/// in parallel, on one daemon or several.
const IN_ORDER: &str = "NOT EXISTS (SELECT 1 FROM outbox p WHERE p.conversation_id = o.conversation_id \
     AND p.status = 'pending' AND (p.created_at < o.created_at \
     OR (p.created_at = o.created_at AND p.message_id < o.message_id)))";

/// Claims one due delivery for `lease` from `now`, under a fresh lease token, skipping
/// shops of the platforms in `busy` (those at their concurrency limit). One atomic
/// statement: on SQLite, the single writer's `UPDATE … RETURNING`; on PostgreSQL the
/// row is picked `FOR UPDATE SKIP LOCKED`, so two daemons never claim the same row. A
/// row whose lease ran out is due again and is claimed like any other.
pub async fn claim_one(
    w: &mut WriteTx<'_>, now: DateTime<Utc>, lease: chrono::Duration, busy: &[Platform],
) -> CoreResult<Option<Claimed>> {
    let lock =
        if w.store().backend() == Backend::Postgres { " FOR UPDATE OF o SKIP LOCKED" } else { "" };
    let skip = match busy.len() {
        0 => String::new(),
        n => format!(" AND s.platform NOT IN ({})", list_placeholders(n, 4)),
    };
    let sql = format!(
        "UPDATE outbox SET lease_token = $1, next_attempt_at = $2, attempts = attempts + 1, \
         updated_at = $3 WHERE id = (SELECT o.id FROM outbox o JOIN shops s ON s.id = o.shop_id \
         WHERE o.status = 'pending' AND o.next_attempt_at <= $3{skip} AND {IN_ORDER} \
         ORDER BY o.next_attempt_at, o.created_at, o.message_id LIMIT 1{lock}) RETURNING id"
    );
    let token = format!("{:032x}", rand::Rng::random::<u128>(&mut rand::rng()));
    let lease_until = now + lease;
    let mut vals: Vec<Val> = vec![token.clone().into(), lease_until.into(), now.into()];
    vals.extend(busy.iter().map(|p| Val::from(p.as_str())));
    let Some(row) = w.row(&sql, vals).await? else {
        return Ok(None);
    };
    let id: OutboxId = row.col("id")?;
    let sql = format!("{CLAIMED_SELECT} WHERE o.id = $1");
    let row = w.row(&sql, vec![id.into()]).await?;
    let row = row.ok_or_else(|| super::rows::corrupt("outbox", "claimed row vanished"))?;
    let lease = Lease { token, until: lease_until };
    claimed_from_row(w.store(), &row, lease).map(Some)
}

/// What a claim reads: the entry, its shop, connection, buyer and message.
const CLAIMED_SELECT: &str = "SELECT o.id, o.message_id, o.attempts, s.platform, s.id AS shop_id, \
     s.external_id AS shop_external_id, s.region, b.external_id AS buyer_external_id, \
     b.email AS buyer_email, b.platform_conversation_id, m.content, k.api_base, k.credentials \
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
    let (credentials, credentials_error) = match credentials {
        Ok(c) => (c, None),
        Err(e) => (Default::default(), Some(e)),
    };
    Ok(Claimed {
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
