//! Row mapping: the column lists of the main tables and the functions turning a row
//! (an `AnyRow` or a [`DbRow`]) into a domain value (and a domain value into bound values).

use super::sql::Val;
use crate::clock::{from_millis, to_millis};
use crate::domain::ids::*;
use crate::domain::model::*;
use crate::domain::topics::Topic;
use crate::error::{CoreError, CoreResult};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::str::FromStr;

pub(super) fn corrupt(what: &'static str, detail: impl std::fmt::Display) -> CoreError {
    CoreError::Database(sqlx::Error::Decode(format!("{what}: {detail}").into()))
}

/// Reading columns by name, from a sqlx row or a [`DbRow`] alike.
pub trait Columns {
    /// A nullable text column.
    fn opt_text_col(&self, col: &str) -> CoreResult<Option<String>>;
    /// A nullable integer column.
    fn opt_int_col(&self, col: &str) -> CoreResult<Option<i64>>;
    /// A text column.
    fn text_col(&self, col: &str) -> CoreResult<String> {
        self.opt_text_col(col)?.ok_or_else(|| corrupt("text", format!("{col} is NULL")))
    }
    /// An integer column.
    fn int_col(&self, col: &str) -> CoreResult<i64> {
        self.opt_int_col(col)?.ok_or_else(|| corrupt("integer", format!("{col} is NULL")))
    }
    /// A column read as its type.
    fn col<T: Column>(&self, col: &str) -> CoreResult<T> {
        T::read(self, col)
    }
}

impl Columns for AnyRow {
    fn opt_text_col(&self, col: &str) -> CoreResult<Option<String>> {
        Ok(self.try_get(col)?)
    }
    fn opt_int_col(&self, col: &str) -> CoreResult<Option<i64>> {
        Ok(self.try_get(col)?)
    }
}

/// A value read from one column, by its type.
pub trait Column: Sized {
    /// Reads column `col` of `row`.
    fn read(row: &(impl Columns + ?Sized), col: &str) -> CoreResult<Self>;
}

/// Writes [`Column`] for each plain type, read with `|$row, $col| $read`.
macro_rules! plain_columns {
    ($($ty:ty => |$row:ident, $col:ident| $read:expr;)+) => {$(
        impl Column for $ty {
            fn read($row: &(impl Columns + ?Sized), $col: &str) -> CoreResult<Self> {
                $read
            }
        }
    )+};
}

plain_columns! {
    String => |row, col| row.text_col(col);
    Option<String> => |row, col| row.opt_text_col(col);
    i64 => |row, col| row.int_col(col);
    Option<i64> => |row, col| row.opt_int_col(col);
    bool => |row, col| Ok(row.int_col(col)? != 0);
    DateTime<Utc> => |row, col| Ok(from_millis(row.int_col(col)?));
    Option<DateTime<Utc>> => |row, col| Ok(row.opt_int_col(col)?.map(from_millis));
    Platform => |row, col| Platform::new(&row.text_col(col)?).map_err(|e| corrupt("platform", e));
}

/// Writes [`Column`] for types stored as their text form (ids, enums), alone or optional.
macro_rules! text_columns {
    ($($ty:ty),+ $(,)?) => {$(
        impl Column for $ty {
            fn read(row: &(impl Columns + ?Sized), col: &str) -> CoreResult<Self> {
                parse_text(col, &row.text_col(col)?)
            }
        }
        impl Column for Option<$ty> {
            fn read(row: &(impl Columns + ?Sized), col: &str) -> CoreResult<Self> {
                row.opt_text_col(col)?.map(|s| parse_text(col, &s)).transpose()
            }
        }
    )+};
}

fn parse_text<T: FromStr>(col: &str, text: &str) -> CoreResult<T>
where
    T::Err: std::fmt::Display,
{
    T::from_str(text).map_err(|e| corrupt("column", format!("{col}: {e}")))
}

text_columns! { SellerId, ShopId, AgentId, BuyerId, OrderId, ConversationId, MessageId, NoteId, OutboxId }
text_columns! { QuickReplyId, WebhookEndpointId, WebhookDeliveryId, FaqQuestionId }
text_columns! { Role, AgentStatus, ConversationState, FlagColour, Direction, SenderKind }
text_columns!(DeliveryStatus, EntryPoint);

/// A JSON text column.
pub fn json_col<T: serde::de::DeserializeOwned>(row: &impl Columns, col: &str) -> CoreResult<T> {
    serde_json::from_str(&row.text_col(col)?).map_err(|e| corrupt("json", format!("{col}: {e}")))
}

/// A `$ty` read from `$row`: each listed field from the column of its name, by the
/// field's type ([`Column`]); the fields after `;` from their expressions.
macro_rules! read_row {
    ($row:ident => $ty:ident { $($field:ident),+ $(; $($name:ident: $value:expr),+)? $(,)? }) => {
        $ty {
            $($field: $crate::storage::rows::Columns::col($row, stringify!($field))?,)+
            $($($name: $value,)+)?
        }
    };
}
pub(crate) use read_row;

/// The columns of `conversations`, in the order of [`conversation_values`].
pub const CONVERSATION_COLUMNS: &str = "id, seller_id, shop_id, platform, buyer_id, entry_point, state, list_status, \
     assignee_id, flag, topics, has_order, unread_count, waiting_since, wait_rank, created_at, last_message_at, \
     last_buyer_message_at, last_agent_reply_at, assigned_at, ended_at, closed_at, preview, bot_active, bot_misses, \
     next_breach_at, breach_rank, sla_due_at, breach_warn_at, first_assigned_at, topic_1, topic_2, reply_wait_since";

/// [`CONVERSATION_COLUMNS`] qualified with the alias `c`, for joins.
pub static CONVERSATION_COLUMNS_C: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    CONVERSATION_COLUMNS
        .split(", ")
        .map(|col| format!("c.{}", col.trim()))
        .collect::<Vec<_>>()
        .join(", ")
});

/// The number of columns in [`CONVERSATION_COLUMNS`].
pub const CONVERSATION_N_COLUMNS: usize = 33;

/// The list a conversation shows in: `open`, `history` or `closed`.
pub fn list_status(state: ConversationState) -> &'static str {
    match state {
        ConversationState::Unassigned | ConversationState::InProgress => "open",
        ConversationState::Ended => "history",
        ConversationState::Closed => "closed",
    }
}

/// The key of the longest-waiting-first order: waiting buyers by how long they wait,
/// then everyone else newest first.
pub fn wait_rank(c: &Conversation) -> i64 {
    const NOT_WAITING: i64 = 4_000_000_000_000_000;
    match c.waiting_since {
        Some(t) => to_millis(t),
        None => NOT_WAITING - to_millis(c.last_message_at),
    }
}

/// The key of the most-urgent-first order: conversations by their next deadline, then
/// those without one newest first.
pub fn breach_rank(c: &Conversation) -> i64 {
    const NO_DEADLINE: i64 = 4_000_000_000_000_000;
    match c.next_breach_at {
        Some(t) => to_millis(t),
        None => NO_DEADLINE - to_millis(c.last_message_at),
    }
}

/// A conversation row, with the seller it belongs to.
pub fn conversation_from_row(row: &impl Columns) -> CoreResult<(SellerId, Conversation)> {
    let conversation = read_row!(row => Conversation {
        id, shop_id, platform, buyer_id, entry_point, state, assignee_id, flag, has_order,
        unread_count, waiting_since, created_at, last_message_at, last_buyer_message_at,
        last_agent_reply_at, assigned_at, ended_at, closed_at, preview, bot_active, bot_misses,
        next_breach_at, sla_due_at, breach_warn_at, first_assigned_at, reply_wait_since;
        topics: json_col(row, "topics")?
    });
    Ok((row.col("seller_id")?, conversation))
}

/// The bound values of a conversation row, in [`CONVERSATION_COLUMNS`] order.
pub fn conversation_values(seller_id: SellerId, c: &Conversation) -> Vec<Val> {
    vec![
        c.id.to_string().into(),
        seller_id.to_string().into(),
        c.shop_id.to_string().into(),
        c.platform.as_str().into(),
        c.buyer_id.to_string().into(),
        c.entry_point.as_str().into(),
        c.state.as_str().into(),
        list_status(c.state).into(),
        c.assignee_id.map(|a| a.to_string()).into(),
        c.flag.map(|f| f.as_str().to_owned()).into(),
        serde_json::to_string(&c.topics).unwrap_or_else(|_| "[]".into()).into(),
        c.has_order.into(),
        c.unread_count.into(),
        c.waiting_since.map(to_millis).into(),
        wait_rank(c).into(),
        to_millis(c.created_at).into(),
        to_millis(c.last_message_at).into(),
        c.last_buyer_message_at.map(to_millis).into(),
        c.last_agent_reply_at.map(to_millis).into(),
        c.assigned_at.map(to_millis).into(),
        c.ended_at.map(to_millis).into(),
        c.closed_at.map(to_millis).into(),
        c.preview.clone().into(),
        c.bot_active.into(),
        c.bot_misses.into(),
        c.next_breach_at.map(to_millis).into(),
        breach_rank(c).into(),
        c.sla_due_at.map(to_millis).into(),
        c.breach_warn_at.map(to_millis).into(),
        c.first_assigned_at.map(to_millis).into(),
        c.topics.first().cloned().into(),
        c.topics.get(1).cloned().into(),
        c.reply_wait_since.map(to_millis).into(),
    ]
}

/// The columns of `messages` read back (the PostgreSQL search column is write-only).
pub const MESSAGE_COLUMNS: &str = "id, conversation_id, shop_id, direction, sender_kind, sender_agent_id, content, \
     translated_text, platform_message_id, created_at, delivery_status, delivery_error, \
     detected_language, language_confidence, topic, topic_confidence, \
     translation_status, translation_source, translation_target, translation_provider, \
     translation_error, original_text";

/// The number of columns in [`MESSAGE_COLUMNS`].
pub const MESSAGE_N_COLUMNS: usize = 22;

/// A confidence stored per mille, as 0 to 1.
fn per_mille_col(row: &impl Columns, col: &str) -> CoreResult<Option<f32>> {
    Ok(row.opt_int_col(col)?.map(|n| n as f32 / 1000.0))
}

/// A confidence, 0 to 1, stored per mille.
fn per_mille(confidence: Option<f32>) -> Val {
    confidence.map(|c| (c.clamp(0.0, 1.0) * 1000.0).round() as i64).into()
}

/// The language and topic columns of a message row.
fn analysis_from_row(row: &impl Columns) -> CoreResult<TextAnalysis> {
    let topic = row.opt_text_col("topic")?.and_then(|t| t.parse::<Topic>().ok());
    Ok(TextAnalysis {
        detected_language: row.opt_text_col("detected_language")?,
        language_confidence: per_mille_col(row, "language_confidence")?,
        topic,
        topic_confidence: per_mille_col(row, "topic_confidence")?,
    })
}

/// A message row.
pub fn message_from_row(row: &AnyRow) -> CoreResult<Message> {
    Ok(read_row!(row => Message {
        id, conversation_id, shop_id, direction, sender_kind, sender_agent_id, translated_text,
        platform_message_id, created_at, delivery_status, delivery_error;
        content: json_col(row, "content")?,
        analysis: analysis_from_row(row)?,
        translation: translation_of(row)?
    }))
}

/// A message's translation columns; none when it has no translation state.
pub fn translation_of(row: &impl Columns) -> CoreResult<Option<MessageTranslation>> {
    let Some(status) = row.opt_text_col("translation_status")? else { return Ok(None) };
    let status = status.parse().map_err(|e: String| corrupt("translation_status", e))?;
    Ok(Some(MessageTranslation {
        status,
        source: row.opt_text_col("translation_source")?,
        target: row.opt_text_col("translation_target")?,
        provider: row.opt_text_col("translation_provider")?,
        error: row.opt_text_col("translation_error")?,
        original_text: row.opt_text_col("original_text")?,
    }))
}

/// The bound values of a message row, in [`MESSAGE_COLUMNS`] order.
pub fn message_values(m: &Message) -> Vec<Val> {
    let t = m.translation.as_ref();
    vec![
        m.id.to_string().into(),
        m.conversation_id.to_string().into(),
        m.shop_id.to_string().into(),
        m.direction.as_str().into(),
        m.sender_kind.as_str().into(),
        m.sender_agent_id.map(|a| a.to_string()).into(),
        serde_json::to_string(&m.content).unwrap_or_default().into(),
        m.translated_text.clone().into(),
        m.platform_message_id.clone().into(),
        to_millis(m.created_at).into(),
        m.delivery_status.map(|d| d.as_str().to_owned()).into(),
        m.delivery_error.clone().into(),
        m.analysis.detected_language.clone().into(),
        per_mille(m.analysis.language_confidence),
        m.analysis.topic.map(|t| t.as_str().to_owned()).into(),
        per_mille(m.analysis.topic_confidence),
        t.map(|t| t.status.as_str().to_owned()).into(),
        t.and_then(|t| t.source.clone()).into(),
        t.and_then(|t| t.target.clone()).into(),
        t.and_then(|t| t.provider.clone()).into(),
        t.and_then(|t| t.error.clone()).into(),
        t.and_then(|t| t.original_text.clone()).into(),
    ]
}

/// The columns of `agents` read back (never the token or password hash).
pub const AGENT_COLUMNS: &str = "id, seller_id, role, nickname, status, accept_assignment, \
     connected, capacity, created_at, login, \
     CAST(CASE WHEN password_hash IS NULL THEN 0 ELSE 1 END AS BIGINT) AS has_password, \
     CAST(CASE WHEN deactivated_at IS NULL THEN 1 ELSE 0 END AS BIGINT) AS active";

/// An agent row.
pub fn agent_from_row(row: &AnyRow) -> CoreResult<Agent> {
    Ok(read_row!(row => Agent {
        id, seller_id, role, nickname, status, accept_assignment, connected, capacity, created_at,
        login, has_password, active
    }))
}

/// The columns of `shops` read back (never the ingest secret).
pub const SHOP_COLUMNS: &str =
    "id, seller_id, platform, external_id, region, name, settings, created_at";

/// A shop row.
pub fn shop_from_row(row: &AnyRow) -> CoreResult<Shop> {
    Ok(read_row!(row => Shop {
        id, seller_id, platform, external_id, region, name, created_at;
        settings: json_col(row, "settings")?
    }))
}

/// The columns of `buyers`.
pub const BUYER_COLUMNS: &str = "id, shop_id, external_id, nickname, language, email, created_at";

/// A buyer row.
pub fn buyer_from_row(row: &AnyRow) -> CoreResult<Buyer> {
    Ok(read_row!(row => Buyer { id, shop_id, external_id, nickname, language, email, created_at }))
}

/// The columns of `orders`.
pub const ORDER_COLUMNS: &str = "id, shop_id, buyer_id, external_id, created_at, status, reverse_in_progress, name, total, \
     tracking_number";

/// An order row.
pub fn order_from_row(row: &AnyRow) -> CoreResult<Order> {
    Ok(read_row!(row => Order {
        id, shop_id, buyer_id, external_id, created_at, status, reverse_in_progress, name, total,
        tracking_number
    }))
}

/// The columns of `buyer_notes`.
pub const NOTE_COLUMNS: &str = "id, buyer_id, author_id, body, created_at, updated_at";

/// A note row.
pub fn note_from_row(row: &AnyRow) -> CoreResult<BuyerNote> {
    Ok(read_row!(row => BuyerNote { id, buyer_id, author_id, body, created_at, updated_at }))
}
