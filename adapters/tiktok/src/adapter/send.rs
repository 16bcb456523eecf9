//! What goes to TikTok from an agent: replies (the contract's content as TikTok's message
//! types, TT-MSG-1; images fetched through the host and uploaded first; videos refused
//! with the reason) sent as the customer-service role, with renewed tokens handed back in
//! the receipt, and read marks.

use shopmux_contract::adapter::{
    AdapterError, Host, HttpRequest, MessageContent, OutboundMessage, SendReceipt, ShopConnection,
};
use shopmux_contract::kinds::ContentKind;

use super::TikTok;
use super::api::CALL_TIMEOUT_MS;
use super::tokens::{credentials, renewed_tokens};
use crate::wire::{self, IMAGE_UPLOAD_MAX_BYTES, SendMessageData, SenderRole, UploadedImage};

/// The name of a content kind as the contract writes it (`coupon_card`).
fn kind_name(kind: ContentKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|name| name.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// TikTok's message for the contract's content, images aside (they are uploaded first);
/// TT-MSG-1 has already refused kinds TikTok does not take.
fn outbound(content: &MessageContent) -> Result<wire::OutboundMessage, AdapterError> {
    match content {
        MessageContent::Text { text } | MessageContent::AutoReply { text, .. } => {
            Ok(wire::OutboundMessage::Text(text.clone()))
        }
        MessageContent::Emoji { code } => Ok(wire::OutboundMessage::Text(code.clone())),
        MessageContent::ProductCard { product_id, .. } => {
            Ok(wire::OutboundMessage::ProductCard { product_id: product_id.clone() })
        }
        MessageContent::OrderCard { order_id, .. } => {
            Ok(wire::OutboundMessage::OrderCard { order_id: order_id.clone() })
        }
        MessageContent::Video { .. } => Err(AdapterError::permanent(
            "unsupported_content",
            "TikTok's VIDEO message takes a `vid` from TikTok's own video storage, and its \
             customer-service API has no video upload (only images/upload): send the video's \
             link as text",
        )),
        other => Err(AdapterError::permanent(
            "unsupported_content",
            format!(
                "TikTok's customer-service API has no message type for `{}`",
                kind_name(other.kind())
            ),
        )),
    }
}

impl TikTok {
    /// Sends one reply; the tokens in use after the send go back to the host in the
    /// receipt when they differ from the configured ones.
    pub(super) fn send_message(
        &self, host: &dyn Host, shop: &ShopConnection, message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        let current = &mut self.current(host, shop)?;
        let mut receipt = self.send_reply(host, current, message)?;
        receipt.refreshed_credentials = renewed_tokens(shop, current);
        Ok(receipt)
    }

    /// Marks the buyer's messages in a conversation read.
    pub(super) fn read_conversation(
        &self, host: &dyn Host, shop: &mut ShopConnection, platform_conversation_id: &str,
    ) -> Result<(), AdapterError> {
        let _: serde_json::Value =
            self.call(host, shop, |ctx| wire::read_messages(ctx, platform_conversation_id))?;
        Ok(())
    }

    fn send_reply(
        &self, host: &dyn Host, shop: &mut ShopConnection, message: &OutboundMessage,
    ) -> Result<SendReceipt, AdapterError> {
        // A shop without credentials says so before anything else.
        credentials(shop)?;
        let conversation = message.platform_conversation_id.as_deref().ok_or_else(|| {
            AdapterError::permanent(
                "no_conversation",
                "TikTok's conversation with this buyer is not known yet",
            )
        })?;
        let outgoing = match &message.content {
            MessageContent::Image { url } if url.is_empty() => {
                return Err(AdapterError::permanent(
                    "bad_content",
                    "an image message needs a `url`",
                ));
            }
            MessageContent::Image { url } => self.upload(host, shop, url)?,
            content => outbound(content)?,
        };
        let sent: SendMessageData = self.call(host, shop, |ctx| {
            wire::send_message(ctx, conversation, &outgoing, Some(SenderRole::CustomerService))
        })?;
        Ok(SendReceipt::sent(sent.message_id))
    }

    /// The IMAGE message for an image at `url`: fetched, uploaded, and named by the URL
    /// and size TikTok returns.
    fn upload(
        &self, host: &dyn Host, shop: &mut ShopConnection, url: &str,
    ) -> Result<wire::OutboundMessage, AdapterError> {
        let bytes = fetch_image(host, url)?;
        let uploaded: UploadedImage =
            self.call(host, shop, |ctx| wire::upload_image(ctx, &bytes))?;
        match (uploaded.width, uploaded.height) {
            (Some(width), Some(height)) if !uploaded.url.is_empty() => {
                Ok(wire::OutboundMessage::Image { url: uploaded.url, width, height })
            }
            _ => Err(AdapterError::transient(
                "malformed",
                "TikTok's image upload reply lacks the url or size",
            )),
        }
    }
}

/// The bytes of an image to upload, fetched through the host.
fn fetch_image(host: &dyn Host, url: &str) -> Result<Vec<u8>, AdapterError> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(AdapterError::permanent(
            "bad_media_url",
            "the image's URL is not an http(s) URL",
        ));
    }
    let response = host
        .http(HttpRequest {
            method: "GET".into(),
            url: url.to_owned(),
            timeout_ms: Some(CALL_TIMEOUT_MS),
            ..HttpRequest::default()
        })
        .map_err(|e| AdapterError {
            code: format!("media_{}", e.code),
            message: format!("the image could not be fetched: {}", e.message),
            ..e
        })?;
    if !(200..300).contains(&response.status) {
        let mut e = AdapterError::from_status(
            &response,
            format!("the image could not be fetched: HTTP {}", response.status),
        );
        e.code = format!("media_{}", e.code);
        return Err(e);
    }
    if response.body.len() > IMAGE_UPLOAD_MAX_BYTES {
        return Err(AdapterError::permanent(
            "media_too_large",
            format!(
                "the image has {} bytes; TikTok takes at most {IMAGE_UPLOAD_MAX_BYTES}",
                response.body.len()
            ),
        ));
    }
    if wire::ImageFormat::sniff(&response.body).is_none() {
        return Err(AdapterError::permanent(
            "unsupported_media_type",
            "the image is not a jpg, gif, webp or png, the formats TikTok takes",
        ));
    }
    Ok(response.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tt_msg_1_contents_map_onto_tiktok_message_types() {
        // rule: TT-MSG-1 (agents send text, emoji, image and video; cards as TikTok's)
        let sent = |content: MessageContent| outbound(&content);
        assert_eq!(
            sent(MessageContent::Emoji { code: "😀".into() }).unwrap(),
            wire::OutboundMessage::Text("😀".into())
        );
        assert_eq!(
            sent(MessageContent::OrderCard {
                order_id: "5760".into(),
                status: Some("AWAITING_SHIPMENT".into())
            })
            .unwrap(),
            wire::OutboundMessage::OrderCard { order_id: "5760".into() }
        );
        let coupon =
            sent(MessageContent::CouponCard { code: "SAVE10".into(), title: None, scope: None })
                .unwrap_err();
        assert_eq!(coupon.code, "unsupported_content");
        assert!(coupon.message.contains("`coupon_card`"), "{coupon}");
    }
}
