//! A LibreTranslate-compatible API (self-hostable). `POST {url}/translate` with the JSON
//! body `{q, source, target, format: "text", api_key}` (`source: "auto"` to detect; the
//! key only when configured) answers `{translatedText, detectedLanguage: {confidence,
//! language}}` (`detectedLanguage` only with `auto`); errors are `{error}` with
//! 400/403/429/500. Source: docs.libretranslate.com, "API Usage".

use super::{Attempts, refused, send};
use crate::outbound::OutboundPolicy;
use serde::{Deserialize, Serialize};
use shopmux_core::domain::translation::billed_chars;
use shopmux_core::services::translation::{
    ProviderAnswer, ProviderError, ProviderRequest, TranslationProvider,
};

/// The client.
pub struct LibreTranslate {
    /// The outbound client.
    pub client: reqwest::Client,
    /// The outbound policy.
    pub policy: OutboundPolicy,
    /// The server's base URL (`https://libretranslate.example`).
    pub url: reqwest::Url,
    /// The API key, when the server wants one.
    pub api_key: Option<String>,
    /// Time limit and retries.
    pub attempts: Attempts,
}

/// The request body.
#[derive(Debug, Serialize)]
pub struct TranslateBody<'a> {
    /// The text.
    pub q: &'a str,
    /// Its language, or `auto`.
    pub source: &'a str,
    /// The language wanted.
    pub target: &'a str,
    /// `text` (not HTML).
    pub format: &'a str,
    /// The API key, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<&'a str>,
}

/// The answer.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TranslateAnswer {
    /// The translation.
    pub translated_text: String,
    /// The detected source, with `source: "auto"`.
    #[serde(default)]
    pub detected_language: Option<Detected>,
}

/// A detected language.
#[derive(Debug, Deserialize)]
pub struct Detected {
    /// Its code.
    pub language: String,
}

#[async_trait::async_trait]
impl TranslationProvider for LibreTranslate {
    fn name(&self) -> &str {
        "libretranslate"
    }

    async fn translate(&self, request: &ProviderRequest) -> Result<ProviderAnswer, ProviderError> {
        let url =
            self.url.join("translate").map_err(|e| ProviderError::new("bad_url", e.to_string()))?;
        let body = TranslateBody {
            q: &request.text,
            source: request.source.as_deref().unwrap_or("auto"),
            target: &request.target,
            format: "text",
            api_key: self.api_key.as_deref(),
        };
        let (status, answer) =
            send(&self.policy, &url, self.attempts, || self.client.post(url.clone()).json(&body))
                .await?;
        if !(200..300).contains(&status) {
            return Err(refused(status, &answer));
        }
        let answer: TranslateAnswer = serde_json::from_slice(&answer)
            .map_err(|e| ProviderError::new("bad_answer", e.to_string()))?;
        Ok(ProviderAnswer {
            text: answer.translated_text,
            detected_source: answer.detected_language.map(|d| d.language),
            billed_chars: billed_chars(&request.text),
        })
    }
}
