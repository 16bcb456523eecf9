//! The sealing key's record: the fingerprint of the key the database's secrets are sealed
//! with ([`Sealer::fingerprint`], never the key), written at the first start with a key.
//! A later start compares its key's fingerprint with it, so a daemon given another key
//! (or a fresh one, its key file lost) refuses to start instead of sealing new secrets
//! with a second key beside ones it cannot open.

use super::rows::Columns;
use super::sealing::Sealer;
use super::store::Store;
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

/// What a start's key is to this database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyCheck {
    /// The database records this key.
    Matches,
    /// The database recorded no key yet; it records this one now.
    Recorded,
    /// The database records another key (its fingerprint).
    Mismatch {
        /// The recorded fingerprint.
        recorded: String,
    },
    /// The database recorded no key, but holds sealed secrets this key does not open.
    OpensNothing,
}

/// The recorded fingerprint, if a key was ever recorded.
pub async fn recorded(store: &Store) -> CoreResult<Option<String>> {
    let row = store.row("SELECT fingerprint FROM sealing_key WHERE id = 1", vec![]).await?;
    row.map(|r| r.text_col("fingerprint")).transpose()
}

/// Whether this database already depends on a key: one is recorded, or secrets are
/// stored sealed (written before keys were recorded).
pub async fn key_in_use(store: &Store) -> CoreResult<bool> {
    Ok(recorded(store).await?.is_some() || sealed_sample(store).await?.is_some())
}

/// One sealed secret with its context (the shop id, or the adapter state's context).
async fn sealed_sample(store: &Store) -> CoreResult<Option<(String, String)>> {
    let sql = "SELECT shop_id, credentials FROM shop_connections WHERE credentials LIKE 'sealed1:%' LIMIT 1";
    if let Some(row) = store.row(sql, vec![]).await? {
        return Ok(Some((row.text_col("shop_id")?, row.text_col("credentials")?)));
    }
    let sql = "SELECT platform, key, value FROM adapter_state WHERE value LIKE 'sealed1:%' LIMIT 1";
    let Some(row) = store.row(sql, vec![]).await? else { return Ok(None) };
    let context = super::adapter_state::context(&row.text_col("platform")?, &row.text_col("key")?);
    Ok(Some((context, row.text_col("value")?)))
}

/// Checks `sealer`'s key against the database, recording it when none is (and no sealed
/// secret says it is the wrong one).
pub async fn check(store: &Store, sealer: &Sealer, now: DateTime<Utc>) -> CoreResult<KeyCheck> {
    if let Some(recorded) = recorded(store).await? {
        return Ok(verdict(sealer, recorded));
    }
    if let Some((context, sealed)) = sealed_sample(store).await?
        && sealer.open(&context, &sealed).is_err()
    {
        return Ok(KeyCheck::OpensNothing);
    }
    let mut w = store.begin_write().await?;
    w.run(
        "INSERT INTO sealing_key (id, fingerprint, created_at) VALUES (1, $1, $2) \
         ON CONFLICT (id) DO NOTHING",
        vec![sealer.fingerprint().to_owned().into(), now.into()],
    )
    .await?;
    w.commit().await?;
    // Another daemon may have recorded its key first: compare with what won.
    match recorded(store).await? {
        Some(recorded) if recorded == sealer.fingerprint() => Ok(KeyCheck::Recorded),
        Some(recorded) => Ok(verdict(sealer, recorded)),
        None => Ok(KeyCheck::Recorded),
    }
}

fn verdict(sealer: &Sealer, recorded: String) -> KeyCheck {
    if recorded == sealer.fingerprint() {
        KeyCheck::Matches
    } else {
        KeyCheck::Mismatch { recorded }
    }
}
