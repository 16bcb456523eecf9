//! What a search or a buyer filter of the conversation list matches, as SQL: the
//! conversations with matching messages, and the matching buyers. Either drives a
//! query from its candidates ([`Match::candidates`]) or tests the rows of an ordered
//! walk of the list ([`Match::condition`]).

use super::sql::Val;
use super::store::Backend;
use crate::domain::ids::*;
use crate::domain::search_terms;

/// How many of the most recent messages matching a full-text search are considered, per
/// seller (another seller's messages never crowd a seller's out).
pub const MAX_MESSAGE_HITS: usize = 10_000;

/// Values bound to a statement being built; `arg` returns the next `$n`.
#[derive(Default)]
pub(super) struct SqlArgs {
    pub vals: Vec<Val>,
}

impl SqlArgs {
    pub fn arg(&mut self, v: impl Into<Val>) -> String {
        self.vals.push(v.into());
        format!("${}", self.vals.len())
    }
}

/// A search's or a buyer filter's matches.
pub(super) struct Match {
    /// A query of the ids (`id`) of conversations with a matching message.
    conversations: Option<String>,
    /// Queries of the ids (`buyer_id`) of matching buyers: the alternatives, any one
    /// matches.
    buyers: Vec<String>,
}

impl Match {
    /// The ids (`id`) of the matching conversations, as one query.
    pub fn candidates(&self) -> String {
        let by_buyer = self
            .buyers
            .iter()
            .map(|b| format!("SELECT id FROM conversations WHERE buyer_id IN ({b})"));
        self.conversations.iter().cloned().chain(by_buyer).collect::<Vec<_>>().join(" UNION ")
    }

    /// The matching buyers (`buyer_id`) as one query, when only buyers match (a buyer
    /// filter): a list or a count is then driven from them through the conversations'
    /// buyer index, with no set of conversation ids to build first.
    pub fn buyers_only(&self) -> Option<String> {
        if self.conversations.is_some() || self.buyers.is_empty() {
            return None;
        }
        let each = self.buyers.iter().enumerate();
        let all: Vec<String> =
            each.map(|(n, b)| format!("SELECT buyer_id FROM ({b}) AS b{n}")).collect();
        Some(all.join(" UNION "))
    }

    /// Whether the conversation row `c` matches: each alternative its own `IN` test,
    /// joined by `OR` (PostgreSQL then hashes each set once; a lone `IN` it turns into a
    /// semi-join, which the walk's LIMIT misleads into a nested loop over the set). A
    /// broad match always has two alternatives or more.
    pub fn condition(&self, c: &str) -> String {
        let by_message = self.conversations.iter().map(|q| format!("{c}.id IN ({q})"));
        let by_buyer = self.buyers.iter().map(|b| format!("{c}.buyer_id IN ({b})"));
        format!("({})", by_message.chain(by_buyer).collect::<Vec<_>>().join(" OR "))
    }
}

/// Whether a search or buyer filter `text` matches buyers by name parts (possibly
/// thousands of them): it has a word.
pub(super) fn by_name_part(text: &str) -> bool {
    name_words(text).next().is_some()
}

/// The words of `text` a buyer's name parts are matched against.
fn name_words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split_whitespace().take(4).filter_map(search_terms::name_query)
}

/// Buyers with a name part starting with each word of `text` (AE-SEARCH-1), if it has
/// words.
fn name_parts(text: &str, b: &mut SqlArgs) -> Option<String> {
    let parts: Vec<String> = name_words(text)
        .map(|w| {
            let upper = search_terms::prefix_upper_bound(&w);
            let (lo, hi) = (b.arg(w), b.arg(upper));
            format!("SELECT buyer_id FROM buyer_name_parts WHERE part >= {lo} AND part < {hi}")
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" INTERSECT "))
}

/// The buyers a history filter names (DY-HIST-1): buyers with a name part starting with
/// each word (as AE-SEARCH-1), the buyer with that id, and the buyers with that platform
/// id in `shops` (a list of placeholders, or a query of shop ids).
pub(super) fn buyer(
    text: &str, shops: impl FnOnce(&mut SqlArgs) -> String, b: &mut SqlArgs,
) -> Match {
    let mut buyers: Vec<String> = name_parts(text, b).into_iter().collect();
    if let Ok(id) = text.parse::<BuyerId>() {
        buyers.push(format!("SELECT id AS buyer_id FROM buyers WHERE id = {}", b.arg(id)));
    }
    let shops = shops(b);
    buyers.push(format!(
        "SELECT id AS buyer_id FROM buyers WHERE shop_id IN ({shops}) AND external_id = {}",
        b.arg(text.to_owned())
    ));
    Match { conversations: None, buyers }
}

/// A search: conversations with a message containing every word (full-text index; the
/// most recent [`MAX_MESSAGE_HITS`] matching messages of the seller), buyers with a name
/// part starting with each word (AE-SEARCH-1), and buyers with that order id
/// (TT-SEARCH-1).
pub(super) fn search(backend: Backend, seller: SellerId, text: &str, b: &mut SqlArgs) -> Match {
    let terms = search_terms::query_terms(text);
    let conversations = (!terms.is_empty()).then(|| match backend {
        // Each hit's seller is checked only when all sellers' hits reach the cap
        // (counted once, on the index alone): below it, every hit of the seller is
        // among them anyway, and the check was half the search's time.
        Backend::Sqlite => {
            let (q, seller) = (b.arg(search_terms::fts5_query(&terms)), b.arg(seller));
            format!(
                "SELECT id FROM (SELECT conversation_id AS id FROM message_fts \
                 WHERE message_fts MATCH {q} \
                 AND ((SELECT COUNT(*) FROM (SELECT 1 FROM message_fts WHERE message_fts MATCH {q} \
                       LIMIT {MAX_MESSAGE_HITS})) < {MAX_MESSAGE_HITS} \
                   OR EXISTS (SELECT 1 FROM conversations k WHERE k.id = message_fts.conversation_id \
                       AND k.seller_id = {seller})) \
                 ORDER BY rowid DESC LIMIT {MAX_MESSAGE_HITS})"
            )
        }
        Backend::Postgres => format!(
            "SELECT id FROM (SELECT conversation_id AS id FROM messages \
             WHERE search_vec @@ CAST({} AS tsquery) \
               AND shop_id IN (SELECT id FROM shops WHERE seller_id = {}) \
             ORDER BY id DESC LIMIT {MAX_MESSAGE_HITS}) AS m",
            b.arg(search_terms::tsquery_literal(&terms)),
            b.arg(seller)
        ),
    });
    let mut buyers: Vec<String> = name_parts(text, b).into_iter().collect();
    buyers.push(format!(
        "SELECT buyer_id FROM orders WHERE external_id = {}",
        b.arg(text.to_owned())
    ));
    Match { conversations, buyers }
}
