//! The token refresh on TikTok's auth host (§1.1): `GET /api/v2/token/refresh` with the
//! app's key and secret and the shop's refresh token in the query (not signed), and the
//! renewed pair in the reply's `data`.

use serde::{Deserialize, Serialize};

use super::request::{AppCredentials, HttpMethod, WireRequest};

/// TikTok's auth host, where tokens are refreshed (§1.1).
pub const AUTH_HOST: &str = "https://auth.tiktok-shops.com";

/// Renew a shop's tokens at `auth_base` ([`AUTH_HOST`], or a stand-in's address).
pub fn refresh_access_token(
    auth_base: &str, app: &AppCredentials, refresh_token: &str,
) -> WireRequest {
    let grant = [("refresh_token", refresh_token), ("grant_type", "refresh_token")];
    token_request(auth_base, app, "/api/v2/token/refresh", grant)
}

/// A token request on the auth host: `GET path` with the app's key and secret and the
/// grant (`auth_code` or `refresh_token`, then `grant_type`) in the query, unsigned.
pub(super) fn token_request(
    auth_base: &str, app: &AppCredentials, path: &str, grant: [(&str, &str); 2],
) -> WireRequest {
    let [(name, value), (kind, grant_type)] = grant;
    let query = [
        ("app_key", app.app_key.as_str()),
        ("app_secret", app.app_secret.as_str()),
        (name, value),
        (kind, grant_type),
    ];
    WireRequest {
        method: HttpMethod::Get,
        host: auth_base.trim_end_matches('/').to_owned(),
        path: path.to_owned(),
        query: query.into_iter().map(|(key, value)| (key.to_owned(), value.to_owned())).collect(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// `data` of the token refresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRefreshData {
    /// `access_token`.
    pub access_token: String,
    /// `access_token_expire_in`: when the access token expires, Unix seconds.
    #[serde(default)]
    pub access_token_expire_in: i64,
    /// `refresh_token`.
    pub refresh_token: String,
    /// `refresh_token_expire_in`: when the refresh token expires, Unix seconds.
    #[serde(default)]
    pub refresh_token_expire_in: i64,
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::credentials;
    use super::*;

    #[test]
    fn the_refresh_carries_the_app_and_the_refresh_token_in_the_query() {
        let request = refresh_access_token("https://auth.example/", &credentials(), "r/1");
        assert_eq!(request.method, HttpMethod::Get);
        assert_eq!(
            request.url(),
            "https://auth.example/api/v2/token/refresh?app_key=29a39d&app_secret=e59af819cc\
             &refresh_token=r%2F1&grant_type=refresh_token"
        );
        assert!(request.headers.is_empty() && request.body.is_empty());
    }
}
