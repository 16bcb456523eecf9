//! The Lazada simulator's routes, request checks, handlers and reply envelopes.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::sign::api_sign;
use super::state::{StoredSession, message_view, page_back};
use super::{MessageSnapshot, ReadMark, SentMessage, Shared, codes};
use crate::iop::{self, error_body};
use crate::server::{Common, Received, Simulated, accepted, accepted_if};
use crate::signing::same_hex;
use crate::tokens::TokenProblem;
use crate::{MAX_PAGE_SIZE, lock};

/// OpenSession takes orders created within this many days (Lazada's `-22`).
const OPEN_SESSION_DAYS: i64 = 30;

/// A refused call.
#[derive(Debug, Clone)]
enum ApiError {
    /// A gateway error: `type`, `code`, `message`.
    Gateway(&'static str, &'static str, String),
    /// An IM refusal: `err_code`, `err_message`.
    Im(&'static str, String),
}

fn gateway(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Gateway("ISV", code, message.into())
}

fn missing(name: &str) -> ApiError {
    gateway(codes::MISSING_PARAMETER, format!("The parameter `{name}` is missing."))
}

impl Simulated for Shared {
    const BASE_PATH: &'static str = "/rest";

    fn routes() -> Router<Arc<Shared>> {
        Router::new()
            .route("/rest/im/session/list", get(session_list))
            .route("/rest/im/session/get", get(session_get))
            .route("/rest/im/message/list", get(message_list))
            .route("/rest/im/message/send", post(message_send))
            .route("/rest/im/session/read", post(session_read))
            .route("/rest/im/session/open", get(session_open).post(session_open))
            .route("/rest/auth/token/refresh", get(token_refresh).post(token_refresh))
            .route("/rest/auth/token/create", get(token_create).post(token_create))
            .route("/oauth/authorize", get(super::authorize::page))
            .route("/oauth/authorize/consent", get(super::authorize::consent))
            .fallback(invalid_api)
            .method_not_allowed_fallback(invalid_api)
    }

    fn common(&self) -> &Common {
        &self.common
    }

    fn server_error_reply(&self, status: StatusCode) -> Response {
        let message = "The service is temporarily unavailable.";
        iop::server_error(&self.common, status, message)
    }

    fn rate_limited_reply(&self, retry_after_secs: u32) -> Response {
        let message = "The request has exceeded the limit.";
        let body = error_body(&self.common, "ISP", codes::API_CALL_LIMIT, message);
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        let value = HeaderValue::from(retry_after_secs);
        response.headers_mut().insert("retry-after", value);
        response
    }
}

/// A verified call's parameters (query and form body), `sign` excluded.
struct Call {
    params: Vec<(String, String)>,
}

impl Call {
    fn param(&self, name: &str) -> Option<&str> {
        let found = self.params.iter().find(|(k, _)| k == name);
        found.map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }

    fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.param(name).ok_or_else(|| missing(name))
    }

    fn number(&self, name: &str) -> Result<i64, ApiError> {
        let value = self.required(name)?;
        let bad = || gateway(codes::INVALID_PARAMETER, format!("`{name}` is not a number."));
        value.parse().map_err(|_| bad())
    }

    /// `page_size` (1 to 100), `start_time` and the optional last id of a list call.
    fn paging(&self, last: &str) -> Result<(usize, i64, Option<&str>), ApiError> {
        let size = self.number("page_size")?;
        let size = usize::try_from(size).ok().filter(|s| (1..=MAX_PAGE_SIZE).contains(s));
        let bad = || gateway(codes::INVALID_PARAMETER, "`page_size` must be 1 to 100.");
        Ok((size.ok_or_else(bad)?, self.number("start_time")?, self.param(last)))
    }
}

/// Every parameter received: the decoded query, then the form body.
fn parameters(received: &Received) -> Result<Vec<(String, String)>, ApiError> {
    let undecodable = || gateway(codes::INVALID_PARAMETER, "The parameters cannot be decoded.");
    let mut params = received.query.clone().ok_or_else(undecodable)?;
    let form = received
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if form && !received.body.is_empty() {
        let body = std::str::from_utf8(&received.body).map_err(|_| undecodable())?;
        let uri: Uri = format!("/?{body}").parse().map_err(|_| undecodable())?;
        let Query(pairs) =
            Query::<Vec<(String, String)>>::try_from_uri(&uri).map_err(|_| undecodable())?;
        params.extend(pairs);
    }
    Ok(params)
}

impl Shared {
    /// The checks of the module docs, in order; `token`: whether an access token is needed.
    fn verify(&self, received: &Received, token: bool) -> Result<Call, ApiError> {
        let params = parameters(received)?;
        let value = |name: &str| {
            let found = params.iter().find(|(k, _)| k == name);
            found.map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
        };
        match value("app_key") {
            None => return Err(missing("app_key")),
            Some(key) if key != self.common.app_key => {
                return Err(gateway(codes::INVALID_APP_KEY, "The app key is invalid."));
            }
            Some(_) => {}
        }
        if value("sign_method").ok_or_else(|| missing("sign_method"))? != "sha256" {
            let why = "Only sign_method=sha256 is supported.";
            return Err(gateway(codes::INVALID_PARAMETER, why));
        }
        let timestamp = value("timestamp").ok_or_else(|| missing("timestamp"))?;
        let now = self.common.now().timestamp_millis();
        let tolerance = self.common.timestamp_tolerance.num_milliseconds();
        let in_window = timestamp.parse::<i64>().is_ok_and(|ms| (now - ms).abs() <= tolerance);
        if !in_window {
            let why = "The timestamp must be epoch milliseconds within 7200 s of the server time.";
            return Err(gateway(codes::INVALID_TIMESTAMP, why));
        }
        let sign = value("sign").ok_or_else(|| missing("sign"))?;
        let api = received.path.strip_prefix("/rest").unwrap_or(&received.path);
        let pairs = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        if !same_hex(&api_sign(&self.common.app_secret, api, pairs), sign) {
            let why = "The request signature does not conform to platform standards";
            return Err(gateway(codes::INCOMPLETE_SIGNATURE, why));
        }
        if token {
            let access = value("access_token").unwrap_or_default();
            let state = lock(&self.state);
            if let Err(problem) = state.tokens.check_access(access, self.common.now()) {
                let why = match problem {
                    TokenProblem::Unknown | TokenProblem::Expired => {
                        "The specified access token is invalid or expired"
                    }
                };
                return Err(gateway(codes::ILLEGAL_ACCESS_TOKEN, why));
            }
        }
        let params = params.into_iter().filter(|(k, _)| k != "sign").collect();
        Ok(Call { params })
    }

    /// A reply: a success envelope around `data` (IM calls), or the refusal.
    fn answer(&self, result: Result<Value, ApiError>) -> Response {
        let body = match result {
            Ok(data) => json!({
                "code": "0",
                "request_id": self.common.request_id(),
                "success": true,
                "err_code": "0",
                "err_message": "SUCCESS",
                "data": data,
            }),
            Err(ApiError::Gateway(kind, code, message)) => {
                tracing::debug!(message = "Refused.", code, reason = %message);
                error_body(&self.common, kind, code, &message)
            }
            Err(ApiError::Im(code, message)) => json!({
                "code": "0",
                "request_id": self.common.request_id(),
                "success": false,
                "err_code": code,
                "err_message": message,
            }),
        };
        (StatusCode::OK, axum::Json(body)).into_response()
    }

    fn find<'a>(
        &self, sessions: &'a [StoredSession], id: &str,
    ) -> Result<&'a StoredSession, ApiError> {
        let found = sessions.iter().find(|s| s.id == id);
        let why = || format!("Session {id} does not exist for this seller.");
        found.ok_or_else(|| ApiError::Im(codes::SESSION_NOT_FOUND, why()))
    }
}

async fn invalid_api(State(sim): State<Arc<Shared>>) -> Response {
    let why = "The API path or its HTTP method does not exist.";
    sim.answer(Err(gateway(codes::INVALID_API, why)))
}

async fn session_list(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, true).and_then(|call| {
        let (size, start, last) = call.paging("last_session_id")?;
        let state = lock(&sim.state);
        let sessions = state.chats.sessions.iter().collect();
        let key = |s: &StoredSession| (s.last_time(), s.id.clone());
        let (page, more) = page_back(sessions, key, start, last, size);
        let tail = page.last().map(|s| key(s));
        Ok(json!({
            "session_list": page.iter().map(|s| s.view(&sim.site)).collect::<Vec<_>>(),
            "has_more": more,
            "next_start_time": tail.as_ref().map_or(start, |t| t.0),
            "last_session_id": tail.map(|t| t.1).unwrap_or_default(),
        }))
    });
    sim.answer(result)
}

async fn session_get(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, true).and_then(|call| {
        let state = lock(&sim.state);
        let session = sim.find(&state.chats.sessions, call.required("session_id")?)?;
        Ok(session.view(&sim.site))
    });
    sim.answer(result)
}

async fn message_list(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, true).and_then(|call| {
        let (size, start, last) = call.paging("last_message_id")?;
        let state = lock(&sim.state);
        let session = sim.find(&state.chats.sessions, call.required("session_id")?)?;
        let key = |m: &MessageSnapshot| (m.send_time_ms, m.id.clone());
        let (page, more) = page_back(session.messages.iter().collect(), key, start, last, size);
        let tail = page.last().map(|m| key(m));
        let views: Vec<Value> =
            page.iter().map(|m| message_view(m, session, &sim.seller_id, &sim.site)).collect();
        Ok(json!({
            "message_list": views,
            "has_more": more,
            "next_start_time": tail.as_ref().map_or(start, |t| t.0),
            "last_message_id": tail.map(|t| t.1).unwrap_or_default(),
        }))
    });
    sim.answer(result)
}

/// The fields each template needs (SendMessage's reference), and its card's field names.
fn template_fields(template_id: i64) -> Option<&'static [(&'static str, &'static str)]> {
    Some(match template_id {
        1 | 4 => &[("txt", "txt")],
        3 => &[("img_url", "imgUrl"), ("width", "width"), ("height", "height")],
        6 => &[("video_id", "videoId"), ("width", "width"), ("height", "height")],
        10006 => &[("item_id", "itemId")],
        10007 => &[("order_id", "orderId")],
        10008 => &[("promotion_id", "voucherId")],
        10010 => &[],
        _ => return None,
    })
}

async fn message_send(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, true).and_then(|call| sim.store_send(&call));
    accepted_if(result.is_ok(), sim.answer(result))
}

impl Shared {
    fn store_send(&self, call: &Call) -> Result<Value, ApiError> {
        let session_id = call.required("session_id")?;
        let template_id = call.number("template_id")?;
        let unknown = || gateway(codes::INVALID_PARAMETER, "Unknown `template_id`.");
        let fields = template_fields(template_id).ok_or_else(unknown)?;
        let mut card = serde_json::Map::new();
        let mut sent_fields = Vec::new();
        for (param, card_field) in fields {
            let value = call.required(param)?;
            card.insert((*card_field).to_owned(), Value::from(value));
            sent_fields.push(((*param).to_owned(), value.to_owned()));
        }
        let now = self.common.now();
        let mut state = lock(&self.state);
        self.find(&state.chats.sessions, session_id)?;
        let content = Value::Object(card).to_string();
        let time = now.timestamp_millis();
        let stored = state
            .chats
            .add(session_id, false, template_id, content, time)
            .map_err(|e| ApiError::Im(codes::SESSION_NOT_FOUND, e.to_string()))?;
        state.chats.sent.push(SentMessage {
            session_id: session_id.to_owned(),
            message_id: stored.id.clone(),
            template_id,
            fields: sent_fields,
            accepted_at: now,
        });
        Ok(json!({"message_id": stored.id, "template_id": template_id, "current_time": time}))
    }
}

async fn session_read(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, true).and_then(|call| {
        let session_id = call.required("session_id")?;
        let last_read = call.required("last_read_message_id")?;
        let mut state = lock(&sim.state);
        let session = sim.find(&state.chats.sessions, session_id)?;
        if !session.messages.iter().any(|m| m.id == last_read) {
            let why = format!("Message {last_read} is not in session {session_id}.");
            return Err(ApiError::Im(codes::MESSAGE_NOT_FOUND, why));
        }
        let session = state.chats.sessions.iter_mut().find(|s| s.id == session_id);
        if let Some(session) = session {
            session.last_read = Some(last_read.to_owned());
        }
        state.chats.reads.push(ReadMark {
            session_id: session_id.to_owned(),
            last_read_message_id: last_read.to_owned(),
        });
        Ok(Value::Null)
    });
    accepted_if(result.is_ok(), sim.answer(result))
}

async fn session_open(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, true).and_then(|call| {
        let order_id = call.required("order_id")?;
        let now = sim.common.now();
        let mut state = lock(&sim.state);
        let order = state.chats.orders.iter().find(|o| o.id == order_id).cloned();
        let why = || format!("E016: \"{order_id}\" Invalid Order ID");
        let order = order.ok_or_else(|| ApiError::Im(codes::ORDER_NOT_FOUND, why()))?;
        if now - order.created_at > chrono::TimeDelta::days(OPEN_SESSION_DAYS) {
            let why = format!("order out of day limit: {OPEN_SESSION_DAYS}");
            return Err(ApiError::Im(codes::ORDER_OUT_OF_DAY_LIMIT, why));
        }
        let opened = state.chats.open(&sim.seller_id, &order.buyer, now.timestamp_millis());
        Ok(opened.id.clone())
    });
    // OpenSession's reference lists `session_id` outside `data`.
    match result {
        Ok(session_id) => {
            let request_id = sim.common.request_id();
            let body = json!({"code": "0", "request_id": request_id, "session_id": session_id});
            accepted((StatusCode::OK, axum::Json(body)).into_response())
        }
        Err(error) => sim.answer(Err(error)),
    }
}

/// `/auth/token/create`: a code the consent issued (good once) for a new token pair.
async fn token_create(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, false).and_then(|call| {
        let code = call.required("code")?.to_owned();
        let now = sim.common.now();
        let mut state = lock(&sim.state);
        let known = state.codes.iter().position(|c| *c == code);
        let why = "The authorization code is invalid or used.";
        state.codes.remove(known.ok_or_else(|| gateway(codes::ILLEGAL_REFRESH_TOKEN, why))?);
        let pair = state.tokens.issue(&sim.seller_id, now, sim.common.ttl);
        Ok(json!({
            "code": "0",
            "request_id": sim.common.request_id(),
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_in": (pair.access_expires_at - now).num_seconds(),
            "refresh_expires_in": (pair.refresh_expires_at - now).num_seconds(),
            "country": sim.site.to_ascii_lowercase(),
            "account": "sim-seller@example.com",
            "country_user_info": [{
                "country": sim.site.to_ascii_lowercase(),
                "seller_id": sim.seller_id,
                "user_id": sim.seller_id,
                "short_code": format!("{}SIM", sim.site),
            }],
        }))
    });
    match result {
        Ok(body) => accepted((StatusCode::OK, axum::Json(body)).into_response()),
        Err(error) => sim.answer(Err(error)),
    }
}

async fn token_refresh(State(sim): State<Arc<Shared>>, received: Received) -> Response {
    let result = sim.verify(&received, false).and_then(|call| {
        let refresh_token = call.required("refresh_token")?;
        let now = sim.common.now();
        let mut state = lock(&sim.state);
        let refreshed = state.tokens.refresh(refresh_token, now, sim.common.ttl);
        let why = "The refresh token is invalid or expired.";
        let (_, pair) = refreshed.map_err(|_| gateway(codes::ILLEGAL_REFRESH_TOKEN, why))?;
        Ok(json!({
            "code": "0",
            "request_id": sim.common.request_id(),
            "access_token": pair.access_token,
            "refresh_token": pair.refresh_token,
            "expires_in": (pair.access_expires_at - now).num_seconds(),
            "refresh_expires_in": (pair.refresh_expires_at - now).num_seconds(),
            "country": sim.site.to_ascii_lowercase(),
            "account_platform": "seller_center",
            "account": "sim-seller@example.com",
            "country_user_info": [{
                "country": sim.site.to_ascii_lowercase(),
                "seller_id": sim.seller_id,
                "user_id": sim.seller_id,
                "short_code": format!("{}SIM", sim.site),
            }],
        }))
    });
    match result {
        Ok(body) => accepted((StatusCode::OK, axum::Json(body)).into_response()),
        Err(error) => sim.answer(Err(error)),
    }
}
