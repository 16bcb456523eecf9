//! Shopping carts in the chat (SH-CART-1): a storefront customer tied to the cart their
//! widget reported, and a cart notice turned into cart events in that customer's
//! conversation. A cart no chat customer reported is remembered but shows nowhere; an
//! older notice than the last one applied changes nothing; redeliveries store nothing
//! twice.

use crate::clock::to_millis;
use crate::domain::carts::{Lines, cart_events, normalize_cart_token};
use crate::domain::ids::ShopId;
use crate::domain::inbound::{InboundBuyer, InboundMessage};
use crate::domain::shop_settings::IngestShop;
use crate::domain::viewer::hash_token;
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use crate::storage::storefront;
use chrono::DateTime;
use shopmux_contract::adapter::CartLineInfo;

/// What a cart notice became.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CartOutcome {
    /// Cart events stored in the customer's conversation (0 to 2: added, removed).
    pub events: usize,
    /// Whether the cart belongs to no chat customer (nothing to show).
    pub unmatched: bool,
}

/// A cart notice.
#[derive(Clone, Copy, Debug)]
pub struct CartNotice<'a> {
    /// The cart's token.
    pub cart_token: &'a str,
    /// Every line of the cart now.
    pub lines: &'a [CartLineInfo],
    /// The subtotal now.
    pub subtotal: Option<&'a str>,
    /// When the cart changed, Unix milliseconds.
    pub updated_at_ms: Option<i64>,
}

fn keyed(lines: &[CartLineInfo]) -> Lines {
    lines.iter().map(|l| (l.key.clone(), l.clone())).collect()
}

impl Inbox {
    /// Ties a storefront chat customer to their shopping cart (the widget reports the
    /// cart token it reads from the store), so cart notices reach their conversation.
    /// Only a customer the platform proved (a proxy-verified session) binds a cart: an
    /// anonymous session's cart token is refused (`NotFound("session")`), so nobody
    /// reads another's cart by reporting its token.
    pub async fn set_storefront_cart(
        &self, shop_id: ShopId, session_token: &str, cart_token: &str,
    ) -> CoreResult<()> {
        let cart_token = normalize_cart_token(cart_token)?;
        let mut w = self.store.begin_write().await?;
        let found =
            storefront::set_cart(&mut w, shop_id, hash_token(session_token), &cart_token).await?;
        w.commit().await?;
        if !found {
            return Err(CoreError::NotFound("session"));
        }
        Ok(())
    }

    /// Turns a cart notice into cart events in the chat customer's conversation: what was
    /// added and what was removed since the cart's last known state (SH-CART-1).
    pub async fn record_cart(
        &self, shop: &IngestShop, notice: CartNotice<'_>,
    ) -> CoreResult<CartOutcome> {
        let cart_token = normalize_cart_token(notice.cart_token)?;
        if notice.lines.len() > 500 {
            return Err(CoreError::invalid("lines", "at most 500 cart lines"));
        }
        let stored = storefront::cart(&self.store, shop.shop_id, &cart_token).await?;
        let now = to_millis(self.clock.now());
        let at = notice.updated_at_ms.unwrap_or(now).min(now);
        let before = match stored {
            Some((_, previous_at)) if at < previous_at => return Ok(CartOutcome::default()),
            Some((lines, _)) => keyed(&lines),
            None => Lines::new(),
        };
        let customer = storefront::customer_of_cart(&self.store, shop.shop_id, &cart_token).await?;
        let mut outcome = CartOutcome { unmatched: customer.is_none(), ..Default::default() };
        if let Some(customer) = customer {
            let buyer = InboundBuyer {
                email: customer.confirmed_email(),
                external_id: customer.buyer_external_id,
                nickname: customer.nickname,
                language: None,
                platform_conversation_id: None,
            };
            for (tag, content) in cart_events(&before, &keyed(notice.lines), notice.subtotal) {
                let message = InboundMessage {
                    buyer: buyer.clone(),
                    platform_message_id: format!("cart:{cart_token}:{at}:{tag}"),
                    content,
                    sent_at: DateTime::from_timestamp_millis(at),
                    order: None,
                    entry_point: None,
                    analysis: Default::default(),
                    index_terms: None,
                };
                if !self.ingest(shop.clone(), message).await?.duplicate {
                    outcome.events += 1;
                }
            }
        }
        // The new state is written after the events: a crash in between redelivers the
        // same events (same ids, stored once) instead of losing them.
        let mut w = self.store.begin_write().await?;
        storefront::put_cart(&mut w, shop.shop_id, &cart_token, notice.lines, at).await?;
        w.commit().await?;
        Ok(outcome)
    }
}
