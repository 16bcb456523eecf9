//! Which language a buyer writes in, offline: each inbound text is identified by
//! `whatlang` (trigram profiles, no network) among the languages buyers commonly write
//! in ([`CANDIDATES`]) — or, cheaper, by its function words when they alone settle it —
//! and the buyer's language follows those detections with
//! hysteresis ([`buyer_language`]) so that "ok", "👍" or a product name does not flip
//! it. Pure.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use whatlang::{Detector, Lang};

/// The least weight ([`letter_weight`]) of a text that is identified at all: below it
/// (an emoji, "ok", "hi") nothing is stored.
pub const MIN_WEIGHT_TO_DETECT: usize = 6;
/// The least weight of a text whose detection sets a buyer's language they have none of.
pub const MIN_WEIGHT_TO_SET: usize = 12;
/// The least weight of a text whose detection switches a buyer's language to another.
pub const MIN_WEIGHT_TO_SWITCH: usize = 20;
/// The least confidence of a detection that sets a buyer's language.
pub const MIN_CONFIDENCE_TO_SET: f32 = 0.5;
/// The least confidence of a detection that switches a buyer's language.
pub const MIN_CONFIDENCE_TO_SWITCH: f32 = 0.8;

/// The languages a text is identified among: those of cross-border buyers (whatlang
/// knows 70; fewer candidates confuse fewer close relatives on short messages).
const CANDIDATES: &[(Lang, &str)] = &[
    (Lang::Eng, "en"),
    (Lang::Spa, "es"),
    (Lang::Pol, "pl"),
    (Lang::Cmn, "zh"),
    (Lang::Deu, "de"),
    (Lang::Fra, "fr"),
    (Lang::Ita, "it"),
    (Lang::Por, "pt"),
    (Lang::Nld, "nl"),
    (Lang::Rus, "ru"),
    (Lang::Ukr, "uk"),
    (Lang::Ces, "cs"),
    (Lang::Tur, "tr"),
    (Lang::Ara, "ar"),
    (Lang::Heb, "he"),
    (Lang::Jpn, "ja"),
    (Lang::Kor, "ko"),
    (Lang::Vie, "vi"),
    (Lang::Tha, "th"),
    (Lang::Ind, "id"),
    (Lang::Hin, "hi"),
    (Lang::Swe, "sv"),
    (Lang::Ron, "ro"),
    (Lang::Hun, "hu"),
    (Lang::Ell, "el"),
];

static DETECTOR: std::sync::LazyLock<Detector> = std::sync::LazyLock::new(|| {
    Detector::with_allowlist(CANDIDATES.iter().map(|(l, _)| *l).collect())
});

/// A text's language as detected: an ISO 639-1 code and how sure the detector is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Detection {
    /// The language (`en`, `es`, `pl`, `zh`, ...).
    pub language: String,
    /// The detector's confidence, 0 to 1.
    pub confidence: f32,
    /// The text's [`letter_weight`].
    pub weight: usize,
}

/// Whether a character is a CJK ideograph or syllable (one carries what a few Latin
/// letters do).
fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF)
}

/// How much language evidence a text holds: its letters, a CJK character counting 3;
/// digits, punctuation and emoji count nothing.
pub fn letter_weight(text: &str) -> usize {
    text.chars().map(|c| if is_cjk(c) { 3 } else { usize::from(c.is_alphabetic()) }).sum()
}

/// The detector's confidence under which a clear vote of function words
/// ([`FUNCTION_WORDS`]) decides instead: trigrams alone mistake short English and
/// Spanish for Portuguese or Dutch (tuned on the dev set, `topics_dev.json`).
const TRUST_TRIGRAMS_FROM: f64 = 0.5;

/// Frequent function words of languages written in the Latin script, as normalised
/// (lowercase, no diacritics).
const FUNCTION_WORDS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "the", "and", "you", "your", "is", "are", "do", "does", "to", "of", "for", "my", "me",
            "it", "this", "that", "can", "how", "what", "when", "where", "have", "has", "with",
            "i", "will", "please", "thanks", "not", "any", "there", "am", "an",
        ],
    ),
    (
        "es",
        &[
            "el", "los", "las", "que", "y", "en", "una", "por", "para", "con", "mi", "es", "se",
            "lo", "como", "cuando", "donde", "hay", "tienen", "quiero", "puedo", "gracias", "hola",
            "del", "al", "esta", "usted",
        ],
    ),
    (
        "pl",
        &[
            "w", "z", "na", "nie", "sie", "jest", "czy", "jak", "mam", "moje", "moj", "ze", "po",
            "prosze", "dzien", "dobry", "ile", "kiedy", "gdzie", "jestem", "moge", "macie", "dla",
        ],
    ),
    (
        "pt",
        &[
            "os", "as", "em", "um", "uma", "nao", "voce", "meu", "minha", "obrigado", "ola", "tem",
            "sao", "isso", "pode",
        ],
    ),
    (
        "de",
        &[
            "der", "die", "das", "und", "ist", "ich", "nicht", "sie", "mit", "fur", "ein", "eine",
            "zu", "von", "mein", "bitte", "danke", "wie", "wo",
        ],
    ),
    (
        "fr",
        &[
            "le", "les", "et", "est", "je", "vous", "pas", "une", "pour", "avec", "mon", "merci",
            "bonjour", "ou", "quand", "ce",
        ],
    ),
    ("it", &["il", "di", "che", "non", "sono", "mio", "grazie", "ciao", "dove", "perche", "gli"]),
];

/// Each function word's languages ([`FUNCTION_WORDS`] indexes): "sie" is German and
/// Polish.
static WORD_LANGUAGES: std::sync::LazyLock<HashMap<&'static str, Vec<usize>>> =
    std::sync::LazyLock::new(|| {
        let mut map: HashMap<&'static str, Vec<usize>> = HashMap::new();
        for (index, (_, words)) in FUNCTION_WORDS.iter().enumerate() {
            for word in *words {
                map.entry(word).or_default().push(index);
            }
        }
        map
    });

/// How many of each language's function words a normalised text holds, in the part the
/// trigrams read ([`TRIGRAM_CHARS`]): the first and the runner-up.
struct Vote {
    first: (usize, &'static str),
    second: usize,
}

impl Vote {
    fn of(normalized: &str) -> Self {
        let mut hits = [0usize; FUNCTION_WORDS.len()];
        for word in trigram_part(normalized).split(' ') {
            for &index in WORD_LANGUAGES.get(word).map_or(&[][..], Vec::as_slice) {
                hits[index] += 1;
            }
        }
        let (mut first, mut second) = ((0, FUNCTION_WORDS[0].0), 0);
        for (count, (lang, _)) in hits.into_iter().zip(FUNCTION_WORDS) {
            if count > first.0 {
                second = first.0;
                first = (count, *lang);
            } else {
                second = second.max(count);
            }
        }
        Vote { first, second }
    }

    /// The language whose function words the text holds most, with at least two and
    /// more than any other language's.
    fn clear(&self) -> Option<&'static str> {
        (self.first.0 >= 2 && self.first.0 > self.second).then_some(self.first.1)
    }

    /// The language, with the vote's confidence, when its function words alone settle
    /// it ([`DECISIVE_WORDS`] or more, three times any other's): the trigrams are not
    /// asked.
    fn decisive(&self) -> Option<(&'static str, f64)> {
        let (top, lang) = self.first;
        (top >= DECISIVE_WORDS && top >= 3 * self.second)
            .then(|| (lang, (top - self.second) as f64 / top as f64))
    }
}

/// The least function words of one language that settle a text's language without the
/// trigrams (when no other language has a third as many): the trigrams cost ~30 µs a
/// message on the ingest path, and a text this clear gets the same answer from them.
const DECISIVE_WORDS: usize = 3;

/// The language of a text, when it holds enough letters ([`MIN_WEIGHT_TO_DETECT`]) and
/// is in one of the candidate languages: by its function words where they settle it
/// ([`DECISIVE_WORDS`]), else by trigrams, or, when they are unsure, by a clear vote of
/// function words (then the confidence is the trigrams' threshold).
pub fn detect(text: &str) -> Option<Detection> {
    detect_normalized(text, &super::faq_match::normalize(text))
}

/// [`detect`], with the text also normalised ([`super::faq_match::normalize`]).
pub fn detect_normalized(text: &str, normalized: &str) -> Option<Detection> {
    let weight = letter_weight(text);
    if weight < MIN_WEIGHT_TO_DETECT {
        return None;
    }
    let (code, confidence) = identify(text, normalized)?;
    let confidence = (confidence as f32 * 1000.0).round() / 1000.0;
    Some(Detection { language: code.to_owned(), confidence, weight })
}

/// The most characters of a text the trigrams read: their answer is settled well before
/// (a few sentences), and each character costs a profile look-up per candidate language
/// on the ingest path — a 4,000-character message cost 20 times a short one.
pub const TRIGRAM_CHARS: usize = 200;

/// The first [`TRIGRAM_CHARS`] characters of `text`.
fn trigram_part(text: &str) -> &str {
    text.char_indices().nth(TRIGRAM_CHARS).map_or(text, |(at, _)| &text[..at])
}

/// The function words' answer where they settle it ([`Vote::decisive`]); otherwise the
/// trigrams', or the function words' where the trigrams are unsure.
fn identify(text: &str, normalized: &str) -> Option<(&'static str, f64)> {
    let vote = Vote::of(normalized);
    if let Some(decided) = vote.decisive() {
        return Some(decided);
    }
    let info = DETECTOR.detect(trigram_part(text));
    let of =
        |info: &whatlang::Info| CANDIDATES.iter().find(|(l, _)| *l == info.lang()).map(|c| c.1);
    Some(match info {
        Some(info) if info.confidence() >= TRUST_TRIGRAMS_FROM => (of(&info)?, info.confidence()),
        info => match (vote.clear(), info) {
            (Some(code), _) => (code, TRUST_TRIGRAMS_FROM),
            (None, Some(info)) => (of(&info)?, info.confidence()),
            (None, None) => return None,
        },
    })
}

/// The primary subtag of a language tag (`zh-CN` → `zh`), lowercase.
fn primary(tag: &str) -> String {
    tag.split(['-', '_']).next().unwrap_or(tag).to_ascii_lowercase()
}

/// The buyer's language after a detection, when it changes (none: keep `current`).
/// A buyer without a language takes a confident detection of a text of at least
/// [`MIN_WEIGHT_TO_SET`]; one with a language switches only on a more confident
/// detection of a longer text ([`MIN_WEIGHT_TO_SWITCH`]), so short or mixed messages
/// never flap it. A language the platform gives is applied by the caller, not here.
pub fn buyer_language(current: Option<&str>, detection: &Detection) -> Option<String> {
    match current {
        None => (detection.weight >= MIN_WEIGHT_TO_SET
            && detection.confidence >= MIN_CONFIDENCE_TO_SET)
            .then(|| detection.language.clone()),
        Some(tag) if primary(tag) == detection.language => None,
        Some(_) => (detection.weight >= MIN_WEIGHT_TO_SWITCH
            && detection.confidence >= MIN_CONFIDENCE_TO_SWITCH)
            .then(|| detection.language.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_buyer_languages_are_recognised() {
        assert_eq!(detect("Where is my order? It has been two weeks").unwrap().language, "en");
        assert_eq!(detect("¿Dónde está mi pedido? Hace dos semanas").unwrap().language, "es");
        assert_eq!(
            detect("Gdzie jest moje zamówienie? Minęły dwa tygodnie").unwrap().language,
            "pl"
        );
        assert_eq!(detect("我的订单到哪了？已经两个星期了").unwrap().language, "zh");
    }

    #[test]
    fn function_words_settle_a_clear_text_as_the_trigrams_would() {
        let clear = [
            ("Where is my order? I paid for it and the tracking does not work", "en"),
            ("Hola, ¿dónde está mi pedido? Lo pagué y no llega, quiero saber cuándo", "es"),
            ("Dzień dobry, czy macie jeszcze tę kurtkę? Nie mam numeru, kiedy będzie", "pl"),
            ("Hallo, wo ist mein Paket? Ich habe es bezahlt und es ist nicht da", "de"),
        ];
        for (text, lang) in clear {
            let normalized = super::super::faq_match::normalize(text);
            assert_eq!(Vote::of(&normalized).decisive().map(|d| d.0), Some(lang), "{text}");
            let trigrams = DETECTOR.detect(text).expect("trigrams answer");
            let of_trigrams = CANDIDATES.iter().find(|(l, _)| *l == trigrams.lang()).unwrap().1;
            assert_eq!(of_trigrams, lang, "the trigrams agree on {text:?}");
        }
        // Polish with English "i" and "to" among its words: not settled, the trigrams
        // decide (and say Polish).
        let mixed = "Dzień dobry, czy ten produkt jest nadal dostępny? Chciałbym zamówić i \
                     zapłacić, jeśli to możliwe";
        let normalized = super::super::faq_match::normalize(mixed);
        assert_eq!(Vote::of(&normalized).decisive(), None);
        assert_eq!(detect(mixed).unwrap().language, "pl");
    }

    #[test]
    fn emoji_digits_and_short_words_are_not_detected() {
        for text in ["👍👍", "😂", "ok", "hi!", "12345 ???", "#1034", "  "] {
            assert_eq!(detect(text), None, "{text:?}");
        }
        assert_eq!(letter_weight("好的"), 6, "a CJK character weighs three letters");
        assert_eq!(letter_weight("ok 👍 12"), 2);
    }

    fn detection(language: &str, confidence: f32, weight: usize) -> Detection {
        Detection { language: language.into(), confidence, weight }
    }

    #[test]
    fn a_long_text_is_identified_by_its_beginning() {
        let polish = "Dzień dobry, czy ten produkt jest nadal dostępny? Chciałbym zamówić dwie \
                      sztuki i zapłacić przy odbiorze, jeśli to możliwe. ";
        let long = format!("{polish}{polish}{}", "the item is still available ".repeat(40));
        assert!(trigram_part(&long).chars().count() == TRIGRAM_CHARS);
        assert!(long.chars().count() > 4 * TRIGRAM_CHARS);
        assert_eq!(detect(&long).unwrap().language, "pl", "the English tail is not read");
        let short = "ąę".repeat(10);
        assert_eq!(trigram_part(&short), short, "a short text is read whole");
    }

    #[test]
    fn a_buyer_without_a_language_takes_a_confident_detection_of_a_long_enough_text() {
        assert_eq!(buyer_language(None, &detection("es", 0.9, 30)), Some("es".into()));
        assert_eq!(buyer_language(None, &detection("es", 0.9, 8)), None, "too short");
        assert_eq!(buyer_language(None, &detection("es", 0.2, 30)), None, "not confident");
    }

    #[test]
    fn the_buyers_language_switches_only_on_a_confident_detection_of_a_long_text() {
        // Hysteresis: a Spanish buyer writing "ok gracias" or a product name in English
        // stays Spanish; a long, clear English message switches.
        assert_eq!(buyer_language(Some("es"), &detection("en", 0.9, 14)), None, "short");
        assert_eq!(buyer_language(Some("es"), &detection("en", 0.6, 40)), None, "unsure");
        assert_eq!(buyer_language(Some("es"), &detection("en", 0.95, 40)), Some("en".into()));
        assert_eq!(buyer_language(Some("zh-CN"), &detection("zh", 1.0, 40)), None, "same");
    }

    #[test]
    fn a_conversation_of_short_replies_keeps_the_language_of_its_first_clear_message() {
        let mut language: Option<String> = None;
        let said = [
            "Hola, quería saber cuánto tiempo tarda el envío de mi pedido a México",
            "ok",
            "👍",
            "vale gracias",
            "iPhone 15 case",
            "perfecto, muchas gracias por todo",
        ];
        let mut seen = Vec::new();
        for text in said {
            if let Some(d) = detect(text)
                && let Some(next) = buyer_language(language.as_deref(), &d)
            {
                language = Some(next);
            }
            seen.push(language.clone());
        }
        assert!(seen.iter().all(|l| l.as_deref() == Some("es")), "{seen:?}");
    }
}
