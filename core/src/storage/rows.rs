//! Row mapping: the column lists of the main tables and the functions turning a row
//! (an `AnyRow` or a [`DbRow`]) into a domain value (and a domain value into bound values).

use super::sql::Val;
use crate::clock::{from_millis, to_millis};
use crate::domain::ids::*;
use crate::domain::model::*;
use crate::error::{CoreError, CoreResult};
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
        self.opt_text_col(col)?
            .ok_or_else(|| corrupt("text", format!("{col} is NULL")))
    }
    /// An integer column.
    fn int_col(&self, col: &str) -> CoreResult<i64> {
        self.opt_int_col(col)?
            .ok_or_else(|| corrupt("integer", format!("{col} is NULL")))
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

/// Reads a typed id from a text column.
pub fn id_col<T: FromStr>(row: &impl Columns, col: &str) -> CoreResult<T>
where
    T::Err: std::fmt::Display,
{
    let s = row.text_col(col)?;
    T::from_str(&s).map_err(|e| corrupt("id", e))
}

/// Reads an optional typed id from a nullable text column.
pub fn opt_id_col<T: FromStr>(row: &impl Columns, col: &str) -> CoreResult<Option<T>>
where
    T::Err: std::fmt::Display,
{
    row.opt_text_col(col)?
        .map(|s| T::from_str(&s).map_err(|e| corrupt("id", e)))
        .transpose()
}

/// A text column parsed as an enum.
pub fn enum_col<T: FromStr<Err = String>>(row: &impl Columns, col: &str) -> CoreResult<T> {
    let s = row.text_col(col)?;
    T::from_str(&s).map_err(|e| corrupt("enum", e))
}

fn opt_enum_col<T: FromStr<Err = String>>(row: &impl Columns, col: &str) -> CoreResult<Option<T>> {
    row.opt_text_col(col)?
        .map(|s| T::from_str(&s).map_err(|e| corrupt("enum", e)))
        .transpose()
}

fn time_col(row: &impl Columns, col: &str) -> CoreResult<chrono::DateTime<chrono::Utc>> {
    Ok(from_millis(row.int_col(col)?))
}

fn opt_time_col(
    row: &impl Columns,
    col: &str,
) -> CoreResult<Option<chrono::DateTime<chrono::Utc>>> {
    Ok(row.opt_int_col(col)?.map(from_millis))
}

/// A 0/1 column as a bool.
pub fn bool_col(row: &impl Columns, col: &str) -> CoreResult<bool> {
    Ok(row.int_col(col)? != 0)
}

/// The columns of `conversations`, in the order of [`conversation_values`].
pub const CONVERSATION_COLUMNS: &str = "id, seller_id, shop_id, platform, buyer_id, entry_point, state, list_status, \
     assignee_id, flag, topics, has_order, unread_count, waiting_since, wait_rank, created_at, last_message_at, \
     last_buyer_message_at, last_agent_reply_at, assigned_at, ended_at, closed_at, preview";

/// [`CONVERSATION_COLUMNS`] qualified with the alias `c`, for joins.
pub static CONVERSATION_COLUMNS_C: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    CONVERSATION_COLUMNS
        .split(", ")
        .map(|col| format!("c.{}", col.trim()))
        .collect::<Vec<_>>()
        .join(", ")
});

/// The number of columns in [`CONVERSATION_COLUMNS`].
pub const CONVERSATION_N_COLUMNS: usize = 23;

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

/// A conversation row, with the seller it belongs to.
pub fn conversation_from_row(row: &impl Columns) -> CoreResult<(SellerId, Conversation)> {
    let topics = row.text_col("topics")?;
    let platform = row.text_col("platform")?;
    Ok((
        id_col(row, "seller_id")?,
        Conversation {
            id: id_col(row, "id")?,
            shop_id: id_col(row, "shop_id")?,
            platform: Platform::new(&platform).map_err(|e| corrupt("platform", e))?,
            buyer_id: id_col(row, "buyer_id")?,
            entry_point: enum_col(row, "entry_point")?,
            state: enum_col(row, "state")?,
            assignee_id: opt_id_col(row, "assignee_id")?,
            flag: opt_enum_col(row, "flag")?,
            topics: serde_json::from_str(&topics).map_err(|e| corrupt("topics", e))?,
            has_order: bool_col(row, "has_order")?,
            unread_count: row.int_col("unread_count")?,
            waiting_since: opt_time_col(row, "waiting_since")?,
            created_at: time_col(row, "created_at")?,
            last_message_at: time_col(row, "last_message_at")?,
            last_buyer_message_at: opt_time_col(row, "last_buyer_message_at")?,
            last_agent_reply_at: opt_time_col(row, "last_agent_reply_at")?,
            assigned_at: opt_time_col(row, "assigned_at")?,
            ended_at: opt_time_col(row, "ended_at")?,
            closed_at: opt_time_col(row, "closed_at")?,
            preview: row.text_col("preview")?,
        },
    ))
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
        serde_json::to_string(&c.topics)
            .unwrap_or_else(|_| "[]".into())
            .into(),
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
    ]
}

/// The columns of `messages` read back (the PostgreSQL search column is write-only).
pub const MESSAGE_COLUMNS: &str = "id, conversation_id, shop_id, direction, sender_kind, sender_agent_id, content, \
     translated_text, platform_message_id, created_at, delivery_status, delivery_error";

/// A message row.
pub fn message_from_row(row: &AnyRow) -> CoreResult<Message> {
    let content: String = row.try_get("content")?;
    Ok(Message {
        id: id_col(row, "id")?,
        conversation_id: id_col(row, "conversation_id")?,
        shop_id: id_col(row, "shop_id")?,
        direction: enum_col(row, "direction")?,
        sender_kind: enum_col(row, "sender_kind")?,
        sender_agent_id: opt_id_col(row, "sender_agent_id")?,
        content: serde_json::from_str(&content).map_err(|e| corrupt("content", e))?,
        translated_text: row.try_get("translated_text")?,
        platform_message_id: row.try_get("platform_message_id")?,
        created_at: time_col(row, "created_at")?,
        delivery_status: opt_enum_col(row, "delivery_status")?,
        delivery_error: row.try_get("delivery_error")?,
    })
}

/// The bound values of a message row, in [`MESSAGE_COLUMNS`] order.
pub fn message_values(m: &Message) -> Vec<Val> {
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
    ]
}

/// The columns of `agents` read back (never the token hash).
pub const AGENT_COLUMNS: &str =
    "id, seller_id, role, nickname, status, accept_assignment, connected, capacity, created_at";

/// An agent row.
pub fn agent_from_row(row: &AnyRow) -> CoreResult<Agent> {
    Ok(Agent {
        id: id_col(row, "id")?,
        seller_id: id_col(row, "seller_id")?,
        role: enum_col(row, "role")?,
        nickname: row.try_get("nickname")?,
        status: enum_col(row, "status")?,
        accept_assignment: bool_col(row, "accept_assignment")?,
        connected: bool_col(row, "connected")?,
        capacity: row.try_get("capacity")?,
        created_at: time_col(row, "created_at")?,
    })
}

/// The columns of `shops` read back (never the ingest secret).
pub const SHOP_COLUMNS: &str =
    "id, seller_id, platform, external_id, region, name, settings, created_at";

/// A shop row.
pub fn shop_from_row(row: &AnyRow) -> CoreResult<Shop> {
    let platform: String = row.try_get("platform")?;
    let settings: String = row.try_get("settings")?;
    Ok(Shop {
        id: id_col(row, "id")?,
        seller_id: id_col(row, "seller_id")?,
        platform: Platform::new(&platform).map_err(|e| corrupt("platform", e))?,
        external_id: row.try_get("external_id")?,
        region: row.try_get("region")?,
        name: row.try_get("name")?,
        settings: serde_json::from_str(&settings).map_err(|e| corrupt("settings", e))?,
        created_at: time_col(row, "created_at")?,
    })
}

/// The columns of `buyers`.
pub const BUYER_COLUMNS: &str = "id, shop_id, external_id, nickname, language, email, created_at";

/// A buyer row.
pub fn buyer_from_row(row: &AnyRow) -> CoreResult<Buyer> {
    Ok(Buyer {
        id: id_col(row, "id")?,
        shop_id: id_col(row, "shop_id")?,
        external_id: row.try_get("external_id")?,
        nickname: row.try_get("nickname")?,
        language: row.try_get("language")?,
        email: row.try_get("email")?,
        created_at: time_col(row, "created_at")?,
    })
}

/// The columns of `orders`.
pub const ORDER_COLUMNS: &str =
    "id, shop_id, buyer_id, external_id, created_at, status, reverse_in_progress, name, total";

/// An order row.
pub fn order_from_row(row: &AnyRow) -> CoreResult<Order> {
    Ok(Order {
        id: id_col(row, "id")?,
        shop_id: id_col(row, "shop_id")?,
        buyer_id: id_col(row, "buyer_id")?,
        external_id: row.try_get("external_id")?,
        created_at: time_col(row, "created_at")?,
        status: row.try_get("status")?,
        reverse_in_progress: bool_col(row, "reverse_in_progress")?,
        name: row.try_get("name")?,
        total: row.try_get("total")?,
    })
}

/// The columns of `buyer_notes`.
pub const NOTE_COLUMNS: &str = "id, buyer_id, author_id, body, created_at, updated_at";

/// A note row.
pub fn note_from_row(row: &AnyRow) -> CoreResult<BuyerNote> {
    Ok(BuyerNote {
        id: id_col(row, "id")?,
        buyer_id: id_col(row, "buyer_id")?,
        author_id: id_col(row, "author_id")?,
        body: row.try_get("body")?,
        created_at: time_col(row, "created_at")?,
        updated_at: time_col(row, "updated_at")?,
    })
}
