//! The one way in for platform events. [`Inbox::apply`] takes every event an adapter
//! produced for a shop — buyer messages, order and after-sale changes, carts, customer
//! profiles — and applies it the same way whether it came from a webhook, a poll, a
//! plugin, the `api` channel or the storefront chat: messages are ingested (stored once),
//! an order notice that does not name its buyer is looked up through the registry and
//! recorded (shown as an order card where the adapter says so), cart changes become cart
//! events, profiles feed the customer panel.
//!
//! An event the inbox refuses (invalid, or against the platform's rules) is reported as
//! refused and the others still apply; a failure that may pass (the database, the
//! writer, a platform that could not answer a look-up) fails the whole call, so the
//! platform redelivers or the poller keeps its cursor — re-applying is harmless.

use super::carts::{CartNotice, CartOutcome};
use crate::domain::inbound::{InboundMessage, IngestOutcome, order_card};
use crate::domain::shop_settings::IngestShop;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use serde::Serialize;
use shopmux_contract::adapter::{InboundEvent, OrderInfo, ShopConnection};

/// What became of one event.
#[derive(Debug)]
pub enum EventOutcome {
    /// A message stored now.
    Stored(IngestOutcome),
    /// A message an earlier delivery stored.
    Duplicate(IngestOutcome),
    /// Refused: invalid, or against the platform's rules (kept out; not retried).
    Refused(CoreError),
    /// An order notice recorded.
    Order,
    /// A cart change (SH-CART-1).
    Cart(CartOutcome),
    /// A buyer profile recorded (SH-PROFILE-1).
    Profile,
    /// A change of the seller's authorization recorded on the connection.
    Authorization,
    /// A privacy request carried out.
    Privacy,
    /// Not acted on, and why.
    Ignored(String),
}

/// What became of each event of a call, in order.
#[derive(Debug, Default)]
pub struct Applied {
    /// One outcome per event.
    pub outcomes: Vec<EventOutcome>,
}

/// How many events became what (a webhook's acknowledgement).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppliedCounts {
    /// Messages stored now.
    pub stored: usize,
    /// Messages already stored by an earlier delivery.
    pub duplicates: usize,
    /// Events the inbox refuses (kept out of the inbox; not retried).
    pub refused: usize,
    /// Order notices recorded.
    pub orders: usize,
    /// Cart events added to conversations (SH-CART-1).
    pub cart_events: usize,
    /// Buyer profiles recorded (SH-PROFILE-1).
    pub profiles: usize,
    /// Authorization changes recorded (revoked, expiring).
    pub authorizations: usize,
    /// Privacy requests carried out.
    pub privacy_requests: usize,
    /// Events shopmux does not act on.
    pub ignored: usize,
}

impl Applied {
    /// The counts of every kind of outcome.
    pub fn counts(&self) -> AppliedCounts {
        let mut n = AppliedCounts::default();
        for outcome in &self.outcomes {
            match outcome {
                EventOutcome::Stored(_) => n.stored += 1,
                EventOutcome::Duplicate(_) => n.duplicates += 1,
                EventOutcome::Refused(_) => n.refused += 1,
                EventOutcome::Order => n.orders += 1,
                EventOutcome::Cart(c) => n.cart_events += c.events,
                EventOutcome::Profile => n.profiles += 1,
                EventOutcome::Authorization => n.authorizations += 1,
                EventOutcome::Privacy => n.privacy_requests += 1,
                EventOutcome::Ignored(_) => n.ignored += 1,
            }
        }
        n
    }
}

/// A refusal of the inbox becomes the event's outcome; anything else stays a failure.
fn refusable(result: CoreResult<EventOutcome>) -> CoreResult<EventOutcome> {
    match result {
        Err(e @ (CoreError::RuleViolation(_) | CoreError::Invalid { .. })) => {
            Ok(EventOutcome::Refused(e))
        }
        other => other,
    }
}

/// The shop's connection, read once per call when a look-up needs it.
type LazyConnection = Option<Option<ShopConnection>>;

impl Inbox {
    /// Applies a shop's events, in order (see the module comment).
    pub async fn apply(&self, shop: &IngestShop, events: Vec<InboundEvent>) -> CoreResult<Applied> {
        let started = std::time::Instant::now();
        let applied = self.apply_all(shop, events).await;
        let tally = applied.as_ref().ok().map(|a| {
            let n = a.counts();
            crate::telemetry::IngestTally {
                stored: n.stored,
                duplicates: n.duplicates,
                refused: n.refused,
            }
        });
        self.telemetry.ingest_applied(&shop.platform, tally, started.elapsed());
        applied
    }

    async fn apply_all(&self, shop: &IngestShop, events: Vec<InboundEvent>) -> CoreResult<Applied> {
        let mut connection: LazyConnection = None;
        let mut applied = Applied::default();
        for event in events {
            let outcome = self.apply_one(shop, event, &mut connection).await?;
            applied.outcomes.push(outcome);
        }
        Ok(applied)
    }

    async fn apply_one(
        &self, shop: &IngestShop, event: InboundEvent, connection: &mut LazyConnection,
    ) -> CoreResult<EventOutcome> {
        match event {
            InboundEvent::Message(message) => {
                refusable(self.ingest_message(shop, InboundMessage::from_event(message)).await)
            }
            InboundEvent::OrderChanged {
                order_external_id,
                buyer,
                reverse_in_progress,
                updated_at_ms,
            } => {
                let info = match buyer {
                    Some(buyer) => {
                        OrderInfo { external_id: order_external_id, buyer, ..Default::default() }
                    }
                    None => match self.look_up_order(shop, order_external_id, connection).await? {
                        Ok(info) => info,
                        Err(reason) => return Ok(EventOutcome::Ignored(reason)),
                    },
                };
                // Versioned by the notice's time when it has one: what it reports (a
                // return begun or ended) happened then, whatever the look-up says now.
                let info = OrderInfo {
                    reverse_in_progress: reverse_in_progress.or(info.reverse_in_progress),
                    updated_at_ms: updated_at_ms.or(info.updated_at_ms),
                    ..info
                };
                self.order_notice(shop, &info).await
            }
            InboundEvent::OrderUpdated { order } => self.order_notice(shop, &order).await,
            InboundEvent::CartChanged { cart_token, lines, subtotal, updated_at_ms } => {
                let notice = CartNotice {
                    cart_token: &cart_token,
                    lines: &lines,
                    subtotal: subtotal.as_deref(),
                    updated_at_ms,
                };
                refusable(self.record_cart(shop, notice).await.map(EventOutcome::Cart))
            }
            InboundEvent::BuyerProfileChanged { profile } => refusable(
                self.record_buyer_profile(shop, &profile).await.map(|()| EventOutcome::Profile),
            ),
            InboundEvent::AuthorizationChanged { change, detail, expires_at_ms } => {
                self.authorization_changed(shop, change, detail, expires_at_ms).await?;
                Ok(EventOutcome::Authorization)
            }
            InboundEvent::PrivacyRequest { request } => {
                self.privacy_request(shop, request).await?;
                Ok(EventOutcome::Privacy)
            }
            InboundEvent::Ignored { reason } => Ok(EventOutcome::Ignored(reason)),
            InboundEvent::Unknown => {
                Ok(EventOutcome::Ignored("an event of a newer adapter contract".into()))
            }
        }
    }

    async fn ingest_message(
        &self, shop: &IngestShop, message: InboundMessage,
    ) -> CoreResult<EventOutcome> {
        // A rating card with a score is a rating (DY-RATE-1); the few that arrive are
        // recorded after their message is stored (a redelivery records a lost one).
        let rating = crate::domain::ratings::rated(&message.content).is_some();
        let content = rating.then(|| message.content.clone());
        let outcome = self.ingest(shop.clone(), message).await?;
        if let Some(content) = content {
            self.record_rating(shop, &outcome, &content).await?;
        }
        Ok(if outcome.duplicate {
            EventOutcome::Duplicate(outcome)
        } else {
            EventOutcome::Stored(outcome)
        })
    }

    /// An order notice that does not name its buyer, looked up on the platform. A
    /// look-up that may pass later fails the call (the platform redelivers); one that
    /// cannot pass drops the notice, with the reason.
    async fn look_up_order(
        &self, shop: &IngestShop, order: String, connection: &mut LazyConnection,
    ) -> CoreResult<Result<OrderInfo, String>> {
        if connection.is_none() {
            *connection = Some(self.shop_connection(shop.shop_id).await?);
        }
        let Some(Some(conn)) = connection.clone() else {
            return Ok(Err("the shop has no connection to look the order up".into()));
        };
        match self.registry.fetch_order(&shop.platform, conn, order.clone()).await {
            Ok(info) => Ok(Ok(info)),
            Err(e) if e.retryable => Err(CoreError::Platform(e)),
            Err(e) => {
                tracing::warn!(message = "Order notice dropped.", %order, error = %e);
                Ok(Err(format!("the order could not be looked up: {e}")))
            }
        }
    }

    /// Records an order notice and, where the platform's adapter says so, shows it in the
    /// buyer's conversation as an order card.
    async fn order_notice(&self, shop: &IngestShop, info: &OrderInfo) -> CoreResult<EventOutcome> {
        let recorded =
            refusable(self.record_order(shop, info).await.map(|()| EventOutcome::Order))?;
        if !matches!(recorded, EventOutcome::Order)
            || !self.registry.capabilities(shop.platform.as_str()).order_cards
        {
            return Ok(recorded);
        }
        if let EventOutcome::Refused(error) =
            refusable(self.ingest_message(shop, order_card(info)).await)?
        {
            tracing::warn!(message = "Order card not shown.", order = %info.external_id, %error);
        }
        Ok(EventOutcome::Order)
    }
}
