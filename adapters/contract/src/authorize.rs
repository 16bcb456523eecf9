//! Connecting a shop through its platform's authorization page (capability
//! [`Capabilities::authorizes`](crate::adapter::Capabilities::authorizes)): the values of
//! the four steps an adapter implements — the page's URL ([`AuthorizationRequest`] in, a
//! URL out), the callback's own signature where the platform signs it
//! ([`AuthorizationCallback`]), the code exchanged for tokens ([`AuthorizationGrant`]),
//! and the shops the grant covers ([`AuthorizedShop`]) — and the app they act as
//! ([`AuthorizationApp`]). The host keeps `state` (CSRF) itself: adapters only carry it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Named credentials (tokens, the app's secret where the shop's calls need it).
pub type NamedCredentials = BTreeMap<String, String>;

/// The marketplace app a seller authorizes, as the operator configured it: its key or
/// client id and its secret, and where the platform's pages and APIs are (the defaults
/// when absent; the simulators' addresses in tests). `Debug` hides the secret.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationApp {
    /// The app key (TikTok, Douyin, AliExpress) or client id (Shopify).
    pub client_id: String,
    /// The app secret or client secret.
    pub client_secret: String,
    /// Further named settings of the app (`service_id`, `scopes`, ...).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    /// Replaces the base URL of the platform's authorization page.
    #[serde(default)]
    pub authorize_base: Option<String>,
    /// Replaces the base URL of the platform's token and shop APIs; connected shops get
    /// it as their `api_base`.
    #[serde(default)]
    pub api_base: Option<String>,
}

impl std::fmt::Debug for AuthorizationApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationApp")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .field("settings", &self.settings)
            .field("authorize_base", &self.authorize_base)
            .field("api_base", &self.api_base)
            .finish()
    }
}

/// What the authorization page is asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    /// Where the platform sends the seller back (shopmux's callback for the platform).
    pub redirect_uri: String,
    /// The host's signed, single-use state; the platform hands it back unchanged.
    pub state: String,
    /// The shop the seller names before leaving, on platforms whose page is the shop's
    /// own (a Shopify store's domain); none elsewhere.
    #[serde(default)]
    pub shop_hint: Option<String>,
}

/// A callback the adapter verified (the platform's own signature, its age, the shop's
/// name) and read: what the host checks and exchanges next.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationCallback {
    /// The authorization code.
    pub code: String,
    /// The state, as the platform handed it back.
    pub state: String,
    /// The shop the callback names, when it names one.
    #[serde(default)]
    pub shop_hint: Option<String>,
}

impl AuthorizationCallback {
    /// The `code` and `state` of a callback the platform does not sign (TikTok, Douyin,
    /// AliExpress, Lazada): both must be present and non-empty (`bad_request`).
    pub fn unsigned(query: &[(String, String)]) -> Result<Self, crate::AdapterError> {
        let read = |key: &str| {
            crate::wire::find_param(query, key)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    crate::AdapterError::permanent(
                        "bad_request",
                        format!("the callback has no `{key}`"),
                    )
                })
        };
        Ok(Self { code: read("code")?, state: read("state")?, shop_hint: None })
    }
}

impl std::fmt::Debug for AuthorizationCallback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationCallback")
            .field("code", &"<redacted>")
            .field("shop_hint", &self.shop_hint)
            .finish()
    }
}

/// What the code was exchanged for: the tokens, and the shop they name when the
/// platform's answer names one.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizationGrant {
    /// Tokens and what goes with them (`access_token`, `refresh_token`, expiries, scope).
    pub credentials: NamedCredentials,
    /// The shop (or seller) the grant names, if it does.
    #[serde(default)]
    pub shop_hint: Option<String>,
}

impl std::fmt::Debug for AuthorizationGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationGrant")
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .field("shop_hint", &self.shop_hint)
            .finish()
    }
}

/// A shop an authorization covers, with the connection it gets.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorizedShop {
    /// The platform's id of the shop (the shop's identity in shopmux with the region).
    pub external_id: String,
    /// Region or country code; empty: none.
    #[serde(default)]
    pub region: String,
    /// The shop's name as the platform shows it.
    #[serde(default)]
    pub name: String,
    /// The API base its calls use (none: the platform's).
    #[serde(default)]
    pub api_base: Option<String>,
    /// Its connection's credentials (sealed by the host).
    pub credentials: NamedCredentials,
}

impl std::fmt::Debug for AuthorizedShop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizedShop")
            .field("external_id", &self.external_id)
            .field("region", &self.region)
            .field("name", &self.name)
            .field("credentials", &self.credentials.keys().collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_appear_in_debug_output() {
        let app = AuthorizationApp {
            client_id: "id".into(),
            client_secret: "s3cr3t".into(),
            ..Default::default()
        };
        let grant = AuthorizationGrant {
            credentials: [("access_token".to_owned(), "t0k3n".to_owned())].into(),
            shop_hint: None,
        };
        let callback =
            AuthorizationCallback { code: "c0d3".into(), state: "st".into(), shop_hint: None };
        let shown = format!("{app:?} {grant:?} {callback:?}");
        assert!(!shown.contains("s3cr3t") && !shown.contains("t0k3n") && !shown.contains("c0d3"));
        assert!(shown.contains("access_token"), "{shown}");
    }
}
