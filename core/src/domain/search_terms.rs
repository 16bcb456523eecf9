//! Turning text into search terms, the same way for indexing and for querying, on both
//! backends: lowercased words, and for Chinese/Japanese/Korean runs (written without
//! spaces) overlapping character bigrams, so "发货" is found inside "什么时候发货".
//! SQLite stores the terms in an FTS5 table; PostgreSQL in a `tsvector` column with a
//! GIN index. Buyer names are indexed by their parts (AE-SEARCH-1).

const MAX_TERM_CHARS: usize = 64;

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // Hiragana, Katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0xF900..=0xFAFF) // CJK compatibility ideographs
}

/// Splits text into lowercase words (alphanumeric runs), each either all-CJK or none.
fn words(text: &str) -> Vec<(bool, String)> {
    let mut out: Vec<(bool, String)> = Vec::new();
    let mut current = String::new();
    let mut current_cjk = false;
    for c in text.chars() {
        if !c.is_alphanumeric() {
            if !current.is_empty() {
                out.push((current_cjk, std::mem::take(&mut current)));
            }
            continue;
        }
        let cjk = is_cjk(c);
        if !current.is_empty() && cjk != current_cjk {
            out.push((current_cjk, std::mem::take(&mut current)));
        }
        current_cjk = cjk;
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        out.push((current_cjk, current));
    }
    out
}

fn push_terms(word: (bool, String), out: &mut Vec<String>) {
    let (cjk, word) = word;
    if !cjk {
        out.push(word.chars().take(MAX_TERM_CHARS).collect());
        return;
    }
    let chars: Vec<char> = word.chars().collect();
    if chars.len() == 1 {
        out.push(word);
    } else {
        out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    }
}

/// The distinct terms a text is indexed under.
pub fn index_terms(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in words(text) {
        push_terms(w, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

/// The terms a query must all match, in query order, without duplicates.
pub fn query_terms(query: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in words(query) {
        push_terms(w, &mut out);
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.clone()));
    out
}

/// The parts a buyer's name is found by (AE-SEARCH-1): each word, and for CJK words
/// every suffix too, so a prefix search on parts finds any part of the name.
pub fn name_parts(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (cjk, word) in words(name) {
        if cjk {
            let chars: Vec<char> = word.chars().collect();
            for start in 0..chars.len() {
                out.push(chars[start..].iter().collect());
            }
        } else {
            out.push(word.chars().take(MAX_TERM_CHARS).collect());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The normalized form of a name-part query (lowercase, first word only), or none.
pub fn name_query(query: &str) -> Option<String> {
    let trimmed = query.trim().to_lowercase();
    if trimmed.is_empty() || trimmed.contains(char::is_whitespace) {
        return None;
    }
    Some(trimmed.chars().take(MAX_TERM_CHARS).collect())
}

/// The smallest string greater than every string starting with `prefix`, for an
/// index range scan `part >= prefix AND part < upper`.
pub fn prefix_upper_bound(prefix: &str) -> String {
    let mut s = prefix.to_owned();
    s.push(char::MAX);
    s
}

/// The terms as an FTS5 query: every term quoted, all required.
pub fn fts5_query(terms: &[String]) -> String {
    joined(terms, |t| format!("\"{}\"", t.replace('"', "\"\"")), " ")
}

/// The terms as a PostgreSQL `tsvector` literal (no parser involved).
pub fn tsvector_literal(terms: &[String]) -> String {
    joined(terms, pg_lexeme, " ")
}

/// The terms as a PostgreSQL `tsquery` literal: all required.
pub fn tsquery_literal(terms: &[String]) -> String {
    joined(terms, pg_lexeme, " & ")
}

fn joined(terms: &[String], quote: impl Fn(&str) -> String, separator: &str) -> String {
    let quoted: Vec<String> = terms.iter().map(|t| quote(t)).collect();
    quoted.join(separator)
}

fn pg_lexeme(term: &str) -> String {
    format!("'{}'", term.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_words_are_lowercased_and_split_on_punctuation() {
        assert_eq!(index_terms("Where is my ORDER? order!"), vec!["is", "my", "order", "where"]);
        assert_eq!(index_terms("¿Dónde está mi pedido?"), vec!["dónde", "está", "mi", "pedido"]);
    }

    #[test]
    fn cjk_runs_become_bigrams_so_words_inside_sentences_match() {
        let indexed = index_terms("请问什么时候发货");
        let q = query_terms("发货");
        assert!(q.iter().all(|t| indexed.contains(t)), "{indexed:?} {q:?}");
        let q = query_terms("退款");
        assert!(!q.iter().all(|t| indexed.contains(t)));
    }

    #[test]
    fn name_parts_find_any_part_of_a_multi_word_name() {
        // rule: AE-SEARCH-1
        let parts = name_parts("Agnieszka Plebanek");
        assert!(parts.contains(&"agnieszka".to_string()));
        assert!(parts.contains(&"plebanek".to_string()));
        let parts = name_parts("王小明");
        assert!(parts.contains(&"小明".to_string()));
    }

    #[test]
    fn query_literals_escape_quotes() {
        let terms = vec!["it's".to_string(), "a\"b".to_string()];
        assert_eq!(fts5_query(&terms), "\"it's\" \"a\"\"b\"");
        assert_eq!(tsquery_literal(&terms), "'it''s' & 'a\"b'");
    }
}
