//! CORS for the storefront widget when it calls the daemon straight from a store's page
//! (not through the platform's app proxy): only the direct storefront endpoints
//! ([`DIRECT_ENDPOINTS`]), only for an origin in the daemon's
//! `storefront.allowed_origins` or the shop's own `settings.widget.allowed_origins`,
//! only `GET`/`POST` with a JSON body, never credentials (the token travels in the
//! body). A preflight is answered here, before routing; an unknown shop and a refused
//! origin both get an answer with no `Access-Control-Allow-Origin`, so the browser
//! refuses, and nothing tells one from the other. Shop look-ups are rate limited per
//! client address.

use super::AppState;
use super::extract::ClientAddr;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::IpAddr;

/// The storefront endpoints a store's page may call cross-origin.
pub const DIRECT_ENDPOINTS: [&str; 5] = ["sessions", "email", "email/confirm", "history", "widget"];

/// How long a browser may keep a preflight's answer.
const PREFLIGHT_MAX_AGE: &str = "600";

/// The shop id of a direct storefront endpoint's path.
fn direct_shop(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("/storefront/")?;
    let (shop, endpoint) = rest.split_once('/')?;
    DIRECT_ENDPOINTS.contains(&endpoint).then_some(shop)
}

/// Whether `origin` may call `shop`'s direct endpoints.
async fn allowed(app: &AppState, address: IpAddr, shop: &str, origin: &HeaderValue) -> bool {
    let Ok(origin) = origin.to_str() else { return false };
    if app.storefront.config.allowed_origins.iter().any(|o| o == origin) {
        return true;
    }
    if app.storefront.limits.read(address).is_err() {
        return false;
    }
    let Ok(shop) = shop.parse() else { return false };
    app.inbox.storefront_origins(shop).await.is_ok_and(|list| list.iter().any(|o| o == origin))
}

fn grant(response: &mut Response, origin: Option<HeaderValue>, preflight: bool) {
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("origin"));
    let Some(origin) = origin else { return };
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    if preflight {
        headers.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST"));
        headers
            .insert(header::ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static("content-type"));
        headers.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static(PREFLIGHT_MAX_AGE));
    } else {
        // The widget tells a rate-limited customer how long to wait.
        headers
            .insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("retry-after"));
    }
}

/// The middleware: answers preflights of direct storefront endpoints and adds the
/// allowed origin to their answers; every other request passes untouched.
pub async fn storefront_cors(
    State(app): State<AppState>, ClientAddr(address): ClientAddr, request: Request, next: Next,
) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let (Some(shop), Some(origin)) = (direct_shop(request.uri().path()), origin) else {
        return next.run(request).await;
    };
    let preflight = request.method() == Method::OPTIONS
        && request.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let granted = allowed(&app, address, shop, &origin).await.then_some(origin);
    let mut response =
        if preflight { StatusCode::OK.into_response() } else { next.run(request).await };
    grant(&mut response, granted, preflight);
    response
}

#[cfg(test)]
mod tests {
    use super::direct_shop;

    #[test]
    fn only_the_direct_storefront_endpoints_are_cross_origin() {
        assert_eq!(direct_shop("/storefront/s1/sessions"), Some("s1"));
        assert_eq!(direct_shop("/storefront/s1/history"), Some("s1"));
        assert_eq!(direct_shop("/storefront/s1/email/confirm"), Some("s1"));
        for path in [
            "/storefront/s1/proxy/sessions",
            "/storefront/widget.js",
            "/api/v1/shops",
            "/storefront/s1/chat",
            "/storefront/s1/sessions/x",
        ] {
            assert_eq!(direct_shop(path), None, "{path}");
        }
    }
}
