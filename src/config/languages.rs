//! `[languages]`: language detection and the topic classifier of buyer messages
//! (SH-TOPIC-1) — raw, and validated with every problem named by its key.

use super::Problems;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[languages]`: how buyer messages are read.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RawLanguagesConfig {
    /// Detect each buyer text's language offline (default true); it sets the buyer's
    /// language when the platform gives none.
    pub detect: bool,
    /// The topic classifier: `builtin` (offline, the default), `http` (a model endpoint
    /// at `topic_endpoint`) or `off`.
    pub topic_classifier: String,
    /// The model endpoint's URL (with `topic_classifier = "http"`): it is POSTed
    /// `{"text": ..., "topics": [...]}` and answers `{"topic": ..., "confidence": ...}`.
    pub topic_endpoint: Option<String>,
    /// The endpoint's time limit in milliseconds (100..=30000, default 2000); a late or
    /// failed answer is no label.
    pub topic_timeout_ms: u64,
}

impl Default for RawLanguagesConfig {
    fn default() -> Self {
        Self {
            detect: true,
            topic_classifier: "builtin".into(),
            topic_endpoint: None,
            topic_timeout_ms: 2000,
        }
    }
}

/// Which topic classifier runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TopicClassifierConfig {
    /// The built-in offline model.
    BuiltIn,
    /// A model endpoint.
    Http {
        /// Its URL.
        url: reqwest::Url,
        /// Its time limit.
        timeout: Duration,
    },
    /// No topics.
    Off,
}

/// `[languages]`, validated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LanguagesConfig {
    /// Detect languages.
    pub detect: bool,
    /// The topic classifier.
    pub topics: TopicClassifierConfig,
}

impl Default for LanguagesConfig {
    fn default() -> Self {
        Self { detect: true, topics: TopicClassifierConfig::BuiltIn }
    }
}

impl RawLanguagesConfig {
    pub(super) fn validate(self, problems: &mut Problems) -> Option<LanguagesConfig> {
        let timeout =
            problems.in_range("languages.topic_timeout_ms", self.topic_timeout_ms, 100..=30_000);
        let topics = match self.topic_classifier.as_str() {
            "builtin" => TopicClassifierConfig::BuiltIn,
            "off" => TopicClassifierConfig::Off,
            "http" => {
                let url = match self.topic_endpoint.as_deref().map(reqwest::Url::parse) {
                    Some(Ok(url)) if matches!(url.scheme(), "http" | "https") => url,
                    _ => {
                        problems.add(
                            "languages.topic_endpoint",
                            "an http(s) URL is needed with topic_classifier = \"http\"",
                        );
                        return None;
                    }
                };
                TopicClassifierConfig::Http { url, timeout: Duration::from_millis(timeout?) }
            }
            other => {
                problems.add(
                    "languages.topic_classifier",
                    format!("`{other}` is not one of builtin, http, off"),
                );
                return None;
            }
        };
        timeout?;
        Some(LanguagesConfig { detect: self.detect, topics })
    }
}

#[cfg(test)]
mod tests {
    use super::super::RawConfig;
    use super::*;

    fn validate(raw: RawLanguagesConfig) -> Result<LanguagesConfig, Vec<String>> {
        let config = RawConfig { languages: raw, ..Default::default() }.validate();
        config.map(|c| c.languages).map_err(|e| e.into_iter().map(|e| e.key).collect())
    }

    #[test]
    fn the_builtin_classifier_is_the_default_and_http_needs_an_endpoint() {
        assert_eq!(validate(RawLanguagesConfig::default()).unwrap(), LanguagesConfig::default());
        let http = |endpoint: Option<&str>| RawLanguagesConfig {
            topic_classifier: "http".into(),
            topic_endpoint: endpoint.map(str::to_owned),
            ..Default::default()
        };
        let ok = validate(http(Some("https://models.example/topics"))).unwrap();
        assert!(matches!(ok.topics, TopicClassifierConfig::Http { .. }));
        let errors = validate(http(None)).unwrap_err();
        assert!(errors.iter().any(|k| k == "languages.topic_endpoint"), "{errors:?}");
        let errors = validate(RawLanguagesConfig {
            topic_classifier: "gpt".into(),
            topic_timeout_ms: 5,
            ..Default::default()
        })
        .unwrap_err();
        assert!(errors.iter().any(|k| k == "languages.topic_classifier"), "{errors:?}");
        assert!(errors.iter().any(|k| k == "languages.topic_timeout_ms"), "{errors:?}");
    }
}
