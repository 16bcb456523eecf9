//! The key-value state the host keeps for adapters and plugins (the contract's
//! `Host::kv_get`/`kv_put`): small values such as cursors or renewed tokens, scoped to one
//! platform, kept in the daemon's database so they survive restarts and are shared by
//! every daemon of a PostgreSQL deployment.

use super::rows::Columns;
use super::store::Store;
use crate::error::{CoreError, CoreResult};

/// The longest key accepted.
pub const MAX_KEY_BYTES: usize = 256;
/// The longest value accepted.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// One platform's state.
#[derive(Clone, Debug)]
pub struct AdapterState {
    store: Store,
    platform: String,
}

impl AdapterState {
    /// The state of `platform`'s adapter.
    pub fn new(store: Store, platform: impl Into<String>) -> Self {
        Self { store, platform: platform.into() }
    }

    /// The value of `key`, if it was ever set.
    pub async fn get(&self, key: &str) -> CoreResult<Option<String>> {
        check(key, "")?;
        let row = self
            .store
            .row(
                "SELECT value FROM adapter_state WHERE platform = $1 AND key = $2",
                vec![self.platform.clone().into(), key.into()],
            )
            .await?;
        row.map(|r| r.text_col("value")).transpose()
    }

    /// Sets `key` to `value` (replacing any earlier value).
    pub async fn put(&self, key: &str, value: &str, now_ms: i64) -> CoreResult<()> {
        check(key, value)?;
        let mut w = self.store.begin_write().await?;
        w.run(
                "INSERT INTO adapter_state (platform, key, value, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (platform, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                vec![
                    self.platform.clone().into(),
                    key.into(),
                    value.into(),
                    now_ms.into(),
                ],
            )
            .await?;
        w.commit().await
    }
}

fn check(key: &str, value: &str) -> CoreResult<()> {
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(CoreError::invalid(
            "key",
            format!("a state key is 1 to {MAX_KEY_BYTES} bytes"),
        ));
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(CoreError::invalid(
            "value",
            format!("a state value is at most {MAX_VALUE_BYTES} bytes"),
        ));
    }
    Ok(())
}
