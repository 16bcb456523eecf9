//! `[translation]`: which provider translates messages and drafts (none, the local
//! simulator, a LibreTranslate-compatible server, DeepL), its key, time limit and
//! retries, the agents' default language and the per-seller monthly character budget —
//! raw, and validated with every problem named by its key.

use super::Problems;
use crate::translation::Attempts;
use serde::{Deserialize, Serialize};
use shopmux_core::domain::translation::{TranslationSettings, normalize_language};
use std::time::Duration;

/// `[translation]`: machine translation of buyer messages and agents' drafts.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawTranslationConfig {
    /// `none` (default: nothing is translated), `simulator` (local and deterministic,
    /// for tests and the demo), `libretranslate` or `deepl`.
    pub provider: String,
    /// The provider's base URL: required for `libretranslate`
    /// (`https://translate.example/`); for `deepl`, empty picks `https://api-free.deepl.com/`
    /// for free keys (ending `:fx`), else `https://api.deepl.com/`.
    pub url: String,
    /// The API key (required for `deepl`; optional for `libretranslate`).
    pub api_key: String,
    /// One request's time limit in milliseconds (100..=60000, default 10000).
    pub timeout_ms: u64,
    /// Retries after a 429, a 5xx or a transport failure (0..=10, default 3), with
    /// exponential backoff from `min_backoff_ms`, never before `Retry-After`.
    pub retries: u32,
    /// The first retry's delay in milliseconds, doubling (10..=60000, default 500).
    pub min_backoff_ms: u64,
    /// The language buyer messages are translated into when the agent's is not known
    /// (default `en`).
    pub default_language: String,
    /// Most characters the provider translates for one seller per calendar month (UTC);
    /// past it messages stay untranslated with `budget_exceeded`. 0 (default): no limit.
    pub seller_monthly_chars: u64,
    /// Most inbound translations in flight at once (1..=64, default 4).
    pub concurrency: usize,
}

impl Default for RawTranslationConfig {
    fn default() -> Self {
        Self {
            provider: "none".into(),
            url: String::new(),
            api_key: String::new(),
            timeout_ms: 10_000,
            retries: 3,
            min_backoff_ms: 500,
            default_language: "en".into(),
            seller_monthly_chars: 0,
            concurrency: 4,
        }
    }
}

/// The provider chosen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProviderKind {
    /// Nothing is translated.
    None,
    /// The local simulator.
    Simulator,
    /// A LibreTranslate-compatible server.
    LibreTranslate {
        /// Its base URL.
        url: reqwest::Url,
        /// Its key, if it wants one.
        api_key: Option<String>,
    },
    /// DeepL.
    DeepL {
        /// The API's base URL.
        url: reqwest::Url,
        /// The key.
        api_key: String,
    },
}

/// `[translation]`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranslationConfig {
    /// The provider.
    pub provider: ProviderKind,
    /// Time limit and retries of its requests.
    pub attempts: Attempts,
    /// What the engine needs.
    pub settings: TranslationSettings,
}

impl Default for TranslationConfig {
    fn default() -> Self {
        RawTranslationConfig::default().validate(&mut Problems::default()).expect("valid defaults")
    }
}

fn base_url(problems: &mut Problems, url: &str) -> Option<reqwest::Url> {
    // A base without a trailing slash would lose its last segment when joined.
    let with_slash = if url.ends_with('/') { url.to_owned() } else { format!("{url}/") };
    reqwest::Url::parse(&with_slash)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .or_else(|| {
            problems.add("translation.url", format!("`{url}` is not an http(s) URL"));
            None
        })
}

impl RawTranslationConfig {
    pub(super) fn validate(self, problems: &mut Problems) -> Option<TranslationConfig> {
        let timeout = problems.in_range("translation.timeout_ms", self.timeout_ms, 100..=60_000);
        let retries = problems.in_range("translation.retries", self.retries, 0..=10);
        let backoff =
            problems.in_range("translation.min_backoff_ms", self.min_backoff_ms, 10..=60_000);
        let concurrency = problems.in_range("translation.concurrency", self.concurrency, 1..=64);
        let default_language = normalize_language(&self.default_language).or_else(|| {
            let bad = format!("`{}` is not a language tag", self.default_language);
            problems.add("translation.default_language", bad);
            None
        });
        let key = (!self.api_key.is_empty()).then(|| self.api_key.clone());
        let provider = match self.provider.as_str() {
            "none" => Some(ProviderKind::None),
            "simulator" => Some(ProviderKind::Simulator),
            "libretranslate" if self.url.is_empty() => {
                problems.add("translation.url", "required for libretranslate");
                None
            }
            "libretranslate" => base_url(problems, &self.url)
                .map(|url| ProviderKind::LibreTranslate { url, api_key: key }),
            "deepl" => match key {
                None => {
                    problems.add("translation.api_key", "required for deepl");
                    None
                }
                Some(api_key) => {
                    let url = if self.url.is_empty() {
                        crate::translation::deepl::host_for_key(&api_key)
                    } else {
                        &self.url
                    };
                    base_url(problems, url).map(|url| ProviderKind::DeepL { url, api_key })
                }
            },
            other => {
                problems.add(
                    "translation.provider",
                    format!("`{other}` is not one of none, simulator, libretranslate, deepl"),
                );
                None
            }
        };
        let ms = Duration::from_millis;
        Some(TranslationConfig {
            provider: provider?,
            attempts: Attempts {
                timeout: ms(timeout?),
                retries: retries?,
                min_backoff: ms(backoff?),
                max_backoff: ms(30_000).max(ms(backoff?)),
            },
            settings: TranslationSettings {
                default_language: default_language?,
                seller_monthly_chars: (self.seller_monthly_chars > 0)
                    .then_some(self.seller_monthly_chars),
                concurrency: concurrency?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::{RawConfig, load_from};
    use super::*;

    #[test]
    fn translation_is_off_by_default_and_providers_name_their_keys() {
        let c = RawConfig::default().validate().expect("defaults");
        assert_eq!(c.translation.provider, ProviderKind::None);
        let mut raw = RawConfig::default();
        raw.translation.provider = "deepl".into();
        raw.translation.timeout_ms = 0;
        let keys: Vec<String> = raw.validate().unwrap_err().into_iter().map(|e| e.key).collect();
        assert_eq!(keys, ["translation.timeout_ms", "translation.api_key"]);
        let mut raw = RawConfig::default();
        raw.translation.provider = "babelfish".into();
        assert_eq!(raw.validate().unwrap_err()[0].key, "translation.provider");
    }

    #[test]
    fn deepl_picks_the_free_host_for_free_keys_and_the_environment_overrides() {
        let vars = [
            ("SHOPMUX_TRANSLATION__PROVIDER", "deepl"),
            ("SHOPMUX_TRANSLATION__API_KEY", "abc:fx"),
            ("SHOPMUX_TRANSLATION__SELLER_MONTHLY_CHARS", "500000"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let c = load_from(None, vars.into_iter()).unwrap();
        let ProviderKind::DeepL { url, .. } = &c.translation.provider else { panic!("deepl") };
        assert_eq!(url.as_str(), "https://api-free.deepl.com/");
        assert_eq!(c.translation.settings.seller_monthly_chars, Some(500_000));
        let mut raw = RawConfig::default();
        raw.translation.provider = "deepl".into();
        raw.translation.api_key = "pro-key".into();
        let c = raw.validate().unwrap();
        let ProviderKind::DeepL { url, .. } = &c.translation.provider else { panic!("deepl") };
        assert_eq!(url.as_str(), "https://api.deepl.com/");
        let mut raw = RawConfig::default();
        raw.translation.provider = "libretranslate".into();
        raw.translation.url = "http://127.0.0.1:5000".into();
        let c = raw.validate().unwrap();
        let ProviderKind::LibreTranslate { url, api_key } = &c.translation.provider else {
            panic!("libretranslate")
        };
        assert_eq!((url.as_str(), api_key), ("http://127.0.0.1:5000/", &None));
    }
}
