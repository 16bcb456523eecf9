//! Buyer messages into the agent's language (TT-TR-1, AE-TR-2), off the ingest path:
//! the writer stores a buyer's text `pending` (one more column of the same insert) and
//! this worker, woken by new messages on the event bus and every [`IDLE_POLL`], takes
//! the oldest pending ones, at most `translation.concurrency` at once and
//! [`PER_SELLER`] per seller, decides whether each is in the reader's language, has it
//! translated (cache, budget, provider), records the translation beside the original
//! and pushes the message to the live streams. The reader's language is the assigned
//! agent's interface language, else the main account's, else `translation.default_language`.

use super::Translated;
use crate::domain::ids::{AgentId, MessageId, SellerId};
use crate::domain::model::{Message, MessageTranslation, TranslationStatus};
use crate::domain::translation::{InboundPlan, message_language, plan_inbound};
use crate::error::{CoreError, CoreResult};
use crate::events::InboxEvent;
use crate::inbox::Inbox;
use crate::services::slots::KeyedTasks;
use crate::storage::translations;
use crate::storage::write::Db;
use crate::storage::{buyers, conversations, messages};
use shopmux_contract::MessageContent;
use std::collections::HashSet;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::watch;

/// Most translations in flight for one seller (a seller's burst never holds the others).
pub const PER_SELLER: usize = 2;
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
    /// itself; tests call it); returns how many were settled.
    pub async fn translate_pending_now(&self) -> CoreResult<usize> {
        let mut done = 0;
        loop {
            let limit = self.translation.settings.concurrency.max(1);
            let wave = translations::pending(&self.store, limit, &[]).await?;
            if wave.is_empty() {
                return Ok(done);
            }
            done += wave.len();
            let results =
                futures_util::future::join_all(wave.into_iter().map(|m| self.translate_message(m)))
                    .await;
            results.into_iter().collect::<CoreResult<Vec<_>>>()?;
        }
    }

    /// Translates one pending buyer message and records the outcome beside the original.
    pub async fn translate_message(&self, m: Message) -> CoreResult<()> {
        let (seller, conversation) = conversations::get(&self.store, m.conversation_id)
            .await?
            .ok_or_else(|| CoreError::NotFound("conversation"))?;
        let buyer = buyers::get(&self.store, conversation.buyer_id).await?;
        let reader = self.reader_language(seller, conversation.assignee_id).await?;
        let MessageContent::Text { text } = &m.content else {
            return self
                .record(m.id, None, failed(&reader, "not_text: only text is translated"))
                .await;
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
                return self.record(m.id, None, same).await;
            }
            InboundPlan::Translate { source, target } => (source, target),
        };
        let translated = self.translate_text(seller, text, source.as_deref(), &target).await?;
        let (text, outcome) = outcome_of(source, translated);
        self.record(m.id, text.as_deref(), outcome).await
    }

    async fn record(
        &self, id: MessageId, text: Option<&str>, t: MessageTranslation,
    ) -> CoreResult<()> {
        if !translations::settle(&self.store, id, text, &t).await? {
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

/// Starts translations of pending messages while there are free slots.
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
    let pending = match translations::pending(&inbox.store, limit * 2, &busy).await {
        Ok(p) => p,
        Err(error) => return tracing::warn!(message = "Pending translations not read.", %error),
    };
    for m in pending {
        if in_flight.len() >= limit {
            break;
        }
        let seller = match conversations::get(&inbox.store, m.conversation_id).await {
            Ok(Some((seller, _))) => seller,
            _ => continue,
        };
        if in_flight.busy(PER_SELLER).contains(&seller) {
            continue;
        }
        let (inbox, ids, id) = (inbox.clone(), busy_ids.clone(), m.id);
        ids.lock().unwrap_or_else(|e| e.into_inner()).insert(id);
        in_flight.spawn(seller, async move {
            if let Err(error) = inbox.translate_message(m).await {
                tracing::warn!(message = "Translation not recorded.", %error);
            }
            ids.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        });
    }
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
