//! Buyer messages into the agent's language (TT-TR-1, AE-TR-2), off the ingest path:
//! the writer stores a buyer's text `pending` (one more column of the same insert) and
//! this worker, woken by new messages on the event bus and every [`IDLE_POLL`], takes
//! the oldest pending ones, at most `translation.concurrency` at once and
//! [`PER_SELLER`] per seller, decides whether each is in the reader's language, has it
//! translated (cache, budget, provider), records the translation beside the original
//! and pushes the message to the live streams. The reader's language is the assigned
//! agent's interface language, else the main account's, else
//! `translation.default_language`.
//!
//! Several daemons may share one database: a message is claimed under a [`LEASE`]
//! before its text goes to the provider, so it is translated (and paid for) once, and
//! its translation is recorded only under that lease; a lease that ran out (its daemon
//! stopped) is taken over.

use super::Translated;
use crate::domain::ids::{AgentId, MessageId, SellerId};
use crate::domain::model::{Message, MessageTranslation, TranslationStatus};
use crate::domain::translation::{InboundPlan, message_language, plan_inbound};
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::services::slots::KeyedTasks;
use crate::storage::translations::{self, Claimed, Pick};
use crate::storage::write::Db;
use crate::storage::{buyers, conversations, messages};
use shopmux_contract::MessageContent;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::watch;

/// Most translations in flight for one seller (a seller's burst never holds the others).
pub const PER_SELLER: usize = 2;
/// How long a claim holds a pending message: well past one provider call with its
/// retries (the configured time limit is at most 60 s a request).
pub const LEASE: Duration = Duration::from_secs(600);
/// How often the worker looks for pending messages without being woken.
pub const IDLE_POLL: Duration = Duration::from_secs(2);
const STOP_GRACE: Duration = Duration::from_secs(1);

/// The language detected for the message itself, when the ingest path detected one: it
/// takes precedence over the buyer's known language and the fallback guess.
fn detected_language(m: &Message) -> Option<&str> {
    m.analysis.detected_language.as_deref()
}

impl Inbox {
    /// The language a seller's agent reads in: the agent's interface language, else the
    /// main account's, else `translation.default_language`.
    pub async fn reader_language(
        &self, seller: SellerId, agent: Option<AgentId>,
    ) -> CoreResult<String> {
        if let Some(agent) = agent
            && let Some(lang) = translations::agent_language(&self.store, agent).await?
        {
            return Ok(lang);
        }
        let owner = translations::owner_language(&self.store, seller).await?;
        Ok(owner.unwrap_or_else(|| self.translation.settings.default_language.clone()))
    }

    /// Translates every pending buyer message now, in waves (the worker does this by
    /// itself; tests call it); returns how many this engine claimed and settled.
    pub async fn translate_pending_now(&self) -> CoreResult<usize> {
        let mut done = 0;
        loop {
            let limit = self.translation.settings.concurrency.max(1);
            let wave = self.claim_translations(Pick::Oldest(limit)).await?;
            if wave.is_empty() {
                return Ok(done);
            }
            done += wave.len();
            let results =
                futures_util::future::join_all(wave.into_iter().map(|c| self.translate_message(c)))
                    .await;
            results.into_iter().collect::<CoreResult<Vec<_>>>()?;
        }
    }

    /// Claims pending buyer messages for translation under a fresh [`LEASE`]: none that
    /// another claim holds (on this daemon or another sharing the database).
    pub async fn claim_translations(&self, pick: Pick<'_>) -> CoreResult<Vec<Claimed>> {
        let now = self.clock.now();
        let until = now + chrono::Duration::from_std(LEASE).unwrap_or(chrono::Duration::MAX);
        translations::claim(&self.store, pick, now, until).await
    }

    /// Translates one claimed buyer message and records the outcome beside the original
    /// (only while the claim's lease is still its own).
    pub async fn translate_message(&self, claimed: Claimed) -> CoreResult<()> {
        let Claimed { message: m, lease_token } = claimed;
        let lease = lease_token.as_str();
        let (seller, conversation) = conversations::get(&self.store, m.conversation_id)
            .await?
            .ok_or_else(|| CoreError::NotFound("conversation"))?;
        let buyer = buyers::get(&self.store, conversation.buyer_id).await?;
        let reader = self.reader_language(seller, conversation.assignee_id).await?;
        let MessageContent::Text { text } = &m.content else {
            let why = failed(&reader, "not_text: only text is translated");
            return self.record(m.id, lease, None, why).await;
        };
        let known = buyer.as_ref().and_then(|b| b.language.as_deref());
        let source = message_language(detected_language(&m), known, text);
        let (source, target) = match plan_inbound(source.as_deref(), &reader) {
            InboundPlan::SameLanguage => {
                let same = MessageTranslation {
                    status: TranslationStatus::SameLanguage,
                    source: source.clone(),
                    target: Some(reader),
                    ..Default::default()
                };
                return self.record(m.id, lease, None, same).await;
            }
            InboundPlan::Translate { source, target } => (source, target),
        };
        let translated = self.translate_text(seller, text, source.as_deref(), &target).await?;
        let (text, outcome) = outcome_of(source, translated);
        self.record(m.id, lease, text.as_deref(), outcome).await
    }

    async fn record(
        &self, id: MessageId, lease: &str, text: Option<&str>, t: MessageTranslation,
    ) -> CoreResult<()> {
        if !translations::settle(&self.store, id, lease, text, &t).await? {
            return Ok(());
        }
        if let Some(message) = messages::get(Db::Pool(&self.store), id).await? {
            self.events.publish(InboxEvent::MessageUpdated { message });
        }
        Ok(())
    }
}

/// The translated text (if any) and the state recorded for it.
fn outcome_of(source: Option<String>, t: Translated) -> (Option<String>, MessageTranslation) {
    match t.result {
        Ok(c) => {
            let source = source.or(c.detected_source);
            // The provider found it already in the reader's language.
            if source
                .as_deref()
                .is_some_and(|s| crate::domain::translation::same_language(s, &t.target))
            {
                let same = MessageTranslation {
                    status: TranslationStatus::SameLanguage,
                    source,
                    target: Some(t.target),
                    provider: t.provider,
                    ..Default::default()
                };
                return (None, same);
            }
            let done = MessageTranslation {
                status: TranslationStatus::Translated,
                source,
                target: Some(t.target),
                provider: t.provider,
                ..Default::default()
            };
            (Some(c.translated), done)
        }
        Err(why) => {
            let mut f = failed(&t.target, &why);
            f.source = source;
            f.provider = t.provider;
            (None, f)
        }
    }
}

fn failed(target: &str, why: &str) -> MessageTranslation {
    MessageTranslation {
        status: TranslationStatus::Failed,
        target: Some(target.to_owned()),
        error: Some(why.to_owned()),
        ..Default::default()
    }
}

/// Starts translations of pending messages while there are free slots: picks the
/// oldest free ones within the per-seller limit, claims them, and starts those claimed
/// (another daemon may have claimed some first).
async fn fill(
    in_flight: &mut KeyedTasks<SellerId>, busy_ids: &Arc<Mutex<HashSet<MessageId>>>,
    inbox: &Arc<Inbox>,
) {
    let limit = inbox.translation.settings.concurrency.max(1);
    if in_flight.len() >= limit {
        return;
    }
    let busy: Vec<MessageId> =
        busy_ids.lock().unwrap_or_else(|e| e.into_inner()).iter().copied().collect();
    let now = inbox.clock.now();
    let pending = match translations::pending(&inbox.store, limit * 2, &busy, now).await {
        Ok(p) => p,
        Err(error) => return tracing::warn!(message = "Pending translations not read.", %error),
    };
    let chosen = choose(in_flight, inbox, pending, limit).await;
    let ids: Vec<MessageId> = chosen.iter().map(|(_, id)| *id).collect();
    let claimed = match inbox.claim_translations(Pick::Ids(&ids)).await {
        Ok(c) => c,
        Err(error) => return tracing::warn!(message = "Pending translations not claimed.", %error),
    };
    for c in claimed {
        let Some((seller, _)) = chosen.iter().find(|(_, id)| *id == c.message.id) else {
            continue;
        };
        let (inbox, ids, id) = (inbox.clone(), busy_ids.clone(), c.message.id);
        ids.lock().unwrap_or_else(|e| e.into_inner()).insert(id);
        in_flight.spawn(*seller, async move {
            if let Err(error) = inbox.translate_message(c).await {
                tracing::warn!(message = "Translation not recorded.", %error);
            }
            ids.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        });
    }
}

/// The pending messages to start, with their sellers: within the free slots and
/// [`PER_SELLER`] per seller, counting those already in flight.
async fn choose(
    in_flight: &KeyedTasks<SellerId>, inbox: &Inbox, pending: Vec<Message>, limit: usize,
) -> Vec<(SellerId, MessageId)> {
    let mut chosen: Vec<(SellerId, MessageId)> = Vec::new();
    for m in pending {
        if in_flight.len() + chosen.len() >= limit {
            break;
        }
        let seller = match conversations::get(&inbox.store, m.conversation_id).await {
            Ok(Some((seller, _))) => seller,
            _ => continue,
        };
        let running = in_flight.counts().get(&seller).copied().unwrap_or(0);
        if running + chosen.iter().filter(|(s, _)| *s == seller).count() >= PER_SELLER {
            continue;
        }
        chosen.push((seller, m.id));
    }
    chosen
}

/// The inbound translation worker task.
pub(crate) async fn run_loop(inbox: Weak<Inbox>, mut shutdown: watch::Receiver<bool>) {
    let Some((wake, mut events)) =
        inbox.upgrade().map(|i| (i.translation.wake.clone(), i.events.subscribe()))
    else {
        return;
    };
    let mut in_flight = KeyedTasks::default();
    let busy = Arc::new(Mutex::new(HashSet::new()));
    loop {
        in_flight.reap();
        let Some(strong) = inbox.upgrade() else { break };
        fill(&mut in_flight, &busy, &strong).await;
        drop(strong);
        tokio::select! {
            _ = wake.notified() => {}
            _ = next_inbound(&mut events) => {}
            _ = tokio::time::sleep(IDLE_POLL) => {}
            _ = in_flight.next_finished() => {}
            _ = shutdown.changed() => break,
        }
    }
    in_flight.drain(STOP_GRACE).await;
}

/// Waits for the next inbound message on the bus (it may be pending); a lagged
/// receiver returns at once, so the worker looks.
async fn next_inbound(events: &mut tokio::sync::broadcast::Receiver<InboxEvent>) {
    use tokio::sync::broadcast::error::RecvError;
    loop {
        match events.recv().await {
            Ok(InboxEvent::MessageCreated { message })
                if message.direction == crate::domain::model::Direction::In =>
            {
                return;
            }
            Ok(_) => {}
            Err(RecvError::Lagged(_)) => return,
            Err(RecvError::Closed) => std::future::pending().await,
        }
    }
}
