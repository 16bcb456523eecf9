//! `[connect]`: connecting shops through the platforms' authorization pages — the
//! daemon's public address (where platforms send sellers back and deliver webhooks) and,
//! per platform, the marketplace app shopmux acts as (`[connect.apps.<platform>]`).

use super::Problems;
use serde::{Deserialize, Serialize};
use shopmux_contract::adapter::AuthorizationApp;
use std::collections::BTreeMap;

/// `[connect]`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConnectConfig {
    /// This daemon's address as platforms and browsers reach it (`https://inbox.example`,
    /// no trailing slash). Callbacks are `{public_url}/connect/{platform}/callback`,
    /// webhooks `{public_url}/webhooks/{platform}/…`. Empty: the daemon's own address
    /// (on loopback when it listens on every address) — enough locally and for the demo;
    /// set it when platforms reach the daemon through a proxy or another name.
    pub public_url: String,
    /// The app per platform id.
    pub apps: BTreeMap<String, RawConnectApp>,
}

/// `[connect.apps.<platform>]`: one marketplace app.
#[derive(Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawConnectApp {
    /// The app key or client id.
    pub client_id: String,
    /// The app secret or client secret (a secret: masked by `check-config`).
    pub client_secret: String,
    /// Replaces the platform's authorization page host (a simulator in tests and demos).
    pub authorize_base: String,
    /// Replaces the platform's token and API host (a simulator in tests and demos).
    pub api_base: String,
    /// Further settings the platform's adapter reads (`service_id`, `scopes`).
    pub settings: BTreeMap<String, String>,
}

impl std::fmt::Debug for RawConnectApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawConnectApp").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// The validated `[connect]`.
#[derive(Clone, Debug, Default)]
pub struct ConnectConfig {
    /// The daemon's public address, when one-click connections are on.
    pub public_url: Option<String>,
    /// The app per platform id.
    pub apps: BTreeMap<String, AuthorizationApp>,
}

fn http_url(value: &str) -> bool {
    (value.starts_with("https://") || value.starts_with("http://"))
        && !value.ends_with('/')
        && !value.contains(char::is_whitespace)
}

fn optional(value: String) -> Option<String> {
    (!value.is_empty()).then_some(value)
}

impl RawConnectConfig {
    pub(super) fn validate(self, problems: &mut Problems) -> ConnectConfig {
        let public_url = optional(self.public_url);
        if let Some(url) = &public_url
            && !http_url(url)
        {
            problems.add("connect.public_url", "an http(s) URL without a trailing slash");
        }
        let mut apps = BTreeMap::new();
        for (platform, app) in self.apps {
            let key = |field: &str| format!("connect.apps.{platform}.{field}");
            if app.client_id.trim().is_empty() {
                problems.add(&key("client_id"), "required");
            }
            if app.client_secret.is_empty() {
                problems.add(&key("client_secret"), "required");
            }
            for (field, value) in
                [("authorize_base", &app.authorize_base), ("api_base", &app.api_base)]
            {
                if !value.is_empty() && !http_url(value) {
                    problems.add(&key(field), "an http(s) URL without a trailing slash");
                }
            }
            let typed = AuthorizationApp {
                client_id: app.client_id,
                client_secret: app.client_secret,
                settings: app.settings,
                authorize_base: optional(app.authorize_base),
                api_base: optional(app.api_base),
            };
            apps.insert(platform, typed);
        }
        ConnectConfig { public_url, apps }
    }
}

#[cfg(test)]
mod tests {
    use super::super::RawConfig;

    #[test]
    fn apps_are_checked_and_their_secrets_masked() {
        let mut raw = RawConfig::default();
        raw.database.url = "sqlite://x.db".into();
        raw.connect.public_url = "https://inbox.example/".into();
        raw.connect.apps.insert(
            "acme".into(),
            super::RawConnectApp {
                client_id: "id".into(),
                api_base: "ftp://x".into(),
                ..Default::default()
            },
        );
        let keys: Vec<String> = raw.validate().unwrap_err().into_iter().map(|e| e.key).collect();
        for key in
            ["connect.public_url", "connect.apps.acme.client_secret", "connect.apps.acme.api_base"]
        {
            assert!(keys.iter().any(|k| k == key), "{key} missing from {keys:?}");
        }
        let mut raw = RawConfig::default();
        raw.connect.apps.insert(
            "acme".into(),
            super::RawConnectApp {
                client_id: "id".into(),
                client_secret: "s3cr3t".into(),
                ..Default::default()
            },
        );
        assert!(!raw.to_masked_toml().contains("s3cr3t"));
    }
}
