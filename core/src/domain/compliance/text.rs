//! A draft as the detectors read it: compatibility-decomposed (full-width digits and
//! letters become ASCII, `＠` becomes `@`), lower case, without diacritics or invisible
//! characters, each character remembering the span of the draft it came from, so a
//! finding points at what the agent typed.

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// One character of the normalised text and the characters of the draft it stands for
/// (`start..end`, in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Item {
    /// The character.
    pub c: char,
    /// The first draft character it comes from.
    pub start: usize,
    /// One past the last.
    pub end: usize,
}

/// Characters used to hide text from filters: zero-width spaces and joiners, the soft
/// hyphen, the word joiner, the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// Latin letters that carry their mark inside (no decomposition).
fn fold(c: char) -> char {
    match c {
        'ł' => 'l',
        'ø' => 'o',
        'đ' => 'd',
        'ı' => 'i',
        'ß' => 's',
        other => other,
    }
}

/// The normalised text of a draft.
pub fn normalise(draft: &str) -> Vec<Item> {
    let mut out = Vec::with_capacity(draft.len());
    for (i, ch) in draft.chars().enumerate() {
        if invisible(ch) {
            continue;
        }
        decompose_compatible(ch, |d| {
            if is_combining_mark(d) {
                return;
            }
            for l in d.to_lowercase() {
                out.push(Item { c: fold(l), start: i, end: i + 1 });
            }
        });
    }
    out
}

/// The normalised form of a word of a policy (its characters only).
pub fn normalise_word(word: &str) -> String {
    normalise(word.trim()).into_iter().map(|i| i.c).collect()
}

/// Chinese, Japanese or Korean script: no spaces between words, so no word boundaries.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{AC00}'..='\u{D7AF}')
}

/// A letter or digit of an alphabetic script (a word boundary stops at it).
pub fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Neither a letter, a digit nor a CJK character: space and punctuation.
pub fn is_separator(c: char) -> bool {
    !c.is_alphanumeric() && !is_cjk(c)
}

/// The draft's characters `start..end` of a normalised range.
pub fn span_of(items: &[Item]) -> (usize, usize) {
    match (items.first(), items.last()) {
        (Some(a), Some(b)) => (a.start, b.end),
        _ => (0, 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_accents_case_and_invisible_characters_fold_away() {
        let text: String =
            normalise("ＷｈａｔｓＡｐｐ Número ＠ Zapłać\u{200B}!").iter().map(|i| i.c).collect();
        assert_eq!(text, "whatsapp numero @ zaplac!");
    }

    #[test]
    fn each_character_remembers_its_place_in_the_draft() {
        let items = normalise("ﬁ é\u{200B}x");
        // The ligature is two letters of one draft character; the space; é; x after the
        // zero-width space.
        let starts: Vec<usize> = items.iter().map(|i| i.start).collect();
        assert_eq!(starts, [0, 0, 1, 2, 4]);
        assert_eq!(span_of(&items[3..]), (2, 5));
    }
}
