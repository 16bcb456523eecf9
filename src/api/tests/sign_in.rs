//! Router-level tests of password sign-in and cookie sessions: the cookie's attributes,
//! one answer for unknown logins and wrong passwords, the rate limits, the CSRF checks
//! of cookie writes (and none for bearer writes), signing out, and passwords set by
//! the owner or by the account itself ending the old sessions.

use super::{Call, Harness};
use axum::http::{HeaderMap, Method};
use serde_json::{Value, json};
use shopmux_core::domain::sign_in::Password;
use shopmux_core::services::accounts::NewOwner;
use std::net::SocketAddr;

const PASSWORD: &str = "correct horse battery";

/// A signed-in browser: its cookie header and its CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

fn sign_in_call(login: &str, password: &str) -> Call<'static> {
    let body = json!({"login": login, "password": password}).to_string();
    Call::new(Method::POST, "/api/v1/session").body(body)
}

/// `PUT /api/v1/agents/{id}/password` as the holder of `token`.
fn set<'a>(id: &str, token: &'a str, body: Value) -> Call<'a> {
    let path = format!("/api/v1/agents/{id}/password");
    Call::new(Method::PUT, path).token(token).body(body.to_string())
}

fn peer(last: u8) -> SocketAddr {
    SocketAddr::from(([198, 51, 100, last], 40000))
}

/// The `shopmux_session=…` pair of a `Set-Cookie`, and the whole header.
fn set_cookie(headers: &HeaderMap) -> (String, String) {
    let whole = headers.get("set-cookie").expect("Set-Cookie").to_str().unwrap().to_owned();
    (whole.split(';').next().unwrap().to_owned(), whole)
}

impl Harness {
    /// A seller whose main account signs in as `login`; its bearer token.
    async fn owner_with_login(&self, login: &str) -> String {
        let owner = NewOwner {
            name: format!("Owner {login}"),
            login: Some(login.into()),
            password: Some(Password(PASSWORD.into())),
        };
        self.inbox.create_owner_with(owner).await.expect("owner").token
    }

    async fn sign_in(&self, login: &str, password: &str) -> Browser {
        let (status, headers, body) = self.send_full(sign_in_call(login, password)).await;
        assert_eq!(status, 200, "{body}");
        let (cookie, _) = set_cookie(&headers);
        Browser { cookie, csrf: body["csrf_token"].as_str().expect("csrf").to_owned() }
    }

    async fn me_with(&self, cookie: &str) -> (u16, Value) {
        self.send(Call::new(Method::GET, "/api/v1/me").header("cookie", cookie.into())).await
    }
}

#[tokio::test]
async fn sign_in_sets_an_http_only_strict_cookie_that_authenticates_the_caller() {
    let h = Harness::new().await;
    let token = h.owner_with_login("acme-owner").await;
    let (status, headers, body) = h.send_full(sign_in_call(" ACME-Owner ", PASSWORD)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["agent"]["login"], "acme-owner");
    assert_eq!(body["agent"]["has_password"], true);
    assert!(body["agent"].get("password_hash").is_none(), "{body}");
    let csrf = body["csrf_token"].as_str().expect("csrf token");
    assert_eq!(csrf.len(), 43);
    let (cookie, whole) = set_cookie(&headers);
    let value = cookie.strip_prefix("shopmux_session=").expect("the cookie's name");
    assert_eq!(value.len(), 43, "32 random bytes, base64url: {whole}");
    assert!(whole.contains("; HttpOnly") && whole.contains("; SameSite=Strict"), "{whole}");
    assert!(whole.contains("; Path=/") && whole.contains("; Max-Age=604800"), "{whole}");
    assert!(!whole.contains("Secure"), "plain HTTP, no proxy: {whole}");
    let (status, me) = h.me_with(&cookie).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["agent"]["id"], body["agent"]["id"]);
    let session = Call::new(Method::GET, "/api/v1/session").header("cookie", cookie.clone());
    let (status, again) = h.send(session).await;
    assert_eq!((status, &again["csrf_token"]), (200, &body["csrf_token"]), "{again}");
    // The bearer token goes on working, and is no session.
    let (status, _) = h.send(Call::new(Method::GET, "/api/v1/me").token(&token)).await;
    assert_eq!(status, 200);
    let bearer_session = Call::new(Method::GET, "/api/v1/session").token(&token);
    h.check("the session with a bearer token", bearer_session, 401, "unauthorized").await;
    h.check(
        "a made-up cookie",
        Call::new(Method::GET, "/api/v1/me").header("cookie", "shopmux_session=nope".into()),
        401,
        "unauthorized",
    )
    .await;
    // Behind a proxy speaking HTTPS the cookie is Secure.
    let https = sign_in_call("acme-owner", PASSWORD).header("x-forwarded-proto", "https".into());
    let (_, headers, _) = h.send_full(https).await;
    assert!(set_cookie(&headers).1.ends_with("; Secure"));
}

#[tokio::test]
async fn an_unknown_login_and_a_wrong_password_get_the_same_answer() {
    let h = Harness::new().await;
    h.owner_with_login("acme-owner").await;
    let no_password =
        NewOwner { name: "Plain".into(), login: Some("plain".into()), password: None };
    h.inbox.create_owner_with(no_password).await.unwrap();
    let wrong = h.send_full(sign_in_call("acme-owner", "not the password")).await;
    let unknown = h.send_full(sign_in_call("nobody-here", "not the password")).await;
    let passwordless = h.send_full(sign_in_call("plain", "not the password")).await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong.2["error"]["code"], "sign_in_failed");
    for other in [&unknown, &passwordless] {
        assert_eq!((other.0, &other.2), (wrong.0, &wrong.2));
        assert!(other.1.get("set-cookie").is_none());
    }
}

#[tokio::test]
async fn failures_of_one_login_are_limited_before_any_password_is_checked() {
    let h = Harness::new().await;
    h.owner_with_login("acme-owner").await;
    // Four failures, a success: the success forgets them.
    for _ in 0..4 {
        let (status, _) = h.send(sign_in_call("acme-owner", "wrong password")).await;
        assert_eq!(status, 401);
    }
    h.sign_in("acme-owner", PASSWORD).await;
    for i in 0..5u8 {
        let (status, _) = h.send(sign_in_call("acme-owner", "wrong password").peer(peer(i))).await;
        assert_eq!(status, 401, "failure {i}");
    }
    // The sixth is refused, from anywhere, even with the right password.
    let (status, headers, body) =
        h.send_full(sign_in_call("acme-owner", PASSWORD).peer(peer(9))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{body}"
    );
    // The bucket refills one attempt every 3 minutes (15 minutes / 5).
    assert_eq!(headers.get("retry-after").unwrap(), "180");
    h.clock.advance(chrono::Duration::minutes(2));
    let (_, headers, _) = h.send_full(sign_in_call("acme-owner", PASSWORD)).await;
    assert_eq!(headers.get("retry-after").unwrap(), "60");
    h.clock.advance(chrono::Duration::minutes(1));
    h.sign_in("acme-owner", PASSWORD).await;
}

#[tokio::test]
async fn attempts_from_one_address_are_limited_whatever_the_logins() {
    let h = Harness::new().await;
    h.owner_with_login("acme-owner").await;
    for i in 0..20 {
        let call = sign_in_call(&format!("guess{i}"), "wrong password").peer(peer(1));
        assert_eq!(h.send(call).await.0, 401, "attempt {i}");
    }
    let (status, headers, body) =
        h.send_full(sign_in_call("acme-owner", PASSWORD).peer(peer(1))).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("too_many_attempts")),
        "{body}"
    );
    assert!(headers.get("retry-after").is_some());
    let other = sign_in_call("acme-owner", PASSWORD).peer(peer(2));
    assert_eq!(h.send(other).await.0, 200, "another address may sign in");
}

#[tokio::test]
async fn cookie_writes_need_the_csrf_token_and_a_same_origin_bearer_writes_do_not() {
    let h = Harness::new().await;
    let token = h.owner_with_login("acme-owner").await;
    let b = h.sign_in("acme-owner", PASSWORD).await;
    let shop = |n: u32| json!({"platform": "api", "external_id": format!("s{n}"), "name": "S"});
    let write = |n: u32| {
        Call::new(Method::POST, "/api/v1/shops")
            .header("cookie", b.cookie.clone())
            .header("host", "inbox.example.com".into())
            .body(shop(n).to_string())
    };
    h.check("no CSRF token", write(1), 403, "csrf_failed").await;
    h.check(
        "a wrong CSRF token",
        write(1).header("x-csrf-token", "x".repeat(43)),
        403,
        "csrf_failed",
    )
    .await;
    let foreign = write(1)
        .header("x-csrf-token", b.csrf.clone())
        .header("origin", "https://evil.example".into());
    h.check("a foreign origin", foreign, 403, "csrf_failed").await;
    let own = write(1)
        .header("x-csrf-token", b.csrf.clone())
        .header("origin", "https://inbox.example.com".into());
    assert_eq!(h.send(own).await.0, 201);
    let no_origin = write(2).header("x-csrf-token", b.csrf.clone());
    assert_eq!(h.send(no_origin).await.0, 201);
    let bearer = Call::new(Method::POST, "/api/v1/shops").token(&token).body(shop(3).to_string());
    assert_eq!(h.send(bearer).await.0, 201, "bearer writes need no CSRF token");
    // Reads need none; a sign-in from another origin is refused (login CSRF).
    assert_eq!(h.me_with(&b.cookie).await.0, 200);
    let elsewhere = sign_in_call("acme-owner", PASSWORD)
        .header("host", "inbox.example.com".into())
        .header("origin", "https://evil.example".into());
    h.check("a sign-in from another origin", elsewhere, 403, "csrf_failed").await;
    // The stream takes the cookie only with an Origin matching the Host.
    let stream = || {
        Call::new(Method::GET, "/api/v1/stream")
            .header("cookie", b.cookie.clone())
            .header("host", "inbox.example.com".into())
    };
    h.check("a cookie stream without Origin", stream(), 403, "csrf_failed").await;
    let hijack = stream().header("origin", "https://evil.example".into());
    h.check("a cross-site stream", hijack, 403, "csrf_failed").await;
}

#[tokio::test]
async fn signing_out_deletes_the_session_and_clears_the_cookie() {
    let h = Harness::new().await;
    h.owner_with_login("acme-owner").await;
    let b = h.sign_in("acme-owner", PASSWORD).await;
    let agent_id = h.me_with(&b.cookie).await.1["agent"]["id"].as_str().unwrap().parse().unwrap();
    let sign_out =
        || Call::new(Method::DELETE, "/api/v1/session").header("cookie", b.cookie.clone());
    h.check("sign-out without the CSRF token", sign_out(), 403, "csrf_failed").await;
    let (status, headers, body) =
        h.send_full(sign_out().header("x-csrf-token", b.csrf.clone())).await;
    assert_eq!((status, &body), (200, &json!({"ok": true})));
    let (cleared, whole) = set_cookie(&headers);
    assert_eq!(cleared, "shopmux_session=");
    assert!(whole.contains("Max-Age=0"), "{whole}");
    assert_eq!(h.inbox.web_session_count(agent_id).await.unwrap(), 0, "the row is gone");
    assert_eq!(h.me_with(&b.cookie).await.0, 401, "the old cookie is worthless");
}

/// An owner (signing in as `acme-owner`) with two sub-accounts: Ana, created with a
/// login and a password, and Bob, with neither.
struct Team {
    owner: String,
    ana_id: String,
    bob_id: String,
    bob_token: String,
}

/// `POST /api/v1/agents` as `owner`, with `body` and the nickname.
fn new_agent<'a>(owner: &'a str, nickname: &str, mut body: Value) -> Call<'a> {
    body["nickname"] = json!(nickname);
    Call::new(Method::POST, "/api/v1/agents").token(owner).body(body.to_string())
}

impl Harness {
    async fn team(&self) -> Team {
        let owner = self.owner_with_login("acme-owner").await;
        let ana = json!({"login": "Ana@Acme", "password": PASSWORD});
        let (status, ana) = self.send(new_agent(&owner, "Ana", ana)).await;
        assert_eq!(status, 201, "{ana}");
        let agent = &ana["agent"];
        assert_eq!((&agent["login"], &agent["has_password"]), (&json!("ana@acme"), &json!(true)));
        let (_, bob) = self.send(new_agent(&owner, "Bob", json!({}))).await;
        let agent = &bob["agent"];
        assert_eq!((&agent["login"], &agent["has_password"]), (&Value::Null, &json!(false)));
        let id = |v: &Value| v["agent"]["id"].as_str().unwrap().to_owned();
        let bob_token = bob["token"].as_str().unwrap().to_owned();
        Team { ana_id: id(&ana), bob_id: id(&bob), bob_token, owner }
    }
}

#[tokio::test]
async fn sub_accounts_are_created_with_a_checked_login_and_password() {
    let h = Harness::new().await;
    let team = h.team().await;
    let eve = |body: Value| new_agent(&team.owner, "Eve", body);
    h.check("a taken login", eve(json!({"login": "ana@acme"})), 409, "conflict").await;
    let no_login = eve(json!({"password": PASSWORD}));
    h.check("a password without a login", no_login, 422, "invalid_field").await;
    let short = eve(json!({"login": "eve", "password": "short"}));
    h.check("a short password", short, 422, "invalid_field").await;
    h.check("a bad login", eve(json!({"login": "e v e"})), 422, "invalid_field").await;
    h.sign_in("ana@acme", PASSWORD).await;
}

#[tokio::test]
async fn the_owner_resets_a_password_ending_its_sessions_a_sub_account_only_its_own() {
    let h = Harness::new().await;
    let Team { owner, ana_id, bob_id, bob_token } = h.team().await;
    let ana_browser = h.sign_in("ana@acme", PASSWORD).await;
    let (status, view) = h.send(set(&ana_id, &owner, json!({"password": "a new password"}))).await;
    assert_eq!((status, &view["has_password"]), (200, &json!(true)), "{view}");
    assert_eq!(h.me_with(&ana_browser.cookie).await.0, 401, "the reset ended Ana's session");
    assert_eq!(h.send(sign_in_call("ana@acme", PASSWORD)).await.0, 401);
    h.sign_in("ana@acme", "a new password").await;
    // A sub-account cannot set another's; it may set its own (and take a login).
    let other = set(&ana_id, &bob_token, json!({"password": "bob was here"}));
    h.check("a sub-account setting another's", other, 403, "forbidden").await;
    let own = set(&bob_id, &bob_token, json!({"password": "bob's own password", "login": "bob"}));
    let (status, view) = h.send(own).await;
    assert_eq!((status, &view["login"]), (200, &json!("bob")), "{view}");
    h.sign_in("bob", "bob's own password").await;
    // A cookie-authenticated reset carries the CSRF token like any write.
    let own_browser = h.sign_in("acme-owner", PASSWORD).await;
    let me = h.me_with(&own_browser.cookie).await.1["agent"]["id"].as_str().unwrap().to_owned();
    let reset = || {
        Call::new(Method::PUT, format!("/api/v1/agents/{me}/password"))
            .header("cookie", own_browser.cookie.clone())
            .body(json!({"password": "the owner's new one"}).to_string())
    };
    h.check("a cookie reset without the token", reset(), 403, "csrf_failed").await;
    let (status, _) = h.send(reset().header("x-csrf-token", own_browser.csrf.clone())).await;
    assert_eq!(status, 200);
    assert_eq!(h.me_with(&own_browser.cookie).await.0, 401, "its own session ended too");
}

#[tokio::test]
async fn bad_password_settings_are_4xx_json_errors() {
    let h = Harness::new().await;
    let Team { owner, bob_id, .. } = h.team().await;
    let short = set(&bob_id, &owner, json!({"password": "123456789"}));
    h.check("a password under 10 characters", short, 422, "invalid_field").await;
    let long = set(&bob_id, &owner, json!({"password": "x".repeat(257)}));
    h.check("a password over 256 characters", long, 422, "invalid_field").await;
    let taken = set(&bob_id, &owner, json!({"password": PASSWORD, "login": "ana@acme"}));
    h.check("a taken login", taken, 409, "conflict").await;
    let bad_login = set(&bob_id, &owner, json!({"password": PASSWORD, "login": "B"}));
    h.check("a login too short", bad_login, 422, "invalid_field").await;
    let unknown = "01a20000-0000-7000-8000-000000000000";
    let unknown = set(unknown, &owner, json!({"password": PASSWORD}));
    h.check("an unknown agent", unknown, 404, "not_found").await;
    let extra = set(&bob_id, &owner, json!({"password": PASSWORD, "hash": "x"}));
    h.check("an unknown field", extra, 400, "invalid_body").await;
    let missing = set(&bob_id, &owner, json!({"login": "bob"}));
    h.check("no password", missing, 400, "invalid_body").await;
}

#[tokio::test]
async fn malformed_sign_ins_are_4xx_json_errors() {
    let h = Harness::new().await;
    let cases = [
        ("no password", r#"{"login":"a"}"#, 400, "invalid_body"),
        (
            "an unknown field",
            r#"{"login":"a","password":"b","remember":true}"#,
            400,
            "invalid_body",
        ),
        ("malformed json", r#"{"login":"#, 400, "malformed_json"),
    ];
    for (name, body, status, code) in cases {
        h.check(name, Call::new(Method::POST, "/api/v1/session").body(body), status, code).await;
    }
    h.check("no cookie", Call::new(Method::GET, "/api/v1/session"), 401, "unauthorized").await;
    h.check(
        "sign-out without a session",
        Call::new(Method::DELETE, "/api/v1/session"),
        401,
        "unauthorized",
    )
    .await;
}
