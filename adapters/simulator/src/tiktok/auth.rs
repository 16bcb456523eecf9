//! The TikTok simulator's request checks (app key, timestamp, signature, access token, shop
//! cipher) and the auth host's token refresh.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Shared;
use super::api::ApiError;
use super::codes;
use super::sign::{ACCESS_TOKEN_HEADER, request_sign};
use crate::lock;
use crate::server::Received;
use crate::signing::same_hex;
use crate::tokens::TokenProblem;

/// Which identity a call needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// Seller-level (Get Authorized Shops): a token, and no `shop_cipher`.
    Seller,
    /// Shop-level (customer service): a token and that seller's `shop_cipher`.
    Shop,
}

/// Who made a verified call.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    /// The token's seller.
    pub(crate) open_id: String,
    /// The shop named by `shop_cipher` ([`Scope::Shop`] only).
    pub(crate) shop_id: String,
}

impl Shared {
    /// Runs the §1.1–1.2 checks on a received API request, in the order the module docs
    /// give.
    pub(crate) fn verify(&self, received: &Received, scope: Scope) -> Result<Caller, ApiError> {
        let query = received.query.as_ref().ok_or_else(|| {
            ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Invalid parameter. The query string cannot be decoded.",
            )
        })?;
        if received.param("app_key") != Some(self.common.app_key.as_str()) {
            return Err(ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Invalid credentials. Invalid `app_key` query parameter.",
            ));
        }
        let sign = received
            .present("sign")
            .ok_or_else(|| {
                ApiError::unauthorized(
                    codes::INVALID_PARAMETER,
                    "Missing credentials. The request does not include a required signature in the query.",
                )
            })?;
        let now = self.common.now();
        let timestamp = received.param("timestamp").and_then(|value| value.parse::<i64>().ok());
        let in_window = timestamp.is_some_and(|timestamp| {
            (now.timestamp() - timestamp).abs() <= self.common.timestamp_tolerance.num_seconds()
        });
        if !in_window {
            return Err(ApiError::unauthorized(
                codes::INVALID_PARAMETER,
                "Invalid timestamp. The `timestamp` query parameter must be Unix seconds within 5 minutes of the current time.",
            ));
        }
        self.check_sign(received, query, sign)?;
        let open_id = self.token_owner(received, now)?;
        let cipher = received.param("shop_cipher");
        let shop_id = match (scope, cipher) {
            (Scope::Seller, None) => String::new(),
            (Scope::Seller, Some(_)) => {
                return Err(ApiError::bad_request(
                    codes::INVALID_PARAMETER,
                    "Unexpected identifier. The `shop_cipher` query parameter is not required for this request.",
                ));
            }
            (Scope::Shop, cipher) => {
                let (seller, shop) = cipher
                    .and_then(|cipher| self.shop_by_cipher(cipher))
                    .ok_or_else(|| {
                        ApiError::bad_request(
                            codes::INVALID_SHOP_CIPHER,
                            "Invalid identifier. The `shop_cipher` query parameter is missing or invalid.",
                        )
                    })?;
                if seller.open_id != open_id {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        codes::SHOP_NOT_AUTHORIZED,
                        "Access denied. The access token is not authorized for this shop.",
                    ));
                }
                shop.id.clone()
            }
        };
        Ok(Caller { open_id, shop_id })
    }

    /// `sign` is the §1.2 signature of the path, decoded query and body received (no body
    /// for a `multipart/form-data` request), computed with the simulator's own
    /// [`request_sign`].
    fn check_sign(
        &self, received: &Received, query: &[(String, String)], sign: &str,
    ) -> Result<(), ApiError> {
        let signed_body: &[u8] = if is_multipart(received) { &[] } else { &received.body };
        let pairs = query.iter().map(|(key, value)| (key.as_str(), value.as_str()));
        let expected = request_sign(&self.common.app_secret, &received.path, pairs, signed_body);
        if !same_hex(&expected, sign) {
            return Err(ApiError::unauthorized(
                codes::INVALID_SIGN,
                "Invalid credentials. The 'sign' query parameter is invalid.",
            ));
        }
        Ok(())
    }

    /// The seller whose live access token `x-tts-access-token` carries.
    fn token_owner(&self, received: &Received, now: DateTime<Utc>) -> Result<String, ApiError> {
        let token = received.header(ACCESS_TOKEN_HEADER).unwrap_or_default();
        let state = lock(&self.state);
        match state.tokens.check_access(token, now) {
            Ok(owner) => Ok(owner.to_owned()),
            Err(TokenProblem::Unknown) => Err(ApiError::unauthorized(
                codes::INVALID_PARAMETER,
                "Invalid credentials. The `x-tts-access-token` header is invalid.",
            )),
            Err(TokenProblem::Expired) => Err(ApiError::unauthorized(
                codes::EXPIRED_CREDENTIALS,
                "Expired credentials. The `x-tts-access-token` header has expired.",
            )),
        }
    }

    /// `GET /api/v2/token/refresh?app_key&app_secret&refresh_token&grant_type=refresh_token`
    /// (§1.1): a fresh pair for the refresh token's seller; the old pair is revoked.
    pub(crate) fn refresh(&self, received: &Received) -> Result<Value, ApiError> {
        if received.param("app_key") != Some(self.common.app_key.as_str())
            || received.param("app_secret") != Some(self.common.app_secret.as_str())
        {
            return Err(ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Invalid credentials. Invalid `app_key` or `app_secret`.",
            ));
        }
        if received.param("grant_type") != Some("refresh_token") {
            return Err(ApiError::bad_request(
                codes::INVALID_PARAMETER,
                "Invalid parameter. `grant_type` must be `refresh_token`.",
            ));
        }
        let refresh_token = received.param("refresh_token").unwrap_or_default();
        let now = self.common.now();
        let (open_id, pair) = lock(&self.state)
            .tokens
            .refresh(refresh_token, now, self.common.ttl)
            .map_err(|problem| {
                let message = match problem {
                    TokenProblem::Unknown => "Invalid credentials. The `refresh_token` is invalid.",
                    TokenProblem::Expired => {
                        "Expired credentials. The `refresh_token` has expired."
                    }
                };
                ApiError::unauthorized(codes::INVALID_REFRESH_TOKEN, message)
            })?;
        let seller = self.seller(&open_id);
        Ok(json!({
            "access_token": pair.access_token,
            "access_token_expire_in": pair.access_expires_at.timestamp(),
            "refresh_token": pair.refresh_token,
            "refresh_token_expire_in": pair.refresh_expires_at.timestamp(),
            "open_id": open_id,
            "seller_name": seller.map(|s| s.seller_name.as_str()).unwrap_or_default(),
            "seller_base_region": seller.map(|s| s.region.as_str()).unwrap_or_default(),
            "user_type": 0,
            "granted_scopes": ["seller.authorization.info", "seller.customer_service"],
        }))
    }
}

fn is_multipart(received: &Received) -> bool {
    received
        .header("content-type")
        .is_some_and(|value| value.trim_start().starts_with("multipart/form-data"))
}
