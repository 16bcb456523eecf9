//! Polling, for what webhooks missed: the shop's conversations, most recently active
//! first, and each active one's buyer messages since the cursor (a Unix second, re-read
//! with some overlap; the inbox drops what it already has).

use std::ops::ControlFlow;

use shopmux_contract::adapter::{AdapterError, Host, InboundEvent, PollPage, ShopConnection};

use super::TikTok;
use super::api::MAX_PAGES;
use super::inbound::ChatMessage;
use crate::wire::{self, MessagesPage, MessagesQuery, RequestContext, SortOrder};

/// A first poll looks back this far (TT-WIN-1: an unreplied chat times out after 7 days).
const FIRST_POLL_LOOKBACK_SECS: i64 = 7 * 24 * 3600;

/// Each poll re-reads this much before its cursor, so a message stamped a little late
/// is not missed (re-reading is harmless: messages are deduplicated).
const POLL_OVERLAP_SECS: i64 = 120;

impl TikTok {
    /// The buyer messages since `cursor` (none: the last seven days), oldest first, and
    /// the cursor for the next poll.
    pub(super) fn poll_since(
        &self, host: &dyn Host, shop: &mut ShopConnection, cursor: Option<&str>,
    ) -> Result<PollPage, AdapterError> {
        let now_secs = host.now_unix_ms() / 1000;
        let cursor = cursor.and_then(|c| c.parse::<i64>().ok());
        let since = cursor.map_or(now_secs - FIRST_POLL_LOOKBACK_SECS, |c| c - POLL_OVERLAP_SECS);
        let mut newest = cursor.unwrap_or(since);
        let mut events = Vec::new();
        self.walk_conversations(host, shop, |shop, page| {
            for conversation in &page.conversations {
                let latest = conversation
                    .latest_message
                    .as_ref()
                    .map_or(conversation.create_time, |m| m.create_time);
                if latest < since {
                    // Conversations come most recently active first.
                    return Ok(ControlFlow::Break(()));
                }
                newest = newest.max(latest);
                events.extend(self.messages_since(host, shop, &conversation.id, since)?);
            }
            Ok(ControlFlow::Continue(()))
        })?;
        events.reverse();
        Ok(PollPage { events, cursor: Some(newest.to_string()) })
    }

    /// The buyer messages of a conversation at or after `since`, newest first.
    fn messages_since(
        &self, host: &dyn Host, shop: &mut ShopConnection, conversation: &str, since: i64,
    ) -> Result<Vec<InboundEvent>, AdapterError> {
        let mut out = Vec::new();
        let messages = |ctx: &RequestContext<'_>, page_token: Option<&str>| {
            wire::get_messages(
                ctx,
                conversation,
                &MessagesQuery {
                    page_size: 50,
                    page_token: page_token.map(str::to_owned),
                    sort_order: Some(SortOrder::Desc),
                    ..MessagesQuery::default()
                },
            )
        };
        self.walk_pages(host, shop, MAX_PAGES, None, messages, |_, page: &MessagesPage, _| {
            for message in &page.messages {
                if message.create_time < since {
                    return Ok(ControlFlow::Break(()));
                }
                // Not a visible buyer message, or a type the inbox does not keep.
                if let Ok(event) = ChatMessage::listed(message, conversation).to_event() {
                    out.push(event);
                }
            }
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(out)
    }
}
