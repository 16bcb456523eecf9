//! The web session cookie and its guards, as HTTP: reading `shopmux_session` from the
//! `Cookie` header, writing and clearing it (`HttpOnly; SameSite=Strict; Path=/`,
//! `Secure` by `server.secure_cookies`), the CSRF checks of cookie-authenticated
//! requests (the session's `X-CSRF-Token`, compared in constant time, and an `Origin`
//! matching the `Host`), and the client's address for the sign-in limits.

use crate::config::SecureCookies;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub const COOKIE: &str = "shopmux_session";

/// The header a cookie-authenticated write carries its session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The session token of the request's `shopmux_session` cookie.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == COOKIE && !value.is_empty())
        .map(|(_, value)| value)
}

/// Whether the request came over HTTPS, as a reverse proxy in front says
/// (`X-Forwarded-Proto: https`, or `proto=https` in `Forwarded`).
fn came_over_https(headers: &HeaderMap) -> bool {
    let first =
        |name| headers.get(name).and_then(|v| v.to_str().ok()).and_then(|v| v.split(',').next());
    let forwarded_proto =
        first("x-forwarded-proto").is_some_and(|p| p.trim().eq_ignore_ascii_case("https"));
    let forwarded = first("forwarded")
        .is_some_and(|f| f.split(';').any(|kv| kv.trim().eq_ignore_ascii_case("proto=https")));
    forwarded_proto || forwarded
}

/// Whether the cookie is marked `Secure` for this request.
pub fn secure(mode: SecureCookies, headers: &HeaderMap) -> bool {
    match mode {
        SecureCookies::Always => true,
        SecureCookies::Never => false,
        SecureCookies::Auto => came_over_https(headers),
    }
}

/// The `Set-Cookie` value carrying a session token for `max_age_secs`.
pub fn set_cookie(token: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age_secs}{secure}"
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// The `Set-Cookie` value that makes the browser drop the session cookie.
pub fn clear_cookie(secure: bool) -> HeaderValue {
    set_cookie("", 0, secure)
}

/// Whether a method changes nothing (no CSRF token needed).
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The `host[:port]` of an origin (`https://inbox.example.com:8443`), lowercased, with
/// the scheme's default port dropped.
fn origin_authority(origin: &str) -> Option<String> {
    let (scheme, rest) = origin.split_once("://")?;
    let authority = rest.trim_end_matches('/').to_ascii_lowercase();
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => ":443",
        "http" => ":80",
        _ => return None,
    };
    Some(authority.strip_suffix(default_port).map(str::to_owned).unwrap_or(authority))
}

/// Whether the request's `Origin` names the host it was sent to (`Host`, with any
/// default port dropped). `None` when there is no `Origin` header.
pub fn same_origin(headers: &HeaderMap) -> Option<bool> {
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().ok().and_then(origin_authority);
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).map(|h| {
        let h = h.trim().to_ascii_lowercase();
        let h = h.strip_suffix(":80").or_else(|| h.strip_suffix(":443")).unwrap_or(&h);
        h.to_owned()
    });
    Some(matches!((origin, host), (Some(o), Some(h)) if o == h))
}

/// Whether the request carries the session's CSRF token (compared in constant time).
pub fn carries_csrf_token(headers: &HeaderMap, expected: &str) -> bool {
    headers
        .get(CSRF_HEADER)
        .is_some_and(|got| bool::from(got.as_bytes().ct_eq(expected.as_bytes())))
}

/// The client's address for the sign-in limits: the peer's, or — when the peer is a
/// proxy on this machine (loopback) — the last address of `X-Forwarded-For`, the one
/// that proxy saw. Without a peer (a router driven in tests) the unspecified address.
pub fn client_address(peer: Option<&ConnectInfo<SocketAddr>>, headers: &HeaderMap) -> IpAddr {
    let forwarded = || {
        let last = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
        last.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
    };
    match peer.map(|p| p.0.ip()) {
        Some(ip) if ip.is_loopback() => forwarded().unwrap_or(ip),
        Some(ip) => ip,
        None => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_session_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; shopmux_session=tok-en_1; b=2")]);
        assert_eq!(session_token(&h), Some("tok-en_1"));
        let h = headers(&[("cookie", "a=1"), ("cookie", "shopmux_session=x")]);
        assert_eq!(session_token(&h), Some("x"));
        assert_eq!(session_token(&headers(&[("cookie", "shopmux_session=")])), None);
        assert_eq!(session_token(&headers(&[("cookie", "xshopmux_session=1")])), None);
    }

    #[test]
    fn origins_match_their_host_only() {
        let check =
            |origin: &str, host: &str| same_origin(&headers(&[("origin", origin), ("host", host)]));
        assert_eq!(check("https://inbox.example.com", "inbox.example.com"), Some(true));
        assert_eq!(check("http://127.0.0.1:8080", "127.0.0.1:8080"), Some(true));
        assert_eq!(check("https://Inbox.Example.com:443", "inbox.example.com"), Some(true));
        assert_eq!(check("https://evil.example", "inbox.example.com"), Some(false));
        assert_eq!(check("http://127.0.0.1:9999", "127.0.0.1:8080"), Some(false));
        assert_eq!(check("null", "inbox.example.com"), Some(false));
        assert_eq!(same_origin(&headers(&[("origin", "https://a.example")])), Some(false));
        assert_eq!(same_origin(&headers(&[("host", "a.example")])), None);
    }

    #[test]
    fn secure_follows_the_setting_and_the_proxy() {
        let https = headers(&[("x-forwarded-proto", "https")]);
        let forwarded = headers(&[("forwarded", "for=1.2.3.4;proto=https;host=a")]);
        let plain = headers(&[]);
        assert!(secure(SecureCookies::Auto, &https) && secure(SecureCookies::Auto, &forwarded));
        assert!(!secure(SecureCookies::Auto, &plain));
        assert!(secure(SecureCookies::Always, &plain) && !secure(SecureCookies::Never, &https));
        let cookie = set_cookie("t", 60, true);
        assert_eq!(
            cookie.to_str().unwrap(),
            "shopmux_session=t; HttpOnly; SameSite=Strict; Path=/; Max-Age=60; Secure"
        );
    }

    #[test]
    fn the_client_address_trusts_only_a_local_proxy() {
        let peer = |ip: [u8; 4]| ConnectInfo(SocketAddr::from((ip, 5000)));
        let h = headers(&[("x-forwarded-for", "6.6.6.6, 203.0.113.9")]);
        assert_eq!(client_address(Some(&peer([127, 0, 0, 1])), &h), IpAddr::from([203, 0, 113, 9]));
        assert_eq!(
            client_address(Some(&peer([198, 51, 100, 1])), &h),
            IpAddr::from([198, 51, 100, 1])
        );
        assert_eq!(client_address(None, &h), IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    }
}
