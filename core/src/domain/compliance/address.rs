//! Email addresses, links and handles in a normalised draft. Written-out forms count:
//! `name at gmail dot com`, `name(at)gmail(dot)com`, `arroba`/`małpa`/`艾特` for `@`,
//! `punto`/`kropka`/`点`/`。` for `.`. A link is a URL or a bare domain (`shop.example`
//! with a known top-level domain, or anything after `://` or `www.`) whose host is not
//! an allowed domain or under one; a host right after `@` is an email's, not a link.

use super::text::{Item, is_cjk, is_word_char};

/// Top-level domains a bare domain is recognised by (after `://` or `www.` any will do).
const TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "io", "co", "me", "app", "shop", "store", "online", "site",
    "xyz", "top", "cn", "pl", "es", "mx", "ar", "cl", "pe", "de", "uk", "us", "ru", "jp", "kr",
    "tw", "hk", "sg", "my", "th", "vn", "id", "ph", "in", "br", "fr", "it", "nl", "eu", "ca", "au",
    "nz", "ly", "gl", "gg", "link", "page", "cc", "tv", "ai", "dev", "club", "live", "vip", "asia",
    "life", "world", "fun", "ink", "work", "email", "tech", "ws", "to",
];

/// Written-out `@` and `.`: bare words need spaces around them, bracketed ones do not.
const AT_WORDS: &[&str] = &["at", "arroba", "malpa", "艾特"];
const DOT_WORDS: &[&str] = &["dot", "punto", "kropka", "点", "。"];

/// The text with written-out `@` and `.` replaced by the signs.
fn signs_view(text: &[Item]) -> Vec<Item> {
    let chars: Vec<char> = text.iter().map(|i| i.c).collect();
    let mut out: Vec<Item> = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if let Some((sign, end)) = written_sign(&chars, i) {
            // The spaces before the word go too.
            while out.last().is_some_and(|l| l.c == ' ') {
                out.pop();
            }
            out.push(Item { c: sign, start: text[i].start, end: text[end - 1].end });
            i = end;
            continue;
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

/// A written-out sign at `at` (after spaces): the sign and where the form ends (spaces
/// after it included).
fn written_sign(chars: &[char], at: usize) -> Option<(char, usize)> {
    let spaced_before = at > 0 && chars[at - 1] == ' ';
    for (sign, words) in [('@', AT_WORDS), ('.', DOT_WORDS)] {
        for word in words {
            let w: Vec<char> = word.chars().collect();
            let bracketed = matches!(chars[at], '(' | '[' | '{' | '<')
                && chars.get(at + 1..at + 1 + w.len()) == Some(&w[..])
                && chars.get(at + 1 + w.len()).is_some_and(|c| matches!(c, ')' | ']' | '}' | '>'));
            let end = if bracketed {
                at + w.len() + 2
            } else if chars.get(at..at + w.len()) == Some(&w[..]) {
                let after = chars.get(at + w.len()).copied();
                let cjk = w.iter().all(|c| is_cjk(*c) || *c == '。');
                // "at" as a word: spaces on both sides; 点 and 。 between Latin letters.
                let ok = if cjk {
                    at > 0
                        && is_word_char(chars[at - 1])
                        && after.is_some_and(|c| is_word_char(c) && !c.is_numeric())
                } else {
                    spaced_before && after == Some(' ')
                };
                if !ok {
                    continue;
                }
                at + w.len()
            } else {
                continue;
            };
            let mut end = end;
            while chars.get(end) == Some(&' ') {
                end += 1;
            }
            return Some((sign, end));
        }
    }
    None
}

fn local_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-')
}

fn host_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-')
}

/// The host of `chars[from..]`: labels of letters, digits and `-`; its end (without a
/// trailing dot) and its text.
fn host_at(chars: &[char], from: usize) -> (usize, String) {
    let mut end = from;
    while chars.get(end).is_some_and(|c| host_char(*c)) {
        end += 1;
    }
    while end > from && matches!(chars[end - 1], '.' | '-') {
        end -= 1;
    }
    (end, chars[from..end].iter().collect())
}

/// A host name: two labels or more, the last of letters only.
fn is_host(host: &str, any_tld: bool) -> bool {
    let labels: Vec<&str> = host.split('.').collect();
    let Some(tld) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && tld.len() >= 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && (any_tld || TLDS.contains(tld))
}

/// What the address detector found, as ranges of the signs view.
struct Found {
    emails: Vec<(usize, usize)>,
    links: Vec<(usize, usize, String)>,
    handles: Vec<(usize, usize)>,
}

fn scan(chars: &[char]) -> Found {
    let mut found = Found { emails: vec![], links: vec![], handles: vec![] };
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '@' {
            let mut start = i;
            while start > 0 && local_char(chars[start - 1]) {
                start -= 1;
            }
            while start < i && chars[start] == '.' {
                start += 1;
            }
            let (end, host) = host_at(chars, i + 1);
            if start < i && is_host(&host, true) {
                found.emails.push((start, end));
                i = end;
                continue;
            }
            let mut h = i + 1;
            while chars.get(h).is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.'))
            {
                h += 1;
            }
            let alone = i == 0 || !is_word_char(chars[i - 1]);
            if start == i && alone && (3..=32).contains(&(h - i - 1)) {
                found.handles.push((i, h));
                i = h;
                continue;
            }
        }
        let starts_token =
            host_char(chars[i]) && chars[i] != '.' && (i == 0 || !host_char(chars[i - 1]));
        if starts_token && (i == 0 || chars[i - 1] != '@') {
            let after_scheme = i >= 3 && chars[i - 3..i] == [':', '/', '/'];
            let (end, host) = host_at(chars, i);
            if chars.get(end) == Some(&'@') {
                // The local part of an email address.
                i = end;
                continue;
            }
            let www = host.starts_with("www.");
            if is_host(&host, after_scheme || www) {
                let mut path_end = end;
                while chars.get(path_end).is_some_and(|c| !c.is_whitespace() && !is_cjk(*c)) {
                    path_end += 1;
                }
                while path_end > end
                    && matches!(chars[path_end - 1], '.' | ',' | ';' | ':' | '!' | '?' | ')')
                {
                    path_end -= 1;
                }
                let start = scheme_start(chars, i);
                found.links.push((start, path_end, host));
                i = path_end;
                continue;
            }
            i = end.max(i + 1);
            continue;
        }
        i += 1;
    }
    found
}

/// Where a link starting its host at `host` begins: at its scheme, when it has one.
fn scheme_start(chars: &[char], host: usize) -> usize {
    if host < 3 || chars[host - 3..host] != [':', '/', '/'] {
        return host;
    }
    let mut s = host - 3;
    while s > 0 && chars[s - 1].is_ascii_alphabetic() {
        s -= 1;
    }
    s
}

/// Whether `host` is an allowed domain or under one.
fn allowed(host: &str, domains: &[String]) -> bool {
    domains
        .iter()
        .any(|d| host == d || host.strip_suffix(d.as_str()).is_some_and(|h| h.ends_with('.')))
}

/// Email addresses, links outside `allowed_domains` and `@handles` of a normalised
/// draft, as draft spans (in characters).
pub struct Addresses {
    /// Email addresses.
    pub emails: Vec<(usize, usize)>,
    /// Links whose host is not allowed.
    pub links: Vec<(usize, usize)>,
    /// `@handles` standing alone.
    pub handles: Vec<(usize, usize)>,
}

/// The addresses of a normalised draft.
pub fn find(text: &[Item], allowed_domains: &[String]) -> Addresses {
    let view = signs_view(text);
    let chars: Vec<char> = view.iter().map(|i| i.c).collect();
    let found = scan(&chars);
    let span = |(a, b): (usize, usize)| (view[a].start, view[b - 1].end);
    Addresses {
        emails: found.emails.into_iter().map(span).collect(),
        links: found
            .links
            .into_iter()
            .filter(|(_, _, host)| !allowed(host, allowed_domains))
            .map(|(a, b, _)| span((a, b)))
            .collect(),
        handles: found.handles.into_iter().map(span).collect(),
    }
}
