//! Building statements: the values bound to them ([`Val`]), `$n` placeholders (written
//! once, understood by both backends; rewritten to anonymous `?` for sqlx's SQLite
//! driver) and multi-row placeholder lists.

use crate::clock::to_millis;
use crate::domain::ids::*;
use chrono::{DateTime, Utc};
use sqlx::Any;

/// A value bound to a statement; the four shapes the schema uses.
#[derive(Clone, Debug, PartialEq)]
pub enum Val {
    /// Text.
    Text(String),
    /// Nullable text.
    OptText(Option<String>),
    /// Integer.
    Int(i64),
    /// Nullable integer.
    OptInt(Option<i64>),
}

/// Writes `From<$from> for Val` for each plain value the schema stores, converting with
/// the closure-like `|$v| $val`.
macro_rules! plain_vals {
    ($($from:ty => |$v:ident| $val:expr;)+) => {$(
        impl From<$from> for Val {
            fn from($v: $from) -> Self {
                $val
            }
        }
    )+};
}

plain_vals! {
    &str => |s| Val::Text(s.to_owned());
    String => |s| Val::Text(s);
    Option<String> => |s| Val::OptText(s);
    i64 => |n| Val::Int(n);
    Option<i64> => |n| Val::OptInt(n);
    bool => |b| Val::Int(i64::from(b));
    DateTime<Utc> => |t| Val::Int(to_millis(t));
    Option<DateTime<Utc>> => |t| Val::OptInt(t.map(to_millis));
}

/// Typed ids bind as their text form, alone or optional.
macro_rules! id_vals {
    ($($id:ty),+) => {$(
        impl From<$id> for Val {
            fn from(id: $id) -> Self {
                Val::Text(id.to_string())
            }
        }
        impl From<Option<$id>> for Val {
            fn from(id: Option<$id>) -> Self {
                Val::OptText(id.map(|id| id.to_string()))
            }
        }
    )+};
}

id_vals! { SellerId, ShopId, AgentId, BuyerId, OrderId, ConversationId, MessageId, NoteId, OutboxId }
id_vals! { QuickReplyId, WebhookEndpointId, WebhookDeliveryId, FaqQuestionId }

/// A statement with its values, bound in order to `$1..$n`.
///
/// Statements here are built from constant fragments and `$n` placeholders only; every
/// value is bound, never spliced in, which is what `AssertSqlSafe` asserts.
pub(crate) fn query_with(
    sql: &str, vals: Vec<Val>,
) -> sqlx::query::Query<'static, Any, sqlx::any::AnyArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()));
    for v in vals {
        q = match v {
            Val::Text(s) => q.bind(s),
            Val::OptText(s) => q.bind(s),
            Val::Int(n) => q.bind(n),
            Val::OptInt(n) => q.bind(n),
        };
    }
    q
}

/// Rewrites `$n` placeholders to `?` and orders the values as the `?`s appear.
pub fn positional(sql: &str, vals: Vec<Val>) -> (String, Vec<Val>) {
    let mut out = String::with_capacity(sql.len());
    let mut order = Vec::new();
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'$' && i + 1 < bytes.len() && bytes[i + 1].is_ascii_digit() {
            let start = i + 1;
            let mut end = start;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            let n: usize = sql[start..end].parse().unwrap_or(0);
            order.push(n);
            out.push('?');
            i = end;
        } else {
            let ch = sql[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    let reordered = order
        .into_iter()
        .map(|n| vals.get(n.wrapping_sub(1)).cloned().unwrap_or(Val::OptText(None)))
        .collect();
    (out, reordered)
}

/// `($s,$s+1,..),(..)` for `n_rows` rows of `n_cols` values, numbering from `start`.
pub fn values_placeholders(n_rows: usize, n_cols: usize, start: usize) -> String {
    let mut out = String::with_capacity(n_rows * n_cols * 5);
    let mut i = start;
    for r in 0..n_rows {
        if r > 0 {
            out.push(',');
        }
        out.push('(');
        for c in 0..n_cols {
            if c > 0 {
                out.push(',');
            }
            out.push('$');
            out.push_str(&i.to_string());
            i += 1;
        }
        out.push(')');
    }
    out
}

/// `$s,$s+1,..` for a list of `n` values numbered from `start`.
pub fn list_placeholders(n: usize, start: usize) -> String {
    (start..start + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
}

/// `sql` with every `$n` placeholder numbered `$(n + by)`.
pub fn shift_placeholders(sql: &str, by: usize) -> String {
    if by == 0 {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 {
            let n: usize = rest[..digits].parse().unwrap_or(0);
            out.push_str(&(n + by).to_string());
            rest = &rest[digits..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_rewrite_reorders_and_repeats_values() {
        let (sql, vals) = positional("a = $2 AND b = $1 OR c = $2", vec![Val::Int(1), Val::Int(2)]);
        assert_eq!(sql, "a = ? AND b = ? OR c = ?");
        assert_eq!(vals, vec![Val::Int(2), Val::Int(1), Val::Int(2)]);
    }

    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(values_placeholders(2, 3, 1), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(list_placeholders(3, 4), "$4,$5,$6");
        assert_eq!(
            shift_placeholders("a = $2 AND b = $10 OR c = '$'", 5),
            "a = $7 AND b = $15 OR c = '$'"
        );
    }
}
