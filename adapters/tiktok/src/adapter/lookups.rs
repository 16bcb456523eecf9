//! The workbench's buyer and order look-ups (TT-WB-1). Orders carry the buyer's
//! `user_id`, chats the `im_user_id`; a conversation's participants link the two. The
//! link is found among the shop's conversations and remembered in the host's key-value
//! state (`buyer:{shop}:{im_user_id}`, `order-buyer:{shop}:{user_id}`).

use std::ops::ControlFlow;

use shopmux_contract::adapter::{
    AdapterError, BuyerProfile, EventBuyer, Host, OrderInfo, ShopConnection,
};

use super::TikTok;
use super::api::Walk;
use crate::wire::{self, OrderDetails, OrderSearchQuery, OrdersPage, Role, SortOrder};
use shopmux_contract::wire::money;

/// A buyer's orders: this many, newest first, in one call (TT-WB-1).
const BUYER_ORDERS_PAGE: u32 = 20;

/// A buyer's two TikTok ids and nickname, as a conversation's participant names them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct BuyerIds {
    im_user_id: String,
    user_id: String,
    nickname: Option<String>,
}

/// Which of a buyer's ids is known.
#[derive(Clone, Copy, Debug)]
enum Lookup<'a> {
    /// The chat's `im_user_id` (the inbox's buyer id).
    ImUserId(&'a str),
    /// The orders' `user_id`.
    UserId(&'a str),
}

impl Lookup<'_> {
    /// Where the host's state keeps the buyer found by this id.
    fn key(self, shop: &ShopConnection) -> String {
        match self {
            Lookup::ImUserId(id) => im_key(shop, id),
            Lookup::UserId(id) => user_key(shop, id),
        }
    }

    /// Whether these are the ids looked for.
    fn matches(self, im_user_id: &str, user_id: &str) -> bool {
        match self {
            Lookup::ImUserId(id) => im_user_id == id,
            Lookup::UserId(id) => user_id == id,
        }
    }
}

fn im_key(shop: &ShopConnection, im_user_id: &str) -> String {
    format!("buyer:{}:{im_user_id}", shop.external_id)
}

fn user_key(shop: &ShopConnection, user_id: &str) -> String {
    format!("order-buyer:{}:{user_id}", shop.external_id)
}

/// A value of the host's state, a failure to read it being a miss (the state is a cache
/// here).
fn cached(host: &dyn Host, key: &str) -> Option<BuyerIds> {
    match host.kv_get(key) {
        Ok(value) => value.and_then(|v| serde_json::from_str(&v).ok()),
        Err(e) => {
            host.log(&format!("TikTok: buyer id cache unreadable: {e}"));
            None
        }
    }
}

fn remember(host: &dyn Host, shop: &ShopConnection, ids: &BuyerIds) {
    let Ok(value) = serde_json::to_string(ids) else {
        return;
    };
    for key in [im_key(shop, &ids.im_user_id), user_key(shop, &ids.user_id)] {
        if let Err(e) = host.kv_put(&key, &value) {
            host.log(&format!("TikTok: buyer id cache not written: {e}"));
        }
    }
}

/// A buyer as the inbox names them, by the chat id.
fn event_buyer(external_id: String, nickname: Option<String>) -> EventBuyer {
    EventBuyer { external_id, nickname, ..EventBuyer::default() }
}

/// An order as the contract carries it, its buyer named by `buyer`.
fn order_info(order: &wire::Order, buyer: EventBuyer) -> OrderInfo {
    OrderInfo {
        external_id: order.id.clone(),
        buyer,
        created_at_ms: order.create_time.map(|s| s * 1000),
        status: order.status.clone(),
        // Neither order call says whether a return or refund is under way.
        reverse_in_progress: None,
        name: None,
        total: order.payment.as_ref().and_then(|payment| {
            let amount = payment.total_amount.as_deref().filter(|a| !a.is_empty())?;
            Some(money(amount, payment.currency.as_deref()))
        }),
        updated_at_ms: order.update_time.map(|s| s * 1000),
        tracking_number: order.tracking_number.clone().filter(|t| !t.trim().is_empty()),
    }
}

impl TikTok {
    /// One order with its buyer: by the chat id when a conversation links them, else by
    /// the order's `user_id`.
    pub(super) fn order(
        &self, host: &dyn Host, shop: &mut ShopConnection, order_external_id: &str,
    ) -> Result<OrderInfo, AdapterError> {
        let details: OrderDetails =
            self.call(host, shop, |ctx| wire::get_order_detail(ctx, &[order_external_id]))?;
        let order =
            details.orders.iter().find(|order| order.id == order_external_id).ok_or_else(|| {
                AdapterError::permanent(
                    "order_not_found",
                    format!("TikTok knows no order {order_external_id} in this shop"),
                )
            })?;
        let user_id = order
            .user_id
            .clone()
            .filter(|id| !id.is_empty())
            .ok_or_else(|| AdapterError::permanent("malformed", "the order names no buyer"))?;
        // The inbox knows buyers by their chat id; an order's `user_id` maps to it
        // through a conversation. A buyer who never chatted keeps the order's id.
        let buyer = match self.buyer_ids(host, shop, Lookup::UserId(&user_id))? {
            Some(ids) => event_buyer(ids.im_user_id, ids.nickname),
            None => event_buyer(user_id, None),
        };
        Ok(order_info(order, buyer))
    }

    /// The buyer's profile with their orders in this shop, newest first.
    pub(super) fn buyer_profile(
        &self, host: &dyn Host, shop: &mut ShopConnection, buyer_external_id: &str,
    ) -> Result<BuyerProfile, AdapterError> {
        // rule: TT-WB-1 — beside a conversation, the buyer's order history in this shop:
        // Get Order List filtered by the buyer's `user_id` (orders do not know the chat's
        // `im_user_id`, so it is mapped through the shop's conversations first).
        let ids =
            self.buyer_ids(host, shop, Lookup::ImUserId(buyer_external_id))?.ok_or_else(|| {
                AdapterError::permanent(
                    "unknown_buyer",
                    format!(
                        "no conversation of this shop has buyer {buyer_external_id}, so \
                         TikTok's user id for their orders is unknown"
                    ),
                )
            })?;
        let page: OrdersPage = self.call(host, shop, |ctx| {
            wire::search_orders(
                ctx,
                &OrderSearchQuery {
                    page_size: BUYER_ORDERS_PAGE,
                    sort_field: Some("create_time".into()),
                    sort_order: Some(SortOrder::Desc),
                    buyer_user_id: Some(ids.user_id.clone()),
                    ..OrderSearchQuery::default()
                },
            )
        })?;
        let buyer = event_buyer(buyer_external_id.to_owned(), ids.nickname.clone());
        let mut orders: Vec<OrderInfo> = page
            .orders
            .iter()
            .filter(|order| order.user_id.as_deref().is_none_or(|user| user == ids.user_id))
            .map(|order| order_info(order, buyer.clone()))
            .collect();
        orders.sort_by_key(|order| std::cmp::Reverse(order.created_at_ms));
        Ok(BuyerProfile {
            external_id: buyer_external_id.to_owned(),
            nickname: ids.nickname,
            // TikTok's `buyer_email` is an anonymized relay it asks sellers not to write to.
            email: None,
            orders_count: page.total_count.and_then(|count| u64::try_from(count).ok()),
            orders,
            ..BuyerProfile::default()
        })
    }

    /// A buyer's ids, from the host's state or else from the shop's conversations
    /// (remembered once found); `None` when no conversation names the buyer.
    fn buyer_ids(
        &self, host: &dyn Host, shop: &mut ShopConnection, lookup: Lookup<'_>,
    ) -> Result<Option<BuyerIds>, AdapterError> {
        if let Some(ids) = cached(host, &lookup.key(shop)) {
            return Ok(Some(ids));
        }
        let walk = self.walk_conversations(host, shop, |shop, page| {
            let buyers = page
                .conversations
                .iter()
                .flat_map(|conversation| &conversation.participants)
                .filter(|participant| participant.role == Role::Buyer);
            for participant in buyers {
                let (Some(im_user_id), Some(user_id)) =
                    (&participant.im_user_id, &participant.user_id)
                else {
                    continue;
                };
                if lookup.matches(im_user_id, user_id) {
                    let ids = BuyerIds {
                        im_user_id: im_user_id.clone(),
                        user_id: user_id.clone(),
                        nickname: Some(participant.nickname.clone()).filter(|n| !n.is_empty()),
                    };
                    remember(host, shop, &ids);
                    return Ok(ControlFlow::Break(ids));
                }
            }
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(match walk {
            Walk::Stopped(ids) => Some(ids),
            Walk::Exhausted | Walk::Limited(_) => None,
        })
    }
}
