//! Phone numbers in a normalised draft, without flagging order ids, prices, dates or
//! tracking numbers. A candidate is a run of 7 to 15 digits with separators (spaces,
//! dashes, dots, brackets, slashes; at most three in a row), standing alone (no letter
//! or `#` glued to it). Digits may be written as Chinese numerals or spelled out in
//! English, Spanish or Polish (`one three eight…`). It is a phone number when
//! - it starts with `+` or `00`, or
//! - it is grouped like one (9 digits or more in at least two groups of at most five, not
//!   a date, not groups of four like a card or a tracking number, not pairs like sizes), or
//! - it is a Chinese mobile number (11 digits, `1[3-9]…`), or
//! - the words just before it speak of calling (`call`, `tel`, `llámame`, `手机`…),
//!
//! and not when the words just before it name an order, a tracking number or an invoice,
//! or a currency stands next to it.

use super::text::{Item, is_word_char};
use super::words::Pattern;
use std::sync::OnceLock;

/// Words that make a number a phone number.
const PHONE_CUES: &[&str] = &[
    "phone",
    "tel",
    "call",
    "mobile",
    "cell",
    "text me",
    "whatsapp",
    "wa",
    "telefono",
    "movil",
    "celular",
    "llama*",
    "llamar",
    "telefon*",
    "komork*",
    "zadzwon*",
    "numer tel*",
    "电话",
    "手机",
    "致电",
    "联系",
    "微信",
    "vx",
    "wx",
];

/// Words that make a number an identifier, not a phone number.
const ID_CUES: &[&str] = &[
    "order*",
    "pedido",
    "zamowieni*",
    "tracking",
    "track",
    "seguimiento",
    "envio",
    "guia",
    "przesylk*",
    "paczk*",
    "list przewozowy",
    "invoice",
    "factura",
    "faktur*",
    "sku",
    "id",
    "ref",
    "nr",
    "no.",
    "codigo",
    "kod",
    "订单",
    "运单",
    "快递",
    "物流",
    "单号",
    "编号",
    "发票",
];

/// Currencies that make a number a price.
const CURRENCY_WORDS: &[&str] = &[
    "usd", "eur", "pln", "zl", "rmb", "cny", "mxn", "gbp", "dolares", "euros", "yuan", "元", "块",
];

/// Number words of the buyer languages, and the digit each spells.
const NUMBER_WORDS: &[(&str, char)] = &[
    ("zero", '0'),
    ("one", '1'),
    ("two", '2'),
    ("three", '3'),
    ("four", '4'),
    ("five", '5'),
    ("six", '6'),
    ("seven", '7'),
    ("eight", '8'),
    ("nine", '9'),
    ("cero", '0'),
    ("uno", '1'),
    ("dos", '2'),
    ("tres", '3'),
    ("cuatro", '4'),
    ("cinco", '5'),
    ("seis", '6'),
    ("siete", '7'),
    ("ocho", '8'),
    ("nueve", '9'),
    ("jeden", '1'),
    ("dwa", '2'),
    ("trzy", '3'),
    ("cztery", '4'),
    ("piec", '5'),
    ("szesc", '6'),
    ("siedem", '7'),
    ("osiem", '8'),
    ("dziewiec", '9'),
];

fn compiled(
    words: &'static [&'static str], cell: &'static OnceLock<Vec<Pattern>>,
) -> &'static [Pattern] {
    cell.get_or_init(|| words.iter().filter_map(|w| Pattern::new(w)).collect())
}

fn phone_cues() -> &'static [Pattern] {
    static CELL: OnceLock<Vec<Pattern>> = OnceLock::new();
    compiled(PHONE_CUES, &CELL)
}

fn id_cues() -> &'static [Pattern] {
    static CELL: OnceLock<Vec<Pattern>> = OnceLock::new();
    compiled(ID_CUES, &CELL)
}

fn currencies() -> &'static [Pattern] {
    static CELL: OnceLock<Vec<Pattern>> = OnceLock::new();
    compiled(CURRENCY_WORDS, &CELL)
}

/// The digit a Chinese numeral stands for.
fn chinese_digit(c: char) -> Option<char> {
    let digits = "零一二三四五六七八九";
    match c {
        '〇' => Some('0'),
        '幺' => Some('1'),
        _ => digits.chars().position(|d| d == c).and_then(|i| char::from_digit(i as u32, 10)),
    }
}

/// The text with numbers spelled out or in Chinese numerals turned into digits, each
/// keeping the draft span of what it replaces.
fn digits_view(text: &[Item]) -> Vec<Item> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let c = text[i].c;
        if c.is_alphabetic() && is_word_char(c) && (i == 0 || !is_word_char(text[i - 1].c)) {
            let mut j = i;
            while j < text.len() && is_word_char(text[j].c) {
                j += 1;
            }
            let word: String = text[i..j].iter().map(|t| t.c).collect();
            if let Some((_, d)) = NUMBER_WORDS.iter().find(|(w, _)| *w == word) {
                out.push(Item { c: *d, start: text[i].start, end: text[j - 1].end });
                i = j;
                continue;
            }
            out.extend_from_slice(&text[i..j]);
            i = j;
            continue;
        }
        out.push(Item { c: chinese_digit(c).unwrap_or(c), ..text[i] });
        i += 1;
    }
    out
}

/// A separator inside a phone number.
fn phone_separator(c: char) -> bool {
    matches!(c, ' ' | '-' | '.' | '(' | ')' | '/' | '_' | '·' | '\u{2010}'..='\u{2015}')
}

/// A run of digits and separators that may be a number.
struct Candidate {
    start: usize,
    end: usize,
    groups: Vec<usize>,
    separators: Vec<char>,
    plus: bool,
}

impl Candidate {
    fn digits(&self) -> usize {
        self.groups.iter().sum()
    }
}

/// The candidate starting at `at` (a digit, or `+`/`(` before one), if it stands alone.
fn candidate(v: &[Item], at: usize) -> Option<Candidate> {
    let glued = at > 0 && (is_word_char(v[at - 1].c) || matches!(v[at - 1].c, '#' | '@' | '$'));
    if glued {
        return None;
    }
    let plus = v[at].c == '+';
    let mut i = if plus { at + 1 } else { at };
    let mut c = Candidate { start: at, end: at, groups: vec![], separators: vec![], plus };
    let mut run = 0;
    let mut seps = 0;
    while i < v.len() {
        let ch = v[i].c;
        if ch.is_ascii_digit() {
            if run == 0 {
                c.groups.push(0);
            }
            *c.groups.last_mut()? += 1;
            run += 1;
            seps = 0;
            c.end = i + 1;
        } else if phone_separator(ch) && seps < 3 {
            if run > 0 && ch != ' ' && !c.separators.contains(&ch) {
                c.separators.push(ch);
            }
            run = 0;
            seps += 1;
        } else {
            break;
        }
        i += 1;
    }
    if c.groups.is_empty() || v.get(c.end).is_some_and(|n| n.c.is_alphabetic() && is_word_char(n.c))
    {
        return None;
    }
    Some(c)
}

/// The normalised characters of `v[from..to]`.
fn chars(v: &[Item], from: usize, to: usize) -> Vec<char> {
    v[from.min(to)..to].iter().map(|i| i.c).collect()
}

/// Whether a currency stands right before or after the candidate.
fn next_to_currency(v: &[Item], c: &Candidate) -> bool {
    let symbol = |ch: char| matches!(ch, '$' | '€' | '£' | '¥' | '￥');
    let before = chars(v, c.start.saturating_sub(5), c.start);
    let after = chars(v, c.end, (c.end + 8).min(v.len()));
    let near_before = before.iter().rev().find(|ch| !ch.is_whitespace());
    let near_after = after.iter().find(|ch| !ch.is_whitespace());
    near_before.is_some_and(|ch| symbol(*ch))
        || near_after.is_some_and(|ch| symbol(*ch))
        || currencies().iter().any(|p| p.occurs_in(&after) || p.occurs_in(&before))
}

/// Grouped like a phone number: at least 9 digits in at least two groups of at most five,
/// not a date (`2024-05-12`, `12.05.2024`), not all groups of four (a card or a tracking
/// number) nor all of two (sizes `36 38 40 42 44`, hours `10.00-18.00`).
fn grouped_like_a_phone(c: &Candidate) -> bool {
    let g = &c.groups;
    let date =
        g.len() == 3 && (g[..] == [4, 2, 2] || g[..] == [2, 2, 4]) && c.separators.len() == 1;
    let fours = g.len() >= 3 && g.iter().all(|n| *n == 4);
    let pairs = g.iter().all(|n| *n == 2);
    c.digits() >= 9 && g.len() >= 2 && g.iter().all(|n| *n <= 5) && !date && !fours && !pairs
}

/// Whether the candidate is a phone number, given the words before it.
fn is_phone(v: &[Item], c: &Candidate) -> bool {
    let n = c.digits();
    if !(7..=15).contains(&n) || next_to_currency(v, c) {
        return false;
    }
    // The nearer cue before the number decides: "call about order 1234567" is an order.
    let context = chars(v, c.start.saturating_sub(24), c.start);
    let last = |cues: &[Pattern]| cues.iter().filter_map(|p| p.last_in(&context)).max();
    match (last(phone_cues()), last(id_cues())) {
        (Some(phone), Some(id)) => return phone > id,
        (Some(_), None) => return true,
        (None, Some(_)) => return false,
        (None, None) => {}
    }
    let first: String = chars(v, if c.plus { c.start + 1 } else { c.start }, c.end)
        .into_iter()
        .filter(char::is_ascii_digit)
        .take(2)
        .collect();
    let international = c.plus || (first == "00" && n >= 10);
    let chinese_mobile = c.groups.len() <= 3
        && n == 11
        && first.starts_with('1')
        && first.chars().nth(1).is_some_and(|d| ('3'..='9').contains(&d));
    international || chinese_mobile || grouped_like_a_phone(c)
}

/// The phone numbers of a normalised draft, as spans of the draft (in characters).
pub fn find(text: &[Item]) -> Vec<(usize, usize)> {
    let v = digits_view(text);
    let mut out = Vec::new();
    let mut at = 0;
    while at < v.len() {
        let ch = v[at].c;
        let starts = ch.is_ascii_digit()
            || (matches!(ch, '+' | '(') && v.get(at + 1).is_some_and(|n| n.c.is_ascii_digit()));
        if starts && let Some(c) = candidate(&v, at) {
            if is_phone(&v, &c) {
                out.push((v[c.start].start, v[c.end - 1].end));
            }
            at = c.end.max(at + 1);
            continue;
        }
        at += 1;
    }
    out
}
