//! What happens to a conversation, as pure functions: a new conversation, the state
//! change of a buyer message, the list preview, and the messages the inbox writes itself
//! (an agent's reply pending delivery, an automatic reply).

use super::ids::*;
use super::model::*;
use super::shop_settings::{ActiveAutoReply, IngestShop};
use super::viewer::Viewer;
use chrono::{DateTime, Utc};
use shopmux_contract::content::MessageContent;

/// A new conversation of a buyer who wrote (or did something) at `at`, waiting for
/// assignment (ALL-EMPTY-1: a card alone opens one too; ALL-SRC-1: where it started).
pub fn new_conversation(
    shop: &IngestShop, buyer_id: BuyerId, entry_point: EntryPoint, at: DateTime<Utc>,
    has_order: bool,
) -> Conversation {
    Conversation {
        id: ConversationId::new(),
        shop_id: shop.shop_id,
        platform: shop.platform.clone(),
        buyer_id,
        entry_point,
        state: ConversationState::Unassigned,
        assignee_id: None,
        flag: None,
        topics: Vec::new(),
        has_order,
        unread_count: 0,
        waiting_since: None,
        created_at: at,
        last_message_at: at,
        last_buyer_message_at: None,
        last_agent_reply_at: None,
        assigned_at: None,
        ended_at: None,
        closed_at: None,
        preview: String::new(),
        // DY-BOT-1: in a shop whose bot is on, the bot takes new conversations first.
        bot_active: shop.bot.as_ref().is_some_and(|b| b.answers()),
        bot_misses: 0,
        next_breach_at: None,
        sla_due_at: None,
        breach_warn_at: None,
        first_assigned_at: None,
        reply_wait_since: None,
    }
}

/// The state change a new buyer message makes.
pub fn apply_buyer_message(conv: &mut Conversation, m: &Message, refers_to_order: bool) {
    conv.unread_count += 1;
    if conv.waiting_since.is_none() {
        conv.waiting_since = Some(m.created_at);
    }
    // rule: DY-QA-1 (the wait a human reply ends starts at the buyer's first message
    // after the last one; a rating awaits no reply)
    if awaits_reply(&m.content) && conv.last_agent_reply_at.is_none_or(|r| m.created_at > r) {
        conv.reply_wait_since =
            Some(conv.reply_wait_since.map_or(m.created_at, |w| w.min(m.created_at)));
    }
    if m.created_at >= conv.last_message_at || conv.preview.is_empty() {
        conv.last_message_at = m.created_at;
        conv.preview = preview_of(&m.content);
    }
    conv.last_buyer_message_at =
        Some(conv.last_buyer_message_at.map_or(m.created_at, |t| t.max(m.created_at)));
    conv.has_order |= refers_to_order;
}

/// Whether a buyer's message awaits a human reply: everything but a rating.
pub fn awaits_reply(content: &MessageContent) -> bool {
    !matches!(content, MessageContent::RatingCard { .. })
}

/// The list preview of a message: its summary, at most 140 characters.
pub fn preview_of(content: &MessageContent) -> String {
    let s = content.summary();
    if s.chars().count() <= 140 { s } else { s.chars().take(139).chain(['…']).collect() }
}

/// An outbound message of a conversation from `sender`, pending delivery.
fn outbound(
    conversation: &Conversation, sender: (SenderKind, Option<AgentId>), content: MessageContent,
    at: DateTime<Utc>,
) -> Message {
    Message {
        id: MessageId::new(),
        conversation_id: conversation.id,
        shop_id: conversation.shop_id,
        direction: Direction::Out,
        sender_kind: sender.0,
        sender_agent_id: sender.1,
        content,
        translated_text: None,
        platform_message_id: None,
        created_at: at,
        delivery_status: Some(DeliveryStatus::Pending),
        delivery_error: None,
        analysis: Default::default(),
        translation: None,
    }
}

/// A new agent message of a conversation, pending delivery.
pub fn agent_message(
    viewer: &Viewer, conversation: &Conversation, content: MessageContent, now: DateTime<Utc>,
) -> Message {
    let sender = (SenderKind::Agent, Some(viewer.agent.id));
    outbound(conversation, sender, content, now)
}

/// The automatic reply to a buyer message (AE-AUTO-1), pending delivery: a bot message,
/// not a human reply, so the conversation stays unread and unreplied (AE-AUTO-3).
pub fn auto_reply_message(
    auto: &ActiveAutoReply, conversation: &Conversation, after: DateTime<Utc>, now: DateTime<Utc>,
) -> Message {
    let content =
        MessageContent::AutoReply { text: auto.text.clone(), actions: auto.actions.clone() };
    outbound(conversation, (SenderKind::Bot, None), content, now.max(after))
}

/// A change of a conversation an agent asks for.
#[derive(Clone, Copy, Debug)]
pub enum Change {
    /// Mark every buyer message read.
    MarkRead,
    /// Mark unread again (SH-STATUS-1).
    MarkUnread,
    /// Flag with a colour (TT-FLAG-1, AE-FILTER-1 star colours).
    Flag(FlagColour),
    /// Remove the flag.
    Unflag,
    /// End: move to history (TT-END-1, DY-END-1).
    End,
    /// Close (SH-STATUS-1).
    Close,
    /// Reopen an ended or closed conversation.
    Reopen,
    /// Assign to an agent (TT-QUEUE-2).
    Assign(AgentId),
    /// Back to the unassigned list (SH-ASSIGN-1).
    Unassign,
    /// Hand over from the current holder to another agent (TT-XFER-1, DY-XFER-1).
    Transfer(AgentId),
}

impl Change {
    /// Whether it moves the conversation between lists or agents (and so changes
    /// loads and needs chat permission), rather than only marking it.
    pub fn moves(self) -> bool {
        !matches!(self, Self::MarkRead | Self::MarkUnread | Self::Flag(_) | Self::Unflag)
    }
}

/// Why a change does not apply to a conversation in its state.
pub type Conflict = String;

/// The conversation after a change, or why the change conflicts with its state. An
/// assignment or transfer is checked here for its state only; who may take it is the
/// caller's to check.
pub fn changed(
    before: &Conversation, change: Change, now: DateTime<Utc>,
) -> Result<Conversation, Conflict> {
    let mut after = before.clone();
    let not_open = || format!("the conversation is {}, not open", before.state);
    match change {
        Change::MarkRead => after.unread_count = 0,
        Change::MarkUnread => after.unread_count = after.unread_count.max(1),
        Change::Flag(colour) => after.flag = Some(colour),
        Change::Unflag => after.flag = None,
        Change::End if !before.state.is_open() => return Err(not_open()),
        Change::End => {
            after.state = ConversationState::Ended;
            after.ended_at = Some(now);
        }
        Change::Close if before.state == ConversationState::Closed => {
            return Err("the conversation is already closed".into());
        }
        Change::Close => {
            after.state = ConversationState::Closed;
            after.closed_at = Some(now);
        }
        Change::Reopen if before.state.is_open() => {
            return Err("the conversation is already open".into());
        }
        Change::Reopen => {
            after.state = if after.assignee_id.is_some() {
                ConversationState::InProgress
            } else {
                ConversationState::Unassigned
            };
            after.ended_at = None;
            after.closed_at = None;
        }
        Change::Assign(_) | Change::Transfer(_) if !before.state.is_open() => {
            return Err(not_open());
        }
        Change::Transfer(_) if before.assignee_id.is_none() => {
            return Err("the conversation is unassigned: assign it instead".into());
        }
        Change::Assign(agent) | Change::Transfer(agent) => {
            // An agent taking it ends the bot's handling.
            after.bot_active = false;
            after.bot_misses = 0;
            after.state = ConversationState::InProgress;
            after.assignee_id = Some(agent);
            after.assigned_at = Some(now);
            after.first_assigned_at.get_or_insert(now);
        }
        Change::Unassign if before.state != ConversationState::InProgress => {
            return Err("the conversation is not assigned".into());
        }
        Change::Unassign => {
            after.state = ConversationState::Unassigned;
            after.assignee_id = None;
            after.assigned_at = None;
        }
    }
    Ok(after)
}

/// The conversation after an agent's reply: answered, read, and taken by the agent
/// when nobody held it (replying to an unassigned conversation takes it).
pub fn replied(
    before: &Conversation, reply: &Message, agent: AgentId, now: DateTime<Utc>,
) -> Conversation {
    let mut after = before.clone();
    after.last_message_at = now;
    after.last_agent_reply_at = Some(now);
    after.waiting_since = None;
    after.reply_wait_since = None;
    after.unread_count = 0;
    after.preview = preview_of(&reply.content);
    // An agent's reply ends the bot's handling.
    after.bot_active = false;
    after.bot_misses = 0;
    if after.state == ConversationState::Unassigned {
        after.state = ConversationState::InProgress;
        after.assignee_id = Some(agent);
        after.assigned_at = Some(now);
    }
    // DY-QA-2: a reply before any assignment measures from the reply itself.
    after.first_assigned_at.get_or_insert(now);
    after
}

/// The conversation after the bot handed it to a human (DY-BOT-3, DY-BOT-4): out of the
/// bot's hands and into routing, its buyer waiting for an agent from now on.
pub fn handed_off(conv: &mut Conversation, at: DateTime<Utc>) {
    conv.bot_active = false;
    conv.bot_misses = 0;
    if conv.waiting_since.is_some() {
        conv.waiting_since = Some(at);
    }
}

/// A reply stored delivered, with nothing to send: its channel's adapter records
/// replies (`records_replies`, the `api` channel).
pub fn recorded(message: &mut Message) {
    message.delivery_status = Some(DeliveryStatus::Delivered);
}

/// A message the bot writes in a conversation at `at`, pending delivery: not a human
/// reply, so unread and waiting stay as they are.
pub fn bot_message(
    conversation: &Conversation, content: MessageContent, at: DateTime<Utc>,
) -> Message {
    outbound(conversation, (SenderKind::Bot, None), content, at)
}
