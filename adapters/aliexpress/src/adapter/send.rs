//! Replies out with `addmsg`: the content rules checked again, the content mapped to a
//! message-centre message, and — since the reply carries no message id — the sent message
//! found in its relation (failing that, a stable id of our own).

use shopmux_contract::adapter::{AdapterError, Host, OutboundMessage, SendReceipt, ShopConnection};

use super::content::{outbound, refusal};
use super::session::Session;
use crate::wire::{self, ActionReply, CreateMessage, DetailListReply, MessageDetail, method};

/// Sends one reply to its buyer.
pub(super) fn send(
    host: &dyn Host, shop: &ShopConnection, message: &OutboundMessage,
) -> Result<SendReceipt, AdapterError> {
    // The platform's rules on content, checked here too: a message that reached the
    // outbox another way must not go out either.
    if let Some(refusal) = refusal(&message.content, &crate::rule_set()) {
        return Err(AdapterError::permanent(refusal.rule, refusal.message));
    }
    let (message_type, extern_id, content, img_path) = outbound(&message.content)?;
    if content.trim().is_empty() && img_path.is_none() {
        return Err(AdapterError::permanent(
            "unsupported_content",
            "an empty message cannot be sent",
        ));
    }
    if message.buyer_external_id.is_empty() {
        return Err(AdapterError::permanent(
            "no_buyer",
            "the buyer's AliExpress login id is not known",
        ));
    }
    let mut session = Session::open(host, shop)?;
    let create = CreateMessage {
        buyer_id: message.buyer_external_id.clone(),
        content: content.clone(),
        extern_id,
        img_path,
        message_type,
        seller_id: session.seller_login_id(),
    };
    let sent: ActionReply =
        session.call(method::ADD_MESSAGE, |ctx| wire::add_message(ctx, &create))?;
    // Never an empty parameter on the wire (§3.2): an empty channel is no channel.
    let channel = sent
        .channel_id
        .or_else(|| message.platform_conversation_id.clone())
        .filter(|channel| !channel.is_empty());
    // The reply carries no message id: find the message in the relation; failing
    // that (the send itself succeeded), a stable id of our own.
    let found = channel
        .as_deref()
        .and_then(|channel| find_sent(&mut session, channel, &message.buyer_external_id, &content));
    let id = match (found, &channel) {
        (Some(id), _) => id,
        (None, Some(channel)) => format!("sent:{channel}:{}", message.idempotency_key),
        (None, None) => format!("sent:{}", message.idempotency_key),
    };
    Ok(SendReceipt { platform_message_id: Some(id), refreshed_credentials: session.renewed })
}

/// The id of a message just sent to `buyer` with `content`, as the relation lists it
/// (the newest of the seller's messages with that text), if it can be found.
fn find_sent(
    session: &mut Session<'_>, channel: &str, buyer: &str, content: &str,
) -> Option<String> {
    let reply: DetailListReply = session
        .call(method::QUERY_DETAIL_LIST, |ctx| wire::query_detail_list(ctx, channel, 1, 20, None))
        .inspect_err(|e| session.host.log(&format!("AliExpress sent message id not found: {e}")))
        .ok()?;
    let messages = reply.result.message_detail_list.into_vec();
    let mut candidates: Vec<&MessageDetail> = messages
        .iter()
        .filter(|m| m.content.as_deref().map(str::trim) == Some(content.trim()))
        .filter(|m| {
            m.summary
                .as_ref()
                .and_then(|s| s.sender_login_id.as_deref())
                .is_none_or(|sender| sender != buyer)
        })
        .collect();
    candidates.sort_by_key(|m| std::cmp::Reverse(m.sent_at_ms()));
    candidates.first().map(|m| m.id.clone())
}
