//! What the simulated authorization pages share: HTML-escaping the values a consent form
//! carries, and the redirect back to the app with the `code` and `state`.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

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
