//! The webhook delivery queue: events queued in the transaction of the change that
//! raises them (one multi-row statement per write, only for shops whose seller has an
//! endpoint wanting the event — see `webhook_subs`); due deliveries claimed one at a
//! time under a lease of their own with a random token (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), a conversation's events for one endpoint in their order (`seq`); an
//! attempt's outcome recorded only under its lease token; a delivery sent again.

use super::multi_row::MultiRow;
use super::rows::Columns;
use super::sql::{Val, list_placeholders};
use super::store::{Backend, Store};
use super::webhooks::secret_context;
use super::write::{Deferred, WriteTx};
use crate::domain::ids::*;
use crate::domain::model::{Conversation, Message};
use crate::domain::webhooks::*;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

/// Rows per insert statement (12 values each).
const ROWS_PER_STATEMENT: usize = 150;

/// One delivery to queue.
#[derive(Clone, Debug)]
pub struct Queued {
    /// The endpoint.
    pub endpoint: WebhookEndpointId,
    /// The event's body.
    pub payload: WebhookPayload,
}

/// The deliveries `event` of `shop` raises: one per endpoint of the shop's seller
/// that wants it; the body is built only when there is one.
pub fn for_event(
    store: &Store, shop: ShopId, event: WebhookEvent,
    payload: impl FnOnce(SellerId) -> WebhookPayload,
) -> Vec<Queued> {
    let subs = store.webhook_subs().wanting(shop, event);
    let Some(first) = subs.first() else { return Vec::new() };
    let payload = payload(first.seller);
    subs.iter().map(|s| Queued { endpoint: s.endpoint, payload: payload.clone() }).collect()
}

/// Queues `message.created` for stored messages, in `deferred`.
pub fn defer_messages<'m>(
    store: &Store, messages: impl IntoIterator<Item = &'m Message>, deferred: &mut Deferred,
) {
    let queued: Vec<Queued> = messages
        .into_iter()
        .flat_map(|m| {
            for_event(store, m.shop_id, WebhookEvent::MessageCreated, |seller| {
                WebhookPayload::message(seller, m, m.created_at)
            })
        })
        .collect();
    defer(&queued, deferred);
}

/// Queues the conversation events (`conversation.assigned`, `.ended`, `.closed`) that
/// conversation changes raise, in `deferred`. Each is dated by the conversation's own
/// time of the change.
pub fn defer_changes(
    store: &Store, changes: &[(SellerId, Option<Conversation>, Conversation)],
    deferred: &mut Deferred,
) {
    let mut queued = Vec::new();
    for (_, before, after) in changes {
        for event in conversation_events(before.as_ref(), after) {
            let at = match event {
                WebhookEvent::ConversationAssigned => after.assigned_at,
                WebhookEvent::ConversationEnded => after.ended_at,
                WebhookEvent::ConversationClosed => after.closed_at,
                _ => None,
            }
            .unwrap_or(after.last_message_at);
            queued.extend(for_event(store, after.shop_id, event, |seller| {
                WebhookPayload::conversation(event, seller, after, at, Default::default())
            }));
        }
    }
    defer(&queued, deferred);
}

/// Queues one conversation event (raised outside a conversation save) in `deferred`,
/// for the endpoints that want it: the ingest group's way to
/// [`queue_conversation_event`], where the bot hands a conversation over inside the
/// ingest writer's transaction.
pub fn defer_conversation_event(
    store: &Store, event: WebhookEvent, conversation: &Conversation, at: DateTime<Utc>,
    extra: serde_json::Map<String, serde_json::Value>, deferred: &mut Deferred,
) {
    let queued = for_event(store, conversation.shop_id, event, |seller| {
        WebhookPayload::conversation(event, seller, conversation, at, extra)
    });
    defer(&queued, deferred);
}

/// Queues deliveries (due at once), in one statement per [`ROWS_PER_STATEMENT`].
pub fn defer(queued: &[Queued], deferred: &mut Deferred) {
    for chunk in queued.chunks(ROWS_PER_STATEMENT) {
        let sql = "INSERT INTO webhook_deliveries (id, endpoint_id, event, event_id, order_key, \
             conversation_id, payload, status, attempts, next_attempt_at, created_at, updated_at) {rows}";
        let vals = chunk.iter().flat_map(row_values).collect();
        deferred.push_rows(MultiRow::new(sql, 12, vals));
    }
}

fn row_values(q: &Queued) -> Vec<Val> {
    let id = WebhookDeliveryId::new();
    let p = &q.payload;
    let order_key = p.conversation_id.map(|c| c.to_string()).unwrap_or_else(|| id.to_string());
    vec![
        id.into(),
        q.endpoint.into(),
        p.kind.as_str().into(),
        p.id.clone().into(),
        order_key.into(),
        p.conversation_id.into(),
        p.to_body().into(),
        "pending".into(),
        0i64.into(),
        // Due at once, whatever the clock says: the first attempt is never held back.
        0i64.into(),
        p.created_at.into(),
        p.created_at.into(),
    ]
}

/// Queues deliveries now, in the caller's transaction; returns their ids in order.
pub async fn queue(w: &mut WriteTx<'_>, queued: &[Queued]) -> CoreResult<()> {
    let mut deferred = Deferred::default();
    defer(queued, &mut deferred);
    deferred.run(w).await
}

/// A claimed delivery: what to send where, and what the verdict needs.
#[derive(Clone, Debug)]
pub struct ClaimedHook {
    /// The delivery.
    pub id: WebhookDeliveryId,
    /// Its endpoint.
    pub endpoint_id: WebhookEndpointId,
    /// The endpoint's seller.
    pub seller_id: SellerId,
    /// The endpoint's URL.
    pub url: String,
    /// The endpoint's secret, opened (an error when it does not open).
    pub secret: Result<String, String>,
    /// The event's name.
    pub event: String,
    /// The body.
    pub payload: String,
    /// This attempt's number.
    pub attempts: i64,
    /// When this attempt started (the claim).
    pub started_at: DateTime<Utc>,
    /// When the current retry budget began.
    pub retry_since: DateTime<Utc>,
    /// Since when the endpoint has been failing.
    pub failing_since: Option<DateTime<Utc>>,
    /// The lease's token.
    pub lease_token: String,
}

/// What makes a pending delivery claimable besides being due: its endpoint is active
/// and no earlier delivery of its order key (its conversation) to that endpoint is
/// still pending — being attempted, backing off, or held — so a conversation's events
/// reach each endpoint in order, on one daemon or several.
const CLAIMABLE: &str = "d.status = 'pending' AND e.status = 'active' AND NOT EXISTS (SELECT 1 FROM \
     webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id AND p.order_key = d.order_key \
     AND p.status = 'pending' AND p.seq < d.seq)";

/// Claims one due delivery for `lease` from `now`, skipping the endpoints in `busy`.
/// One atomic statement (the outbox claims in batches, see `outbox::claim`).
pub async fn claim_one(
    w: &mut WriteTx<'_>, now: DateTime<Utc>, lease: chrono::Duration, busy: &[WebhookEndpointId],
) -> CoreResult<Option<ClaimedHook>> {
    let lock =
        if w.store().backend() == Backend::Postgres { " FOR UPDATE OF d SKIP LOCKED" } else { "" };
    let skip = match busy.len() {
        0 => String::new(),
        n => format!(" AND d.endpoint_id NOT IN ({})", list_placeholders(n, 4)),
    };
    let sql = format!(
        "UPDATE webhook_deliveries SET lease_token = $1, next_attempt_at = $2, attempts = attempts + 1, \
         last_attempt_at = $3, retry_since = COALESCE(retry_since, $3), updated_at = $3 WHERE id = \
         (SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
         WHERE {CLAIMABLE} AND d.next_attempt_at <= $3{skip} ORDER BY d.next_attempt_at, d.seq \
         LIMIT 1{lock}) RETURNING id"
    );
    let token = format!("{:032x}", rand::Rng::random::<u128>(&mut rand::rng()));
    let mut vals: Vec<Val> = vec![token.clone().into(), (now + lease).into(), now.into()];
    vals.extend(busy.iter().map(|e| Val::from(*e)));
    let Some(row) = w.row(&sql, vals).await? else { return Ok(None) };
    let id: WebhookDeliveryId = row.col("id")?;
    let row = w
        .row(
            "SELECT d.id, d.endpoint_id, d.event, d.payload, d.attempts, d.retry_since, \
             e.seller_id, e.url, e.secret, e.failing_since FROM webhook_deliveries d \
             JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = $1",
            vec![id.into()],
        )
        .await?
        .ok_or_else(|| super::rows::corrupt("webhook_deliveries", "claimed row vanished"))?;
    let endpoint_id: WebhookEndpointId = row.col("endpoint_id")?;
    let secret = w
        .store()
        .unseal(&secret_context(endpoint_id), &row.text_col("secret")?)
        .map_err(|e| format!("secret_unreadable: {e}"));
    Ok(Some(ClaimedHook {
        id,
        endpoint_id,
        seller_id: row.col("seller_id")?,
        url: row.text_col("url")?,
        secret,
        event: row.text_col("event")?,
        payload: row.text_col("payload")?,
        attempts: row.int_col("attempts")?,
        started_at: now,
        retry_since: row.col::<Option<DateTime<Utc>>>("retry_since")?.unwrap_or(now),
        failing_since: row.col("failing_since")?,
        lease_token: token,
    }))
}

/// An attempt's outcome to record.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The delivery's new status.
    pub status: WebhookDeliveryStatus,
    /// When it is due again (pending only).
    pub next_attempt_at: DateTime<Utc>,
    /// The answer's HTTP status, if there was an answer.
    pub status_code: Option<u16>,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// Records an attempt's outcome on its delivery, if the delivery is still this
/// attempt's (its lease token unchanged); returns whether it was.
pub async fn record(
    w: &mut WriteTx<'_>, c: &ClaimedHook, o: &Outcome, now: DateTime<Utc>,
) -> CoreResult<bool> {
    let delivered = (o.status == WebhookDeliveryStatus::Delivered).then_some(now);
    let changed = w
        .exec(
            "UPDATE webhook_deliveries SET status = $1, next_attempt_at = $2, last_status_code = $3, \
             last_error = $4, delivered_at = COALESCE($5, delivered_at), lease_token = NULL, updated_at = $6 \
             WHERE id = $7 AND lease_token = $8",
            vec![
                o.status.as_str().into(),
                o.next_attempt_at.into(),
                o.status_code.map(i64::from).into(),
                o.error.clone().into(),
                delivered.into(),
                now.into(),
                c.id.into(),
                c.lease_token.clone().into(),
            ],
        )
        .await?;
    Ok(changed > 0)
}

const DELIVERY_COLUMNS: &str = "id, endpoint_id, event, event_id, conversation_id, status, attempts, \
     last_attempt_at, last_status_code, last_error, next_attempt_at, delivered_at, created_at";

fn delivery_from_row(r: &sqlx::any::AnyRow) -> CoreResult<WebhookDelivery> {
    let status = WebhookDeliveryStatus::parse(&r.text_col("status")?)
        .ok_or_else(|| super::rows::corrupt("webhook_deliveries", "unknown status"))?;
    let next: DateTime<Utc> = r.col("next_attempt_at")?;
    Ok(WebhookDelivery {
        id: r.col("id")?,
        endpoint_id: r.col("endpoint_id")?,
        event: r.text_col("event")?,
        event_id: r.text_col("event_id")?,
        conversation_id: r.col("conversation_id")?,
        status,
        attempts: r.int_col("attempts")?,
        last_attempt_at: r.col("last_attempt_at")?,
        last_status_code: r.opt_int_col("last_status_code")?,
        last_error: r.opt_text_col("last_error")?,
        next_attempt_at: (status == WebhookDeliveryStatus::Pending).then_some(next),
        delivered_at: r.col("delivered_at")?,
        created_at: r.col("created_at")?,
    })
}

/// An endpoint's latest `limit` deliveries (of `status`, if given), newest first.
pub async fn recent(
    store: &Store, endpoint: WebhookEndpointId, status: Option<WebhookDeliveryStatus>, limit: i64,
) -> CoreResult<Vec<WebhookDelivery>> {
    let mut vals: Vec<Val> = vec![endpoint.into(), limit.into()];
    let filter = match status {
        Some(s) => {
            vals.push(s.as_str().into());
            " AND status = $3"
        }
        None => "",
    };
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1{filter} \
         ORDER BY seq DESC LIMIT $2"
    );
    store.rows(&sql, vals).await?.iter().map(delivery_from_row).collect()
}

/// One delivery of an endpoint.
pub async fn get(
    w: &mut WriteTx<'_>, endpoint: WebhookEndpointId, id: WebhookDeliveryId,
) -> CoreResult<Option<WebhookDelivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1 AND endpoint_id = $2"
    );
    w.row(&sql, vec![id.into(), endpoint.into()]).await?.as_ref().map(delivery_from_row).transpose()
}

/// Sends a delivery again: pending, due now, with a fresh retry budget (a delivered
/// one goes out once more under the same delivery id).
pub async fn send_again(
    w: &mut WriteTx<'_>, id: WebhookDeliveryId, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $1, retry_since = NULL, \
         lease_token = NULL, attempts = 0, updated_at = $1 WHERE id = $2",
        vec![now.into(), id.into()],
    )
    .await
}

/// Forgets delivered rows older than `before` (the history keeps failures and recent
/// successes), and rows queued for an endpoint deleted meanwhile (by a write that
/// still saw it subscribed); returns how many went.
pub async fn prune(w: &mut WriteTx<'_>, before: DateTime<Utc>) -> CoreResult<u64> {
    let old = w
        .exec(
            "DELETE FROM webhook_deliveries WHERE status = 'delivered' AND delivered_at < $1",
            vec![before.into()],
        )
        .await?;
    let orphans = w
        .exec(
            "DELETE FROM webhook_deliveries WHERE NOT EXISTS \
             (SELECT 1 FROM webhook_endpoints e WHERE e.id = webhook_deliveries.endpoint_id)",
            vec![],
        )
        .await?;
    Ok(old + orphans)
}

/// Queues one conversation event in the caller's transaction, for the endpoints that
/// want it: the way in for events raised outside a conversation save — the integrator
/// calls it where a rating is stored (`WebhookEvent::RatingReceived`, `extra`:
/// `{"rating": …}`) and where the bot hands a conversation over
/// (`WebhookEvent::BotHandoff`, `extra`: `{"reason": …}`).
pub async fn queue_conversation_event(
    w: &mut WriteTx<'_>, event: WebhookEvent, conversation: &Conversation, at: DateTime<Utc>,
    extra: serde_json::Map<String, serde_json::Value>,
) -> CoreResult<()> {
    let queued = for_event(w.store(), conversation.shop_id, event, |seller| {
        WebhookPayload::conversation(event, seller, conversation, at, extra)
    });
    if queued.is_empty() {
        return Ok(());
    }
    queue(w, &queued).await
}

/// An endpoint's latest queued delivery.
pub async fn latest(
    w: &mut WriteTx<'_>, endpoint: WebhookEndpointId,
) -> CoreResult<Option<WebhookDelivery>> {
    let sql = format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 ORDER BY seq DESC LIMIT 1"
    );
    w.row(&sql, vec![endpoint.into()]).await?.as_ref().map(delivery_from_row).transpose()
}
