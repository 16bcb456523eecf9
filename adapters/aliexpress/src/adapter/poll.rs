//! Polling the message centre: the relations active since the cursor
//! (`querymsgrelationlist`, paged), then each one's recent messages
//! (`querymsgdetaillist`); the buyer's are emitted, oldest first, once across polls. The
//! cursor is the newest time covered with the ids seen in the two minutes before it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use shopmux_contract::adapter::{
    AdapterError, BuyerMessage, Host, InboundEvent, PollPage, ShopConnection,
};

use super::content::{content_events, entry_point};
use super::session::Session;
use crate::wire::{
    self, DetailListReply, MessageDetail, Relation, RelationListReply, RelationQuery, method,
};

/// A first poll looks back this far (AE-WIN-2: a buyer's message can be answered for 30
/// days).
const FIRST_POLL_LOOKBACK_MS: i64 = 30 * 24 * 3600 * 1000;

/// Each poll re-reads this much before its cursor, so a message stamped a little before
/// one already seen is not missed; the cursor remembers the ids of this window, so none
/// is emitted twice.
const POLL_OVERLAP_MS: i64 = 2 * 60 * 1000;

/// Rows per relation or message page (the platform's maximum).
const PAGE_SIZE: u32 = wire::MAX_PAGE_SIZE;

/// At most this many pages of relations, and of messages per relation, per poll.
const POLL_MAX_PAGES: u32 = 10;

/// What one poll saw, carried to the next: the horizon (Unix ms) before which messages
/// count as seen, and the buyer messages seen at or after `horizon - overlap`.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Cursor {
    /// Format version.
    v: u32,
    /// Newest message time covered, Unix ms.
    t: i64,
    /// `(message id, time)` of the messages in the overlap window.
    seen: Vec<(String, i64)>,
}

impl Cursor {
    fn parse(text: Option<&str>) -> Result<Option<Cursor>, AdapterError> {
        text.map(|text| {
            serde_json::from_str::<Cursor>(text).map_err(|e| {
                AdapterError::permanent(
                    "bad_cursor",
                    format!("the stored AliExpress poll cursor is not readable: {e}"),
                )
            })
        })
        .transpose()
    }
}

/// Buyer messages found by one poll, with their times, and where the relation pages were
/// cut short (the oldest relation time read), if they were.
struct Found {
    messages: Vec<(i64, InboundEvent)>,
    truncated_at: Option<i64>,
}

/// Whether a message of a relation was sent by its buyer (not the seller or a
/// sub-account): the sender is the relation's other party.
fn from_buyer(message: &MessageDetail, relation: &Relation) -> bool {
    let sender = message
        .sender_ali_id
        .as_deref()
        .or_else(|| message.summary.as_ref()?.sender_ali_id.as_deref());
    if let (Some(sender), Some(buyer)) = (sender, relation.other_ali_id.as_deref()) {
        return sender == buyer;
    }
    let login = message.summary.as_ref().and_then(|s| s.sender_login_id.as_deref());
    matches!((login, relation.other_login_id.as_deref()), (Some(a), Some(b)) if a == b)
}

/// The buyer of a relation: their login id (what `addmsg` and the order APIs take), else
/// their numeric id.
fn buyer_of(relation: &Relation) -> shopmux_contract::adapter::EventBuyer {
    let external_id = relation
        .other_login_id
        .clone()
        .or_else(|| relation.other_ali_id.clone())
        .unwrap_or_default();
    super::buyer(external_id, relation.other_name.clone())
}

fn event_id(event: &InboundEvent) -> &str {
    match event {
        InboundEvent::Message(BuyerMessage { platform_message_id, .. }) => platform_message_id,
        _ => "",
    }
}

/// The buyer messages since `cursor` (none: the last 30 days), and the cursor after them.
pub(super) fn poll(
    host: &dyn Host, shop: &ShopConnection, cursor: Option<&str>,
) -> Result<PollPage, AdapterError> {
    let now_ms = host.now_unix_ms();
    let (horizon, mut seen): (i64, BTreeMap<String, i64>) = match Cursor::parse(cursor)? {
        Some(c) => (c.t, c.seen.into_iter().collect()),
        None => (now_ms - FIRST_POLL_LOOKBACK_MS, BTreeMap::new()),
    };
    let lower = horizon - POLL_OVERLAP_MS;
    let mut session = Session::open(host, shop)?;
    let Found { mut messages, truncated_at } = read_relations(&mut session, lower, now_ms, &seen)?;
    messages.sort_by(|a, b| (a.0, event_id(&a.1)).cmp(&(b.0, event_id(&b.1))));
    let newest = messages.iter().map(|(at, _)| *at).fold(horizon, i64::max);
    for (at, event) in &messages {
        seen.insert(event_id(event).to_owned(), *at);
    }
    // Relations not read this time are older than those read: keep the horizon before
    // them so the next poll reads them.
    let t = truncated_at.map_or(newest, |oldest| oldest.min(newest));
    seen.retain(|_, at| *at >= t - POLL_OVERLAP_MS);
    let next = Cursor { v: 1, t, seen: seen.into_iter().collect() };
    if let Some(tokens) = session.renewed.as_ref() {
        host.log(&format!(
            "AliExpress tokens renewed during a poll ({} values kept).",
            tokens.len()
        ));
    }
    Ok(PollPage {
        events: messages.into_iter().map(|(_, event)| event).collect(),
        cursor: Some(serde_json::to_string(&next).map_err(|e| {
            AdapterError::permanent("bad_cursor", format!("cannot write the cursor: {e}"))
        })?),
    })
}

/// The relations active between `lower` and now, newest first, at most
/// [`POLL_MAX_PAGES`] pages: their buyer messages not in `seen`.
fn read_relations(
    session: &mut Session<'_>, lower: i64, now_ms: i64, seen: &BTreeMap<String, i64>,
) -> Result<Found, AdapterError> {
    let mut found = Found { messages: Vec::new(), truncated_at: None };
    for page in 1..=POLL_MAX_PAGES {
        let query = RelationQuery {
            current_page: Some(page),
            page_size: Some(PAGE_SIZE),
            start_time: Some(lower.max(0)),
            end_time: Some(now_ms),
            ..RelationQuery::default()
        };
        let reply: RelationListReply = session
            .call(method::QUERY_RELATION_LIST, |ctx| wire::query_relation_list(ctx, &query))?;
        let relations = reply.result.relation_list.into_vec();
        for relation in &relations {
            if relation.message_time.is_some_and(|t| t < lower) {
                continue;
            }
            let messages = buyer_messages(session, relation, lower, seen)?;
            found.messages.extend(messages);
        }
        if relations.len() < PAGE_SIZE as usize {
            break;
        }
        if page == POLL_MAX_PAGES {
            found.truncated_at = relations.iter().filter_map(|r| r.message_time).min();
        }
    }
    Ok(found)
}

/// One relation's buyer messages at or after `lower` that are not in `seen`, with
/// their times.
fn buyer_messages(
    session: &mut Session<'_>, relation: &Relation, lower: i64, seen: &BTreeMap<String, i64>,
) -> Result<Vec<(i64, InboundEvent)>, AdapterError> {
    let mut out = Vec::new();
    let mut ids = BTreeSet::new();
    for page in 1..=POLL_MAX_PAGES {
        let reply: DetailListReply = session.call(method::QUERY_DETAIL_LIST, |ctx| {
            wire::query_detail_list(ctx, &relation.channel_id, page, PAGE_SIZE, None)
        })?;
        let messages = reply.result.message_detail_list.into_vec();
        let mut any_recent = false;
        for message in &messages {
            let Some(at) = message.sent_at_ms().filter(|at| *at >= lower) else {
                continue;
            };
            any_recent = true;
            if !from_buyer(message, relation) {
                continue;
            }
            for (id, content) in content_events(message) {
                if seen.contains_key(&id) || !ids.insert(id.clone()) {
                    continue;
                }
                out.push((at, message_event(relation, message, id, content, at)));
            }
        }
        // Stop at the last page, or at a page with nothing recent (whichever order
        // the platform pages in, a page of old messages ends what is new).
        if messages.len() < PAGE_SIZE as usize || !any_recent {
            break;
        }
    }
    Ok(out)
}

/// The event of one content of a buyer's message.
fn message_event(
    relation: &Relation, message: &MessageDetail, id: String,
    content: shopmux_contract::adapter::MessageContent, at: i64,
) -> InboundEvent {
    InboundEvent::Message(BuyerMessage {
        buyer: buyer_of(relation),
        platform_message_id: id,
        platform_conversation_id: Some(relation.channel_id.clone()),
        content,
        sent_at_ms: Some(at),
        // An order message names its order (`extern_id`) but not when it was placed; the
        // order is not recorded from here (it would be dated now, and AE-WIN-3 counts from
        // the order's date).
        order: None,
        entry_point: entry_point(message),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_bad_ones_are_refused() {
        let c = Cursor { v: 1, t: 5, seen: vec![("m1".into(), 5)] };
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(Cursor::parse(Some(&text)).unwrap(), Some(c));
        assert_eq!(Cursor::parse(None).unwrap(), None);
        let e = Cursor::parse(Some("1700000000")).unwrap_err();
        assert_eq!(e.code, "bad_cursor");
    }

    #[test]
    fn buyer_messages_are_told_from_the_sellers() {
        let relation = Relation {
            channel_id: "1".into(),
            child_id: None,
            child_name: None,
            deal_stat: None,
            last_message_content: None,
            last_message_id: None,
            last_message_is_own: None,
            message_time: None,
            order_id: None,
            other_ali_id: Some("2200000001".into()),
            other_login_id: Some("us1".into()),
            other_name: Some("Ann".into()),
            rank: None,
            read_stat: None,
            unread_count: None,
        };
        let mut message = MessageDetail {
            id: "9".into(),
            sender_ali_id: Some("2200000001".into()),
            ..MessageDetail::default()
        };
        assert!(from_buyer(&message, &relation));
        message.sender_ali_id = Some("1500000000".into());
        assert!(!from_buyer(&message, &relation));
        message.sender_ali_id = None;
        assert!(!from_buyer(&message, &relation), "unattributable is not ingested");
    }
}
