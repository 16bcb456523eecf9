//! Adapters as the core's channels: each built-in adapter (and, later, each plugin) is
//! wrapped so the outbox can hand it deliveries and the poller can ask it what arrived.
//! Adapter calls block, so they run on the blocking pool.

use crate::host::DaemonHost;
use async_trait::async_trait;
use shopmux_contract::adapter::{Adapter, AdapterError, PollPage, SendReceipt, ShopConnection};
use shopmux_core::channel::{Delivery, InboundPoller, OutboundChannel};
use std::sync::Arc;

/// An adapter serving as an outbound channel.
pub struct AdapterChannel {
    adapter: Arc<dyn Adapter>,
    host: Arc<DaemonHost>,
}

impl AdapterChannel {
    /// Wraps an adapter.
    pub fn new(adapter: Arc<dyn Adapter>, host: Arc<DaemonHost>) -> Self {
        Self { adapter, host }
    }
}

#[async_trait]
impl OutboundChannel for AdapterChannel {
    fn platform(&self) -> &str {
        self.adapter.platform()
    }

    async fn mark_read(
        &self,
        shop: &ShopConnection,
        platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        let adapter = self.adapter.clone();
        let host = self.host.clone();
        let shop = shop.clone();
        let conversation = platform_conversation_id.to_owned();
        tokio::task::spawn_blocking(move || adapter.mark_read(host.as_ref(), &shop, &conversation))
            .await
            .unwrap_or_else(|e| {
                Err(AdapterError::transient(
                    "adapter_panic",
                    format!("the adapter stopped: {e}"),
                ))
            })
    }

    async fn send(&self, delivery: &Delivery) -> Result<SendReceipt, AdapterError> {
        let adapter = self.adapter.clone();
        let host = self.host.clone();
        let shop = delivery.connection.clone();
        let message = delivery.message.clone();
        tokio::task::spawn_blocking(move || adapter.send(host.as_ref(), &shop, &message))
            .await
            .unwrap_or_else(|e| {
                Err(AdapterError::transient(
                    "adapter_panic",
                    format!("the adapter stopped: {e}"),
                ))
            })
    }
}

#[async_trait]
impl InboundPoller for AdapterChannel {
    fn platform(&self) -> &str {
        self.adapter.platform()
    }

    async fn poll(
        &self,
        shop: &ShopConnection,
        cursor: Option<String>,
    ) -> Result<PollPage, AdapterError> {
        let adapter = self.adapter.clone();
        let host = self.host.clone();
        let shop = shop.clone();
        tokio::task::spawn_blocking(move || adapter.poll(host.as_ref(), &shop, cursor.as_deref()))
            .await
            .unwrap_or_else(|e| {
                Err(AdapterError::transient(
                    "adapter_panic",
                    format!("the adapter stopped: {e}"),
                ))
            })
    }
}
