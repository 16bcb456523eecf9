//! The web inbox's files, embedded in the binary at build time. They are served under
//! `/assets/<version>/`, where the version is a hash of every file's name and bytes: a
//! release with any change gets new URLs, so browsers may cache each URL forever, and the
//! ES modules' relative imports resolve inside the same version.

use sha2::{Digest, Sha256};
use std::sync::LazyLock;

/// One embedded file.
pub struct Asset {
    /// Its path under `web/` (and under `/assets/<version>/`).
    pub path: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
}

macro_rules! embed {
    ($($path:literal),* $(,)?) => {
        &[$(Asset { path: $path, bytes: include_bytes!(concat!("../../web/", $path)) }),*]
    };
}

/// Every file of the app but `index.html` (a test checks that `web/` holds no other).
pub const FILES: &[Asset] = embed![
    "app.css",
    "LICENSES.md",
    "js/main.js",
    "js/api.js",
    "js/dom.js",
    "js/i18n.js",
    "js/messages/en.js",
    "js/messages/zh.js",
    "js/time.js",
    "js/stream.js",
    "js/state.js",
    "js/signin.js",
    "js/shell.js",
    "js/inbox.js",
    "js/rows.js",
    "js/chat.js",
    "js/reply.js",
    "js/compliance.js",
    "js/content.js",
    "js/workbench.js",
    "js/reception.js",
    "js/settings.js",
    "js/settings_compliance.js",
    "js/settings_connect.js",
    "js/settings_webhooks.js",
    "js/settings_bot.js",
    "js/notify.js",
    "js/keys.js",
    "js/rating.js",
    "js/history_filters.js",
    "js/quick_replies.js",
    "js/settings_quick_replies.js",
    "js/urgency.js",
    "js/settings_service_level.js",
    "js/service_data.js",
    "js/translation.js",
];

/// The page that loads the app; `{{assets}}` becomes `/assets/<version>`.
const INDEX: &str = include_str!("../../web/index.html");

/// The version of this build's files: 16 hex digits of a SHA-256 over names and bytes.
pub static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for asset in FILES {
        hash.update(asset.path.as_bytes());
        hash.update([0]);
        hash.update((asset.bytes.len() as u64).to_le_bytes());
        hash.update(asset.bytes);
    }
    hex::encode(&hash.finalize()[..8])
});

/// `index.html` pointing at this build's files.
pub static INDEX_HTML: LazyLock<String> =
    LazyLock::new(|| INDEX.replace("{{assets}}", &format!("/assets/{}", *VERSION)));

/// The file at `path`, if embedded.
pub fn find(path: &str) -> Option<&'static Asset> {
    FILES.iter().find(|a| a.path == path)
}

/// The `Content-Type` of a file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("md") => "text/plain; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("wav") => "audio/wav",
        _ => "application/octet-stream",
    }
}
