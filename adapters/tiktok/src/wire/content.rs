//! Message `content` shapes (§1.4): what an agent may send ([`OutboundMessage`], with the
//! `type` and the `content` JSON string TikTok expects) and what a received message's
//! `content` decodes to by its `type` ([`MessageContent`], TikTok's own kinds: the adapter
//! maps them onto the contract's content).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use shopmux_contract::wire::lenient;

use super::WireError;

/// Most characters a TEXT message may carry when sent (§1.4).
pub const TEXT_MAX_CHARS: usize = 2000;

/// A message TikTok lets an agent send, with its `content` shape (§1.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboundMessage {
    /// `TEXT` `{"content"}`, at most [`TEXT_MAX_CHARS`] characters.
    Text(String),
    /// `IMAGE` `{"url","width","height"}`; `url` comes from the chat image upload.
    Image {
        /// Uploaded image URL.
        url: String,
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// `VIDEO` `{"vid"}`.
    Video {
        /// Video id.
        vid: String,
    },
    /// `PRODUCT_CARD` `{"product_id"}`.
    ProductCard {
        /// Product id.
        product_id: String,
    },
    /// `ORDER_CARD` `{"order_id"}`.
    OrderCard {
        /// Order id.
        order_id: String,
    },
    /// `LOGISTICS_CARD` `{"order_id"[,"package_id"]}`.
    LogisticsCard {
        /// Order id.
        order_id: String,
        /// Package id, optional.
        package_id: Option<String>,
    },
    /// `RETURN_REFUND_CARD` `{"order_id","sku_id"}` (order must be after-sale eligible).
    ReturnRefundCard {
        /// Order id.
        order_id: String,
        /// SKU id.
        sku_id: String,
    },
    /// `COUPON_CARD` `{"coupon_id"}`.
    CouponCard {
        /// Coupon id.
        coupon_id: String,
    },
}

/// The `content` object of each sendable type, fields in TikTok's order.
#[derive(Serialize)]
#[serde(untagged)]
enum ContentBody<'a> {
    Text {
        content: &'a str,
    },
    Image {
        url: &'a str,
        width: u32,
        height: u32,
    },
    Video {
        vid: &'a str,
    },
    Product {
        product_id: &'a str,
    },
    /// ORDER_CARD (no package) and LOGISTICS_CARD.
    Order {
        order_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        package_id: Option<&'a str>,
    },
    ReturnRefund {
        order_id: &'a str,
        sku_id: &'a str,
    },
    Coupon {
        coupon_id: &'a str,
    },
}

impl OutboundMessage {
    /// The `type` value.
    pub fn kind(&self) -> &'static str {
        match self {
            OutboundMessage::Text(_) => "TEXT",
            OutboundMessage::Image { .. } => "IMAGE",
            OutboundMessage::Video { .. } => "VIDEO",
            OutboundMessage::ProductCard { .. } => "PRODUCT_CARD",
            OutboundMessage::OrderCard { .. } => "ORDER_CARD",
            OutboundMessage::LogisticsCard { .. } => "LOGISTICS_CARD",
            OutboundMessage::ReturnRefundCard { .. } => "RETURN_REFUND_CARD",
            OutboundMessage::CouponCard { .. } => "COUPON_CARD",
        }
    }

    /// The `content` value: the content object serialized to a JSON string.
    pub fn content_json(&self) -> Result<String, WireError> {
        let body = match self {
            OutboundMessage::Text(text) => {
                let chars = text.chars().count();
                if chars > TEXT_MAX_CHARS {
                    return Err(WireError::TextTooLong { chars, max: TEXT_MAX_CHARS });
                }
                ContentBody::Text { content: text }
            }
            OutboundMessage::Image { url, width, height } => {
                ContentBody::Image { url, width: *width, height: *height }
            }
            OutboundMessage::Video { vid } => ContentBody::Video { vid },
            OutboundMessage::ProductCard { product_id } => ContentBody::Product { product_id },
            OutboundMessage::OrderCard { order_id } => {
                ContentBody::Order { order_id, package_id: None }
            }
            OutboundMessage::LogisticsCard { order_id, package_id } => {
                ContentBody::Order { order_id, package_id: package_id.as_deref() }
            }
            OutboundMessage::ReturnRefundCard { order_id, sku_id } => {
                ContentBody::ReturnRefund { order_id, sku_id }
            }
            OutboundMessage::CouponCard { coupon_id } => ContentBody::Coupon { coupon_id },
        };
        Ok(serde_json::to_string(&body)?)
    }
}

/// A received message's `content`, decoded by `type` (§1.4).
#[derive(Debug, Clone, PartialEq)]
pub enum MessageContent {
    /// `TEXT`.
    Text {
        /// The text.
        content: String,
    },
    /// `IMAGE`; received sizes may arrive as strings.
    Image {
        /// Image URL.
        url: String,
        /// Width in pixels, if given.
        width: Option<u32>,
        /// Height in pixels, if given.
        height: Option<u32>,
    },
    /// `VIDEO`; the whole received object (vid, url, cover, sizes, duration, …).
    Video(Value),
    /// `PRODUCT_CARD`.
    ProductCard {
        /// Product id.
        product_id: String,
    },
    /// `ORDER_CARD`.
    OrderCard {
        /// Order id.
        order_id: String,
    },
    /// `LOGISTICS_CARD`.
    LogisticsCard {
        /// Order id.
        order_id: String,
        /// Package id, if given.
        package_id: Option<String>,
    },
    /// `RETURN_REFUND_CARD`.
    ReturnRefundCard {
        /// Order id.
        order_id: String,
        /// SKU id.
        sku_id: Option<String>,
    },
    /// `COUPON_CARD`.
    CouponCard {
        /// Coupon id.
        coupon_id: String,
    },
    /// `EMOTICONS`; the received object as is (its shape is not documented).
    Emoticons(Value),
    /// `BUYER_ENTER_FROM_PRODUCT`: the buyer opened the chat from a product page.
    BuyerEnterFromProduct {
        /// Product id.
        product_id: String,
    },
    /// `BUYER_ENTER_FROM_ORDER`: the buyer opened the chat from an order page.
    BuyerEnterFromOrder {
        /// Order id.
        order_id: String,
    },
    /// `ALLOCATED_SERVICE`, `NOTIFICATION`, `BUYER_ENTER_FROM_TRANSFER` or `OTHER`:
    /// a system line `{"content"}`.
    Notice {
        /// The `type` value.
        kind: String,
        /// The text.
        content: String,
    },
    /// A `type` this version does not know, with its content as JSON.
    Unknown {
        /// The `type` value.
        kind: String,
        /// The decoded content (a JSON string value when it was not JSON).
        content: Value,
    },
}

#[derive(Deserialize)]
struct TextIn {
    #[serde(default)]
    content: String,
}

#[derive(Deserialize)]
struct ImageIn {
    url: String,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    width: Option<u32>,
    #[serde(default, deserialize_with = "lenient::opt_u32")]
    height: Option<u32>,
}

#[derive(Deserialize)]
struct ProductIn {
    #[serde(deserialize_with = "lenient::string")]
    product_id: String,
}

#[derive(Deserialize)]
struct OrderIn {
    #[serde(deserialize_with = "lenient::string")]
    order_id: String,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    package_id: Option<String>,
    #[serde(default, deserialize_with = "lenient::opt_string")]
    sku_id: Option<String>,
}

#[derive(Deserialize)]
struct CouponIn {
    #[serde(deserialize_with = "lenient::string")]
    coupon_id: String,
}

/// `content` read as `T`.
fn read<T: for<'de> Deserialize<'de>>(content: &str) -> Result<T, WireError> {
    Ok(serde_json::from_str(content)?)
}

/// `content` as JSON, or as a JSON string when it is not JSON.
fn json_or_text(content: &str) -> Value {
    serde_json::from_str(content).unwrap_or_else(|_| Value::String(content.to_owned()))
}

impl MessageContent {
    /// Decodes a `content` JSON string according to its message `type`.
    pub fn parse(kind: &str, content: &str) -> Result<MessageContent, WireError> {
        let parsed = match kind {
            "TEXT" => MessageContent::Text { content: read::<TextIn>(content)?.content },
            "IMAGE" => {
                let image: ImageIn = read(content)?;
                MessageContent::Image { url: image.url, width: image.width, height: image.height }
            }
            "VIDEO" => MessageContent::Video(read(content)?),
            "PRODUCT_CARD" => {
                MessageContent::ProductCard { product_id: read::<ProductIn>(content)?.product_id }
            }
            "ORDER_CARD" => {
                MessageContent::OrderCard { order_id: read::<OrderIn>(content)?.order_id }
            }
            "LOGISTICS_CARD" => {
                let order: OrderIn = read(content)?;
                MessageContent::LogisticsCard {
                    order_id: order.order_id,
                    package_id: order.package_id,
                }
            }
            "RETURN_REFUND_CARD" => {
                let order: OrderIn = read(content)?;
                MessageContent::ReturnRefundCard { order_id: order.order_id, sku_id: order.sku_id }
            }
            "COUPON_CARD" => {
                MessageContent::CouponCard { coupon_id: read::<CouponIn>(content)?.coupon_id }
            }
            "EMOTICONS" => MessageContent::Emoticons(json_or_text(content)),
            "BUYER_ENTER_FROM_PRODUCT" => MessageContent::BuyerEnterFromProduct {
                product_id: read::<ProductIn>(content)?.product_id,
            },
            "BUYER_ENTER_FROM_ORDER" => {
                MessageContent::BuyerEnterFromOrder { order_id: read::<OrderIn>(content)?.order_id }
            }
            "ALLOCATED_SERVICE" | "NOTIFICATION" | "BUYER_ENTER_FROM_TRANSFER" | "OTHER" => {
                MessageContent::Notice {
                    kind: kind.to_owned(),
                    content: read::<TextIn>(content)?.content,
                }
            }
            other => {
                MessageContent::Unknown { kind: other.to_owned(), content: json_or_text(content) }
            }
        };
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outbound_content_shapes() {
        let cases = [
            (OutboundMessage::Text("hi".into()), "TEXT", r#"{"content":"hi"}"#),
            (
                OutboundMessage::Image {
                    url: "https://p16.example/img.jpg".into(),
                    width: 1280,
                    height: 720,
                },
                "IMAGE",
                r#"{"url":"https://p16.example/img.jpg","width":1280,"height":720}"#,
            ),
            (
                OutboundMessage::ProductCard { product_id: "1729".into() },
                "PRODUCT_CARD",
                r#"{"product_id":"1729"}"#,
            ),
            (
                OutboundMessage::OrderCard { order_id: "5760".into() },
                "ORDER_CARD",
                r#"{"order_id":"5760"}"#,
            ),
            (
                OutboundMessage::LogisticsCard { order_id: "5760".into(), package_id: None },
                "LOGISTICS_CARD",
                r#"{"order_id":"5760"}"#,
            ),
        ];
        for (message, kind, content) in cases {
            assert_eq!(message.kind(), kind);
            assert_eq!(message.content_json().expect("serializes"), content);
        }
        let long = OutboundMessage::Text("é".repeat(TEXT_MAX_CHARS + 1));
        assert!(matches!(long.content_json(), Err(WireError::TextTooLong { chars: 2001, .. })));
        assert!(OutboundMessage::Text("é".repeat(TEXT_MAX_CHARS)).content_json().is_ok());
    }

    #[test]
    fn received_content_accepts_string_sizes() {
        let image = MessageContent::parse(
            "IMAGE",
            r#"{"url":"https://p16.example/a.jpg","width":"640","height":480}"#,
        )
        .expect("parses");
        assert_eq!(
            image,
            MessageContent::Image {
                url: "https://p16.example/a.jpg".into(),
                width: Some(640),
                height: Some(480),
            }
        );
        let notice =
            MessageContent::parse("NOTIFICATION", r#"{"content":"Agent joined"}"#).expect("parses");
        assert!(matches!(notice, MessageContent::Notice { .. }));
        let unknown = MessageContent::parse("SOMETHING_NEW", "not json").expect("parses");
        assert!(matches!(unknown, MessageContent::Unknown { .. }));
    }
}
