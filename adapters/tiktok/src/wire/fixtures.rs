//! Test fixtures shared by the wire modules' tests: the app and shop of the signature
//! vectors (the same inputs as the fixed vectors in `sign.rs`), a request context at
//! their instant, and a tiny PNG.

use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Utc};

use super::{API_HOST, AppCredentials, RequestContext, ShopSession};

/// The app of the vectors.
static CREDENTIALS: LazyLock<AppCredentials> =
    LazyLock::new(|| AppCredentials { app_key: "29a39d".into(), app_secret: "e59af819cc".into() });

/// The shop of the vectors.
static SHOP: LazyLock<ShopSession> = LazyLock::new(|| ShopSession {
    access_token: "TTP_token".into(),
    shop_cipher: "ROW_abc".into(),
});

/// The app of the vectors.
pub(super) fn credentials() -> AppCredentials {
    CREDENTIALS.clone()
}

/// The shop of the vectors.
pub(super) fn shop() -> ShopSession {
    SHOP.clone()
}

/// `seconds` after the Unix epoch.
pub(super) fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().expect("valid time")
}

/// A context of the vectors' app and shop on the production host at their instant.
pub(super) fn ctx() -> RequestContext<'static> {
    RequestContext {
        host: API_HOST,
        credentials: &CREDENTIALS,
        shop: &SHOP,
        now: at(1_700_000_000),
    }
}

/// A PNG signature and IHDR chunk (640 × 480); enough for the format sniffing.
pub(super) fn png() -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend_from_slice(&640u32.to_be_bytes());
    bytes.extend_from_slice(&480u32.to_be_bytes());
    bytes.extend_from_slice(&[8, 2, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}
