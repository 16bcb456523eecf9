//! The shop's credentials and the freshest tokens: read once per adapter method from the
//! connection and the host's key-value state (`tokens:{shop}`, kept only while they
//! descend from the configured access token), refreshed ahead of expiry or when TikTok
//! says they expired, and handed back in a send's receipt when they changed.

use std::collections::BTreeMap;

use shopmux_contract::adapter::{AdapterError, Host, ShopConnection};

use super::TikTok;
use crate::wire::{
    self, AUTH_HOST, ApiResponse, AppCredentials, CODE_INVALID_REFRESH_TOKEN, ShopSession,
    TokenRefreshData,
};

/// Refresh an access token this close to its expiry.
const REFRESH_AHEAD_SECS: i64 = 300;

/// The credentials a token refresh renews.
const TOKEN_FIELDS: [&str; 4] =
    ["access_token", "access_token_expires_at", "refresh_token", "refresh_token_expires_at"];

/// Where [`TikTok::current`] remembers the configured access token, which the renewed
/// tokens it kept descend from (never sent anywhere).
const CONFIGURED_TOKEN: &str = "configured_access_token";

/// Where the renewed tokens of a shop are kept in the host's state.
fn tokens_key(shop: &ShopConnection) -> String {
    format!("tokens:{}", shop.external_id)
}

/// The app's and the shop's credentials of a shop connection.
pub(super) fn credentials(
    shop: &ShopConnection,
) -> Result<(AppCredentials, ShopSession), AdapterError> {
    Ok((
        AppCredentials::from_shop(shop)?,
        ShopSession {
            access_token: shop.credential("access_token")?.to_owned(),
            shop_cipher: shop.credential("shop_cipher")?.to_owned(),
        },
    ))
}

/// The tokens of `current` that differ from those `configured` (none: nothing renewed).
pub(super) fn renewed_tokens(
    configured: &ShopConnection, current: &ShopConnection,
) -> Option<BTreeMap<String, String>> {
    let renewed: BTreeMap<String, String> = TOKEN_FIELDS
        .iter()
        .filter_map(|k| {
            let now = current.credentials.get(*k)?;
            (configured.credentials.get(*k) != Some(now)).then(|| ((*k).to_owned(), now.clone()))
        })
        .collect();
    (!renewed.is_empty()).then_some(renewed)
}

impl TikTok {
    /// The shop with its freshest tokens, for the calls of one adapter method: those kept
    /// in the host's state (`tokens:{shop}`) when they descend from the configured access
    /// token (remembered under [`CONFIGURED_TOKEN`]), renewed first when they expire
    /// within five minutes.
    pub(super) fn current(
        &self, host: &dyn Host, shop: &ShopConnection,
    ) -> Result<ShopConnection, AdapterError> {
        let mut shop = shop.clone();
        let configured = shop.credential("access_token")?.to_owned();
        shop.credentials.insert(CONFIGURED_TOKEN.into(), configured.clone());
        if let Some(kept) = host.kv_get(&tokens_key(&shop))? {
            match serde_json::from_str::<BTreeMap<String, String>>(&kept) {
                Ok(kept) if kept.get("base_access_token") == Some(&configured) => {
                    shop.credentials.extend(
                        kept.into_iter().filter(|(k, _)| TOKEN_FIELDS.contains(&k.as_str())),
                    );
                }
                Ok(_) => {}
                Err(e) => host.log(&format!("TikTok: the kept tokens are unreadable ({e})")),
            }
        }
        let now_secs = host.now_unix_ms() / 1000;
        let due = shop
            .credentials
            .get("access_token_expires_at")
            .and_then(|v| v.parse::<i64>().ok())
            .is_some_and(|at| at - now_secs <= REFRESH_AHEAD_SECS);
        if due && shop.credentials.contains_key("refresh_token") {
            self.renew(host, &mut shop)?;
        }
        Ok(shop)
    }

    /// Refreshes the tokens and keeps them in the host's state for every later call.
    pub(super) fn renew(
        &self, host: &dyn Host, shop: &mut ShopConnection,
    ) -> Result<(), AdapterError> {
        let new = self.refresh(host, shop)?;
        shop.credentials.extend(new.clone());
        let mut kept = new;
        kept.insert("base_access_token".into(), shop.credential(CONFIGURED_TOKEN)?.to_owned());
        host.kv_put(&tokens_key(shop), &serde_json::to_string(&kept).unwrap_or_default())
    }

    /// Renews the shop's tokens (`GET /api/v2/token/refresh`); returns the new ones.
    fn refresh(
        &self, host: &dyn Host, shop: &ShopConnection,
    ) -> Result<BTreeMap<String, String>, AdapterError> {
        let base = shop.credentials.get("auth_base").map(String::as_str).unwrap_or(AUTH_HOST);
        let request = wire::refresh_access_token(
            base,
            &AppCredentials::from_shop(shop)?,
            shop.credential("refresh_token")?,
        );
        let response = host.http(request.into_http(super::api::CALL_TIMEOUT_MS))?;
        let parsed: Option<ApiResponse<TokenRefreshData>> =
            serde_json::from_slice(&response.body).ok();
        match parsed {
            Some(ApiResponse { code: 0, data: Some(t), .. }) if response.status == 200 => {
                host.log("TikTok access token refreshed.");
                Ok([
                    ("access_token", t.access_token),
                    ("access_token_expires_at", t.access_token_expire_in.to_string()),
                    ("refresh_token", t.refresh_token),
                    ("refresh_token_expires_at", t.refresh_token_expire_in.to_string()),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect())
            }
            Some(r) if r.code == CODE_INVALID_REFRESH_TOKEN && response.status < 500 => {
                Err(AdapterError::authorization_expired(format!(
                    "TikTok refused the refresh token: {} ({})",
                    r.message, r.code
                )))
            }
            Some(r) if response.status < 500 && response.status != 429 => {
                Err(AdapterError::permanent(
                    "token_expired",
                    format!("token refresh refused: {} ({})", r.message, r.code),
                ))
            }
            _ => Err(AdapterError::from_status(
                &response,
                format!("token refresh failed with HTTP {}", response.status),
            )),
        }
    }
}
