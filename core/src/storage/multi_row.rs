//! Statements over many rows, written once for both backends. On SQLite the rows are
//! `$n` placeholders (`VALUES (..),(..)`); on PostgreSQL each column is one array,
//! unnested (`SELECT * FROM UNNEST(CAST($1 AS TEXT[]), …)`), so the
//! statement's text does not change with its number of rows. Each connection then
//! prepares it once and PostgreSQL plans it once; with a placeholder per value, every
//! new row count was a new statement to parse and plan (planning took a quarter of
//! PostgreSQL's time under ingest load).
//!
//! The arrays travel as text in PostgreSQL's array syntax and are cast to their type in
//! the statement (sqlx's `Any` driver binds no arrays).

use super::sql::{Val, values_placeholders};
use super::store::Backend;

/// A statement over rows: `sql` with `{rows}` where the rows go (`VALUES …` on SQLite,
/// `SELECT * FROM UNNEST(…)` on PostgreSQL, so an `INSERT INTO t (…) {rows} …`), and
/// the rows' values, row after row, numbered from `$1`.
#[derive(Clone, Debug, PartialEq)]
pub struct MultiRow {
    sql: String,
    cols: usize,
    vals: Vec<Val>,
    types: Vec<(usize, &'static str)>,
}

impl MultiRow {
    /// `sql` with `{rows}`, and `cols` values per row.
    pub fn new(sql: impl Into<String>, cols: usize, vals: Vec<Val>) -> Self {
        debug_assert!(cols > 0 && vals.len().is_multiple_of(cols), "whole rows");
        MultiRow { sql: sql.into(), cols, vals, types: Vec::new() }
    }

    /// On PostgreSQL, column `col`'s type (its values are that type's text form): by
    /// default `TEXT` or `BIGINT`, as its values are.
    pub fn typed(mut self, col: usize, pg_type: &'static str) -> Self {
        self.types.push((col, pg_type));
        self
    }

    /// The table it inserts into, if it is an `INSERT`.
    pub fn target(&self) -> Option<&str> {
        let rest = self.sql.strip_prefix("INSERT INTO ")?;
        rest.split([' ', '(']).next()
    }

    /// The statement and its values for `backend`.
    pub fn build(self, backend: Backend) -> (String, Vec<Val>) {
        let n_rows = self.vals.len() / self.cols;
        let (rows, vals) = match backend {
            Backend::Sqlite => {
                (format!("VALUES {}", values_placeholders(n_rows, self.cols, 1)), self.vals)
            }
            Backend::Postgres => {
                let arrays: Vec<(&str, Val)> = (0..self.cols)
                    .map(|c| {
                        let column = self.vals.iter().skip(c).step_by(self.cols);
                        let given = self.types.iter().find(|(i, _)| *i == c).map(|(_, t)| *t);
                        column_array(column, given)
                    })
                    .collect();
                let casts: Vec<String> = arrays
                    .iter()
                    .enumerate()
                    .map(|(i, (ty, _))| format!("CAST(${} AS {ty}[])", i + 1))
                    .collect();
                let rows = format!("SELECT * FROM UNNEST({})", casts.join(","));
                (rows, arrays.into_iter().map(|(_, v)| v).collect())
            }
        };
        (self.sql.replace("{rows}", &rows), vals)
    }
}

/// Text keys as a row source `k(key)` on PostgreSQL: one array numbered `$start`,
/// unnested. Each key is then looked up through a `LATERAL (… LIMIT 1)` on a unique index
/// (see `messages::find_stored`): a plan that does not depend on the table's statistics,
/// which lag far behind a table filling at ingest speed.
pub fn keys_source(keys: &[Val], start: usize) -> (String, Val) {
    let (ty, array) = column_array(keys.iter(), None);
    (format!("UNNEST(CAST(${start} AS {ty}[])) AS k(key)"), array)
}

/// A column's values as one array literal, and its element type: `given`, or as the
/// values are (text or integers).
fn column_array<'a>(
    column: impl Iterator<Item = &'a Val>, given: Option<&'static str>,
) -> (&'static str, Val) {
    let mut ty = given;
    let mut out = String::from("{");
    for (i, v) in column.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let is_int = matches!(v, Val::Int(_) | Val::OptInt(_));
        ty.get_or_insert(if is_int { "BIGINT" } else { "TEXT" });
        match v {
            Val::Text(s) | Val::OptText(Some(s)) => push_quoted(&mut out, s),
            Val::Int(n) | Val::OptInt(Some(n)) => out.push_str(&n.to_string()),
            Val::OptText(None) | Val::OptInt(None) => out.push_str("NULL"),
        }
    }
    out.push('}');
    (ty.unwrap_or("TEXT"), Val::Text(out))
}

/// An array element in double quotes, its quotes and backslashes escaped.
fn push_quoted(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        if ch == '"' || ch == '\\' {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Val {
        Val::Text(s.into())
    }

    #[test]
    fn sqlite_rows_are_placeholders_and_postgres_rows_one_array_per_column() {
        let rows = MultiRow::new(
            "INSERT INTO t (a, b, c) {rows} ON CONFLICT DO NOTHING",
            3,
            vec![t("x"), Val::Int(1), Val::OptText(None), t("y"), Val::Int(-2), t("z")],
        );
        let (sql, vals) = rows.clone().build(Backend::Sqlite);
        assert_eq!(
            sql,
            "INSERT INTO t (a, b, c) VALUES ($1,$2,$3),($4,$5,$6) ON CONFLICT DO NOTHING"
        );
        assert_eq!(vals.len(), 6);
        let (sql, vals) = rows.build(Backend::Postgres);
        assert_eq!(
            sql,
            "INSERT INTO t (a, b, c) SELECT * FROM UNNEST(CAST($1 AS TEXT[]),CAST($2 AS BIGINT[]),CAST($3 AS TEXT[])) \
             ON CONFLICT DO NOTHING"
        );
        assert_eq!(vals, vec![t("{\"x\",\"y\"}"), t("{1,-2}"), t("{NULL,\"z\"}")]);
    }

    #[test]
    fn an_insert_names_its_table() {
        assert_eq!(MultiRow::new("INSERT INTO t (a) {rows}", 1, vec![]).target(), Some("t"));
        assert_eq!(MultiRow::new("INSERT INTO t(a) {rows}", 1, vec![]).target(), Some("t"));
        assert_eq!(
            MultiRow::new("WITH w AS (INSERT INTO t (a) {rows}) SELECT 1", 1, vec![]).target(),
            None
        );
    }

    #[test]
    fn postgres_text_is_quoted_with_its_quotes_and_backslashes_escaped() {
        let (_, vals) = MultiRow::new("{rows}", 1, vec![t(r#"a "b" \c, {d} NULL"#), t("")])
            .build(Backend::Postgres);
        assert_eq!(vals, vec![t(r#"{"a \"b\" \\c, {d} NULL",""}"#)]);
    }

    #[test]
    fn a_column_can_have_another_postgres_type_and_the_statement_text_ignores_row_counts() {
        let one = MultiRow::new("{rows}", 2, vec![t("a"), t("'x':1")]).typed(1, "TSVECTOR");
        let two = MultiRow::new("{rows}", 2, vec![t("a"), t("'x':1"), t("b"), t("'y':1")])
            .typed(1, "TSVECTOR");
        let (sql_one, _) = one.build(Backend::Postgres);
        let (sql_two, _) = two.build(Backend::Postgres);
        assert_eq!(sql_one, "SELECT * FROM UNNEST(CAST($1 AS TEXT[]),CAST($2 AS TSVECTOR[]))");
        assert_eq!(sql_one, sql_two);
    }

    #[test]
    fn keys_are_one_array_on_postgres() {
        assert_eq!(
            keys_source(&[t("a"), t("b")], 2),
            ("UNNEST(CAST($2 AS TEXT[])) AS k(key)".into(), t("{\"a\",\"b\"}"))
        );
    }
}
