//! The local simulator provider, for tests and the demo: deterministic, no network. A
//! small phrase table translates a few shop phrases between English, Spanish, Polish
//! and Chinese; any other text comes back marked with its target (`[en] …`). It
//! counts its calls (so tests see the cache at work), can be told to fail, and
//! supports only the languages of its table, so unsupported targets fall back to
//! English.

use super::{ProviderAnswer, ProviderError, ProviderRequest, TranslationProvider};
use crate::domain::translation::{billed_chars, guess_language, normalize_language};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The languages the simulator translates between.
pub const SIMULATED_LANGUAGES: &[&str] = &["en", "es", "pl", "zh", "fr", "de", "pt"];

/// One phrase in each language of the table (en, es, pl, zh).
const PHRASES: &[[&str; 4]] = &[
    [
        "Hello, when will my order arrive?",
        "Hola, ¿cuándo llegará mi pedido?",
        "Dzień dobry, kiedy przyjdzie moje zamówienie?",
        "你好，我的订单什么时候到？",
    ],
    [
        "Your order ships tomorrow.",
        "Tu pedido se envía mañana.",
        "Twoje zamówienie zostanie wysłane jutro.",
        "您的订单明天发货。",
    ],
    ["Thank you!", "¡Gracias!", "Dziękuję!", "谢谢！"],
    [
        "Can I return this item?",
        "¿Puedo devolver este artículo?",
        "Czy mogę zwrócić ten produkt?",
        "我可以退货吗？",
    ],
    [
        "Yes, you can return it within 30 days.",
        "Sí, puede devolverlo en un plazo de 30 días.",
        "Tak, możesz go zwrócić w ciągu 30 dni.",
        "可以，30天内可以退货。",
    ],
    ["Hello", "Hola", "Dzień dobry", "你好"],
];
const TABLE_LANGS: [&str; 4] = ["en", "es", "pl", "zh"];

/// The simulator provider.
#[derive(Debug, Default)]
pub struct SimulatorProvider {
    calls: AtomicUsize,
    failing: AtomicBool,
}

impl SimulatorProvider {
    /// A fresh simulator.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many times it was asked to translate.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Makes every call fail (`unavailable`) until told otherwise.
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }
}

/// The simulator's translation of `text` into `target`.
pub fn simulate(text: &str, target: &str) -> String {
    let col = TABLE_LANGS.iter().position(|l| *l == target);
    let trimmed = text.trim();
    for row in PHRASES {
        if let (Some(col), true) = (col, row.iter().any(|p| p.eq_ignore_ascii_case(trimmed))) {
            return row[col].to_owned();
        }
    }
    format!("[{target}] {trimmed}")
}

#[async_trait::async_trait]
impl TranslationProvider for SimulatorProvider {
    fn name(&self) -> &str {
        "simulator"
    }

    fn supports(&self, lang: &str) -> bool {
        SIMULATED_LANGUAGES.contains(&lang)
    }

    async fn translate(&self, request: &ProviderRequest) -> Result<ProviderAnswer, ProviderError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            return Err(ProviderError::new("unavailable", "the simulator was told to fail"));
        }
        let target = normalize_language(&request.target)
            .ok_or_else(|| ProviderError::new("bad_request", "unknown target language"))?;
        let detected = match &request.source {
            Some(_) => None,
            None => guess_language(&request.text).map(str::to_owned),
        };
        Ok(ProviderAnswer {
            text: simulate(&request.text, &target),
            detected_source: detected,
            billed_chars: billed_chars(&request.text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulator_is_deterministic_and_marks_what_it_does_not_know() {
        assert_eq!(
            simulate("Hola, ¿cuándo llegará mi pedido?", "en"),
            "Hello, when will my order arrive?"
        );
        assert_eq!(simulate("Your order ships tomorrow.", "es"), "Tu pedido se envía mañana.");
        assert_eq!(simulate("Ship it by Friday", "es"), "[es] Ship it by Friday");
        assert_eq!(simulate("Ship it by Friday", "es"), simulate("Ship it by Friday", "es"));
    }
}
