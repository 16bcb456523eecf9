//! Reading buyer texts as they come in (issue 18): the language, detected offline, and
//! the topic (SH-TOPIC-1, SH-TOPIC-2). Both run before the message is queued, on the
//! sender's task, so the one ingest writer only stores what they found; the writer then
//! sets the buyer's language from the detection (with hysteresis) and the
//! conversation's topics from the label. A classifier that is not inline (a remote
//! model) is asked after the message is stored, in a task of its own with its own time
//! limit; its label is then added in a transaction of its own — ingest never waits for
//! it, and its failure leaves the message without a label.

use crate::domain::faq_match::normalize;
use crate::domain::ids::{ConversationId, MessageId};
use crate::domain::inbound::{InboundMessage, customer_text};
use crate::domain::language;
use crate::domain::model::TextAnalysis;
use crate::domain::topics::{self, TopicGuess};
use crate::error::CoreResult;
use crate::events::{EventBus, InboxEvent};
use crate::inbox::Inbox;
use crate::storage::store::Store;
use crate::storage::{conversations, messages};

/// Sets a guess on an analysis, when it reaches the label threshold (SH-TOPIC-2).
fn apply_guess(analysis: &mut TextAnalysis, guess: Option<TopicGuess>) {
    if let Some(guess) = guess
        && let Some(topic) = guess.label()
    {
        analysis.topic = Some(topic);
        analysis.topic_confidence = Some(guess.confidence);
    }
}

impl Inbox {
    /// Reads a buyer message's language and, with an inline classifier, its topic,
    /// before it is queued.
    pub(crate) fn analyse_inbound(&self, msg: &mut InboundMessage) {
        let Some(text) = customer_text(&msg.content) else { return };
        let options = &self.analysis;
        let inline = options.topics.as_ref().filter(|c| c.is_inline());
        if !options.detect_languages && inline.is_none() {
            return;
        }
        // Normalised once for both readers.
        let normalized = normalize(text);
        if options.detect_languages
            && let Some(d) = language::detect_normalized(text, &normalized)
        {
            msg.analysis.detected_language = Some(d.language);
            msg.analysis.language_confidence = Some(d.confidence);
        }
        if let Some(classifier) = inline {
            // rule: SH-TOPIC-1
            apply_guess(&mut msg.analysis, classifier.classify_normalized(&normalized));
        }
    }

    /// Asks a classifier that is not inline for a stored message's topic, in a task of
    /// its own; the label is added when it comes.
    pub(crate) fn classify_later(
        &self, text: &str, message: MessageId, conversation: ConversationId,
    ) {
        let Some(classifier) = self.analysis.topics.clone().filter(|c| !c.is_inline()) else {
            return;
        };
        let (store, events, text) = (self.store.clone(), self.events.clone(), text.to_owned());
        tokio::spawn(async move {
            let Some(guess) = classifier.classify(&text).await else { return };
            if let Err(error) = add_label(&store, &events, message, conversation, guess).await {
                tracing::warn!(message = "Topic label not stored.", %error, %message);
            }
        });
    }
}

/// Adds a topic label to a stored message and its conversation (SH-TOPIC-2), in one
/// transaction with the conversation locked.
pub async fn add_label(
    store: &Store, events: &EventBus, message: MessageId, conversation: ConversationId,
    guess: TopicGuess,
) -> CoreResult<()> {
    let Some(topic) = guess.label() else { return Ok(()) };
    let mut w = store.begin_write().await?;
    let Some((seller, before)) = conversations::lock(&mut w, conversation).await? else {
        return Ok(());
    };
    messages::set_topic(&mut w, message, guess.topic, guess.confidence).await?;
    let mut after = before.clone();
    after.topics = topics::with_latest(&before.topics, topic);
    let changed = after.topics != before.topics;
    if changed {
        conversations::save(&mut w, &[(seller, Some(before), after.clone())]).await?;
    }
    w.commit().await?;
    if changed {
        events.publish(InboxEvent::ConversationUpdated { conversation: after });
    }
    Ok(())
}
