//! Token renewal (`/auth/token/refresh`): a token due within five minutes is renewed before
//! a call, one the gateway refuses once after it. Renewed tokens go back in a send's
//! receipt and are kept in the adapter's key-value state (`tokens/{shop}`); every call
//! prefers the kept copy when it expires later than the configured one.

use std::collections::BTreeMap;

use shopmux_contract::adapter::{AdapterError, Host, ShopConnection};

use super::errors::gateway_failure;
use super::session::Session;
use crate::wire::{self, GatewayError, TokenReply, WireError};

/// Renew an access token this close to its expiry.
const REFRESH_AHEAD_SECS: i64 = 300;

/// The key-value key of a shop's renewed tokens.
fn tokens_key(shop: &ShopConnection) -> String {
    format!("tokens/{}", shop.external_id)
}

fn expires_at(credentials: &BTreeMap<String, String>) -> Option<i64> {
    credentials.get("access_token_expires_at").and_then(|v| v.parse::<i64>().ok())
}

/// The shop with the tokens kept in the key-value state, when they expire later than the
/// configured ones (or the configured ones say no expiry).
pub(super) fn with_kept_tokens(
    host: &dyn Host, shop: &ShopConnection,
) -> Result<ShopConnection, AdapterError> {
    let mut shop = shop.clone();
    let kept = host
        .kv_get(&tokens_key(&shop))?
        .and_then(|stored| serde_json::from_str::<BTreeMap<String, String>>(&stored).ok());
    if let Some(kept) = kept {
        let newer = match (expires_at(&kept), expires_at(&shop.credentials)) {
            (Some(kept), Some(configured)) => kept > configured,
            (Some(_), None) => true,
            _ => false,
        };
        if newer {
            shop.credentials.extend(kept);
        }
    }
    Ok(shop)
}

/// Whether the shop's access token is to be renewed before a call: it expires within five
/// minutes and there is a refresh token.
pub(super) fn due(shop: &ShopConnection, now_ms: i64) -> bool {
    let now_secs = now_ms / 1000;
    expires_at(&shop.credentials).is_some_and(|at| at - now_secs <= REFRESH_AHEAD_SECS)
        && shop.credentials.contains_key("refresh_token")
}

/// The gateway's code for an invalid or expired refresh token at `/auth/token/refresh`:
/// the seller must authorize the app again.
const ILLEGAL_REFRESH_TOKEN: &str = "IllegalRefreshToken";

/// A gateway error answering a token renewal: an invalid or expired refresh token ends
/// the authorization; the platform's trouble may pass; anything else is `token_expired`.
fn refresh_refused(error: &GatewayError) -> AdapterError {
    let e = gateway_failure(error);
    if error.code == ILLEGAL_REFRESH_TOKEN {
        AdapterError::authorization_expired(format!(
            "AliExpress refused the refresh token: {}",
            e.message
        ))
    } else if e.retryable {
        e
    } else {
        AdapterError::permanent("token_expired", format!("token renewal refused: {}", e.message))
    }
}

/// An expiry in Unix seconds: the absolute one (epoch ms) when given, else now plus the
/// relative one (seconds).
fn expiry(at_ms: Option<i64>, in_secs: Option<i64>, now_secs: i64) -> Option<i64> {
    at_ms.map(|ms| ms / 1000).or(in_secs.map(|s| now_secs + s))
}

/// The credentials a token reply renews: the access token with its expiry (from
/// `expire_time`, else `expires_in`), and the refresh token with its own.
pub(super) fn renewed_credentials(
    reply: TokenReply, now_secs: i64,
) -> Result<BTreeMap<String, String>, AdapterError> {
    let Some(access_token) = reply.access_token.filter(|t| !t.is_empty()) else {
        return Err(AdapterError::permanent(
            "token_expired",
            "token renewal returned no access token",
        ));
    };
    let access_expiry = expiry(reply.expire_time, reply.expires_in, now_secs);
    let refresh_expiry = expiry(reply.refresh_token_valid_time, reply.refresh_expires_in, now_secs);
    let refresh_token = reply.refresh_token.filter(|t| !t.is_empty());
    let new = [
        ("access_token", Some(access_token)),
        ("access_token_expires_at", access_expiry.map(|at| at.to_string())),
        ("refresh_token", refresh_token),
        ("refresh_token_expires_at", refresh_expiry.map(|at| at.to_string())),
    ];
    Ok(new.into_iter().filter_map(|(key, value)| Some((key.to_owned(), value?))).collect())
}

impl Session<'_> {
    /// Renews the tokens (`/auth/token/refresh`), keeps them in the key-value state and
    /// for the receipt.
    pub(super) fn refresh(&mut self) -> Result<(), AdapterError> {
        let refresh_token = self.shop.credential("refresh_token")?.to_owned();
        let response = self.exchange(false, |ctx| wire::token_refresh(ctx, &refresh_token))?;
        let reply = match wire::parse_token_reply(&response.body) {
            Ok(reply) => reply,
            Err(WireError::Gateway(error)) => return Err(refresh_refused(&error)),
            Err(e) => {
                return Err(AdapterError::transient(
                    "malformed",
                    format!("AliExpress's token answer is not readable: {e}"),
                ));
            }
        };
        let new = renewed_credentials(reply, self.host.now_unix_ms() / 1000)?;
        self.shop.credentials.extend(new.clone());
        let stored = serde_json::to_string(&new).unwrap_or_default();
        if let Err(e) = self.host.kv_put(&tokens_key(&self.shop), &stored) {
            self.host.log(&format!("AliExpress renewed tokens not kept: {e}"));
        }
        self.host.log("AliExpress access token renewed.");
        self.renewed = Some(new);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shopmux_contract::adapter::AUTHORIZATION_EXPIRED;

    #[test]
    fn an_illegal_refresh_token_ends_the_authorization() {
        let error = |code: &str, kind: &str| GatewayError {
            code: code.into(),
            kind: Some(kind.into()),
            message: Some("no".into()),
            sub_code: None,
            sub_msg: None,
            request_id: None,
        };
        let e = refresh_refused(&error(ILLEGAL_REFRESH_TOKEN, "ISV"));
        assert_eq!((e.code.as_str(), e.retryable), (AUTHORIZATION_EXPIRED, false));
        let e = refresh_refused(&error("InternalError", "ISP"));
        assert!(e.retryable, "{e}");
        assert_eq!(refresh_refused(&error("InvalidParameter", "ISV")).code, "token_expired");
    }

    #[test]
    fn a_token_reply_renews_both_tokens_with_their_expiries() {
        let reply = TokenReply {
            access_token: Some("a1".into()),
            refresh_token: Some("r1".into()),
            expire_time: Some(1_714_192_160_000),
            refresh_expires_in: Some(60),
            ..TokenReply::default()
        };
        let new = renewed_credentials(reply, 1_000).expect("renewed");
        let expected = [
            ("access_token", "a1"),
            ("access_token_expires_at", "1714192160"),
            ("refresh_token", "r1"),
            ("refresh_token_expires_at", "1060"),
        ];
        assert_eq!(new, expected.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect());
        let bare = TokenReply {
            access_token: Some("a2".into()),
            refresh_token: Some(String::new()),
            ..TokenReply::default()
        };
        let new = renewed_credentials(bare, 1_000).expect("renewed");
        assert_eq!(new.keys().collect::<Vec<_>>(), ["access_token"]);
        let e = renewed_credentials(TokenReply::default(), 1_000).unwrap_err();
        assert_eq!(e.code, "token_expired");
    }
}
