//! Translation decisions, pure: language tags, which language a buyer message is in
//! (a detected language first, then the buyer's known language, then a small guess by
//! script and common words), whether it needs translating into the agent's language,
//! the cache key of a text and language pair, the month usage is counted in, and the
//! per-seller monthly character budget.

use chrono::{DateTime, Datelike, Utc};
use sha2::{Digest, Sha256};

/// Longest text translated at once, in characters (a draft or a message).
pub const MAX_TEXT_CHARS: usize = 5000;

/// Settings of translation (`[translation]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TranslationSettings {
    /// The agent's language when none is known (`en`).
    pub default_language: String,
    /// Most characters one seller may have translated by the provider in a calendar
    /// month (UTC); none: no limit. Cached translations do not count.
    pub seller_monthly_chars: Option<u64>,
    /// Most inbound translations in flight at once.
    pub concurrency: usize,
}

impl Default for TranslationSettings {
    /// English, no budget, 4 at once.
    fn default() -> Self {
        Self { default_language: "en".into(), seller_monthly_chars: None, concurrency: 4 }
    }
}

/// A language tag reduced to its primary subtag in lower case (`zh-CN` → `zh`,
/// `PT_br` → `pt`); none when it is not 2 or 3 ASCII letters.
pub fn normalize_language(tag: &str) -> Option<String> {
    let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
    let ok = (2..=3).contains(&primary.len()) && primary.bytes().all(|b| b.is_ascii_lowercase());
    ok.then_some(primary)
}

/// Whether two language tags name the same language (by primary subtag).
pub fn same_language(a: &str, b: &str) -> bool {
    normalize_language(a).is_some_and(|a| Some(a) == normalize_language(b))
}

/// The language of a buyer's message: the language detected for the message itself
/// when there is one (it takes precedence), else the buyer's known language, else a
/// guess from the text; none when nothing tells.
pub fn message_language(detected: Option<&str>, buyer: Option<&str>, text: &str) -> Option<String> {
    detected
        .and_then(normalize_language)
        .or_else(|| buyer.and_then(normalize_language))
        .or_else(|| guess_language(text).map(str::to_owned))
}

/// A small fallback guess (not a detector): the script for Chinese, Japanese, Korean,
/// Cyrillic, Arabic, Thai and Hebrew; for Latin script, letters and common words of
/// Spanish, Polish, Portuguese, French, German, Italian and English. None when unsure.
pub fn guess_language(text: &str) -> Option<&'static str> {
    if let Some(lang) = guess_by_script(text) {
        return Some(lang);
    }
    let lower = text.to_lowercase();
    let words: Vec<&str> =
        lower.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty()).collect();
    let mut best: Option<(&'static str, usize)> = None;
    for (lang, marks, common) in LATIN_HINTS {
        let by_letter = lower.chars().filter(|c| marks.contains(*c)).count() * 2;
        let by_word = words.iter().filter(|w| common.contains(w)).count();
        let score = by_letter + by_word;
        if score > best.map_or(0, |(_, s)| s) {
            best = Some((lang, score));
        }
    }
    best.map(|(lang, _)| lang)
}

/// Languages of Latin script: letters only they use, and common short words.
const LATIN_HINTS: &[(&str, &str, &[&str])] = &[
    (
        "es",
        "ñ¿¡",
        &[
            "el", "la", "los", "las", "que", "de", "y", "mi", "hola", "por", "para", "pedido",
            "cuándo", "llega", "gracias", "es", "está", "tiene", "una", "un", "con", "dónde",
        ],
    ),
    (
        "pl",
        "ąęłńśźż",
        &[
            "jest",
            "nie",
            "się",
            "czy",
            "dzień",
            "dobry",
            "moje",
            "zamówienie",
            "kiedy",
            "dziękuję",
            "jak",
            "gdzie",
            "proszę",
        ],
    ),
    (
        "pt",
        "ãõ",
        &[
            "não", "obrigado", "obrigada", "meu", "pedido", "quando", "chega", "você", "olá",
            "uma", "com",
        ],
    ),
    (
        "fr",
        "œ",
        &[
            "le", "les", "est", "je", "vous", "bonjour", "merci", "ma", "commande", "quand", "où",
            "une", "pour", "avec",
        ],
    ),
    (
        "de",
        "ß",
        &[
            "der",
            "die",
            "das",
            "ist",
            "ich",
            "nicht",
            "und",
            "hallo",
            "danke",
            "meine",
            "bestellung",
            "wann",
            "wo",
        ],
    ),
    (
        "it",
        "",
        &[
            "il", "che", "non", "ciao", "grazie", "mio", "ordine", "quando", "arriva", "dove",
            "sono",
        ],
    ),
    (
        "en",
        "",
        &[
            "the", "is", "my", "order", "when", "where", "hi", "thanks", "thank", "you", "and",
            "i", "it", "does", "what", "can", "please",
        ],
    ),
];

fn guess_by_script(text: &str) -> Option<&'static str> {
    let mut kana = false;
    let mut han = false;
    for c in text.chars() {
        match c as u32 {
            0x3040..=0x30FF => kana = true,
            0xAC00..=0xD7AF => return Some("ko"),
            0x4E00..=0x9FFF | 0x3400..=0x4DBF => han = true,
            0x0400..=0x04FF => return Some("ru"),
            0x0600..=0x06FF => return Some("ar"),
            0x0E00..=0x0E7F => return Some("th"),
            0x0590..=0x05FF => return Some("he"),
            _ => {}
        }
    }
    if kana {
        Some("ja")
    } else if han {
        Some("zh")
    } else {
        None
    }
}

/// What to do with a buyer message for an agent reading `target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboundPlan {
    /// Already in the agent's language: nothing to translate.
    SameLanguage,
    /// Translate from `source` (none: let the provider detect it) into `target`.
    Translate {
        /// The message's language, when known.
        source: Option<String>,
        /// The agent's language.
        target: String,
    },
}

/// Whether a buyer message in `source` needs translating for an agent reading `target`.
pub fn plan_inbound(source: Option<&str>, target: &str) -> InboundPlan {
    match source {
        Some(s) if same_language(s, target) => InboundPlan::SameLanguage,
        _ => InboundPlan::Translate {
            source: source.and_then(normalize_language),
            target: normalize_language(target).unwrap_or_else(|| "en".into()),
        },
    }
}

/// The cache key of a text and language pair for one provider: a SHA-256 over them,
/// so the same text and pair is translated once. `source` none is "detect".
pub fn cache_key(provider: &str, source: Option<&str>, target: &str, text: &str) -> String {
    let mut h = Sha256::new();
    for part in [provider, source.unwrap_or("auto"), target, text] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    hex::encode(h.finalize())
}

/// The calendar month (UTC) usage is counted in: `2026-12`.
pub fn month_of(at: DateTime<Utc>) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

/// The characters a provider bills for `text` (Unicode scalar values).
pub fn billed_chars(text: &str) -> u64 {
    text.chars().count() as u64
}

/// Whether `chars` more fit a monthly `budget` of which `used` is spent.
pub fn within_budget(used: u64, chars: u64, budget: Option<u64>) -> bool {
    budget.is_none_or(|b| used.saturating_add(chars) <= b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_tags_reduce_to_their_primary_subtag() {
        assert_eq!(normalize_language("zh-CN").as_deref(), Some("zh"));
        assert_eq!(normalize_language("PT_br").as_deref(), Some("pt"));
        assert_eq!(normalize_language("english"), None);
        assert_eq!(normalize_language(""), None);
        assert!(same_language("en-US", "EN"));
        assert!(!same_language("en", "es"));
    }

    #[test]
    fn a_detected_language_takes_precedence_over_the_buyer_and_the_guess() {
        assert_eq!(message_language(Some("pl"), Some("es"), "good morning").as_deref(), Some("pl"));
        assert_eq!(message_language(None, Some("es-MX"), "good morning").as_deref(), Some("es"));
        assert_eq!(message_language(None, None, "¿Cuándo llega mi pedido?").as_deref(), Some("es"));
        assert_eq!(message_language(None, None, "12345"), None);
    }

    #[test]
    fn the_fallback_guess_reads_scripts_and_common_words() {
        assert_eq!(guess_language("我的订单什么时候到？"), Some("zh"));
        assert_eq!(guess_language("注文はいつ届きますか"), Some("ja"));
        assert_eq!(guess_language("Где мой заказ?"), Some("ru"));
        assert_eq!(guess_language("Kiedy przyjdzie moje zamówienie?"), Some("pl"));
        assert_eq!(guess_language("When does my order arrive?"), Some("en"));
        assert_eq!(guess_language("👍"), None);
    }

    #[test]
    fn a_message_in_the_agents_language_is_not_translated() {
        assert_eq!(plan_inbound(Some("en-GB"), "en"), InboundPlan::SameLanguage);
        assert_eq!(
            plan_inbound(Some("es"), "en"),
            InboundPlan::Translate { source: Some("es".into()), target: "en".into() }
        );
        assert_eq!(
            plan_inbound(None, "zh-CN"),
            InboundPlan::Translate { source: None, target: "zh".into() }
        );
    }

    #[test]
    fn cache_keys_separate_pairs_and_providers_and_budgets_bound_months() {
        let k = cache_key("deepl", Some("es"), "en", "hola");
        assert_eq!(k, cache_key("deepl", Some("es"), "en", "hola"));
        assert_ne!(k, cache_key("deepl", Some("es"), "pl", "hola"));
        assert_ne!(k, cache_key("libretranslate", Some("es"), "en", "hola"));
        assert_ne!(k, cache_key("deepl", None, "en", "hola"));
        let at = DateTime::parse_from_rfc3339("2026-02-03T04:05:06Z").unwrap().to_utc();
        assert_eq!(month_of(at), "2026-02");
        assert_eq!(billed_chars("¿qué?"), 5);
        assert!(within_budget(90, 10, Some(100)));
        assert!(!within_budget(91, 10, Some(100)));
        assert!(within_budget(u64::MAX, 10, None));
    }
}
