//! Recognising a buyer's question among a FAQ's (DY-BOT-1, DY-BOT-2), in any of the
//! buyers' languages and tolerant to typos and word order: texts are normalised (NFKC,
//! lowercase, diacritics stripped), cut into character n-grams (Latin and other
//! alphabets: 3-grams of each word padded with its boundaries; CJK runs: 1- and
//! 2-grams), weighted by TF-IDF over every phrasing of every question, and compared by
//! cosine. A question is recognised when its best phrasing scores at least
//! [`THRESHOLD`] and beats the next question by [`MARGIN`]. Pure; an index is built
//! once per shop and cached by the caller.

use std::collections::HashMap;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// The least cosine a recognised question's best phrasing reaches (tuned on the dev set,
/// `core/tests/data/faq_dev.json`).
pub const THRESHOLD: f32 = 0.25;
/// How much the recognised question beats the next best one by.
pub const MARGIN: f32 = 0.06;

/// Whether a character belongs to a CJK script (written without spaces).
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF)
}

/// The text as matched: NFKC, lowercase, diacritics stripped (Polish `ł` too), every
/// run of other characters than letters and digits one space.
pub fn normalize(text: &str) -> String {
    if text.is_ascii() {
        // NFKC and NFD leave ASCII as it is, and it has no combining marks.
        return collapse(text.chars().map(|c| c.to_ascii_lowercase()), text.len());
    }
    let folded: String = text.nfkc().flat_map(char::to_lowercase).collect();
    let chars = folded.nfd().filter(|c| !is_combining_mark(*c)).map(|c| match c {
        'ł' => 'l',
        c => c,
    });
    collapse(chars, folded.len())
}

/// Letters and digits kept, every run of other characters one space, none at the ends.
fn collapse(chars: impl Iterator<Item = char>, len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut space = true;
    for c in chars {
        if c.is_alphanumeric() {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    out.truncate(out.trim_end().len());
    out
}

/// The words of a normalised text, CJK runs apart from the rest.
fn runs(normalized: &str) -> impl Iterator<Item = (bool, &str)> {
    normalized.split(' ').flat_map(|word| {
        let mut parts = Vec::new();
        let mut start = 0;
        let mut cjk = None;
        for (i, c) in word.char_indices() {
            let this = is_cjk(c);
            if cjk.is_some_and(|prev| prev != this) {
                parts.push((cjk.unwrap_or(false), &word[start..i]));
                start = i;
            }
            cjk = Some(this);
        }
        if start < word.len() {
            parts.push((cjk.unwrap_or(false), &word[start..]));
        }
        parts
    })
}

/// A gram's key: FNV-1a over its characters (no allocation per gram; the matcher runs
/// on the ingest writer's thread).
pub fn gram_key(chars: &[char]) -> u64 {
    chars.iter().fold(0xcbf2_9ce4_8422_2325, |h, c| {
        (h ^ u64::from(*c as u32)).wrapping_mul(0x100_0000_01b3)
    })
}

/// The n-gram counts of a text, by [`gram_key`].
pub fn grams(text: &str) -> HashMap<u64, f32> {
    let mut out: HashMap<u64, f32> = HashMap::new();
    let normalized = normalize(text);
    for (cjk, run) in runs(&normalized) {
        let chars: Vec<char> = if cjk {
            run.chars().collect()
        } else {
            std::iter::once(' ').chain(run.chars()).chain([' ']).collect()
        };
        let sizes: &[usize] = if cjk { &[1, 2] } else { &[3] };
        for &n in sizes {
            for window in chars.windows(n) {
                *out.entry(gram_key(window)).or_default() += 1.0;
            }
        }
        if !cjk && chars.len() < 3 {
            *out.entry(gram_key(&chars)).or_default() += 1.0;
        }
    }
    out
}

/// A weighted, unit-length vector of n-grams (sorted by gram id).
type Vector = Vec<(u32, f32)>;

/// A FAQ's questions compiled for matching; `K` names a question.
#[derive(Clone, Debug)]
pub struct FaqIndex<K> {
    /// Gram → (id, inverse document frequency).
    vocabulary: HashMap<u64, (u32, f32)>,
    /// The weight of a gram no phrasing has.
    unknown_idf: f32,
    /// Each phrasing's vector and its question.
    phrasings: Vec<(K, Vector)>,
}

/// What matching a text found.
#[derive(Clone, Debug, PartialEq)]
pub enum Match<K> {
    /// A question was recognised, with its score.
    Hit(K, f32),
    /// Nothing clear enough: the best score and the next question's.
    Miss {
        /// The best question's score.
        best: f32,
        /// The next question's score.
        second: f32,
    },
}

fn weight(count: f32, idf: f32) -> f32 {
    (1.0 + count.ln()) * idf
}

fn unit(mut v: Vector) -> Vector {
    let norm = v.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|(_, w)| *w /= norm);
    }
    v.sort_unstable_by_key(|(id, _)| *id);
    v
}

fn dot(a: &Vector, b: &Vector) -> f32 {
    let (mut i, mut j, mut sum) = (0, 0, 0.0);
    while i < a.len() && j < b.len() {
        match a[i].0.cmp(&b[j].0) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                sum += a[i].1 * b[j].1;
                i += 1;
                j += 1;
            }
        }
    }
    sum
}

impl<K: Clone + PartialEq> FaqIndex<K> {
    /// Compiles every phrasing of every question.
    pub fn build<'a>(questions: impl IntoIterator<Item = (K, &'a [String])>) -> Self {
        let docs: Vec<(K, HashMap<u64, f32>)> = questions
            .into_iter()
            .flat_map(|(k, phrasings)| phrasings.iter().map(move |p| (k.clone(), grams(p))))
            .filter(|(_, g)| !g.is_empty())
            .collect();
        let mut df: HashMap<u64, f32> = HashMap::new();
        for (_, g) in &docs {
            for gram in g.keys() {
                *df.entry(*gram).or_default() += 1.0;
            }
        }
        let n = docs.len() as f32;
        let idf = |d: f32| ((n + 1.0) / (d + 1.0)).ln() + 1.0;
        let mut vocabulary: HashMap<u64, (u32, f32)> = HashMap::new();
        for (i, (gram, d)) in df.into_iter().enumerate() {
            vocabulary.insert(gram, (i as u32, idf(d)));
        }
        let phrasings = docs
            .iter()
            .map(|(k, g)| {
                let v = g
                    .iter()
                    .map(|(gram, c)| {
                        let (id, idf) = vocabulary[gram];
                        (id, weight(*c, idf))
                    })
                    .collect();
                (k.clone(), unit(v))
            })
            .collect();
        Self { vocabulary, unknown_idf: idf(0.0), phrasings }
    }

    /// Whether there is nothing to match against.
    pub fn is_empty(&self) -> bool {
        self.phrasings.is_empty()
    }

    /// The best score of each question for a text, best first.
    pub fn scores(&self, text: &str) -> Vec<(K, f32)> {
        let g = grams(text);
        let mut unknown = 0.0;
        let mut known: Vector = Vec::with_capacity(g.len());
        for (gram, c) in &g {
            match self.vocabulary.get(gram) {
                Some((id, idf)) => known.push((*id, weight(*c, *idf))),
                None => unknown += weight(*c, self.unknown_idf).powi(2),
            }
        }
        // Grams no phrasing has still count in the text's length: a text mostly about
        // something else scores low.
        let norm = (known.iter().map(|(_, w)| w * w).sum::<f32>() + unknown).sqrt();
        if norm == 0.0 {
            return Vec::new();
        }
        known.iter_mut().for_each(|(_, w)| *w /= norm);
        known.sort_unstable_by_key(|(id, _)| *id);
        let mut best: Vec<(K, f32)> = Vec::new();
        for (k, v) in &self.phrasings {
            let score = dot(&known, v);
            match best.iter_mut().find(|(b, _)| b == k) {
                Some((_, s)) => *s = s.max(score),
                None => best.push((k.clone(), score)),
            }
        }
        best.sort_by(|a, b| b.1.total_cmp(&a.1));
        best
    }

    /// The question a text asks, if one is clear enough (see the module comment).
    pub fn find(&self, text: &str) -> Match<K> {
        let scores = self.scores(text);
        let best = scores.first().map_or(0.0, |(_, s)| *s);
        let second = scores.get(1).map_or(0.0, |(_, s)| *s);
        match scores.into_iter().next() {
            Some((k, s)) if s >= THRESHOLD && s - second >= MARGIN => Match::Hit(k, s),
            _ => Match::Miss { best, second },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index() -> FaqIndex<&'static str> {
        let shipping: Vec<String> = [
            "How long does shipping take?",
            "¿Cuánto tarda el envío?",
            "Ile trwa wysyłka?",
            "发货要多久？",
        ]
        .map(String::from)
        .into();
        let refund: Vec<String> = [
            "Can I get a refund?",
            "¿Puedo pedir un reembolso?",
            "Czy mogę dostać zwrot?",
            "可以退款吗",
        ]
        .map(String::from)
        .into();
        FaqIndex::build([("shipping", shipping.as_slice()), ("refund", refund.as_slice())])
    }

    #[test]
    fn normalising_folds_case_width_and_diacritics() {
        assert_eq!(normalize("  Ile TRWA wysyłka?? "), "ile trwa wysylka");
        assert_eq!(normalize("¿Cuánto tarda el ENVÍO?"), "cuanto tarda el envio");
        assert_eq!(normalize("ＡＢＣ１２"), "abc12");
        assert_eq!(normalize("发货要多久？"), "发货要多久");
    }

    #[test]
    fn cjk_runs_give_unigrams_and_bigrams_latin_words_trigrams() {
        let g = grams("退款 ok");
        for gram in ["退", "款", "退款", " ok", "ok "] {
            let chars: Vec<char> = gram.chars().collect();
            assert!(g.contains_key(&gram_key(&chars)), "{gram} in {g:?}");
        }
        assert_eq!(g.len(), 5);
    }

    #[test]
    fn questions_are_recognised_across_languages_typos_and_word_order() {
        // rule: DY-BOT-2 (a recognised question is answered)
        let index = index();
        for (text, expect) in [
            ("how long does the shiping take", "shipping"),
            ("shipping take how long", "shipping"),
            ("cuanto tarda el envio", "shipping"),
            ("ile trwa wysylka", "shipping"),
            ("发货多久", "shipping"),
            ("can i get refund", "refund"),
            ("puedo pedir reembolso", "refund"),
            ("能退款吗", "refund"),
        ] {
            assert!(matches!(index.find(text), Match::Hit(k, _) if k == expect), "{text}");
        }
    }

    #[test]
    fn an_unrelated_text_is_a_miss() {
        // rule: DY-BOT-3 (an unrecognised question is a miss)
        let index = index();
        for text in ["is the blue mug in stock", "hello", "你好", "", "???"] {
            assert!(matches!(index.find(text), Match::Miss { .. }), "{text}");
        }
    }

    #[test]
    fn an_empty_faq_recognises_nothing() {
        let index: FaqIndex<u8> = FaqIndex::build([]);
        assert!(index.is_empty());
        assert_eq!(index.find("refund"), Match::Miss { best: 0.0, second: 0.0 });
    }
}
