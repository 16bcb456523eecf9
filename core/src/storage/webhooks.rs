//! The webhook endpoints repository: a seller's endpoints (their secrets sealed like
//! shop credentials, bound to the endpoint), their status — paused or active, the run
//! of failures and the last success — and removing one with its deliveries.

use super::rows::Columns;
use super::sql::Val;
use super::store::Store;
use super::write::{Db, WriteTx};
use crate::domain::ids::*;
use crate::domain::webhooks::{EndpointStatus, EventMask, WebhookEndpoint};
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

/// What a new endpoint is made of (the secret in clear: it is sealed here).
#[derive(Clone, Debug)]
pub struct NewEndpointRow {
    /// Id.
    pub id: WebhookEndpointId,
    /// Its seller.
    pub seller: SellerId,
    /// Where to POST.
    pub url: String,
    /// The owner's note.
    pub description: String,
    /// The subscribed events.
    pub events: EventMask,
    /// The signing secret, in clear.
    pub secret: String,
    /// Who to mail when it is paused.
    pub notify_email: Option<String>,
}

/// The sealing context of an endpoint's secret.
pub fn secret_context(id: WebhookEndpointId) -> String {
    format!("webhook:{id}")
}

const COLUMNS: &str = "e.id, e.url, e.description, e.events, e.notify_email, e.status, \
     e.pause_reason, e.paused_at, e.consecutive_failures, e.failing_since, e.last_success_at, \
     e.last_failure_at, e.created_at, (SELECT CAST(COUNT(*) AS BIGINT) FROM webhook_deliveries d \
     WHERE d.endpoint_id = e.id AND d.status = 'pending') AS pending";

fn from_row(r: &sqlx::any::AnyRow) -> CoreResult<WebhookEndpoint> {
    let status = match r.text_col("status")?.as_str() {
        "paused" => EndpointStatus::Paused,
        _ => EndpointStatus::Active,
    };
    Ok(WebhookEndpoint {
        id: r.col("id")?,
        url: r.text_col("url")?,
        description: r.text_col("description")?,
        events: EventMask::from_text(&r.text_col("events")?).events(),
        notify_email: r.opt_text_col("notify_email")?,
        status,
        pause_reason: r.opt_text_col("pause_reason")?,
        paused_at: r.col("paused_at")?,
        consecutive_failures: r.int_col("consecutive_failures")?,
        failing_since: r.col("failing_since")?,
        last_success_at: r.col("last_success_at")?,
        last_failure_at: r.col("last_failure_at")?,
        pending: r.int_col("pending")?,
        created_at: r.col("created_at")?,
    })
}

/// Stores a new endpoint, its secret sealed.
pub async fn insert(w: &mut WriteTx<'_>, e: &NewEndpointRow, now: DateTime<Utc>) -> CoreResult<()> {
    let sealed = w.store().seal(&secret_context(e.id), &e.secret)?;
    w.run(
        "INSERT INTO webhook_endpoints (id, seller_id, url, description, events, secret, notify_email, \
         status, consecutive_failures, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$7,'active',0,$8,$8)",
        vec![
            e.id.into(),
            e.seller.into(),
            e.url.clone().into(),
            e.description.clone().into(),
            e.events.to_text().into(),
            sealed.into(),
            e.notify_email.clone().into(),
            now.into(),
        ],
    )
    .await
}

/// A seller's endpoints, oldest first.
pub async fn list(store: &Store, seller: SellerId) -> CoreResult<Vec<WebhookEndpoint>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM webhook_endpoints e WHERE e.seller_id = $1 ORDER BY e.created_at, e.id"
    );
    store.rows(&sql, vec![seller.into()]).await?.iter().map(from_row).collect()
}

/// One endpoint of a seller (another seller's is none).
pub async fn get(
    mut db: Db<'_, '_>, seller: SellerId, id: WebhookEndpointId,
) -> CoreResult<Option<WebhookEndpoint>> {
    let sql =
        format!("SELECT {COLUMNS} FROM webhook_endpoints e WHERE e.id = $1 AND e.seller_id = $2");
    db.row(&sql, vec![id.into(), seller.into()]).await?.as_ref().map(from_row).transpose()
}

/// Replaces an endpoint's secret (sealed).
pub async fn set_secret(
    w: &mut WriteTx<'_>, id: WebhookEndpointId, secret: &str, now: DateTime<Utc>,
) -> CoreResult<()> {
    let sealed = w.store().seal(&secret_context(id), secret)?;
    w.run(
        "UPDATE webhook_endpoints SET secret = $1, updated_at = $2 WHERE id = $3",
        vec![sealed.into(), now.into(), id.into()],
    )
    .await
}

/// Pauses an endpoint (`reason`: `manual` or `failing`); returns whether it was active.
pub async fn pause(
    w: &mut WriteTx<'_>, id: WebhookEndpointId, reason: &str, now: DateTime<Utc>,
) -> CoreResult<bool> {
    let changed = w
        .exec(
            "UPDATE webhook_endpoints SET status = 'paused', pause_reason = $1, paused_at = $2, \
             updated_at = $2 WHERE id = $3 AND status = 'active'",
            vec![reason.into(), now.into(), id.into()],
        )
        .await?;
    Ok(changed > 0)
}

/// Resumes an endpoint with a clean slate: no failures counted, and its pending
/// deliveries due now with a fresh retry budget (they go out in their order).
pub async fn resume(
    w: &mut WriteTx<'_>, id: WebhookEndpointId, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "UPDATE webhook_endpoints SET status = 'active', pause_reason = NULL, paused_at = NULL, \
         consecutive_failures = 0, failing_since = NULL, updated_at = $1 WHERE id = $2",
        vec![now.into(), id.into()],
    )
    .await?;
    w.run(
        "UPDATE webhook_deliveries SET next_attempt_at = $1, retry_since = NULL, lease_token = NULL, \
         updated_at = $1 WHERE endpoint_id = $2 AND status = 'pending'",
        vec![now.into(), id.into()],
    )
    .await
}

/// Records a success on the endpoint: the run of failures is over.
pub async fn record_success(
    w: &mut WriteTx<'_>, id: WebhookEndpointId, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL, \
         last_success_at = $1, updated_at = $1 WHERE id = $2",
        vec![now.into(), id.into()],
    )
    .await
}

/// Records a failed attempt that started at `started` on the endpoint (a run of
/// failures dates from the start of its first attempt).
pub async fn record_failure(
    w: &mut WriteTx<'_>, id: WebhookEndpointId, started: DateTime<Utc>, now: DateTime<Utc>,
) -> CoreResult<()> {
    w.run(
        "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, \
         failing_since = COALESCE(failing_since, $1), last_failure_at = $2, updated_at = $2 WHERE id = $3",
        vec![started.into(), now.into(), id.into()],
    )
    .await
}

/// Removes a seller's endpoint and its deliveries; returns whether there was one.
pub async fn delete(
    w: &mut WriteTx<'_>, seller: SellerId, id: WebhookEndpointId,
) -> CoreResult<bool> {
    let gone = w
        .exec(
            "DELETE FROM webhook_endpoints WHERE id = $1 AND seller_id = $2",
            vec![id.into(), seller.into()],
        )
        .await?;
    if gone > 0 {
        w.run("DELETE FROM webhook_deliveries WHERE endpoint_id = $1", vec![Val::from(id)]).await?;
    }
    Ok(gone > 0)
}
