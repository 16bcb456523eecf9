//! The kinds of message content every platform's chat carries (rule ALL-CARD-1), as
//! rule sets name them when they say which kinds may be sent or received.

use serde::{Deserialize, Serialize};

/// The kind of a message's content, without its payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentKind {
    /// Plain text.
    Text,
    /// An image.
    Image,
    /// A video.
    Video,
    /// An emoji or sticker.
    Emoji,
    /// A product card.
    ProductCard,
    /// Several products shared at once, with an optional message (SH-PROD-1).
    ProductList,
    /// An order card.
    OrderCard,
    /// A coupon or discount card.
    CouponCard,
    /// A cart add/remove event.
    CartEvent,
    /// A rating card (invitation or result).
    RatingCard,
    /// A notice from the platform or from shopmux.
    SystemNotice,
    /// An automatic reply with quick actions (AE-AUTO-4).
    AutoReply,
}

impl ContentKind {
    /// The kind's name as content JSON writes it (`order_card`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Image => "image",
            Self::Video => "video",
            Self::Emoji => "emoji",
            Self::ProductCard => "product_card",
            Self::ProductList => "product_list",
            Self::OrderCard => "order_card",
            Self::CouponCard => "coupon_card",
            Self::CartEvent => "cart_event",
            Self::RatingCard => "rating_card",
            Self::SystemNotice => "system_notice",
            Self::AutoReply => "auto_reply",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_serialized_ones() {
        for kind in [
            ContentKind::Text,
            ContentKind::ProductList,
            ContentKind::OrderCard,
            ContentKind::AutoReply,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }
}
