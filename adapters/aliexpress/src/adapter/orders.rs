//! Order and buyer look-ups: one order with its buyer (`aliexpress.solution.order.info.get`)
//! and a buyer's orders of the last 180 days, newest first (`aliexpress.solution.order.get`;
//! finished orders are not in its default list). Dates are US Pacific time; an open
//! dispute (`IN_ISSUE`) is a return in progress. The look-up's parcels
//! (`logistic_info_list`) give the order's tracking number: the latest parcel sent's.

use shopmux_contract::adapter::{AdapterError, BuyerProfile, OrderInfo};

use super::errors::business_failure;
use super::session::{Session, to_time};
use crate::wire::{
    self, LogisticInfo, OrderFacts, OrderInfoReply, OrderListReply, OrderQuery, Refusal, method,
};

/// A buyer panel lists the orders of this many days (the order list's default range).
const BUYER_ORDERS_DAYS: i64 = 180;

/// An order from what both order APIs say of it: its date (US Pacific time), status, and
/// whether a dispute is open; the buyer named with their name.
fn order_info(external_id: String, buyer_login_id: String, facts: OrderFacts) -> OrderInfo {
    OrderInfo {
        external_id,
        buyer: super::buyer(buyer_login_id, facts.buyer_signer_fullname),
        created_at_ms: facts
            .gmt_create
            .as_deref()
            .and_then(wire::parse_pacific)
            .map(|at| at.timestamp_millis()),
        status: facts.order_status,
        reverse_in_progress: facts.issue_status.map(|s| s == "IN_ISSUE"),
        ..OrderInfo::default()
    }
}

/// The tracking number of the latest parcel sent (by `gmt_send`; parcels without a date
/// count as listed, the later ones later), if any has one.
fn tracking_number(parcels: Vec<LogisticInfo>) -> Option<String> {
    let sent = |p: &LogisticInfo| p.gmt_send.as_deref().and_then(wire::parse_pacific);
    parcels
        .into_iter()
        .enumerate()
        .filter(|(_, p)| p.logistics_no.as_deref().is_some_and(|n| !n.trim().is_empty()))
        .max_by_key(|(i, p)| (sent(p), *i))
        .and_then(|(_, p)| p.logistics_no.map(|n| n.trim().to_owned()))
}

/// One order with its buyer and its tracking number.
pub(super) fn fetch_order(
    session: &mut Session<'_>, order_external_id: &str,
) -> Result<OrderInfo, AdapterError> {
    let reply: OrderInfoReply =
        session.call(method::ORDER_INFO_GET, |ctx| wire::order_info(ctx, order_external_id))?;
    let result = reply.result;
    let Some(order) = result.data else {
        return Err(business_failure(Refusal {
            code: result.error_code.as_deref(),
            message: result.error_message.as_deref(),
        }));
    };
    let tracking_number = tracking_number(order.logistic_info_list.into_vec());
    let info = order_info(
        order.id.unwrap_or_else(|| order_external_id.to_owned()),
        order.buyerloginid.unwrap_or_default(),
        order.facts,
    );
    Ok(OrderInfo { tracking_number, ..info })
}

/// A buyer with their orders of the last 180 days, newest first, and their name.
pub(super) fn fetch_buyer(
    session: &mut Session<'_>, buyer_external_id: &str,
) -> Result<BuyerProfile, AdapterError> {
    let now = to_time(session.host.now_unix_ms());
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
        .filter(|o| o.buyer_login_id.as_deref().is_none_or(|b| b == buyer_external_id))
        .map(|o| order_info(o.order_id, buyer_external_id.to_owned(), o.facts))
        .collect();
    orders.sort_by_key(|o| std::cmp::Reverse(o.created_at_ms));
    Ok(BuyerProfile {
        external_id: buyer_external_id.to_owned(),
        nickname: orders.iter().find_map(|o| o.buyer.nickname.clone()),
        orders,
        ..BuyerProfile::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parcel(no: &str, sent: Option<&str>) -> LogisticInfo {
        LogisticInfo {
            logistics_no: Some(no.into()),
            gmt_send: sent.map(str::to_owned),
            ..LogisticInfo::default()
        }
    }

    #[test]
    fn the_latest_parcel_sent_gives_the_tracking_number() {
        assert_eq!(tracking_number(vec![]), None);
        let parcels = vec![
            parcel("LP2", Some("2023-07-03 10:00:00")),
            parcel("LP1", Some("2023-07-01 10:00:00")),
            parcel(" ", Some("2023-07-09 10:00:00")),
        ];
        assert_eq!(tracking_number(parcels).as_deref(), Some("LP2"));
        let undated = vec![parcel("LP1", None), parcel("LP2", None)];
        assert_eq!(tracking_number(undated).as_deref(), Some("LP2"), "the last listed");
    }
}
