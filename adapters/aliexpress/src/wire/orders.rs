//! Order look-ups, the context of a conversation (AE-WIN-3, AE-INIT-1, the agents' buyer
//! panel): one order (`aliexpress.solution.order.info.get`) and a buyer's orders
//! (`aliexpress.solution.order.get`), their JSON parameter and their replies; the
//! look-up's parcels carry the tracking numbers (`logistic_info_list[].logistics_no`;
//! the list carries none). Order dates are US Pacific time ([`pacific`](super::pacific)).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::reply::{Refusable, Refusal, Reply, TopList, lenient};
use super::request::{RequestContext, WireRequest, business_request, params};
use super::{WireError, method};

/// An id as JSON: a number when it is all digits and fits `i64`, otherwise a string.
fn id_json(id: &str) -> Value {
    match id.parse::<i64>() {
        Ok(number) if number >= 0 && (!id.starts_with('0') || id == "0") => Value::from(number),
        _ => Value::from(id),
    }
}

/// [`method::ORDER_INFO_GET`]: one order, `param1` = `{"order_id": …}` (TOP
/// `OrderDetailQuery`).
pub fn order_info(ctx: &RequestContext<'_>, order_id: &str) -> Result<WireRequest, WireError> {
    let param1 = serde_json::json!({ "order_id": id_json(order_id) }).to_string();
    business_request(ctx, method::ORDER_INFO_GET, params([("param1", param1)]))
}

/// The `param0` of [`method::ORDER_GET`] (TOP `OrderQuery`). Dates are
/// `yyyy-MM-dd HH:mm:ss` in US Pacific time ([`pacific_datetime`](super::pacific_datetime)). Without a status the
/// platform leaves out finished orders (`FINISH` must be asked for alone).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderQuery {
    /// `buyer_login_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_login_id: Option<String>,
    /// `create_date_start`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_date_start: Option<String>,
    /// `create_date_end`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_date_end: Option<String>,
    /// `current_page`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current_page: Option<u32>,
    /// `page_size`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// `order_status`: one status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_status: Option<String>,
}

/// [`method::ORDER_GET`]: the shop's orders matching `query`.
pub fn order_list(ctx: &RequestContext<'_>, query: &OrderQuery) -> Result<WireRequest, WireError> {
    let param0 = serde_json::to_string(query)?;
    business_request(ctx, method::ORDER_GET, params([("param0", param0)]))
}

/// Body of the [`method::ORDER_INFO_GET`] reply.
pub type OrderInfoReply = Reply<OrderResult>;

/// Body of the [`method::ORDER_GET`] reply.
pub type OrderListReply = Reply<OrderResult>;

/// `result` of the order look-up.
pub type OrderInfoResult = OrderResult;

/// `result` of the order list.
pub type OrderListResult = OrderResult;

/// `result` of both order APIs: whether the call succeeded, and the look-up's `data` or
/// the list's `total_count` and `target_list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderResult {
    /// `success`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub success: Option<bool>,
    /// `error_code`.
    #[serde(deserialize_with = "lenient::opt_string", skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// `error_message` (also read as `error_msg`).
    #[serde(alias = "error_msg", skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
    /// `data`: the order (the look-up).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<OrderDetail>,
    /// `total_count` (the list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_count: Option<i64>,
    /// `target_list` (the list; `{"order_dto": [...]}` in TOP JSON).
    #[serde(deserialize_with = "lenient::list")]
    pub target_list: TopList<OrderSummary>,
}

/// Refused when it says `success: false`; a look-up's reply without `data` is no order
/// either, which the caller finds out.
impl Refusable for OrderResult {
    fn refusal(&self) -> Option<Refusal<'_>> {
        let succeeded = self.success != Some(false);
        Refusal::unless(succeeded, &self.error_code, &self.error_message)
    }
}

/// An order as the look-up returns it (TOP `TpOpenOrderDetailDTO` as JSON).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderDetail {
    /// `id`: the order id.
    #[serde(deserialize_with = "lenient::opt_string", skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `buyerloginid`: the buyer's login id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyerloginid: Option<String>,
    /// The buyer's name, the date and the statuses.
    #[serde(flatten)]
    pub facts: OrderFacts,
    /// `logistic_info_list`: the parcels shipped (TOP `AeopTpLogisticInfoDto`, wrapped as
    /// `{"aeop_tp_logistic_info_dto": [...]}` in TOP JSON); empty before shipping.
    #[serde(deserialize_with = "lenient::list")]
    pub logistic_info_list: TopList<LogisticInfo>,
}

/// One parcel of an order (TOP `AeopTpLogisticInfoDto`): its tracking number, the
/// logistics service that carries it and when it was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogisticInfo {
    /// `logistics_no`: the tracking number.
    #[serde(deserialize_with = "lenient::opt_string", skip_serializing_if = "Option::is_none")]
    pub logistics_no: Option<String>,
    /// `logistics_service_name`: the logistics service's key (`CAINIAO_STANDARD`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logistics_service_name: Option<String>,
    /// `gmt_send`: when it was sent, `yyyy-MM-dd HH:mm:ss` US Pacific time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_send: Option<String>,
}

/// One order of the list (TOP `OrderDto`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// `order_id`.
    #[serde(deserialize_with = "lenient::string")]
    pub order_id: String,
    /// `buyer_login_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_login_id: Option<String>,
    /// The buyer's name, the date and the statuses.
    #[serde(flatten)]
    pub facts: OrderFacts,
}

/// What both order APIs say of an order under the same names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OrderFacts {
    /// `buyer_signer_fullname`: the buyer's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub buyer_signer_fullname: Option<String>,
    /// `gmt_create`: `yyyy-MM-dd HH:mm:ss`, US Pacific time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gmt_create: Option<String>,
    /// `order_status`, e.g. `WAIT_SELLER_SEND_GOODS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_status: Option<String>,
    /// `issue_status`: `NO_ISSUE`, `IN_ISSUE` (a dispute is open), `END_ISSUE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issue_status: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::fixtures::ctx;
    use crate::wire::parse_reply;

    #[test]
    fn order_look_ups_carry_their_json_parameter() {
        let request = order_info(&ctx(), "8100000000000001").expect("builds");
        assert_eq!(request.param("method"), Some(method::ORDER_INFO_GET));
        assert_eq!(request.param("param1"), Some(r#"{"order_id":8100000000000001}"#));
        let request = order_list(
            &ctx(),
            &OrderQuery {
                buyer_login_id: Some("us1234567".into()),
                page_size: Some(20),
                ..OrderQuery::default()
            },
        )
        .expect("builds");
        assert_eq!(
            request.param("param0"),
            Some(r#"{"buyer_login_id":"us1234567","page_size":20}"#)
        );
        let reply = br#"{"aliexpress_solution_order_info_get_response":{"result":{"success":true,"data":{"id":8100000000000001,"buyerloginid":"us1234567","buyer_signer_fullname":"Ann","gmt_create":"2023-07-01 11:30:00","order_status":"FINISH","issue_status":"END_ISSUE"}}}}"#;
        let parsed: OrderInfoReply = parse_reply(method::ORDER_INFO_GET, reply).expect("parses");
        let order = parsed.result.data.expect("an order");
        assert_eq!(order.id.as_deref(), Some("8100000000000001"));
        assert_eq!(order.buyerloginid.as_deref(), Some("us1234567"));
        assert!(order.logistic_info_list.into_vec().is_empty(), "not shipped");
    }

    #[test]
    fn an_order_look_up_carries_its_parcels_tracking_numbers() {
        let reply = br#"{"aliexpress_solution_order_info_get_response":{"result":{"success":true,"data":{"id":8100000000000002,"order_status":"WAIT_BUYER_ACCEPT_GOODS","logistic_info_list":{"aeop_tp_logistic_info_dto":[{"logistics_no":"LP00123456789012","logistics_service_name":"CAINIAO_STANDARD","gmt_send":"2023-07-02 09:00:00","receive_status":"default"}]}}}}}"#;
        let parsed: OrderInfoReply = parse_reply(method::ORDER_INFO_GET, reply).expect("parses");
        let parcels = parsed.result.data.expect("an order").logistic_info_list.into_vec();
        assert_eq!(parcels[0].logistics_no.as_deref(), Some("LP00123456789012"));
        assert_eq!(parcels[0].gmt_send.as_deref(), Some("2023-07-02 09:00:00"));
        let plain = br#"{"aliexpress_solution_order_info_get_response":{"result":{"success":true,"data":{"id":1,"logistic_info_list":[{"logistics_no":12345}]}}}}"#;
        let parsed: OrderInfoReply = parse_reply(method::ORDER_INFO_GET, plain).expect("parses");
        let parcels = parsed.result.data.expect("an order").logistic_info_list.into_vec();
        assert_eq!(parcels[0].logistics_no.as_deref(), Some("12345"), "a plain list, a number");
    }
}
