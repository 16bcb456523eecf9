//! The translations repository: the cache (one row per text, language pair and
//! provider), usage per seller, provider and month, each seller's own monthly budget,
//! each conversation's auto-translation switch with the agent's languages, each agent's
//! interface language, and the translation columns of messages (the worker's pending queue, claimed under
//! leases so daemons sharing the database never translate a message twice, and its
//! results).

use super::rows::{Columns, MESSAGE_COLUMNS, message_from_row};
use super::sql::Val;
use super::store::Store;
use super::write::WriteTx;
use crate::domain::ids::{AgentId, ConversationId, MessageId, SellerId};
use crate::domain::model::{Message, MessageTranslation};
use crate::error::CoreResult;
use chrono::{DateTime, Utc};

/// A cached translation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cached {
    /// The translated text.
    pub translated: String,
    /// The source language the provider detected, if it said.
    pub detected_source: Option<String>,
}

/// The cached translation under `key`, if any.
pub async fn cached(store: &Store, key: &str) -> CoreResult<Option<Cached>> {
    let row = store
        .row(
            "SELECT translated, detected_source FROM translation_cache WHERE cache_key = $1",
            vec![key.into()],
        )
        .await?;
    row.map(|r| {
        Ok(Cached { translated: r.col("translated")?, detected_source: r.col("detected_source")? })
    })
    .transpose()
}

/// A fresh translation for the cache.
pub struct Fresh<'a> {
    /// The cache key.
    pub key: &'a str,
    /// The provider's name.
    pub provider: &'a str,
    /// The source asked (none: detect).
    pub source: Option<&'a str>,
    /// The target.
    pub target: &'a str,
    /// The answer.
    pub cached: &'a Cached,
}

/// Stores a fresh translation in the cache (a concurrent twin is kept).
pub async fn cache(store: &Store, f: &Fresh<'_>, now: DateTime<Utc>) -> CoreResult<()> {
    let mut w = store.begin_write().await?;
    w.run(
        "INSERT INTO translation_cache (cache_key, provider, source_lang, target_lang, translated, \
         detected_source, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (cache_key) DO NOTHING",
        vec![
            f.key.into(),
            f.provider.into(),
            f.source.map(str::to_owned).into(),
            f.target.into(),
            f.cached.translated.clone().into(),
            f.cached.detected_source.clone().into(),
            now.into(),
        ],
    )
    .await?;
    w.commit().await
}

/// Counts `characters` for a request about to be sent, unless they would pass the
/// seller's monthly budget (all providers together): its own, else `default`. Over the
/// budget: the budget, nothing counted. Checked and counted under the seller's lock, so
/// concurrent requests never pass it.
pub async fn reserve(
    store: &Store, seller: SellerId, provider: &str, month: &str, characters: u64,
    default: Option<u64>,
) -> CoreResult<Result<(), u64>> {
    let mut w = store.begin_write().await?;
    super::write_locks::lock_seller(&mut w, seller).await?;
    let budget = own_budget_in(&mut w, seller).await?.unwrap_or(default);
    if let Some(budget) = budget {
        let row = w
            .row(
                "SELECT CAST(COALESCE(SUM(characters), 0) AS BIGINT) AS spent \
                 FROM translation_usage WHERE seller_id = $1 AND month = $2",
                vec![seller.into(), month.into()],
            )
            .await?;
        let spent = row.map(|r| r.col::<i64>("spent")).transpose()?.unwrap_or(0).max(0) as u64;
        if !crate::domain::translation::within_budget(spent, characters, Some(budget)) {
            return Ok(Err(budget));
        }
    }
    add_usage(&mut w, seller, provider, month, characters).await?;
    w.commit().await?;
    Ok(Ok(()))
}

/// A seller's own budget: none when unset (the default applies); `Some(None)`: no limit.
pub async fn own_budget(store: &Store, seller: SellerId) -> CoreResult<Option<Option<u64>>> {
    let sql = "SELECT monthly_chars FROM translation_budgets WHERE seller_id = $1";
    let row = store.row(sql, vec![seller.into()]).await?;
    row.map(|r| budget_of(&r)).transpose()
}

async fn own_budget_in(w: &mut WriteTx<'_>, seller: SellerId) -> CoreResult<Option<Option<u64>>> {
    let sql = "SELECT monthly_chars FROM translation_budgets WHERE seller_id = $1";
    let row = w.row(sql, vec![seller.into()]).await?;
    row.map(|r| budget_of(&r)).transpose()
}

fn budget_of(row: &impl Columns) -> CoreResult<Option<u64>> {
    let chars: Option<i64> = row.col("monthly_chars")?;
    Ok(chars.map(|c| c.max(0) as u64))
}

/// Sets a seller's own budget (none: no limit).
pub async fn set_budget(
    store: &Store, seller: SellerId, chars: Option<u64>, now: DateTime<Utc>,
) -> CoreResult<()> {
    let chars = chars.map(|c| i64::try_from(c).unwrap_or(i64::MAX));
    let mut w = store.begin_write().await?;
    w.run(
        "INSERT INTO translation_budgets (seller_id, monthly_chars, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (seller_id) DO UPDATE SET monthly_chars = excluded.monthly_chars, \
         updated_at = excluded.updated_at",
        vec![seller.into(), chars.into(), now.into()],
    )
    .await?;
    w.commit().await
}

/// Drops a seller's own budget (the default applies again).
pub async fn clear_budget(store: &Store, seller: SellerId) -> CoreResult<()> {
    let mut w = store.begin_write().await?;
    w.run("DELETE FROM translation_budgets WHERE seller_id = $1", vec![seller.into()]).await?;
    w.commit().await
}

/// Gives back what [`reserve`] counted for a request that failed (providers bill
/// only what they translate).
pub async fn release(
    store: &Store, seller: SellerId, provider: &str, month: &str, characters: u64,
) -> CoreResult<()> {
    let chars = i64::try_from(characters).unwrap_or(i64::MAX);
    let mut w = store.begin_write().await?;
    w.run(
        "UPDATE translation_usage SET characters = characters - $1, requests = requests - 1 \
         WHERE seller_id = $2 AND provider = $3 AND month = $4",
        vec![chars.into(), seller.into(), provider.into(), month.into()],
    )
    .await?;
    w.commit().await
}

async fn add_usage(
    w: &mut WriteTx<'_>, seller: SellerId, provider: &str, month: &str, characters: u64,
) -> CoreResult<()> {
    let chars = i64::try_from(characters).unwrap_or(i64::MAX);
    w.run(
        "INSERT INTO translation_usage (seller_id, provider, month, characters, requests) \
         VALUES ($1, $2, $3, $4, 1) ON CONFLICT (seller_id, provider, month) DO UPDATE SET \
         characters = translation_usage.characters + excluded.characters, \
         requests = translation_usage.requests + 1",
        vec![seller.into(), provider.into(), month.into(), chars.into()],
    )
    .await
}

/// One provider's usage in a month.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Usage {
    /// The provider.
    pub provider: String,
    /// The month (`2026-12`, UTC).
    pub month: String,
    /// Characters sent to the provider.
    pub characters: i64,
    /// Requests made.
    pub requests: i64,
}

/// A seller's usage in `month`, per provider.
pub async fn usage(store: &Store, seller: SellerId, month: &str) -> CoreResult<Vec<Usage>> {
    let rows = store
        .rows(
            "SELECT provider, month, characters, requests FROM translation_usage \
             WHERE seller_id = $1 AND month = $2 ORDER BY provider",
            vec![seller.into(), month.into()],
        )
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Usage {
                provider: r.col("provider")?,
                month: r.col("month")?,
                characters: r.col("characters")?,
                requests: r.col("requests")?,
            })
        })
        .collect()
}

/// A conversation's switch and languages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationChoice {
    /// Auto-translation of the agent's replies.
    pub auto_translate: bool,
    /// The language the agent writes in (none: the agent's own).
    pub source: Option<String>,
    /// The language sent (none: the buyer's).
    pub target: Option<String>,
}

/// A conversation's choice (off by default).
pub async fn choice(store: &Store, id: ConversationId) -> CoreResult<ConversationChoice> {
    let row = store
        .row(
            "SELECT auto_translate, source_lang, target_lang FROM conversation_translation \
             WHERE conversation_id = $1",
            vec![id.into()],
        )
        .await?;
    let Some(r) = row else { return Ok(ConversationChoice::default()) };
    Ok(ConversationChoice {
        auto_translate: r.col::<i64>("auto_translate")? != 0,
        source: r.col("source_lang")?,
        target: r.col("target_lang")?,
    })
}

/// Sets a conversation's choice.
pub async fn set_choice(
    store: &Store, id: ConversationId, c: &ConversationChoice, now: DateTime<Utc>,
) -> CoreResult<()> {
    let mut w = store.begin_write().await?;
    w.run(
        "INSERT INTO conversation_translation (conversation_id, auto_translate, source_lang, \
         target_lang, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (conversation_id) \
         DO UPDATE SET auto_translate = excluded.auto_translate, source_lang = excluded.source_lang, \
         target_lang = excluded.target_lang, updated_at = excluded.updated_at",
        vec![
            id.into(),
            c.auto_translate.into(),
            c.source.clone().into(),
            c.target.clone().into(),
            now.into(),
        ],
    )
    .await?;
    w.commit().await
}

/// Sets an agent's interface language.
pub async fn set_agent_language(
    store: &Store, agent: AgentId, language: &str, now: DateTime<Utc>,
) -> CoreResult<()> {
    let mut w = store.begin_write().await?;
    w.run(
        "INSERT INTO agent_languages (agent_id, language, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (agent_id) DO UPDATE SET language = excluded.language, \
         updated_at = excluded.updated_at",
        vec![agent.into(), language.into(), now.into()],
    )
    .await?;
    w.commit().await
}

/// An agent's interface language, if told.
pub async fn agent_language(store: &Store, agent: AgentId) -> CoreResult<Option<String>> {
    let row = store
        .row("SELECT language FROM agent_languages WHERE agent_id = $1", vec![agent.into()])
        .await?;
    row.map(|r| r.col("language")).transpose()
}

/// The interface language of a seller's main account, if told.
pub async fn owner_language(store: &Store, seller: SellerId) -> CoreResult<Option<String>> {
    let row = store
        .row(
            "SELECT l.language FROM agent_languages l JOIN agents a ON a.id = l.agent_id \
             WHERE a.seller_id = $1 AND a.role = 'owner' ORDER BY a.created_at LIMIT 1",
            vec![seller.into()],
        )
        .await?;
    row.map(|r| r.col("language")).transpose()
}

/// The oldest messages waiting for translation whose lease (if any) ran out by `now`,
/// skipping `busy`: candidates, to be claimed before they are translated.
pub async fn pending(
    store: &Store, limit: usize, busy: &[MessageId], now: DateTime<Utc>,
) -> CoreResult<Vec<Message>> {
    // The literal keeps the partial index usable; busy ids are filtered here (few).
    let sql = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE translation_status = 'pending' \
         AND {LEASE_FREE} ORDER BY created_at, id LIMIT $2"
    );
    let want = i64::try_from(limit + busy.len()).unwrap_or(i64::MAX);
    let rows = store.rows(&sql, vec![now.into(), Val::from(want)]).await?;
    let all = rows.iter().map(message_from_row).collect::<CoreResult<Vec<_>>>()?;
    Ok(all.into_iter().filter(|m| !busy.contains(&m.id)).take(limit).collect())
}

/// A pending message's lease has run out by `$1` (or it has none).
const LEASE_FREE: &str = "(translation_lease_until IS NULL OR translation_lease_until <= $1)";

/// A pending message claimed for translation: the message and the claim's lease token
/// (its translation is recorded only under it).
#[derive(Clone, Debug)]
pub struct Claimed {
    /// The message.
    pub message: Message,
    /// The token only this claim knows.
    pub lease_token: String,
}

/// Which pending messages a claim takes: the oldest `limit`, or those of `ids` (the
/// worker's choice) that are still free.
#[derive(Clone, Copy, Debug)]
pub enum Pick<'a> {
    /// The oldest pending messages, at most this many.
    Oldest(usize),
    /// These messages, if still pending and free.
    Ids(&'a [MessageId]),
}

/// Claims pending messages whose lease (if any) ran out by `now` under one fresh lease
/// until `until`, in one statement: an `UPDATE … RETURNING` whose rows are picked `FOR
/// UPDATE SKIP LOCKED` on PostgreSQL (two daemons never claim the same row; a row one
/// of them just leased fails the other's lease check), serialised by the single writer
/// on SQLite. Oldest first.
pub async fn claim(
    store: &Store, pick: Pick<'_>, now: DateTime<Utc>, until: DateTime<Utc>,
) -> CoreResult<Vec<Claimed>> {
    let token = format!("{:032x}", rand::Rng::random::<u128>(&mut rand::rng()));
    let mut vals: Vec<Val> = vec![now.into(), token.clone().into(), until.into()];
    let (only, limit) = match pick {
        Pick::Oldest(0) => return Ok(Vec::new()),
        Pick::Ids([]) => return Ok(Vec::new()),
        Pick::Oldest(n) => (String::new(), n),
        Pick::Ids(ids) => {
            vals.extend(ids.iter().map(|id| Val::from(*id)));
            (format!(" AND id IN ({})", super::sql::list_placeholders(ids.len(), 4)), ids.len())
        }
    };
    let lock = if store.backend() == super::store::Backend::Postgres {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let sql = format!(
        "UPDATE messages SET translation_lease_token = $2, translation_lease_until = $3 \
         WHERE translation_status = 'pending' AND {LEASE_FREE} AND id IN (SELECT id FROM messages \
         WHERE translation_status = 'pending' AND {LEASE_FREE}{only} \
         ORDER BY created_at, id LIMIT {limit}{lock}) RETURNING {MESSAGE_COLUMNS}"
    );
    let mut w = store.begin_write().await?;
    let rows = w.rows(&sql, vals).await?;
    w.commit().await?;
    let mut claimed = rows.iter().map(message_from_row).collect::<CoreResult<Vec<_>>>()?;
    claimed.sort_by_key(|m| (m.created_at, m.id));
    let lease = |message| Claimed { message, lease_token: token.clone() };
    Ok(claimed.into_iter().map(lease).collect())
}

/// Records a claimed message's translation; false when it was not pending under this
/// lease any more (settled, or taken over after the lease ran out).
pub async fn settle(
    store: &Store, id: MessageId, lease_token: &str, translated: Option<&str>,
    t: &MessageTranslation,
) -> CoreResult<bool> {
    let mut w = store.begin_write().await?;
    let n = w
        .exec(
            "UPDATE messages SET translated_text = $1, translation_status = $2, \
             translation_source = $3, translation_target = $4, translation_provider = $5, \
             translation_error = $6, translation_lease_token = NULL, \
             translation_lease_until = NULL WHERE id = $7 AND translation_status = 'pending' \
             AND translation_lease_token = $8",
            vec![
                translated.map(str::to_owned).into(),
                t.status.as_str().into(),
                t.source.clone().into(),
                t.target.clone().into(),
                t.provider.clone().into(),
                t.error.clone().into(),
                id.into(),
                lease_token.into(),
            ],
        )
        .await?;
    w.commit().await?;
    Ok(n > 0)
}
