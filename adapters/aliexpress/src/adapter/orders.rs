//! Order and buyer look-ups: one order with its buyer (`aliexpress.solution.order.info.get`)
//! and a buyer's orders of the last 180 days, newest first (`aliexpress.solution.order.get`;
//! finished orders are not in its default list). Dates are US Pacific time; an open
//! dispute (`IN_ISSUE`) is a return in progress.

use shopmux_contract::adapter::{
    AdapterError, BuyerProfile, EventBuyer, Host, OrderInfo, ShopConnection,
};

use super::errors::business_failure;
use super::session::{Session, to_time};
use crate::wire::{self, OrderInfoReply, OrderListReply, OrderQuery, Refusal, method};

/// A buyer panel lists the orders of this many days (the order list's default range).
const BUYER_ORDERS_DAYS: i64 = 180;

/// An order from what both order APIs say of it: its date (US Pacific time), status, and
/// whether a dispute is open.
fn order_info(
    external_id: String,
    buyer: EventBuyer,
    gmt_create: Option<&str>,
    status: Option<&str>,
    issue_status: Option<&str>,
) -> OrderInfo {
    OrderInfo {
        external_id,
        buyer,
        created_at_ms: gmt_create
            .and_then(wire::parse_pacific)
            .map(|at| at.timestamp_millis()),
        status: status.map(str::to_owned),
        reverse_in_progress: issue_status.map(|s| s == "IN_ISSUE"),
        ..OrderInfo::default()
    }
}

/// One order with its buyer.
pub(super) fn fetch_order(
    host: &dyn Host,
    shop: &ShopConnection,
    order_external_id: &str,
) -> Result<OrderInfo, AdapterError> {
    let mut session = Session::open(host, shop)?;
    let reply: OrderInfoReply = session.call(method::ORDER_INFO_GET, |ctx| {
        wire::order_info(ctx, order_external_id)
    })?;
    let result = reply.result;
    let Some(order) = result.data else {
        return Err(business_failure(Refusal {
            code: result.error_code.as_deref(),
            message: result.error_message.as_deref(),
        }));
    };
    let buyer = super::buyer(
        order.buyerloginid.clone().unwrap_or_default(),
        order.buyer_signer_fullname.clone(),
    );
    Ok(order_info(
        order.id.unwrap_or_else(|| order_external_id.to_owned()),
        buyer,
        order.gmt_create.as_deref(),
        order.order_status.as_deref(),
        order.issue_status.as_deref(),
    ))
}

/// A buyer with their orders of the last 180 days, newest first, and their name.
pub(super) fn fetch_buyer(
    host: &dyn Host,
    shop: &ShopConnection,
    buyer_external_id: &str,
) -> Result<BuyerProfile, AdapterError> {
    let mut session = Session::open(host, shop)?;
    let now = to_time(host.now_unix_ms());
    let query = OrderQuery {
        buyer_login_id: Some(buyer_external_id.to_owned()),
        create_date_start: Some(wire::pacific_datetime(
            now - chrono::TimeDelta::days(BUYER_ORDERS_DAYS),
        )),
        create_date_end: Some(wire::pacific_datetime(now)),
        current_page: Some(1),
        page_size: Some(50),
        order_status: None,
    };
    let reply: OrderListReply =
        session.call(method::ORDER_GET, |ctx| wire::order_list(ctx, &query))?;
    let mut orders: Vec<OrderInfo> = reply
        .result
        .target_list
        .into_vec()
        .into_iter()
        .filter(|o| {
            o.buyer_login_id
                .as_deref()
                .is_none_or(|b| b == buyer_external_id)
        })
        .map(|o| {
            let buyer = super::buyer(buyer_external_id.to_owned(), o.buyer_signer_fullname);
            let (created, status) = (o.gmt_create.as_deref(), o.order_status.as_deref());
            order_info(
                o.order_id,
                buyer,
                created,
                status,
                o.issue_status.as_deref(),
            )
        })
        .collect();
    orders.sort_by_key(|o| std::cmp::Reverse(o.created_at_ms));
    Ok(BuyerProfile {
        external_id: buyer_external_id.to_owned(),
        nickname: orders.iter().find_map(|o| o.buyer.nickname.clone()),
        orders,
        ..BuyerProfile::default()
    })
}
