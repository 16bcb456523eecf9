//! The owner's webhook endpoints: register one (its secret shown once), list them with
//! their status, rotate a secret, pause and resume, ping, delete, and the deliveries
//! with their last attempts, each of which can be sent again. Only the main account
//! manages them; another seller's endpoint is an unknown one.

use crate::domain::ids::*;
use crate::domain::viewer::Viewer;
use crate::domain::webhook_signing::new_secret;
use crate::domain::webhooks::*;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::webhook_queue::{self, Queued};
use crate::storage::webhooks::{self, NewEndpointRow};
use crate::storage::write::Db;
use serde::{Deserialize, Serialize};

/// Most endpoints per seller.
pub const MAX_ENDPOINTS: usize = 20;
/// The longest URL accepted.
pub const MAX_URL: usize = 2048;
/// Most deliveries listed at once.
pub const MAX_LISTED: i64 = 200;

/// A new endpoint.
#[derive(Clone, Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// Where deliveries are POSTed: `https://` and a host name (or IPv4 address), an
    /// optional port, then a path, query or fragment in printable ASCII; no credentials
    /// or spaces (plain `http://` only when `outbound.allow_private_networks` is set, for
    /// local tests).
    #[cfg_attr(
        feature = "openapi",
        schema(
            min_length = 9,
            max_length = 2048,
            pattern = r"^https://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?([/?#][!-~]*)?$"
        )
    )]
    pub url: String,
    /// The events wanted (at least one; repeats count once).
    #[cfg_attr(feature = "openapi", schema(min_items = 1, value_type = Vec<SubscribableEvent>))]
    pub events: Vec<WebhookEvent>,
    /// A note for the owner (at most 200 characters).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub description: String,
    /// Who is mailed when the endpoint is paused for failing (needs `[smtp]`): an ASCII
    /// address; empty: nobody.
    #[serde(default)]
    #[cfg_attr(
        feature = "openapi",
        schema(
            max_length = 254,
            pattern = r"^$|^[\x21-\x3f\x41-\x7e]+@[\x21-\x2d\x2f-\x3f\x41-\x7e]+(\.[\x21-\x2d\x2f-\x3f\x41-\x7e]+)+$"
        )
    )]
    pub notify_email: Option<String>,
}

/// An event an endpoint may subscribe to (the API's schema of [`WebhookEvent`] without
/// `ping`, which is sent only when asked for).
#[cfg(feature = "openapi")]
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub enum SubscribableEvent {
    /// `message.created`
    #[schema(rename = "message.created")]
    MessageCreated,
    /// `conversation.assigned`
    #[schema(rename = "conversation.assigned")]
    ConversationAssigned,
    /// `conversation.ended`
    #[schema(rename = "conversation.ended")]
    ConversationEnded,
    /// `conversation.closed`
    #[schema(rename = "conversation.closed")]
    ConversationClosed,
    /// `rating.received`
    #[schema(rename = "rating.received")]
    RatingReceived,
    /// `bot.handoff`
    #[schema(rename = "bot.handoff")]
    BotHandoff,
}

/// A registered endpoint and its secret, shown this once.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedEndpoint {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// The signing secret (`whsec_…`): keep it; it is not shown again.
    pub secret: String,
}

/// A fresh signing secret, shown this once.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EndpointSecret {
    /// The new secret; the old one stops signing at once.
    pub secret: String,
}

/// Checks an endpoint URL's shape: https (or http when allowed), a host, no spaces.
/// Where it resolves is checked at each delivery, on the address connected to.
pub fn checked_url(url: &str, allow_http: bool) -> CoreResult<String> {
    let url = url.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://").filter(|_| allow_http))
        .ok_or_else(|| CoreError::invalid("url", "must start with https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let bad = |m: &str| Err(CoreError::invalid("url", m));
    if url.len() > MAX_URL {
        return bad("is longer than 2048 characters");
    }
    if host.is_empty()
        || host.contains('@')
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return bad("must name a host, without credentials or spaces");
    }
    Ok(url.to_owned())
}

fn checked_events(events: &[WebhookEvent]) -> CoreResult<EventMask> {
    if events.is_empty() || events.contains(&WebhookEvent::Ping) {
        return Err(CoreError::invalid(
            "events",
            "name at least one event; ping is not subscribable",
        ));
    }
    Ok(EventMask::of(events))
}

impl Inbox {
    fn require_webhook_owner(&self, viewer: &Viewer) -> CoreResult<SellerId> {
        viewer.require_owner()?;
        Ok(viewer.agent.seller_id)
    }

    /// The seller's endpoints (main account only).
    pub async fn webhook_endpoints(&self, viewer: &Viewer) -> CoreResult<Vec<WebhookEndpoint>> {
        let seller = self.require_webhook_owner(viewer)?;
        webhooks::list(&self.store, seller).await
    }

    /// One endpoint of the seller.
    pub async fn webhook_endpoint(
        &self, viewer: &Viewer, id: WebhookEndpointId,
    ) -> CoreResult<WebhookEndpoint> {
        let seller = self.require_webhook_owner(viewer)?;
        webhooks::get(Db::Pool(&self.store), seller, id)
            .await?
            .ok_or(CoreError::NotFound("webhook endpoint"))
    }

    /// Registers an endpoint; its secret is in the answer, and only there.
    pub async fn create_webhook_endpoint(
        &self, viewer: &Viewer, new: NewEndpoint,
    ) -> CoreResult<CreatedEndpoint> {
        let seller = self.require_webhook_owner(viewer)?;
        let url = checked_url(&new.url, self.webhooks.allow_http)?;
        let events = checked_events(&new.events)?;
        if new.description.chars().count() > 200 {
            return Err(CoreError::invalid("description", "is longer than 200 characters"));
        }
        let notify_email = match new.notify_email.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(e) => Some(
                crate::services::storefront::checked_email(e)
                    .map_err(|_| CoreError::invalid("notify_email", "not an email address"))?,
            ),
        };
        let secret = new_secret().ok_or(CoreError::Unavailable("no system randomness"))?;
        let row = NewEndpointRow {
            id: WebhookEndpointId::new(),
            seller,
            url,
            description: new.description.trim().to_owned(),
            events,
            secret: secret.clone(),
            notify_email,
        };
        let now = self.clock.now();
        let mut w = self.store.begin_write().await?;
        if webhooks::list(&self.store, seller).await?.len() >= MAX_ENDPOINTS {
            return Err(CoreError::Conflict(format!(
                "a seller has at most {MAX_ENDPOINTS} webhook endpoints"
            )));
        }
        webhooks::insert(&mut w, &row, now).await?;
        let endpoint = webhooks::get(Db::Tx(&mut w), seller, row.id).await?;
        w.commit().await?;
        self.store.reload_webhook_subs().await?;
        let endpoint = endpoint.ok_or(CoreError::NotFound("webhook endpoint"))?;
        Ok(CreatedEndpoint { endpoint, secret })
    }

    /// Replaces an endpoint's secret; the new one is in the answer, and only there.
    pub async fn rotate_webhook_secret(
        &self, viewer: &Viewer, id: WebhookEndpointId,
    ) -> CoreResult<EndpointSecret> {
        self.webhook_endpoint(viewer, id).await?;
        let secret = new_secret().ok_or(CoreError::Unavailable("no system randomness"))?;
        let mut w = self.store.begin_write().await?;
        webhooks::set_secret(&mut w, id, &secret, self.clock.now()).await?;
        w.commit().await?;
        Ok(EndpointSecret { secret })
    }

    /// Pauses an endpoint by hand: nothing is attempted; events are still queued.
    pub async fn pause_webhook_endpoint(
        &self, viewer: &Viewer, id: WebhookEndpointId,
    ) -> CoreResult<WebhookEndpoint> {
        let seller = self.require_webhook_owner(viewer)?;
        let mut w = self.store.begin_write().await?;
        let found = webhooks::get(Db::Tx(&mut w), seller, id).await?;
        found.ok_or(CoreError::NotFound("webhook endpoint"))?;
        webhooks::pause(&mut w, id, "manual", self.clock.now()).await?;
        let endpoint = webhooks::get(Db::Tx(&mut w), seller, id).await?;
        w.commit().await?;
        endpoint.ok_or(CoreError::NotFound("webhook endpoint"))
    }

    /// Resumes an endpoint: what is pending goes out in order, with a fresh budget.
    pub async fn resume_webhook_endpoint(
        &self, viewer: &Viewer, id: WebhookEndpointId,
    ) -> CoreResult<WebhookEndpoint> {
        let seller = self.require_webhook_owner(viewer)?;
        let mut w = self.store.begin_write().await?;
        let found = webhooks::get(Db::Tx(&mut w), seller, id).await?;
        found.ok_or(CoreError::NotFound("webhook endpoint"))?;
        webhooks::resume(&mut w, id, self.clock.now()).await?;
        let endpoint = webhooks::get(Db::Tx(&mut w), seller, id).await?;
        w.commit().await?;
        self.webhooks.wake.notify_one();
        endpoint.ok_or(CoreError::NotFound("webhook endpoint"))
    }

    /// Removes an endpoint and its deliveries.
    pub async fn delete_webhook_endpoint(
        &self, viewer: &Viewer, id: WebhookEndpointId,
    ) -> CoreResult<()> {
        let seller = self.require_webhook_owner(viewer)?;
        let mut w = self.store.begin_write().await?;
        if !webhooks::delete(&mut w, seller, id).await? {
            return Err(CoreError::NotFound("webhook endpoint"));
        }
        w.commit().await?;
        self.store.reload_webhook_subs().await
    }

    /// Queues a test ping to an endpoint; like every delivery it waits while the
    /// endpoint is paused.
    pub async fn ping_webhook_endpoint(
        &self, viewer: &Viewer, id: WebhookEndpointId,
    ) -> CoreResult<WebhookDelivery> {
        let seller = self.require_webhook_owner(viewer)?;
        self.webhook_endpoint(viewer, id).await?;
        let now = self.clock.now();
        let payload = WebhookPayload::ping(seller, id, now);
        let mut w = self.store.begin_write().await?;
        webhook_queue::queue(&mut w, &[Queued { endpoint: id, payload }]).await?;
        let latest = webhook_queue::latest(&mut w, id).await?;
        w.commit().await?;
        self.webhooks.wake.notify_one();
        latest.ok_or(CoreError::NotFound("webhook delivery"))
    }

    /// An endpoint's latest deliveries (of `status`, if given), newest first.
    pub async fn webhook_deliveries(
        &self, viewer: &Viewer, id: WebhookEndpointId, status: Option<WebhookDeliveryStatus>,
        limit: Option<i64>,
    ) -> CoreResult<Vec<WebhookDelivery>> {
        let limit = limit.unwrap_or(50);
        if !(1..=MAX_LISTED).contains(&limit) {
            return Err(CoreError::invalid("limit", format!("must be 1 to {MAX_LISTED}")));
        }
        self.webhook_endpoint(viewer, id).await?;
        webhook_queue::recent(&self.store, id, status, limit).await
    }

    /// Sends a delivery again (a failed or delivered one, or a pending one at once).
    pub async fn send_webhook_again(
        &self, viewer: &Viewer, id: WebhookEndpointId, delivery: WebhookDeliveryId,
    ) -> CoreResult<WebhookDelivery> {
        self.webhook_endpoint(viewer, id).await?;
        let mut w = self.store.begin_write().await?;
        webhook_queue::get(&mut w, id, delivery)
            .await?
            .ok_or(CoreError::NotFound("webhook delivery"))?;
        webhook_queue::send_again(&mut w, delivery, self.clock.now()).await?;
        let again = webhook_queue::get(&mut w, id, delivery).await?;
        w.commit().await?;
        self.webhooks.wake.notify_one();
        again.ok_or(CoreError::NotFound("webhook delivery"))
    }
}
