//! Handing an inbound message to the ingest queue: checked first (fields, the kinds the
//! platform's buyers may send), normalized by the platform's rules, read (language and
//! topic, [`crate::services::analysis`]; the terms it is found by), then queued; the
//! answer comes after the group it lands in is committed.

use crate::domain::inbound::{InboundMessage, IngestOutcome, customer_text};
use crate::domain::shop_settings::IngestShop;
use crate::domain::{rules, search_terms};
use crate::error::{CoreError, CoreResult};
use crate::inbox::Inbox;
use tokio::sync::oneshot;

impl Inbox {
    /// Stores one inbound message (idempotently) and answers after its commit. Events
    /// of adapters come in through [`Inbox::apply`], which uses this for their messages.
    pub async fn ingest(
        &self, shop: IngestShop, mut msg: InboundMessage,
    ) -> CoreResult<IngestOutcome> {
        msg.validate()?;
        let rule_set = self.rule_set(&shop.platform);
        rules::check_inbound_kind(&rule_set, &msg.content).map_err(CoreError::RuleViolation)?;
        rules::normalize_inbound(&rule_set, &mut msg.content);
        self.analyse_inbound(&mut msg);
        msg.index_terms = Some(search_terms::index_terms(&msg.content.summary()));
        let later = self.analysis.topics.as_ref().is_some_and(|c| !c.is_inline());
        let text = later.then(|| customer_text(&msg.content).map(str::to_owned)).flatten();
        let (reply, answer) = oneshot::channel();
        self.ingest
            .send((shop, msg, reply))
            .await
            .map_err(|_| CoreError::Unavailable("the ingest writer has stopped"))?;
        let outcome =
            answer.await.map_err(|_| CoreError::Unavailable("the ingest writer has stopped"))??;
        if let Some(text) = text
            && !outcome.duplicate
        {
            self.classify_later(&text, outcome.message_id, outcome.conversation_id);
        }
        Ok(outcome)
    }
}
