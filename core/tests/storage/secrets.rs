//! Secrets at rest on both backends: the adapters' state (renewed tokens) is sealed, a
//! value stored in plain text before is sealed at start, and the sealing key's
//! fingerprint is recorded once so another key is told apart.

use crate::support::{postgres_schema_url, postgres_url};
use shopmux_core::storage::adapter_state::{self, AdapterState};
use shopmux_core::storage::sealing::Sealer;
use shopmux_core::storage::sealing_key::{self, KeyCheck};
use shopmux_core::{Store, StoreOptions};

/// A fresh store on every available backend (with its temporary folder).
async fn stores() -> Vec<(&'static str, Store, Option<tempfile::TempDir>)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/s.db", dir.path().display());
    let mut out = vec![("sqlite", Store::open(&StoreOptions::new(url)).await.unwrap(), Some(dir))];
    if let Some(base) = postgres_url() {
        let url = postgres_schema_url(&base).await;
        out.push(("postgres", Store::open(&StoreOptions::new(url)).await.unwrap(), None));
    }
    out
}

async fn raw_value(store: &Store, key: &str) -> String {
    sqlx::query_scalar("SELECT value FROM adapter_state WHERE key = $1")
        .bind(key)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn adapter_state_tokens_are_sealed_at_rest() {
    for (name, store, _dir) in stores().await {
        let store = store.with_sealing_key(&[7; 32]);
        let state = AdapterState::new(store.clone(), "sample");
        let tokens = r#"{"access_token":"tok-SECRET-1","refresh_token":"ref-SECRET-2"}"#;
        state.put("tokens:shop-1", tokens, 1).await.unwrap();
        let raw = raw_value(&store, "tokens:shop-1").await;
        assert!(raw.starts_with("sealed1:"), "{name}: {raw}");
        assert!(!raw.contains("SECRET") && !raw.contains("access_token"), "{name}: {raw}");
        assert_eq!(state.get("tokens:shop-1").await.unwrap().as_deref(), Some(tokens), "{name}");
        // Bound to its platform and key: copied elsewhere, it does not open.
        sqlx::query("INSERT INTO adapter_state (platform, key, value, updated_at) VALUES ('other', 'tokens:shop-1', $1, 1)")
            .bind(&raw)
            .execute(store.pool())
            .await
            .unwrap();
        let other = AdapterState::new(store.clone(), "other");
        assert!(other.get("tokens:shop-1").await.is_err(), "{name}: a moved value opened");
        // Another key does not open it either.
        let wrong = AdapterState::new(store.clone().with_sealing_key(&[8; 32]), "sample");
        assert!(wrong.get("tokens:shop-1").await.is_err(), "{name}");
    }
}

#[tokio::test]
async fn adapter_state_stored_in_plain_text_before_is_sealed_at_start() {
    for (name, store, _dir) in stores().await {
        sqlx::query("INSERT INTO adapter_state (platform, key, value, updated_at) VALUES ('sample', 'tokens:old', 'plain-SECRET', 1)")
            .execute(store.pool())
            .await
            .unwrap();
        let store = store.with_sealing_key(&[7; 32]);
        assert_eq!(adapter_state::seal_plain(&store).await.unwrap(), 1, "{name}");
        let raw = raw_value(&store, "tokens:old").await;
        assert!(raw.starts_with("sealed1:") && !raw.contains("SECRET"), "{name}: {raw}");
        let state = AdapterState::new(store.clone(), "sample");
        assert_eq!(state.get("tokens:old").await.unwrap().as_deref(), Some("plain-SECRET"));
        assert_eq!(adapter_state::seal_plain(&store).await.unwrap(), 0, "{name}: once");
    }
}

#[tokio::test]
async fn wrong_sealing_key_is_told_apart_by_the_recorded_fingerprint() {
    for (name, store, _dir) in stores().await {
        let (right, wrong) = (Sealer::new(&[7; 32]), Sealer::new(&[8; 32]));
        let now = chrono::Utc::now();
        assert!(!sealing_key::key_in_use(&store).await.unwrap(), "{name}: a new database");
        assert_eq!(sealing_key::check(&store, &right, now).await.unwrap(), KeyCheck::Recorded);
        assert!(sealing_key::key_in_use(&store).await.unwrap(), "{name}");
        assert_eq!(sealing_key::check(&store, &right, now).await.unwrap(), KeyCheck::Matches);
        let refused = sealing_key::check(&store, &wrong, now).await.unwrap();
        assert_eq!(
            refused,
            KeyCheck::Mismatch { recorded: right.fingerprint().to_owned() },
            "{name}"
        );
        // The database holds the fingerprint, never the key.
        let stored: String = sqlx::query_scalar("SELECT fingerprint FROM sealing_key")
            .fetch_one(store.pool())
            .await
            .unwrap();
        assert_eq!(stored, right.fingerprint(), "{name}");
        assert!(!stored.contains(&hex::encode([7u8; 32])), "{name}");
    }
}
