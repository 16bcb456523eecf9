//! The agent web inbox, served by the daemon on the API's port: `/` is the page, and
//! `/assets/<version>/…` its embedded files ([`assets`]). The page is a small app of
//! plain ES modules (no build step, no third-party code) that talks to `/api/v1` with the
//! session cookie and keeps the live stream open while it is shown (TT-AGENT-3).

pub mod assets;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// What the page may load and run: its own files only, no inline script or style, and
/// never inside a frame. Images and videos of buyers' messages come from the platforms'
/// CDNs over https.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' https: data:; media-src 'self' https:; \
     connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The page and its files.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(index)).route("/assets/{version}/{*path}", get(asset))
}

fn security_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("same-origin")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

async fn index() -> Response {
    let mut headers = HeaderMap::from_iter(security_headers());
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    (headers, assets::INDEX_HTML.as_str()).into_response()
}

async fn asset(Path((version, path)): Path<(String, String)>) -> Response {
    let Some(file) = assets::find(&path).filter(|_| version == *assets::VERSION) else {
        return (StatusCode::NOT_FOUND, [(header::CACHE_CONTROL, "no-store")], "not found")
            .into_response();
    };
    let mut headers = HeaderMap::from_iter(security_headers());
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(assets::content_type(&path)));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    (headers, file.bytes).into_response()
}

#[cfg(test)]
mod tests;
