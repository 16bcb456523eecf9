//! A scripted platform channel for the storage suite, standing in for a built-in adapter
//! or for a marketplace of its own: what its webhooks and polls bring, the order its
//! look-up finds, and how it answers sends (from a script of failures, then success).

use shopmux_contract::adapter::{
    Adapter, AdapterError, Capabilities, Host, InboundEvent, OrderInfo, OutboundMessage, PollPage,
    SendReceipt, ShopConnection, WebhookRequest,
};
use shopmux_contract::{Platform, RuleSet};
use std::collections::VecDeque;
use std::sync::Mutex;

/// A channel of one platform, with that platform's rules and the capabilities it is
/// given; the host calls only what those capabilities declare.
pub struct FakeChannel {
    platform: Platform,
    capabilities: Capabilities,
    rule_set: RuleSet,
    /// What a webhook or a poll brings; none: webhooks are refused.
    events: Option<Vec<InboundEvent>>,
    /// What an order look-up finds (under the id asked for); none: look-ups fail.
    order: Option<OrderInfo>,
    /// How the next sends fail, in order; once used up, every send succeeds.
    failures: Mutex<VecDeque<AdapterError>>,
    /// The idempotency key of every send, in order.
    keys: Mutex<Vec<String>>,
}

impl FakeChannel {
    /// A channel whose webhooks are refused, whose look-ups fail and whose every send
    /// succeeds.
    pub fn new(platform: &Platform, rule_set: RuleSet, capabilities: Capabilities) -> Self {
        Self {
            platform: platform.clone(),
            capabilities,
            rule_set,
            events: None,
            order: None,
            failures: Mutex::default(),
            keys: Mutex::default(),
        }
    }

    /// The channel, with its webhooks and polls bringing `events`.
    pub fn bringing(mut self, events: Vec<InboundEvent>) -> Self {
        self.events = Some(events);
        self
    }

    /// The channel, with its order look-up finding `order` under any id.
    pub fn finding(mut self, order: OrderInfo) -> Self {
        self.order = Some(order);
        self
    }

    /// The next sends fail with `errors`, in order.
    pub fn then(&self, errors: impl IntoIterator<Item = AdapterError>) {
        self.failures.lock().unwrap().extend(errors);
    }

    /// The idempotency keys of the sends so far, in order.
    pub fn sends(&self) -> Vec<String> {
        self.keys.lock().unwrap().clone()
    }
}

impl Adapter for FakeChannel {
    fn platform(&self) -> &Platform {
        &self.platform
    }
    fn capabilities(&self) -> Capabilities {
        self.capabilities
    }
    fn rule_set(&self) -> RuleSet {
        self.rule_set.clone()
    }
    fn parse_webhook(
        &self, _: &ShopConnection, _: &WebhookRequest, _: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        self.events
            .clone()
            .ok_or_else(|| AdapterError::permanent("unsupported", "no webhooks here"))
    }
    /// Sent messages get the platform's name and the send's number as their id
    /// (`tiktok-3`: the third send).
    fn send(
        &self, _: &dyn Host, _: &ShopConnection, message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        let mut keys = self.keys.lock().unwrap();
        keys.push(message.idempotency_key.clone());
        match self.failures.lock().unwrap().pop_front() {
            Some(e) => Err(e),
            None => Ok(SendReceipt::sent(format!("{}-{}", self.platform, keys.len()))),
        }
    }
    fn fetch_order(
        &self, _: &dyn Host, _: &ShopConnection, order: &str,
    ) -> Result<OrderInfo, AdapterError> {
        let found = self.order.clone();
        let found = found.ok_or_else(|| AdapterError::permanent("unsupported", "no look-ups"))?;
        Ok(OrderInfo { external_id: order.to_owned(), ..found })
    }
    fn poll(
        &self, _: &dyn Host, _: &ShopConnection, _: Option<&str>,
    ) -> Result<PollPage, AdapterError> {
        Ok(PollPage {
            events: self.events.clone().unwrap_or_default(),
            cursor: Some("polled".into()),
        })
    }
}
