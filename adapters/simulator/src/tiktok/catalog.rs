//! The TikTok simulator's orders and products (Order API and Product API 202309), for the
//! agents' workbench (TT-WB-1), and the store of uploaded chat images.
//!
//! | call | method + path |
//! |---|---|
//! | Get Order List | `POST /order/202309/orders/search` |
//! | Get Order Detail | `GET /order/202309/orders?ids=…` |
//! | Search Products | `POST /product/202309/products/search` |
//!
//! Paging and sort are query parameters (`page_size` 1–100 required, `page_token`,
//! `sort_field`, `sort_order`), filters are the signed JSON body. Orders filter on
//! `buyer_user_id`, `order_status`, `create_time_ge`/`_lt`, `update_time_ge`/`_lt`;
//! products on `status` (`ALL` or absent: every status; chosen) and `seller_skus`. Order
//! Detail takes 1–50 comma-separated ids and returns those that exist (unknown ids are
//! left out; chosen). Orders list newest first by `create_time` unless asked otherwise;
//! products list newest first (chosen).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::api::{ApiError, Paging, SortOrder};
use super::auth::Scope;
use super::{Order, OrderItem, Product, Shared, Sku, UploadedImage, codes};
use crate::lock;
use crate::per_shop::PerShop;
use crate::server::Received;

/// Order statuses of "Get Order List".
const ORDER_STATUSES: [&str; 9] = [
    "UNPAID",
    "ON_HOLD",
    "PARTIALLY_SHIPPING",
    "AWAITING_SHIPMENT",
    "AWAITING_COLLECTION",
    "IN_TRANSIT",
    "DELIVERED",
    "COMPLETED",
    "CANCELLED",
];

/// Product statuses of "Search Products".
const PRODUCT_STATUSES: [&str; 9] = [
    "ALL",
    "DRAFT",
    "PENDING",
    "FAILED",
    "ACTIVATE",
    "SELLER_DEACTIVATED",
    "PLATFORM_DEACTIVATED",
    "FREEZE",
    "DELETED",
];

/// Most ids one Order Detail call takes.
const MAX_ORDER_IDS: usize = 50;

/// Orders and products per shop, and the uploaded images.
#[derive(Debug)]
pub(crate) struct Catalog {
    pub(crate) orders: PerShop<Order>,
    pub(crate) products: PerShop<Product>,
    pub(crate) images: Vec<UploadedImage>,
    next_image: u64,
}

impl Default for Catalog {
    fn default() -> Catalog {
        Catalog {
            orders: PerShop::new(|order| &order.id),
            products: PerShop::new(|product| &product.id),
            images: Vec::new(),
            next_image: 0,
        }
    }
}

impl Catalog {
    /// A fresh image id.
    pub(crate) fn next_image_id(&mut self) -> String {
        self.next_image += 1;
        format!("sim{:012}", self.next_image)
    }
}

fn invalid(message: &str) -> ApiError {
    ApiError::bad_request(codes::INVALID_PARAMETER, format!("Invalid parameter. {message}"))
}

/// The JSON body as an object (an empty body reads as `{}`).
fn body_object(received: &Received) -> Result<Map<String, Value>, ApiError> {
    if received.body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice(&received.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(invalid("The body must be a JSON object.")),
    }
}

fn text_filter<'a>(body: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(invalid(&format!("`{key}` must be a string."))),
    }
}

fn time_filter(body: &Map<String, Value>, key: &str) -> Result<Option<i64>, ApiError> {
    match body.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| invalid(&format!("`{key}` must be a Unix timestamp."))),
    }
}

/// One of an order's `line_items`.
fn line_item_json(order: &Order, item: &OrderItem) -> Value {
    json!({
        "id": item.id,
        "product_id": item.product_id,
        "product_name": item.product_name,
        "sku_id": item.sku_id,
        "sale_price": item.sale_price,
        "currency": order.currency,
        "display_status": order.status,
    })
}

fn order_json(order: &Order) -> Value {
    let items = order.items.iter().map(|item| line_item_json(order, item));
    json!({
        "id": order.id,
        "user_id": order.user_id,
        "status": order.status,
        "create_time": order.create_time,
        "update_time": order.update_time,
        "payment": { "currency": order.currency, "total_amount": order.total_amount },
        "line_items": items.collect::<Vec<_>>(),
    })
}

/// One of a product's `skus`.
fn sku_json(sku: &Sku) -> Value {
    json!({
        "id": sku.id,
        "seller_sku": sku.seller_sku,
        "price": {
            "currency": sku.currency,
            "sale_price": sku.sale_price,
            "tax_exclusive_price": sku.sale_price,
        },
        "inventory": [{ "warehouse_id": "sim-warehouse-1", "quantity": sku.quantity }],
    })
}

fn product_json(product: &Product) -> Value {
    let skus = product.skus.iter().map(sku_json);
    json!({
        "id": product.id,
        "title": product.title,
        "status": product.status,
        "skus": skus.collect::<Vec<_>>(),
        "sales_regions": ["GB"],
        "create_time": product.create_time,
        "update_time": product.update_time,
    })
}

/// `POST /order/202309/orders/search`.
pub(crate) async fn search_orders(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, Scope::Shop).and_then(|caller| {
        let paging = Paging::of(&received)?;
        let by_update = match received.param("sort_field") {
            None | Some("create_time") => false,
            Some("update_time") => true,
            Some(_) => return Err(invalid("`sort_field` must be create_time or update_time.")),
        };
        let sort_order = SortOrder::of(&received)?;
        let body = body_object(&received)?;
        let buyer = text_filter(&body, "buyer_user_id")?;
        let status = text_filter(&body, "order_status")?;
        if status.is_some_and(|status| !ORDER_STATUSES.contains(&status)) {
            return Err(invalid("Unknown `order_status`."));
        }
        let created_ge = time_filter(&body, "create_time_ge")?;
        let created_lt = time_filter(&body, "create_time_lt")?;
        let updated_ge = time_filter(&body, "update_time_ge")?;
        let updated_lt = time_filter(&body, "update_time_lt")?;
        let state = lock(&sim.state);
        let mut orders = state.catalog.orders.of(&caller.shop_id);
        orders.retain(|order| {
            buyer.is_none_or(|buyer| order.user_id == buyer)
                && status.is_none_or(|status| order.status == status)
                && created_ge.is_none_or(|t| order.create_time >= t)
                && created_lt.is_none_or(|t| order.create_time < t)
                && updated_ge.is_none_or(|t| order.update_time >= t)
                && updated_lt.is_none_or(|t| order.update_time < t)
        });
        let key = |order: &&Order| {
            let time = if by_update { order.update_time } else { order.create_time };
            (time, order.id.clone())
        };
        orders.sort_by_key(key);
        sort_order.arrange(&mut orders);
        let (page, next_page_token) = paging.page(&orders, |order| order_json(order));
        Ok(json!({
            "orders": page,
            "next_page_token": next_page_token,
            "total_count": orders.len(),
        }))
    });
    sim.answer(result)
}

/// `GET /order/202309/orders?ids=…`.
pub(crate) async fn order_detail(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, Scope::Shop).and_then(|caller| {
        let ids: Vec<&str> =
            received.param("ids").map(|ids| ids.split(',').collect()).unwrap_or_default();
        if ids.is_empty() || ids.len() > MAX_ORDER_IDS || ids.iter().any(|id| id.is_empty()) {
            return Err(invalid("`ids` must be 1 to 50 comma-separated order ids."));
        }
        let state = lock(&sim.state);
        let orders: Vec<Value> = ids
            .iter()
            .filter_map(|id| state.catalog.orders.find(&caller.shop_id, id))
            .map(order_json)
            .collect();
        Ok(json!({ "orders": orders }))
    });
    sim.answer(result)
}

/// `POST /product/202309/products/search`.
pub(crate) async fn search_products(
    State(sim): State<Arc<Shared>>, received: Received,
) -> Response {
    let result = sim.verify(&received, Scope::Shop).and_then(|caller| {
        let paging = Paging::of(&received)?;
        let body = body_object(&received)?;
        let status = text_filter(&body, "status")?;
        if status.is_some_and(|status| !PRODUCT_STATUSES.contains(&status)) {
            return Err(invalid("Unknown product `status`."));
        }
        let status = status.filter(|status| *status != "ALL");
        let seller_skus: Option<Vec<&str>> = match body.get("seller_skus") {
            None | Some(Value::Null) => None,
            Some(Value::Array(values)) => Some(
                values
                    .iter()
                    .map(|v| v.as_str().ok_or_else(|| invalid("`seller_skus` are strings.")))
                    .collect::<Result<_, _>>()?,
            ),
            Some(_) => return Err(invalid("`seller_skus` must be a list.")),
        };
        let state = lock(&sim.state);
        let mut products = state.catalog.products.of(&caller.shop_id);
        products.retain(|product| {
            status.is_none_or(|status| product.status == status)
                && seller_skus.as_ref().is_none_or(|skus| {
                    product.skus.iter().any(|sku| skus.contains(&sku.seller_sku.as_str()))
                })
        });
        products.sort_by(|a, b| b.create_time.cmp(&a.create_time).then_with(|| b.id.cmp(&a.id)));
        let (page, next_page_token) = paging.page(&products, |product| product_json(product));
        Ok(json!({
            "products": page,
            "next_page_token": next_page_token,
            "total_count": products.len(),
        }))
    });
    sim.answer(result)
}
