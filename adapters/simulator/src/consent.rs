//! What the simulated authorization pages share: the consent form (its values
//! HTML-escaped), and the redirect back to the app with the `code` and `state`.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

/// A consent page's words: its title, the question before the account's name, the button.
pub(crate) struct Words {
    pub title: &'static str,
    pub ask: &'static str,
    pub button: &'static str,
}

/// The English consent page.
pub(crate) const ENGLISH: Words =
    Words { title: "Authorize", ask: "Authorize this app for", button: "Authorize" };

/// The Chinese consent page (Douyin's service market).
pub(crate) const CHINESE: Words =
    Words { title: "授权", ask: "授权应用访问", button: "授权" };

/// A consent form for `account`: a GET to `action` carrying `hidden`, its button
/// `#authorize`.
pub(crate) fn consent_page(
    words: &Words, account: &str, action: &str, hidden: &[(&str, &str)],
) -> Response {
    let fields: String = hidden
        .iter()
        .map(|(name, value)| {
            format!(r#"<input type="hidden" name="{}" value="{}">"#, escape(name), escape(value))
        })
        .collect();
    Html(format!(
        r#"<!doctype html><title>{}</title><h1>{} {}?</h1>
<form method="get" action="{}">{fields}<button id="authorize" type="submit">{}</button></form>"#,
        words.title,
        words.ask,
        escape(account),
        escape(action),
        words.button,
    ))
    .into_response()
}

/// Text for an HTML attribute or element.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A query value percent-encoded (all but RFC 3986's unreserved characters).
pub(crate) fn percent(value: &str) -> String {
    value
        .bytes()
        .map(|byte| match byte {
            b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ if byte.is_ascii_alphanumeric() => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// 302 to `redirect` with `code` and `state` added to its query.
pub(crate) fn back_to_app(redirect: &str, code: &str, state: &str) -> Response {
    let glue = if redirect.contains('?') { '&' } else { '?' };
    let location = format!("{redirect}{glue}code={}&state={}", percent(code), percent(state));
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// 400 with a plain reason (a consent page asked wrongly).
pub(crate) fn refused(message: &'static str) -> Response {
    (StatusCode::BAD_REQUEST, message).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_encoded() {
        assert_eq!(escape(r#"<a href="x">&"#), "&lt;a href=&quot;x&quot;&gt;&amp;");
        assert_eq!(percent("a b/é~"), "a%20b%2F%C3%A9~");
        let back = back_to_app("https://app.example/cb?x=1", "c 1", "s.t");
        assert_eq!(back.headers()["location"], "https://app.example/cb?x=1&code=c%201&state=s.t");
    }
}
