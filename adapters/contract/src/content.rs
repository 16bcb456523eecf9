//! Message content: every kind a marketplace chat carries (rule ALL-CARD-1), as one
//! tagged enum that crosses the adapter contract typed (adapters match on variants,
//! never on type strings). A platform that lacks a kind refuses it with a clear error
//! naming its rule; nothing is silently dropped. On the wire it is JSON tagged by
//! `type`: `{"type": "text", "text": "Hi"}`.

use crate::kinds::ContentKind;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A field of a content that no platform accepts: the field as the caller named it
/// (`content.text`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentError {
    /// The field (`content.text`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl ContentError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

impl fmt::Display for ContentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for ContentError {}

/// One line of a cart event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CartLine {
    /// The product's name; shown only when it is short enough (rule SH-CART-1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 512))]
    pub product_name: Option<String>,
    /// The quantity in the cart after the event.
    #[serde(deserialize_with = "crate::integral::u32")]
    pub quantity: u32,
}

/// Who a coupon is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CouponScope {
    /// Every buyer of the store.
    Store,
    /// Selected buyers only.
    Targeted,
}

/// Whether a cart event added or removed products.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CartAction {
    /// Products were added.
    Add,
    /// Products were removed.
    Remove,
}

/// The content of a message (rule ALL-CARD-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MessageContent {
    /// Plain text.
    Text {
        /// The text.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
        text: String,
    },
    /// An image by URL.
    Image {
        /// Where the image is.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2048))]
        url: String,
    },
    /// A video by URL.
    Video {
        /// Where the video is.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2048))]
        url: String,
    },
    /// An emoji or sticker by code.
    Emoji {
        /// The emoji itself or the platform's sticker code.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
        code: String,
    },
    /// A product card.
    ProductCard {
        /// The platform's product id.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
        product_id: String,
        /// The product's title.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512))]
        title: String,
        /// A link to the product.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_length = 2048))]
        url: Option<String>,
        /// The product's main image, for chat surfaces that draw cards (the storefront
        /// widget).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_length = 2048))]
        image_url: Option<String>,
        /// Its price as the shop shows it (`"19.90 USD"`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_length = 128))]
        price: Option<String>,
    },
    /// Several products shared at once, with an optional message (Shopify: at most
    /// three, SH-PROD-1).
    ProductList {
        /// The products.
        #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 20))]
        products: Vec<SharedProduct>,
        /// A message with them.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
        text: Option<String>,
    },
    /// An order card.
    OrderCard {
        /// The platform's order id.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
        order_id: String,
        /// The order's status as the platform names it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_length = 128))]
        status: Option<String>,
    },
    /// A coupon or discount card.
    CouponCard {
        /// The coupon id or discount code.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
        code: String,
        /// A human title.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_length = 512))]
        title: Option<String>,
        /// Store-wide or targeted at some buyers (AE-COUPON-1 allows only store-wide).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scope: Option<CouponScope>,
    },
    /// A cart event (rule SH-CART-1).
    CartEvent {
        /// Added or removed.
        action: CartAction,
        /// The cart subtotal after the event, as a decimal string with currency.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 128))]
        subtotal: String,
        /// The lines of the cart.
        #[cfg_attr(feature = "openapi", schema(max_items = 500))]
        lines: Vec<CartLine>,
    },
    /// A rating card: an invitation (no score) or a result.
    RatingCard {
        /// The buyer's score, when rated; an invitation has none.
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::integral::option_u8"
        )]
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
        score: Option<u8>,
        /// The buyer's words with their score (at most
        /// [`MAX_RATING_COMMENT_CHARS`](crate::bounds::MAX_RATING_COMMENT_CHARS)).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(feature = "openapi", schema(max_length = 500))]
        comment: Option<String>,
    },
    /// A notice from the platform or from shopmux.
    SystemNotice {
        /// The notice.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
        text: String,
    },
    /// An automatic reply with quick actions (AE-AUTO-4).
    AutoReply {
        /// The reply.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
        text: String,
        /// Quick links or actions the buyer can tap.
        #[serde(default)]
        #[cfg_attr(feature = "openapi", schema(max_items = 10))]
        actions: Vec<QuickAction>,
    },
}

/// What a quick action of an automatic reply carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum QuickActionKind {
    /// An image.
    Image,
    /// A text.
    Text,
    /// A coupon.
    Coupon,
}

/// One quick action of an automatic reply: a title, a kind and its content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct QuickAction {
    /// What the buyer sees.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512))]
    pub title: String,
    /// Image, text or coupon.
    #[serde(rename = "type")]
    pub kind: QuickActionKind,
    /// The image URL, the text, or the coupon code.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 10000))]
    pub content: String,
}

impl MessageContent {
    /// The kind of this content.
    pub fn kind(&self) -> ContentKind {
        match self {
            Self::Text { .. } => ContentKind::Text,
            Self::Image { .. } => ContentKind::Image,
            Self::Video { .. } => ContentKind::Video,
            Self::Emoji { .. } => ContentKind::Emoji,
            Self::ProductCard { .. } => ContentKind::ProductCard,
            Self::ProductList { .. } => ContentKind::ProductList,
            Self::OrderCard { .. } => ContentKind::OrderCard,
            Self::CouponCard { .. } => ContentKind::CouponCard,
            Self::CartEvent { .. } => ContentKind::CartEvent,
            Self::RatingCard { .. } => ContentKind::RatingCard,
            Self::SystemNotice { .. } => ContentKind::SystemNotice,
            Self::AutoReply { .. } => ContentKind::AutoReply,
        }
    }

    /// A short human summary, used as the conversation preview and indexed for search.
    pub fn summary(&self) -> String {
        match self {
            Self::Text { text } | Self::SystemNotice { text } | Self::AutoReply { text, .. } => {
                text.clone()
            }
            Self::Image { .. } => "[image]".into(),
            Self::Video { .. } => "[video]".into(),
            Self::Emoji { code } => code.clone(),
            Self::ProductCard { title, .. } => format!("[product] {title}"),
            Self::ProductList { products, text } => {
                let titles: Vec<&str> = products.iter().map(|p| p.title.as_str()).collect();
                match text {
                    Some(t) => format!("{t} [products] {}", titles.join(", ")),
                    None => format!("[products] {}", titles.join(", ")),
                }
            }
            Self::OrderCard { order_id, .. } => format!("[order] {order_id}"),
            Self::CouponCard { code, title, .. } => {
                format!("[coupon] {}", title.as_deref().unwrap_or(code))
            }
            Self::CartEvent { action, subtotal, .. } => match action {
                CartAction::Add => format!("[cart] added, subtotal {subtotal}"),
                CartAction::Remove => format!("[cart] removed, subtotal {subtotal}"),
            },
            Self::RatingCard { score: Some(s), .. } => format!("[rating] {s}"),
            Self::RatingCard { score: None, .. } => "[rating invitation]".into(),
        }
    }

    /// Checks the payload for values no platform accepts (empty text, sizes over the
    /// maxima of [`crate::bounds`]); the error names the field (`content.text`).
    pub fn validate(&self) -> Result<(), ContentError> {
        use crate::bounds::*;
        match self {
            Self::Text { text } | Self::SystemNotice { text } => {
                required("text", text, MAX_TEXT_CHARS)
            }
            Self::AutoReply { text, actions } => {
                required("text", text, MAX_TEXT_CHARS)?;
                at_most("actions", actions.len(), MAX_QUICK_ACTIONS)?;
                for a in actions {
                    required("actions.title", &a.title, MAX_NAME_CHARS)?;
                    required("actions.content", &a.content, MAX_TEXT_CHARS)?;
                }
                Ok(())
            }
            Self::Image { url } | Self::Video { url } => required("url", url, MAX_URL_CHARS),
            Self::Emoji { code } => required("code", code, MAX_ID_CHARS),
            Self::ProductCard { product_id, title, url, image_url, price } => {
                required("product_id", product_id, MAX_ID_CHARS)?;
                required("title", title, MAX_NAME_CHARS)?;
                optional("url", url.as_deref(), MAX_URL_CHARS)?;
                optional("image_url", image_url.as_deref(), MAX_URL_CHARS)?;
                optional("price", price.as_deref(), MAX_LABEL_CHARS)
            }
            Self::ProductList { products, text } => validate_products(products, text.as_deref()),
            Self::OrderCard { order_id, status } => {
                required("order_id", order_id, MAX_ID_CHARS)?;
                optional("status", status.as_deref(), MAX_LABEL_CHARS)
            }
            Self::CouponCard { code, title, .. } => {
                required("code", code, MAX_ID_CHARS)?;
                optional("title", title.as_deref(), MAX_NAME_CHARS)
            }
            Self::CartEvent { subtotal, lines, .. } => {
                required("subtotal", subtotal, MAX_LABEL_CHARS)?;
                at_most("lines", lines.len(), MAX_CART_LINES)?;
                lines.iter().try_for_each(|l| {
                    optional("lines.product_name", l.product_name.as_deref(), MAX_NAME_CHARS)
                })
            }
            Self::RatingCard { score, comment } => match score {
                Some(s) if !(1..=5).contains(s) => {
                    Err(ContentError::new("content.score", "must be 1 to 5"))
                }
                // An invitation carries no words: only a buyer's rating does.
                None if comment.is_some() => {
                    Err(ContentError::new("content.comment", "only a rating carries a comment"))
                }
                _ => optional("comment", comment.as_deref(), MAX_RATING_COMMENT_CHARS),
            },
        }
    }
}

/// A field that must hold something, at most `max` characters.
fn required(field: &str, value: &str, max: usize) -> Result<(), ContentError> {
    if value.trim().is_empty() {
        return Err(ContentError::new(format!("content.{field}"), "must not be empty"));
    }
    optional(field, Some(value), max)
}

/// A field of at most `max` characters, when present.
fn optional(field: &str, value: Option<&str>, max: usize) -> Result<(), ContentError> {
    match value {
        Some(v) if v.chars().count() > max => Err(ContentError::new(
            format!("content.{field}"),
            format!("is longer than {max} characters"),
        )),
        _ => Ok(()),
    }
}

/// A list of at most `max` items.
fn at_most(field: &str, n: usize, max: usize) -> Result<(), ContentError> {
    if n > max {
        return Err(ContentError::new(
            format!("content.{field}"),
            format!("has more than {max} items"),
        ));
    }
    Ok(())
}

fn validate_products(products: &[SharedProduct], text: Option<&str>) -> Result<(), ContentError> {
    use crate::bounds::*;
    if products.is_empty() {
        return Err(ContentError::new("content.products", "must name at least one product"));
    }
    at_most("products", products.len(), MAX_PRODUCTS_PER_MESSAGE)?;
    for p in products {
        required("products.product_id", &p.product_id, MAX_ID_CHARS)?;
        required("products.title", &p.title, MAX_NAME_CHARS)?;
        optional("products.url", p.url.as_deref(), MAX_URL_CHARS)?;
        optional("products.image_url", p.image_url.as_deref(), MAX_URL_CHARS)?;
        optional("products.price", p.price.as_deref(), MAX_LABEL_CHARS)?;
    }
    optional("text", text, MAX_TEXT_CHARS)
}

/// A product in a [`MessageContent::ProductList`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SharedProduct {
    /// The platform's product id.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 256))]
    pub product_id: String,
    /// The product's title.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 512))]
    pub title: String,
    /// A link to the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2048))]
    pub url: Option<String>,
    /// The product's main image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 2048))]
    pub image_url: Option<String>,
    /// Its price as the shop shows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 128))]
    pub price: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_card_kind_round_trips_through_json() {
        // rule: ALL-CARD-1 (every kind of content is representable and keeps its kind)
        let samples = [
            r#"{"type":"text","text":"hi"}"#,
            r#"{"type":"image","url":"https://x/y.png"}"#,
            r#"{"type":"video","url":"https://x/y.mp4"}"#,
            r#"{"type":"emoji","code":"😀"}"#,
            r#"{"type":"product_card","product_id":"p1","title":"Mug"}"#,
            r#"{"type":"order_card","order_id":"o1"}"#,
            r#"{"type":"coupon_card","code":"SAVE10"}"#,
            r#"{"type":"cart_event","action":"add","subtotal":"10.00 USD","lines":[{"quantity":2}]}"#,
            r#"{"type":"rating_card"}"#,
            r#"{"type":"system_notice","text":"Buyer left"}"#,
        ];
        let mut kinds = std::collections::HashSet::new();
        for s in samples {
            let c: MessageContent = serde_json::from_str(s).unwrap();
            c.validate().unwrap();
            let back: MessageContent =
                serde_json::from_str(&serde_json::to_string(&c).unwrap()).unwrap();
            assert_eq!(back, c);
            kinds.insert(c.kind());
        }
        assert_eq!(kinds.len(), 10);
    }

    #[test]
    fn empty_text_and_unknown_type_are_refused() {
        assert!(MessageContent::Text { text: "  ".into() }.validate().is_err());
        assert!(serde_json::from_str::<MessageContent>(r#"{"type":"hologram"}"#).is_err());
        assert!(MessageContent::RatingCard { score: Some(9), comment: None }.validate().is_err());
        let long = Some("x".repeat(crate::bounds::MAX_RATING_COMMENT_CHARS + 1));
        assert!(MessageContent::RatingCard { score: Some(5), comment: long }.validate().is_err());
        let words = Some("thanks".to_owned());
        assert!(MessageContent::RatingCard { score: None, comment: words }.validate().is_err());
    }
}
