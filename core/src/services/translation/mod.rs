//! Translation (TT-TR-1, AE-TR-1, AE-TR-2): providers behind one trait
//! ([`TranslationProvider`]; the daemon's LibreTranslate and DeepL clients, the local
//! [`simulator`]), chosen in `[translation]`. Every text goes through
//! `Inbox::translate_text` ([`text`]): the cache first (the same text and language pair is
//! translated once), then the seller's monthly character budget ([`budget`]: the
//! seller's own, else the configured default), then the provider, whose characters are
//! counted per seller, provider and month. A failure never blocks a message: it is kept
//! untranslated with the reason. Buyer messages are translated
//! into the agent's language by a background worker ([`inbound`]); the agent's draft is
//! translated on request and on sending ([`outbound`]).

pub mod budget;
pub mod inbound;
pub mod outbound;
pub mod simulator;
pub mod text;

pub(crate) use inbound::run_loop;

use crate::domain::translation::TranslationSettings;
use crate::storage::translations::{self, Cached};
use std::sync::Arc;
use tokio::sync::Notify;

/// One text to translate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderRequest {
    /// The text.
    pub text: String,
    /// Its language (none: the provider detects it).
    pub source: Option<String>,
    /// The language wanted.
    pub target: String,
}

/// A provider's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderAnswer {
    /// The translation.
    pub text: String,
    /// The source language the provider detected, if it said.
    pub detected_source: Option<String>,
    /// Characters billed.
    pub billed_chars: u64,
}

/// Why a provider did not translate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ProviderError {
    /// A short code (`timeout`, `rate_limited`, `quota_exceeded`, `bad_answer`, ...).
    pub code: String,
    /// What happened.
    pub message: String,
}

impl ProviderError {
    /// An error with its code.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self { code: code.into(), message: message.into() }
    }
}

/// A translation service. Implementations bound each call (time limit, retries with
/// backoff on 429 and 5xx) and never panic.
#[async_trait::async_trait]
pub trait TranslationProvider: Send + Sync {
    /// Its name, stored with each translation and its usage (`deepl`).
    fn name(&self) -> &str;
    /// Whether it can translate into `lang` (a primary subtag); unsupported targets
    /// fall back to English (AE-TR-2).
    fn supports(&self, _lang: &str) -> bool {
        true
    }
    /// Translates one text.
    async fn translate(&self, request: &ProviderRequest) -> Result<ProviderAnswer, ProviderError>;
}

/// How the engine translates (part of `InboxOptions`).
#[derive(Clone, Default)]
pub struct TranslationOptions {
    /// Languages, budget, concurrency.
    pub settings: TranslationSettings,
    /// The provider; none: nothing is translated (messages are not queued).
    pub provider: Option<Arc<dyn TranslationProvider>>,
}

/// The engine's translation state.
pub(crate) struct Translation {
    pub(crate) settings: TranslationSettings,
    pub(crate) provider: Option<Arc<dyn TranslationProvider>>,
    /// Wakes the inbound worker.
    pub(crate) wake: Arc<Notify>,
}

impl From<TranslationOptions> for Translation {
    fn from(o: TranslationOptions) -> Self {
        Self { settings: o.settings, provider: o.provider, wake: Arc::default() }
    }
}

/// A text's translation, or why there is none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Translated {
    /// The provider (none: no provider configured).
    pub provider: Option<String>,
    /// The language translated into (after any fallback to English).
    pub target: String,
    /// The translation, or the reason it is missing (`code: message`).
    pub result: Result<Cached, String>,
    /// Whether it came from the cache (no provider call, nothing counted).
    pub from_cache: bool,
}

/// A seller's translation usage in the current month.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsageReport {
    /// The month (`2026-12`, UTC).
    pub month: String,
    /// The configured provider, if any.
    pub provider: Option<String>,
    /// The seller's monthly character budget, if any.
    pub monthly_budget: Option<u64>,
    /// Characters and requests per provider.
    pub providers: Vec<translations::Usage>,
}
