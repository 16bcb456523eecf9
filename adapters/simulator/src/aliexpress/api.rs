//! The AliExpress simulator's routes, request checks and handlers (§3.1–3.3).
//!
//! Parameters are read from the query string and the form-encoded body together (the
//! IOP SDK posts them all in the body; the doc's sample puts `method` in the query), and
//! every one of them is signed; one with an empty value is refused (`InvalidParameter`). Paging: `page_size` at most 100, `current_page` from 1.
//! Relations list most recently active first; a relation's messages newest first, with
//! `gmt_create` in epoch milliseconds (the real format is not in our sources).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::sign::iop_sign;
use super::wire::{self, CreateMessage, MessageKind, OrderQuery, PageQuery, RelationQuery, method};
use super::{
    BuyerMessage, MessageSnapshot, Order, RelationSnapshot, Seller, SentMessage, Shared, codes,
};
use crate::iop::{self, error_body};
use crate::server::{Common, Received, Simulated, accepted, accepted_if};
use crate::signing::same_hex;
use crate::tokens::TokenProblem;
use crate::{MAX_PAGE_SIZE, lock};

const SYNC: &str = "/sync";
const TOKEN_REFRESH: &str = "/rest/auth/token/refresh";

/// Most characters a message may carry (the simulator's bound).
const CONTENT_MAX_CHARS: usize = 2000;

/// A gateway refusal: `type`, `code`, `message`.
#[derive(Debug, Clone)]
pub(crate) struct GatewayError {
    kind: &'static str,
    code: &'static str,
    message: String,
}

impl GatewayError {
    fn isv(code: &'static str, message: impl Into<String>) -> GatewayError {
        GatewayError { kind: "ISV", code, message: message.into() }
    }
}

impl Shared {
    /// A gateway error, HTTP 200 with the IOP error body.
    fn refuse(&self, error: &GatewayError) -> Response {
        tracing::debug!(message = "Refused.", code = error.code, reason = %error.message);
        axum::Json(error_body(&self.common, error.kind, error.code, &error.message)).into_response()
    }

    /// A business reply: `{"<method>_response": {…body, request_id}}`.
    fn reply(&self, api: &str, mut body: Value) -> Response {
        if let Value::Object(map) = &mut body {
            map.insert("request_id".into(), Value::from(self.common.request_id()));
        }
        axum::Json(json!({ wire::response_key(api): body })).into_response()
    }
}

impl Simulated for Shared {
    fn routes() -> Router<Arc<Shared>> {
        Router::new()
            .route(SYNC, post(business))
            .route(TOKEN_REFRESH, post(refresh_token))
            .route("/rest/auth/token/create", post(create_token))
            .route("/oauth/authorize", axum::routing::get(super::authorize::page))
            .route("/oauth/authorize/consent", axum::routing::get(super::authorize::consent))
            .fallback(invalid_api)
            .method_not_allowed_fallback(invalid_api)
    }

    fn common(&self) -> &Common {
        &self.common
    }

    fn server_error_reply(&self, status: StatusCode) -> Response {
        let message = "The service is temporarily unavailable";
        iop::server_error(&self.common, status, message)
    }

    fn rate_limited_reply(&self, _retry_after_secs: u32) -> Response {
        let message = "The request has exceeded the allowed limit";
        let body = error_body(&self.common, "ISP", codes::API_CALL_LIMIT, message);
        axum::Json(body).into_response()
    }
}

// ---------------------------------------------------------------------------------------------
// Parameters and checks
// ---------------------------------------------------------------------------------------------

/// `application/x-www-form-urlencoded` pairs: `+` is a space, `%XX` a byte; `None` when
/// the bytes are not valid percent-encoded UTF-8.
fn form_decode(body: &[u8]) -> Option<Vec<(String, String)>> {
    fn decode(part: &[u8]) -> Option<String> {
        let mut out = Vec::with_capacity(part.len());
        let mut i = 0;
        while i < part.len() {
            match part[i] {
                b'+' => out.push(b' '),
                b'%' => {
                    let hex = part.get(i + 1..i + 3)?;
                    let hex = std::str::from_utf8(hex).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 2;
                }
                byte => out.push(byte),
            }
            i += 1;
        }
        String::from_utf8(out).ok()
    }
    body.split(|b| *b == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |b| *b == b'=');
            let key = decode(parts.next().unwrap_or_default())?;
            let value = decode(parts.next().unwrap_or_default())?;
            Some((key, value))
        })
        .collect()
}

/// Every parameter received, query first.
fn params(received: &Received) -> Result<Vec<(String, String)>, GatewayError> {
    let mut all = received.query.clone().ok_or_else(|| {
        GatewayError::isv(codes::INVALID_PARAMETER, "The query string cannot be decoded")
    })?;
    all.extend(form_decode(&received.body).ok_or_else(|| {
        GatewayError::isv(codes::INVALID_PARAMETER, "The body is not a decodable form")
    })?);
    // AliExpress's official samples disagree on whether an empty-valued parameter is
    // signed (the Java and C# samples skip it, the Python SDKs sign its key): the
    // simulator refuses one outright, so a client that sends one fails a test whichever
    // way it signed it.
    if let Some((key, _)) = all.iter().find(|(_, value)| value.is_empty()) {
        return Err(GatewayError::isv(
            codes::INVALID_PARAMETER,
            format!("The parameter `{key}` has an empty value: leave it out"),
        ));
    }
    Ok(all)
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params.iter().find(|(name, _)| name == key).map(|(_, value)| value.as_str())
}

fn required<'a>(params: &'a [(String, String)], key: &str) -> Result<&'a str, GatewayError> {
    param(params, key)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            GatewayError::isv(
                codes::MISSING_PARAMETER,
                format!("The input parameter `{key}` that is mandatory for processing this request is not supplied"),
            )
        })
}

impl Shared {
    /// The checks every call shares, in the module's order; `system_path` is the system
    /// API's path, or `None` for a business API (whose method is taken from the
    /// parameters). Returns the API name.
    fn check_signed(
        &self, params: &[(String, String)], system_path: Option<&str>,
    ) -> Result<String, GatewayError> {
        if param(params, "app_key") != Some(self.common.app_key.as_str()) {
            return Err(GatewayError::isv(
                codes::INVALID_APP_KEY,
                "The specified app key is invalid",
            ));
        }
        let sign = required(params, "sign")?;
        if param(params, "sign_method") != Some("sha256") {
            return Err(GatewayError::isv(
                codes::INVALID_PARAMETER,
                "`sign_method` must be sha256",
            ));
        }
        let now = self.common.now().timestamp_millis();
        let timestamp = required(params, "timestamp")?.parse::<i64>().map_err(|_| {
            GatewayError::isv(codes::INVALID_TIMESTAMP, "`timestamp` must be epoch milliseconds")
        })?;
        if (now - timestamp).abs() > self.common.timestamp_tolerance.num_milliseconds() {
            return Err(GatewayError::isv(
                codes::INVALID_TIMESTAMP,
                "`timestamp` is too far from the server time",
            ));
        }
        let api = match system_path {
            Some(path) => path.to_owned(),
            None => required(params, "method")?.to_owned(),
        };
        let pairs = params.iter().map(|(key, value)| (key.as_str(), value.as_str()));
        if !same_hex(&iop_sign(&self.common.app_secret, system_path, pairs), sign) {
            return Err(GatewayError::isv(
                codes::INCOMPLETE_SIGNATURE,
                "The request signature does not conform to platform standards",
            ));
        }
        Ok(api)
    }

    /// The seller whose token (`session`, or `access_token`) the call carries.
    fn caller(&self, params: &[(String, String)]) -> Result<String, GatewayError> {
        let token =
            param(params, "session").or_else(|| param(params, "access_token")).unwrap_or_default();
        let now = self.common.now();
        lock(&self.state).tokens.check_access(token, now).map(str::to_owned).map_err(|_| {
            GatewayError::isv(
                codes::ILLEGAL_ACCESS_TOKEN,
                "The specified access token is invalid or expired",
            )
        })
    }
}

fn json_param<T: serde::de::DeserializeOwned>(
    params: &[(String, String)], key: &str,
) -> Result<T, GatewayError> {
    serde_json::from_str(required(params, key)?).map_err(|e| {
        GatewayError::isv(
            codes::INVALID_PARAMETER,
            format!("`{key}` is not the expected JSON: {e}"),
        )
    })
}

/// `current_page` (from 1) and `page_size` (1–100) as (offset, size).
fn paging(query: &PageQuery) -> Result<(usize, usize), GatewayError> {
    let page = query.current_page.unwrap_or(1) as usize;
    let size = query.page_size.unwrap_or(20) as usize;
    if page == 0 || size == 0 || size > MAX_PAGE_SIZE {
        return Err(GatewayError::isv(
            codes::INVALID_PARAMETER,
            "`current_page` starts at 1 and `page_size` is 1 to 100",
        ));
    }
    Ok(((page - 1) * size, size))
}

fn number_param(params: &[(String, String)], key: &str) -> Result<Option<u32>, GatewayError> {
    param(params, key)
        .map(|v| {
            v.parse::<u32>().map_err(|_| {
                GatewayError::isv(codes::INVALID_PARAMETER, format!("`{key}` is not a number"))
            })
        })
        .transpose()
}

// ---------------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------------

async fn invalid_api(State(sim): State<Arc<Shared>>) -> Response {
    sim.refuse(&GatewayError::isv(codes::INVALID_API, "The specified API path is invalid"))
}

async fn refresh_token(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = params(&received).and_then(|params| {
        sim.check_signed(&params, Some(wire::method::TOKEN_REFRESH))?;
        let refresh_token = required(&params, "refresh_token")?;
        let now = sim.common.now();
        let (seller, pair) = lock(&sim.state)
            .tokens
            .refresh(refresh_token, now, sim.common.ttl)
            .map_err(|problem| {
                GatewayError::isv(
                    codes::ILLEGAL_REFRESH_TOKEN,
                    match problem {
                        TokenProblem::Unknown => "The specified refresh token is invalid",
                        TokenProblem::Expired => "The specified refresh token has expired",
                    },
                )
            })?;
        let identity = sim.seller(&seller).ok();
        Ok(json!({
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expire_time": pair.access_expires_at.timestamp_millis(),
            "refresh_token_valid_time": pair.refresh_expires_at.timestamp_millis(),
            "expires_in": (pair.access_expires_at - now).num_seconds(),
            "refresh_expires_in": (pair.refresh_expires_at - now).num_seconds(),
            "seller_id": identity.map(|s| s.ali_id.as_str()).unwrap_or_default(),
            "user_id": identity.map(|s| s.ali_id.as_str()).unwrap_or_default(),
            "user_nick": seller,
            "account": seller,
            "account_platform": "seller_center",
            "locale": "en_US",
            "sp": "ae",
            "code": "0",
            "request_id": sim.common.request_id(),
        }))
    });
    match result {
        Ok(body) => accepted(axum::Json(body).into_response()),
        Err(error) => sim.refuse(&error),
    }
}

/// `/auth/token/create`: a code the consent issued (once) for a new token pair.
async fn create_token(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = params(&received).and_then(|params| {
        sim.check_signed(&params, Some("/auth/token/create"))?;
        let code = required(&params, "code")?;
        let now = sim.common.now();
        let mut state = lock(&sim.state);
        let seller = state.codes.remove(code).ok_or_else(|| {
            GatewayError::isv(codes::ILLEGAL_REFRESH_TOKEN, "The specified code is invalid")
        })?;
        let pair = state.tokens.issue(&seller, now, sim.common.ttl);
        let identity = sim.seller(&seller).ok();
        Ok(json!({
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expire_time": pair.access_expires_at.timestamp_millis(),
            "refresh_token_valid_time": pair.refresh_expires_at.timestamp_millis(),
            "seller_id": identity.map(|s| s.ali_id.as_str()).unwrap_or_default(),
            "user_id": identity.map(|s| s.ali_id.as_str()).unwrap_or_default(),
            "user_nick": seller,
            "account": seller,
            "code": "0",
            "request_id": sim.common.request_id(),
        }))
    });
    match result {
        Ok(body) => accepted(axum::Json(body).into_response()),
        Err(error) => sim.refuse(&error),
    }
}

async fn business(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let checked = params(&received).and_then(|params| {
        let api = sim.check_signed(&params, None)?;
        let seller = sim.caller(&params)?;
        Ok((params, api, seller))
    });
    let (params, api, seller) = match checked {
        Ok(checked) => checked,
        Err(error) => return sim.refuse(&error),
    };
    let outcome = match api.as_str() {
        method::QUERY_RELATION_LIST => sim.relation_list(&seller, &params).map(|b| (b, false)),
        method::QUERY_DETAIL_LIST => sim.detail_list(&seller, &params).map(|b| (b, false)),
        method::ADD_MESSAGE => sim.add_message(&seller, &params),
        method::UPDATE_READ => sim.update_read(&seller, &params),
        method::ORDER_INFO_GET => sim.order_info(&seller, &params).map(|b| (b, false)),
        method::ORDER_GET => sim.order_list(&seller, &params).map(|b| (b, false)),
        _ => Err(GatewayError::isv(
            codes::INVALID_API,
            format!("The specified API `{api}` is invalid"),
        )),
    };
    match outcome {
        Ok((body, changed)) => accepted_if(changed, sim.reply(&api, body)),
        Err(error) => sim.refuse(&error),
    }
}

fn ms(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// `"1"` or `"0"`, as TOP sends flags in string fields.
fn flag(on: bool) -> &'static str {
    if on { "1" } else { "0" }
}

/// A TOP list as its XML-derived JSON sends it: the array wrapped in an object under the
/// item name (`{"relation_result": [...]}`).
fn top_list(item_name: &str, items: Vec<Value>) -> Value {
    json!({ item_name: items })
}

/// The body of `addmsg`, `updatemsgread`: flat, `is_success` and what applies.
fn action_reply(
    is_success: bool, channel_id: Option<String>, error: Option<(&str, Option<i64>)>,
) -> Value {
    let mut reply = Map::new();
    reply.insert("is_success".into(), Value::from(is_success));
    if let Some(channel_id) = channel_id {
        reply.insert("channel_id".into(), Value::from(channel_id));
    }
    if let Some((message, code)) = error {
        reply.insert("error_msg".into(), Value::from(message));
        if let Some(code) = code {
            reply.insert("sub_error_code".into(), Value::from(code.to_string()));
        }
    }
    Value::Object(reply)
}

impl Shared {
    /// One relation as the relation list returns it (TOP `RelationResult`).
    fn relation_view(&self, relation: &RelationSnapshot) -> Value {
        let last = relation.last();
        json!({
            "channel_id": relation.channel_id,
            "child_id": "0",
            "child_name": null,
            "deal_stat": flag(last.is_some_and(|m| !m.from_buyer)),
            "last_message_content": last.map(|m| m.content.clone()),
            "last_message_id": last.map(|m| m.id.clone()),
            "last_message_is_own": last.map(|m| !m.from_buyer),
            "message_time": relation.message_time().map(ms),
            "order_id": null,
            "other_ali_id": relation.buyer.ali_id,
            "other_login_id": relation.buyer.login_id,
            "other_name": relation.buyer.name,
            "rank": "0",
            "read_stat": flag(relation.read),
            "unread_count": relation.unread_count,
        })
    }

    fn relation_list(
        &self, seller: &str, params: &[(String, String)],
    ) -> Result<Value, GatewayError> {
        let query: RelationQuery = json_param(params, "query")?;
        let (offset, size) = paging(&query.page)?;
        let state = lock(&self.state);
        let matching: Vec<Value> = state
            .messages
            .relations(seller)
            .into_iter()
            .filter(|r| {
                let at = r.message_time().map(ms).unwrap_or_default();
                query.start_time.is_none_or(|start| at >= start)
                    && query.end_time.is_none_or(|end| at <= end)
                    && (query.only_un_readed != Some(true) || !r.read)
                    && (query.only_un_dealed != Some(true)
                        || r.last().is_some_and(|m| m.from_buyer))
            })
            .skip(offset)
            .take(size)
            .map(|r| self.relation_view(r))
            .collect();
        Ok(json!({
            "result": {
                "is_success": true,
                "relation_list": top_list("relation_result", matching),
            }
        }))
    }

    fn detail_list(
        &self, seller: &str, params: &[(String, String)],
    ) -> Result<Value, GatewayError> {
        let channel_id = required(params, "channel_id")?;
        let (offset, size) = paging(&PageQuery {
            current_page: number_param(params, "current_page")?,
            page_size: number_param(params, "page_size")?,
        })?;
        let extern_id = param(params, "extern_id").filter(|v| !v.is_empty());
        let state = lock(&self.state);
        let Some(relation) = state.messages.relation(seller, channel_id) else {
            return Ok(json!({"result": {
                "is_success": false,
                "error_code": codes::CHANNEL_NOT_FOUND,
                "error_msg": "The relation does not exist",
            }}));
        };
        // The caller's token names a configured seller.
        let me = self.seller(seller).map_err(|_| {
            GatewayError::isv(
                codes::ILLEGAL_ACCESS_TOKEN,
                "The specified access token is invalid or expired",
            )
        })?;
        let page: Vec<Value> = relation
            .messages
            .iter()
            .rev()
            .filter(|m| extern_id.is_none_or(|id| m.extern_id.as_deref() == Some(id)))
            .skip(offset)
            .take(size)
            .map(|m| message_detail(relation, me, m))
            .collect();
        Ok(json!({"result": {
            "is_success": true,
            "message_detail_list": top_list("message_detail", page),
        }}))
    }

    /// `addmsg`; the bool is whether the message was stored.
    fn add_message(
        &self, seller: &str, params: &[(String, String)],
    ) -> Result<(Value, bool), GatewayError> {
        let create: CreateMessage = json_param(params, "create_param")?;
        let refused = |code: i64, message: &str| {
            Ok((action_reply(false, None, Some((message, Some(code)))), false))
        };
        if create.seller_id != seller {
            return refused(codes::SELLER_MISMATCH, "seller_id is not the authorized seller");
        }
        let text_chars = create.content.chars().count();
        let has_image = create.img_path.as_deref().is_some_and(|p| !p.is_empty());
        if (create.content.trim().is_empty() && !has_image) || text_chars > CONTENT_MAX_CHARS {
            return refused(codes::BAD_CONTENT, "content is empty or longer than 2000 characters");
        }
        let now = self.common.now();
        let mut state = lock(&self.state);
        let Some(buyer) = state.messages.known_buyer(seller, &create.buyer_id) else {
            return refused(
                codes::NO_RELATION,
                "The buyer has no conversation or order with this seller",
            );
        };
        let extern_id = match create.message_type {
            MessageKind::Member => None,
            MessageKind::Order => {
                let id = create.extern_id.to_string();
                let ours = state
                    .messages
                    .order(seller, &id)
                    .is_some_and(|o| o.buyer.login_id == buyer.login_id);
                if !ours {
                    return refused(
                        codes::BAD_EXTERN_ID,
                        "extern_id is not an order of this buyer in this shop",
                    );
                }
                Some(id)
            }
            MessageKind::Product => {
                if create.extern_id <= 0 {
                    return refused(codes::BAD_EXTERN_ID, "extern_id must be a product id");
                }
                Some(create.extern_id.to_string())
            }
        };
        let message_type = create.message_type.name();
        let stored = BuyerMessage {
            content: create.content.clone(),
            message_type: message_type.to_owned(),
            extern_id: extern_id.clone(),
            images: create.img_path.iter().filter(|p| !p.is_empty()).cloned().collect(),
        };
        let (channel_id, message_id) = state.messages.add(seller, &buyer, &stored, false, now);
        state.messages.record_send(SentMessage {
            seller: seller.to_owned(),
            channel_id: channel_id.clone(),
            message_id,
            buyer_login_id: create.buyer_id.clone(),
            content: create.content.clone(),
            message_type: message_type.to_owned(),
            extern_id: create.extern_id,
            img_path: create.img_path.clone(),
            accepted_at: now,
        });
        Ok((action_reply(true, Some(channel_id), None), true))
    }

    fn update_read(
        &self, seller: &str, params: &[(String, String)],
    ) -> Result<(Value, bool), GatewayError> {
        let channel_id = required(params, "channel_id")?;
        let done = lock(&self.state).messages.mark_read(seller, channel_id);
        let error = (!done).then_some(("The relation does not exist", None));
        Ok((action_reply(done, None, error), done))
    }

    fn order_info(&self, seller: &str, params: &[(String, String)]) -> Result<Value, GatewayError> {
        let query: Value = json_param(params, "param1")?;
        let order_id = match query.get("order_id") {
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::String(s)) => s.clone(),
            _ => {
                return Err(GatewayError::isv(
                    codes::MISSING_PARAMETER,
                    "`param1.order_id` is required",
                ));
            }
        };
        let state = lock(&self.state);
        let Some(order) = state.messages.order(seller, &order_id) else {
            return Ok(json!({"result": {
                "success": false,
                "error_code": codes::ORDER_NOT_FOUND,
                "error_message": "The order does not exist",
            }}));
        };
        // TOP `TpOpenOrderDetailDTO` as JSON.
        let detail = json!({
            "id": order.id,
            "buyerloginid": order.buyer.login_id,
            "buyer_signer_fullname": order.buyer.name,
            "gmt_create": wire::pacific_datetime(order.created_at),
            "order_status": order.status,
            "issue_status": order.issue_status,
            "logistic_info_list": top_list("aeop_tp_logistic_info_dto", parcels(order)),
        });
        Ok(json!({"result": {"success": true, "data": detail}}))
    }

    fn order_list(&self, seller: &str, params: &[(String, String)]) -> Result<Value, GatewayError> {
        let query: OrderQuery = json_param(params, "param0")?;
        let (offset, size) = paging(&query.page)?;
        let bound = |text: &Option<String>| -> Result<Option<DateTime<Utc>>, GatewayError> {
            text.as_deref()
                .map(|t| {
                    wire::parse_pacific(t).ok_or_else(|| {
                        GatewayError::isv(
                            codes::INVALID_PARAMETER,
                            "dates are yyyy-MM-dd HH:mm:ss (US Pacific time)",
                        )
                    })
                })
                .transpose()
        };
        let (start, end) = (bound(&query.create_date_start)?, bound(&query.create_date_end)?);
        let state = lock(&self.state);
        let matching: Vec<&Order> = state
            .messages
            .orders(seller)
            .filter(|o| {
                query.buyer_login_id.as_deref().is_none_or(|b| o.buyer.login_id == b)
                    && start.is_none_or(|s| o.created_at >= s)
                    && end.is_none_or(|e| o.created_at <= e)
                    && match query.order_status.as_deref() {
                        // Without a status, finished orders are left out.
                        None => o.status != "FINISH",
                        Some(status) => o.status == status,
                    }
            })
            .collect();
        let total = matching.len();
        // TOP `OrderDto` as JSON.
        let page: Vec<Value> = matching
            .into_iter()
            .skip(offset)
            .take(size)
            .map(|o| {
                json!({
                    "order_id": o.id,
                    "buyer_login_id": o.buyer.login_id,
                    "buyer_signer_fullname": o.buyer.name,
                    "gmt_create": wire::pacific_datetime(o.created_at),
                    "order_status": o.status,
                    "issue_status": o.issue_status,
                })
            })
            .collect();
        Ok(json!({"result": {
            "success": true,
            "total_count": total,
            "total_page": total.div_ceil(size),
            "current_page": offset / size + 1,
            "page_size": size,
            "target_list": top_list("order_dto", page),
        }}))
    }
}

/// An order's parcels as the look-up lists them (TOP `AeopTpLogisticInfoDto`): none
/// before it is shipped, else its one parcel, sent the day after the order.
fn parcels(order: &Order) -> Vec<Value> {
    let Some(number) = &order.logistics_no else {
        return Vec::new();
    };
    let sent = order.created_at + chrono::TimeDelta::days(1);
    vec![json!({
        "logistics_no": number,
        "logistics_service_name": "CAINIAO_STANDARD",
        "logistics_type_code": "CAINIAO_STANDARD",
        "gmt_send": wire::pacific_datetime(sent),
        "receive_status": "default",
        "have_tracking_info": true,
    })]
}

/// One message as the detail list returns it (TOP `MessageDetail`): who sent it to whom,
/// its images in three sizes, and for a product message the product's page.
fn message_detail(relation: &RelationSnapshot, me: &Seller, message: &MessageSnapshot) -> Value {
    let buyer = &relation.buyer;
    let (sender_ali, sender_login, sender_name) = if message.from_buyer {
        (&buyer.ali_id, &buyer.login_id, &buyer.name)
    } else {
        (&me.ali_id, &me.login_id, &me.name)
    };
    let (receiver_ali, receiver_name) =
        if message.from_buyer { (&me.ali_id, &me.name) } else { (&buyer.ali_id, &buyer.name) };
    let mut summary = json!({
        "receiver_ali_id": receiver_ali,
        "receiver_name": receiver_name,
        "sender_ali_id": sender_ali,
        "sender_login_id": sender_login,
        "sender_name": sender_name,
    });
    let product_page = (message.message_type == "product")
        .then_some(message.extern_id.as_ref())
        .flatten()
        .map(|id| format!("https://www.aliexpress.com/item/{id}.html"));
    if let Some(url) = product_page {
        summary["product_detail_url"] = Value::from(url);
    }
    let images: Vec<Value> = message
        .images
        .iter()
        .map(|url| json!({"l_path": url, "m_path": url, "s_path": url}))
        .collect();
    let mut detail = json!({
        "id": message.id,
        "content": message.content,
        "file_path_list": top_list("file_path", images),
        "gmt_create": ms(message.sent_at),
        "message_type": message.message_type,
        "sender_ali_id": sender_ali,
        "sender_name": sender_name,
        "summary": summary,
    });
    if let Some(extern_id) = &message.extern_id {
        detail["extern_id"] = Value::from(extern_id.clone());
    }
    detail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_decode_and_bad_ones_are_refused() {
        let pairs = form_decode(b"a=1&b=x%2By+z&c=%E4%BD%A0").expect("decodes");
        assert_eq!(
            pairs,
            vec![
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "x+y z".to_owned()),
                ("c".to_owned(), "你".to_owned()),
            ]
        );
        assert_eq!(form_decode(b"a=%ZZ"), None);
        assert_eq!(form_decode(b"a=%E4"), None);
    }
}
