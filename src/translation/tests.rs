//! The real clients against a local server answering the providers' documented
//! examples: the request's path, headers and body are checked as each document shows
//! them, and the documented answer is read back.

use super::deepl::DeepL;
use super::libretranslate::LibreTranslate;
use super::*;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// What the local server saw, and how many times it answers 429/503 before the example.
#[derive(Default)]
struct Seen {
    requests: Mutex<Vec<(String, HeaderMap, Value)>>,
    failures_left: AtomicUsize,
    fail_status: AtomicUsize,
}

async fn serve(app: axum::Router) -> reqwest::Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    reqwest::Url::parse(&format!("http://{addr}/")).unwrap()
}

fn record(seen: &Seen, path: &str, headers: HeaderMap, body: Value) -> Option<StatusCode> {
    seen.requests.lock().unwrap().push((path.to_owned(), headers, body));
    let left = seen.failures_left.load(Ordering::SeqCst);
    if left > 0 {
        seen.failures_left.store(left - 1, Ordering::SeqCst);
        let status = seen.fail_status.load(Ordering::SeqCst) as u16;
        return Some(StatusCode::from_u16(status).unwrap());
    }
    None
}

fn attempts() -> Attempts {
    Attempts {
        timeout: Duration::from_secs(5),
        retries: 2,
        min_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
    }
}

fn local() -> OutboundPolicy {
    OutboundPolicy { allow_private_networks: true, ..Default::default() }
}

fn request(
    text: &str, source: Option<&str>, target: &str,
) -> shopmux_core::services::translation::ProviderRequest {
    shopmux_core::services::translation::ProviderRequest {
        text: text.into(),
        source: source.map(str::to_owned),
        target: target.into(),
    }
}

async fn libre_server(seen: Arc<Seen>) -> reqwest::Url {
    let app = axum::Router::new()
        .route(
            "/translate",
            post(|State(seen): State<Arc<Seen>>, headers: HeaderMap, Json(body): Json<Value>| async move {
                if let Some(status) = record(&seen, "/translate", headers, body.clone()) {
                    return (status, Json(json!({"error": "Slowdown"}))).into_response();
                }
                // The documented examples (docs.libretranslate.com, "API Usage").
                let answer = if body["source"] == "auto" {
                    json!({"detectedLanguage": {"confidence": 90.0, "language": "fr"}, "translatedText": "Hello!"})
                } else {
                    json!({"translatedText": "¡Hola!"})
                };
                Json(answer).into_response()
            }),
        )
        .with_state(seen);
    serve(app).await
}

#[tokio::test]
async fn libretranslate_sends_the_documented_body_and_reads_the_documented_answer() {
    let seen = Arc::new(Seen::default());
    let url = libre_server(seen.clone()).await;
    let client = LibreTranslate {
        client: crate::outbound::client(local()),
        policy: local(),
        url,
        api_key: Some("xxxxxx".into()),
        attempts: attempts(),
    };
    let answer = client.translate(&request("Hello!", Some("en"), "es")).await.unwrap();
    assert_eq!(answer.text, "¡Hola!");
    assert_eq!(answer.billed_chars, 6);
    let auto = client.translate(&request("Bonjour!", None, "en")).await.unwrap();
    assert_eq!((auto.text.as_str(), auto.detected_source.as_deref()), ("Hello!", Some("fr")));
    let requests = seen.requests.lock().unwrap();
    let (path, headers, body) = &requests[0];
    assert_eq!(path, "/translate");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(
        body,
        &json!({"q": "Hello!", "source": "en", "target": "es", "format": "text", "api_key": "xxxxxx"})
    );
    assert_eq!(requests[1].2["source"], "auto");
}

#[tokio::test]
async fn libretranslate_retries_429_with_backoff_then_gives_up_with_the_reason() {
    let seen = Arc::new(Seen::default());
    seen.failures_left.store(2, Ordering::SeqCst);
    seen.fail_status.store(429, Ordering::SeqCst);
    let url = libre_server(seen.clone()).await;
    let client = LibreTranslate {
        client: crate::outbound::client(local()),
        policy: local(),
        url,
        api_key: None,
        attempts: attempts(),
    };
    let answer = client.translate(&request("Hello!", Some("en"), "es")).await.unwrap();
    assert_eq!(answer.text, "¡Hola!");
    assert_eq!(seen.requests.lock().unwrap().len(), 3, "two 429s, then the answer");
    assert!(seen.requests.lock().unwrap()[0].2.get("api_key").is_none(), "no key configured");
    seen.failures_left.store(5, Ordering::SeqCst);
    let err = client.translate(&request("Hello!", Some("en"), "es")).await.unwrap_err();
    assert_eq!(err.code, "rate_limited");
    assert_eq!(seen.requests.lock().unwrap().len(), 6, "1 + 2 retries");
}

async fn deepl_server(seen: Arc<Seen>) -> reqwest::Url {
    let app = axum::Router::new()
        .route(
            "/v2/translate",
            post(|State(seen): State<Arc<Seen>>, headers: HeaderMap, Json(body): Json<Value>| async move {
                if let Some(status) = record(&seen, "/v2/translate", headers, body) {
                    return (status, Json(json!({"message": "Quota exceeded"}))).into_response();
                }
                // The documented example (developers.deepl.com, "Translate text").
                Json(json!({"translations": [{"detected_source_language": "EN", "text": "Hallo, Welt!"}]}))
                    .into_response()
            }),
        )
        .with_state(seen);
    serve(app).await
}

fn deepl(url: reqwest::Url) -> DeepL {
    DeepL {
        client: crate::outbound::client(local()),
        policy: local(),
        url,
        api_key: "279a2e9d-83b3-c416-7e2d-f721593e42a0:fx".into(),
        attempts: attempts(),
    }
}

#[tokio::test]
async fn deepl_sends_the_documented_request_and_reads_the_documented_answer() {
    let seen = Arc::new(Seen::default());
    let client = deepl(deepl_server(seen.clone()).await);
    let answer = client.translate(&request("Hello, world!", None, "de")).await.unwrap();
    assert_eq!(answer.text, "Hallo, Welt!");
    assert_eq!(answer.detected_source.as_deref(), Some("en"));
    assert_eq!(answer.billed_chars, 13);
    client.translate(&request("Hola", Some("es"), "en")).await.unwrap();
    let requests = seen.requests.lock().unwrap();
    let (path, headers, body) = &requests[0];
    assert_eq!(path, "/v2/translate");
    assert_eq!(headers["authorization"], "DeepL-Auth-Key 279a2e9d-83b3-c416-7e2d-f721593e42a0:fx");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, &json!({"text": ["Hello, world!"], "target_lang": "DE"}));
    assert_eq!(
        requests[1].2,
        json!({"text": ["Hola"], "target_lang": "EN-US", "source_lang": "ES"})
    );
}

#[tokio::test]
async fn deepl_quota_exceeded_is_not_retried_and_5xx_is() {
    let seen = Arc::new(Seen::default());
    let client = deepl(deepl_server(seen.clone()).await);
    seen.failures_left.store(1, Ordering::SeqCst);
    seen.fail_status.store(456, Ordering::SeqCst);
    let err = client.translate(&request("Hello", None, "de")).await.unwrap_err();
    assert_eq!(err.code, "quota_exceeded");
    assert!(err.message.contains("Quota exceeded"), "{err}");
    assert_eq!(seen.requests.lock().unwrap().len(), 1);
    seen.failures_left.store(1, Ordering::SeqCst);
    seen.fail_status.store(503, Ordering::SeqCst);
    client.translate(&request("Hello", None, "de")).await.unwrap();
    assert_eq!(seen.requests.lock().unwrap().len(), 3);
    assert_eq!(super::deepl::host_for_key("k:fx"), super::deepl::FREE_URL);
    assert_eq!(super::deepl::host_for_key("k"), super::deepl::PRO_URL);
}

#[tokio::test]
async fn a_plain_http_provider_is_refused_without_private_networks() {
    let client = LibreTranslate {
        client: crate::outbound::client(OutboundPolicy::default()),
        policy: OutboundPolicy::default(),
        url: reqwest::Url::parse("http://127.0.0.1:9/").unwrap(),
        api_key: None,
        attempts: attempts(),
    };
    let err = client.translate(&request("Hello", None, "de")).await.unwrap_err();
    assert_eq!(err.code, "blocked_address");
}
