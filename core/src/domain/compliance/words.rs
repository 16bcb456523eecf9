//! Finding a policy's words in a normalised draft. A word is normalised like the draft;
//! Latin words match on word boundaries (a digit may follow: `wx123`), Chinese anywhere;
//! a space in a word matches up to three spaces or punctuation marks, or none
//! (`whats app` finds `whatsapp`); a `*` ending a word matches any ending (`przelew*`).
//! Against evasion, the letters of a word of five letters or more may be split by up to
//! two separators (`w.h.a.t.s.a.p.p`, `we chat`), and digits may stand for the letters
//! they look like (`wh4tsapp`).

use super::text::{Item, is_separator, is_word_char, normalise_word};

/// A piece of a compiled word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    /// This character.
    Char(char),
    /// Up to three separators, or none.
    Gap,
    /// Any further letters.
    Rest,
}

/// A word compiled for matching.
#[derive(Clone, Debug)]
pub struct Pattern {
    pieces: Vec<Piece>,
    /// Its letters may be split by separators.
    spaced: bool,
}

/// How many separators may split the letters of a word.
const MAX_SPLIT: usize = 2;
/// How many separators a space of a word matches.
const MAX_GAP: usize = 3;

impl Pattern {
    /// A word compiled; none when it is empty once normalised.
    pub fn new(word: &str) -> Option<Pattern> {
        let norm = normalise_word(word);
        let mut pieces = Vec::new();
        for c in norm.chars() {
            let piece = match c {
                '*' => Piece::Rest,
                c if c.is_whitespace() => Piece::Gap,
                c => Piece::Char(c),
            };
            if piece == Piece::Gap && matches!(pieces.last(), Some(Piece::Gap) | None) {
                continue;
            }
            pieces.push(piece);
        }
        while pieces.last() == Some(&Piece::Gap) {
            pieces.pop();
        }
        let letters =
            pieces.iter().filter(|p| matches!(p, Piece::Char(c) if c.is_alphabetic())).count();
        (!pieces.is_empty()).then_some(Pattern { pieces, spaced: letters >= 5 })
    }

    /// Every match in `text`, as `start..end` indices of it, not overlapping.
    pub fn find_all(&self, text: &[Item]) -> Vec<(usize, usize)> {
        let chars: Vec<char> = text.iter().map(|i| i.c).collect();
        let mut out = Vec::new();
        let mut at = 0;
        while at < chars.len() {
            match self.match_at(&chars, at) {
                Some(end) if end > at => {
                    out.push((at, end));
                    at = end;
                }
                _ => at += 1,
            }
        }
        out
    }

    /// Whether the word occurs in `chars`.
    pub fn occurs_in(&self, chars: &[char]) -> bool {
        (0..chars.len()).any(|at| self.match_at(chars, at).is_some())
    }

    /// Where the word's last occurrence in `chars` starts.
    pub fn last_in(&self, chars: &[char]) -> Option<usize> {
        (0..chars.len()).rev().find(|at| self.match_at(chars, *at).is_some())
    }

    /// The end of a match starting at `at`, if one does.
    fn match_at(&self, chars: &[char], at: usize) -> Option<usize> {
        let first = match self.pieces.first() {
            Some(Piece::Char(c)) => *c,
            _ => return None,
        };
        if !same(first, chars[at]) {
            return None;
        }
        if is_word_char(first) && at > 0 && is_word_char(chars[at - 1]) {
            return None;
        }
        let end = self.rest(chars, at, 0)?;
        let ends_in_letter = matches!(self.pieces.last(), Some(Piece::Char(c)) if is_word_char(*c));
        if ends_in_letter && chars.get(end).is_some_and(|c| c.is_alphabetic() && is_word_char(*c)) {
            return None;
        }
        Some(end)
    }

    /// Matches pieces `p..` from `at`; the end of the match.
    fn rest(&self, chars: &[char], at: usize, p: usize) -> Option<usize> {
        let Some(piece) = self.pieces.get(p) else {
            return Some(at);
        };
        match *piece {
            Piece::Char(c) => {
                if !chars.get(at).is_some_and(|t| same(c, *t)) {
                    return None;
                }
                if let Some(end) = self.rest(chars, at + 1, p + 1) {
                    return Some(end);
                }
                let next_is_letter =
                    matches!(self.pieces.get(p + 1), Some(Piece::Char(n)) if n.is_alphabetic());
                if self.spaced && c.is_alphabetic() && next_is_letter {
                    for skip in 1..=MAX_SPLIT {
                        let seps = chars.get(at + 1..at + 1 + skip)?;
                        if !seps.iter().all(|s| is_separator(*s) && *s != '\n') {
                            break;
                        }
                        if let Some(end) = self.rest(chars, at + 1 + skip, p + 1) {
                            return Some(end);
                        }
                    }
                }
                None
            }
            Piece::Gap => {
                let mut skip = 0;
                while skip < MAX_GAP && chars.get(at + skip).is_some_and(|s| is_separator(*s)) {
                    skip += 1;
                }
                (0..=skip).rev().find_map(|s| self.rest(chars, at + s, p + 1))
            }
            Piece::Rest => {
                let mut end = at;
                while chars.get(end).is_some_and(|c| c.is_alphabetic() && is_word_char(*c)) {
                    end += 1;
                }
                self.rest(chars, end, p + 1)
            }
        }
    }
}

/// Whether the draft's `t` stands for the word's `w`: the same, or a digit or sign that
/// looks like the letter.
fn same(w: char, t: char) -> bool {
    w == t
        || match t {
            '0' => w == 'o',
            '1' => w == 'i' || w == 'l',
            '3' => w == 'e',
            '4' | '@' => w == 'a',
            '5' | '$' => w == 's',
            '7' => w == 't',
            _ => false,
        }
}

#[cfg(test)]
mod tests {
    use super::super::text::normalise;
    use super::*;

    fn found(word: &str, draft: &str) -> Vec<String> {
        let items = normalise(draft);
        Pattern::new(word)
            .unwrap()
            .find_all(&items)
            .into_iter()
            .map(|(a, b)| items[a..b].iter().map(|i| i.c).collect())
            .collect()
    }

    #[test]
    fn latin_words_match_on_boundaries_chinese_anywhere() {
        assert_eq!(found("iban", "my IBAN: PL61"), ["iban"]);
        assert!(found("iban", "Fibank").is_empty());
        assert_eq!(found("wx", "加我wx123"), ["wx"]);
        assert!(found("wx", "wxyz").is_empty());
        assert_eq!(found("微信", "加我微信吧"), ["微信"]);
    }

    #[test]
    fn spaces_endings_and_evasions() {
        assert_eq!(found("whatsapp", "w.h.a.t.s.a.p.p me"), ["w.h.a.t.s.a.p.p"]);
        assert_eq!(found("whatsapp", "WH4TS APP"), ["wh4ts app"]);
        assert_eq!(found("pay me directly", "pay  me, directly"), ["pay  me, directly"]);
        assert_eq!(found("przelew*", "zapłać przelewem"), ["przelewem"]);
        assert!(found("pago directo", "pago indirecto").is_empty());
        // Short words are not spread out: "v x" is not "vx".
        assert!(found("vx", "v x").is_empty());
    }
}
