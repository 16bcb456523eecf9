//! Outgoing webhook / push deliveries, shared by the simulators.
//!
//! A delivery is one HTTP POST of exact body bytes with the platform's signature headers.
//! [`WebhookFaults`] bend it the ways platforms do: a signature the receiver must refuse, the
//! same notification delivered twice, and a batch delivered in another order than it
//! happened. Deliveries are sequential: each POST waits for the receiver's answer.

/// In which order a batch of notifications is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BatchOrder {
    /// In the order the events happened.
    #[default]
    AsCreated,
    /// Newest first.
    Reversed,
    /// A permutation drawn from [`WebhookFaults::seed`].
    Shuffled,
}

/// Knobs for outgoing deliveries. `WebhookFaults::default()` delivers each notification once,
/// correctly signed, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WebhookFaults {
    /// Seed for [`BatchOrder::Shuffled`]; setting the knobs reseeds.
    pub seed: u64,
    /// Sign with a wrong secret, so a correct receiver refuses the delivery.
    pub bad_signature: bool,
    /// Deliver every notification twice, byte for byte (same notification id).
    pub duplicate: bool,
    /// Order of a batch.
    pub order: BatchOrder,
}

/// The outcome of delivering one notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The notification's id: TikTok `tts_notification_id`, Douyin `msg_id` (for a push of
    /// several messages in one body, the first message's).
    pub id: String,
    /// The id of what the notification is about (TikTok: `message_id` or
    /// `conversation_id`; Douyin: the order id when there is one, else the `msg_id`).
    pub subject_id: String,
    /// The receiver's HTTP status for each POST, in order (two when duplicated).
    pub statuses: Vec<u16>,
    /// The exact body bytes delivered.
    pub body: Vec<u8>,
}

impl Delivery {
    /// The status of the first POST.
    pub fn status(&self) -> u16 {
        self.statuses.first().copied().unwrap_or_default()
    }
}
