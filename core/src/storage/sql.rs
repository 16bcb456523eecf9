//! Building statements: the values bound to them ([`Val`]), `$n` placeholders (written
//! once, understood by both backends; rewritten to anonymous `?` for sqlx's SQLite
//! driver), multi-row placeholder lists, and [`Deferred`] statements run together just
//! before a commit.

use super::exec::Tx;
use super::store::{Store, WriteTx};
use crate::clock::to_millis;
use crate::domain::ids::*;
use crate::error::CoreResult;
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

impl From<&str> for Val {
    fn from(s: &str) -> Self {
        Val::Text(s.to_owned())
    }
}
impl From<String> for Val {
    fn from(s: String) -> Self {
        Val::Text(s)
    }
}
impl From<Option<String>> for Val {
    fn from(s: Option<String>) -> Self {
        Val::OptText(s)
    }
}
impl From<i64> for Val {
    fn from(n: i64) -> Self {
        Val::Int(n)
    }
}
impl From<Option<i64>> for Val {
    fn from(n: Option<i64>) -> Self {
        Val::OptInt(n)
    }
}
impl From<bool> for Val {
    fn from(b: bool) -> Self {
        Val::Int(b as i64)
    }
}
impl From<DateTime<Utc>> for Val {
    fn from(t: DateTime<Utc>) -> Self {
        Val::Int(to_millis(t))
    }
}
impl From<Option<DateTime<Utc>>> for Val {
    fn from(t: Option<DateTime<Utc>>) -> Self {
        Val::OptInt(t.map(to_millis))
    }
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

id_vals!(
    SellerId,
    ShopId,
    AgentId,
    BuyerId,
    OrderId,
    ConversationId,
    MessageId,
    NoteId,
    OutboxId
);

/// A statement with its values, bound in order to `$1..$n`.
///
/// Statements here are built from constant fragments and `$n` placeholders only; every
/// value is bound, never spliced in, which is what `AssertSqlSafe` asserts.
pub(crate) fn query_with(
    sql: &str,
    vals: Vec<Val>,
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
        .map(|n| {
            vals.get(n.wrapping_sub(1))
                .cloned()
                .unwrap_or(Val::OptText(None))
        })
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
    (start..start + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Statements whose results nobody waits for, run together just before the commit.
/// On SQLite they go to the database in one call (one hop to sqlx's connection thread
/// instead of one per statement: under load each hop, not the SQL, was the cost); on
/// PostgreSQL, whose extended protocol takes one statement per call, one by one.
#[derive(Debug, Default)]
pub struct Deferred {
    statements: Vec<(String, Vec<Val>)>,
}

impl Deferred {
    /// Adds a statement (with `$n` placeholders).
    pub fn push(&mut self, sql: String, vals: Vec<Val>) {
        self.statements.push((sql, vals));
    }

    /// Runs every statement, in order, in the write transaction.
    pub async fn run(self, w: &mut WriteTx<'_>) -> CoreResult<()> {
        let store = w.store();
        self.run_in(store, &mut w.as_tx()).await
    }

    /// Runs every statement, in order, in `tx`.
    pub async fn run_in(self, store: &Store, tx: &mut Tx<'_>) -> CoreResult<()> {
        tx.execute_all(store, self.statements).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positional_rewrite_reorders_and_repeats_values() {
        let (sql, vals) = positional(
            "a = $2 AND b = $1 OR c = $2",
            vec![Val::Int(1), Val::Int(2)],
        );
        assert_eq!(sql, "a = ? AND b = ? OR c = ?");
        assert_eq!(vals, vec![Val::Int(2), Val::Int(1), Val::Int(2)]);
    }

    #[test]
    fn placeholders_number_rows_in_order() {
        assert_eq!(values_placeholders(2, 3, 1), "($1,$2,$3),($4,$5,$6)");
        assert_eq!(list_placeholders(3, 4), "$4,$5,$6");
    }
}
