//! The key-value state the host keeps for adapters and plugins (the contract's
//! `Host::kv_get`/`kv_put`): small values such as cursors or renewed tokens, scoped to one
//! platform, kept in the daemon's database so they survive restarts and are shared by
//! every daemon of a PostgreSQL deployment. Values may be secrets (a refreshed access
//! token), and the host cannot tell which: every value is sealed at rest like shop
//! credentials (bound to its platform and key, see `sealing`); values written before
//! that are sealed at start ([`seal_plain`]).

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
        let Some(stored) = row.map(|r| r.text_col("value")).transpose()? else {
            return Ok(None);
        };
        let context = context(&self.platform, key);
        self.store.unseal(&context, &stored).map(Some).map_err(|_| {
            CoreError::invalid("value", "the stored state does not open with this daemon's key")
        })
    }

    /// Sets `key` to `value` (replacing any earlier value).
    pub async fn put(&self, key: &str, value: &str, now_ms: i64) -> CoreResult<()> {
        check(key, value)?;
        let value = self.store.seal(&context(&self.platform, key), value)?;
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

/// What a value of `platform`'s `key` is sealed for (its associated data): a value
/// copied to another key or platform does not open.
pub fn context(platform: &str, key: &str) -> String {
    format!("adapter_state/{platform}/{key}")
}

/// Seals every value still stored in plain text (written before values were sealed);
/// returns how many. Does nothing when the store has no key.
pub async fn seal_plain(store: &Store) -> CoreResult<usize> {
    if store.sealer().is_none() {
        return Ok(0);
    }
    let sql = "SELECT platform, key, value FROM adapter_state WHERE value NOT LIKE 'sealed1:%'";
    let rows = store.rows(sql, vec![]).await?;
    let mut w = store.begin_write().await?;
    for row in &rows {
        let (platform, key) = (row.text_col("platform")?, row.text_col("key")?);
        let sealed = store.seal(&context(&platform, &key), &row.text_col("value")?)?;
        w.run(
            "UPDATE adapter_state SET value = $1 WHERE platform = $2 AND key = $3 AND value = $4",
            vec![sealed.into(), platform.into(), key.into(), row.text_col("value")?.into()],
        )
        .await?;
    }
    w.commit().await?;
    Ok(rows.len())
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
