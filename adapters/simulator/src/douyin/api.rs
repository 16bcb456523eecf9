//! The Douyin simulator's gateway route, dispatch and reply envelope.
//!
//! One route takes every `POST /{module}/{name}`; the envelope checks run first, then the
//! method runs. GET (still accepted by the real gateway, deprecated) is not simulated: it
//! answers 70000 like an unknown method.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use super::auth::param_text;
use super::codes::{self, sub};
use super::wire::method;
use super::{Order, Shared};
use crate::lock;
use crate::server::{Common, Received, Simulated, accepted_if};

/// A refused call: `code`, `sub_code`, `sub_msg` (always HTTP 200).
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    code: i64,
    sub_code: String,
    sub_msg: String,
}

impl ApiError {
    pub(crate) fn new(code: i64, sub_code: &str, sub_msg: &str) -> ApiError {
        ApiError { code, sub_code: sub_code.to_owned(), sub_msg: sub_msg.to_owned() }
    }
}

/// The `msg` of each top-level code (the platform's wording).
fn code_msg(code: i64) -> &'static str {
    match code {
        codes::SUCCESS => "success",
        codes::SERVICE_UNAVAILABLE => "服务不可用",
        codes::MISSING_PARAMETER => "缺少必选参数（平台校验）",
        codes::MISSING_BUSINESS_PARAMETER => "缺少必选参数（业务校验）",
        codes::INVALID_PARAMETER => "非法的参数（平台校验）",
        codes::TOKEN_FAILED => "平台处理失败",
        codes::BUSINESS_FAILED => "业务处理失败",
        codes::RATE_LIMITED => "触发限流，请稍后重试",
        codes::API_OFFLINE => "接口服务已下线",
        _ => "其他异常",
    }
}

fn envelope(
    common: &Common, status: StatusCode, error: Option<&ApiError>, data: Value,
) -> Response {
    let (code, sub_code, sub_msg) = match error {
        None => (codes::SUCCESS, "", ""),
        Some(error) => (error.code, error.sub_code.as_str(), error.sub_msg.as_str()),
    };
    let body = json!({
        "code": code,
        "msg": code_msg(code),
        "sub_code": sub_code,
        "sub_msg": sub_msg,
        "log_id": common.request_id(),
        "data": data,
    });
    (status, axum::Json(body)).into_response()
}

impl Shared {
    fn answer(&self, result: Result<Value, ApiError>) -> Response {
        match result {
            Ok(data) => envelope(&self.common, StatusCode::OK, None, data),
            Err(error) => {
                tracing::debug!(message = "Refused.", code = error.code, sub_code = %error.sub_code);
                envelope(&self.common, StatusCode::OK, Some(&error), Value::Null)
            }
        }
    }
}

impl Simulated for Shared {
    fn routes() -> Router<Arc<Shared>> {
        Router::new()
            .route("/authorize", axum::routing::get(super::authorize::page))
            .route("/authorize/consent", axum::routing::get(super::authorize::consent))
            .route("/{*method_path}", post(call))
            .fallback(unknown)
            .method_not_allowed_fallback(unknown)
    }

    fn common(&self) -> &Common {
        &self.common
    }

    fn server_error_reply(&self, status: StatusCode) -> Response {
        let error = ApiError::new(
            codes::SERVICE_UNAVAILABLE,
            sub::SERVICE_ERROR,
            "内部错误，请反馈客服或答疑群",
        );
        envelope(&self.common, status, Some(&error), Value::Null)
    }

    fn rate_limited_reply(&self, _retry_after_secs: u32) -> Response {
        let error = ApiError::new(codes::RATE_LIMITED, sub::RATE_LIMITED, "触发限流，请稍后重试");
        envelope(&self.common, StatusCode::OK, Some(&error), Value::Null)
    }
}

async fn unknown(State(sim): State<Arc<Shared>>) -> Response {
    sim.answer(Err(ApiError::new(codes::API_OFFLINE, sub::API_SERVICE_OFF, "API不存在或API已下线")))
}

async fn call(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let call = match sim.verify(&received) {
        Ok(call) => call,
        Err(error) => return sim.answer(Err(error)),
    };
    match call.method.as_str() {
        method::TOKEN_CREATE => {
            let result = sim.token_create(&call.params);
            answer_state_change(&sim, result)
        }
        method::TOKEN_REFRESH => {
            let result = sim.token_refresh(&call.params);
            answer_state_change(&sim, result)
        }
        method::ORDER_DETAIL => {
            let shop_id = call.shop_id.unwrap_or_default();
            sim.answer(order_detail(&sim, &shop_id, &call.params))
        }
        method::PRODUCT_LIST_V2 => {
            let shop_id = call.shop_id.unwrap_or_default();
            sim.answer(product_list(&sim, &shop_id, &call.params))
        }
        _ => sim.answer(Err(ApiError::new(
            codes::API_OFFLINE,
            sub::API_SERVICE_OFF,
            "API不存在或API已下线",
        ))),
    }
}

/// Answers a token call; a success is marked for the accepted-then-* faults.
fn answer_state_change(sim: &Shared, result: Result<Value, ApiError>) -> Response {
    accepted_if(result.is_ok(), sim.answer(result))
}

/// `order.orderDetail` (`shop_order_id`) within the token's shop.
fn order_detail(
    sim: &Shared, shop_id: &str, params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let order_id =
        param_text(params, "shop_order_id").filter(|id| !id.is_empty()).ok_or_else(|| {
            ApiError::new(
                codes::MISSING_BUSINESS_PARAMETER,
                &format!("{}:shop_order_id", sub::MISSING_BUSINESS_PARAMETER),
                "缺少shop_order_id",
            )
        })?;
    let state = lock(&sim.state);
    let order = state
        .orders
        .find(shop_id, &order_id)
        .ok_or_else(|| ApiError::new(codes::BUSINESS_FAILED, sub::ORDER_NOT_FOUND, "订单不存在"))?;
    Ok(
        json!({ "shop_order_detail": order_json(shop_id, sim.shop_name(shop_id).unwrap_or_default(), order) }),
    )
}

fn order_json(shop_id: &str, shop_name: &str, order: &Order) -> Value {
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|item| {
            json!({
                "order_id": item.order_id,
                "parent_order_id": order.order_id,
                "product_id": item.product_id,
                "product_name": item.product_name,
                "sku_id": crate::id_value(&item.sku_id),
                "item_num": item.item_num,
                "pay_amount": item.pay_amount,
                "order_status": order.order_status,
                "order_status_desc": order.order_status_desc,
                "create_time": order.create_time,
            })
        })
        .collect();
    let logistics: Vec<Value> = order
        .tracking_no
        .iter()
        .map(|no| json!({"tracking_no": no, "company": "zhongtong", "company_name": "中通快递"}))
        .collect();
    json!({
        "order_id": order.order_id,
        "shop_id": crate::id_value(shop_id),
        "shop_name": shop_name,
        "order_status": order.order_status,
        "order_status_desc": order.order_status_desc,
        "create_time": order.create_time,
        "update_time": order.update_time,
        "order_amount": order.order_amount,
        "pay_amount": order.pay_amount,
        "doudian_open_id": order.doudian_open_id,
        "buyer_words": order.buyer_words,
        "sku_order_list": items,
        "logistics_info": logistics,
    })
}

/// A required whole-number business parameter within `range`.
fn page_param(
    params: &Map<String, Value>, key: &str, range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ApiError> {
    let value = params.get(key).filter(|v| !v.is_null()).ok_or_else(|| {
        ApiError::new(
            codes::MISSING_BUSINESS_PARAMETER,
            &format!("{}:{key}", sub::MISSING_BUSINESS_PARAMETER),
            &format!("缺少{key}"),
        )
    })?;
    value
        .as_i64()
        .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
        .filter(|number| range.contains(number))
        .ok_or_else(|| {
            ApiError::new(
                codes::INVALID_PARAMETER,
                sub::PARAMETER_INVALID,
                &format!("{key}取值范围为{}~{}", range.start(), range.end()),
            )
        })
}

/// An optional whole-number filter.
fn filter_param(params: &Map<String, Value>, key: &str) -> Result<Option<i64>, ApiError> {
    match params.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .or_else(|| value.as_str().and_then(|text| text.parse().ok()))
            .map(Some)
            .ok_or_else(|| {
                ApiError::new(
                    codes::INVALID_PARAMETER,
                    sub::PARAMETER_INVALID,
                    &format!("{key}必须为整数"),
                )
            }),
    }
}

/// `product.listV2` within the token's shop.
fn product_list(
    sim: &Shared, shop_id: &str, params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let page = page_param(params, "page", 1..=100)?;
    let size = page_param(params, "size", 1..=100)?;
    if page * size > 10_000 {
        return Err(ApiError::new(
            codes::INVALID_PARAMETER,
            sub::PARAMETER_INVALID,
            "page*size最大不能超过1万条",
        ));
    }
    let status = filter_param(params, "status")?;
    let check_status = filter_param(params, "check_status")?;
    let name = param_text(params, "name").filter(|name| !name.is_empty());
    let ids: Option<Vec<String>> = match params.get("product_id") {
        None | Some(Value::Null) => None,
        Some(Value::Array(ids)) => Some(
            ids.iter()
                .filter_map(|id| match id {
                    Value::String(text) => Some(text.clone()),
                    Value::Number(number) => Some(number.to_string()),
                    _ => None,
                })
                .collect(),
        ),
        Some(_) => {
            return Err(ApiError::new(
                codes::INVALID_PARAMETER,
                sub::PARAMETER_INVALID,
                "product_id必须为数组",
            ));
        }
    };
    let state = lock(&sim.state);
    let mut products = state.products.of(shop_id);
    products.retain(|product| {
        status.is_none_or(|status| product.status == status)
            && check_status.is_none_or(|check| product.check_status == check)
            && name.as_deref().is_none_or(|name| product.name.contains(name))
            && ids.as_ref().is_none_or(|ids| ids.contains(&product.product_id))
    });
    products.sort_by(|a, b| {
        b.create_time.cmp(&a.create_time).then_with(|| b.product_id.cmp(&a.product_id))
    });
    let total = products.len();
    let skip = usize::try_from((page - 1) * size).unwrap_or(usize::MAX);
    let take = usize::try_from(size).unwrap_or_default();
    let data: Vec<Value> = products
        .iter()
        .skip(skip)
        .take(take)
        .map(|product| {
            json!({
                "product_id": crate::id_value(&product.product_id),
                "name": product.name,
                "discount_price": product.discount_price,
                "market_price": product.market_price,
                "status": product.status,
                "check_status": product.check_status,
                "img": product.img,
                "product_type": 0,
                "create_time": product.create_time,
                "update_time": product.create_time,
            })
        })
        .collect();
    Ok(json!({ "data": data, "total": total, "page": page, "size": size }))
}
