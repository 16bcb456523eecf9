//! `[storefront]`: how the storefront chat may be reached. By default only through the
//! platform's app proxy (the production-safe setting): direct sessions — the widget
//! calling the daemon itself, anonymous only — are for development and the demo, and a
//! store's pages may call the daemon cross-origin (CORS) only from the origins listed.

use serde::{Deserialize, Serialize};

/// `[storefront]` as written.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawStorefrontConfig {
    /// Allow sessions started straight from the widget (`POST /storefront/{shop}/sessions`),
    /// not through the platform's app proxy. They are always anonymous visitors. Default
    /// false: only proxied sessions.
    pub direct_sessions: bool,
    /// Origins (`https://store.example`, scheme, host and optional port) whose pages may
    /// call the storefront endpoints cross-origin (CORS), when the widget is not proxied.
    /// Default none.
    pub allowed_origins: Vec<String>,
}

/// `[storefront]`, validated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StorefrontConfig {
    /// Whether direct (non-proxied, anonymous) sessions may start.
    pub direct_sessions: bool,
    /// The origins allowed cross-origin, as the browser sends them (no trailing `/`).
    pub allowed_origins: Vec<String>,
}

/// Whether `origin` is a bare origin (the widget settings' own check, also a header value).
fn is_origin(origin: &str) -> bool {
    shopmux_core::domain::widget_settings::is_origin(origin)
        && axum::http::HeaderValue::from_str(origin).is_ok()
}

impl RawStorefrontConfig {
    /// The typed section, or each problem as (key, message).
    pub fn validate(self) -> Result<StorefrontConfig, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut allowed_origins = Vec::new();
        for origin in self.allowed_origins {
            let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
            if is_origin(&origin) {
                allowed_origins.push(origin);
            } else {
                problems.push((
                    "storefront.allowed_origins".to_owned(),
                    format!("`{origin}` is not an origin like `https://store.example`"),
                ));
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(StorefrontConfig { direct_sessions: self.direct_sessions, allowed_origins })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direct_sessions_are_off_and_origins_must_be_bare_origins() {
        assert_eq!(RawStorefrontConfig::default().validate(), Ok(StorefrontConfig::default()));
        let raw = RawStorefrontConfig {
            direct_sessions: true,
            allowed_origins: vec!["https://Store.Example/".into(), "http://127.0.0.1:9000".into()],
        };
        let config = raw.validate().unwrap();
        assert_eq!(config.allowed_origins, ["https://store.example", "http://127.0.0.1:9000"]);
        for bad in ["store.example", "https://store.example/path", "ftp://x", "https://"] {
            let raw =
                RawStorefrontConfig { allowed_origins: vec![bad.into()], ..Default::default() };
            assert!(raw.validate().is_err(), "{bad}");
        }
    }
}
