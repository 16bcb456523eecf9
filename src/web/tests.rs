//! The page and its files over the router, without a socket.

use super::assets::{FILES, VERSION};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

async fn get(path: &str) -> axum::response::Response {
    let request = Request::get(path).body(Body::empty()).unwrap();
    super::router::<()>().oneshot(request).await.unwrap()
}

#[tokio::test]
async fn the_page_forbids_inline_scripts_and_points_at_this_builds_files() {
    let response = get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    let html = String::from_utf8(body.to_vec()).unwrap();
    assert!(html.contains(&format!("/assets/{}/js/main.js", *VERSION)), "{html}");
    assert!(!html.contains("{{assets}}"));
    assert!(!html.contains("<script>") && !html.contains(" style="), "inline script or style");
}

#[tokio::test]
async fn files_are_cached_forever_under_their_version_and_unknown_ones_are_not_found() {
    let response = get(&format!("/assets/{}/js/main.js", *VERSION)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let cache = response.headers()[header::CACHE_CONTROL].to_str().unwrap();
    assert!(cache.contains("immutable") && cache.contains("max-age=31536000"), "{cache}");
    assert!(
        response.headers()[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/javascript")
    );
    assert_eq!(get("/assets/0000000000000000/js/main.js").await.status(), StatusCode::NOT_FOUND);
    let missing = format!("/assets/{}/js/nope.js", *VERSION);
    assert_eq!(get(&missing).await.status(), StatusCode::NOT_FOUND);
    let escape = format!("/assets/{}/../Cargo.toml", *VERSION);
    assert_eq!(get(&escape).await.status(), StatusCode::NOT_FOUND);
}

/// Every file under `web/` is embedded (a file added but not listed would be missing
/// from the binary), and the whole app ships small.
#[test]
fn every_file_of_web_is_embedded_and_the_app_stays_small() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let mut on_disk = Vec::new();
    collect(&root, &root, &mut on_disk);
    on_disk.retain(|p| p != "index.html");
    on_disk.sort();
    let mut embedded: Vec<String> = FILES.iter().map(|a| a.path.to_owned()).collect();
    embedded.sort();
    assert_eq!(on_disk, embedded);
    let total: usize = FILES.iter().map(|a| a.bytes.len()).sum();
    assert!(total < 400 * 1024, "the app is {total} bytes before compression");
}

fn collect(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            out.push(path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
}

fn catalogue_keys(path: &str) -> Vec<String> {
    let file = FILES.iter().find(|a| a.path == path).expect("catalogue embedded");
    let text = std::str::from_utf8(file.bytes).unwrap();
    text.lines()
        .filter_map(|l| {
            l.trim_start().strip_prefix('\'')?.split_once('\'').map(|(k, _)| k.to_owned())
        })
        .collect()
}

/// Both languages have every key, and every key the code asks for exists (a prefix such
/// as `flag.` built at run time must have keys under it).
#[test]
fn every_word_the_interface_uses_is_in_both_languages() {
    let en = catalogue_keys("js/messages/en.js");
    let zh = catalogue_keys("js/messages/zh.js");
    assert!(en.len() > 100, "{}", en.len());
    assert_eq!(en, zh, "en.js and zh.js list the same keys in the same order");
    for asset in FILES.iter().filter(|a| a.path.ends_with(".js")) {
        let code = std::str::from_utf8(asset.bytes).unwrap();
        for (at, _) in code.match_indices("t('") {
            let before = code[..at].chars().next_back().unwrap_or(' ');
            let Some((key, _)) = code[at + 3..].split_once('\'') else { continue };
            if before.is_alphanumeric() || before == '_' || key.is_empty() {
                continue;
            }
            let known = if key.ends_with('.') {
                en.iter().any(|k| k.starts_with(key))
            } else {
                en.iter().any(|k| k == key)
            };
            assert!(known, "{} asks for `{key}`, missing from the catalogue", asset.path);
        }
    }
}
