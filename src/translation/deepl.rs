//! The DeepL API. `POST {url}/v2/translate` with `Authorization: DeepL-Auth-Key <key>`
//! and the JSON body `{text: [..], target_lang, source_lang}` (`source_lang` omitted to
//! detect) answers `{translations: [{detected_source_language, text}]}`. Free-plan keys
//! (ending in `:fx`) use `https://api-free.deepl.com`, others `https://api.deepl.com`;
//! 429 is "too many requests", 456 "quota exceeded", 5xx temporary. DeepL bills the
//! source text's characters. Language codes are upper case; English and Portuguese
//! targets name a variant (`EN-US`, `PT-BR`). Source: developers.deepl.com, "Translate
//! text" and "Authentication".

use super::{Attempts, refused, send};
use crate::outbound::OutboundPolicy;
use serde::{Deserialize, Serialize};
use shopmux_core::domain::translation::billed_chars;
use shopmux_core::services::translation::{
    ProviderAnswer, ProviderError, ProviderRequest, TranslationProvider,
};

/// The pro host.
pub const PRO_URL: &str = "https://api.deepl.com/";
/// The free host (keys ending in `:fx`).
pub const FREE_URL: &str = "https://api-free.deepl.com/";

/// The host for a key: free-plan keys end in `:fx`.
pub fn host_for_key(key: &str) -> &'static str {
    if key.ends_with(":fx") { FREE_URL } else { PRO_URL }
}

/// Languages DeepL translates into (primary subtags).
pub const TARGETS: &[&str] = &[
    "ar", "bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "hu", "id", "it", "ja", "ko",
    "lt", "lv", "nb", "nl", "pl", "pt", "ro", "ru", "sk", "sl", "sv", "tr", "uk", "zh",
];

/// The client.
pub struct DeepL {
    /// The outbound client.
    pub client: reqwest::Client,
    /// The outbound policy.
    pub policy: OutboundPolicy,
    /// The API's base URL ([`host_for_key`] unless configured).
    pub url: reqwest::Url,
    /// The authentication key.
    pub api_key: String,
    /// Time limit and retries.
    pub attempts: Attempts,
}

/// The request body.
#[derive(Debug, Serialize)]
pub struct TranslateBody<'a> {
    /// The texts.
    pub text: [&'a str; 1],
    /// The target (`DE`, `EN-US`).
    pub target_lang: String,
    /// The source (`ES`); omitted to detect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_lang: Option<String>,
}

/// The answer.
#[derive(Debug, Deserialize)]
pub struct TranslateAnswer {
    /// One per text.
    pub translations: Vec<Translation>,
}

/// One translation.
#[derive(Debug, Deserialize)]
pub struct Translation {
    /// The detected source (`EN`).
    #[serde(default)]
    pub detected_source_language: Option<String>,
    /// The translation.
    pub text: String,
}

/// DeepL's target code for a primary subtag.
pub fn target_code(lang: &str) -> String {
    match lang {
        "en" => "EN-US".into(),
        "pt" => "PT-BR".into(),
        other => other.to_ascii_uppercase(),
    }
}

#[async_trait::async_trait]
impl TranslationProvider for DeepL {
    fn name(&self) -> &str {
        "deepl"
    }

    fn supports(&self, lang: &str) -> bool {
        TARGETS.contains(&lang)
    }

    async fn translate(&self, request: &ProviderRequest) -> Result<ProviderAnswer, ProviderError> {
        let url = self
            .url
            .join("v2/translate")
            .map_err(|e| ProviderError::new("bad_url", e.to_string()))?;
        let body = TranslateBody {
            text: [&request.text],
            target_lang: target_code(&request.target),
            source_lang: request.source.as_deref().map(str::to_ascii_uppercase),
        };
        let auth = format!("DeepL-Auth-Key {}", self.api_key);
        let (status, answer) = send(&self.policy, &url, self.attempts, || {
            self.client.post(url.clone()).header(reqwest::header::AUTHORIZATION, &auth).json(&body)
        })
        .await?;
        if !(200..300).contains(&status) {
            return Err(refused(status, &answer));
        }
        let answer: TranslateAnswer = serde_json::from_slice(&answer)
            .map_err(|e| ProviderError::new("bad_answer", e.to_string()))?;
        let first = answer
            .translations
            .into_iter()
            .next()
            .ok_or_else(|| ProviderError::new("bad_answer", "no translation in the answer"))?;
        Ok(ProviderAnswer {
            text: first.text,
            detected_source: first.detected_source_language.map(|l| l.to_ascii_lowercase()),
            billed_chars: billed_chars(&request.text),
        })
    }
}
