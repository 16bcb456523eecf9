//! Topics of customer messages (SH-TOPIC-1, SH-TOPIC-2): the ten topics, a classifier's
//! guess with its confidence, the threshold under which no label is applied, and what a
//! labelled message does to its conversation's topics (at most two, the latest first).
//! The classifier itself is pluggable ([`TopicClassifier`]): the built-in offline model
//! is the topic model module; the daemon may configure a remote one. Pure.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a customer message is about (SH-TOPIC-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    /// Paying, the checkout page, payment methods.
    Checkout,
    /// Changing or cancelling an order already placed.
    OrderEdits,
    /// Where an order is, its tracking.
    OrderStatus,
    /// Prices, discount codes, sales.
    PricingDiscounts,
    /// What a product is: material, size, features.
    ProductDetails,
    /// Wanting a product: availability, restocks, recommendations.
    ProductInterest,
    /// Returns, refunds, exchanges, problems with a delivered order.
    Returns,
    /// Where and how the shop ships, costs and times.
    Shipping,
    /// The store itself: hours, location, contact.
    StoreInformation,
    /// Buying in bulk, reselling, distribution.
    Wholesale,
}
impl Topic {
    /// Every topic, in declaration order.
    pub const ALL: &'static [Topic] = &[
        Self::Checkout,
        Self::OrderEdits,
        Self::OrderStatus,
        Self::PricingDiscounts,
        Self::ProductDetails,
        Self::ProductInterest,
        Self::Returns,
        Self::Shipping,
        Self::StoreInformation,
        Self::Wholesale,
    ];

    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Checkout => "checkout",
            Self::OrderEdits => "order_edits",
            Self::OrderStatus => "order_status",
            Self::PricingDiscounts => "pricing_discounts",
            Self::ProductDetails => "product_details",
            Self::ProductInterest => "product_interest",
            Self::Returns => "returns",
            Self::Shipping => "shipping",
            Self::StoreInformation => "store_information",
            Self::Wholesale => "wholesale",
        }
    }
}

impl FromStr for Topic {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL.iter().copied().find(|t| t.as_str() == s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|t| t.as_str()).collect();
            format!("unknown topic `{s}` (expected one of: {})", names.join(", "))
        })
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The least confidence at which a topic label is applied (SH-TOPIC-2).
// rule: SH-TOPIC-2
pub const MIN_CONFIDENCE: f32 = 0.9;

/// The most topics a conversation shows (SH-TOPIC-2).
pub const MAX_CONVERSATION_TOPICS: usize = 2;

/// A classifier's answer: a topic and how likely it is right (for the built-in model,
/// the precision measured at that strength of evidence).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicGuess {
    /// The topic.
    pub topic: Topic,
    /// 0 to 1.
    pub confidence: f32,
}

impl TopicGuess {
    /// The label to apply: the topic when the confidence reaches [`MIN_CONFIDENCE`].
    // rule: SH-TOPIC-2
    pub fn label(self) -> Option<Topic> {
        (self.confidence >= MIN_CONFIDENCE).then_some(self.topic)
    }
}

/// Classifies customer messages into topics (SH-TOPIC-1). Implementations: the built-in
/// offline model, and a remote model endpoint configured in the daemon.
#[async_trait::async_trait]
pub trait TopicClassifier: Send + Sync {
    /// Whether [`TopicClassifier::classify`] answers at once without I/O (then the
    /// inbox calls it inline, before the message is queued); otherwise it is called
    /// after the message is stored and its label added when it comes.
    fn is_inline(&self) -> bool;

    /// An inline classifier's answer on a text already normalised
    /// ([`super::faq_match::normalize`]), without a future: the inbound path has the
    /// normalised text at hand. The default asks nothing.
    fn classify_normalized(&self, _normalized: &str) -> Option<TopicGuess> {
        None
    }

    /// The topic of a customer's text (none: no topic, or the classifier failed).
    async fn classify(&self, text: &str) -> Option<TopicGuess>;
}

/// A conversation's topics after a message labelled `topic`: it goes first, the list
/// keeps at most [`MAX_CONVERSATION_TOPICS`] (SH-TOPIC-2). Unknown names (from a newer
/// version) are dropped.
// rule: SH-TOPIC-2
pub fn with_latest(topics: &[String], topic: Topic) -> Vec<String> {
    let mut out = vec![topic.as_str().to_owned()];
    for t in topics {
        if out.len() == MAX_CONVERSATION_TOPICS {
            break;
        }
        if t != topic.as_str() && t.parse::<Topic>().is_ok() {
            out.push(t.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_topic_2_labels_only_at_ninety_percent() {
        // rule: SH-TOPIC-2
        let guess = |confidence| TopicGuess { topic: Topic::Shipping, confidence };
        assert_eq!(guess(0.9).label(), Some(Topic::Shipping));
        assert_eq!(guess(0.97).label(), Some(Topic::Shipping));
        assert_eq!(guess(0.89).label(), None);
    }

    #[test]
    fn sh_topic_2_a_conversation_keeps_two_topics_the_latest_first() {
        // rule: SH-TOPIC-2
        let one = with_latest(&[], Topic::Shipping);
        assert_eq!(one, ["shipping"]);
        let two = with_latest(&one, Topic::Returns);
        assert_eq!(two, ["returns", "shipping"]);
        let three = with_latest(&two, Topic::Wholesale);
        assert_eq!(three, ["wholesale", "returns"], "the oldest drops out");
        assert_eq!(with_latest(&three, Topic::Returns), ["returns", "wholesale"], "moves first");
    }

    #[test]
    fn sh_topic_1_there_are_ten_topics() {
        // rule: SH-TOPIC-1
        assert_eq!(Topic::ALL.len(), 10);
        assert_eq!("returns".parse::<Topic>(), Ok(Topic::Returns));
    }
}
