//! Password sign-in over real sockets: `owner create --password-stdin` and `owner
//! password` on the real binary with a piped password, then signing in with the cookie;
//! the stream taking the cookie only from its own origin; and the sign-in limits seeing
//! the client's address as `serve` records it.

use crate::support::{self, assert_success, client, decode};
use reqwest::Method;
use serde_json::{Value, json};
use shopmux_core::domain::sign_in::Password;
use shopmux_core::services::accounts::NewOwner;
use std::io::Write;
use std::process::{Command, Output, Stdio};

const PASSWORD: &str = "correct horse battery";

/// Runs the binary on the database `url` with `stdin` piped in.
fn shopmux(url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopmux"))
        .args(args)
        .env("SHOPMUX_DATABASE__URL", url)
        .env("RUST_LOG", "off")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// Signs in; the status, the `name=value` of the cookie set (if any) and the body.
async fn sign_in(
    d: &support::TestDaemon, login: &str, password: &str, forwarded_for: Option<&str>,
) -> (u16, Option<String>, Value) {
    let mut req = client()
        .post(d.url("/api/v1/session"))
        .json(&json!({"login": login, "password": password}));
    if let Some(address) = forwarded_for {
        req = req.header("x-forwarded-for", address);
    }
    let resp = req.send().await.unwrap();
    let cookie = resp
        .headers()
        .get("set-cookie")
        .map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
    let (status, body) = decode(resp).await;
    (status, cookie, body)
}

async fn me(d: &support::TestDaemon, cookie: &str) -> (u16, Value) {
    let req = client().request(Method::GET, d.url("/api/v1/me")).header("cookie", cookie);
    decode(req.send().await.unwrap()).await
}

#[tokio::test]
async fn owner_create_with_a_piped_password_then_sign_in_and_reset() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/shopmux.db", dir.path().display());
    let no_login = shopmux(&url, &["owner", "create", "Acme", "--password-stdin"], "x\n");
    assert!(!no_login.status.success());
    assert!(String::from_utf8_lossy(&no_login.stderr).contains("--login"));
    let args = ["owner", "create", "Acme", "--login", "acme-owner", "--password-stdin"];
    let short = shopmux(&url, &args, "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("password: must be 10 to 256"));
    let created = shopmux(&url, &args, &format!("{PASSWORD}\n"));
    assert_success(&created);
    let token = String::from_utf8(created.stdout).unwrap().trim().to_owned();
    assert!(token.starts_with("smx_"), "only the token: {token}");
    let again = shopmux(&url, &args, &format!("{PASSWORD}\n"));
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("login: another account"));

    let d = support::start_at(&url, dir.path().to_path_buf()).await;
    let (status, cookie, body) = sign_in(&d, "acme-owner", PASSWORD, None).await;
    assert_eq!(status, 200, "{body}");
    let cookie = cookie.expect("a session cookie");
    let (status, me_body) = me(&d, &cookie).await;
    assert_eq!((status, &me_body["agent"]["login"]), (200, &json!("acme-owner")), "{me_body}");
    assert_eq!(d.get("/api/v1/me", &token).await.0, 200, "the token works too");
    d.stop().await;

    let reset = ["owner", "password", "acme-owner", "--password-stdin"];
    assert_success(&shopmux(&url, &reset, "another long password\r\n"));
    let unknown = shopmux(&url, &["owner", "password", "nobody", "--password-stdin"], "x\n");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("login"));
    let d = support::start_at(&url, dir.path().to_path_buf()).await;
    assert_eq!(me(&d, &cookie).await.0, 401, "the reset ended the session");
    assert_eq!(sign_in(&d, "acme-owner", PASSWORD, None).await.0, 401);
    assert_eq!(sign_in(&d, "acme-owner", "another long password", None).await.0, 200);
    d.stop().await;
}

#[tokio::test]
async fn the_stream_takes_the_session_cookie_from_its_own_origin_only() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let d = support::start().await;
    let owner = NewOwner {
        name: "Acme".into(),
        login: Some("acme".into()),
        password: Some(Password(PASSWORD.into())),
    };
    d.inbox.create_owner_with(owner).await.unwrap();
    let (_, cookie, _) = sign_in(&d, "acme", PASSWORD, None).await;
    let cookie = cookie.unwrap();
    let connect = |origin: Option<String>| {
        let mut request = format!("{}/api/v1/stream", d.base.replace("http://", "ws://"))
            .into_client_request()
            .unwrap();
        request.headers_mut().insert("cookie", cookie.parse().unwrap());
        if let Some(origin) = origin {
            request.headers_mut().insert("origin", origin.parse().unwrap());
        }
        tokio_tungstenite::connect_async(request)
    };
    let refused = |result: Result<_, tokio_tungstenite::tungstenite::Error>| match result {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => response.status().as_u16(),
        Err(e) => panic!("{e}"),
        Ok(_) => 101,
    };
    assert_eq!(refused(connect(None).await), 403, "no Origin");
    assert_eq!(refused(connect(Some("http://evil.example".into())).await), 403, "foreign");
    let (_ws, response) = connect(Some(d.base.clone())).await.expect("its own origin");
    assert_eq!(response.status().as_u16(), 101);
    d.stop().await;
}

#[tokio::test]
async fn sign_in_limits_count_per_client_address_as_serve_sees_it() {
    let d = support::start().await;
    // A proxy on this machine (the peer is loopback) names each client.
    for i in 0..20 {
        let (status, _, _) = sign_in(&d, &format!("guess{i}"), PASSWORD, Some("203.0.113.1")).await;
        assert_eq!(status, 401, "attempt {i}");
    }
    let resp = client()
        .post(d.url("/api/v1/session"))
        .header("x-forwarded-for", "203.0.113.1")
        .json(&json!({"login": "someone", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    let answer = decode(resp).await;
    support::assert_error(&answer, 429, "code", "too_many_attempts");
    assert!(retry_after.is_some_and(|s| s.parse::<u64>().is_ok_and(|s| s > 0 && s <= 900)));
    let other = sign_in(&d, "someone", PASSWORD, Some("203.0.113.2")).await;
    assert_eq!(other.0, 401, "another client is not limited: {}", other.2);
    d.stop().await;
}
