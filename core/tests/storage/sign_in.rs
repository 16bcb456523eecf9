//! Sign-in on every backend: logins unique across the daemon, web session rows holding
//! only the token's hash, idle and absolute expiry by the manual clock, sign-out, and
//! a new password ending an account's sessions.

use crate::support::*;
use chrono::Duration;
use shopmux_core::domain::sign_in::{ABSOLUTE_LIFETIME, IDLE_LIFETIME, Password};
use shopmux_core::domain::viewer::hash_token;
use shopmux_core::services::accounts::NewOwner;
use shopmux_core::services::sign_in::SetPassword;
use shopmux_core::{Clock, CoreError};

const PASSWORD: &str = "correct horse battery";

fn owner(name: &str, login: &str) -> NewOwner {
    NewOwner {
        name: name.into(),
        login: Some(login.into()),
        password: Some(Password(PASSWORD.into())),
    }
}

/// Every stored session row: (token hash, csrf token, last seen, expires), as text.
async fn rows(t: &TestInbox) -> Vec<(String, String, i64, i64)> {
    sqlx::query_as(
        "SELECT token_hash, csrf_token, last_seen_at, expires_at FROM web_sessions ORDER BY created_at",
    )
    .fetch_all(t.inbox.store().pool())
    .await
    .unwrap()
}

async fn sign_in(t: &TestInbox, login: &str, password: &str) -> Option<String> {
    let signed_in = t.inbox.sign_in(login, Password(password.into())).await.unwrap();
    signed_in.map(|s| s.token)
}

#[tokio::test]
async fn web_sessions_are_stored_hashed_and_end_when_idle_or_at_their_absolute_end() {
    for t in inboxes().await {
        let created = t.inbox.create_owner_with(owner("Acme", "Acme-Owner")).await.unwrap();
        assert_eq!(created.agent.login.as_deref(), Some("acme-owner"), "{}", t.name);
        let taken = t.inbox.create_owner_with(owner("Other", "acme-owner")).await;
        assert!(matches!(taken, Err(CoreError::Conflict(_))), "{}: {taken:?}", t.name);
        assert_eq!(sign_in(&t, "acme-owner", "wrong password").await, None);
        assert_eq!(sign_in(&t, "nobody", PASSWORD).await, None);

        let token = sign_in(&t, "ACME-owner", PASSWORD).await.expect("signed in");
        let stored = rows(&t).await;
        assert_eq!(stored.len(), 1, "{}", t.name);
        assert_eq!(stored[0].0, hash_token(&token), "{}: only the hash is stored", t.name);
        let t0 = t.clock.now();
        assert_eq!(stored[0].3, (t0 + ABSOLUTE_LIFETIME).timestamp_millis());
        let (viewer, session) = t.inbox.web_session(&token).await.unwrap().expect("live");
        assert_eq!((viewer.agent.id, session.csrf_token), (created.agent.id, stored[0].1.clone()));

        // Used every 11 hours it stays (each use recorded), idle for 12 it ends.
        t.clock.advance(Duration::hours(11));
        assert!(t.inbox.web_session(&token).await.unwrap().is_some(), "{}", t.name);
        assert_eq!(rows(&t).await[0].2, t.clock.now().timestamp_millis(), "{}: touched", t.name);
        t.clock.advance(IDLE_LIFETIME);
        assert!(t.inbox.web_session(&token).await.unwrap().is_none(), "{}: idle", t.name);
        assert!(rows(&t).await.is_empty(), "{}: the expired row is deleted", t.name);

        // However busy, a session ends 7 days after sign-in.
        let token = sign_in(&t, "acme-owner", PASSWORD).await.unwrap();
        let start = t.clock.now();
        while t.clock.now() + Duration::hours(11) < start + ABSOLUTE_LIFETIME {
            t.clock.advance(Duration::hours(11));
            assert!(t.inbox.web_session(&token).await.unwrap().is_some(), "{}", t.name);
        }
        t.clock.set(start + ABSOLUTE_LIFETIME);
        assert!(t.inbox.web_session(&token).await.unwrap().is_none(), "{}: absolute", t.name);
    }
}

#[tokio::test]
async fn signing_out_and_new_passwords_end_sessions() {
    for t in inboxes().await {
        let created = t.inbox.create_owner_with(owner("Acme", "acme")).await.unwrap();
        let owner_viewer = viewer(&t.inbox, &created.token).await;
        let first = sign_in(&t, "acme", PASSWORD).await.unwrap();
        let second = sign_in(&t, "acme", PASSWORD).await.unwrap();
        assert!(t.inbox.sign_out(&first).await.unwrap());
        assert!(!t.inbox.sign_out(&first).await.unwrap(), "{}: already ended", t.name);
        assert!(t.inbox.web_session(&first).await.unwrap().is_none());
        assert!(t.inbox.web_session(&second).await.unwrap().is_some());

        let input = SetPassword { password: Password("a brand new one".into()), login: None };
        let view = t.inbox.set_password(&owner_viewer, created.agent.id, input).await.unwrap();
        assert!(view.agent.has_password && view.agent.login.as_deref() == Some("acme"));
        assert_eq!(t.inbox.web_session_count(created.agent.id).await.unwrap(), 0, "{}", t.name);
        assert!(t.inbox.web_session(&second).await.unwrap().is_none());
        assert_eq!(sign_in(&t, "acme", PASSWORD).await, None);
        assert!(sign_in(&t, "acme", "a brand new one").await.is_some());
        // The command line's reset: main accounts only.
        t.inbox.set_owner_password("acme", Password("the third password".into())).await.unwrap();
        assert_eq!(t.inbox.web_session_count(created.agent.id).await.unwrap(), 0);
        let short = t.inbox.set_owner_password("acme", Password("short".into())).await;
        assert_invalid(short, "password", "10 to 256");
        let unknown = t.inbox.set_owner_password("nobody", Password(PASSWORD.into())).await;
        assert_invalid(unknown, "login", "no main account");
        // The bearer token is untouched by all of it.
        assert!(t.inbox.authenticate(&created.token).await.unwrap().is_some());
    }
}
